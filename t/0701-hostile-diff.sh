#!/bin/sh
# Hostile diffs (issue 14, 2, 7, 8): links, submodules, mode changes and
# .git/ are refused on stdin and from a real git repository; a tree that
# already holds a link is never patched through (-t); NUL bytes, random
# bytes and CRLF diffs are refused with their reason; stdout that cannot
# be written gets no success summary. Reproducers: t/data/hostile/diff-*.
. "$(dirname "$0")/lib.sh"
H=$DATA/hostile
t_empty() { if [ -s "$2" ]; then fail "$1" "not empty: $(head -c 100 "$2")"; else ok "$1"; fi; }

refused() {	# refused NAME FILE REGEX: diff-export - on FILE fails with REGEX
	diff-export - <"$2" >"$T/out" 2>"$T/err"
	t_eq "$1: exit 1" 1 "$?"
	t_grep "$1: the reason" "^diff-export: <stdin>:$3" "$T/err"
	t_empty "$1: nothing on stdout" "$T/out"
}
refused "new symbolic link" "$H/diff-symlink" "2: mode 120000 \(a symbolic link\): only regular files \(100644, 100755\) can be exported$"
refused "a link and a file through it" "$H/diff-symlink-then-file" "2: mode 120000 "
refused "mode change to a link" "$H/diff-mode-symlink" "3: mode 120000 "
refused "submodule" "$H/diff-submodule" "2: mode 160000 \(a submodule\)"
refused ".git/config" "$H/diff-git-config" "1: path \.git/config is inside \.git$"
refused "NUL byte in a hunk" "$H/diff-nul" "7: NUL byte: only text diffs can be exported$"
refused "CRLF diff" "$H/diff-crlf" "1: CRLF line ending: the diff was converted to DOS line ends$"
diff-export - <"$H/diff-random" >"$T/out" 2>"$T/err"
t_eq "4 KB of random bytes: exit 1" 1 "$?"
t_out "4 KB of random bytes: not a diff, not 'empty'" \
	"diff-export: <stdin>: not a diff: no file header (diff --git, or --- and +++)" "$T/err"

# From git itself: a symbolic link and a submodule committed on the branch.
export GIT_CONFIG_NOSYSTEM=1 HOME="$T/home"
mkdir -p "$HOME"
git config --global user.name "dk test"
git config --global user.email "dk-test@example.invalid"
git config --global init.defaultBranch master
up=$T/up wc=$T/wc
mkdir -p "$up/sys-kernel/gentoo-kernel/files"
printf 'a\nb\n' >"$up/sys-kernel/gentoo-kernel/files/README"
git init -q "$up" && git -C "$up" add -A && git -C "$up" commit -qm init
git clone -q "$up" "$wc"
ln -s /etc "$wc/sys-kernel/gentoo-kernel/files/etc"
git -C "$wc" add -A && git -C "$wc" commit -qm link
diff-export -C "$wc" >"$T/out" 2>"$T/err"
t_eq "git: a committed symbolic link: exit 1" 1 "$?"
t_grep "git: ... named as a link" "^diff-export: git diff origin:2: mode 120000 \(a symbolic link\)" "$T/err"
t_empty "git: ... nothing on stdout" "$T/out"
git -C "$wc" reset -q --hard origin/master
sub=$wc/sys-kernel/gentoo-kernel/sub
git init -q "$sub" && echo x >"$sub/x" && git -C "$sub" add x && git -C "$sub" commit -qm x
git -C "$wc" add sys-kernel/gentoo-kernel/sub 2>/dev/null && git -C "$wc" commit -qm submodule
diff-export -C "$wc" >"$T/out" 2>"$T/err"
t_eq "git: a submodule: exit 1" 1 "$?"
t_grep "git: ... named as a submodule" "^diff-export: git diff origin:2: mode 160000 \(a submodule\)" "$T/err"
git -C "$wc" reset -q --hard origin/master 2>/dev/null
rm -rf "$sub"
chmod +x "$wc/sys-kernel/gentoo-kernel/files/README"
git -C "$wc" commit -qam executable
t_run "git: 100644 to 100755 is fine" 0 diff-export -C "$wc"

# -t TREE: a link already in the tree is not patched through.
printf -- '--- a/sys-kernel/gentoo-kernel/files/l/passwd\n+++ b/sys-kernel/gentoo-kernel/files/l/passwd\n@@ -1 +1 @@\n-a\n+b\n' >"$T/through.diff"
tree=$T/tree
mkdir -p "$tree/sys-kernel/gentoo-kernel/files" "$T/elsewhere"
echo a >"$T/elsewhere/passwd"
ln -s "$T/elsewhere" "$tree/sys-kernel/gentoo-kernel/files/l"
diff-export -t "$tree" - <"$T/through.diff" >"$T/out" 2>"$T/err"
t_eq "-t: a path through a link in the tree: exit 1" 1 "$?"
t_out "-t: ... the link named" \
	"diff-export: $tree/sys-kernel/gentoo-kernel/files/l: a symbolic link in the tree: refusing to patch through it" "$T/err"
rm "$tree/sys-kernel/gentoo-kernel/files/l"
mkdir "$tree/sys-kernel/gentoo-kernel/files/l"
echo a >"$tree/sys-kernel/gentoo-kernel/files/l/passwd"
t_run "-t: the same as a real directory applies" 0 diff-export -t "$tree" - <"$T/through.diff"

# Half output: no success summary when stdout cannot be written.
if [ -w /dev/full ]; then
	diff-export - <"$T/through.diff" >/dev/full 2>"$T/err"
	t_eq ">/dev/full: exit 1" 1 "$?"
	t_out ">/dev/full: only the write error" "diff-export: write error: standard output: No space left on device" "$T/err"
else
	skip ">/dev/full" "no /dev/full"
fi
