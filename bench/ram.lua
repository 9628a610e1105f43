-- Benchmark plugin: a RAM disk for nbdkit's lua plugin.
-- Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
--
-- Lua strings are immutable, so the disk is a table of 4 KiB strings
-- (all sharing one zero block at first).  pread concatenates the blocks
-- it covers; pwrite replaces them.  nbdkit's lua plugin runs every
-- request serialised and has no can_multi_conn callback: bench/run.py
-- adds --filter=multi-conn multi-conn-mode=unsafe so that multi-conn is
-- advertised as for the other plugins (safe here: one shared disk and
-- serialised requests).

local BS = 4096
local size = 1048576
local disk = {}

local scale = { b = 1, k = 1024, K = 1024, M = 1048576, G = 1073741824,
                T = 1099511627776 }

function config(key, value)
  if key ~= "size" then error("unknown parameter: " .. key) end
  local last = value:sub(-1)
  if scale[last] then
    size = math.tointeger(tonumber(value:sub(1, -2)) * scale[last])
  else
    size = math.tointeger(tonumber(value))
  end
end

function config_complete()
  if size % BS ~= 0 then error("size must be a multiple of 4096") end
  local zero = string.rep("\0", BS)
  for i = 0, size // BS - 1 do disk[i] = zero end
end

function open(readonly) return 1 end
function get_size(h) return size end
function can_write(h) return true end

function pread(h, count, offset, flags)
  local parts, n = {}, 0
  local b, o = offset // BS, offset % BS
  while count > 0 do
    local take = math.min(BS - o, count)
    n = n + 1
    if o == 0 and take == BS then
      parts[n] = disk[b]
    else
      parts[n] = disk[b]:sub(o + 1, o + take)
    end
    count = count - take
    b, o = b + 1, 0
  end
  return table.concat(parts)
end

function pwrite(h, buf, offset, flags)
  local pos, len = 1, #buf
  local b, o = offset // BS, offset % BS
  while pos <= len do
    local take = math.min(BS - o, len - pos + 1)
    if o == 0 and take == BS then
      disk[b] = buf:sub(pos, pos + BS - 1)
    else
      local blk = disk[b]
      disk[b] = blk:sub(1, o) .. buf:sub(pos, pos + take - 1) ..
        blk:sub(o + take + 1)
    end
    pos = pos + take
    b, o = b + 1, 0
  end
end
