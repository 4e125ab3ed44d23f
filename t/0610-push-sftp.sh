#!/bin/sh
# dk-push to sftp:// on a real OpenSSH sshd (internal-sftp) on 127.0.0.1:
# known_hosts checked (wrong and unknown host keys refused), .part +
# rename, skip, -f, resume, parallel uploads. Licence: GPL-2.0-only.
. "$(dirname "$0")/lib.sh"
. "$DK_TOP/t/lib/sshd.sh"
MK=$DK_TOP/t/mkgpkg.sh

if ! sshd_start 2>"$T/sshd.err"; then
	skip "sftp destinations" "$(cat "$T/sshd.err")"
	exit 0
fi
# only the key given, never an agent of whoever runs the tests
unset SSH_AUTH_SOCK
export HOME="$T/home"
mkdir -p "$HOME"

B=$T/binpkg
for v in 6.6.31 6.1.90 6.12.1; do
	for a in amd64 arm64; do
		mkdir -p "$B/$a/kernel/sys-kernel/gentoo-kernel"
		MKGPKG_MB=1 "$MK" "$B/$a/kernel/sys-kernel/gentoo-kernel/gentoo-kernel-$v-1.gpkg.tar" sys-kernel/gentoo-kernel-$v
	done
done
P=$B/amd64/kernel/sys-kernel/gentoo-kernel/gentoo-kernel-6.6.31-1.gpkg.tar
HOST=127.0.0.1:$SSHD_PORT
U="sftp://$SSH_USER@$HOST$T/pub/{arch}/{series}"
R=$T/pub/amd64/6.6
push() { dk-push -i "$SSH_KEY" -H "$SSH_KNOWN_HOSTS" "$@"; }

# kup-style: PUB/ARCH/SERIES/NAME.ARCH.gpkg.tar
t_run "upload over sftp" 0 push -d "$U" "$P"
t_out "upload: the fetch-list line" "gentoo-kernel-6.6.31-1.amd64.gpkg.tar sftp://$SSH_USER@$HOST$R/gentoo-kernel-6.6.31-1.amd64.gpkg.tar" "$T/out"
t_run "upload: the file arrived whole" 0 cmp "$P" "$R/gentoo-kernel-6.6.31-1.amd64.gpkg.tar"
t_eq "upload: no .part left" "gentoo-kernel-6.6.31-1.amd64.gpkg.tar" "$(ls "$R")"

# Already there with the same size: skipped, still listed.
touch -d @1000000000 "$R/gentoo-kernel-6.6.31-1.amd64.gpkg.tar"
t_run "a second run" 0 push -d "$U" "$P"
t_out "a second run: listed" "gentoo-kernel-6.6.31-1.amd64.gpkg.tar sftp://$SSH_USER@$HOST$R/gentoo-kernel-6.6.31-1.amd64.gpkg.tar" "$T/out"
t_eq "a second run: not uploaded again" 1000000000 "$(stat -c %Y "$R/gentoo-kernel-6.6.31-1.amd64.gpkg.tar")"
t_run "-f uploads again" 0 push -f -d "$U" "$P"
t_run "-f: a new file" 1 test "$(stat -c %Y "$R/gentoo-kernel-6.6.31-1.amd64.gpkg.tar")" = 1000000000
t_run "-f: the file is whole" 0 cmp "$P" "$R/gentoo-kernel-6.6.31-1.amd64.gpkg.tar"
# Another size under the name: refused without -f, replaced with it.
echo other >"$R/gentoo-kernel-6.6.31-1.amd64.gpkg.tar"
t_run "other content over sftp" 1 push -d "$U" "$P"
t_out "other content: the message" "dk-push: sftp://$SSH_USER@$HOST$R/gentoo-kernel-6.6.31-1.amd64.gpkg.tar: already there with 6 bytes, not $(stat -c %s "$P"): not replaced (-f replaces it)" "$T/err"
t_eq "other content: left alone, no .part" "other gentoo-kernel-6.6.31-1.amd64.gpkg.tar" "$(cat "$R/gentoo-kernel-6.6.31-1.amd64.gpkg.tar") $(ls "$R")"
t_run "-f replaces it over sftp" 0 push -f -d "$U" "$P"
t_run "-f: the package" 0 cmp "$P" "$R/gentoo-kernel-6.6.31-1.amd64.gpkg.tar"

