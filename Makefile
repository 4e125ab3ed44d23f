# dk: the dist-kernel bump suite. Plain GNU make, one file, no recursion
# except the sanitizer build of "make check" (same rules, O=asan/).
# Licence: GPL-2.0-only, see README.

VERSION = 0.1.0
# Where "make install" puts things. Nothing of it is compiled in: the
# programs find their data as BINDIR/../share/dk at run time, so keep
# DATADIR there when changing BINDIR, and any PREFIX or DESTDIR works
# without a rebuild.
PREFIX = /usr/local
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man
DATADIR = $(PREFIX)/share/dk
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions

CC = cc
AR = ar
PKGS = libcurl openssl yaml-0.1

# O: prefix of every build product, so a second build (the sanitizer one)
# can live beside the first without cleaning it.
O =
SANITIZE =

DK_CFLAGS = -std=c11 -Wall -Wextra -Wpedantic -g \
	-D_GNU_SOURCE \
	-DDK_VERSION='"$(VERSION)"' \
	-Ilib $(shell pkg-config --cflags $(PKGS))
DK_LIBS = $(shell pkg-config --libs $(PKGS)) -lpthread
CHECK_CFLAGS = $(shell pkg-config --cflags check)
CHECK_LIBS = $(shell pkg-config --libs check)
ifneq ($(SANITIZE),)
DK_CFLAGS += -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
DK_LIBS += -fsanitize=address,undefined
else
CFLAGS ?= -O2
endif

