#!/bin/sh
# manifest-gen fetching from a real nginx and file:// URLs: parallel
# downloads, resume with Range, mirrors, -u, -c, -f, refusals.
. "$(dirname "$0")/lib.sh"
. "$DK_TOP/t/lib/nginx.sh"
. "$DK_TOP/t/lib/manifest.sh"

W=$T/www D=$T/dist
mkdir -p "$W" "$D"
mkfile "$W/a.bin" 300
mkfile "$W/b.bin" 1024
mkfile "$W/c.txt" 3
mkfile "$W/d.bin" 10
for f in a.bin b.bin c.txt d.bin; do dist_line "$W/$f"; done >"$T/all.lines"

if ! nginx_start "$W" 2>"$T/nginx.err"; then
	skip "manifest-gen fetch tests" "$(cat "$T/nginx.err")"
	exit 0
fi
U=$NGINX_URL
LOG=$NGINX_DIR/logs/access.log

cat >"$T/list" <<EOL
# a comment, then a blank line

b.bin $U/b.bin
a.bin $U/nothere/a.bin $U/a.bin
c.txt file://$W/c.txt
EOL
grep -v '^DIST d.bin' "$T/all.lines" >"$T/exp"
t_run "fetch list on stdin: fetched and hashed" 0 manifest-gen -d "$D" <"$T/list"
t_diff "Manifest lines sorted, digests as coreutils computes them" "$T/exp" "$T/out"
t_empty "no progress line when stderr is not a tty" "$T/err"
t_eq "files in DISTDIR, no .part left" "a.bin b.bin c.txt" "$(cd "$D" && echo *)"
t_run "same bytes as served" 0 cmp "$W/b.bin" "$D/b.bin"
n=$(wc -l <"$LOG")
t_run "second run: files present" 0 manifest-gen -d "$D" - <"$T/list"
t_diff "second run: same lines" "$T/exp" "$T/out"
t_eq "second run: nothing downloaded" "$n" "$(wc -l <"$LOG")"
t_run "DISTDIR from the environment" 0 env DISTDIR="$D" manifest-gen <"$T/list"
t_diff "DISTDIR from the environment: same lines" "$T/exp" "$T/out"

# Resume: a partial download continues with a Range request.
D2=$T/dist2
mkdir -p "$D2"
head -c 200000 "$W/b.bin" >"$D2/b.bin.part"
echo "b.bin $U/b.bin" | manifest-gen -d "$D2" >"$T/out" 2>"$T/err"
t_out "resumed file hashed whole" "$(grep '^DIST b.bin' "$T/all.lines")" "$T/out"
t_run "resumed file is the served one" 0 cmp "$W/b.bin" "$D2/b.bin"
t_grep "resumed with Range: 206 for the rest" "\"GET /b.bin HTTP/1.1\" 206 $((1048576 - 200000)) " "$LOG"

# -j 1 and many files: all still arrive.
D3=$T/dist3
mkdir -p "$D3"
for i in 1 2 3 4 5 6; do cp "$W/a.bin" "$W/p$i.bin"; echo "p$i.bin $U/p$i.bin"; done >"$T/list6"
t_run "-j 1 fetches one at a time" 0 manifest-gen -j 1 -d "$D3" <"$T/list6"
t_eq "-j 1: six entries" 6 "$(grep -c '^DIST p' "$T/out")"

# Mirrors first (-m, GENTOO_MIRRORS), filename-hash layout then flat.
h=$(printf %s d.bin | b2sum | cut -c1-2)
mkdir -p "$W/mirror/distfiles/$h"
cp "$W/d.bin" "$W/mirror/distfiles/$h/d.bin"
D4=$T/dist4
mkdir -p "$D4"
dead=http://127.0.0.1:$(free_port)/d.bin
echo "d.bin $dead" | manifest-gen -d "$D4" --mirror "$U/mirror" >"$T/out" 2>"$T/err"
t_out "-m: fetched from the mirror's filename-hash layout" "$(grep '^DIST d.bin' "$T/all.lines")" "$T/out"
t_grep "-m: the mirror URL was asked" "GET /mirror/distfiles/$h/d.bin HTTP/1.1\" 200" "$LOG"
rm -f "$D4/d.bin"
echo "d.bin $dead" | GENTOO_MIRRORS="$U/mirror" manifest-gen -d "$D4" >"$T/out" 2>"$T/err"
t_out "GENTOO_MIRRORS is used like -m" "$(grep '^DIST d.bin' "$T/all.lines")" "$T/out"

