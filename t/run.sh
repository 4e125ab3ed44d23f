#!/bin/sh
# dk test runner: t/run.sh BUILD... runs every Check unit test binary and
# every shell test t/NNNN-*.sh against each build prefix ("." the normal
# build, "asan/" the sanitizer one), then lints the man pages, and ends with
# the one closing line "N passed, N failed[, N skipped]".
# Shell tests print "ok NAME", "FAIL NAME: why" or "skip NAME: why" lines.
# Licence: GPL-2.0-only.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
# DK_CORPUS (the gentoo.git corpus, t/data/README) may be relative to
# where this was started: the tests run elsewhere.
if [ -n "${DK_CORPUS:-}" ] && [ -d "$DK_CORPUS" ]; then
	DK_CORPUS=$(cd "$DK_CORPUS" && pwd)
	export DK_CORPUS
fi
cd "$top" || exit 2
[ $# -gt 0 ] || set -- .
out=$top/t/out
rm -rf "$out"
mkdir -p "$out"
pass=0 fail=0 skip=0
failed=

count() {	# count LOG: adds the log's ok/FAIL/skip lines to the totals
	p=$(grep -c '^ok ' "$1")
	f=$(grep -c '^FAIL ' "$1")
	s=$(grep -c '^skip ' "$1")
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	[ "$f" -eq 0 ] || failed="$failed $2"
}

for b in "$@"; do
	b=${b%/}
	tag=$(echo "$b" | tr -c 'a-zA-Z0-9\n' _)
	export DK_BIN="$top/$b/cmd" DK_BUILD="$b" DK_TOP="$top"
	# ASan: leaks are bugs too; UBSan: stop at the first report.
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	built=
	for u in "$b"/t/unit/*; do
		case $u in *.d|*.o|*.c|*.h) continue ;; esac
		[ -x "$u" ] && [ -f "$u" ] && built=1
	done
	if [ -z "$built" ]; then
		if [ "${CI:-}" = true ]; then
			fail=$((fail + 1)) failed="$failed $b:units"
			echo "FAIL $b: unit tests: cannot skip in CI: none built"
		else
			skip=$((skip + 1))
			echo "$b: skip unit tests: none built (Check is not installed: make deps)"
		fi
	fi
	for u in "$b"/t/unit/*; do
		[ -x "$u" ] && [ -f "$u" ] || continue
		case $u in *.d|*.o|*.c) continue ;; esac
		name=$(basename "$u")
		log=$out/$tag-$name.log
		CK_VERBOSITY=normal "$u" >"$log" 2>&1
		rc=$?
		# Check's summary: "100%: Checks: 12, Failures: 0, Errors: 0"
		line=$(grep -E '^[0-9]+%: Checks: ' "$log" | tail -n 1)
		if [ -n "$line" ]; then
			n=$(echo "$line" | sed 's/.*Checks: \([0-9]*\).*/\1/')
			f=$(echo "$line" | sed 's/.*Failures: \([0-9]*\).*/\1/')
			x=$(echo "$line" | sed 's/.*Errors: \([0-9]*\).*/\1/')
			pass=$((pass + n - f - x)) fail=$((fail + f + x))
			[ $((f + x)) -eq 0 ] && [ $rc -eq 0 ] || failed="$failed $b:$name"
			[ $((f + x)) -eq 0 ] && [ $rc -ne 0 ] && fail=$((fail + 1))
			echo "$b: unit $name: $line"
			# corpus tests left out without DK_CORPUS: one line each
			s=$(grep -c '^skip ' "$log")
			skip=$((skip + s))
			grep '^skip ' "$log" | sed 's/^/    /'
		else
			fail=$((fail + 1)) failed="$failed $b:$name"
			echo "$b: unit $name: no summary (exit $rc)"
		fi
		[ $rc -eq 0 ] || sed 's/^/    /' "$log" | grep -v ':P:' | tail -n 20
	done
	for s in t/[0-9]*.sh; do
		[ -f "$s" ] || continue
		name=$(basename "$s" .sh)
		log=$out/$tag-$name.log
		start=$(date +%s)
		sh "$s" >"$log" 2>&1
		rc=$?
		count "$log" "$b:$name"
		if [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$log"; then
			echo "FAIL $name: exited $rc" >>"$log"
			fail=$((fail + 1)) failed="$failed $b:$name"
		fi
		echo "$b: $name: $(grep -c '^ok ' "$log") ok, $(grep -c '^FAIL ' "$log") failed, $(grep -c '^skip ' "$log") skipped ($(($(date +%s) - start))s)"
		grep -E '^(FAIL|skip) ' "$log" | sed 's/^/    /'
		if grep -q '^FAIL ' "$log"; then
			sed 's/^/    | /' "$log" | grep -v '| ok ' | tail -n 40
		fi
	done
done

# Man pages: lint-clean (t/0002 compares SYNOPSIS with each -h).
for m in man/*.[1-8]; do
	[ -f "$m" ] || continue
	if ! command -v mandoc >/dev/null; then
		# one line for all of them; in CI a failure, as every skip
		if [ "${CI:-}" = true ]; then
			fail=$((fail + 1)) failed="$failed lint"
			echo "FAIL man page lint: cannot skip in CI: mandoc not installed"
		else
			skip=$((skip + 1))
			echo "skip man page lint: mandoc not installed (Debian mandoc, Gentoo app-text/mandoc)"
		fi
		break
	fi
	if out=$(mandoc -Tlint -W warning "$m" 2>&1) && [ -z "$out" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1)) failed="$failed lint:$m"
		echo "FAIL mandoc -Tlint $m:"
		echo "$out" | sed 's/^/    /'
	fi
done

[ -z "$failed" ] || echo "failed:$failed"
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