# A partial NAME.part from a dropped connection is resumed.
rm "$R/gentoo-kernel-6.6.31-1.amd64.gpkg.tar"
head -c 300000 "$P" >"$R/gentoo-kernel-6.6.31-1.amd64.gpkg.tar.part"
t_run "resume a .part" 0 push -d "$U" "$P"
t_out "resume: said so" "dk-push: sftp://$SSH_USER@$HOST$R/gentoo-kernel-6.6.31-1.amd64.gpkg.tar: resuming gentoo-kernel-6.6.31-1.amd64.gpkg.tar.part at 300000 bytes" "$T/err"
t_run "resume: the file is whole" 0 cmp "$P" "$R/gentoo-kernel-6.6.31-1.amd64.gpkg.tar"
t_eq "resume: no .part left" "gentoo-kernel-6.6.31-1.amd64.gpkg.tar" "$(ls "$R")"
# A .part longer than the file is stale: started over.
rm "$R/gentoo-kernel-6.6.31-1.amd64.gpkg.tar"
cat "$P" "$P" >"$R/gentoo-kernel-6.6.31-1.amd64.gpkg.tar.part"
t_run "a stale .part" 0 push -q -d "$U" "$P"
t_run "a stale .part: started over" 0 cmp "$P" "$R/gentoo-kernel-6.6.31-1.amd64.gpkg.tar"

# Host keys: a mismatch and an unknown host are refused, with nothing sent.
printf '[127.0.0.1]:%s ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n' "$SSHD_PORT" >"$T/bad_known"
W="sftp://$SSH_USER@$HOST$T/wrong"
t_run "a wrong host key" 1 dk-push -i "$SSH_KEY" -H "$T/bad_known" -d "$W" "$P"
t_out "a wrong host key: the message" "dk-push: $W/gentoo-kernel-6.6.31-1.amd64.gpkg.tar: host key does not match $T/bad_known: refused (the host changed its key, or this is an attack)" "$T/err"
t_eq "a wrong host key: no fetch-list line" "" "$(cat "$T/out")"
: >"$T/empty_known"
t_run "an unknown host" 1 dk-push -i "$SSH_KEY" -H "$T/empty_known" -d "$W" "$P"
t_out "an unknown host: the message" "dk-push: $W/gentoo-kernel-6.6.31-1.amd64.gpkg.tar: host key is not in $T/empty_known: refused (check the key, then add it)" "$T/err"
t_eq "an unknown host: not added" "" "$(cat "$T/empty_known")"
t_run "no known_hosts at all" 1 dk-push -i "$SSH_KEY" -d "$W" "$P"
t_out "no known_hosts: refused" "dk-push: $W/gentoo-kernel-6.6.31-1.amd64.gpkg.tar: host key is not in $HOME/.ssh/known_hosts: refused (check the key, then add it)" "$T/err"
t_eq "host key refused: nothing written" "" "$(ls -d "$T/wrong" 2>/dev/null)"
# The default places: ~/.ssh/known_hosts and ~/.ssh/id_ed25519.
mkdir -p "$HOME/.ssh"
cp "$SSH_KNOWN_HOSTS" "$HOME/.ssh/known_hosts"
cp "$SSH_KEY" "$HOME/.ssh/id_ed25519"
cp "$SSH_KEY.pub" "$HOME/.ssh/id_ed25519.pub"
t_run "keys from ~/.ssh" 0 dk-push -d "sftp://$SSH_USER@$HOST$T/home-default" "$P"
t_run "keys from ~/.ssh: uploaded" 0 cmp "$P" "$T/home-default/gentoo-kernel-6.6.31-1.amd64.gpkg.tar"

