#!/bin/sh
# bench/fetch.sh: 8 files of 64 MiB from a loopback nginx reached as four
# hosts (127.0.0.1-4, two files each, like kernel.org, GitHub, Gentoo's
# and Fedora's servers in a bump), every transfer rate-limited as remote
# servers are and one file at half that rate: manifest-gen's wall time
# against curl one file after another and against the slowest file alone.
# Not part of "make check". Usage: bench/fetch.sh [BUILD_DIR]. GPL-2.0-only.
set -eu
export LC_ALL=C
top=$(cd "$(dirname "$0")/.." && pwd)
mg=$top/${1:-.}/cmd/manifest-gen
[ -x "$mg" ] || { echo "bench/fetch.sh: build first (make)" >&2; exit 2; }
command -v nginx >/dev/null || PATH=$PATH:/usr/sbin
T=$(mktemp -d "${TMPDIR:-/tmp}/dk-bench.XXXXXX")
trap 'kill $(cat "$T/nginx.pid" 2>/dev/null) 2>/dev/null; rm -rf "$T"' EXIT
rate=${RATE:-32m} slow=${SLOW:-16m}

mkdir -p "$T/www/slow" "$T/logs" "$T/tmp" "$T/dist" "$T/curl"
for i in 1 2 3 4 5 6 7; do head -c $((64 * 1048576)) /dev/urandom >"$T/www/f$i.bin"; done
head -c $((64 * 1048576)) /dev/urandom >"$T/www/slow/f8.bin"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$T/nginx.conf" <<EOC
daemon on;
worker_processes 1;
pid $T/nginx.pid;
error_log $T/logs/error.log;
user root;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $T/tmp/body;
	proxy_temp_path $T/tmp/proxy;
	fastcgi_temp_path $T/tmp/fastcgi;
	uwsgi_temp_path $T/tmp/uwsgi;
	scgi_temp_path $T/tmp/scgi;
	server {
		listen 127.0.0.1:$port; listen 127.0.0.2:$port; listen 127.0.0.3:$port; listen 127.0.0.4:$port;
		root $T/www;
		limit_rate $rate;
		location /slow/ { limit_rate $slow; }
	}
}
EOC
nginx -p "$T" -c "$T/nginx.conf" -e "$T/logs/error.log"
sleep 0.5
for i in 1 2 3 4 5 6 7; do
	echo "f$i.bin http://127.0.0.$(( (i - 1) / 2 + 1 )):$port/f$i.bin"
done >"$T/list"
echo "f8.bin http://127.0.0.4:$port/slow/f8.bin" >>"$T/list"

secs() {
	_s=$(date +%s.%N)
	"$@" >/dev/null
	_e=$(date +%s.%N)
	echo "$_s $_e" | awk '{ printf "%.2f", $2 - $1 }'
}
seq_curl() {
	while read -r name url; do
		curl -sf -o "$T/curl/$name" "$url"
	done <"$T/list"
}
run_mg() { "$mg" -q -j "$1" -d "$T/dist" <"$T/list"; }

t_seq=$(secs seq_curl)
t_slow=$(secs curl -sf -o "$T/curl/one" "http://127.0.0.4:$port/slow/f8.bin")
t_mg=$(secs run_mg 8)
rss=$(/usr/bin/time -v sh -c 'rm -f "$0"/dist/*; exec "$1" -q -j 8 -d "$0/dist" <"$0/list"' "$T" "$mg" 2>&1 >/dev/null |
	awk -F': ' '/Maximum resident set size/ { print $2 }')
rm -f "$T"/dist/*
t_mg4=$(secs run_mg 4)

echo "fetching 8 x 64 MiB over loopback, limit_rate $rate (one file $slow), 4 hosts"
printf '%-34s %7ss\n' "curl, one after another" "$t_seq" "the slowest file alone (curl)" "$t_slow" \
	"manifest-gen -j 8 (+ hashing)" "$t_mg" "manifest-gen -j 4 (default)" "$t_mg4"
echo "$t_seq $t_slow $t_mg" | awk '{
	printf "sequential curl / manifest-gen: %.2fx (goal >= 4)\n", $1 / $3
	printf "manifest-gen / slowest file:    %.2fx (goal <= 1.3)\n", $3 / $2 }'
echo "manifest-gen peak RSS: $rss KiB (goal <= 16384)"
