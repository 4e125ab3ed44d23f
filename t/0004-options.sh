#!/bin/sh
# Every program's command line as Gentoo's tools have it: --help (usage and
# one line per option, on stdout, a failed write an error), --version, a
# long name for every option, the same long names in the man page, usage
# errors on stderr only (stdout untouched, exit 2), and a hint before
# reading standard input from a terminal.
. "$(dirname "$0")/lib.sh"

# longs FILE: the long option names in FILE, one per line, sorted.
longs() { grep -oE -- '--[a-z][a-z0-9-]*' "$1" | sort -u; }

for src in "$DK_TOP"/cmd/*.c; do
	p=$(basename "$src" .c)
	t_run "$p --help" 0 "$DK_BIN/$p" --help
	t_grep "$p --help: the usage first" "^usage: $p " "$T/out"
	t_grep "$p --help: a line for --help" "^  -h, --help  " "$T/out"
	t_grep "$p --help: a line for --version" "^  -V, --version  " "$T/out"
	# every option line has a long name
	sed -n '/^options:$/,$p' "$T/out" | sed 1d >"$T/opts"
	if grep -vE -- '^  (-[A-Za-z0-9], |    )--[a-z]' "$T/opts" >"$T/bad"; then
		fail "$p --help: every option has a long name" "$(head -n 3 "$T/bad")"
	else
		ok "$p --help: every option has a long name"
	fi
	# the man page names the same long options as --help
	longs "$T/opts" >"$T/l.help"
	if command -v mandoc >/dev/null; then
		mandoc -Tutf8 -O width=1000 "$DK_TOP/man/$p.1" | col -b >"$T/man"
		longs "$T/man" >"$T/l.man.all"
		comm -23 "$T/l.help" "$T/l.man.all" >"$T/l.missing"
		if [ -s "$T/l.missing" ]; then
			fail "$p(1) names every long option of --help" "missing: $(tr '\n' ' ' <"$T/l.missing")"
		else
			ok "$p(1) names every long option of --help"
		fi
	else
		skip "$p(1) names every long option of --help" "mandoc not installed"
	fi
	# the README's option table has the same long options for it
	sed -n '/^Options$/,/^Environment$/p' "$DK_TOP/README" |
		awk -v p="$p" '/^    [^ ]/ { cur = $1 } cur == p' >"$T/readme.rows"
	grep -oE -- '--[a-z][a-z0-9-]*' "$T/readme.rows" | sort -u >"$T/l.readme"
	grep -vxE -- '--(help|version)' "$T/l.help" | comm -23 - "$T/l.readme" >"$T/l.missing"
	if [ -s "$T/l.missing" ]; then
		fail "README's option table: every long option of $p" "missing: $(tr '\n' ' ' <"$T/l.missing")"
	else
		ok "README's option table: every long option of $p"
	fi
	comm -13 "$T/l.help" "$T/l.readme" >"$T/l.extra"
	if [ -s "$T/l.extra" ]; then
		fail "README's option table: only options $p has" "not in --help: $(tr '\n' ' ' <"$T/l.extra")"
	else
		ok "README's option table: only options $p has"
	fi
	t_run "$p --help > /dev/full fails" 1 sh -c '"$1" --help >/dev/full' sh "$DK_BIN/$p"
	t_grep "$p --help > /dev/full: says why" "^$p: write error" "$T/err"
	t_run "$p -V > /dev/full fails" 1 sh -c '"$1" -V >/dev/full' sh "$DK_BIN/$p"
	t_run "$p --version" 0 "$DK_BIN/$p" --version
	t_grep "$p --version: name and version" "^$p [0-9]+\.[0-9]+\.[0-9]+$" "$T/out"
	t_run "$p --no-such-option" 2 "$DK_BIN/$p" --no-such-option
	t_grep "$p: a usage error names the option" "^$p: unknown option '?--no-such-option" "$T/err"
	t_grep "$p: then the usage, on stderr" "^usage: $p " "$T/err"
	if [ -s "$T/out" ]; then fail "$p: a usage error leaves stdout alone" "$(head -c 200 "$T/out")"; else ok "$p: a usage error leaves stdout alone"; fi
done

# A terminal on stdin and nothing to read: one hint, then the program's
# own complaint at the end of input (script(1) gives the terminal).
if command -v script >/dev/null && command -v timeout >/dev/null; then
	hint() {	# hint NAME WHAT CMD: CMD on a terminal prints the hint for WHAT
		_n=$1 _what=$2
		shift 2
		timeout 60 script -qec "$*" /dev/null </dev/null >"$T/tty" 2>&1
		t_grep "$_n" "^${1##*/}: reading $_what from standard input; end with \^D" "$T/tty"
	}
	hint "ebuild-copy PKGDIR on a terminal" "OLD NEW pairs" "$DK_BIN/ebuild-copy" "$DATA/repo/sys-kernel/gentoo-kernel"
	hint "manifest-gen on a terminal" "a fetch list \(NAME URL...\)" "$DK_BIN/manifest-gen" -l
	t_run "not on a terminal: no hint" 1 "$DK_BIN/ebuild-copy" "$DATA/repo/sys-kernel/gentoo-kernel" </dev/null
	t_eq "not on a terminal: only the complaint" 1 "$(wc -l <"$T/err")"
else
	skip "the terminal hint" "script(1) or timeout(1) not installed (util-linux, coreutils)"
fi
