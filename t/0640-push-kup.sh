#!/bin/sh
# dk-push to kup:// with Debian's kup-server behind a real sshd on
# 127.0.0.1 (the forced command of kup-server(1)) and a throw-away gpg key
# as the uploader's keyring: what lands (files and .sign, verified), a
# second push is a no-op, other content is never replaced without -f, and
# every failure is one line naming the destination and file with nothing
# left under the final name. Licence: GPL-2.0-only.
. "$(dirname "$0")/lib.sh"
. "$DK_TOP/t/lib/sshd.sh"
. "$DK_TOP/t/lib/gpg.sh"
. "$DK_TOP/t/lib/kup.sh"
MK=$DK_TOP/t/mkgpkg.sh

if ! gpg_setup 2>"$T/gpg.err"; then
	skip "kup destinations" "$(cat "$T/gpg.err")"
	exit 0
fi
if ! kup_start 2>"$T/kup.err"; then
	skip "kup destinations" "$(cat "$T/kup.err")"
	exit 0
fi
unset SSH_AUTH_SOCK
export HOME="$T/home"
mkdir -p "$HOME"

B=$T/binpkg
for v in 6.6.31 6.1.90; do
	for a in amd64 arm64; do
		mkdir -p "$B/$a/kernel/sys-kernel/gentoo-kernel"
		"$MK" "$B/$a/kernel/sys-kernel/gentoo-kernel/gentoo-kernel-$v-1.gpkg.tar" sys-kernel/gentoo-kernel-$v
	done
done
ls "$B"/*/kernel/sys-kernel/gentoo-kernel/*.gpkg.tar >"$T/list"
TREE=/pub/proj/dist-kernel/binpkg
U="$KUP_URL$TREE/{arch}/{series}"
push() { dk-push -i "$KUP_KEY" -H "$SSH_KNOWN_HOSTS" "$@"; }

# binpkg-docker's kup target: NAME.ARCH.gpkg.tar and its signature into
# /pub/proj/dist-kernel/binpkg/ARCH/SERIES/, the directories made.
t_run "four packages to kup" 0 push -S -u "$GPG_KEYID" -d "$U" <"$T/list"
while read -r f; do
	a=$(echo "$f" | sed 's,.*/binpkg/\([^/]*\)/.*,\1,')
	n=$(basename "$f" .gpkg.tar).$a.gpkg.tar
	s=$(echo "$n" | sed 's/^gentoo-kernel-\([0-9]*\.[0-9]*\).*/\1/')
	echo "$n $KUP_URL$TREE/$a/$s/$n"
done <"$T/list" >"$T/want"
t_diff "kup: a fetch-list line each, in input order" "$T/want" "$T/out"
bad=0 badsig=0 extra=
while read -r f; do
	a=$(echo "$f" | sed 's,.*/binpkg/\([^/]*\)/.*,\1,')
	n=$(basename "$f" .gpkg.tar).$a.gpkg.tar
	s=$(echo "$n" | sed 's/^gentoo-kernel-\([0-9]*\.[0-9]*\).*/\1/')
	cmp -s "$f" "$KUP_PUB$TREE/$a/$s/$n" || bad=$((bad + 1))
	gpgv --keyring "$GPG_KEYRING" "$KUP_PUB$TREE/$a/$s/$n.sign" "$KUP_PUB$TREE/$a/$s/$n" 2>/dev/null || badsig=$((badsig + 1))
	[ "$(ls "$KUP_PUB$TREE/$a/$s" | tr '\n' ' ')" = "$n $n.sign " ] || extra="$extra $a/$s"
done <"$T/list"
t_eq "kup: every file landed whole" 0 "$bad"
t_eq "kup: every signature verifies against the uploader's key" 0 "$badsig"
t_eq "kup: a file and its .sign in each directory, nothing else" "" "$extra"
t_eq "kup: kup-server's session directories are gone" "" "$(ls -A "$KUP_DIR/tmp")"

# A second push sends nothing: a DIR listing per directory, no PUT.
find "$KUP_PUB" -type f -exec touch -d @1000000000 {} +
t_run "a second push" 0 push -S -u "$GPG_KEYID" -d "$U" <"$T/list"
t_diff "a second push: the same lines" "$T/want" "$T/out"
t_eq "a second push: every file kept" 8 "$(find "$KUP_PUB" -type f ! -newermt @1000000001 | wc -l)"
t_eq "a second push: nothing written" "" "$(find "$KUP_PUB" -type f -newermt @1000000001)"

# Other content under the name: refused without -f, replaced with it.
P=$B/amd64/kernel/sys-kernel/gentoo-kernel/gentoo-kernel-6.6.31-1.gpkg.tar
N=gentoo-kernel-6.6.31-1.amd64.gpkg.tar
R=$KUP_PUB$TREE/amd64/6.6
echo other >"$R/$N"
t_run "other content on kup" 1 push -S -u "$GPG_KEYID" -d "$U" "$P"
t_out "other content: the message" "dk-push: $KUP_URL$TREE/amd64/6.6/$N: already there with 6 bytes, not $(stat -c %s "$P"): not replaced (-f replaces it)" "$T/err"
t_eq "other content: left alone" other "$(cat "$R/$N")"
t_run "-f replaces it on kup" 0 push -f -S -u "$GPG_KEYID" -d "$U" "$P"
t_run "-f: the package" 0 cmp "$P" "$R/$N"
t_run "-f: its new signature verifies" 0 gpgv --keyring "$GPG_KEYRING" "$R/$N.sign" "$R/$N"

