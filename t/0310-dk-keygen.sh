#!/bin/sh
# dk-keygen: the module-signing key, checked with the openssl CLI the way the
# kernel's build would see it; -c against broken keys made by openssl.
. "$(dirname "$0")/lib.sh"

cd "$T" || exit 1
exts=basicConstraints,keyUsage,subjectKeyIdentifier,authorityKeyIdentifier
# hex: the colon-separated hex lines of openssl's extension dump, replaced
hexless() { sed 's/^\( *\)[0-9A-F][0-9A-F]:[0-9A-F:]*$/\1HEX/' "$1"; }
day() { date -u -d "@$1" +%Y-%m-%d; }

# RSA, as most tests: 2048 bits to keep them quick.
before=$(date -u +%s)
(umask 022 && dk-keygen -b 2048 rsa.pem) >"$T/out" 2>"$T/err"
t_eq "RSA key made" 0 "$?"
after=$(date -u +%s)
t_eq "nothing on stderr" "" "$(cat "$T/err")"
t_eq "mode 0600 under umask 022" 600 "$(stat -c %a rsa.pem)"
t_eq "owned by the caller" "$(id -u)" "$(stat -c %u rsa.pem)"
fpr=$(openssl x509 -in rsa.pem -noout -fingerprint -sha256 | sed 's/^[^=]*=//')
t_out "prints the certificate's SHA-256 fingerprint" "$fpr" "$T/out"
grep -- '-----BEGIN' rsa.pem >"$T/blocks"
t_out "one PEM: key then certificate" "-----BEGIN PRIVATE KEY-----
-----BEGIN CERTIFICATE-----" "$T/blocks"
openssl pkey -in rsa.pem -noout -text | head -n 1 >"$T/pk"
t_out "an RSA 2048 private key" "Private-Key: (2048 bit, 2 primes)" "$T/pk"
openssl pkey -in rsa.pem -pubout >"$T/pub.key"
openssl x509 -in rsa.pem -noout -pubkey >"$T/pub.cert"
t_diff "the certificate holds the key's public half" "$T/pub.key" "$T/pub.cert"
openssl x509 -in rsa.pem -noout -text >"$T/text"
t_grep "an X.509 v3 certificate" '^ +Version: 3 \(0x2\)$' "$T/text"
t_grep "signed with SHA-512 as the kernel's" '^ +Signature Algorithm: sha512WithRSAEncryption$' "$T/text"
t_grep "the default subject" '^ +Subject: CN = dist-kernel module signing key$' "$T/text"
t_grep "self-signed" '^ +Issuer: CN = dist-kernel module signing key$' "$T/text"
openssl x509 -in rsa.pem -noout -ext "$exts" >"$T/ext"
hexless "$T/ext" >"$T/ext.h"
cat >"$T/want.ext" <<'EOF'
X509v3 Basic Constraints: critical
    CA:FALSE
X509v3 Key Usage: 
    Digital Signature
X509v3 Subject Key Identifier: 
    HEX
X509v3 Authority Key Identifier: 
    HEX
EOF
t_diff "the extensions of certs/default_x509.genkey" "$T/want.ext" "$T/ext.h"
t_eq "the authority key id is the subject key id" "$(sed -n 6p "$T/ext")" "$(sed -n 8p "$T/ext")"
end=$(openssl x509 -in rsa.pem -noout -enddate -dateopt iso_8601 | sed 's/notAfter=//; s/ .*//')
case $end in
"$(day $((before + 36500 * 86400)))" | "$(day $((after + 36500 * 86400)))") ok "valid 36500 days by default" ;;
*) fail "valid 36500 days by default" "not after $end" ;;
esac
# what the kernel's scripts/sign-file does with it: a detached CMS
# signature by the key, verified against the certificate
printf 'module\n' >mod.ko
openssl cms -sign -nocerts -noattr -binary -in mod.ko -inkey rsa.pem -signer rsa.pem \
	-outform DER -md sha512 -out mod.p7s 2>"$T/err"
