#!/bin/sh
# diff-export against real git repositories: a gentoo.git stand-in made from
# the corpus, cloned (origin a real remote), a bump committed on a branch.
. "$(dirname "$0")/lib.sh"
need_corpus "diff-export corpus tests"

export GIT_CONFIG_NOSYSTEM=1 HOME="$T/home" GIT_AUTHOR_DATE='2024-05-01T00:00:00Z' GIT_COMMITTER_DATE='2024-05-01T00:00:00Z'
mkdir -p "$HOME"
git config --global user.name "dk test"
git config --global user.email "dk-test@example.invalid"
git config --global init.defaultBranch master

# The upstream repository: real ebuilds and Manifest from the corpus.
up=$T/gentoo
mkdir -p "$up/sys-kernel/gentoo-kernel/files" "$up/sys-kernel/vanilla-kernel" "$up/virtual/dist-kernel" "$up/eclass"
for f in gentoo-kernel-6.6.9.ebuild Manifest metadata.xml; do
	cp "$CORPUS/sys-kernel/gentoo-kernel/$f" "$up/sys-kernel/gentoo-kernel/"
done
cp "$CORPUS/sys-kernel/vanilla-kernel/vanilla-kernel-4.19.94-r1.ebuild" "$up/sys-kernel/vanilla-kernel/"
cp "$CORPUS/virtual/dist-kernel/dist-kernel-6.1.12.ebuild" "$up/virtual/dist-kernel/"
cp "$CORPUS/eclass/kernel-build.eclass" "$up/eclass/"
printf 'keep these\nlast line, no newline' >"$up/sys-kernel/gentoo-kernel/files/README"
git init -q "$up" && git -C "$up" add -A && git -C "$up" commit -qm init

# The maintainer's checkout with the bump on a branch.
wc=$T/wc
git clone -q "$up" "$wc"
git -C "$wc" checkout -qb bump
(
	cd "$wc/sys-kernel/gentoo-kernel" &&
	sed 's/^KEYWORDS=.*/KEYWORDS="~amd64 ~arm64 ~ppc64 ~x86"/' gentoo-kernel-6.6.9.ebuild >gentoo-kernel-6.6.10.ebuild &&
	git rm -q gentoo-kernel-6.6.9.ebuild &&
	echo "DIST linux-6.6.10.tar.xz 1234 BLAKE2B 00 SHA512 00" >>Manifest &&
	printf 'keep these\nlast line changed, still no newline' >files/README &&
	printf 'a note\n' >"files/my notes.txt" &&
	cd ../vanilla-kernel && git rm -q vanilla-kernel-4.19.94-r1.ebuild &&
	cd ../../virtual/dist-kernel && sed 's/6\.1\.12/6.6.10/g' dist-kernel-6.1.12.ebuild >dist-kernel-6.6.10.ebuild &&
	cd "$wc" && git add -A && git commit -qm "sys-kernel/gentoo-kernel: Bump to 6.6.10"
) || { fail setup "cannot build the repositories"; exit 1; }
git -C "$wc" diff origin >"$T/git.diff"

# The default: the checkout against origin, unchanged on stdout.
t_run "diff of the checkout against origin" 0 diff-export -C "$wc" &&
	t_diff "the diff is git's, unchanged" "$T/git.diff" "$T/out"
sum=$(sha256sum "$T/git.diff" | cut -d' ' -f1)
t_out "one-line summary on stderr" "6 files, 3 packages, +23 -73, sha256 $sum" "$T/err"
numstat=$(git -C "$wc" diff --numstat origin | awk '{ a += $1; d += $2 } END { print "+" a " -" d }')
t_eq "line counts agree with git --numstat" "+23 -73" "$numstat"
t_grep "the diff holds a rename" '^rename to sys-kernel/gentoo-kernel/gentoo-kernel-6.6.10.ebuild$' "$T/out"
t_grep "the diff holds a deletion" '^deleted file mode' "$T/out"
t_grep "the diff holds a missing trailing newline" '^\\ No newline at end of file$' "$T/out"

t_run "-I prints the digest" 0 diff-export -I -C "$wc" &&
	t_out "the digest is the SHA-256 of the diff" "$sum" "$T/out"
