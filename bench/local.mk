# Benchmarks (issue 6): "make bench" prints one table comparing the OCaml
# plugins with nbdkit's C memory plugin, Python and Lua, and one comparing
# the file-backed example with nbdkit's C file plugin (issue 13).  Nothing here is
# built by "make" or "make check".  Knobs, passed through the environment
# or the make command line:
#   BENCH_QUICK=1        256M disk, 1 run, 2 s fio runs (for development)
#   BENCH_SIZE=1G        disk size for the bandwidth and IOPS rows
#   BENCH_RUNS=3         runs per measurement (the median is reported)
#   BENCH_FIO_RUNTIME=5  seconds per fio run
#   BENCH_ONLY=...       comma-separated subset of: bw,iops,calls,threads,
#                        file (examples/filedisk.ml against nbdkit's C file
#                        plugin: BENCH_ONLY=file runs only those rows)
#   BENCH_SERVERS=...    comma-separated subset of: c_par,c_ser,ml_str,
#                        ml_buf,py,lua (development only)
#   BENCH_JSON=FILE      also write every raw number to FILE

BENCH_PLUGINS = bench/nbdkit-ram_string-plugin.so \
	bench/nbdkit-ram_string_threads-plugin.so \
	bench/nbdkit-ram_buf-plugin.so bench/nbdkit-sleepy-plugin.so \
	bench/nbdkit-sleepy_nothreads-plugin.so
EXTRA_DIST += bench/ram_string.ml bench/ram_buf.ml bench/sleepy.ml \
	bench/ram.py bench/ram.lua bench/run.py bench/RESULTS.md

bench/nbdkit-ram_string-plugin.so: bench/ram_string.ml $(PLUGIN_DEPS)
	$(AM_V_GEN)cd bench && \
	  $(call build_plugin,nbdkit-ram_string-plugin.so,,ram_string.ml)
# ram_string.ml again with threads.cmxa, for the cost of a call through
# systhreads' lock (and on OCaml 5 the domain lock).
bench/ram_string_threads.ml: bench/ram_string.ml
	$(AM_V_GEN)cp $< $@
bench/nbdkit-ram_string_threads-plugin.so: bench/ram_string_threads.ml $(PLUGIN_DEPS)
	$(AM_V_GEN)cd bench && \
	  $(call build_plugin,nbdkit-ram_string_threads-plugin.so,$(THREADS_LINK),ram_string_threads.ml)
CLEANFILES += bench/ram_string_threads.ml
bench/nbdkit-ram_buf-plugin.so: bench/ram_buf.ml $(PLUGIN_DEPS)
	$(AM_V_GEN)cd bench && \
	  $(call build_plugin,nbdkit-ram_buf-plugin.so,,ram_buf.ml)
# sleepy.ml twice: with threads.cmxa (the measured plugin) and without it
# (the control, which cannot overlap requests).  Each build gets its own
# copy of the source, so the two never share intermediate files.
bench/sleepy_threads.ml bench/sleepy_nothreads.ml: bench/sleepy.ml
	$(AM_V_GEN)cp $< $@
bench/nbdkit-sleepy-plugin.so: bench/sleepy_threads.ml $(PLUGIN_DEPS)
	$(AM_V_GEN)cd bench && \
	  $(call build_plugin,nbdkit-sleepy-plugin.so,$(THREADS_LINK),sleepy_threads.ml)
bench/nbdkit-sleepy_nothreads-plugin.so: bench/sleepy_nothreads.ml $(PLUGIN_DEPS)
	$(AM_V_GEN)cd bench && \
	  $(call build_plugin,nbdkit-sleepy_nothreads-plugin.so,unix.cmxa,sleepy_nothreads.ml)
CLEANFILES += bench/sleepy_threads.ml bench/sleepy_nothreads.ml

# The in-process benchmark, linked to the uninstalled libnbdocaml.so
# (-no-install: a real executable, runnable under perf or valgrind).
EXTRA_PROGRAMS = bench/bench-calls bench/bench-runtime-floor
CLEANFILES += $(EXTRA_PROGRAMS)
bench_bench_calls_SOURCES = bench/bench-calls.c include/nbdocaml.h
bench_bench_calls_LDADD = lib/libnbdocaml.la
bench_bench_calls_LDFLAGS = $(AM_LDFLAGS) -no-install

# The runtime's own lock pair, the floor under bench-calls' figures: an
# empty OCaml program and a C stub linked by the plugins' recipe (without
# the glue), with and without threads.cmxa, and a C program that loads
# them as plugins are loaded.
bench_bench_runtime_floor_SOURCES = bench/bench-runtime-floor.c
bench_bench_runtime_floor_LDADD = -ldl
FLOOR_OBJECTS = bench/runtime-floor.so bench/runtime-floor-threads.so
EXTRA_DIST += bench/runtime_floor.ml bench/runtime-floor-stubs.c
bench/runtime-floor-stubs.o: bench/runtime-floor-stubs.c
	$(AM_V_CC)$(CC) $(CFLAGS) -fPIC -pthread -I$(OCAML_WHERE) -c -o $@ $<
bench/runtime_floor_threads.ml: bench/runtime_floor.ml
	$(AM_V_GEN)cp $< $@
bench/runtime-floor.so: bench/runtime_floor.ml bench/runtime-floor-stubs.o
	$(AM_V_GEN)cd bench && $(OCAMLOPT) -output-obj -runtime-variant _pic \
	  -o runtime-floor.so runtime_floor.ml runtime-floor-stubs.o
bench/runtime-floor-threads.so: bench/runtime_floor_threads.ml \
		bench/runtime-floor-stubs.o
	$(AM_V_GEN)cd bench && $(OCAMLOPT) -output-obj -runtime-variant _pic \
	  -o runtime-floor-threads.so $(OCAML_UNIX_INCLUDE) $(THREADS_LINK) \
	  runtime_floor_threads.ml runtime-floor-stubs.o
CLEANFILES += $(FLOOR_OBJECTS) bench/runtime-floor-stubs.o \
	bench/runtime_floor_threads.ml bench/runtime_floor*.cm[iox] \
	bench/runtime_floor*.o

bench: $(BENCH_PLUGINS) examples/nbdkit-filedisk-plugin.so bench/bench-calls \
		bench/bench-runtime-floor $(FLOOR_OBJECTS)
	OCAML_VERSION=$(OCAML_VERSION) python3 $(srcdir)/bench/run.py \
	  --builddir $(abs_builddir) \
	  --srcdir $(abs_srcdir)
.PHONY: bench
