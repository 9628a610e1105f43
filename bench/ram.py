# Benchmark plugin: a RAM disk for nbdkit's python plugin (API v2).
# Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
#
# The disk is one bytearray.  pread copies a slice of a memoryview of it
# into the buffer nbdkit lends (one copy, no intermediate bytes object);
# pwrite assigns the buffer into a slice of it (one copy).  PARALLEL (the
# GIL still lets one thread run Python at a time), can_multi_conn true.
import nbdkit

API_VERSION = 2

size = 1048576
disk = bytearray(0)
view = memoryview(disk)

_SCALE = {"b": 0, "k": 10, "K": 10, "M": 20, "G": 30, "T": 40}


def config(key, value):
    global size
    if key != "size":
        raise RuntimeError("unknown parameter: " + key)
    if value[-1] in _SCALE:
        size = int(value[:-1]) << _SCALE[value[-1]]
    else:
        size = int(value)


def config_complete():
    global disk, view
    disk = bytearray(size)
    view = memoryview(disk)


def thread_model():
    return nbdkit.THREAD_MODEL_PARALLEL


def open(readonly):
    return 1


def get_size(h):
    return len(disk)


def can_write(h):
    return True


def can_multi_conn(h):
    return True


def pread(h, buf, offset, flags):
    buf[:] = view[offset:offset + len(buf)]


def pwrite(h, buf, offset, flags):
    view[offset:offset + len(buf)] = buf
