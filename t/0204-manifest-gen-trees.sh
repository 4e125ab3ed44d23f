#!/bin/sh
# manifest-gen over packages of two repositories in one run: each package
# expands mirror:// with its own repository's thirdpartymirrors and reads
# its own eclasses (they were once decided by the first package).
. "$(dirname "$0")/lib.sh"

for r in one two; do
	mkdir -p "$T/$r/profiles" "$T/$r/eclass" "$T/$r/app-misc/p"
	echo "$r" >"$T/$r/profiles/repo_name"
	echo "kmirror https://$r.example/pub" >"$T/$r/profiles/thirdpartymirrors"
	printf 'SRC_URI="https://%s.example/e-%s.tar"\n' "$r" "$r" >"$T/$r/eclass/e-$r.eclass"
	printf 'EAPI=8\ninherit e-%s\nSRC_URI="mirror://kmirror/%s-${PV}.tar"\n' "$r" "$r" >"$T/$r/app-misc/p/p-1.ebuild"
done
t_run "-l over two repositories" 0 manifest-gen -l "$T/one/app-misc/p/p-1.ebuild" "$T/two/app-misc/p/p-1.ebuild"
# (each inherits an eclass only its own repository has: "eclass not
# found" if the first package's eclass directory served both)
t_out "each package with its repository's mirrors and eclasses" "one-1.tar https://one.example/pub/one-1.tar
two-1.tar https://two.example/pub/two-1.tar" "$T/out"
t_run "-l, the other order" 0 manifest-gen -l "$T/two/app-misc/p" "$T/one/app-misc/p"
t_grep "the second repository's mirror not taken from the first" "^one-1.tar https://one.example/pub/one-1.tar$" "$T/out"
# -M wins over every repository's own list
echo "kmirror https://given.example/m" >"$T/mirrors"
t_run "-M for both" 0 manifest-gen -l -M "$T/mirrors" "$T/one/app-misc/p" "$T/two/app-misc/p"
t_grep "-M: the first package's mirror" "^one-1.tar https://given.example/m/one-1.tar$" "$T/out"
t_grep "-M: the second package's mirror" "^two-1.tar https://given.example/m/two-1.tar$" "$T/out"

# Many bad lines: the first ten said, the rest counted.
i=1
while [ $i -le 13 ]; do echo "bad/$i https://x.example/f"; i=$((i + 1)); done >"$T/bad.list"
t_run "13 bad fetch-list lines" 1 sh -c 'manifest-gen -l <"$1"' sh "$T/bad.list"
t_eq "the first ten problems printed" 10 "$(grep -c "is not a file name" "$T/err")"
t_grep "then how many more" "^manifest-gen: 3 more problems$" "$T/err"
