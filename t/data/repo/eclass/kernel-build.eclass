# Stand-in for the demo tree only (see t/data/README): manifest-gen reads
# the inherited eclasses for SRC_URI, and the corpus copy of kernel-build.eclass is
# an older, EAPI 7-only version. This one adds nothing to SRC_URI.