t_run "the certificate verifies a module signature made with the key" 0 \
	openssl cms -verify -binary -inform DER -in mod.p7s -content mod.ko -certfile rsa.pem \
	-CAfile rsa.pem -purpose any -out /dev/null

t_run "-c: a good key" 0 dk-keygen -c rsa.pem
t_out "-c: describes it" "rsa.pem: RSA 2048, CN=dist-kernel module signing key, until $end, sha256 $fpr" "$T/out"

cp rsa.pem "$T/copy.pem"
t_run "never overwrites" 1 dk-keygen -b 2048 rsa.pem
t_out "the existing file is named" "dk-keygen: rsa.pem: already exists: refusing to overwrite it" "$T/err"
t_run "the existing key is untouched" 0 cmp -s rsa.pem "$T/copy.pem"
t_run "nothing left beside it" 0 sh -c '[ "$(ls -A | grep -c "^\.rsa")" = 0 ]'

(umask 0277 && dk-keygen -b 2048 -s '/O=Gentoo Linux/CN=dist-kernel test' -d 10 strict.pem) >"$T/out" 2>"$T/err"
t_eq "key made under umask 0277" 0 "$?"
t_eq "still mode 0600: the umask is ignored" 600 "$(stat -c %a strict.pem)"
openssl x509 -in strict.pem -noout -subject >"$T/subj"
t_out "-s sets the subject" "subject=O = Gentoo Linux, CN = dist-kernel test" "$T/subj"
t_run "-c: a certificate near its end passes" 0 dk-keygen -c strict.pem
t_grep "-c: but warns under 30 days" '^dk-keygen: strict.pem: warning: the certificate expires in (9|10) days, on [0-9-]+$' "$T/err"

# ECDSA P-384.
t_run "ECDSA key made" 0 dk-keygen -t ec ec.pem
openssl pkey -in ec.pem -noout -text >"$T/pk"
t_grep "a P-384 key" '^NIST CURVE: P-384$' "$T/pk"
openssl x509 -in ec.pem -noout -text >"$T/text"
t_grep "an ECDSA signature with SHA-512" '^ +Signature Algorithm: ecdsa-with-SHA512$' "$T/text"
openssl x509 -in ec.pem -noout -ext "$exts" | hexless /dev/stdin >"$T/ext.h"
t_diff "the same extensions on the EC certificate" "$T/want.ext" "$T/ext.h"
t_run "-c: a good EC key" 0 dk-keygen -c ec.pem
t_grep "-c: names the curve" '^ec.pem: EC secp384r1, CN=dist-kernel module signing key, until ' "$T/out"

# The default size, once.
t_run "the default RSA key" 0 dk-keygen big.pem
openssl pkey -in big.pem -noout -text | head -n 1 >"$T/pk"
t_out "is 4096 bits" "Private-Key: (4096 bit, 2 primes)" "$T/pk"

# -c finds what is wrong, each problem on its own line.
cp rsa.pem open.pem && chmod 644 open.pem
t_run "-c: a 0644 file" 1 dk-keygen -c open.pem
t_out "-c: the mode is named" "dk-keygen: open.pem: mode 0644 gives group or others access (chmod 600)" "$T/err"

{ sed -n '/BEGIN PRIVATE KEY/,/END PRIVATE KEY/p' rsa.pem; sed -n '/BEGIN CERT/,/END CERT/p' big.pem; } >mixed.pem
chmod 640 mixed.pem
t_run "-c: a mismatched key and certificate" 1 dk-keygen -c mixed.pem
cat >"$T/want" <<'EOF'
dk-keygen: mixed.pem: mode 0640 gives group or others access (chmod 600)
dk-keygen: mixed.pem: the private key does not match the certificate
EOF
t_diff "-c: every problem is named" "$T/want" "$T/err"

