#!/bin/sh
# The real components every later test relies on start and stop here.
. "$(dirname "$0")/lib.sh"
. "$DK_TOP/t/lib/nginx.sh"
. "$DK_TOP/t/lib/gpg.sh"
. "$DK_TOP/t/lib/sshd.sh"

mkdir -p "$T/www"
echo hello >"$T/www/f.txt"
if nginx_start "$T/www" 2>"$T/nginx.err"; then
	curl -s "$NGINX_URL/f.txt" >"$T/got"
	t_out "nginx serves a file" hello "$T/got"
	t_eq "nginx honours Range" el "$(curl -s -r 1-2 "$NGINX_URL/f.txt")"
else
	skip "nginx" "$(cat "$T/nginx.err")"
fi

if gpg_setup 2>"$T/gpg.err"; then
	echo data >"$T/doc"
	gpg --batch --quiet --clearsign -o "$T/doc.asc" "$T/doc"
	t_run "gpgv verifies a clear-signed file" 0 gpgv --keyring "$GPG_KEYRING" "$T/doc.asc"
else
	skip "gpg" "$(cat "$T/gpg.err")"
fi

if sshd_start 2>"$T/sshd.err"; then
	echo put >"$T/up"
	printf 'put %s %s/sftp-put\n' "$T/up" "$T" >"$T/batch"
	t_run "sftp to the test sshd" 0 sftp -F "$SSH_CONFIG" -P "$SSHD_PORT" -b "$T/batch" "$SSH_USER@127.0.0.1"
	t_out "sftp wrote the file" put "$T/sftp-put"
	printf '[127.0.0.1]:%s ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n' "$SSHD_PORT" >"$T/bad_known"
	t_run "a wrong host key is refused" 255 ssh -F "$SSH_CONFIG" -o UserKnownHostsFile="$T/bad_known" -p "$SSHD_PORT" "$SSH_USER@127.0.0.1" true
else
	skip "sshd" "$(cat "$T/sshd.err")"
fi