t_eq "-I prints nothing on stderr" "" "$(cat "$T/err")"
t_run "--digest --directory=DIR --base BASE" 0 diff-export --digest --directory="$wc" --base origin &&
	t_out "--digest: the same digest" "$sum" "$T/out"
t_run "--digest and --summary exclude each other" 2 diff-export --digest --summary -C "$wc"
t_grep "--digest --summary: says why, then the usage" "^diff-export: --digest and --summary exclude each other$" "$T/err"
t_empty_out() { if [ -s "$T/out" ]; then fail "$1" "stdout: $(head -c 200 "$T/out")"; else ok "$1"; fi; }
t_empty_out "a usage error leaves stdout alone"

t_run "-s prints the per-package table" 0 diff-export -s -C "$wc"
cat >"$T/want" <<'EOF'
sys-kernel/gentoo-kernel +6.6.10 -6.6.9 Manifest files/README files/my notes.txt
sys-kernel/vanilla-kernel -4.19.94-r1
virtual/dist-kernel +6.6.10
EOF
t_diff "the table names ebuilds added and removed" "$T/want" "$T/out"

t_run "-o writes the file" 0 diff-export -o "$T/local.diff" -C "$wc" &&
	t_diff "-o wrote the diff" "$T/git.diff" "$T/local.diff"
t_eq "-o leaves stdout empty" "" "$(cat "$T/out")"

(cd "$wc" && diff-export) >"$T/out" 2>"$T/err"
t_diff "-C defaults to the current directory" "$T/git.diff" "$T/out"

t_run "a diff on stdin" 0 sh -c 'diff-export - <"$1"' sh "$T/git.diff" &&
	t_diff "stdin diff passes unchanged" "$T/git.diff" "$T/out"

t_run "-b names the base" 0 diff-export -b origin/master -C "$wc" &&
	t_diff "-b origin/master is the same diff" "$T/git.diff" "$T/out"

(cd "$T" && GIT_DIR=wc/.git GIT_WORK_TREE=wc diff-export -C /) >"$T/out" 2>"$T/err"
t_diff "relative GIT_DIR and GIT_WORK_TREE mean the caller's directory" "$T/git.diff" "$T/out"

# -t: the dry run against a plain directory (no .git), the image's layout.
tree=$T/tree
mkdir "$tree" && git -C "$up" archive HEAD | tar -x -C "$tree"
t_run "-t: the diff applies to a snapshot of origin" 0 diff-export -t "$tree" -I -C "$wc"
t_run "git apply agrees" 0 git -C "$tree" apply --check "$T/git.diff"
ls -R "$tree" >"$T/before"
t_run "-t writes nothing" 0 sh -c 'ls -R "$1" | cmp -s - "$2"' sh "$tree" "$T/before"

# The README's example: the table on stdout, the checked diff in the file.
t_run "-s -t -o together" 0 diff-export -s -t "$tree" -o "$T/readme.diff" -C "$wc"
t_diff "-s -t -o: the table on stdout" "$T/want" "$T/out"
t_diff "-s -t -o: the diff in the file" "$T/git.diff" "$T/readme.diff"
t_out "-s -t -o: the summary on stderr" "6 files, 3 packages, +23 -73, sha256 $sum" "$T/err"

t_run "-t: a tree that is not there" 1 diff-export -t "$T/nowhere" -C "$wc"
t_out "-t: the missing tree is named" "diff-export: $T/nowhere: cannot read the tree: No such file or directory" "$T/err"

# Origin moved on: the Manifest line the hunk ends on changed.
cp -R "$tree" "$T/moved"
sed -i '$s/^DIST /DIST changed-/' "$T/moved/sys-kernel/gentoo-kernel/Manifest"
echo "old contents" >"$T/keep.diff"
at=$(grep -n '^@@' "$T/git.diff" | sed -n 1p | cut -d: -f1)
mline=$(grep -n '^@@' "$T/git.diff" | sed -n 1p | sed 's/.*-\([0-9]*\),.*/\1/')
t_run "-t: a diff that does not apply" 1 diff-export -t "$T/moved" -o "$T/keep.diff" -C "$wc"
t_out "the first failing hunk is named with file and line" \
	"diff-export: git diff origin:$at: $T/moved/sys-kernel/gentoo-kernel/Manifest:$mline: hunk 1 does not apply" "$T/err"
