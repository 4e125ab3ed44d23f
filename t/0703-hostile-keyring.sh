#!/bin/sh
# A keyring named without a slash (issue 14, 3): gpgv would look
# "keyring.gpg" up in GNUPGHOME, where anyone's keyring.gpg makes a forged
# sha256sums.asc pass. manifest-gen hands gpgv absolute paths: the file in
# the working directory is the one used. Real gpg and gpgv, file:// URLs.
. "$(dirname "$0")/lib.sh"
. "$DK_TOP/t/lib/gpg.sh"
. "$DK_TOP/t/lib/manifest.sh"

if ! gpg_setup 2>"$T/gpg.err"; then
	skip "keyring tests" "$(cat "$T/gpg.err")"
	exit 0
fi
good_home=$GNUPGHOME good_keyring=$GPG_KEYRING
# the attacker: a second key, whose public keyring sits in GNUPGHOME
if ! gpg_setup 2>"$T/gpg.err"; then
	skip "keyring tests" "$(cat "$T/gpg.err")"
	exit 0
fi
evil_home=$GNUPGHOME
cp "$GPG_KEYRING" "$evil_home/keyring.gpg"

W=$T/www/v7 D=$T/dist
mkdir -p "$W" "$D" "$T/cwd"
mkfile "$W/patch-7.2.10.xz" 4
echo "$(sha256sum "$W/patch-7.2.10.xz" | cut -d' ' -f1)  patch-7.2.10.xz" >"$T/sums"
GNUPGHOME=$evil_home gpg --batch --quiet --clearsign -o "$T/forged.asc" "$T/sums"
GNUPGHOME=$good_home gpg --batch --quiet --clearsign -o "$T/signed.asc" "$T/sums"
cp "$good_keyring" "$T/cwd/keyring.gpg"
list() { printf 's.asc file://%s/sha256sums.asc\npatch-7.2.10.xz file://%s/patch-7.2.10.xz\n' "$W" "$W"; }

cp "$T/forged.asc" "$W/sha256sums.asc"
(cd "$T/cwd" && list | GNUPGHOME=$evil_home manifest-gen -q -d "$D" -K keyring.gpg) >"$T/out" 2>"$T/err"
t_eq "forged signature, GNUPGHOME's keyring.gpg the attacker's: exit 1" 1 "$?"
t_grep "... gpgv's verdict: not the working directory's key" "^manifest-gen: $D/s.asc: signature check failed: " "$T/err"
t_empty "... no Manifest lines" "$T/out"
t_run "... no second guess about SHA256SUM_DATE" 1 grep -q SHA256SUM_DATE "$T/err"

rm -f "$D"/*
cp "$T/signed.asc" "$W/sha256sums.asc"
(cd "$T/cwd" && list | GNUPGHOME=$evil_home manifest-gen -q -d "$D" -K keyring.gpg) >"$T/out" 2>"$T/err"
t_eq "the right signature, keyring.gpg of the working directory: exit 0" 0 "$?"
t_eq "... two Manifest lines" 2 "$(wc -l <"$T/out")"
rm -f "$D"/*
(cd "$T/cwd" && list | GNUPGHOME=$evil_home VERIFY_SIG_OPENPGP_KEY_PATH=keyring.gpg manifest-gen -q -d "$D") >"$T/out" 2>"$T/err"
t_eq "VERIFY_SIG_OPENPGP_KEY_PATH=keyring.gpg: the same file" 0 "$?"