# 404 everywhere: an error naming the file and every URL tried.
echo "zz.bin $U/x/zz.bin file://$W/zz.bin" >"$T/list404"
t_run "404 everywhere fails" 1 manifest-gen -d "$D4" <"$T/list404"
t_grep "404: names the file and each URL" "^manifest-gen: zz.bin: cannot fetch from any URL: $U/x/zz.bin \(HTTP 404\), file://$W/zz.bin \(" "$T/err"
t_empty "404: nothing on stdout" "$T/out"
t_run "404: no file, no .part" 1 test -e "$D4/zz.bin" -o -e "$D4/zz.bin.part"

# file:// sources (a local mirror, DISTCACHE) are copied and hashed in one
# read through the digest ring: a file several times the ring's 2 MiB and
# a percent-encoded path give the lines coreutils computes.
S=$T/mirror D7=$T/dist7
mkdir -p "$S/sub dir" "$D7"
mkfile "$S/big.bin" 5001
mkfile "$S/sub dir/sp.bin" 65
printf 'big.bin file://%s/big.bin\nsp.bin file://localhost%s/sub%%20dir/sp.bin\n' "$S" "$S" >"$T/listf"
{ dist_line "$S/big.bin"; dist_line "$S/sub dir/sp.bin"; } >"$T/expf"
t_run "file://: fetched" 0 manifest-gen -d "$D7" <"$T/listf"
t_diff "file://: the Manifest lines coreutils computes" "$T/expf" "$T/out"
t_run "file://: the copy is the source" 0 cmp "$S/big.bin" "$D7/big.bin"
t_eq "file://: no .part left" "big.bin sp.bin" "$(cd "$D7" && echo *)"
rm "$D7/big.bin"
head -c 1234567 "$S/big.bin" >"$D7/big.bin.part"
t_run "file://: a .part is resumed" 0 manifest-gen -d "$D7" <"$T/listf"
t_diff "file://: resumed, the whole file's lines" "$T/expf" "$T/out"
t_run "file://: resumed copy is the source" 0 cmp "$S/big.bin" "$D7/big.bin"
echo "nd.bin file://$S/sub%20dir" >"$T/listd"
t_run "file:// naming a directory fails" 1 manifest-gen -d "$D7" <"$T/listd"
t_grep "file:// naming a directory: the reason" "^manifest-gen: nd.bin: cannot fetch from any URL: file://$S/sub%20dir \\(Is a directory\\)$" "$T/err"

# -u with a fetch list: ./Manifest gets the new entries, others stay.
P=$T/pkg
mkdir -p "$P"
# a line of the corpus Manifest (gentoo-kernel, 82c80338), written out so
# this test needs only the repository
old='DIST linux-7.2.tar.xz 160068116 BLAKE2B cf5f3d87b96f223034c47c6e5fc972fe52c2556310eb2f064632537b8727231135a8540179fd5d51343738c8a51f51f09c7e8da374324b68551c84a4124bb71b SHA512 47e63679363261a864d271277340a6f2d45f544e1a056be4159df081f4f6537d0efa865c4af26611ab33a3079ee65db88ec2f6bc0e5fff43e0c043cde0cd91e1'
echo "$old" >"$P/Manifest"
(cd "$P" && manifest-gen -u -d "$D" <"$T/list") >"$T/out" 2>"$T/err"
{ echo "$old"; cat "$T/exp"; } | sort -k2,2 >"$T/wantm"
t_diff "-u: merged into ./Manifest, old line kept, sorted" "$T/wantm" "$P/Manifest"
t_empty "-u: nothing on stdout" "$T/out"

