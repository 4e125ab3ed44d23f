#!/bin/sh
# ebuild-copy: golden copies of real corpus ebuilds, the tree form in a
# copy of the corpus package directories, bad input.
. "$(dirname "$0")/lib.sh"
need_corpus "ebuild-copy corpus tests"

# The expected files in t/data/ebuild-copy/ are what bump-kernels makes of
# the corpus ebuilds on 2026-11-25. They were made by doing its steps one
# by one on a copy of each source: cp; gentoolkit's ekeyword ~all (its
# process_content/sort_keywords logic, run on the file); copybump as
# design.md gives it:
#   sed -E -e '1s:(Copyright.* [0-9]{4})(-[0-9]{4})?:\1-2026:' \
#     -e '1s:(Copyright.* 2026)-2026:\1:' -e '1s:Gentoo Foundation:Gentoo Authors:'
# and the SHA256SUM_DATE edit: sed -E 's:^(SHA256SUM_DATE=).*:\120261125:'.
# Each "diff -u source expected" was then read by hand: only line 1, the
# stable keywords and SHA256SUM_DATE differ, as below.
gold() {	# gold SRC EXPECTED-NAME WHAT: the filter form against a golden file
	ebuild-copy -y 2026 -D 20261125 <"$CORPUS/$1" >"$T/gold" 2>"$T/err"
	t_eq "filter exits 0: $3" "0" "$?"
	t_diff "filter output: $3" "$DATA/ebuild-copy/$2" "$T/gold"
}
gold sys-kernel/gentoo-kernel/gentoo-kernel-6.6.9.ebuild gentoo-kernel-6.6.10.ebuild \
	"copyright 2020-2024 becomes 2020-2026"
gold sys-kernel/vanilla-kernel/vanilla-kernel-5.10.255.ebuild vanilla-kernel-5.10.256.ebuild \
	"SHA256SUM_DATE set, 2020-2026 kept"
gold sys-kernel/gentoo-kernel/gentoo-kernel-5.10.33.ebuild gentoo-kernel-5.10.34.ebuild \
	"stable keywords become testing"
gold virtual/dist-kernel/dist-kernel-5.4.109.ebuild dist-kernel-5.4.110.ebuild \
	"single year 2021 becomes 2021-2026"
gold sys-kernel/gentoo-sources/gentoo-sources-3.12.9999.ebuild gentoo-sources-3.13.9999.ebuild \
	"Gentoo Foundation becomes Authors, KEYWORDS=\"\" kept"
gold sys-kernel/gentoo-kernel/gentoo-kernel-7.2.9.ebuild gentoo-kernel-7.2.10.ebuild \
	"7.2 with SHA256SUM_DATE"

# -k keep: only the keyword line differs from the golden file.
src=$CORPUS/sys-kernel/gentoo-kernel/gentoo-kernel-5.10.33.ebuild
ebuild-copy -k keep -y 2026 -D 20261125 <"$src" >"$T/keep"
grep -v '^KEYWORDS=' "$T/keep" >"$T/keep.nokw"
grep -v '^KEYWORDS=' "$DATA/ebuild-copy/gentoo-kernel-5.10.34.ebuild" >"$T/gold.nokw"
t_diff "-k keep: everything else edited" "$T/gold.nokw" "$T/keep.nokw"
t_eq "-k keep: keywords kept" "$(grep '^KEYWORDS=' "$src")" "$(grep '^KEYWORDS=' "$T/keep")"

# Without -D and -y: today and this year, in UTC.
d1=$(date -u +%Y%m%d)
ebuild-copy <"$CORPUS/sys-kernel/gentoo-kernel/gentoo-kernel-7.2.9.ebuild" >"$T/today"
d2=$(date -u +%Y%m%d)
got=$(sed -n 's/^SHA256SUM_DATE=//p' "$T/today")
if [ "$got" = "$d1" ] || [ "$got" = "$d2" ]; then ok "default date is today (UTC)"; else fail "default date is today (UTC)" "got $got, today $d2"; fi
t_grep "default year is this year" "^# Copyright 2020-${d2%????} Gentoo Authors$" "$T/today"