# Authentication failure: a key the server does not know.
ssh-keygen -q -t ed25519 -N '' -f "$T/stranger"
t_run "an unknown client key" 1 dk-push -i "$T/stranger" -H "$SSH_KNOWN_HOSTS" -d "$W" "$P"
t_grep "an unknown client key: the message" "^dk-push: $W/gentoo-kernel-6.6.31-1.amd64.gpkg.tar: authentication failed" "$T/err"
# Nothing listens: a clear line.
port=$(free_port)
t_run "nothing listening" 1 push -d "sftp://$SSH_USER@127.0.0.1:$port$T/x" "$P"
t_grep "nothing listening: the message" "^dk-push: sftp://$SSH_USER@127.0.0.1:$port$T/x/gentoo-kernel-6.6.31-1.amd64.gpkg.tar: " "$T/err"
# The server refuses to write (a path under a regular file).
: >"$T/plainfile"
t_run "the server cannot write there" 1 push -d "sftp://$SSH_USER@$HOST$T/plainfile/sub" "$P"
t_grep "cannot write: the message" "^dk-push: sftp://$SSH_USER@$HOST$T/plainfile/sub/gentoo-kernel-6.6.31-1.amd64.gpkg.tar: " "$T/err"

# Six packages, three at a time, two destinations each; one line each.
ls "$B"/*/kernel/sys-kernel/gentoo-kernel/*.gpkg.tar >"$T/list"
t_run "six packages with -j 3" 0 push -j 3 -d "$U" -d "file://$T/distdir" <"$T/list"
while read -r f; do
	a=$(echo "$f" | sed 's,.*/binpkg/\([^/]*\)/.*,\1,')
	n=$(basename "$f" .gpkg.tar).$a.gpkg.tar
	s=$(echo "$n" | sed 's/^gentoo-kernel-\([0-9]*\.[0-9]*\).*/\1/')
	echo "$n sftp://$SSH_USER@$HOST$T/pub/$a/$s/$n file://$T/distdir/$n"
done <"$T/list" >"$T/want"
t_diff "-j 3: a line per package, in input order" "$T/want" "$T/out"
bad=0
while read -r f; do
	a=$(echo "$f" | sed 's,.*/binpkg/\([^/]*\)/.*,\1,')
	n=$(basename "$f" .gpkg.tar).$a.gpkg.tar
	s=$(echo "$n" | sed 's/^gentoo-kernel-\([0-9]*\.[0-9]*\).*/\1/')
	cmp -s "$f" "$T/pub/$a/$s/$n" || bad=$((bad + 1))
done <"$T/list"
t_eq "-j 3: every file arrived whole" 0 "$bad"
t_eq "-j 3: no .part left" "" "$(find "$T/pub" -name '*.part')"

