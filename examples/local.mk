# The example plugin, built by the seed's recipe.
noinst_DATA += examples/nbdkit-ramdisk-plugin.so
EXTRA_DIST += examples/ramdisk.ml

examples/nbdkit-ramdisk-plugin.so: examples/ramdisk.ml $(PLUGIN_DEPS)
	$(AM_V_GEN)cd examples && \
	  $(call build_plugin,nbdkit-ramdisk-plugin.so,,ramdisk.ml)

# Serve the example with nbdkit and read it with real NBD clients.
run-example: examples/nbdkit-ramdisk-plugin.so
	PATH=/usr/bin:$$PATH nbdkit -U - --exit-with-parent \
	  $(abs_builddir)/examples/nbdkit-ramdisk-plugin.so size=16M \
	  --run 'nbdinfo "$$uri" && nbdsh -u "$$uri" -c "import sys; sys.stdout.write(h.pread(46, 0).decode())"'

# Install it where "nbdkit ramdisk" finds it.
install-example: examples/nbdkit-ramdisk-plugin.so
	$(MKDIR_P) $(DESTDIR)$(nbdkitplugindir)
	$(INSTALL_PROGRAM) examples/nbdkit-ramdisk-plugin.so $(DESTDIR)$(nbdkitplugindir)/

.PHONY: run-example install-example