# The tree form, in a writable copy of the corpus package directories.
mkdir -p "$T/tree/sys-kernel" "$T/tree/virtual"
cp -R "$CORPUS/sys-kernel/gentoo-kernel" "$CORPUS/sys-kernel/vanilla-kernel" "$T/tree/sys-kernel/"
cp -R "$CORPUS/virtual/dist-kernel" "$T/tree/virtual/"
chmod -R u+w "$T/tree"
cd "$T/tree" || exit 1
gk=sys-kernel/gentoo-kernel

t_run "tree: 6.6.9 -> 6.6.10" 0 ebuild-copy -y 2026 -D 20261125 $gk 6.6.9 6.6.10
t_out "tree: prints the new path" "$gk/gentoo-kernel-6.6.10.ebuild" "$T/out"
t_out "tree: says which ebuild it took" \
	"ebuild-copy: copying $gk/gentoo-kernel-6.6.9.ebuild to $gk/gentoo-kernel-6.6.10.ebuild" "$T/err"
t_diff "tree: the new ebuild" "$DATA/ebuild-copy/gentoo-kernel-6.6.10.ebuild" "$gk/gentoo-kernel-6.6.10.ebuild"
t_eq "tree: mode of the source kept" "$(stat -c %a $gk/gentoo-kernel-6.6.9.ebuild)" \
	"$(stat -c %a $gk/gentoo-kernel-6.6.10.ebuild)"
t_eq "tree: no temporary file left" "" "$(find $gk -name '.*' -type f)"

(cd sys-kernel/vanilla-kernel && ebuild-copy -y 2026 -D 20261125 . 5.10.255 5.10.256 >"$T/out" 2>"$T/err")
t_out "tree: PKGDIR . names the package by its directory" "./vanilla-kernel-5.10.256.ebuild" "$T/out"
t_diff "tree: vanilla-kernel golden" "$DATA/ebuild-copy/vanilla-kernel-5.10.256.ebuild" \
	sys-kernel/vanilla-kernel/vanilla-kernel-5.10.256.ebuild

# PMS pick: fake ebuilds that differ by a last line naming their version.
for v in 6.1.4 6.1.40-r1 6.1.4_p1; do
	{ cat $gk/gentoo-kernel-6.6.9.ebuild; echo "# made from $v"; } >$gk/gentoo-kernel-$v.ebuild
done
t_run "pick: 6.1.4 among 6.1.4, 6.1.4_p1, 6.1.40-r1" 0 ebuild-copy $gk 6.1.4 6.1.5
t_out "pick: 6.1.4 takes 6.1.4, not 6.1.40-r1 or _p1" \
	"ebuild-copy: copying $gk/gentoo-kernel-6.1.4.ebuild to $gk/gentoo-kernel-6.1.5.ebuild" "$T/err"
t_eq "pick: contents of 6.1.4" "# made from 6.1.4" "$(tail -n 1 $gk/gentoo-kernel-6.1.5.ebuild)"
for v in 6.1.4-r1 6.1.4-r2 6.1.4-r10; do
	{ cat $gk/gentoo-kernel-6.6.9.ebuild; echo "# made from $v"; } >$gk/gentoo-kernel-$v.ebuild
done
t_run "pick: revisions" 0 ebuild-copy $gk 6.1.4 6.1.6
t_eq "pick: -r10 beats -r2 and -r1" "# made from 6.1.4-r10" "$(tail -n 1 $gk/gentoo-kernel-6.1.6.ebuild)"
t_run "pick: OLD with a revision" 0 ebuild-copy $gk 6.1.4-r1 6.1.7
t_eq "pick: 6.1.4-r1 takes exactly -r1" "# made from 6.1.4-r1" "$(tail -n 1 $gk/gentoo-kernel-6.1.7.ebuild)"
t_run "pick: 6.1.40" 0 ebuild-copy $gk 6.1.40 6.1.41
t_eq "pick: 6.1.40 takes 6.1.40-r1" "# made from 6.1.40-r1" "$(tail -n 1 $gk/gentoo-kernel-6.1.41.ebuild)"

