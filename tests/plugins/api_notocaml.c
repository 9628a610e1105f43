/* A valid shared object that is not an OCaml plugin: it has no
 * nbdocaml_glue_entry_v1, so nbdocaml_module_open must reject it with
 * ELIBBAD after the dynamic loader accepted it. */
int api_notocaml_answer (void);

int
api_notocaml_answer (void)
{
  return 42;
}