# -c: a line per file; exit 1 on any bad one.
(cd "$P" && manifest-gen -c -d "$D" <"$T/list") >"$T/out" 2>"$T/err"
printf 'a.bin ok\nb.bin ok\nc.txt ok\n' >"$T/wantc"
t_diff "-c: all ok" "$T/wantc" "$T/out"
cp "$D/a.bin" "$T/a.keep"
printf x >>"$D/a.bin"
rm "$D/c.txt"
(cd "$P" && manifest-gen -c -d "$D" <"$T/list") >"$T/out" 2>"$T/err"
t_eq "-c: exit 1 on a bad file" 1 $?
printf 'a.bin size mismatch: 307201 bytes, Manifest says 307200\nb.bin ok\nc.txt missing\n' >"$T/wantc"
t_diff "-c: size mismatch and missing reported" "$T/wantc" "$T/out"

# A wrong file (differs from the old entry): refused unless -f.
cp "$P/Manifest" "$T/Manifest.before"
(cd "$P" && manifest-gen -u -d "$D" <"$T/list") >"$T/out" 2>"$T/err"
t_eq "wrong local file: exit 1" 1 $?
t_grep "wrong local file: one-line error" "^manifest-gen: $D/a.bin: size mismatch: 307201 bytes, Manifest says 307200 \(the Manifest's entry differs; -f takes the new file\)$" "$T/err"
t_run "wrong local file: Manifest untouched" 0 cmp "$T/Manifest.before" "$P/Manifest"
(cd "$P" && manifest-gen -u -f -d "$D" <"$T/list") >"$T/out" 2>"$T/err"
t_eq "-f: takes the new file" 0 $?
grep '^DIST a.bin' "$P/Manifest" >"$T/aline"
t_out "-f: new a.bin entry" "$(dist_line "$D/a.bin")" "$T/aline"
t_run "-f: c.txt fetched again" 0 cmp "$W/c.txt" "$D/c.txt"

# Disk full: a write error, the Manifest untouched, no complete-looking file.
D5=$T/dist5
mkdir -p "$D5"
ln -s /dev/full "$D5/b.bin.part"
cp "$P/Manifest" "$T/Manifest.before"
(cd "$P" && echo "b.bin $U/b.bin" | manifest-gen -u -f -d "$D5") >"$T/out" 2>"$T/err"
t_eq "disk full: exit 1" 1 $?
t_grep "disk full: write error named" "^manifest-gen: b.bin: write error: $D5/b.bin.part: No space left on device$" "$T/err"
t_run "disk full: Manifest untouched" 0 cmp "$T/Manifest.before" "$P/Manifest"
t_run "disk full: no b.bin" 1 test -e "$D5/b.bin"

# Unreachable host: retried with back-off, then an error.
echo "e.bin $dead" >"$T/listdead"
t_run "unreachable host fails" 1 manifest-gen -d "$D5" <"$T/listdead"
t_grep "unreachable host: URL and reason" "^manifest-gen: e.bin: cannot fetch from any URL: $dead \(Couldn't connect to server, 3 tries\)$" "$T/err"

# Output errors and bad input lines.
t_run "stdout on /dev/full fails" 1 sh -c "manifest-gen -d '$D' <'$T/list' >/dev/full"
t_grep "stdout on /dev/full: says so" "write error: standard output" "$T/err"
printf 'ok.bin %s/a.bin\n%s/x.bin\n' "$U" "$U" >"$T/bad"
t_run "a URL where a name belongs" 1 manifest-gen -l <"$T/bad"
t_grep "bad line reported with its number" "^manifest-gen: <stdin>:2: '$U/x.bin' is not a file name" "$T/err"

# On a terminal: one live progress line on stderr; -q silences it.
D6=$T/dist6
mkdir -p "$D6"
script -qec "manifest-gen -d '$D6' <'$T/list6' >/dev/null" "$T/tty.err" >/dev/null 2>&1
t_grep "tty: progress line with files, bytes, rate" "^.*manifest-gen: [0-9]+/6 files, [0-9.]+ MiB, [0-9.]+ MiB/s" "$T/tty.err"
rm -f "$D6"/*
script -qec "manifest-gen -q -d '$D6' <'$T/list6' >/dev/null" "$T/tty.err" >/dev/null 2>&1
t_run "tty with -q: no progress" 1 grep -q 'files,' "$T/tty.err"
