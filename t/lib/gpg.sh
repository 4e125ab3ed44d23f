# t/lib/gpg.sh: a throw-away OpenPGP key in a private GNUPGHOME, with its
# gpg-agent on a private socket, stopped at exit. Source after t/lib.sh.
# Licence: GPL-2.0-only.
#
# gpg_setup: makes the key (ed25519, no passphrase). Sets GNUPGHOME,
# GPG_KEYID (fingerprint) and GPG_KEYRING (the public key, binary, for
# gpgv --keyring); returns 1 when gpg is missing or fails.
gpg_setup() {
	command -v gpg >/dev/null || { echo "gpg not installed" >&2; return 1; }
	GNUPGHOME=$(mktemp -d "$T/gnupg.XXXXXX")
	export GNUPGHOME
	chmod 700 "$GNUPGHOME"
	echo "allow-loopback-pinentry" >"$GNUPGHOME/gpg-agent.conf"
	at_exit "gpgconf --kill gpg-agent 2>/dev/null"
	gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
		--quick-generate-key "dk test <dk-test@example.invalid>" ed25519 sign never \
		2>"$GNUPGHOME/keygen.err" || { cat "$GNUPGHOME/keygen.err" >&2; return 1; }
	GPG_KEYID=$(gpg --batch --with-colons --list-secret-keys | awk -F: '$1 == "fpr" { print $10; exit }')
	GPG_KEYRING=$GNUPGHOME/test-pub.gpg
	gpg --batch --export "$GPG_KEYID" >"$GPG_KEYRING"
	[ -s "$GPG_KEYRING" ]
}
