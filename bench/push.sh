#!/bin/sh
# bench/push.sh [N [MIB]]: N (default 8) binary packages of MIB (default 64)
# MiB each to a local sshd's sftp: dk-push (checks every package, then
# uploads -j 4 over libcurl/libssh2) against scp one file after another and
# rsync -e ssh; then to Debian's kup-server behind the same sshd: dk-push
# --verify-sig (one ssh session per directory) against the kup client one
# file after another as binpkg-docker's kup target runs it (kup ls, kup
# mkdir, kup put: three ssh sessions a file). Prints wall times and ratios
# and the load average. Run from the top directory after make.
# Licence: GPL-2.0-only.
. "$(dirname "$0")/../t/lib.sh"
. "$DK_TOP/t/lib/sshd.sh"
. "$DK_TOP/t/lib/gpg.sh"
. "$DK_TOP/t/lib/kup.sh"
n=${1:-8} mib=${2:-64}
echo "bench: load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

if gpg_setup 2>/dev/null && kup_start 2>"$T/kup.err"; then
	have_kup=1
else
	have_kup=
	echo "bench: no kup figures: $(cat "$T/kup.err" 2>/dev/null)"
	sshd_start || { echo "bench: sshd did not start" >&2; exit 1; }
fi
unset SSH_AUTH_SOCK
B=$T/binpkg/amd64/kernel/sys-kernel/gentoo-kernel
mkdir -p "$B"
i=1
while [ $i -le "$n" ]; do
	MKGPKG_COMP=none MKGPKG_MB=$mib "$DK_TOP/t/mkgpkg.sh" "$B/gentoo-kernel-6.6.$i-1.gpkg.tar" sys-kernel/gentoo-kernel-6.6.$i
	i=$((i + 1))
done
echo "bench: $n packages, $(du -sm "$B" | cut -f1) MiB in all"

now() { date +%s.%N; }
last=

run() {	# run NAME CMD...: prints the wall time, leaves it in $last
	_name=$1
	shift
	_t0=$(now)
	"$@" >/dev/null 2>"$T/bench.err" || { echo "bench: $_name failed: $(tail -n 3 "$T/bench.err")" >&2; exit 1; }
	_t1=$(now)
	last=$(python3 -c "print('%.2f' % ($_t1 - $_t0))")
	echo "$_name: ${last}s"
}

run dk_push dk-push -q -j 4 -i "$SSH_KEY" -H "$SSH_KNOWN_HOSTS" -d "sftp://$SSH_USER@127.0.0.1:$SSHD_PORT$T/dst-dk/{arch}/{series}" "$B"/*.gpkg.tar
t_dk_push=$last
run dk_push_j1 dk-push -q -j 1 -i "$SSH_KEY" -H "$SSH_KNOWN_HOSTS" -d "sftp://$SSH_USER@127.0.0.1:$SSHD_PORT$T/dst-dk1/{arch}/{series}" "$B"/*.gpkg.tar
t_dk_push_j1=$last
mkdir -p "$T/dst-scp"
scp_each() {
	for f in "$B"/*.gpkg.tar; do
		scp -q -F "$SSH_CONFIG" -P "$SSHD_PORT" "$f" "$SSH_USER@127.0.0.1:$T/dst-scp/" || return 1
	done
}
run scp scp_each
t_scp=$last
for f in "$B"/*.gpkg.tar; do
	cmp -s "$f" "$T/dst-dk/amd64/6.6/$(basename "$f" .gpkg.tar).amd64.gpkg.tar" || { echo "bench: dk-push copy differs: $f" >&2; exit 1; }
done
python3 -c "print('ratio dk-push -j 4 / scp: %.2f' % ($t_dk_push / $t_scp))"
python3 -c "print('ratio dk-push -j 1 / scp: %.2f' % ($t_dk_push_j1 / $t_scp))"
if command -v rsync >/dev/null; then
	mkdir -p "$T/dst-rsync"
	run rsync rsync -a -e "ssh -F $SSH_CONFIG -p $SSHD_PORT" "$B/" "$SSH_USER@127.0.0.1:$T/dst-rsync/"
	t_rsync=$last
	python3 -c "print('ratio dk-push -j 4 / rsync: %.2f' % ($t_dk_push / $t_rsync))"
else
	echo "rsync: not installed (not in DEPS): no rsync figure"
fi
# the check alone: what dk-push spends before the first byte leaves
run dk_push_check_only dk-push -n -d "file://$T/none" "$B"/*.gpkg.tar

if [ -n "$have_kup" ] && command -v kup >/dev/null; then
	for f in "$B"/*.gpkg.tar; do
		gpg --batch --quiet --yes --detach-sign -o "$f.sig" "$f" || exit 1
	done
	run dk_push_kup dk-push -q --verify-sig -K "$GPG_KEYRING" -i "$KUP_KEY" -H "$SSH_KNOWN_HOSTS" \
		-d "$KUP_URL/pub/dk/{arch}/{series}" "$B"/*.gpkg.tar
	t_dk_kup=$last
	# binpkg-docker's loop (its gpg --detach-sign made beforehand, as
	# for dk-push): the name looked up with kup ls, then mkdir and put
	kup_each() {
		export KUP_HOST="$SSH_USER@127.0.0.1" KUP_RSH="ssh -a -x -k -T -F $KUP_SSH_CONFIG -p $SSHD_PORT"
		for f in "$B"/*.gpkg.tar; do
			nf=$(basename "$f" .gpkg.tar).amd64.gpkg.tar
			d=/pub/kup/amd64/6.6
			ln -f "$f" "$T/$nf" && ln -f "$f.sig" "$T/$nf.sig" || return 1
			if ! kup ls "$d" 2>/dev/null | grep -q "$nf\$"; then
				kup mkdir "$d" && kup put "$T/$nf" "$T/$nf.sig" "$d/" || return 1
			fi
			rm -f "$T/$nf" "$T/$nf.sig"
		done
	}
	run kup_client kup_each
	t_kup=$last
	for f in "$B"/*.gpkg.tar; do
		nf=$(basename "$f" .gpkg.tar).amd64.gpkg.tar
		cmp -s "$f" "$KUP_PUB/pub/dk/amd64/6.6/$nf" || { echo "bench: dk-push kup copy differs: $nf" >&2; exit 1; }
		cmp -s "$f" "$KUP_PUB/pub/kup/amd64/6.6/$nf" || { echo "bench: kup client copy differs: $nf" >&2; exit 1; }
	done
	python3 -c "print('ratio dk-push kup:// / kup client: %.2f' % ($t_dk_kup / $t_kup))"
	# one directory a package: sessions side by side (-j 4) or not (-j 1)
	run dk_push_kup_8dirs_j4 dk-push -q -j 4 --verify-sig -K "$GPG_KEYRING" -i "$KUP_KEY" -H "$SSH_KNOWN_HOSTS" \
		-d "$KUP_URL/pub/dk4/{pv}" "$B"/*.gpkg.tar
	run dk_push_kup_8dirs_j1 dk-push -q -j 1 --verify-sig -K "$GPG_KEYRING" -i "$KUP_KEY" -H "$SSH_KNOWN_HOSTS" \
		-d "$KUP_URL/pub/dk1/{pv}" "$B"/*.gpkg.tar
	run dk_push_kup_again dk-push -q --verify-sig -K "$GPG_KEYRING" -i "$KUP_KEY" -H "$SSH_KNOWN_HOSTS" \
		-d "$KUP_URL/pub/dk/{arch}/{series}" "$B"/*.gpkg.tar
	run kup_client_again kup_each
fi
echo "bench: load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
