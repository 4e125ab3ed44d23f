#!/bin/sh
# Files that are not regular (issue 14, 4, 5, 10): outputs that are a
# device, a FIFO or a symbolic link are refused with one line and left as
# they were; FIFO operands are refused without blocking; kill -9 at any
# moment of an in-place write leaves the target whole and, after the next
# run, no temporary file.
. "$(dirname "$0")/lib.sh"

printf -- '--- a/c/p/f\n+++ b/c/p/f\n@@ -1 +1 @@\n-a\n+b\n' >"$T/ok.diff"
printf 'EAPI=8\nKEYWORDS="~amd64"\n' >"$T/target.ebuild"
cp "$T/target.ebuild" "$T/orig.ebuild"
mkfifo "$T/fifo" "$T/fifo.ebuild"
ln -s target.ebuild "$T/link.ebuild"
ln -s target.ebuild "$T/link.diff"
kind() { stat -c %F "$1"; }

# diff-export -o
for node in fifo link.diff; do
	diff-export -o "$T/$node" - <"$T/ok.diff" >"$T/out" 2>"$T/err"
	t_eq "diff-export -o $node: exit 1" 1 "$?"
	k=$(kind "$T/$node")
	t_grep "diff-export -o $node: one line why" \
		"^diff-export: $T/$node: (not a regular file: refusing to replace it|is a symbolic link: refusing to write through it)$" "$T/err"
	t_eq "diff-export -o $node: left as it was" "$k" "$(kind "$T/$node")"
done
t_run "... the link's target untouched" 0 cmp "$T/orig.ebuild" "$T/target.ebuild"
if [ "$(id -u)" = 0 ] && mknod "$T/full" c 1 7 2>/dev/null; then
	diff-export -o "$T/full" - <"$T/ok.diff" >"$T/out" 2>"$T/err"
	t_eq "diff-export -o a character device: exit 1" 1 "$?"
	t_out "... one line why" "diff-export: $T/full: not a regular file: refusing to replace it" "$T/err"
	t_eq "... still a device" "character special file" "$(kind "$T/full")"
else
	skip "diff-export -o a character device" "mknod needs root"
fi
t_run "diff-export -o a regular file still works" 0 diff-export -o "$T/new.diff" - <"$T/ok.diff"
t_run "... written" 0 cmp "$T/ok.diff" "$T/new.diff"

# ebuild-setvar -i
ebuild-setvar -i "$T/link.ebuild" KEYWORDS="~amd64 ~arm64" >"$T/out" 2>"$T/err"
t_eq "ebuild-setvar -i a symbolic link: exit 1" 1 "$?"
t_out "... one line why" "ebuild-setvar: $T/link.ebuild: is a symbolic link: refusing to write through it" "$T/err"
t_eq "... still a link" "symbolic link" "$(kind "$T/link.ebuild")"
t_run "... its target untouched" 0 cmp "$T/orig.ebuild" "$T/target.ebuild"
timeout 60 ebuild-setvar -i "$T/fifo.ebuild" KEYWORDS="~amd64" >"$T/out" 2>"$T/err"
t_eq "ebuild-setvar -i a FIFO: exit 1 (no hang)" 1 "$?"
t_out "... one line why" "ebuild-setvar: $T/fifo.ebuild: not a regular file" "$T/err"
t_eq "... still a FIFO" "fifo" "$(kind "$T/fifo.ebuild")"

# FIFO operands with no writer: refused, not opened blocking.
timeout 60 ebuild-setvar -g EAPI "$T/fifo.ebuild" >"$T/out" 2>"$T/err"
t_eq "ebuild-setvar -g on a FIFO: exit 1 (no hang)" 1 "$?"
t_out "... why" "ebuild-setvar: $T/fifo.ebuild: not a regular file" "$T/err"
timeout 60 manifest-gen -l "$T/fifo.ebuild" >"$T/out" 2>"$T/err"
t_eq "manifest-gen -l on a FIFO: exit 1 (no hang)" 1 "$?"
t_out "... why" "manifest-gen: $T/fifo.ebuild: not a regular file" "$T/err"
t_run "a FIFO on stdin (-) is still read" 0 sh -c "printf 'EAPI=7\n' | ebuild-setvar -g EAPI"
t_out "... its value" 7 "$T/out"

# kill -9 during ebuild-setvar -i of a 20 MB ebuild: the target is always
# the old or the new file, and the next run leaves no temporary file.
{ echo 'EAPI=8'; echo 'KEYWORDS="~amd64"'; awk 'BEGIN { for (i = 0; i < 400000; i++) printf "# padding %07d of a big ebuild\n", i }'; } >"$T/big.ebuild"
cp "$T/big.ebuild" "$T/big.old"
sed 's/^KEYWORDS=.*/KEYWORDS="~amd64 ~arm64"/' "$T/big.old" >"$T/big.new"
i=0 torn=0
while [ $i -lt 20 ]; do
	ebuild-setvar -i "$T/big.ebuild" KEYWORDS="~amd64 ~arm64" &
	pid=$!
	sleep "0.0$((i % 10))"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	cmp -s "$T/big.ebuild" "$T/big.old" || cmp -s "$T/big.ebuild" "$T/big.new" || torn=$((torn + 1))
	cp "$T/big.old" "$T/big.ebuild"
	i=$((i + 1))
done
t_eq "kill -9 x20: the target never torn" 0 "$torn"
# one a killed writer on a file system without O_TMPFILE would leave
echo stale >"$T/.big.ebuild.Ab12Cd"
t_run "the run after the kills" 0 ebuild-setvar -i "$T/big.ebuild" KEYWORDS="~amd64 ~arm64"
t_eq "... no temporary file left, the stale one removed" "" "$(cd "$T" && ls -A | grep '^\.big\.ebuild\.' | tr '\n' ' ')"
t_run "... the new file" 0 cmp "$T/big.new" "$T/big.ebuild"
