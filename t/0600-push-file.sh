#!/bin/sh
# dk-push to file:// destinations (the gentoo-kernel-bin DISTDIR step):
# checks, names, hard links or copies, skips, dry runs, dk-build input,
# broken packages. Licence: GPL-2.0-only.
. "$(dirname "$0")/lib.sh"
MK=$DK_TOP/t/mkgpkg.sh

B=$T/binpkg
for a in amd64 arm64; do
	mkdir -p "$B/$a/kernel/sys-kernel/gentoo-kernel"
	"$MK" "$B/$a/kernel/sys-kernel/gentoo-kernel/gentoo-kernel-6.6.31-1.gpkg.tar" sys-kernel/gentoo-kernel-6.6.31
done
P=$B/amd64/kernel/sys-kernel/gentoo-kernel/gentoo-kernel-6.6.31-1.gpkg.tar
P2=$B/arm64/kernel/sys-kernel/gentoo-kernel/gentoo-kernel-6.6.31-1.gpkg.tar
D=$T/distdir

t_run "-h prints the usage" 0 dk-push -h
t_grep "-h: the synopsis" '^usage: dk-push \[-fknqS\]' "$T/out"
t_grep "-h: long options" '^  -S, --gpg-sign ' "$T/out"
t_grep "-h: --verify-sig" '^      --verify-sig ' "$T/out"
t_run "-h into /dev/full fails" 1 sh -c 'dk-push -h >/dev/full'
t_run "a usage error" 2 dk-push -Z
t_eq "a usage error: stdout untouched" "" "$(cat "$T/out")"
t_grep "a usage error: the usage on stderr" '^usage: dk-push ' "$T/err"
t_run "--jobs out of range" 2 dk-push --jobs 65 -d /tmp "$T/none"
t_out "--jobs out of range: the message" "dk-push: --jobs: '65' is not a whole number from 1 to 64" "$T/err"
t_run "-V prints the version" 0 dk-push -V
t_grep "-V: name and version" '^dk-push [0-9]+\.[0-9]+' "$T/out"
XDG_CONFIG_HOME=$T/xdg
export XDG_CONFIG_HOME
t_run "no destination is bad usage" 2 dk-push "$P"
t_grep "no destination: the message" '^dk-push: no destination: give one or more -d URL, or name them under destinations: in the configuration$' "$T/err"
t_run "an unknown destination name" 1 dk-push -d distdir "$P"
t_grep "unknown name: the message" '^dk-push: configuration: no destination named distdir under destinations:$' "$T/err"
# destinations by name from the configuration, or all of them
mkdir -p "$T/xdg/dk"
printf 'destinations:\n  distdir: file://%s/cfg-a\n  mirror: %s/cfg-b/{arch}\n' "$T" "$T" >"$T/xdg/dk/config.yaml"
t_run "-d NAME from the configuration" 0 dk-push -d distdir "$P"
t_run "NAME's URL was used" 0 cmp "$P" "$T/cfg-a/gentoo-kernel-6.6.31-1.amd64.gpkg.tar"
t_run "no -d: every configured destination" 0 dk-push "$P"
t_run "the second one too" 0 cmp "$P" "$T/cfg-b/amd64/gentoo-kernel-6.6.31-1.amd64.gpkg.tar"
printf 'destinations: [oops]\n' >"$T/bad.yaml"
t_run "a bad destinations: is an error with its place" 1 dk-push -c "$T/bad.yaml" "$P"
t_grep "bad destinations: the message" "^dk-push: $T/bad.yaml:1:[0-9]+: " "$T/err"
rm -rf "$T/xdg/dk"
t_run "-j 0 is bad usage" 2 dk-push -j 0 -d "$D" "$P"
t_run "-S with --verify-sig is bad usage" 2 dk-push -S --verify-sig -d "$D" "$P"
t_grep "-S with --verify-sig: the message" '^dk-push: -S and --verify-sig exclude each other$' "$T/err"
t_run "kup:// without a signature is bad usage" 2 dk-push -d kup://127.0.0.1/pub "$P"
t_grep "kup:// unsigned: the message" '^dk-push: -d kup://127.0.0.1/pub: kup-server takes only signed files: sign with -S, or send PATH.sig with --verify-sig$' "$T/err"
t_run "an unknown scheme is bad usage" 2 dk-push -d ftp://example.invalid/x "$P"

