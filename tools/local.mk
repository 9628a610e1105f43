# nbdocaml-call, the command-line tool: a client of the public C API only,
# linked with the installed-to-be libnbdocaml.so like any host program.
bin_PROGRAMS = tools/nbdocaml-call
tools_nbdocaml_call_SOURCES = tools/nbdocaml-call.c tools/call.c \
	tools/info.c tools/hexdump.c tools/client.c tools/tool.h
# incompatible-pointer-types is an error so that the table of callbacks
# (generated from NBDOCAML_CALLBACKS) cannot silently call a function
# with the wrong signature.
tools_nbdocaml_call_CFLAGS = $(AM_CFLAGS) $(GLIB_CFLAGS) $(JSON_GLIB_CFLAGS) \
	-Werror=incompatible-pointer-types
tools_nbdocaml_call_LDADD = lib/libnbdocaml.la $(JSON_GLIB_LIBS) $(GLIB_LIBS)
# Only the public header: lib/'s internal headers are out of reach.
tools_nbdocaml_call_CPPFLAGS = -I$(top_srcdir)/include
