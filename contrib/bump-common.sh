# bump-common.sh: what bump-kernels and bump-kernels-bin share, sourced by
# both: options, kernel versions, DISTDIR, the checks that come before the
# first write, the pins, and the transaction that undoes a package which
# did not reach its commit. POSIX sh. Licence: GPL-2.0-only.
#
# The caller sets prog (its name for messages), dry, force_version, keep
# and settings, then calls bc_* and tx_* functions.
# shellcheck shell=sh disable=SC2154

say() { printf '>>> %s\n' "$*" >&2; }
warn() { printf '%s: %s\n' "$prog" "$*" >&2; }
# problem MSG: one line per problem of the checks; the run stops after them.
problems=0
problem() { warn "$*"; problems=$((problems + 1)); }
run() {
	if [ "$dry" -eq 1 ]; then printf '+ %s\n' "$*" >&2; else "$@"; fi
}

# bc_version: "PROG (dk) VERSION", the suite's version as its programs say it.
bc_version() {
	_v=$(ebuild-copy -V 2>/dev/null) || _v="ebuild-copy ?"
	echo "$prog (dk) ${_v#* }"
}

# bc_deprecated OLD NEW: warns once per run that option OLD is now NEW.
bc_deprecated() {
	case " ${_warned:-} " in *" $1 "*) return 0 ;; esac
	_warned="${_warned:-} $1"
	warn "$1 is deprecated: use $2"
}

# kver_ok V: a kernel version as the dist-kernel ebuilds spell it:
# N.N[.N...] with an optional _pN or _rcN and an optional -rN.
kver_ok() {
	printf '%s\n' "$1" | grep -Eqx '[0-9]+(\.[0-9]+)+(_(p|rc)[0-9]+)?(-r[0-9]+)?'
}

# kver_cmp A B: prints -1, 0 or 1 as PMS orders two kernel versions
# (numeric components, then _rc < none < _p, then -rN).
kver_cmp() {
	awk -v a="$1" -v b="$2" '
	function key(v, k,   r, s, n, i, c) {
		r = 0; if (match(v, /-r[0-9]+$/)) { r = substr(v, RSTART + 2) + 0; v = substr(v, 1, RSTART - 1) }
		s = 1; n = 0
		if (match(v, /_rc[0-9]+$/)) { s = 0; n = substr(v, RSTART + 3) + 0; v = substr(v, 1, RSTART - 1) }
		else if (match(v, /_p[0-9]+$/)) { s = 2; n = substr(v, RSTART + 2) + 0; v = substr(v, 1, RSTART - 1) }
		c = split(v, k, ".")
		k["n"] = c; k["s"] = s; k["sn"] = n; k["r"] = r
	}
	BEGIN {
		key(a, x); key(b, y)
		m = x["n"] > y["n"] ? x["n"] : y["n"]
		for (i = 1; i <= m; i++) {
			if (i > x["n"]) { print -1; exit }
			if (i > y["n"]) { print 1; exit }
			if (x[i] + 0 != y[i] + 0) { print (x[i] + 0 < y[i] + 0) ? -1 : 1; exit }
		}
		if (x["s"] != y["s"]) { print (x["s"] < y["s"]) ? -1 : 1; exit }
		if (x["sn"] != y["sn"]) { print (x["sn"] < y["sn"]) ? -1 : 1; exit }
		if (x["r"] != y["r"]) { print (x["r"] < y["r"]) ? -1 : 1; exit }
		print 0
	}'
}

