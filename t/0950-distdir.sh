#!/bin/sh
# DISTDIR, the same rule in manifest-gen and the bump scripts: -d, then
# $DISTDIR, then "portageq distdir", then /var/cache/distfiles; a missing
# one created (as pkgdev does), one that cannot be is one line and nothing
# is fetched or written. Licence: GPL-2.0-only.
# shellcheck disable=SC2016 # (sh -c scripts take their arguments as $1...)
. "$(dirname "$0")/lib.sh"

echo "a distfile" >"$T/src"
list="src file://$T/src"
want="DIST src $(stat -c %s "$T/src") BLAKE2B $(b2sum "$T/src" | cut -d' ' -f1) SHA512 $(sha512sum "$T/src" | cut -d' ' -f1)"
unset DISTDIR

# portage's portageq is not on Debian: a stand-in that answers as it does,
# make.conf's DISTDIR on one line.
mkdir -p "$T/bin"
printf '#!/bin/sh\n[ "$1" = distdir ] && echo "%s/portage-distdir" && exit 0\nexit 1\n' "$T" >"$T/bin/portageq"
chmod 755 "$T/bin/portageq"

t_run "-d, missing: created with its parents" 0 sh -c 'echo "$1" | manifest-gen -q -d "$2"' sh "$list" "$T/d/a/b"
t_out "-d: the Manifest line" "$want" "$T/out"
t_run "-d: the file is in it" 0 cmp "$T/src" "$T/d/a/b/src"
t_run "\$DISTDIR" 0 sh -c 'echo "$1" | DISTDIR="$2" manifest-gen -q' sh "$list" "$T/env"
t_run "\$DISTDIR: the file is in it" 0 cmp "$T/src" "$T/env/src"
t_run "portageq distdir" 0 sh -c 'echo "$1" | PATH="$2:$PATH" manifest-gen -q' sh "$list" "$T/bin"
t_run "portageq distdir: the file is in it" 0 cmp "$T/src" "$T/portage-distdir/src"
t_run "-d wins over \$DISTDIR and portageq" 0 sh -c 'echo "$1" | PATH="$2:$PATH" DISTDIR="$3" manifest-gen -q -d "$4"' \
	sh "$list" "$T/bin" "$T/env2" "$T/arg"
t_run "-d wins: the file is in -d" 0 test -f "$T/arg/src"
t_run "-d wins: nothing in \$DISTDIR" 1 test -e "$T/env2"
t_run "a DISTDIR that cannot be made" 1 sh -c 'echo "$1" | manifest-gen -q -d /dev/null/distfiles' sh "$list"
t_out "... is one line" 'manifest-gen: DISTDIR /dev/null/distfiles: Not a directory' "$T/err"
t_run "-l needs no DISTDIR" 0 sh -c 'echo "$1" | manifest-gen -l -d /dev/null/distfiles' sh "$list"

# The bump scripts take DISTDIR the same way and check it before anything.
g=$T/gentoo
cp -R "$DATA/repo" "$g"
git -C "$g" init -q -b master
git -C "$g" add -A
git -C "$g" -c user.name=t -c user.email=t@example.invalid commit -q -m sample
git -C "$g" branch -q origin
cd "$g" || exit 1
bk=$DK_TOP/contrib/bump-kernels
t_run "bump-kernels: portageq's DISTDIR" 0 env PATH="$T/bin:$PATH" "$bk" -n 7.2.9 7.2.10
t_grep "... goes to manifest-gen" "^\+ manifest-gen -d $T/portage-distdir -u sys-kernel/gentoo-kernel$" "$T/err"
t_run "bump-kernels: \$DISTDIR, missing, in a dry run" 0 env DISTDIR="$T/bk-dist" "$bk" -n 7.2.9 7.2.10
t_grep "... would be created" "^\+ mkdir -p $T/bk-dist$" "$T/err"
t_run "... and is not" 1 test -e "$T/bk-dist"
t_run "bump-kernels: a DISTDIR that cannot be made" 1 "$bk" -d /dev/null/distfiles 7.2.9 7.2.10
t_out "... one line, nothing written" 'bump-kernels: DISTDIR /dev/null/distfiles: cannot be created
bump-kernels: nothing was written: 1 problem(s)' "$T/err"
t_eq "... the tree is clean" "" "$(git status --porcelain)"
t_run "bump-kernels-bin: the same check" 1 "$DK_TOP/contrib/bump-kernels-bin" --distdir=/dev/null/distfiles 7.2.9 7.2.10
t_grep "... first line" '^bump-kernels-bin: DISTDIR /dev/null/distfiles: cannot be created$' "$T/err"
