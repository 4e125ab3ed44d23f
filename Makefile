# dk: the dist-kernel bump suite. Plain GNU make, one file, no recursion
# except the sanitizer build of "make check" (same rules, O=asan/).
# Licence: GPL-2.0-only, see README.

VERSION = 0.1.0
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
	-DDK_VERSION='"$(VERSION)"' -DDK_DATADIR='"$(DATADIR)"' \
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
MANS = $(PROGS:%=man/%.1)
# contrib/ scripts that get a command in BINDIR.
CONTRIB_BINS = bump-kernels bump-kernels-bin

# Debian packages every build, test, demo and bench step needs.
DEPS = \
	gcc \
	make \
	pkg-config \
	libcurl4-openssl-dev \
	libssl-dev \
	libyaml-dev \
	check \
	mandoc \
	git \
	gpg \
	gpg-agent \
	gpgv \
	openssl \
	python3 \
	nginx \
	docker.io \
	openssh-server \
	openssh-client \
	kup-server \
	kup-client \
	rsync \
	busybox-static \
	shellcheck \
	curl \
	time \
	xz-utils \
	zstd \
	ca-certificates

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

units: $(UNITS)

# The whole suite twice: the normal build, then the same tests on an
# AddressSanitizer+UBSan build; t/run.sh prints the one closing count.
check: deps
	$(MAKE) all units
	$(MAKE) O=asan/ SANITIZE=1 all units
	t/run.sh . asan/

# The whole bump on the bundled sample, on loopback: see README.
demo: deps all
	t/demo.sh

# Only the man pages, for a quick look.
lint:
	mandoc -Tlint -W warning $(MANS)

# Installs what is missing with apt-get; quiet when nothing is.
deps:
	@missing=; for p in $(DEPS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q ' installed$$' || missing="$$missing $$p"; \
	done; \
	[ -z "$$missing" ] && exit 0; \
	if [ "$$(id -u)" != 0 ]; then \
		echo "make deps: missing:$$missing"; \
		echo "run as root: apt-get update && apt-get install -y --no-install-recommends$$missing"; \
		exit 1; \
	fi; \
	echo "make deps: installing$$missing"; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	for p in $(PROGS); do install -m 755 cmd/$$p $(DESTDIR)$(BINDIR)/$$p; done
	for p in $(PROGS); do install -m 644 man/$$p.1 $(DESTDIR)$(MANDIR)/man1/$$p.1; done
	if [ -d contrib ] && [ -n "$$(ls contrib)" ]; then \
		mkdir -p $(DESTDIR)$(DATADIR) && cp -R contrib/. $(DESTDIR)$(DATADIR)/ && \
		chmod -R u=rwX,go=rX $(DESTDIR)$(DATADIR); fi
	mkdir -p $(DESTDIR)$(BASHCOMPDIR)
	for s in $(CONTRIB_BINS); do ln -sfr $(DESTDIR)$(DATADIR)/$$s $(DESTDIR)$(BINDIR)/$$s; done
	for p in $(PROGS) $(CONTRIB_BINS); do \
		ln -sfr $(DESTDIR)$(DATADIR)/completion/dk.bash $(DESTDIR)$(BASHCOMPDIR)/$$p; done

uninstall:
	for p in $(PROGS); do rm -f $(DESTDIR)$(BINDIR)/$$p $(DESTDIR)$(MANDIR)/man1/$$p.1; done
	for p in $(CONTRIB_BINS); do rm -f $(DESTDIR)$(BINDIR)/$$p; done
	for p in $(PROGS) $(CONTRIB_BINS); do rm -f $(DESTDIR)$(BASHCOMPDIR)/$$p; done
	rm -rf $(DESTDIR)$(DATADIR)

clean:
	rm -rf asan t/out lib/*.o lib/*.d lib/libdk.a $(PROGS:%=cmd/%) cmd/*.d \
		$(patsubst %.c,%,$(wildcard t/unit/*.c)) t/unit/*.d

.PHONY: all units check lint deps install uninstall clean demo
-include $(LIBOBJ:.o=.d) $(BINS:=.d) $(UNITS:=.d)
