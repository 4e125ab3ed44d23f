# t/lib/manifest.sh: helpers for manifest-gen tests. Source after t/lib.sh.
# Licence: GPL-2.0-only.

# dist_line FILE [NAME]: the Manifest line for FILE, computed by coreutils
# (b2sum, sha512sum), independently of manifest-gen.
dist_line() {
	printf 'DIST %s %s BLAKE2B %s SHA512 %s\n' "${2:-$(basename "$1")}" "$(stat -c %s "$1")" \
		"$(b2sum "$1" | cut -d' ' -f1)" "$(sha512sum "$1" | cut -d' ' -f1)"
}

# t_empty NAME FILE: passes when FILE is empty.
t_empty() { if [ -s "$2" ]; then fail "$1" "not empty: $(head -c 200 "$2")"; else ok "$1"; fi; }

# mkfile PATH KIB: PATH with KIB KiB of pseudo-random bytes.
mkfile() { head -c "$(($2 * 1024))" /dev/urandom >"$1"; }

# No test may reach beyond loopback: any URL that is not 127.0.0.1 goes
# to a proxy on a closed loopback port and fails at once.
export http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 ftp_proxy=http://127.0.0.1:9
export no_proxy=127.0.0.1 GENTOO_MIRRORS=
