#!/bin/sh
# dk-releases: kernel.org-format releases.json fixtures served by a real
# nginx on loopback, read from a file and from stdin, against the sample
# tree and the corpus; bad input one line each, nothing on stdout.
# Licence: GPL-2.0-only.
. "$(dirname "$0")/lib.sh"
. "$DK_TOP/t/lib/nginx.sh"

R=$DATA/releases
tree=$DATA/repo
www=$T/www
mkdir -p "$www"
cp "$R/kernel.org.json" "$www/releases.json"
head -c 700 "$R/kernel.org.json" >"$www/truncated.json"
sed 's/"6\.18\.3"/"6.18.x"/' "$R/kernel.org.json" >"$www/bad-version.json"
# Upstream at the tree's versions: nothing is due.
sed -e 's/"7\.2\.11"/"7.2.9"/' -e 's/"6\.18\.3"/"6.18.1"/' "$R/kernel.org.json" >"$www/current.json"

due='6.18.1 6.18.3
7.2.9 7.2.11'
notes='dk-releases: 6.12: upstream longterm series (6.12.60), not in the tree
dk-releases: 7.2: end of life upstream: 7.2.11 is its last release
dk-releases: 7.3: new upstream series (stable 7.3.1), not in the tree'

if nginx_start "$www" 2>"$T/nginx.err"; then
	t_run "-u URL" 0 dk-releases -C "$tree" -u "$NGINX_URL/releases.json"
	t_out "-u URL: the bump list" "$due" "$T/out"
	t_out "-u URL: EOL, new and absent series noted" "$notes" "$T/err"
	t_run "-q" 0 dk-releases -q -C "$tree" -u "$NGINX_URL/releases.json"
	t_eq "-q: no notes" "" "$(cat "$T/err")"
	t_run "--url= --directory=" 0 dk-releases --directory="$tree" --url="$NGINX_URL/releases.json"
	t_out "long options: the same list" "$due" "$T/out"
	t_run "nothing due" 0 dk-releases -q -C "$tree" -u "$NGINX_URL/current.json"
	t_eq "nothing due: empty output" "" "$(cat "$T/out")"
	t_run "a 404" 1 dk-releases -C "$tree" -u "$NGINX_URL/nothing.json"
	t_grep "a 404: one line naming it" '^dk-releases: .*nothing\.json.*404' "$T/err"
	t_eq "a 404: one line" 1 "$(wc -l <"$T/err")"
	t_eq "a 404: nothing on stdout" "" "$(cat "$T/out")"
	t_run "truncated JSON over http" 1 dk-releases -C "$tree" -u "$NGINX_URL/truncated.json"
	t_grep "truncated: the URL, line and column" "^dk-releases: $NGINX_URL/truncated\.json:[0-9]+:[0-9]+: " "$T/err"
	t_eq "truncated: nothing on stdout" "" "$(cat "$T/out")"
else
	skip "dk-releases -u URL" "$(cat "$T/nginx.err")"
fi

# A file, and standard input.
t_run "a file" 0 dk-releases -C "$tree" "$R/kernel.org.json"
t_out "a file: the bump list" "$due" "$T/out"
(cd "$tree" && dk-releases - <"$R/kernel.org.json") >"$T/out" 2>"$T/err"
t_out "stdin in the checkout: the bump list" "$due" "$T/out"
t_run "-a" 0 dk-releases -a -q -C "$tree" "$R/kernel.org.json"
t_out "-a: every series" '6.12 - 6.12.60 longterm absent
6.18 6.18.1 6.18.3 longterm due
7.1 - 7.1.12 stable absent eol
7.2 7.2.9 7.2.11 stable due eol
7.3 - 7.3.1 stable new' "$T/out"

# The corpus: PMS order (5.10.255_p3 is 5.10's newest), live 9999 left out.
if [ -d "$CORPUS/sys-kernel/gentoo-kernel" ]; then
	sed -e 's/"6\.12\.60"/"5.10.256"/' "$R/kernel.org.json" >"$T/corpus.json"
	t_run "corpus" 0 dk-releases -C "$CORPUS" "$T/corpus.json"
	t_out "corpus: the bump list" '5.10.255_p3 5.10.256
6.18.1 6.18.3
7.2.9 7.2.11' "$T/out"
	t_grep "corpus: an old series gone from upstream" '^dk-releases: 4\.19: not on upstream.s list \(end of life\?\): the tree has 4\.19\.94$' "$T/err"
	t_run "corpus: -p one package" 0 dk-releases -a -q -C "$CORPUS" -p sys-kernel/vanilla-kernel "$T/corpus.json"
	t_grep "corpus: vanilla-kernel 6.18 without its 9999" '^6\.18 - 6\.18\.3 longterm new$|^6\.18 6\.18\.[0-9]+ 6\.18\.3 ' "$T/out"
	if grep -q '9999' "$T/out"; then fail "corpus: no live version" "$(cat "$T/out")"; else ok "corpus: no live version"; fi
