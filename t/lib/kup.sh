# t/lib/kup.sh: Debian's kup-server as kernel.org runs it, an ssh forced
# command, behind the loopback sshd of t/lib/sshd.sh, with its own tree
# and the throw-away key of t/lib/gpg.sh as the uploader's keyring.
# kup-server reads only /etc/kup/kup-server.cfg: sshd runs in a private
# mount namespace where the test's configuration is bound over it, so the
# installed kup-server runs unchanged. Source after t/lib.sh, sshd.sh and
# gpg.sh, and after gpg_setup. Licence: GPL-2.0-only.
#
# kup_start: sets KUP_DIR, KUP_PUB (kup-server's data_path), KUP_KEY (the
# client key whose only command is kup-server), KUP_URL
# (kup://USER@127.0.0.1:PORT), KUP_SSH_CONFIG (for the kup client's ssh)
# and the sshd.sh variables; returns 1 when a part is missing.
kup_start() {
	command -v kup-server >/dev/null || { echo "kup-server not installed (apt-get install kup-server)" >&2; return 1; }
	[ -f /etc/kup/kup-server.cfg ] || { echo "no /etc/kup/kup-server.cfg to bind over" >&2; return 1; }
	command -v unshare >/dev/null || { echo "unshare not installed" >&2; return 1; }
	unshare -m true 2>/dev/null || { echo "unshare -m not permitted here (needs CAP_SYS_ADMIN)" >&2; return 1; }
	KUP_DIR=$(mktemp -d "$T/kup.XXXXXX")
	chmod 755 "$KUP_DIR"
	KUP_PUB=$KUP_DIR/pub
	mkdir -p "$KUP_PUB" "$KUP_DIR/tmp" "$KUP_DIR/pgp" "$KUP_DIR/git"
	chmod 1777 "$KUP_DIR/tmp"
	: >"$KUP_DIR/lock"
	cp "$GPG_KEYRING" "$KUP_DIR/pgp/$(id -un).gpg"
	cat >"$KUP_DIR/kup-server.cfg" <<EOC
[paths]
data_path = $KUP_PUB
git_path = $KUP_DIR/git
lock_file = $KUP_DIR/lock
tmp_path = $KUP_DIR/tmp
pgp_path = $KUP_DIR/pgp
[limits]
max_data = 8589934592
bufsiz = 262144
timeout_command = 30
timeout_data = 300
timeout_compress = 900
timeout_compress_cpu = 900
[compressors]
use = gz, xz
[gz]
compress_command = /bin/gzip -9
decompress_command = /bin/gzip -cd
[xz]
compress_command = /usr/bin/xz -9
decompress_command = /usr/bin/xz -cd
EOC
	sshd_start unshare -m sh -c 'mount --bind "$0" /etc/kup/kup-server.cfg && exec "$@"' "$KUP_DIR/kup-server.cfg" || return 1
	ssh-keygen -q -t ed25519 -N '' -f "$KUP_DIR/id_kup" || return 1
	KUP_KEY=$KUP_DIR/id_kup
	# kup-server(1): the options an uploader's key gets
	sshd_authorize 'command="/usr/bin/kup-server",no-agent-forwarding,no-port-forwarding,no-pty,no-user-rc,no-X11-forwarding' "$KUP_KEY.pub"
	KUP_URL=kup://$SSH_USER@127.0.0.1:$SSHD_PORT
	KUP_SSH_CONFIG=$KUP_DIR/ssh_config
	cat >"$KUP_SSH_CONFIG" <<EOC
Host *
	IdentityFile $KUP_KEY
	IdentitiesOnly yes
	UserKnownHostsFile $SSH_KNOWN_HOSTS
	StrictHostKeyChecking yes
	BatchMode yes
EOC
	# the forced command answers: kup-server's INFO
	_v=$(echo INFO | ssh -F "$KUP_SSH_CONFIG" -p "$SSHD_PORT" "$SSH_USER@127.0.0.1" 2>"$KUP_DIR/info.err")
	case $_v in
	kup-server*) return 0 ;;
	esac
	echo "kup-server did not answer: $(cat "$KUP_DIR/info.err")" >&2
	return 1
}
