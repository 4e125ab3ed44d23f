#!/bin/sh
# The README's examples run as written: every example named here is found
# verbatim in the README, run in the tree it speaks of, and its output
# compared with what the README shows on the terminal (when it shows
# any, without "...").
. "$(dirname "$0")/lib.sh"
. "$DK_TOP/t/lib/nginx.sh"
. "$DK_TOP/t/lib/gpg.sh"
. "$DK_TOP/t/lib/sample.sh"

mkdir -p "$T/ex" "$T/home/git/binpkg-docker"
python3 "$DK_TOP/t/readme-examples.py" "$DK_TOP/README" "$T/ex"
HOME=$T/home
export HOME

# example CMD-PREFIX: runs the README example that starts with the prefix.
example() {
	_f=$(grep -lF -- "$1" "$T"/ex/*.cmd | head -n 1)
	if [ -z "$_f" ]; then
		fail "README example: $1" "not in the README any more"
		return
	fi
	_cmd=$(sed "s|contrib/|$DK_TOP/contrib/|g" "$_f")
	# the README shows what the terminal shows: stdout and stderr
	if ! sh -c "$_cmd" >"$T/got" 2>&1; then
		fail "README example: $1" "exit $?: $(head -c 300 "$T/got")"
		return
	fi
	_want=${_f%.cmd}.out
	if [ -s "$_want" ] && ! grep -qF '...' "$_want"; then
		t_diff "README example: $1" "$_want" "$T/got"
	else
		ok "README example: $1"
	fi
}

# The per-program examples, in a tree holding the corpus packages.
if [ -n "$CORPUS" ]; then
	tree=$T/tree
	mkdir -p "$tree"
	cp -R "$CORPUS/." "$tree/"
	# today's eclasses add nothing to SRC_URI; the corpus copies are older
	rm -rf "$tree/eclass"
	cp -R "$DATA/repo/eclass" "$tree/"
	cd "$tree" || exit 1
	example "ebuild-copy sys-kernel/gentoo-kernel 6.6.9 6.6.10"
	example "printf '6.6.9 6.6.11"
	example "ebuild-setvar -e BASE_P PATCH_PV"
	example "ebuild-setvar -i sys-kernel/gentoo-kernel/gentoo-kernel-7.2.9.ebuild"
	git checkout -q 2>/dev/null
	cp "$CORPUS/sys-kernel/gentoo-kernel/gentoo-kernel-7.2.9.ebuild" sys-kernel/gentoo-kernel/
	example "manifest-gen -l sys-kernel/gentoo-kernel/gentoo-kernel-7.2.9.ebuild"
else
	skip "README per-program examples" "$CORPUS_WHY"
fi

# "Bump the kernels", step by step and with bump-kernels, in the sample.
if ! sample_init "$T/s" 2>"$T/init.err"; then
	skip "README bump examples" "the sample could not be set up: $(tail -n 2 "$T/init.err" | tr '\n' ' ')"
	exit 0
fi
sample_standins sys-kernel/gentoo-kernel 7.2.9 7.2.10 6.18.1 6.18.2
sample_standins sys-kernel/vanilla-kernel 7.2.9 7.2.10 6.18.1 6.18.2
GENTOO_MIRRORS=$NGINX_URL VERIFY_SIG_OPENPGP_KEY_PATH=$GPG_KEYRING
export GENTOO_MIRRORS VERIFY_SIG_OPENPGP_KEY_PATH
cd "$SAMPLE/gentoo" || exit 1
example "ebuild-copy sys-kernel/gentoo-kernel 7.2.9 7.2.10"
example "ebuild-setvar -i sys-kernel/gentoo-kernel/gentoo-kernel-7.2.10.ebuild CONFIG_VER="
example "manifest-gen -u sys-kernel/gentoo-kernel"
example "git add sys-kernel/gentoo-kernel"
example "git commit -s -m \"sys-kernel/gentoo-kernel: Bump to 7.2.10\""
example "diff-export -s -o ~/git/binpkg-docker/local.diff"
t_run "local.diff written where the README says" 0 test -s "$HOME/git/binpkg-docker/local.diff"
git reset -q --hard origin/HEAD
git clean -qfd
cp "$DATA/releases/kernel.org.json" releases.json
example "dk-releases releases.json"
rm releases.json
example "contrib/bump-kernels --set gentoo-kernel-7.2.10:CONFIG_VER=7.2.5-gentoo"
t_eq "bump-kernels made the README's commits" 6 "$(git rev-list --count origin/HEAD..HEAD)"

# The configuration shown in the README is one dk-build accepts.
sed -n '/^    binpkgroot: ~\/binpkg/,/^$/p' "$DK_TOP/README" | sed 's/^    //' >"$T/config.yaml"
t_run "the README's configuration parses" 2 dk-build -c "$T/config.yaml" no-such-target
t_grep "it got as far as the target name" "^dk-build: unknown target 'no-such-target'" "$T/err"
