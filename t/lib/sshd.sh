# t/lib/sshd.sh: a real OpenSSH sshd on 127.0.0.1 with its own host key,
# config, port and authorized key, for sftp:// and ssh:// tests.
# Source after t/lib.sh. Licence: GPL-2.0-only.
#
# sshd_start [WRAPPER...]: sets SSHD_PORT, SSH_KEY (client private key),
# SSH_KNOWN_HOSTS (a known_hosts file naming [127.0.0.1]:PORT), SSH_CONFIG
# (a client config using both, for "ssh -F"), SSH_USER; returns 1 when
# sshd cannot start. With arguments, sshd is started as WRAPPER... sshd
# ARGS (t/lib/kup.sh: in a private mount namespace).
#
# sshd_authorize OPTIONS PUBKEY: one more authorized key, with its
# authorized_keys options (e.g. a forced command).
sshd_authorize() {
	printf '%s %s\n' "$1" "$(cat "$2")" >>"$SSHD_DIR/authorized_keys"
}

sshd_start() {
	_sshd=$(command -v sshd || echo /usr/sbin/sshd)
	[ -x "$_sshd" ] || { echo "sshd not installed" >&2; return 1; }
	SSHD_DIR=$(mktemp -d "$T/sshd.XXXXXX")
	chmod 755 "$SSHD_DIR"
	mkdir -p /run/sshd 2>/dev/null
	ssh-keygen -q -t ed25519 -N '' -f "$SSHD_DIR/host_key" || return 1
	ssh-keygen -q -t ed25519 -N '' -f "$SSHD_DIR/id_ed25519" || return 1
	SSH_KEY=$SSHD_DIR/id_ed25519
	SSH_USER=$(id -un)
	cp "$SSHD_DIR/id_ed25519.pub" "$SSHD_DIR/authorized_keys"
	chmod 600 "$SSHD_DIR/authorized_keys"
	SSHD_PORT=$(free_port)
	cat >"$SSHD_DIR/sshd_config" <<EOC
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $SSHD_DIR/host_key
PidFile $SSHD_DIR/sshd.pid
AuthorizedKeysFile $SSHD_DIR/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
StreamLocalBindUnlink yes
Subsystem sftp internal-sftp
LogLevel ERROR
EOC
	"$@" "$_sshd" -f "$SSHD_DIR/sshd_config" -E "$SSHD_DIR/sshd.log" || {
		echo "sshd did not start: $(tail -n 3 "$SSHD_DIR/sshd.log" 2>/dev/null)" >&2
		return 1
	}
	at_exit "kill \$(cat '$SSHD_DIR/sshd.pid' 2>/dev/null) 2>/dev/null"
	SSH_KNOWN_HOSTS=$SSHD_DIR/known_hosts
	echo "[127.0.0.1]:$SSHD_PORT $(cat "$SSHD_DIR/host_key.pub")" >"$SSH_KNOWN_HOSTS"
	SSH_CONFIG=$SSHD_DIR/ssh_config
	cat >"$SSH_CONFIG" <<EOC
Host *
	IdentityFile $SSH_KEY
	IdentitiesOnly yes
	UserKnownHostsFile $SSH_KNOWN_HOSTS
	StrictHostKeyChecking yes
	BatchMode yes
EOC
	_i=0
	while [ $_i -lt 50 ]; do
		ssh -F "$SSH_CONFIG" -p "$SSHD_PORT" "$SSH_USER@127.0.0.1" true 2>/dev/null && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	echo "sshd not answering on 127.0.0.1:$SSHD_PORT: $(tail -n 3 "$SSHD_DIR/sshd.log")" >&2
	return 1
}
