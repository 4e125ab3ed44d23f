#!/bin/sh
# manifest-gen against a scripted faulty server (t/fault-server.py):
# 500 then OK, a stall, a short body, wrong content, 404.
. "$(dirname "$0")/lib.sh"
. "$DK_TOP/t/lib/manifest.sh"

W=$T/srv D=$T/dist
mkdir -p "$W" "$D"
mkfile "$W/f.bin" 512
mkfile "$W/g.bin" 64
python3 "$DK_TOP/t/fault-server.py" "$W" "$T/port" 2>"$T/srv.err" &
srv=$!
at_exit "kill $srv 2>/dev/null"
i=0
while [ ! -s "$T/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
if [ ! -s "$T/port" ]; then
	skip "fault server" "did not start: $(cat "$T/srv.err")"
	exit 0
fi
U=http://127.0.0.1:$(cat "$T/port")
F=$(dist_line "$W/f.bin")

echo "f.bin $U/500once/f.bin" | manifest-gen -d "$D" >"$T/out" 2>"$T/err"
t_eq "500 then OK: retried, exit 0" "0" "$?"
t_out "500 then OK: right entry" "$F" "$T/out"
t_eq "500 then OK: asked twice" 2 "$(grep -c '^GET /500once/f.bin ' "$W/requests.log")"

rm -f "$D/f.bin"
echo "f.bin $U/stall/f.bin" | manifest-gen -t 1 -d "$D" >"$T/out" 2>"$T/err"
t_eq "stall: given up after -t, retried, exit 0" 0 "$?"
t_out "stall: right entry" "$F" "$T/out"
t_run "stall: the file is whole" 0 cmp "$W/f.bin" "$D/f.bin"
t_grep "stall: the retry resumed with Range" "^GET /stall/f.bin bytes=[1-9][0-9]*-$" "$W/requests.log"

rm -f "$D/f.bin"
echo "f.bin $U/short/f.bin" | manifest-gen -d "$D" >"$T/out" 2>"$T/err"
t_eq "short body every time: exit 1" 1 "$?"
t_grep "short body: one-line error with URL and reason" "^manifest-gen: f.bin: cannot fetch from any URL: $U/short/f.bin \(Transferred a partial file, 3 tries\)$" "$T/err"
t_run "short body: no complete file" 1 test -e "$D/f.bin"
t_empty "short body: nothing on stdout" "$T/out"

# Then a good URL finishes what the short one began.
printf 'f.bin %s/short/f.bin %s/ok/f.bin\n' "$U" "$U" | manifest-gen -d "$D" >"$T/out" 2>"$T/err"
t_out "short body, then the next URL completes it" "$F" "$T/out"
t_run "... byte for byte" 0 cmp "$W/f.bin" "$D/f.bin"

# Wrong content: the new entry is made from what was served (only a
# signed sha256sums can tell: t/0203), but an old entry the Manifest
# has for a file that is missing locally stands without a download.
P=$T/pkg
mkdir -p "$P"
dist_line "$W/g.bin" >"$P/Manifest"
cp "$P/Manifest" "$T/Manifest.before"
n=$(wc -l <"$W/requests.log")
(cd "$P" && echo "g.bin $U/wrong/g.bin" | manifest-gen -u -d "$D") >"$T/out" 2>"$T/err"
t_eq "entry for a missing file: kept, exit 0" 0 "$?"
t_run "entry for a missing file: Manifest unchanged" 0 cmp "$T/Manifest.before" "$P/Manifest"
t_eq "entry for a missing file: not downloaded" "$n" "$(wc -l <"$W/requests.log")"
(cd "$P" && echo "g.bin $U/wrong/g.bin" | manifest-gen -f -u -d "$D") >"$T/out" 2>"$T/err"
t_eq "-f: fetched again, exit 0" 0 "$?"
t_out "-f: the entry is what was served" "$(dist_line "$D/g.bin")" "$P/Manifest"
rm "$D/g.bin"
printf 'x' >"$D/g.bin.part"
(cd "$P" && echo "g.bin $U/ok/g.bin" | manifest-gen -f -u -d "$D") >"$T/out" 2>"$T/err"
t_eq "-f: a stale .part is resumed, exit 0" 0 "$?"
t_grep "-f: resumed from byte 1" "^GET /ok/g.bin bytes=1-$" "$W/requests.log"

# At most two transfers per host, whatever -j says.
for i in 1 2 3 4 5 6; do cp "$W/g.bin" "$W/h$i.bin"; echo "h$i.bin $U/hold/h$i.bin"; done >"$T/hold"
t_run "-j 6 against one host" 0 manifest-gen -j 6 -d "$D" <"$T/hold"
t_eq "-j 6 against one host: six entries" 6 "$(grep -c '^DIST h' "$T/out")"
t_run "-j 6 against one host: never more than two at once" 0 test "$(cat "$W/hold.max")" -le 2

echo "g.bin $U/404/g.bin" | manifest-gen -d "$T" >"$T/out" 2>"$T/err"
t_eq "404: exit 1" 1 "$?"
t_eq "404: not retried" 1 "$(grep -c '^GET /404/g.bin ' "$W/requests.log")"

# Redirects never leave https: an https URL answered by a 302 to http is
# a failed URL (the next one is tried), a 302 to https is followed. The
# https server's CA comes from SSL_CERT_FILE, as for wget.
. "$DK_TOP/t/lib/nginx.sh"
C=$T/ca
mkdir -p "$C" "$T/www"
cp "$W/g.bin" "$T/www/g.bin"
if ! {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=dk test CA" \
		-keyout "$C/ca.key" -out "$C/ca.pem" &&
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
		-keyout "$C/srv.key" -out "$C/srv.csr" &&
	printf 'subjectAltName=IP:127.0.0.1\n' >"$C/ext" &&
	openssl x509 -req -in "$C/srv.csr" -CA "$C/ca.pem" -CAkey "$C/ca.key" -CAcreateserial \
		-days 2 -extfile "$C/ext" -out "$C/srv.pem"
} >"$T/openssl.log" 2>&1; then
	fail "make a test CA" "$(tail -n 3 "$T/openssl.log")"
	exit 0
fi
if ! nginx_start_tls "$T/www" "$C/srv.pem" "$C/srv.key" \
	"location /down/ { return 302 $U/ok/g.bin; } location /up/ { return 302 https://127.0.0.1:\$server_port/g.bin; }" 2>"$T/nginx.err"; then
	skip "https redirects" "$(cat "$T/nginx.err")"
	exit 0
fi
G=$(dist_line "$W/g.bin")
D8=$T/dist8
mkdir -p "$D8"
n=$(grep -c '^GET /ok/g.bin ' "$W/requests.log")
echo "g.bin $NGINX_URL/down/g.bin" | SSL_CERT_FILE=$C/ca.pem manifest-gen -d "$D8" >"$T/out" 2>"$T/err"
t_eq "https redirected to http: exit 1" 1 "$?"
t_grep "https redirected to http: the URL and why" "^manifest-gen: g.bin: cannot fetch from any URL: $NGINX_URL/down/g.bin \(HTTP 302 to a URL that is not https, not followed\)$" "$T/err"
t_eq "https redirected to http: the http URL never asked" "$n" "$(grep -c '^GET /ok/g.bin ' "$W/requests.log")"
t_run "https redirected to http: no file" 1 test -e "$D8/g.bin"
echo "g.bin $NGINX_URL/down/g.bin $NGINX_URL/up/g.bin" | SSL_CERT_FILE=$C/ca.pem manifest-gen -d "$D8" >"$T/out" 2>"$T/err"
t_eq "https redirected to https: followed, exit 0" 0 "$?"
t_out "https redirected to https: the entry" "$G" "$T/out"
rm -f "$D8/g.bin"
echo "g.bin $NGINX_URL/g.bin" | manifest-gen -d "$D8" >"$T/out" 2>"$T/err"
t_eq "https without SSL_CERT_FILE: the test CA is not trusted" 1 "$?"
t_grep "https without SSL_CERT_FILE: a certificate error" "^manifest-gen: g.bin: cannot fetch from any URL: $NGINX_URL/g.bin \(.*[Cc]ertificate.*\)$" "$T/err"
