#!/bin/sh
# Hostile input to manifest-gen (issue 14, 1 and 9): malformed package
# Manifests in -c, -u and the plain form are an error at their line, never
# a crash, and nothing is written; a 300k-line Manifest is read (linear
# parsing: the bench/manifest.sh figure, not asserted here).
. "$(dirname "$0")/lib.sh"
. "$DK_TOP/t/lib/manifest.sh"
H=$DATA/hostile

# a package whose one distfile is in DISTDIR already: nothing is fetched
P=$T/repo/cat/pkg D=$T/dist
mkdir -p "$P" "$T/repo/profiles" "$D"
echo test >"$T/repo/profiles/repo_name"
printf 'EAPI=8\nSRC_URI="https://127.0.0.1/ok.tar"\nSLOT=0\n' >"$P/pkg-1.ebuild"
printf 'abc' >"$D/ok.tar"
for m in manifest-short manifest-size-x manifest-size-neg manifest-size-huge manifest-fields; do
	case $m in
	manifest-short) want='Manifest:1: malformed entry: want TYPE NAME SIZE \(HASH VALUE\)\.\.\.' ;;
	manifest-fields) want='Manifest:1: too many fields' ;;
	*) want='Manifest:1: bad size ' ;;
	esac
	for mode in -c -u ''; do
		cp "$H/$m" "$P/Manifest"
		manifest-gen $mode -d "$D" "$P" >"$T/out" 2>"$T/err"
		t_eq "$m ${mode:-plain}: exit 1, no crash" 1 "$?"
		t_grep "$m ${mode:-plain}: the line and why" "^manifest-gen: $P/$want" "$T/err"
		t_run "$m ${mode:-plain}: Manifest untouched" 0 cmp "$H/$m" "$P/Manifest"
		[ "$mode" = -c ] || t_empty "$m ${mode:-plain}: nothing on stdout" "$T/out"
	done
done

# 300000 lines: read, checked and kept as they were.
dist_line "$D/ok.tar" >"$T/ok.line"
awk 'BEGIN { h = sprintf("%0128d", 0); for (i = 0; i < 299999; i++)
	printf "DIST f%06d.tar %d BLAKE2B %s SHA512 %s\n", i, i, h, h }' >"$P/Manifest"
cat "$T/ok.line" >>"$P/Manifest"
t_eq "300k-line Manifest made" 300000 "$(wc -l <"$P/Manifest")"
manifest-gen -c -d "$D" "$P" >"$T/out" 2>"$T/err"
t_eq "300k lines, -c: exit 0" 0 "$?"
t_out "300k lines, -c: the file checked" "ok.tar ok" "$T/out"
# the last line listed twice: found through the index, at its line
cat "$T/ok.line" >>"$P/Manifest"
manifest-gen -c -d "$D" "$P" >"$T/out" 2>"$T/err"
t_eq "300k lines, a duplicate at the end: exit 1" 1 "$?"
t_grep "... named at its line" "^manifest-gen: $P/Manifest:300001: DIST ok.tar listed twice$" "$T/err"