# kver_series V: "6.18" for 6.18.2_p1.
kver_series() { printf '%s\n' "$1" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/'; }

# bc_check_pair OLD NEW: one problem line unless OLD < NEW in one series
# (both only with --force-version).
bc_check_pair() {
	if ! kver_ok "$1"; then problem "$1: not a kernel version"; return 1; fi
	if ! kver_ok "$2"; then problem "$2: not a kernel version"; return 1; fi
	[ "$force_version" -eq 1 ] && return 0
	if [ "$(kver_cmp "$1" "$2")" -ge 0 ]; then
		problem "$1 $2: $2 is not newer than $1 (--force-version allows it)"
		return 1
	fi
	if [ "$(kver_series "$1")" != "$(kver_series "$2")" ]; then
		problem "$1 $2: not the same series (--force-version allows it)"
		return 1
	fi
}

# bc_distdir: DISTDIR as manifest-gen finds it (-d, $DISTDIR, portageq
# distdir, /var/cache/distfiles); created when missing, as pkgdev does;
# a problem when it cannot be or is not writable.
bc_distdir() {
	if [ -z "$distdir" ]; then
		distdir=${DISTDIR:-}
		[ -n "$distdir" ] || distdir=$(portageq distdir 2>/dev/null) || distdir=
		[ -n "$distdir" ] || distdir=/var/cache/distfiles
	fi
	if [ ! -d "$distdir" ]; then
		if [ "$dry" -eq 1 ]; then
			printf '+ mkdir -p %s\n' "$distdir" >&2
			return 0
		fi
		if ! mkdir -p -- "$distdir" 2>/dev/null; then
			problem "DISTDIR $distdir: cannot be created"
			return 1
		fi
	fi
	if [ ! -w "$distdir" ] || [ ! -x "$distdir" ]; then
		problem "DISTDIR $distdir: not writable"
		return 1
	fi
}

# bc_set_arg SPEC: adds one --set [PN[-NEW]:]NAME=VALUE, refusing a bad one.
bc_set_arg() {
	case $1 in
	*=*) ;;
	*) warn "--set $1: not [PN[-NEW]:]NAME=VALUE"; exit 2 ;;
	esac
	_n=${1%%=*}
	_n=${_n#*:}
	if ! printf '%s\n' "$_n" | grep -Eqx '[A-Za-z_][A-Za-z0-9_]*'; then
		warn "--set $1: '$_n' is not a variable name"
		exit 2
	fi
	settings="$settings$1
"
}

# bc_settings_for PN NEW: the NAME=VALUE settings meant for PN-NEW, one a line.
bc_settings_for() {
	printf '%s' "$settings" | while IFS= read -r _s; do
		[ -n "$_s" ] || continue
		case ${_s%%=*} in
		*:*) _for=${_s%%:*} _s=${_s#*:}
			[ "$_for" = "$1" ] || [ "$_for" = "$1-$2" ] || continue ;;
		esac
		printf '%s\n' "$_s"
	done
}

# bc_globals FILE: the names FILE assigns at global scope, sorted, without
# the metadata every ebuild has (those are never a pin).
bc_globals() {
	grep -oE '^[A-Za-z_][A-Za-z0-9_]*\+?=' "$1" | sed 's/+\{0,1\}=$//' | sort -u |
	while read -r _n; do
		case $_n in
		EAPI | DESCRIPTION | HOMEPAGE | SRC_URI | LICENSE | SLOT | KEYWORDS | IUSE | \
		REQUIRED_USE | PROPERTIES | RESTRICT | DEPEND | RDEPEND | BDEPEND | PDEPEND | \
		IDEPEND | S | KERNEL_IUSE_* | QA_* | VERIFY_SIG_* | KV_*) continue ;;
		esac
		if ebuild-setvar -g "$_n" "$1" >/dev/null 2>&1; then printf '%s\n' "$_n"; fi
	done
}

# bc_names_version VALUE V: true when VALUE names version V as a whole
# (6.18.1 in "linux-gentoo-patches-6.18.1", not in "6.18.10").
bc_names_version() {
	_re=$(printf '%s' "$2" | sed 's/\./\\./g')
	printf '%s\n' "$1" | grep -Eq "(^|[^0-9.])$_re([^0-9]|\$)"
}

# bc_pins FILE PN OLD NEW EXEMPT: a problem line for each global of FILE
# whose raw value still names OLD (or OLD's patch level, 6.18.1 for
# 6.18.1_p2), unless it is in the space-separated EXEMPT names, set with
# --set for PN-NEW or kept with --keep-pin. (sh has no locals: _pin_*.)
bc_pins() {
	_pin_f=$1 _pin_pn=$2 _pin_old=$3 _pin_new=$4 _pin_ex=" $5 $keep "
	for _pin_n in $(bc_globals "$_pin_f"); do
		case $_pin_ex in *" $_pin_n "*) continue ;; esac
		if bc_settings_for "$_pin_pn" "$_pin_new" | grep -q "^$_pin_n="; then continue; fi
		_pin_v=$(ebuild-setvar -g "$_pin_n" "$_pin_f" 2>/dev/null) || continue
		for _pin_o in "$_pin_old" "${_pin_old%_p*}"; do
			if bc_names_version "$_pin_v" "$_pin_o"; then
				problem "$_pin_pn-$_pin_new: $_pin_n still names $_pin_o ($_pin_v): --set $_pin_pn-$_pin_new:$_pin_n=VALUE, or --keep-pin $_pin_n"
				break
			fi
		done
	done
}

