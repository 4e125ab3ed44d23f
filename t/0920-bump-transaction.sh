#!/bin/sh
# bump-kernels and bump-kernels-bin are transactional: a step that fails,
# or a ^C (SIGINT, SIGTERM, SIGHUP to the whole job, as a terminal sends
# it) during a step, puts the package under way back as it was (new
# ebuild gone, Manifest as before, HEAD and index as before it, files this
# run put into DISTDIR gone); the same command run again continues and
# skips what is committed. Each step is made to fail or is interrupted by
# a real signal, on the sample tree with real git, gpg and nginx.
# Licence: GPL-2.0-only.
. "$(dirname "$0")/lib.sh"
. "$DK_TOP/t/lib/nginx.sh"
. "$DK_TOP/t/lib/gpg.sh"
. "$DK_TOP/t/lib/sample.sh"

if ! command -v setsid >/dev/null; then
	skip bump-transaction "setsid (util-linux) is not installed"
	exit 0
fi
if ! sample_init "$T/s" 2>"$T/init.err"; then
	skip bump-transaction "the sample could not be set up: $(tail -n 3 "$T/init.err" | tr '\n' ' ')"
	exit 0
fi
sample_standins sys-kernel/gentoo-kernel 7.2.9 7.2.10
sample_standins sys-kernel/vanilla-kernel 7.2.9 7.2.10

# The fault: FAULT_STEP's FAULT_AT-th real run (2: the second package,
# gentoo-kernel, after vanilla-kernel is committed) fails (FAULT_DO=fail)
# or runs and then signals the whole job (FAULT_DO=INT, TERM, HUP, KILL).
W=$T/wrap
mkdir -p "$W"
cat >"$W/fault" <<'EOF'
#!/bin/sh
me=$(basename "$0")
real=$(PATH=${PATH#*:} command -v "$me")
case $me in
ebuild-copy | dk-push) case " $* " in *" -n "*) exec "$real" "$@" ;; esac ;;
ebuild-setvar) [ "$1" = -i ] || exec "$real" "$@" ;;
git) [ "$1" = commit ] || exec "$real" "$@" ;;
esac
[ "$me" = "${FAULT_STEP:-}" ] || exec "$real" "$@"
n=$(($(cat "$FAULT_COUNT" 2>/dev/null || echo 0) + 1))
echo "$n" >"$FAULT_COUNT"
[ "$n" -eq "${FAULT_AT:-2}" ] || exec "$real" "$@"
if [ "$FAULT_DO" = fail ]; then
	echo "$me: failure made by t/0920" >&2
	exit 1
fi
"$real" "$@"
kill -s "$FAULT_DO" 0
sleep 5
exit 1
EOF
chmod 755 "$W/fault"
for p in ebuild-copy ebuild-setvar manifest-gen git dk-push; do ln -s fault "$W/$p"; done
PATH=$W:$DK_TOP/contrib:$PATH
export FAULT_COUNT="$T/fault.count"
cd "$SAMPLE/gentoo" || exit 1
git config user.signingkey '' 2>/dev/null
BINPKG_DOCKER=$SAMPLE/binpkg-docker
export BINPKG_DOCKER
base=$(git rev-parse HEAD)
manifest0=$(git show HEAD:sys-kernel/gentoo-kernel/Manifest | sha256sum)
bump() { setsid -w bump-kernels -K "$GPG_KEYRING" --mirror "$NGINX_URL" --set 'DESCRIPTION=Linux kernel (t/0920)' 7.2.9 7.2.10; }

# status_of OUTCOME: the exit status the bump ends with.
status_of() {
	case $1 in fail) echo 1 ;; INT) echo 130 ;; TERM) echo 143 ;; HUP) echo 129 ;; KILL) echo 137 ;; esac
}

for step in ebuild-copy ebuild-setvar manifest-gen git; do
	for outcome in fail INT TERM HUP; do
		c="$step/$outcome"
		git reset -q --hard "$base" && git clean -qfdx
		rm -f "$FAULT_COUNT"
		FAULT_STEP=$step FAULT_DO=$outcome
		export FAULT_STEP FAULT_DO
		bump >"$T/out" 2>"$T/err"
		rc=$?
		unset FAULT_STEP FAULT_DO
		t_eq "$c: exit status" "$(status_of $outcome)" "$rc"
		t_grep "$c: says what it restored" '^bump-kernels: stopped \(exit [0-9]+\): sys-kernel/gentoo-kernel-7\.2\.10 restored' "$T/err"
		t_eq "$c: HEAD is vanilla-kernel's commit" "sys-kernel/vanilla-kernel: Bump to 7.2.10" "$(git log -1 --format=%s)"
		t_eq "$c: one commit on the base" "$base" "$(git rev-parse HEAD~1)"
		t_eq "$c: tree and index clean" "" "$(git status --porcelain)"
		t_eq "$c: Manifest as it was" "$manifest0" "$(sha256sum <sys-kernel/gentoo-kernel/Manifest)"
		t_eq "$c: no journal left" "" "$(ls -d .git/dk-* 2>/dev/null)"
		bump >"$T/out" 2>"$T/err"
		t_eq "$c: the re-run succeeds" 0 $?
		t_grep "$c: the re-run skips vanilla-kernel" '^>>> sys-kernel/vanilla-kernel-7\.2\.10: committed already, skipped' "$T/err"
		git log --format=%s "$base..HEAD" >"$T/subjects"
		t_out "$c: every package committed once" 'virtual/dist-kernel: Bump to 7.2.10
