# t/lib/nginx.sh: a real nginx on 127.0.0.1, private prefix, for tests.
# Source after t/lib.sh. Licence: GPL-2.0-only.
#
# nginx_start ROOT [EXTRA]: serves directory ROOT on a free port; EXTRA is
# appended inside the server block (e.g. "location /up { dav_methods PUT; }"
# or "limit_rate 1m;"). Sets NGINX_PORT and NGINX_URL (http://127.0.0.1:PORT);
# returns 1 (after printing why to stderr) when nginx cannot start.
# nginx_start_tls ROOT CERT KEY [EXTRA]: the same over https (NGINX_URL https://).
nginx_start() { _nginx_start "$1" "" "" "${2:-}"; }
nginx_start_tls() { _nginx_start "$1" "$2" "$3" "${4:-}"; }

_nginx_start() {
	_nx=$(command -v nginx || echo /usr/sbin/nginx)
	[ -x "$_nx" ] || { echo "nginx not installed" >&2; return 1; }
	NGINX_DIR=$(mktemp -d "$T/nginx.XXXXXX")
	mkdir -p "$NGINX_DIR/logs" "$NGINX_DIR/tmp"
	_tries=0
	while [ $_tries -lt 5 ]; do
		NGINX_PORT=$(free_port)
		if [ -n "$2" ]; then
			_listen="listen 127.0.0.1:$NGINX_PORT ssl; ssl_certificate $2; ssl_certificate_key $3;"
			NGINX_URL=https://127.0.0.1:$NGINX_PORT
		else
			_listen="listen 127.0.0.1:$NGINX_PORT;"
			NGINX_URL=http://127.0.0.1:$NGINX_PORT
		fi
		cat >"$NGINX_DIR/nginx.conf" <<EOC
daemon on;
worker_processes 1;
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/logs/error.log;
user root;
events { worker_connections 64; }
http {
	access_log $NGINX_DIR/logs/access.log;
	client_body_temp_path $NGINX_DIR/tmp/body;
	proxy_temp_path $NGINX_DIR/tmp/proxy;
	fastcgi_temp_path $NGINX_DIR/tmp/fastcgi;
	uwsgi_temp_path $NGINX_DIR/tmp/uwsgi;
	scgi_temp_path $NGINX_DIR/tmp/scgi;
	client_max_body_size 0;
	default_type application/octet-stream;
	server {
		$_listen
		server_name localhost;
		root $1;
		$4
	}
}
EOC
		if "$_nx" -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/logs/error.log" 2>"$NGINX_DIR/start.err"; then
			at_exit "kill \$(cat '$NGINX_DIR/nginx.pid' 2>/dev/null) 2>/dev/null"
			_i=0
			while [ $_i -lt 50 ]; do
				curl -skf -o /dev/null "$NGINX_URL/" -r 0-0 2>/dev/null && return 0
				[ -s "$NGINX_DIR/nginx.pid" ] && python3 -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1',$NGINX_PORT)))" && return 0
				sleep 0.1
				_i=$((_i + 1))
			done
		fi
		grep -q 'Address already in use' "$NGINX_DIR/start.err" "$NGINX_DIR/logs/error.log" 2>/dev/null || break
		_tries=$((_tries + 1))
	done
	echo "nginx did not start: $(cat "$NGINX_DIR/start.err" "$NGINX_DIR/logs/error.log" 2>/dev/null | tail -n 3)" >&2
	return 1
}