# Overwriting.
echo mine >$gk/gentoo-kernel-6.6.11.ebuild
t_run "refuses to overwrite" 1 ebuild-copy $gk 6.6.9 6.6.11
t_out "refusal message" "ebuild-copy: $gk/gentoo-kernel-6.6.11.ebuild: exists (-f overwrites it)" "$T/err"
t_out "refused: file untouched" mine $gk/gentoo-kernel-6.6.11.ebuild
t_run "-f overwrites" 0 ebuild-copy -f -y 2026 $gk 6.6.9 6.6.11
t_diff "-f: the new contents" "$DATA/ebuild-copy/gentoo-kernel-6.6.10.ebuild" $gk/gentoo-kernel-6.6.11.ebuild

# -n: reports, writes nothing.
ls -la --time-style=full-iso $gk >"$T/before"
t_run "-n exits 0" 0 ebuild-copy -n $gk 6.6.9 6.6.12
t_out "-n prints the path it would write" "$gk/gentoo-kernel-6.6.12.ebuild" "$T/out"
t_out "-n says what it would do" \
	"ebuild-copy: would copy $gk/gentoo-kernel-6.6.9.ebuild to $gk/gentoo-kernel-6.6.12.ebuild" "$T/err"
t_run "-n -f on an existing file" 0 ebuild-copy -n -f $gk 6.6.9 6.6.11
ls -la --time-style=full-iso $gk >"$T/after"
t_diff "-n touches nothing" "$T/before" "$T/after"
t_run "-n still refuses to overwrite" 1 ebuild-copy -n $gk 6.6.9 6.6.11

# Unknown OLD, bad NEW.
t_run "unknown OLD" 1 ebuild-copy $gk 6.1.3 6.1.5
t_out "unknown OLD: names the directory and the versions there" \
	"ebuild-copy: $gk: no ebuild of gentoo-kernel 6.1.3; versions there: 4.19.94 5.10.33 5.10.255_p3 5.15.1 6.1.4 6.1.4-r1 6.1.4-r2 6.1.4-r10 6.1.4_p1 6.1.5 6.1.6 6.1.7 6.1.40-r1 6.1.41 6.6.9 6.6.10 6.6.11 6.18.1 7.2.9" \
	"$T/err"
t_run "NEW must be a version" 1 ebuild-copy $gk 6.6.9 6.6.x
t_out "bad NEW message" "ebuild-copy: 6.6.x: not a valid version" "$T/err"
t_run "missing package directory" 1 ebuild-copy sys-kernel/nope 6.6.9 6.6.10
t_out "missing directory message" \
	"ebuild-copy: sys-kernel/nope: cannot open package directory: No such file or directory" "$T/err"

# Pairs on stdin.
printf '# bump list\n6.6.9 6.6.13\n\n6.1.40 6.1.42\n' >"$T/pairs"
t_run "pairs on stdin" 0 sh -c "ebuild-copy -y 2026 $gk <'$T/pairs'"
printf '%s\n' "$gk/gentoo-kernel-6.6.13.ebuild" "$gk/gentoo-kernel-6.1.42.ebuild" >"$T/want"
t_diff "pairs: a path per pair" "$T/want" "$T/out"
t_diff "pairs: first pair written" "$DATA/ebuild-copy/gentoo-kernel-6.6.10.ebuild" $gk/gentoo-kernel-6.6.13.ebuild
printf '6.6.9 6.6.14\n6.6.9\n6.6.9 6.6.x\n6.6.9 6.6.15 extra\n' >"$T/pairs"
t_run "bad pair lines" 1 sh -c "ebuild-copy $gk <'$T/pairs'"
cat >"$T/want" <<'EOF'
ebuild-copy: <stdin>:2: want "OLD NEW", got "6.6.9"
ebuild-copy: <stdin>:3: 6.6.x: not a valid version
ebuild-copy: <stdin>:4: want "OLD NEW", got "6.6.9 6.6.15 extra"
EOF
t_diff "bad pair lines: one message each, with the line number" "$T/want" "$T/err"
t_eq "bad pair lines: nothing copied" "no" "$(test -e $gk/gentoo-kernel-6.6.14.ebuild && echo yes || echo no)"
t_run "no pairs" 1 sh -c "ebuild-copy $gk </dev/null"
t_out "no pairs message" 'ebuild-copy: <stdin>: no "OLD NEW" lines' "$T/err"
printf '6.1.3 6.1.43\n6.6.9 6.6.16\n' >"$T/pairs"
t_run "pairs: one cannot be made: exit 1" 1 sh -c "ebuild-copy $gk <'$T/pairs'"
t_grep "pairs: ... why, at its line" "^ebuild-copy: <stdin>:1: $gk: no ebuild of gentoo-kernel 6.1.3; versions there:" "$T/err"
t_eq "pairs: ... every pair checked first: nothing printed" "" "$(cat "$T/out")"
t_eq "pairs: ... and nothing copied" "no" "$(test -e $gk/gentoo-kernel-6.6.16.ebuild && echo yes || echo no)"