# The bump-kernels-bin step: NAME.ARCH.gpkg.tar into DISTDIR.
t_run "two arches into DISTDIR" 0 dk-push -d "file://$D" "$P" "$P2"
cat >"$T/want" <<EOF
gentoo-kernel-6.6.31-1.amd64.gpkg.tar file://$D/gentoo-kernel-6.6.31-1.amd64.gpkg.tar
gentoo-kernel-6.6.31-1.arm64.gpkg.tar file://$D/gentoo-kernel-6.6.31-1.arm64.gpkg.tar
EOF
t_diff "the fetch list names both" "$T/want" "$T/out"
t_run "the amd64 file is the package" 0 cmp "$P" "$D/gentoo-kernel-6.6.31-1.amd64.gpkg.tar"
t_eq "same file system: a hard link" "$(stat -c %i "$P")" "$(stat -c %i "$D/gentoo-kernel-6.6.31-1.amd64.gpkg.tar")"
t_eq "no temporary file left" "gentoo-kernel-6.6.31-1.amd64.gpkg.tar gentoo-kernel-6.6.31-1.arm64.gpkg.tar" "$(ls "$D" | tr '\n' ' ' | sed 's/ $//')"

# Present with the same size: skipped (the file is not replaced), still listed.
rm "$D/gentoo-kernel-6.6.31-1.amd64.gpkg.tar"
cp "$P" "$D/gentoo-kernel-6.6.31-1.amd64.gpkg.tar"
ino=$(stat -c %i "$D/gentoo-kernel-6.6.31-1.amd64.gpkg.tar")
t_run "a second run" 0 dk-push -d "$D" "$P"
t_out "a second run lists it" "gentoo-kernel-6.6.31-1.amd64.gpkg.tar file://$D/gentoo-kernel-6.6.31-1.amd64.gpkg.tar" "$T/out"
t_eq "same size: not replaced" "$ino" "$(stat -c %i "$D/gentoo-kernel-6.6.31-1.amd64.gpkg.tar")"
t_run "-f replaces it" 0 dk-push -f -d "$D" "$P"
t_eq "-f: now the package's inode" "$(stat -c %i "$P")" "$(stat -c %i "$D/gentoo-kernel-6.6.31-1.amd64.gpkg.tar")"
# Other content under the name is never replaced without -f: another
# size, or the same size with other bytes; the file names itself.
# (never written in place: the DISTDIR file may be a hard link of the package)
rm "$D/gentoo-kernel-6.6.31-1.arm64.gpkg.tar"
echo short >"$D/gentoo-kernel-6.6.31-1.arm64.gpkg.tar"
t_run "a different size is refused" 1 dk-push -d "$D" "$P2"
t_out "a different size: the message" "dk-push: file://$D/gentoo-kernel-6.6.31-1.arm64.gpkg.tar: already there with 6 bytes, not $(stat -c %s "$P2"): not replaced (-f replaces it)" "$T/err"
t_eq "a different size: no fetch-list line" "" "$(cat "$T/out")"
t_eq "a different size: left alone" short "$(cat "$D/gentoo-kernel-6.6.31-1.arm64.gpkg.tar")"
rm "$D/gentoo-kernel-6.6.31-1.arm64.gpkg.tar"
head -c "$(stat -c %s "$P2")" /dev/zero >"$D/gentoo-kernel-6.6.31-1.arm64.gpkg.tar"
t_run "same size, other bytes: refused" 1 dk-push -d "$D" "$P2"
t_out "same size, other bytes: the message" "dk-push: file://$D/gentoo-kernel-6.6.31-1.arm64.gpkg.tar: already there with other content: not replaced (-f replaces it)" "$T/err"
t_run "same size, other bytes: left alone" 0 cmp "$D/gentoo-kernel-6.6.31-1.arm64.gpkg.tar" /dev/zero -n "$(stat -c %s "$P2")"
t_run "-f replaces other content" 0 dk-push -f -d "$D" "$P2"
t_run "the replaced file is the package" 0 cmp "$P2" "$D/gentoo-kernel-6.6.31-1.arm64.gpkg.tar"
t_eq "-f: nothing else left" "gentoo-kernel-6.6.31-1.amd64.gpkg.tar gentoo-kernel-6.6.31-1.arm64.gpkg.tar" "$(ls -A "$D" | tr '\n' ' ' | sed 's/ $//')"
# A name that is not a regular file is never replaced, even with -f.
mkdir -p "$T/odd"
ln -s /etc/passwd "$T/odd/gentoo-kernel-6.6.31-1.amd64.gpkg.tar"
t_run "a symlink under the name" 1 dk-push -f -d "$T/odd" "$P"
t_out "a symlink: the message" "dk-push: file://$T/odd/gentoo-kernel-6.6.31-1.amd64.gpkg.tar: already there and not a regular file: not replaced" "$T/err"
t_eq "a symlink: still the link" /etc/passwd "$(readlink "$T/odd/gentoo-kernel-6.6.31-1.amd64.gpkg.tar")"

