#!/bin/sh
# Every program's -h prints its man page's SYNOPSIS (whitespace and line
# wrapping aside) up to a blank line, then its options; -V its version.
. "$(dirname "$0")/lib.sh"
command -v mandoc >/dev/null ||
	{ skip "-h == SYNOPSIS" "mandoc not installed (Debian mandoc, Gentoo app-text/mandoc)"; exit 0; }

for src in "$DK_TOP"/cmd/*.c; do
	p=$(basename "$src" .c)
	# usage lines, continuation lines (indented, not starting with the
	# program's name) joined to the one before
	"$DK_BIN/$p" -h 2>&1 | sed '/^$/,$d' | sed 's/^usage: *//' |
		awk -v p="$p" 'NR > 1 && /^ +[^ ]/ && $1 != p { printf " %s", $0; next }
			NR > 1 { print "" } { printf "%s", $0 } END { print "" }' |
		tr -s ' \t' ' ' | sed 's/^ //; s/ $//' | grep -v '^$' >"$T/h.$p"
	mandoc -Tutf8 -O width=1000 "$DK_TOP/man/$p.1" | col -b |
		sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' |
		awk -v p="$p" '$1 == p { if (l) print l; l = $0; next } /^ +[^ ]/ { l = l " " $0 } END { if (l) print l }' |
		tr -s ' \t' ' ' | sed 's/^ //; s/ $//' >"$T/m.$p"
	t_diff "$p -h == SYNOPSIS of $p(1)" "$T/m.$p" "$T/h.$p"
	t_run "$p -V" 0 "$DK_BIN/$p" -V
	t_grep "$p -V prints the version" "^$p [0-9]+\.[0-9]+\.[0-9]+$" "$T/out"
done
