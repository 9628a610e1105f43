# The ocamlfind package "nbdkit" (ocaml/META, made by configure from
# ocaml/META.in).  Its directories are relative to the META file, so it
# works wherever $(ocamllibdir) is, DESTDIR included.
findlibmetadir = $(ocamllibdir)/nbdkit
findlibmeta_DATA = ocaml/META
EXTRA_DIST += ocaml/META.in