# Another file system (tmpfs): copied, atomically.
if [ -d /dev/shm ] && [ "$(stat -c %d /dev/shm)" != "$(stat -c %d "$T")" ]; then
	S=$(mktemp -d /dev/shm/dk-t.XXXXXX)
	at_exit "rm -rf '$S'"
	t_run "another file system" 0 dk-push -d "file://$S/{arch}" "$P"
	t_run "another file system: a copy" 0 cmp "$P" "$S/amd64/gentoo-kernel-6.6.31-1.amd64.gpkg.tar"
	t_eq "another file system: mode 0644" 644 "$(stat -c %a "$S/amd64/gentoo-kernel-6.6.31-1.amd64.gpkg.tar")"
	t_eq "another file system: nothing else" "gentoo-kernel-6.6.31-1.amd64.gpkg.tar" "$(ls -A "$S/amd64")"
else
	skip "copy to another file system" "/dev/shm is not a separate file system"
fi

# Placeholders: the kernel.org-style tree.
t_run "placeholders" 0 dk-push -d "file://$T/pub/{arch}/{series}/{pn}-{pv}" "$P"
t_out "placeholders expanded" "gentoo-kernel-6.6.31-1.amd64.gpkg.tar file://$T/pub/amd64/6.6/gentoo-kernel-6.6.31/gentoo-kernel-6.6.31-1.amd64.gpkg.tar" "$T/out"
t_run "an unknown placeholder" 1 dk-push -d "file://$T/pub/{flavour}" "$P"
t_out "an unknown placeholder: the message" "dk-push: file://$T/pub/{flavour}: unknown placeholder {flavour}" "$T/err"

# -n: what would go where; nothing is touched.
t_run "-n dry run" 0 dk-push -n -d "file://$T/dry/{arch}" -d "sftp://example.invalid/pub/{arch}/{series}" "$P"
cat >"$T/want" <<EOF
$P -> file://$T/dry/amd64/gentoo-kernel-6.6.31-1.amd64.gpkg.tar
$P -> sftp://example.invalid/pub/amd64/6.6/gentoo-kernel-6.6.31-1.amd64.gpkg.tar
EOF
t_diff "-n lists the uploads" "$T/want" "$T/out"
t_eq "-n touched nothing" "" "$(ls -d "$T/dry" 2>/dev/null)"

