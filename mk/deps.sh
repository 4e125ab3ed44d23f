#!/bin/sh
# make deps: finds which build and test dependencies are missing and
# installs them (Debian, as root), or prints the command that would
# (Debian as a user, Gentoo), or lists them by command and pkg-config
# name (any other system). Quiet and exit 0 when nothing is missing.
# Usage: mk/deps.sh [debian|gentoo|other] < table, where each line of
# the table is "DEBIAN-PACKAGE GENTOO-PACKAGE CHECK" (CHECK: a command,
# an absolute path, or pc:MODULE for a pkg-config module) — the Makefile's
# DEPS list. Licence: GPL-2.0-only.
set -u
host=${1:-}
if [ -z "$host" ]; then
	if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
		host=debian
	elif [ -e /etc/gentoo-release ] || command -v emerge >/dev/null 2>&1; then
		host=gentoo
	else
		host=other
	fi
fi

# present CHECK: is the thing there? sshd, nginx and dockerd live in sbin.
present() {
	case $1 in
	pc:*) pkg-config --exists "${1#pc:}" 2>/dev/null ;;
	/*) [ -e "$1" ] ;;
	*) PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin command -v "$1" >/dev/null 2>&1 ;;
	esac
}

missing= what=
while read -r deb gentoo check; do
	[ -n "$deb" ] || continue
	case $host in
	debian)
		dpkg-query -W -f='${Status}\n' "$deb" 2>/dev/null | grep -q ' installed$' ||
			missing="$missing $deb" ;;
	gentoo)
		if ! present "$check"; then
			case " $missing " in *" $gentoo "*) ;; *) missing="$missing $gentoo" ;; esac
		fi ;;
	*)
		if ! present "$check"; then
			case $check in
			pc:*) what="$what
    pkg-config ${check#pc:}    (Debian: $deb, Gentoo: $gentoo)" ;;
			*) what="$what
    command $check    (Debian: $deb, Gentoo: $gentoo)" ;;
			esac
			missing="$missing $check"
		fi ;;
	esac
done
[ -z "$missing" ] && exit 0

case $host in
debian)
	if [ "$(id -u)" != 0 ]; then
		echo "make deps: missing:$missing"
		echo "run as root: apt-get update && apt-get install -y --no-install-recommends$missing"
		exit 1
	fi
	echo "make deps: installing$missing"
	apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null ;;
gentoo)
	echo "make deps: missing on this Gentoo system; as root run:"
	echo "emerge --ask --noreplace$missing"
	exit 1 ;;
*)
	echo "make deps: neither Debian (dpkg-query, apt-get) nor Gentoo (emerge); missing:$what"
	echo "make deps: install them with this system's package manager"
	exit 1 ;;
esac