else
	skip "corpus" "no corpus: set DK_CORPUS (CI: ../shared/corpus)"
fi

# Bad input: one line each naming the file (and line/key), exit 1, no stdout.
bad() {	# bad NAME 'STDERR REGEX' ARGS...
	_n=$1 _re=$2
	shift 2
	t_run "$_n" 1 dk-releases "$@"
	t_grep "$_n: the message" "$_re" "$T/err"
	t_eq "$_n: one line" 1 "$(wc -l <"$T/err")"
	t_eq "$_n: nothing on stdout" "" "$(cat "$T/out")"
}
bad "malformed JSON" "^dk-releases: $www/truncated\.json:26:1: " -C "$tree" "$www/truncated.json"
bad "not a kernel version" "^dk-releases: $www/bad-version\.json:62:[0-9]+: releases\[3\]\.version: '6\.18\.x' is not a kernel version$" -C "$tree" "$www/bad-version.json"
printf '{"releases": [{"version": "7.2.11", "iseol": false}]}\n' >"$T/nomoniker.json"
bad "a release without moniker" "^dk-releases: $T/nomoniker\.json:1:[0-9]+: releases\[0\]: no \"moniker\"$" -C "$tree" "$T/nomoniker.json"
printf '{"latest_stable": {"version": "7.2.11"}}\n' >"$T/nolist.json"
bad "no releases list" "^dk-releases: $T/nolist\.json:1: no \"releases\" list$" -C "$tree" "$T/nolist.json"
printf '[]\n' >"$T/list.json"
bad "not an object" "^dk-releases: $T/list\.json:1: not kernel\.org's releases\.json" -C "$tree" "$T/list.json"
bad "no such file" "^dk-releases: $T/none\.json: cannot open: No such file or directory$" -C "$tree" "$T/none.json"
bad "a tree with no such package" "^dk-releases: $tree/sys-kernel/nokernel: " -C "$tree" -p sys-kernel/nokernel "$R/kernel.org.json"
mkdir -p "$T/repo/sys-kernel/gentoo-kernel"
touch "$T/repo/sys-kernel/gentoo-kernel/metadata.xml" "$T/repo/sys-kernel/gentoo-kernel/gentoo-kernel-6.18.9999.ebuild"
bad "a package with no kernel version" "^dk-releases: $T/repo/sys-kernel/gentoo-kernel: no ebuild of a kernel version$" -C "$T/repo" -p sys-kernel/gentoo-kernel "$R/kernel.org.json"

t_run "two inputs: usage" 2 dk-releases "$R/kernel.org.json" "$R/kernel.org.json"
t_grep "usage on stderr" '^usage: dk-releases ' "$T/err"
t_run "-u and a file: usage" 2 dk-releases -u http://127.0.0.1:9/ "$R/kernel.org.json"
t_run "an unknown option" 2 dk-releases -Z
t_run "-h" 0 dk-releases -h
t_grep "-h on stdout" '^usage: dk-releases ' "$T/out"
if [ -w /dev/full ]; then
	# shellcheck disable=SC2016
	t_run "stdout on /dev/full" 1 sh -c 'dk-releases -q -C "$1" "$2" >/dev/full' sh "$tree" "$R/kernel.org.json"
fi

# The whole morning: its list is bump-kernels' pairs.
g=$T/gentoo
cp -R "$tree" "$g"
git -C "$g" init -q -b master
git -C "$g" add -A
git -C "$g" -c user.name=t -c user.email=t@example.invalid commit -q -m sample
git -C "$g" branch -q origin
(cd "$g" && dk-releases -q "$R/kernel.org.json" |
	DISTDIR=$T/distfiles xargs "$DK_TOP/contrib/bump-kernels" -n -k PATCHSET -k CONFIG_VER) >"$T/out" 2>"$T/err"
t_eq "dk-releases | xargs bump-kernels -n" 0 $?
t_grep "the pipeline would bump 7.2.11" 'would copy sys-kernel/gentoo-kernel/gentoo-kernel-7\.2\.9\.ebuild to sys-kernel/gentoo-kernel/gentoo-kernel-7\.2\.11\.ebuild' "$T/err"
t_grep "the pipeline would bump 6.18.3" 'git commit -q -s -m virtual/dist-kernel: Bump to 6\.18\.3' "$T/err"