# -a and the arch from the path.
mkdir -p "$T/flat"
cp "$P" "$T/flat/"
t_run "no arch in the path" 1 dk-push -d "$D" "$T/flat/gentoo-kernel-6.6.31-1.gpkg.tar"
t_out "no arch: the message" "dk-push: $T/flat/gentoo-kernel-6.6.31-1.gpkg.tar: cannot tell the arch from the path (BINPKGROOT/ARCH/kernel/CAT/gentoo-kernel/FILE): use -a" "$T/err"
t_run "-a gives it" 0 dk-push -a ppc64le -d "$D" "$T/flat/gentoo-kernel-6.6.31-1.gpkg.tar"
t_out "-a names it" "gentoo-kernel-6.6.31-1.ppc64le.gpkg.tar file://$D/gentoo-kernel-6.6.31-1.ppc64le.gpkg.tar" "$T/out"

# dk-build's result lines on stdin: ok paths are taken, failed reported.
cat >"$T/results" <<EOF
# dk-build output
amd64-gentoo-kernel-6.6 ok $P
arm64-gentoo-kernel-6.6 ok $P2
x86-gentoo-kernel-6.6 failed $T/logs/x86-gentoo-kernel-6.6.log
EOF
rm -rf "$D"
t_run "dk-build lines: exit 1 for the failed build" 1 dk-push -d "$D" <"$T/results"
cat >"$T/want" <<EOF
gentoo-kernel-6.6.31-1.amd64.gpkg.tar file://$D/gentoo-kernel-6.6.31-1.amd64.gpkg.tar
gentoo-kernel-6.6.31-1.arm64.gpkg.tar file://$D/gentoo-kernel-6.6.31-1.arm64.gpkg.tar
EOF
t_diff "dk-build lines: the ok packages go" "$T/want" "$T/out"
t_out "dk-build lines: the failed one reported" "dk-push: <stdin>:4: x86-gentoo-kernel-6.6: build failed, log $T/logs/x86-gentoo-kernel-6.6.log" "$T/err"
printf '%s\nsome thing odd\n' "$P" >"$T/in"
t_run "a bad input line" 1 dk-push -d "$D" <"$T/in"
t_out "a bad input line: its number" "dk-push: <stdin>:2: not a path or a dk-build result line" "$T/err"
# On a terminal, reading stdin is said first, so it does not look hung.
if command -v script >/dev/null; then
	t_run "a terminal on stdin" 0 timeout 60 script -qec "dk-push -d '$D'" /dev/null </dev/null
	t_grep "a terminal: the hint" '^dk-push: reading package paths from standard input; end with \^D' "$T/out"
else
	skip "a terminal on stdin" "no script(1) to make one"
fi
# A 10 MB path: one line that quotes 80 bytes of it and says why.
python3 -c 'print("/x/" + "a" * 10000000 + ".gpkg.tar")' >"$T/huge"
t_run "a 10 MB path" 1 dk-push -d "$D" <"$T/huge"
t_out "a 10 MB path: the reason, 80 bytes of it" "dk-push: /x/$(printf '%077d' 0 | tr 0 a)...: a path of 10000012 bytes, longer than the system's limit of 4095" "$T/err"
# Comments, blank lines and blanks around a path are not paths; a
# dk-build line may name any number of packages.
{ printf '# from dk-build\n\n   %s   \n' "$P"; printf 'amd64-gentoo-kernel-6.6 ok'; i=0; while [ $i -lt 70 ]; do printf ' %s' "$P2"; i=$((i + 1)); done; echo; } >"$T/in2"
t_run "comments, blanks, a long ok line" 1 dk-push -d "$D" <"$T/in2"
t_eq "a long ok line: ten problems shown" 10 "$(grep -c 'published as' "$T/err")"
t_grep "a long ok line: every word read (69 duplicates refused)" '^dk-push: 59 more problems$' "$T/err"
t_grep "a long ok line: the first still goes" "^gentoo-kernel-6.6.31-1.arm64.gpkg.tar " "$T/out"

