#!/bin/sh
# make deps away from Debian: with no dpkg-query on PATH it lists what is
# missing by command and pkg-config name; on Gentoo (an emerge on PATH)
# it prints the one emerge line and runs nothing.
. "$(dirname "$0")/lib.sh"

make=$(command -v make) || { skip "make deps" "make not installed"; exit 0; }
# a PATH with the tools make deps itself uses and a few it checks for,
# and no dpkg-query, apt-get or emerge
bin=$T/bin
mkdir -p "$bin"
for c in sh grep id cat pkg-config git; do
	p=$(command -v "$c") && ln -s "$p" "$bin/$c"
done
# pkg-config finds no module at all
deps() { env -i HOME="$T" PATH="$bin" PKG_CONFIG_LIBDIR="$T/nopc" PKG_CONFIG_PATH= "$make" -s -C "$DK_TOP" deps "$@" 2>"$T/err"; }

deps >"$T/out"
t_eq "no dpkg-query, no emerge: make deps fails" 2 $?
t_grep "says it is neither Debian nor Gentoo" "^make deps: neither Debian \(dpkg-query, apt-get\) nor Gentoo \(emerge\); missing:$" "$T/out"
t_grep "a missing command by its name" "^    command mandoc    \(Debian: mandoc, Gentoo: app-text/mandoc\)$" "$T/out"
t_grep "a missing library by its pkg-config name" "^    pkg-config libcurl    \(Debian: libcurl4-openssl-dev, Gentoo: net-misc/curl\)$" "$T/out"
if [ -x /usr/sbin/sshd ]; then
	if grep -q '^    command sshd ' "$T/out"; then fail "sshd found in sbin" "$(cat "$T/out")"; else ok "sshd found in sbin"; fi
fi
if grep -q '^    command git ' "$T/out"; then fail "a command on PATH is not listed" "$(cat "$T/out")"; else ok "a command on PATH is not listed"; fi
t_grep "ends with what to do" "^make deps: install them with this system's package manager$" "$T/out"

# Gentoo: an emerge on PATH that must not be run
printf '#!/bin/sh\necho ran >"%s/emerge.ran"\nexit 1\n' "$T" >"$bin/emerge"
chmod +x "$bin/emerge"
deps >"$T/out"
t_eq "Gentoo: make deps fails while something is missing" 2 $?
t_grep "Gentoo: says so" "^make deps: missing on this Gentoo system; as root run:$" "$T/out"
t_grep "Gentoo: one emerge line with Gentoo names" "^emerge --ask --noreplace .*dev-libs/check .*app-text/mandoc( |$)" "$T/out"
t_eq "Gentoo: the emerge line is the last line" "emerge" "$(tail -n 1 "$T/out" | cut -d' ' -f1)"
t_eq "Gentoo: each package once" 1 "$(tail -n 1 "$T/out" | tr ' ' '\n' | grep -c '^app-crypt/gnupg$')"
if grep -q ' dev-vcs/git' "$T/out"; then fail "Gentoo: what is there is not listed" "$(cat "$T/out")"; else ok "Gentoo: what is there is not listed"; fi
t_run "Gentoo: emerge itself was not run" 1 test -e "$T/emerge.ran"
# the host can be named, for printing another machine's line
deps DEPS_HOST=gentoo >"$T/out"
t_grep "DEPS_HOST=gentoo" "^emerge --ask --noreplace " "$T/out"

# Debian, where this runs: nothing missing means quiet success (the CI
# image has everything after its own "make deps").
if command -v dpkg-query >/dev/null && "$make" -s -C "$DK_TOP" deps >"$T/out" 2>&1; then
	t_run "Debian: quiet when nothing is missing" 0 test ! -s "$T/out"
fi