# bc_check_settings PN NEW FILE: a problem for each setting meant for
# PN-NEW by name (PN:, PN-NEW:) that FILE does not assign.
bc_check_settings() {
	printf '%s' "$settings" | while IFS= read -r _s; do
		case ${_s%%=*} in *:*) ;; *) continue ;; esac
		_for=${_s%%:*} _n=${_s#*:}
		_n=${_n%%=*}
		[ "$_for" = "$1" ] || [ "$_for" = "$1-$2" ] || continue
		ebuild-setvar -g "$_n" "$3" >/dev/null 2>&1 ||
			echo "--set $_s: $3 does not assign $_n at global scope"
	done
}

# bc_source PKGDIR OLD NEW: the ebuild ebuild-copy would copy; else
# ebuild-copy's reason, and false.
bc_source() {
	# (|| : as set -e would end this subshell before the reason is told)
	_o=$(ebuild-copy -n "$1" "$2" "$3" 2>&1 >/dev/null) || :
	_src=$(printf '%s\n' "$_o" | sed -n 's/.*would copy \(.*\.ebuild\) to .*/\1/p' | head -n 1)
	if [ -z "$_src" ]; then
		printf '%s\n' "${_o#ebuild-copy: }" | head -n 1
		return 1
	fi
	printf '%s\n' "$_src"
}

# bc_committed FILE...: true when every FILE is tracked and as HEAD has it.
bc_committed() {
	git ls-files --error-unmatch -- "$@" >/dev/null 2>&1 &&
		git diff --quiet HEAD -- "$@" 2>/dev/null
}

# --- the transaction of one package ---
# $J holds what undoes it: head (HEAD before), pkg, created (files this
# package writes, removed on failure), saved/ (copies of the files it
# rewrites). It outlives a kill -9, so the next run undoes it first.
tx_begin() {	# tx_begin CAT/PN
	mkdir -p "$J/saved"
	git rev-parse -q --verify HEAD >"$J/head" || :
	printf '%s\n' "$1" >"$J/pkg"
	: >"$J/created"
	: >"$J/rewritten"
}
tx_creates() { printf '%s\n' "$@" >>"$J/created"; }
tx_rewrites() {	# tx_rewrites FILE: saved now, put back on failure
	_k=$(wc -l <"$J/rewritten")
	if [ -e "$1" ]; then cp -p -- "$1" "$J/saved/$_k"; fi
	printf '%s\n' "$1" >>"$J/rewritten"
}
tx_end() { rm -rf "$J"; }

tx_rollback() {	# tx_rollback WHY
	[ -d "$J" ] || return 0
	trap '' INT TERM HUP
	_pkg=$(cat "$J/pkg" 2>/dev/null || echo '?')
	_h=$(cat "$J/head" 2>/dev/null || :)
	if [ -n "$_h" ] && [ "$(git rev-parse -q --verify HEAD)" != "$_h" ]; then
		git reset -q --soft "$_h"
	fi
	_k=0
	while IFS= read -r _f; do
		git reset -q -- "$_f" 2>/dev/null || :
		if [ -e "$J/saved/$_k" ]; then
			cp -p -- "$J/saved/$_k" "$_f.dk-restore" && mv -f -- "$_f.dk-restore" "$_f"
		else
			rm -f -- "$_f"
		fi
		_k=$((_k + 1))
	done <"$J/rewritten"
	while IFS= read -r _f; do
		[ -n "$_f" ] || continue
		git reset -q -- "$_f" 2>/dev/null || :
		rm -f -- "$_f"
	done <"$J/created"
	rm -rf "$J"
	warn "$1: $_pkg restored as it was before this bump"
}

# tx_init: $J for this checkout, and what a killed run left undone.
tx_init() {
	J=$(cd "$(git rev-parse --git-dir)" && pwd)/$journal
	[ -d "$J" ] || return 0
	if [ "$dry" -eq 0 ]; then
		tx_rollback "a previous run was stopped"
	else
		warn "a previous run was stopped during $(cat "$J/pkg" 2>/dev/null): the next run undoes it first"
	fi
}

# tx_trap: failure or ^C (INT, TERM, HUP) undoes the package under way.
tx_trap() {
	trap 'tx_exit' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
}
tx_exit() {
	_rc=$?
	if [ $_rc -ne 0 ] && [ "$dry" -eq 0 ]; then tx_rollback "stopped (exit $_rc)"; fi
	[ -z "${snap:-}" ] || rm -rf "$snap"
	# the plan's scratch files beside the journal
	[ -z "${J:-}" ] || rm -f "$J".*
	exit $_rc
}