# A broken source ebuild: clear error, nothing written.
printf 'EAPI=8\nDESCRIPTION="never closed\nKEYWORDS="amd64"\n' >$gk/gentoo-kernel-9.0.ebuild
t_run "tree: bad source ebuild" 1 ebuild-copy $gk 9.0 9.1
t_grep "tree: bad source names file and line" "^ebuild-copy: $gk/gentoo-kernel-9.0.ebuild:[0-9]+: " "$T/err"
t_eq "tree: bad source: nothing written" "no" "$(test -e $gk/gentoo-kernel-9.1.ebuild && echo yes || echo no)"

# Bad input to the filter.
t_run "empty input" 1 sh -c 'ebuild-copy </dev/null'
t_out "empty input message" "ebuild-copy: <stdin>: empty input: not an ebuild" "$T/err"
t_eq "empty input: no output" "0" "$(wc -c <"$T/out")"
printf 'EAPI=8\n\001\377\000garbage\n' >"$T/bin"
t_run "binary input" 1 sh -c "ebuild-copy <'$T/bin'"
t_out "binary input message" "ebuild-copy: <stdin>:2: NUL byte: binary data, not an ebuild" "$T/err"
head -c 4096 /bin/sh >"$T/elf"
t_run "an ELF file" 1 sh -c "ebuild-copy <'$T/elf'"
t_out "ELF message" "ebuild-copy: <stdin>:1: NUL byte: binary data, not an ebuild" "$T/err"
printf '# Copyright 2020 Gentoo Authors\nEAPI=8\nDESCRIPTION="never closed\nKEYWORDS="amd64"\n' >"$T/unterminated"
t_run "unterminated quote" 1 sh -c "ebuild-copy <'$T/unterminated'"
t_grep "unterminated quote: file and line" '^ebuild-copy: <stdin>:[0-9]+: ' "$T/err"
t_eq "unterminated quote: no output" "0" "$(wc -c <"$T/out")"
t_run "stdout is /dev/full" 1 sh -c "ebuild-copy <'$CORPUS/$gk/gentoo-kernel-6.6.9.ebuild' >/dev/full"
t_grep "/dev/full: write error" '^ebuild-copy: write error: standard output: No space left on device$' "$T/err"

# Usage.
t_run "-h" 0 ebuild-copy -h
t_grep "-h prints the synopsis" '^usage: ebuild-copy \[-D date\] \[-k mode\] \[-y year\] < old > new$' "$T/out"
t_run "-V" 0 ebuild-copy -V
t_grep "-V prints the version" '^ebuild-copy [0-9]' "$T/out"
t_run "-k bogus" 2 ebuild-copy -k bogus
t_grep "-k bogus message" "^ebuild-copy: --keywords: want keep or testing, not 'bogus'$" "$T/err"
t_grep "-k bogus: the usage follows on stderr" "^usage: ebuild-copy " "$T/err"
t_run "--keywords=keep is -k keep" 0 sh -c "ebuild-copy --keywords=keep --year 2026 --date=20261125 <'$src' >'$T/keep2'"
t_diff "--keywords=keep: the same output" "$T/keep" "$T/keep2"
t_run "-D bad date" 2 ebuild-copy -D 20261131
t_run "-y bad year" 2 ebuild-copy -y 26
t_run "-f without a package directory" 2 ebuild-copy -f
t_run "two operands" 2 ebuild-copy $gk 6.6.9
t_run "unknown option" 2 ebuild-copy -x
