# Manual pages.  Ours are written in POD and turned into man pages by
# pod2man at build time; NBDKit(3o) is generated from ocaml/NBDKit.mli by
# odoc (its man output keeps the .mli's verbatim blocks and resolves its
# cross-references, which ocamldoc -man does not), and likewise
# NBDKit-labelled(3o) from ocaml/labelled/NBDKit.mli: both modules are
# named NBDKit, so the labelled one's page is named after the directory
# that selects it.  tests/test-man.sh renders each one with
# "man --warnings".

man1_MANS = docs/nbdocaml-call.1
man3_MANS = docs/nbdocaml.3 docs/nbdkit-ocaml-plugin.3 docs/NBDKit.3o \
	docs/NBDKit-labelled.3o
noinst_DATA += $(man1_MANS) $(man3_MANS)
POD_PAGES = docs/nbdocaml-call.pod docs/nbdocaml.pod \
	docs/nbdkit-ocaml-plugin.pod
EXTRA_DIST += $(POD_PAGES)
CLEANFILES += $(man1_MANS) $(man3_MANS) docs/odoc/NBDKit.cmi \
	docs/odoc/NBDKit.cmti docs/odoc/labelled/NBDKit.cmi \
	docs/odoc/labelled/NBDKit.cmti

pod2man_args = --center="libnbdocaml" \
	--release="libnbdocaml $(PACKAGE_VERSION)" --utf8 --errors=die

docs/%.1: docs/%.pod
	@$(MKDIR_P) docs
	$(AM_V_GEN)$(POD2MAN) $(pod2man_args) --section=1 --name=$* $< > $@.tmp \
	  && mv $@.tmp $@

docs/%.3: docs/%.pod
	@$(MKDIR_P) docs
	$(AM_V_GEN)$(POD2MAN) $(pod2man_args) --section=3 --name=$* $< > $@.tmp \
	  && mv $@.tmp $@

# odoc names the page after the library ("nbdkit.NBDKit") and gives it no
# description; the NAME line is rewritten in the "name \- summary" form
# that whatis, apropos and lintian read, and the .TH line gets the page's
# name and the file's section, 3o.  $(1): the .cmti, $(2): odoc's
# package, $(3): the page's name, $(4): the NAME line's summary (no
# commas), $(5): the output.
odoc_man = rm -rf $(5).d && $(MKDIR_P) $(5).d && \
	$(ODOC) compile --package $(2) -o $(5).d/NBDKit.odoc $(1) && \
	$(ODOC) link -I $(5).d -o $(5).d/NBDKit.odocl $(5).d/NBDKit.odoc && \
	$(ODOC) man-generate -o $(5).d $(5).d/NBDKit.odocl && \
	sed -e '1{/^$$/d}' -e 's/^\.TH [^ ]* 3 /.TH $(3) 3o /' -e '/^\.SH Name$$/{n;s/.*/$(3) \\- $(4)/;}' \
	  $(5).d/$(2)/NBDKit.3o > $(5).tmp && \
	rm -rf $(5).d && mv $(5).tmp $(5)

# odoc reads the .cmti of the compiler it was built with, which need not
# be the one plugins are built with (configure found $(ODOC_OCAMLC)), so
# the .mli is compiled once more for it, in docs/odoc.
docs/odoc/NBDKit.cmti: $(srcdir)/ocaml/NBDKit.mli config.h
	@$(MKDIR_P) docs/odoc
	$(AM_V_GEN)$(ODOC_OCAMLC) -bin-annot -c -o docs/odoc/NBDKit.cmi \
	  $(srcdir)/ocaml/NBDKit.mli
docs/NBDKit.3o: docs/odoc/NBDKit.cmti $(srcdir)/docs/local.mk
	@$(MKDIR_P) docs
	$(AM_V_GEN)$(call odoc_man,docs/odoc/NBDKit.cmti,nbdkit,NBDKit,write nbdkit plugins in OCaml (the record API of nbdkit 1.16 to 1.28),$@)

# The labelled module, in a directory of its own like its installed
# files, so that its .cmi does not replace the record module's.
docs/odoc/labelled/NBDKit.cmti: $(srcdir)/ocaml/labelled/NBDKit.mli config.h
	@$(MKDIR_P) docs/odoc/labelled
	$(AM_V_GEN)$(ODOC_OCAMLC) -bin-annot -c -o docs/odoc/labelled/NBDKit.cmi \
	  $(srcdir)/ocaml/labelled/NBDKit.mli
docs/NBDKit-labelled.3o: docs/odoc/labelled/NBDKit.cmti $(srcdir)/docs/local.mk
	@$(MKDIR_P) docs
	$(AM_V_GEN)$(call odoc_man,docs/odoc/labelled/NBDKit.cmti,nbdkit-labelled,NBDKit-labelled,write nbdkit plugins in OCaml (the labelled API of nbdkit 1.30 and later: module NBDKit in +nbdkit-labelled),$@)
