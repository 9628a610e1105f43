# The ocamlfind package "nbdkit" (ocaml/META, made by configure from
# ocaml/META.in).  Its directories are relative to the META file, so it
# works wherever $(ocamllibdir) is, DESTDIR included.
findlibmetadir = $(ocamllibdir)/nbdkit
findlibmeta_DATA = ocaml/META
EXTRA_DIST += ocaml/META.in

# make uninstall removes the files; the two directories made for them
# alone ($(ocamllibdir)/nbdkit and nbdkit-labelled) go as well once empty,
# so that nothing of ours is left in the OCaml library directory.
uninstall-hook:
	rmdir $(DESTDIR)$(findlibmetadir) $(DESTDIR)$(ocamllabelleddir) \
	  2>/dev/null || :
