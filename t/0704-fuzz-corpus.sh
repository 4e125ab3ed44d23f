#!/bin/sh
# The fuzzers' regression corpus (issue 14): every input in t/fuzz/NAME/
# (the seeds and every crash ever found) through the harness fuzz/NAME.c
# built without libFuzzer (make units), in this build: under the sanitizer
# build any crash, leak or undefined behaviour is a failure.
. "$(dirname "$0")/lib.sh"
R=$DK_TOP/${DK_BUILD:-.}/fuzz/replay

for dir in "$DK_TOP"/t/fuzz/*/; do
	name=$(basename "$dir")
	if [ ! -x "$R/$name" ]; then
		fail "$name corpus" "no $R/$name: make units"
		continue
	fi
	n=$(find "$dir" -type f | wc -l)
	"$R/$name" "$dir" >"$T/out" 2>"$T/err"
	rc=$?
	if [ $rc -eq 0 ] && [ "$(cat "$T/out")" = "$n inputs" ]; then
		ok "$name corpus: $n inputs"
	else
		fail "$name corpus" "exit $rc: $(head -c 600 "$T/err" | tr '\n' ' ')"
	fi
done