t_out "-o is not written when a check fails" "old contents" "$T/keep.diff"
t_eq "nothing on stdout when a check fails" "" "$(cat "$T/out")"

cp -R "$tree" "$T/gone"
rm "$T/gone/sys-kernel/vanilla-kernel/vanilla-kernel-4.19.94-r1.ebuild"
at=$(grep -n '^diff --git a/sys-kernel/vanilla' "$T/git.diff" | cut -d: -f1)
t_run "-t: a file to delete is missing" 1 diff-export -t "$T/gone" -C "$wc"
t_out "the missing file is named" \
	"diff-export: git diff origin:$at: $T/gone/sys-kernel/vanilla-kernel/vanilla-kernel-4.19.94-r1.ebuild: no such file" "$T/err"

cp -R "$tree" "$T/there"
echo x >"$T/there/virtual/dist-kernel/dist-kernel-6.6.10.ebuild"
at=$(grep -n '^diff --git a/virtual/dist-kernel/dist-kernel-6.6.10' "$T/git.diff" | cut -d: -f1)
t_run "-t: a file to add exists" 1 diff-export -t "$T/there" -C "$wc"
t_out "the existing file is named" \
	"diff-export: git diff origin:$at: $T/there/virtual/dist-kernel/dist-kernel-6.6.10.ebuild: already exists" "$T/err"

# -p limits the packages.
at=$(grep -n '^diff --git a/sys-kernel/vanilla' "$T/git.diff" | cut -d: -f1)
t_run "-p: a path outside the package" 1 diff-export -p sys-kernel/gentoo-kernel -C "$wc"
t_out "-p: the path is named" \
	"diff-export: git diff origin:$at: sys-kernel/vanilla-kernel/vanilla-kernel-4.19.94-r1.ebuild is outside sys-kernel/gentoo-kernel" "$T/err"
t_run "-p: every touched package allowed" 0 diff-export -I -p sys-kernel -p virtual/dist-kernel -C "$wc"

# A new ebuild nobody told git about is not in the diff: say so.
touch "$wc/sys-kernel/gentoo-kernel/gentoo-kernel-6.6.11.ebuild"
mkdir -p "$wc/sys-kernel/other" && touch "$wc/sys-kernel/other/other-1.ebuild"
t_run "untracked files: still exported" 0 diff-export -I -C "$wc/sys-kernel"
t_out "untracked files in the touched packages are named (-C a subdirectory)" \
	"diff-export: warning: sys-kernel/gentoo-kernel/gentoo-kernel-6.6.11.ebuild is not tracked by git: not in the diff" "$T/err"
t_out "-C a subdirectory: the whole diff" "$sum" "$T/out"
rm -r "$wc/sys-kernel/gentoo-kernel/gentoo-kernel-6.6.11.ebuild" "$wc/sys-kernel/other"

# Binary files are refused.
printf '\000\001\002binary' >"$wc/sys-kernel/gentoo-kernel/files/blob.bin"
git -C "$wc" add -A && git -C "$wc" commit -qm binary
git -C "$wc" diff origin >"$T/bin.diff"
at=$(grep -n '^Binary files' "$T/bin.diff" | cut -d: -f1)
t_run "a binary file is refused" 1 diff-export -C "$wc"
t_out "the binary file is named" \
	"diff-export: git diff origin:$at: binary file sys-kernel/gentoo-kernel/files/blob.bin: only text diffs can be exported" "$T/err"
git -C "$wc" reset -q --hard HEAD~1

# Damaged and hostile diffs on stdin.
head -n -1 "$T/git.diff" >"$T/trunc.diff"
n=$(wc -l <"$T/trunc.diff")
at=$(grep -n '^@@' "$T/trunc.diff" | tail -n 1 | cut -d: -f1)
t_run "a truncated diff is refused" 1 sh -c 'diff-export - <"$1"' sh "$T/trunc.diff"
t_out "truncation is reported with its line" \
	"diff-export: <stdin>:$n: diff ends inside the hunk at line $at: 0 old and 1 new lines missing (truncated?)" "$T/err"