# An expired certificate, made by openssl ca with dates in the past.
mkdir ca
cat >ca/ca.cnf <<'EOF'
[ ca ]
default_ca = old
[ old ]
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha512
policy = any
x509_extensions = myexts
[ any ]
commonName = supplied
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = expired signing key
[ myexts ]
basicConstraints=critical,CA:FALSE
keyUsage=digitalSignature
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid:always
EOF
(
	cd ca && : >index.txt && echo 01 >serial &&
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out key.pem 2>/dev/null &&
	openssl req -new -key key.pem -config ca.cnf -out req.csr &&
	openssl ca -batch -config ca.cnf -selfsign -keyfile key.pem -in req.csr \
		-startdate 20000101000000Z -enddate 20010101000000Z -notext -out cert.pem 2>/dev/null
) || fail "openssl ca" "cannot make the expired certificate"
(umask 077 && cat ca/key.pem ca/cert.pem >old.pem)
t_run "-c: an expired certificate" 1 dk-keygen -c old.pem
t_out "-c: the expiry date is named" "dk-keygen: old.pem: the certificate expired on 2001-01-01" "$T/err"

# What the kernel build itself makes (openssl req with its genkey file):
# accepted, with OpenSSL 3's missing authority key id only a warning.
cat >x509.genkey <<'EOF'
[ req ]
default_bits = 2048
distinguished_name = req_distinguished_name
prompt = no
string_mask = utf8only
x509_extensions = myexts
[ req_distinguished_name ]
CN = Build time autogenerated kernel key
[ myexts ]
basicConstraints=critical,CA:FALSE
keyUsage=digitalSignature
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EOF
(umask 077 && openssl req -new -nodes -utf8 -sha512 -days 36500 -batch -x509 -config x509.genkey \
	-outform PEM -out kernel.pem -keyout kernel.pem 2>/dev/null)
t_run "-c: the kernel's own autogenerated key passes" 0 dk-keygen -c kernel.pem

{ sed -n '/BEGIN CERT/,/END CERT/p' rsa.pem; } >certonly.pem
chmod 600 certonly.pem
t_run "-c: no private key" 1 dk-keygen -c certonly.pem
t_out "-c: the missing key is named" "dk-keygen: certonly.pem: no private key (or an encrypted one)" "$T/err"
t_run "-c: no such file" 1 dk-keygen -c nothing.pem
t_out "-c: the missing file is named" "dk-keygen: nothing.pem: cannot open: No such file or directory" "$T/err"

if [ "$(id -u)" = 0 ]; then
	cp rsa.pem theirs.pem && chown 65534 theirs.pem
	t_run "-c: a file owned by someone else" 1 dk-keygen -c theirs.pem
	t_out "-c: the owner is named" "dk-keygen: theirs.pem: owned by uid 65534, not by the caller (uid 0)" "$T/err"
fi

# Usage.
t_run "-h" 0 dk-keygen -h
t_grep "-h prints the synopsis" '^usage: dk-keygen \[-b BITS\]' "$T/out"
t_run "-V" 0 dk-keygen -V
t_out "-V prints the version" "dk-keygen 0.1.0" "$T/out"
t_run "no file" 2 dk-keygen
t_run "-b with -t ec" 2 dk-keygen -b 2048 -t ec x.pem
t_run "a key too small" 2 dk-keygen -b 1024 x.pem
t_out "the bad size is named" "dk-keygen: --bits: '1024' is not a whole number from 2048 to 16384" "$T/err"
t_run "an unknown type" 2 dk-keygen -t dsa x.pem
t_run "-c with other options" 2 dk-keygen -c rsa.pem -d 5
t_run "a bad subject" 1 dk-keygen -s 'CN=x, junk' x.pem
t_out "the bad subject is named" "dk-keygen: subject CN=x, junk: \"junk\" is not FIELD=VALUE" "$T/err"
t_run "no file written on failure" 1 test -e x.pem
