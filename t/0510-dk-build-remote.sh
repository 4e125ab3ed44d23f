#!/bin/sh
# dk-build on remote engines: tcp:// with mutual TLS, and ssh:// through a
# forwarded socket to a real sshd on loopback.
. "$(dirname "$0")/lib.sh"
. "$DK_TOP/t/lib/dockerd.sh"
. "$DK_TOP/t/lib/dkbuild.sh"
. "$DK_TOP/t/lib/sshd.sh"

if ! dkb_setup 2>"$T/setup.err"; then
	skip "dk-build on remote engines" "test set-up failed: $(cat "$T/setup.err")"
	exit 0
fi

# a CA, a server certificate for 127.0.0.1 and a client certificate
X=$T/certs
mkdir -p "$X" "$T/wrongca"
(
	cd "$X" || exit 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca-key.pem -out ca.pem \
		-days 2 -subj /CN=dk-test-ca &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server-key.pem -out server.csr \
		-subj /CN=127.0.0.1 &&
	printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext &&
	openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out server-cert.pem \
		-days 2 -extfile server.ext &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout key.pem -out client.csr -subj /CN=dk &&
	printf 'extendedKeyUsage=clientAuth\n' >client.ext &&
	openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -out cert.pem \
		-days 2 -extfile client.ext &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ../wrongca/k.pem \
		-out ../wrongca/ca.pem -days 2 -subj /CN=other
) >"$T/openssl.log" 2>&1 || { fail "test certificates" "$(tail -n 3 "$T/openssl.log")"; exit 0; }
cp "$X/cert.pem" "$X/key.pem" "$T/wrongca/"

PORT=$(free_port)
if ! dockerd_start a --host "tcp://127.0.0.1:$PORT" --tlsverify --tlscacert "$X/ca.pem" \
	--tlscert "$X/server-cert.pem" --tlskey "$X/server-key.pem" 2>"$T/dockerd.err"; then
	skip "dk-build on remote engines" "$(cat "$T/dockerd.err")"
	exit 0
fi
A=$DOCKERD_SOCK
dkb_import "$A" || { fail "stage import" "$(cat "$T/import.out")"; exit 0; }
L=$T/logs
P=$T/binpkg/amd64/kernel/sys-kernel

# TLS
dkb_config "$T/tls.yaml" "tcp://127.0.0.1:$PORT"
export DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$X"
t_run "a target builds on a TLS engine" 0 dk-build -c "$T/tls.yaml" amd64-gentoo-kernel-6.6
t_out "its result line" "amd64-gentoo-kernel-6.6 ok $P/gentoo-kernel/gentoo-kernel-6.6.99-1.gpkg.tar" "$T/out"
t_grep "it ran there" "attempt 1 on tcp://127.0.0.1:$PORT\$" "$L/amd64-gentoo-kernel-6.6.log"
DOCKER_CERT_PATH=$T/wrongca t_run "an engine certificate from another CA is refused" 1 dk-build -c "$T/tls.yaml" amd64-gentoo-kernel-6.6
t_grep "the refusal names the engine" "^dk-build: (no usable amd64 host: )?tcp://127.0.0.1:$PORT: GET /_ping: .*(certificate|SSL)" "$T/err"
unset DOCKER_TLS_VERIFY DOCKER_CERT_PATH
t_run "plain http to a TLS engine fails" 1 dk-build -c "$T/tls.yaml" amd64-gentoo-kernel-6.6

# ssh
if ! sshd_start 2>"$T/sshd.err"; then
	skip "dk-build over ssh" "$(cat "$T/sshd.err")"
	exit 0
fi
mkdir -p "$T/tmp"
S="ssh://$SSH_USER@127.0.0.1:$SSHD_PORT$A"
dkb_config "$T/ssh.yaml" "$S" "ssh: [ssh, -F, $SSH_CONFIG]"
TMPDIR=$T/tmp t_run "a target builds over ssh" 0 dk-build -c "$T/ssh.yaml" amd64-vanilla-kernel-6.1
t_out "its result line" "amd64-vanilla-kernel-6.1 ok $P/vanilla-kernel/vanilla-kernel-6.1.99-1.gpkg.tar" "$T/out"
t_grep "it ran over ssh" "attempt 1 on $S\$" "$L/amd64-vanilla-kernel-6.1.log"
t_eq "the tunnel is closed and its socket gone" "" "$(ls "$T/tmp")"
if pgrep -f -- "$T/tmp/dk-ssh" >/dev/null; then fail "no ssh is left running"; else ok "no ssh is left running"; fi
dkb_config "$T/ssh-bad.yaml" "ssh://nobody-here@127.0.0.1:$SSHD_PORT$A" "ssh: [ssh, -F, $SSH_CONFIG]"
TMPDIR=$T/tmp t_run "a refused ssh login fails the target" 1 dk-build -c "$T/ssh-bad.yaml" amd64-gentoo-kernel-6.6
t_grep "with ssh's reason" "^dk-build: (no usable amd64 host: )?ssh://nobody-here@127.0.0.1:$SSHD_PORT$A: ssh tunnel failed \\(exit 255\\): .*Permission denied" "$T/err"