sys-kernel/gentoo-kernel: Bump to 7.2.10
sys-kernel/vanilla-kernel: Bump to 7.2.10' "$T/subjects"
	done
done

# kill -9 leaves no chance to clean up: the journal in .git says what the
# next run must undo first.
git reset -q --hard "$base" && git clean -qfdx
rm -f "$FAULT_COUNT"
FAULT_STEP=manifest-gen FAULT_DO=KILL
export FAULT_STEP FAULT_DO
bump >"$T/out" 2>"$T/err"
rc=$?
unset FAULT_STEP FAULT_DO
t_eq "manifest-gen/KILL: exit status" 137 "$rc"
t_run "manifest-gen/KILL: the journal is left" 0 test -d .git/dk-bump-kernels
bump >"$T/out" 2>"$T/err"
t_eq "manifest-gen/KILL: the re-run succeeds" 0 $?
t_grep "manifest-gen/KILL: the re-run undoes the killed package first" '^bump-kernels: a previous run was stopped: sys-kernel/gentoo-kernel-7\.2\.10 restored' "$T/err"
git log --format=%s "$base..HEAD" >"$T/subjects"
t_out "manifest-gen/KILL: every package committed once" 'virtual/dist-kernel: Bump to 7.2.10
sys-kernel/gentoo-kernel: Bump to 7.2.10
sys-kernel/vanilla-kernel: Bump to 7.2.10' "$T/subjects"
bump >"$T/out" 2>"$T/err"
t_eq "after full success: exit 0" 0 $?
t_grep "after full success: nothing to do" '^bump-kernels: nothing to do' "$T/err"

# gentoo-kernel-bin: what dk-push put into DISTDIR goes too.
BINPKG=$SAMPLE/binpkg DK_ARCHES=amd64
export BINPKG DK_ARCHES
pkg=$BINPKG/amd64/kernel/sys-kernel/gentoo-kernel/gentoo-kernel-7.2.10-1.gpkg.tar
mkdir -p "$(dirname "$pkg")"
sh "$DK_TOP/t/mkgpkg.sh" "$pkg" sys-kernel/gentoo-kernel-7.2.10
# An older patch set in the old -bin ebuild: the new one takes gentoo-kernel-7.2.10's.
echo "stand-in" >"$SAMPLE/www/distfiles/linux-gentoo-patches-7.1.8.tar.xz"
ebuild-setvar -i sys-kernel/gentoo-kernel-bin/gentoo-kernel-bin-7.2.9.ebuild PATCHSET=linux-gentoo-patches-7.1.8
git commit -q -m "older -bin patch set" -- sys-kernel/gentoo-kernel-bin
bin() { setsid -w bump-kernels-bin -d "$DISTDIR" -K "$GPG_KEYRING" --mirror "$NGINX_URL" 7.2.9 7.2.10; }
head1=$(git rev-parse HEAD)
d=$DISTDIR/gentoo-kernel-7.2.10-1.amd64.gpkg.tar
for c in dk-push/INT manifest-gen/fail git/TERM; do
	rm -f "$FAULT_COUNT" "$d"
	FAULT_STEP=${c%/*} FAULT_DO=${c#*/} FAULT_AT=1
	export FAULT_STEP FAULT_DO FAULT_AT
	bin >"$T/out" 2>"$T/err"
	rc=$?
	unset FAULT_STEP FAULT_DO FAULT_AT
	t_eq "-bin $c: exit status" "$(status_of "${c#*/}")" "$rc"
	t_grep "-bin $c: says what it restored" '^bump-kernels-bin: stopped \(exit [0-9]+\): sys-kernel/gentoo-kernel-bin-7\.2\.10 restored' "$T/err"
	t_eq "-bin $c: HEAD as before" "$head1" "$(git rev-parse HEAD)"
	t_eq "-bin $c: tree and index clean" "" "$(git status --porcelain)"
	t_run "-bin $c: the package left DISTDIR" 1 test -e "$d"
done
t_run "-bin: the re-run succeeds" 0 bin
t_grep "-bin: the pins taken from gentoo-kernel-7.2.10 are listed" '^>>> gentoo-kernel-bin-7\.2\.10: PATCHSET from gentoo-kernel-7\.2\.10: linux-gentoo-patches-7\.1\.9$' "$T/err"
t_run "-bin: the package is in DISTDIR" 0 cmp "$pkg" "$d"
t_eq "-bin: its commit" "sys-kernel/gentoo-kernel-bin: Bump to 7.2.10" "$(git log -1 --format=%s)"
t_eq "-bin: PATCHSET is gentoo-kernel-7.2.10's" linux-gentoo-patches-7.1.9 \
	"$(ebuild-setvar -g PATCHSET sys-kernel/gentoo-kernel-bin/gentoo-kernel-bin-7.2.10.ebuild)"
t_eq "-bin: SHA256SUM_DATE is gentoo-kernel-7.2.10's" "$(ebuild-setvar -g SHA256SUM_DATE sys-kernel/gentoo-kernel/gentoo-kernel-7.2.10.ebuild)" \
	"$(ebuild-setvar -g SHA256SUM_DATE sys-kernel/gentoo-kernel-bin/gentoo-kernel-bin-7.2.10.ebuild)"
t_run "-bin: again, nothing to do" 0 bin
t_grep "-bin: says so" '^bump-kernels-bin: nothing to do' "$T/err"