# --verify-sig: the builder's own PATH.sig is what kup-server gets.
mkdir -p "$T/v/amd64/kernel/sys-kernel/gentoo-kernel"
V=$T/v/amd64/kernel/sys-kernel/gentoo-kernel/gentoo-kernel-6.12.1-1.gpkg.tar
"$MK" "$V" sys-kernel/gentoo-kernel-6.12.1
gpg --batch --quiet --yes --detach-sign -o "$V.sig" "$V"
t_run "--verify-sig to kup" 0 push --verify-sig -K "$GPG_KEYRING" -d "$U" "$V"
t_run "--verify-sig: PATH.sig is the .sign" 0 cmp "$V.sig" "$KUP_PUB$TREE/amd64/6.12/gentoo-kernel-6.12.1-1.amd64.gpkg.tar.sign"

# kup-server refuses a signature by a key not in the uploader's keyring:
# one line, nothing under the name.
OTHER=$T/gnupg-other
mkdir -m 700 "$OTHER"
GNUPGHOME=$OTHER gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
	--quick-generate-key "other <other@example.invalid>" ed25519 sign never 2>/dev/null
GNUPGHOME=$OTHER gpg --batch --export >"$T/other.gpg"
"$MK" "$T/v/amd64/kernel/sys-kernel/gentoo-kernel/gentoo-kernel-6.12.2-1.gpkg.tar" sys-kernel/gentoo-kernel-6.12.2
W=$T/v/amd64/kernel/sys-kernel/gentoo-kernel/gentoo-kernel-6.12.2-1.gpkg.tar
GNUPGHOME=$OTHER gpg --batch --quiet --yes --detach-sign -o "$W.sig" "$W"
t_run "a key kup-server does not know" 1 push --verify-sig -K "$T/other.gpg" -d "$U" "$W"
t_out "unknown signer: kup-server's reason" "dk-push: $KUP_URL$TREE/amd64/6.12/gentoo-kernel-6.12.2-1.amd64.gpkg.tar: kup-server: Signature invalid" "$T/err"
t_eq "unknown signer: nothing under the name" "gentoo-kernel-6.12.1-1.amd64.gpkg.tar gentoo-kernel-6.12.1-1.amd64.gpkg.tar.sign" "$(ls "$KUP_PUB$TREE/amd64/6.12" | tr '\n' ' ' | sed 's/ $//')"
t_eq "unknown signer: no session left" "" "$(ls -A "$KUP_DIR/tmp")"
# ... and the next file of the same run still goes, in a new session.
mkdir -p "$T/kr"
cat "$T/other.gpg" "$GPG_KEYRING" >"$T/kr/both.gpg"
t_run "one refused, one good: exit 1" 1 push --verify-sig -K "$T/kr/both.gpg" -d "$U" "$W" "$V"
t_grep "one refused, one good: the refused one named" "^dk-push: .*/gentoo-kernel-6.12.2-1.amd64.gpkg.tar: kup-server: Signature invalid$" "$T/err"
t_out "one refused, one good: the good one listed" "gentoo-kernel-6.12.1-1.amd64.gpkg.tar $KUP_URL$TREE/amd64/6.12/gentoo-kernel-6.12.1-1.amd64.gpkg.tar" "$T/out"

# A path kup-server would refuse is refused before connecting.
t_run "a path kup does not allow" 1 push -S -u "$GPG_KEYID" -d "$KUP_URL/pub/.hidden/{arch}" "$P"
t_grep "bad path: the message" "^dk-push: $KUP_URL/pub/.hidden/amd64/$N: not a path kup-server allows " "$T/err"
t_eq "bad path: nothing made" "" "$(ls -d "$KUP_PUB/pub/.hidden" 2>/dev/null)"

# ssh's own failures: a key the server does not know, an unknown host
# key, nothing listening.
ssh-keygen -q -t ed25519 -N '' -f "$T/stranger"
t_run "a refused key" 1 dk-push -S -u "$GPG_KEYID" -i "$T/stranger" -H "$SSH_KNOWN_HOSTS" -d "$U" "$P"
t_out "a refused key: the message" "dk-push: $KUP_URL$TREE/amd64/6.6/$N: ssh: $SSH_USER@127.0.0.1: Permission denied (publickey)." "$T/err"
: >"$T/empty_known"
t_run "an unknown host key" 1 dk-push -S -u "$GPG_KEYID" -i "$KUP_KEY" -H "$T/empty_known" -d "$U" "$P"
t_out "an unknown host key: the message" "dk-push: $KUP_URL$TREE/amd64/6.6/$N: ssh: Host key verification failed." "$T/err"
t_eq "an unknown host key: not added" "" "$(cat "$T/empty_known")"
port=$(free_port)
t_run "nothing listening" 1 push -S -u "$GPG_KEYID" -d "kup://$SSH_USER@127.0.0.1:$port/pub/{arch}" "$P"
t_out "nothing listening: the message" "dk-push: kup://$SSH_USER@127.0.0.1:$port/pub/amd64/$N: ssh: connect to host 127.0.0.1 port $port: Connection refused" "$T/err"

# -n: what would go where, the signature as kup-server names it.
t_run "-n to kup" 0 dk-push -n -S -d "$U" "$P"
t_out "-n: the file and its .sign" "$P -> $KUP_URL$TREE/amd64/6.6/$N
(new signature of $P) -> $KUP_URL$TREE/amd64/6.6/$N.sign" "$T/out"
