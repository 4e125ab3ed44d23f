#!/bin/sh
# Floods (issue 14, 6): garbage on stdin gives at most ten problems, then
# "N more problems"; no raw bytes of it reach the terminal; a 10 MB line
# is quoted in at most 80 bytes.
. "$(dirname "$0")/lib.sh"

P=$T/repo/cat/pkg
mkdir -p "$P"
printf 'EAPI=8\nSLOT=0\n' >"$P/pkg-1.ebuild"
# deterministic garbage: every byte value, many lines
awk 'BEGIN { srand(14); for (i = 0; i < 3000; i++) { l = ""; for (j = 0; j < 40; j++) l = l sprintf("%c", int(rand() * 255) + 1); print l } }' >"$T/garbage"
awk 'BEGIN { l = "x"; while (length(l) < 10000000) l = l l; print substr(l, 1, 10000000) "/" }' >"$T/long"
raw() {	# raw FILE: 0 when FILE holds a byte that is neither printable nor a newline
	LC_ALL=C tr -d '\n\040-\176' <"$1" | head -c 1 | grep -q .
}
flood() {	# flood NAME INPUT CMD...
	_n=$1 _in=$2
	shift 2
	"$@" <"$_in" >"$T/fout" 2>"$T/ferr"
	t_eq "$_n: exit 1" 1 "$?"
	t_run "$_n: at most 11 lines" 0 test "$(wc -l <"$T/ferr")" -le 11
	t_run "$_n: no raw bytes echoed" 1 raw "$T/ferr"
}
flood "ebuild-copy PKGDIR < garbage" "$T/garbage" ebuild-copy "$P"
t_grep "... then how many more" "^ebuild-copy: [0-9]+ more problems$" "$T/ferr"
t_eq "... nothing on stdout" "" "$(cat "$T/fout")"
flood "ebuild-copy PKGDIR < a 10 MB line" "$T/long" ebuild-copy "$P"
t_run "... quoted short" 0 test "$(wc -c <"$T/ferr")" -lt 400
t_grep "... cut with ..." '\.\.\."$' "$T/ferr"
flood "manifest-gen < garbage" "$T/garbage" manifest-gen -l
t_grep "... then how many more" "^manifest-gen: [0-9]+ more problems$" "$T/ferr"
flood "manifest-gen < a 10 MB line" "$T/long" manifest-gen -l
t_run "... quoted short" 0 test "$(wc -c <"$T/ferr")" -lt 400