cat >"$T/abs.diff" <<'EOF'
--- /etc/passwd
+++ b/etc/passwd
@@ -1 +1 @@
-root:x:0:0::/root:/bin/sh
+toor::0:0::/root:/bin/sh
EOF
t_run "an absolute path is refused" 1 sh -c 'diff-export - <"$1"' sh "$T/abs.diff"
t_out "the absolute path is named" "diff-export: <stdin>:1: absolute path /etc/passwd" "$T/err"

cat >"$T/dotdot.diff" <<'EOF'
diff --git a/sys-kernel/../../x b/sys-kernel/../../x
new file mode 100644
--- /dev/null
+++ b/sys-kernel/../../x
@@ -0,0 +1 @@
+x
EOF
t_run "a path with .. is refused" 1 sh -c 'diff-export - <"$1"' sh "$T/dotdot.diff"
t_out "the .. path is named" "diff-export: <stdin>:1: path sys-kernel/../../x leaves the tree (\"..\")" "$T/err"

cat >"$T/long.diff" <<'EOF'
diff --git a/x b/x
--- a/x
+++ b/x
@@ -1 +1 @@
-a
+b
+c
EOF
t_run "a hunk longer than its header is refused" 1 sh -c 'diff-export - <"$1"' sh "$T/long.diff"
t_out "the stray line is named" \
	"diff-export: <stdin>:7: line outside any hunk (the hunk header before it counts fewer lines)" "$T/err"

# A plain "diff -ruN" diff (no git headers) is read and applied too.
mkdir -p "$T/p/old/sys-kernel/x" "$T/p/new/sys-kernel/x"
printf '1\n2\n3\n' >"$T/p/old/sys-kernel/x/f"
printf '1\ntwo\n3\n' >"$T/p/new/sys-kernel/x/f"
printf 'n\n' >"$T/p/new/sys-kernel/x/g"
(cd "$T/p" && diff -ruN old new >"$T/plain.diff")
t_run "a plain diff -ruN applies" 0 sh -c 'diff-export -s -t "$2" - <"$1"' sh "$T/plain.diff" "$T/p/old"
t_out "a plain diff's table" "sys-kernel/x f g" "$T/out"

# The base.
git clone -q "$up" "$T/same"
t_run "no changes: an empty diff is refused" 1 diff-export -C "$T/same"
t_out "the empty diff is reported" "diff-export: git diff origin: empty diff: no changes" "$T/err"
git -C "$T/same" remote set-head origin -d
t_run "neither origin nor origin/HEAD" 1 diff-export -C "$T/same"
t_out "the missing base is reported" \
	"diff-export: neither origin nor origin/HEAD exists: give the base with -b" "$T/err"
t_run "an unknown -b" 1 diff-export -b nope -C "$wc"
t_out "the unknown base is named" "diff-export: base nope: no such commit" "$T/err"
mkdir "$T/nogit"
t_run "not a repository" 1 env GIT_CEILING_DIRECTORIES="$T" diff-export -C "$T/nogit"
t_grep "git's complaint is passed on" '^diff-export: git rev-parse: fatal: not a git repository' "$T/err"

t_run "-C a directory that is not there" 1 diff-export -C "$T/nowhere"
t_out "the missing directory is named" "diff-export: $T/nowhere: No such file or directory" "$T/err"
git init -q --object-format=sha256 "$T/sha256"
echo a >"$T/sha256/f" && git -C "$T/sha256" add f && git -C "$T/sha256" commit -qm a
echo b >"$T/sha256/f"
t_run "a SHA-256 repository" 0 diff-export -b HEAD -C "$T/sha256"
git -C "$T/sha256" diff HEAD >"$T/want"
t_diff "a SHA-256 repository's diff" "$T/want" "$T/out"

# Usage and output errors.
t_run "-h" 0 diff-export -h
t_grep "-h prints the synopsis" '^usage: diff-export \[-Is\]' "$T/out"
t_run "-V" 0 diff-export -V
t_out "-V prints the version" "diff-export 0.1.0" "$T/out"
t_run "-I and -s together" 2 diff-export -I -s -C "$wc"
t_run "-C with a diff on stdin" 2 diff-export -C "$wc" -
t_run "an unknown option" 2 diff-export -x
t_run "stdout on /dev/full" 1 sh -c 'diff-export -C "$1" >/dev/full' sh "$wc"
t_grep "the write error is reported" '^diff-export: write error: standard output: No space left on device$' "$T/err"
