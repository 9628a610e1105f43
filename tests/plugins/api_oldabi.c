/* A shared object that looks like an OCaml plugin built against another
 * libnbdkitocaml: it has the entry point nbdocaml_glue_entry_v1, but the
 * table it returns says glue ABI 1 (the first field of every table, then
 * its size), so nbdocaml_module_open must reject it with EPROTO, naming
 * both ABI numbers, before it touches anything else in the table.  The
 * size it claims is larger than any table, so that only the ABI number
 * can tell: a host that went on would read past this small table. */
#include <stdint.h>

struct old_table {
  uint32_t abi;
  uint32_t size;
};

struct old_table *nbdocaml_glue_entry_v1 (void);

static struct old_table table = { 1, 65536 };

struct old_table *
nbdocaml_glue_entry_v1 (void)
{
  return &table;
}
