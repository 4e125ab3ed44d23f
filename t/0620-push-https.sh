#!/bin/sh
# dk-push to https:// by PUT: nginx with dav_methods PUT and TLS from a CA
# the test makes; -C CAFILE and -k as curl has them. Licence: GPL-2.0-only.
. "$(dirname "$0")/lib.sh"
. "$DK_TOP/t/lib/nginx.sh"
MK=$DK_TOP/t/mkgpkg.sh

# A test CA and a server certificate for 127.0.0.1 signed by it.
C=$T/ca
mkdir -p "$C"
if ! {
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=dk test CA" \
		-keyout "$C/ca.key" -out "$C/ca.pem" &&
	openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
		-keyout "$C/srv.key" -out "$C/srv.csr" &&
	printf 'subjectAltName=IP:127.0.0.1\n' >"$C/ext" &&
	openssl x509 -req -in "$C/srv.csr" -CA "$C/ca.pem" -CAkey "$C/ca.key" -CAcreateserial \
		-days 2 -extfile "$C/ext" -out "$C/srv.pem"
} >"$T/openssl.log" 2>&1; then
	fail "make a test CA" "$(tail -n 3 "$T/openssl.log")"
	exit 0
fi
# Another CA that signed nothing here: trusting it must not be enough.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=other CA" \
	-keyout "$C/other.key" -out "$C/other.pem" >/dev/null 2>&1

W=$T/www
mkdir -p "$W/ro"
chmod 555 "$W/ro"
if ! nginx_start_tls "$W" "$C/srv.pem" "$C/srv.key" \
	"location / { dav_methods PUT; create_full_put_path on; dav_access user:rw group:r all:r; } location /ro/ { limit_except GET HEAD { deny all; } }" 2>"$T/nginx.err"; then
	skip "https destinations" "$(cat "$T/nginx.err")"
	exit 0
fi

B=$T/binpkg
mkdir -p "$B/amd64/kernel/sys-kernel/gentoo-kernel"
P=$B/amd64/kernel/sys-kernel/gentoo-kernel/gentoo-kernel-6.6.31-1.gpkg.tar
MKGPKG_MB=1 "$MK" "$P" sys-kernel/gentoo-kernel-6.6.31
N=gentoo-kernel-6.6.31-1.amd64.gpkg.tar

t_run "PUT with the test CA" 0 dk-push -C "$C/ca.pem" -d "$NGINX_URL/binpkg/{arch}/{series}" "$P"
t_out "PUT: the fetch-list line" "$N $NGINX_URL/binpkg/amd64/6.6/$N" "$T/out"
t_run "PUT: the file arrived whole" 0 cmp "$P" "$W/binpkg/amd64/6.6/$N"

touch -d @1000000000 "$W/binpkg/amd64/6.6/$N"
t_run "already there" 0 dk-push -C "$C/ca.pem" -d "$NGINX_URL/binpkg/{arch}/{series}/" "$P"
t_out "already there: listed" "$N $NGINX_URL/binpkg/amd64/6.6/$N" "$T/out"
t_eq "already there: not sent again" 1000000000 "$(stat -c %Y "$W/binpkg/amd64/6.6/$N")"
t_run "-f sends it again" 0 dk-push -f -C "$C/ca.pem" -d "$NGINX_URL/binpkg/{arch}/{series}" "$P"
t_run "-f: a new file" 1 test "$(stat -c %Y "$W/binpkg/amd64/6.6/$N")" = 1000000000
# Another size under the name: refused without -f (over https the size
# is what HEAD tells), replaced with it.
echo other >"$W/binpkg/amd64/6.6/$N"
t_run "other content over https" 1 dk-push -C "$C/ca.pem" -d "$NGINX_URL/binpkg/{arch}/{series}" "$P"
t_out "other content: the message" "dk-push: $NGINX_URL/binpkg/amd64/6.6/$N: already there with 6 bytes, not $(stat -c %s "$P"): not replaced (-f replaces it)" "$T/err"
t_eq "other content: no fetch-list line" "" "$(cat "$T/out")"
t_eq "other content: left alone" other "$(cat "$W/binpkg/amd64/6.6/$N")"
t_run "-f replaces it over https" 0 dk-push -f -C "$C/ca.pem" -d "$NGINX_URL/binpkg/{arch}/{series}" "$P"
t_run "-f: the package" 0 cmp "$P" "$W/binpkg/amd64/6.6/$N"

t_run "an untrusted certificate" 1 dk-push -d "$NGINX_URL/u" "$P"
t_grep "untrusted: the message" "^dk-push: $NGINX_URL/u/$N: .*(certificate|issuer)" "$T/err"
t_run "the wrong CA" 1 dk-push -C "$C/other.pem" -d "$NGINX_URL/u" "$P"
t_grep "the wrong CA: the message" "^dk-push: $NGINX_URL/u/$N: .*(certificate|issuer)" "$T/err"
t_eq "untrusted: nothing written" "" "$(ls -d "$W/u" 2>/dev/null)"
t_run "-k skips the check" 0 dk-push -k -d "$NGINX_URL/k" "$P"
t_run "-k: the file arrived" 0 cmp "$P" "$W/k/$N"

t_run "a refused PUT" 1 dk-push -C "$C/ca.pem" -d "$NGINX_URL/ro" "$P"
t_out "a refused PUT: the message" "dk-push: $NGINX_URL/ro/$N: PUT refused: HTTP status 403" "$T/err"
t_eq "a refused PUT: nothing there" "" "$(ls "$W/ro")"
