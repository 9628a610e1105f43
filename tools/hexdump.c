/* nbdocaml-call: data in the format of "hexdump -C".
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause.
 *
 * The format is the one people already read: sixteen bytes a line, the
 * address, the bytes in hex in two groups of eight, the printable ASCII
 * between bars, a "*" for lines repeating the previous one, and the end
 * address alone on the last line.  Addresses are disk offsets, so a read
 * at offset 4096 starts at 00001000.
 */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tool.h"

void
tool_hexdump (const unsigned char *data, size_t len, uint64_t base)
{
  size_t pos, i;
  int starred = 0;

  for (pos = 0; pos < len; pos += 16) {
    size_t n = len - pos < 16 ? len - pos : 16;

    /* A full line equal to the one before is shown once, as "*". */
    if (pos > 0 && n == 16 && memcmp (data + pos, data + pos - 16, 16) == 0) {
      if (!starred)
        printf ("*\n");
      starred = 1;
      continue;
    }
    starred = 0;

    printf ("%08" PRIx64 " ", base + pos);
    for (i = 0; i < 16; ++i) {
      if (i == 8)
        putchar (' ');
      if (i < n)
        printf (" %02x", data[pos + i]);
      else
        printf ("   ");
    }
    printf ("  |");
    for (i = 0; i < n; ++i)
      putchar (data[pos + i] >= 0x20 && data[pos + i] < 0x7f
               ? data[pos + i] : '.');
    printf ("|\n");
  }
  if (len > 0)
    printf ("%08" PRIx64 "\n", base + len);
}
