#!/bin/sh
# bench/push.sh [N [MIB]]: N (default 8) binary packages of MIB (default 64)
# MiB each to a local sshd's sftp: dk-push (checks every package, then
# uploads -j 4 over libcurl/libssh2) against scp one file after another and
# rsync -e ssh. Prints wall times and ratios. Run from the top directory
# after make. Licence: GPL-2.0-only.
. "$(dirname "$0")/../t/lib.sh"
. "$DK_TOP/t/lib/sshd.sh"
n=${1:-8} mib=${2:-64}

sshd_start || { echo "bench: sshd did not start" >&2; exit 1; }
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