# Every file in lib/ is part of libdk.a, every cmd/NAME.c is a program,
# every t/unit/NAME.c a Check test binary: adding one is adding the file.
LIBSRC = $(sort $(wildcard lib/*.c))
LIBOBJ = $(LIBSRC:%.c=$(O)%.o)
LIBA = $(O)lib/libdk.a
PROGS = $(sort $(notdir $(basename $(wildcard cmd/*.c))))
BINS = $(PROGS:%=$(O)cmd/%)
UNITS = $(patsubst %.c,$(O)%,$(sort $(wildcard t/unit/*.c)))
# Every page: the programs', the contrib scripts' and contrib/Makefile's.
MANS = $(sort $(wildcard man/*.[1-8]))
# contrib/ scripts that get a command in BINDIR, named dk-SCRIPT so they
# never collide with mgorny-dev-scripts' bump-kernels and bump-kernels-bin.
CONTRIB_BINS = bump-kernels bump-kernels-bin

# Every build, test, demo and bench dependency, one per line: the Debian
# package, the Gentoo package, and what shows it is there (a command, a
# path, or pc:MODULE of pkg-config) on other systems. mk/deps.sh reads it;
# another list given as "make deps DEPS=..." (the fuzzers') has the same
# three columns.
DEPS = \
	gcc			sys-devel/gcc			cc \
	make			dev-build/make			make \
	pkg-config		virtual/pkgconfig		pkg-config \
	libcurl4-openssl-dev	net-misc/curl			pc:libcurl \
	libssl-dev		dev-libs/openssl		pc:openssl \
	libyaml-dev		dev-libs/libyaml		pc:yaml-0.1 \
	check			dev-libs/check			pc:check \
	mandoc			app-text/mandoc			mandoc \
	git			dev-vcs/git			git \
	gpg			app-crypt/gnupg			gpg \
	gpg-agent		app-crypt/gnupg			gpg-agent \
	gpgv			app-crypt/gnupg			gpgv \
	openssl			dev-libs/openssl		openssl \
	python3			dev-lang/python			python3 \
	nginx			www-servers/nginx		nginx \
	docker.io		app-containers/docker		dockerd \
	docker.io		app-containers/docker-cli	docker \
	openssh-server		net-misc/openssh		sshd \
	openssh-client		net-misc/openssh		ssh \
	kup-server		dev-util/kup			kup-server \
	kup-client		dev-util/kup			kup \
	util-linux		sys-apps/util-linux		unshare \
	rsync			net-misc/rsync			rsync \
	busybox-static		sys-apps/busybox		busybox \
	shellcheck		dev-util/shellcheck		shellcheck \
	curl			net-misc/curl			curl \
	time			sys-process/time		/usr/bin/time \
	xz-utils		app-arch/xz-utils		xz \
	zstd			app-arch/zstd			zstd \
	bsdutils		sys-apps/util-linux		script \
	ca-certificates		app-misc/ca-certificates	/etc/ssl/certs/ca-certificates.crt
# DEPS_HOST: debian, gentoo or other; empty: mk/deps.sh finds out.
DEPS_HOST =

all: $(LIBA) $(BINS)

$(O)lib/%.o: lib/%.c
	@mkdir -p $(@D)
	$(CC) $(DK_CFLAGS) $(CFLAGS) $(CPPFLAGS) -MMD -MP -c -o $@ $<

$(LIBA): $(LIBOBJ)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $(LIBOBJ)

$(O)cmd/%: cmd/%.c $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(DK_CFLAGS) $(CFLAGS) $(CPPFLAGS) -MMD -MP -o $@ $< $(LIBA) $(LDFLAGS) $(DK_LIBS)

$(O)t/unit/%: t/unit/%.c $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(DK_CFLAGS) $(CHECK_CFLAGS) $(CFLAGS) $(CPPFLAGS) -MMD -MP -o $@ $< $(LIBA) $(LDFLAGS) $(DK_LIBS) $(CHECK_LIBS)

# Without Check (dev-libs/check, Debian check) "make check" still runs the
# shell tests; t/run.sh says the unit tests were not built.
ifeq ($(shell pkg-config --exists check && echo yes),yes)
units: $(UNITS)
else
units:
	@echo "make: no unit tests: Check is not installed (pkg-config check; make deps)"
endif

# The whole suite twice: the normal build, then the same tests on an
# AddressSanitizer+UBSan build; t/run.sh prints the one closing count.
# It does not run "make deps": a test whose component is missing skips,
# saying so (DK_CORPUS: t/data/README).
check:
	$(MAKE) all units
	$(MAKE) O=asan/ SANITIZE=1 all units
	t/run.sh . asan/

# The whole bump on the bundled sample, on loopback: see README.
demo: deps all
	t/demo.sh

# Only the man pages, for a quick look.
lint:
	mandoc -Tlint -W warning $(MANS)

# Debian: installs what is missing with apt-get (as root; else prints the
# line); Gentoo: prints the emerge line; elsewhere lists what is missing.
# Quiet when nothing is.
deps:
	@printf '%s %s %s\n' $(DEPS) | sh mk/deps.sh $(DEPS_HOST)

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(BASHCOMPDIR)
	for p in $(PROGS); do install -m 755 cmd/$$p $(DESTDIR)$(BINDIR)/$$p; done
	for m in $(MANS); do s=$${m##*.}; mkdir -p $(DESTDIR)$(MANDIR)/man$$s && \
		install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done
	mkdir -p $(DESTDIR)$(DATADIR)
	cp -R contrib/. $(DESTDIR)$(DATADIR)/
	chmod -R u=rwX,go=rX $(DESTDIR)$(DATADIR)
	for s in $(CONTRIB_BINS); do ln -sfr $(DESTDIR)$(DATADIR)/$$s $(DESTDIR)$(BINDIR)/dk-$$s; done
	for p in $(PROGS) $(CONTRIB_BINS:%=dk-%); do \
		ln -sfr $(DESTDIR)$(DATADIR)/completion/dk.bash $(DESTDIR)$(BASHCOMPDIR)/$$p; done

uninstall:
	for p in $(PROGS) $(CONTRIB_BINS:%=dk-%); do \
		rm -f $(DESTDIR)$(BINDIR)/$$p $(DESTDIR)$(BASHCOMPDIR)/$$p; done
	for m in $(MANS); do rm -f $(DESTDIR)$(MANDIR)/man$${m##*.}/$${m#man/}; done
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf asan t/out lib/*.o lib/*.d lib/libdk.a $(PROGS:%=cmd/%) cmd/*.d \
		$(patsubst %.c,%,$(wildcard t/unit/*.c)) t/unit/*.d

.PHONY: all units check lint deps install uninstall clean demo
-include $(LIBOBJ:.o=.d) $(BINS:=.d) $(UNITS:=.d)

# ---- fuzzing (issue 14) ----
# make fuzz: a libFuzzer harness (clang, ASan + UBSan) per parser entry
# point, fuzz/NAME.c, each run for FUZZ_SECONDS in turn, one job: the
# machine may be shared. New inputs go to fuzz/out/corpus/NAME, crashes to
# fuzz/out/crash/; a crash found goes into t/fuzz/NAME/ with its fix. That
# regression corpus is replayed by "make check" through the same harnesses
# linked with fuzz/replay.c instead of libFuzzer, so CI needs no clang.
FUZZ_TARGETS = $(sort $(notdir $(basename $(filter-out fuzz/common.c fuzz/replay.c,$(wildcard fuzz/*.c)))))
FUZZ_DEPS = \
	clang			sys-devel/clang			clang \
	libfuzzer-14-dev	sys-libs/compiler-rt-sanitizers	/usr/lib/llvm-14/lib/libFuzzer.a
FUZZ_CC = clang
FUZZ_SECONDS = 60
FUZZ_SAN = address,undefined
FUZZ_CFLAGS = -O1 -g -fno-omit-frame-pointer -fno-sanitize-recover=undefined
FUZZ_LIBOBJ = $(LIBSRC:lib/%.c=fuzz/out/obj/%.o)
FUZZ_BINS = $(FUZZ_TARGETS:%=fuzz/out/%)
REPLAY_BINS = $(FUZZ_TARGETS:%=$(O)fuzz/replay/%)

units: $(REPLAY_BINS)

$(O)fuzz/replay/%: fuzz/%.c fuzz/common.c fuzz/replay.c fuzz/fuzz.h $(LIBA)
	@mkdir -p $(@D)
	$(CC) $(DK_CFLAGS) -Ifuzz $(CFLAGS) $(CPPFLAGS) -o $@ $< fuzz/common.c fuzz/replay.c $(LIBA) $(LDFLAGS) $(DK_LIBS)

fuzz/out/obj/%.o: lib/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(DK_CFLAGS) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -MMD -MP -c -o $@ $<

fuzz/out/libdk.a: $(FUZZ_LIBOBJ)
	rm -f $@
	$(AR) rcs $@ $(FUZZ_LIBOBJ)

fuzz/out/%: fuzz/%.c fuzz/common.c fuzz/fuzz.h fuzz/out/libdk.a
	$(FUZZ_CC) $(DK_CFLAGS) -Ifuzz $(FUZZ_CFLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $< fuzz/common.c \
		fuzz/out/libdk.a $(DK_LIBS)

fuzz-deps:
	@$(MAKE) --no-print-directory deps DEPS="$(FUZZ_DEPS)"

fuzz-build: fuzz-deps
	$(MAKE) $(FUZZ_BINS)

fuzz: fuzz-build
	@failed=; for t in $(FUZZ_TARGETS); do \
		mkdir -p fuzz/out/corpus/$$t fuzz/out/crash || exit 1; \
		echo "fuzz: $$t, $(FUZZ_SECONDS) s"; \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 fuzz/out/$$t -max_total_time=$(FUZZ_SECONDS) \
			-timeout=10 -print_final_stats=1 -artifact_prefix=fuzz/out/crash/$$t- \
			fuzz/out/corpus/$$t t/fuzz/$$t 2>fuzz/out/$$t.log || failed="$$failed $$t"; \
		grep -E '^stat::(number_of_executed_units|average_exec_per_sec)|^SUMMARY' fuzz/out/$$t.log; \
	done; \
	[ -z "$$failed" ] || { echo "fuzz: crashed:$$failed (fuzz/out/NAME.log, fuzz/out/crash/)"; exit 1; }

fuzz-clean:
	rm -rf fuzz/out fuzz/replay

clean: fuzz-clean

.PHONY: fuzz fuzz-build fuzz-deps fuzz-clean
-include $(FUZZ_LIBOBJ:.o=.d)
