# t/lib/dockerd.sh: Debian's dockerd on a private socket, data and exec
# root under $T, stopped (and its mounts undone) when the test ends.
# Source after t/lib.sh. Licence: GPL-2.0-only.
#
# dockerd_start NAME [ARGS...]: starts an engine; sets DOCKERD_SOCK (the
# socket path) and DOCKERD_DIR; returns 1 (after saying why on stderr) when
# it cannot start (not root, not installed, no answer).
# dockerd_api SOCK METHOD PATH [CURL ARGS...]: one Engine API call, body on stdout.
dockerd_start() {
	_dn=$1
	shift
	command -v dockerd >/dev/null || { echo "dockerd not installed" >&2; return 1; }
	[ "$(id -u)" = 0 ] || { echo "dockerd needs root" >&2; return 1; }
	DOCKERD_DIR=$T/dockerd-$_dn
	DOCKERD_SOCK=$DOCKERD_DIR/d.sock
	mkdir -p "$DOCKERD_DIR"
	dockerd --host "unix://$DOCKERD_SOCK" --data-root "$DOCKERD_DIR/data" \
		--exec-root "$DOCKERD_DIR/exec" --pidfile "$DOCKERD_DIR/pid" \
		--bridge=none --iptables=false --ip6tables=false "$@" \
		>"$DOCKERD_DIR/log" 2>&1 &
	echo $! >"$DOCKERD_DIR/bgpid"
	at_exit "dockerd_stop '$DOCKERD_DIR'"
	_i=0
	while [ $_i -lt 300 ]; do
		[ "$(curl -s --max-time 2 --unix-socket "$DOCKERD_SOCK" http://d/_ping 2>/dev/null)" = OK ] && return 0
		kill -0 "$(cat "$DOCKERD_DIR/bgpid")" 2>/dev/null || break
		sleep 0.1
		_i=$((_i + 1))
	done
	echo "dockerd $_dn did not start: $(tail -n 3 "$DOCKERD_DIR/log")" >&2
	return 1
}

dockerd_stop() {
	_p=$(cat "$1/bgpid" 2>/dev/null)
	if [ -n "$_p" ] && kill -0 "$_p" 2>/dev/null; then
		kill "$_p" 2>/dev/null
		_i=0
		while kill -0 "$_p" 2>/dev/null && [ $_i -lt 150 ]; do sleep 0.1; _i=$((_i + 1)); done
		kill -9 "$_p" 2>/dev/null
	fi
	# overlay and netns mounts a stopped engine may leave behind, deepest first
	grep -F " $1/" /proc/mounts | awk '{ print $2 }' | sort -r | while read -r _m; do
		umount -l "$_m" 2>/dev/null
	done
}

dockerd_api() {
	_s=$1 _m=$2 _path=$3
	shift 3
	curl -s --unix-socket "$_s" -X "$_m" "$@" "http://d$_path"
}

# busybox_rootfs DIR: a minimal "stage3" tree in DIR: busybox-static with
# its applets and the directories portage's paths need; the caller adds an
# emerge stand-in to DIR/usr/bin. Returns 1 when busybox-static is missing.
busybox_rootfs() {
	mkdir -p "$1/bin" "$1/usr/bin" "$1/tmp" "$1/etc/portage" "$1/var/db/repos" \
		"$1/var/cache/distfiles" "$1/var/tmp" || return 1
	chmod 1777 "$1/tmp"
	cp /usr/bin/busybox "$1/bin/busybox" || { echo "busybox-static not installed" >&2; return 1; }
	for _a in $(/usr/bin/busybox --list); do
		[ "$_a" = busybox ] || ln -s busybox "$1/bin/$_a"
	done
}

# dockerd_import SOCK TAR REPO:TAG OUT: imports the root file system TAR as
# an image (no registry: POST /images/create?fromSrc=-); the engine's answer
# goes to OUT. Returns 0 when the engine reported the image.
dockerd_import() {
	dockerd_api "$1" POST "/images/create?fromSrc=-&repo=${3%%:*}&tag=${3#*:}" \
		-H 'Content-Type: application/x-tar' --data-binary @"$2" >"$4" &&
		grep -q sha256 "$4"
}