# Broken packages: one line naming package and member; nothing uploaded;
# the good ones still go.
mk_broken() {	# mk_broken HOW: a broken amd64 package k-1.0-1
	mkdir -p "$T/bad/$1/amd64/kernel/sys-kernel/k"
	MKGPKG_BREAK=$1 "$MK" "$T/bad/$1/amd64/kernel/sys-kernel/k/k-1.0-1.gpkg.tar" sys-kernel/k-1.0
	echo "$T/bad/$1/amd64/kernel/sys-kernel/k/k-1.0-1.gpkg.tar"
}
b=$(mk_broken wrong-hash)
rm -rf "$D"
t_run "wrong hash in the Manifest" 1 dk-push -d "$D" "$b" "$P"
t_out "wrong hash: the message" "dk-push: $b: member k-1.0-1/image.tar.xz: SHA512 does not match the Manifest" "$T/err"
t_out "wrong hash: the good one still goes" "gentoo-kernel-6.6.31-1.amd64.gpkg.tar file://$D/gentoo-kernel-6.6.31-1.amd64.gpkg.tar" "$T/out"
t_eq "wrong hash: not uploaded" "" "$(find "$D" -name 'k-*')"
b=$(mk_broken missing-image)
t_run "a missing member" 1 dk-push -d "$D" "$b"
t_out "a missing member: the message" "dk-push: $b: member k-1.0-1/image.tar* missing" "$T/err"
b=$(mk_broken dotdot)
t_run "a member path with .." 1 dk-push -d "$D" "$b"
t_out "a member path with ..: the message" "dk-push: $b: member k-1.0-1/../evil: unsafe path" "$T/err"
b=$(mk_broken extra)
t_run "an unknown member" 1 dk-push -d "$D" "$b"
t_out "an unknown member: the message" "dk-push: $b: member k-1.0-1/README: not a GLEP 78 member" "$T/err"
mkdir -p "$T/bad/trunc/amd64/kernel/sys-kernel/k"
b=$T/bad/trunc/amd64/kernel/sys-kernel/k/k-1.0-1.gpkg.tar
head -c 1200 "$P" >"$b"
t_run "a truncated package" 1 dk-push -d "$D" "$b"
t_out "a truncated package: the message" "dk-push: $b: truncated in member gentoo-kernel-6.6.31-1/metadata.tar.xz" "$T/err"
t_eq "no broken package was uploaded" "gentoo-kernel-6.6.31-1.amd64.gpkg.tar" "$(ls "$D")"
# The metadata's PF must agree with the file name.
mkdir -p "$T/lie/amd64/kernel/sys-kernel/gentoo-kernel"
b=$T/lie/amd64/kernel/sys-kernel/gentoo-kernel/gentoo-kernel-6.6.32-1.gpkg.tar
"$MK" "$b" sys-kernel/gentoo-kernel-6.6.31
t_run "PF not the file name's" 1 dk-push -d "$D" "$b"
t_out "PF not the file name's: the message" "dk-push: $b: metadata PF gentoo-kernel-6.6.31 does not match the file name's gentoo-kernel-6.6.32" "$T/err"
t_run "a missing file" 1 dk-push -d "$D" "$T/nonexistent/amd64/kernel/sys-kernel/k/k-1.0-1.gpkg.tar"
t_out "a missing file: the message" "dk-push: $T/nonexistent/amd64/kernel/sys-kernel/k/k-1.0-1.gpkg.tar: cannot open: No such file or directory" "$T/err"

if [ -w /dev/full ]; then
	t_run "stdout to /dev/full fails" 1 sh -c 'dk-push -d "$1" "$2" >/dev/full' sh "$D" "$P"
	t_grep "/dev/full: the message" '^dk-push: write error: standard output' "$T/err"
fi

# The same package twice (or two files that publish as one name): refused.
rm -rf "$D"
t_run "one name twice" 1 dk-push -d "$D" "$P" "$P"
t_out "one name twice: the message" "dk-push: $P: published as gentoo-kernel-6.6.31-1.amd64.gpkg.tar, as $P already is" "$T/err"
t_out "one name twice: the first goes" "gentoo-kernel-6.6.31-1.amd64.gpkg.tar file://$D/gentoo-kernel-6.6.31-1.amd64.gpkg.tar" "$T/out"
