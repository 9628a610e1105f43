# The example plugins, built by the recipe in nbdkit-ocaml-plugin(3):
# ramdisk.ml as it is, filedisk.ml with threads.cmxa (THREADS_LINK, see
# tests/local.mk; on OCaml 5 build_plugin adds -I +unix).
example_plugins = examples/nbdkit-ramdisk-plugin.so \
	examples/nbdkit-filedisk-plugin.so
noinst_DATA += $(example_plugins)
EXTRA_DIST += examples/ramdisk.ml examples/filedisk.ml

examples/nbdkit-ramdisk-plugin.so: examples/ramdisk.ml $(PLUGIN_DEPS)
	$(AM_V_GEN)cd examples && \
	  $(call build_plugin,nbdkit-ramdisk-plugin.so,,ramdisk.ml)

examples/nbdkit-filedisk-plugin.so: examples/filedisk.ml $(PLUGIN_DEPS)
	$(AM_V_GEN)cd examples && \
	  $(call build_plugin,nbdkit-filedisk-plugin.so,$(THREADS_LINK),filedisk.ml)

# Serve the example with nbdkit and read it with real NBD clients.
run-example: examples/nbdkit-ramdisk-plugin.so
	PATH=/usr/bin:$$PATH nbdkit -U - --exit-with-parent \
	  $(abs_builddir)/examples/nbdkit-ramdisk-plugin.so size=16M \
	  --run 'nbdinfo "$$uri" && nbdsh -u "$$uri" -c "import sys; sys.stdout.write(h.pread(46, 0).decode())"'

# Install them where "nbdkit ramdisk" and "nbdkit filedisk" find them;
# make uninstall removes them again.
install-example: $(example_plugins)
	$(MKDIR_P) $(DESTDIR)$(nbdkitplugindir)
	$(INSTALL_PROGRAM) $(example_plugins) $(DESTDIR)$(nbdkitplugindir)/

uninstall-local:
	rm -f $(example_plugins:examples/%=$(DESTDIR)$(nbdkitplugindir)/%)

.PHONY: run-example install-example