# A connection dropped mid-upload: a second sshd whose sftp server reads
# only the first 3 MB of the session, then exits. dk-push fails with a
# clear line and leaves NAME.part, never NAME; the next run (normal
# server, same directory) resumes it.
SFTP_SERVER=$(for f in /usr/lib/openssh/sftp-server /usr/lib/sftp-server /usr/libexec/sftp-server; do [ -x "$f" ] && echo "$f" && break; done)
if [ -n "$SFTP_SERVER" ]; then
	CUT_PORT=$(free_port)
	printf '#!/bin/sh\ndd bs=65536 iflag=count_bytes count=3000000 2>/dev/null | %s\n' "$SFTP_SERVER" >"$SSHD_DIR/cut-sftp"
	chmod 755 "$SSHD_DIR/cut-sftp"
	sed -e "s/^Port .*/Port $CUT_PORT/" -e "s,^PidFile .*,PidFile $SSHD_DIR/cut.pid," \
		-e "s,^Subsystem sftp .*,Subsystem sftp $SSHD_DIR/cut-sftp," \
		"$SSHD_DIR/sshd_config" >"$SSHD_DIR/cut_config"
	if "$(command -v sshd || echo /usr/sbin/sshd)" -f "$SSHD_DIR/cut_config" -E "$SSHD_DIR/cut.log"; then
		at_exit "kill \$(cat '$SSHD_DIR/cut.pid' 2>/dev/null) 2>/dev/null"
		sed "s/^\[127.0.0.1\]:$SSHD_PORT /[127.0.0.1]:$CUT_PORT /" "$SSH_KNOWN_HOSTS" >"$T/cut_known"
		mkdir -p "$T/big/amd64/kernel/sys-kernel/gentoo-kernel"
		BIG=$T/big/amd64/kernel/sys-kernel/gentoo-kernel/gentoo-kernel-6.6.40-1.gpkg.tar
		MKGPKG_COMP=none MKGPKG_MB=8 "$MK" "$BIG" sys-kernel/gentoo-kernel-6.6.40
		BN=gentoo-kernel-6.6.40-1.amd64.gpkg.tar
		i=0
		while [ $i -lt 50 ] && ! python3 -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1',$CUT_PORT)))"; do
			sleep 0.1
			i=$((i + 1))
		done
		t_run "a dropped connection" 1 dk-push -t 2 -i "$SSH_KEY" -H "$T/cut_known" -d "sftp://$SSH_USER@127.0.0.1:$CUT_PORT$T/drop" "$BIG"
		t_grep "a dropped connection: the message" "^dk-push: sftp://$SSH_USER@127.0.0.1:$CUT_PORT$T/drop/$BN: connection dropped: .*\(run again to resume the .part file\)$" "$T/err"
		t_grep "a dropped connection: retried, resuming" "^dk-push: .*/drop/$BN: resuming $BN.part at [1-9][0-9]* bytes$" "$T/err"
		t_eq "a dropped connection: only the .part" "$BN.part" "$(ls "$T/drop")"
		t_run "a dropped connection: the .part is short" 0 test "$(stat -c %s "$T/drop/$BN.part")" -lt "$(stat -c %s "$BIG")"
		t_run "run again: resumed" 0 push -d "sftp://$SSH_USER@$HOST$T/drop" "$BIG"
		t_grep "run again: said so" "^dk-push: sftp://$SSH_USER@$HOST$T/drop/$BN: resuming $BN.part at [1-9][0-9]* bytes$" "$T/err"
		t_run "run again: the file is whole" 0 cmp "$BIG" "$T/drop/$BN"
		t_eq "run again: no .part left" "$BN" "$(ls "$T/drop")"
	else
		fail "a dropped connection" "the second sshd did not start: $(tail -n 3 "$SSHD_DIR/cut.log")"
	fi
else
	skip "a dropped connection" "no sftp-server binary"
fi

# Signatures over sftp: a stale NAME.sig beside a name not yet there is
# replaced with the new file's; beside a file already there it stays.
. "$DK_TOP/t/lib/gpg.sh"
if gpg_setup 2>"$T/gpg.err"; then
	G=$T/sig
	mkdir -p "$G"
	echo stale >"$G/gentoo-kernel-6.6.31-1.amd64.gpkg.tar.sig"
	t_run "-S over sftp" 0 push -S -u "$GPG_KEYID" -d "sftp://$SSH_USER@$HOST$G" "$P"
	t_run "-S over sftp: the stale signature replaced" 0 gpgv --keyring "$GPG_KEYRING" "$G/gentoo-kernel-6.6.31-1.amd64.gpkg.tar.sig" "$G/gentoo-kernel-6.6.31-1.amd64.gpkg.tar"
	cp "$G/gentoo-kernel-6.6.31-1.amd64.gpkg.tar.sig" "$T/first.sig"
	t_run "-S over sftp again" 0 push -S -u "$GPG_KEYID" -d "sftp://$SSH_USER@$HOST$G" "$P"
	t_run "-S over sftp again: the published signature stays" 0 cmp "$T/first.sig" "$G/gentoo-kernel-6.6.31-1.amd64.gpkg.tar.sig"
else
	skip "signatures over sftp" "$(cat "$T/gpg.err")"
fi
