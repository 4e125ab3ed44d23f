# t/lib.sh: sourced by every shell test. Licence: GPL-2.0-only.
# A test prints "ok NAME", "FAIL NAME: why" or "skip NAME: why" per case;
# t/run.sh counts them. DK_BIN is the directory of the programs under test.
set -u
export LC_ALL=C TZ=UTC
: "${DK_TOP:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${DK_BIN:=$DK_TOP/cmd}"
PATH=$DK_BIN:$PATH
export PATH DK_TOP DK_BIN
# The real gentoo.git corpus (see t/data/README) is not part of the
# repository: it is found through DK_CORPUS, made absolute here because
# the tests change directory. Empty when it is not there.
CORPUS=
CORPUS_WHY="no corpus: set DK_CORPUS to the gentoo.git kernel-package corpus (t/data/README), e.g. make check DK_CORPUS=/path/to/corpus"
if [ -n "${DK_CORPUS:-}" ]; then
	if [ -d "$DK_CORPUS/sys-kernel/gentoo-kernel" ]; then
		CORPUS=$(cd "$DK_CORPUS" && pwd)
	else
		CORPUS_WHY="DK_CORPUS=$DK_CORPUS has no sys-kernel/gentoo-kernel: not the corpus (t/data/README)"
	fi
fi
DATA=$DK_TOP/t/data
T=$(mktemp -d "${TMPDIR:-/tmp}/dk-t.XXXXXX")
_cleanups=
# at_exit CMD: run CMD (a string) when the test ends, last added first.
at_exit() { _cleanups="$1;$_cleanups"; }
# the clean-up never changes the exit status, even under set -e
trap '_rc=$?; set +e; eval "$_cleanups"; rm -rf "$T"; exit $_rc' EXIT
trap 'exit 130' INT TERM HUP
trap 'exit 141' PIPE

ok() { echo "ok $1"; }
fail() { echo "FAIL $1: ${2:-}"; }
# skip NAME WHY: a component is missing. In CI (CI=true) nothing may skip:
# it is reported as a failure instead.
skip() {
	if [ "${CI:-}" = true ]; then echo "FAIL $1: cannot skip in CI: $2"; else echo "skip $1: $2"; fi
}

# need_corpus NAME: ends the test with one skip line (a failure in CI)
# unless the corpus is there.
need_corpus() {
	[ -n "$CORPUS" ] && return 0
	skip "$1" "$CORPUS_WHY"
	exit 0
}

# t_run NAME STATUS CMD...: runs CMD, stdout to $T/out and stderr to $T/err;
# passes when it exits STATUS. Returns 0 on pass.
t_run() {
	_n=$1 _want=$2
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	_rc=$?
	if [ "$_rc" -eq "$_want" ]; then ok "$_n"; return 0; fi
	fail "$_n" "exit $_rc, want $_want: $(head -c 300 "$T/err" | tr '\n' ' ')"
	return 1
}

# t_diff NAME EXPECTED ACTUAL: passes when the files are equal (diff -u shown).
t_diff() {
	if diff -u "$2" "$3" >"$T/diff" 2>&1; then ok "$1"; return 0; fi
	fail "$1" "differs:"
	head -n 60 "$T/diff"
	return 1
}

# t_out NAME 'EXPECTED' FILE: passes when FILE holds exactly EXPECTED (+ newline).
t_out() {
	printf '%s\n' "$2" >"$T/want"
	t_diff "$1" "$T/want" "$3"
}

# t_grep NAME REGEX FILE: passes when an extended REGEX matches a line of FILE.
t_grep() {
	if grep -Eq -- "$2" "$3"; then ok "$1"; return 0; fi
	fail "$1" "no line matches /$2/ in $(basename "$3"): $(head -c 300 "$3" | tr '\n' ' ')"
	return 1
}

# free_port: prints a TCP port on 127.0.0.1 that nothing listens on.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# t_eq NAME WANT GOT: passes when the two strings are equal.
t_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; return 0; fi
	fail "$1" "want '$2', got '$3'"
	return 1
}
