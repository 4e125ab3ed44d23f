/* dk: Docker Engine API client. GPL-2.0-only. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>

#include "engine.h"
#include "lines.h"
#include "spawn.h"

/* What engine_call keeps while a transfer runs. */
struct call {
	struct engine *en;
	struct engine_req *r;
	CURL *h;
	long status;
	struct buf err;		/* body of an error answer (bounded) */
	int sink_failed;
	const char *mem;	/* memory body being sent */
	size_t mem_left;
};

int
engine_json_str(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (buf_addc(b, '"') < 0)
		return -1;
	for (; *p; p++) {
		int r;

		if (*p == '"' || *p == '\\')
			r = buf_printf(b, "\\%c", *p);
		else if (*p == '\n')
			r = buf_adds(b, "\\n");
		else if (*p == '\t')
			r = buf_adds(b, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			r = buf_printf(b, "\\u%04x", *p);
		else
			r = buf_addc(b, *p);
		if (r < 0)
			return -1;
	}
	return buf_addc(b, '"');
}

static size_t
on_write(char *p, size_t size, size_t nmemb, void *arg)
{
	struct call *c = arg;
	size_t n = size * nmemb;

	if (!c->status)
		curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &c->status);
	if (c->status >= 400) {
		if (c->err.len < 8192 && buf_add(&c->err, p, n < 8192 ? n : 8192) < 0)
			return 0;
		return n;
	}
	if (c->r->sink) {
		if (c->r->sink(c->r->sink_ctx, p, n) < 0) {
			c->sink_failed = 1;
			return 0;
		}
		return n;
	}
	if (c->r->out && buf_add(c->r->out, p, n) < 0)
		return 0;
	return n;
}

static size_t
on_read(char *p, size_t size, size_t nmemb, void *arg)
{
	struct call *c = arg;
	size_t n = size * nmemb;
	ssize_t got;

	if (c->r->source) {
		got = c->r->source(c->r->source_ctx, p, n);
		return got < 0 ? CURL_READFUNC_ABORT : (size_t)got;
	}
	if (n > c->mem_left)
		n = c->mem_left;
	memcpy(p, c->mem, n);
	c->mem += n;
	c->mem_left -= n;
	return n;
}

static int
on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct call *c = arg;

	(void)dt, (void)dn, (void)ut, (void)un;
	if (c->r->watch && c->r->watch(c->r->watch_ctx))
		return 1;
	return !c->r->nocancel && c->en->cancel && *c->en->cancel;
}

/* The engine's {"message": "..."} of an error answer, else its text. */
static void
answer_message(const struct buf *b, char *out, size_t size)
{
	struct cfg_node root;
	const char *m;
	size_t n;

	if (b->len && cfg_parse(&root, "answer", b->s, b->len, NULL) == 0) {
		if ((m = cfg_str(cfg_member(&root, "message")))) {
			snprintf(out, size, "%s", m);
			cfg_free(&root);
			return;
		}
		cfg_free(&root);
	}
	snprintf(out, size, "%s", buf_str(b));
	n = strlen(out);
	while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
}

int
engine_call(struct engine *en, struct engine_req *r, struct dk_err *e)
{
	struct call c = { .en = en, .r = r, .mem = r->body, .mem_left = r->body_len };
	struct curl_slist *hdr = NULL;
	char *url = NULL, ebuf[CURL_ERROR_SIZE] = "";
	CURLcode rc;
	int ret = -1;

	if (!(c.h = curl_easy_init()))
		return dk_errf(e, NULL, 0, "%s: cannot start libcurl", en->url);
	if (asprintf(&url, "%s%s%s%s", en->base, en->api[0] ? "/" : "", en->api, r->path) < 0) {
		url = NULL;
		dk_syserrf(e, NULL, 0, "%s", en->url);
		goto out;
	}
	curl_easy_setopt(c.h, CURLOPT_URL, url);
	if (en->sock)
		curl_easy_setopt(c.h, CURLOPT_UNIX_SOCKET_PATH, en->sock);
	if (en->cert_dir) {
		char path[4096];

		snprintf(path, sizeof path, "%s/ca.pem", en->cert_dir);
		if (access(path, R_OK) == 0)
			curl_easy_setopt(c.h, CURLOPT_CAINFO, path);
		snprintf(path, sizeof path, "%s/cert.pem", en->cert_dir);
		if (access(path, R_OK) == 0)
			curl_easy_setopt(c.h, CURLOPT_SSLCERT, path);
		snprintf(path, sizeof path, "%s/key.pem", en->cert_dir);
		if (access(path, R_OK) == 0)
			curl_easy_setopt(c.h, CURLOPT_SSLKEY, path);
		curl_easy_setopt(c.h, CURLOPT_SSL_VERIFYPEER, (long)en->tls_verify);
		curl_easy_setopt(c.h, CURLOPT_SSL_VERIFYHOST, en->tls_verify ? 2L : 0L);
	}
	curl_easy_setopt(c.h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c.h, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(c.h, CURLOPT_CONNECTTIMEOUT, en->connect_timeout > 0 ? en->connect_timeout : 10L);
	if (r->timeout > 0)
		curl_easy_setopt(c.h, CURLOPT_TIMEOUT, r->timeout);
	curl_easy_setopt(c.h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(c.h, CURLOPT_WRITEDATA, &c);
	curl_easy_setopt(c.h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c.h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c.h, CURLOPT_XFERINFODATA, &c);
	curl_easy_setopt(c.h, CURLOPT_USERAGENT, "dk/" DK_VERSION);
	if (r->type) {
		char h[256];

		snprintf(h, sizeof h, "Content-Type: %s", r->type);
		hdr = curl_slist_append(hdr, h);
	}
	if (r->body || r->source) {
		curl_easy_setopt(c.h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c.h, CURLOPT_READDATA, &c);
		if (!strcmp(r->method, "PUT")) {
			curl_easy_setopt(c.h, CURLOPT_UPLOAD, 1L);
			if (!r->source)
				curl_easy_setopt(c.h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->body_len);
		} else {
			curl_easy_setopt(c.h, CURLOPT_POST, 1L);
			if (!r->source)
				curl_easy_setopt(c.h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
		}
		if (r->source)
			hdr = curl_slist_append(hdr, "Transfer-Encoding: chunked");
		hdr = curl_slist_append(hdr, "Expect:");
	} else if (!strcmp(r->method, "POST")) {
		curl_easy_setopt(c.h, CURLOPT_POST, 1L);
		curl_easy_setopt(c.h, CURLOPT_POSTFIELDSIZE, 0L);
	} else if (!strcmp(r->method, "HEAD")) {
		curl_easy_setopt(c.h, CURLOPT_NOBODY, 1L);
	} else if (strcmp(r->method, "GET")) {
		curl_easy_setopt(c.h, CURLOPT_CUSTOMREQUEST, r->method);
	}
	if (hdr)
		curl_easy_setopt(c.h, CURLOPT_HTTPHEADER, hdr);
	rc = curl_easy_perform(c.h);
	curl_easy_getinfo(c.h, CURLINFO_RESPONSE_CODE, &c.status);
	if (rc != CURLE_OK && !(c.status >= 400 && rc == CURLE_WRITE_ERROR)) {
		if (rc == CURLE_ABORTED_BY_CALLBACK)
			dk_errf(e, NULL, 0, "%s: %s %s: interrupted", en->url, r->method, r->path);
		else if (c.sink_failed)
			; /* the sink set its own message */
		else if (en->sock && rc == CURLE_COULDNT_CONNECT) {
			long oe = 0;

			/* curl would name "docker port 80", the made-up host of a socket URL */
			curl_easy_getinfo(c.h, CURLINFO_OS_ERRNO, &oe);
			dk_errf(e, NULL, 0, "%s: cannot connect to the unix socket %s%s%s", en->url, en->sock,
				oe ? ": " : "", oe ? strerror((int)oe) : "");
		} else
			dk_errf(e, NULL, 0, "%s: %s %s: %s", en->url, r->method, r->path,
				ebuf[0] ? ebuf : curl_easy_strerror(rc));
		goto out;
	}
	ret = (int)c.status;
	if (c.status >= 400) {
		char msg[700];

		answer_message(&c.err, msg, sizeof msg);
		dk_errf(e, NULL, 0, "%s: %s %s: %ld %s", en->url, r->method, r->path, c.status, msg);
	}
out:
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c.h);
	buf_free(&c.err);
	free(url);
	return ret;
}

int
engine_json(struct engine *en, const char *method, const char *path, const char *body,
	struct cfg_node *root, struct dk_err *e)
{
	struct buf out = { 0 };
	struct engine_req r = { .method = method, .path = path, .out = &out, .timeout = 300 };
	int st;

	if (body) {
		r.body = body;
		r.body_len = strlen(body);
		r.type = "application/json";
	}
	memset(root, 0, sizeof *root);
	st = engine_call(en, &r, e);
	if (st < 0 || st >= 400) {
		buf_free(&out);
		return -1;
	}
	if (cfg_parse(root, "engine answer", buf_str(&out), out.len, e) < 0) {
		char m[sizeof e->msg];

		snprintf(m, sizeof m, "%s", e ? e->msg : "");
		dk_errf(e, NULL, 0, "%s: %s %s: bad answer: %s", en->url, method, path, m);
		buf_free(&out);
		return -1;
	}
	buf_free(&out);
	return st;
}

/* ssh://[user@]host[:port][/path] -> its parts (malloc'ed in one block). */
static int
ssh_split(const char *url, char **user, char **host, char **port, char **path)
{
	char *s = strdup(url + 6), *p;

	if (!s)
		return -1;
	*user = *port = NULL;
	*path = NULL;
	if ((p = strchr(s, '/'))) {
		*path = strdup(p);
		*p = '\0';
	}
	if ((p = strrchr(s, '@'))) {
		*p = '\0';
		*user = strdup(s);
		memmove(s, p + 1, strlen(p + 1) + 1);
	}
	if ((p = strrchr(s, ':')) && !strchr(p, ']')) {
		*port = strdup(p + 1);
		*p = '\0';
	}
	*host = s;
	return 0;
}

static int
sock_ready(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, ok;

	if (strlen(path) >= sizeof sa.sun_path)
		return 0;
	strcpy(sa.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return 0;
	ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
	close(fd);
	return ok;
}

static int
tunnel_start(struct engine *en, char *const ssh_argv[], struct dk_err *e)
{
	char *user = NULL, *host = NULL, *port = NULL, *rpath = NULL, *fwd = NULL;
	char *argv[64], errpath[4200], tmpl[4096];
	const char *tmp = getenv("TMPDIR");
	size_t n = 0, i;
	int fd, ret = -1, status;
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	long waited = 0;

	if (ssh_split(en->url, &user, &host, &port, &rpath) < 0)
		return dk_syserrf(e, NULL, 0, "%s", en->url);
	if (!*host) {
		dk_errf(e, NULL, 0, "%s: no host name", en->url);
		goto out;
	}
	snprintf(tmpl, sizeof tmpl, "%s/dk-ssh.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpl)) {
		dk_syserrf(e, NULL, 0, "%s: cannot make a directory for the tunnel", en->url);
		goto out;
	}
	if (!(en->tunnel_dir = strdup(tmpl)) || asprintf(&en->sock, "%s/docker.sock", tmpl) < 0) {
		en->sock = NULL;
		dk_syserrf(e, NULL, 0, "%s", en->url);
		goto out;
	}
	if (asprintf(&fwd, "%s:%s", en->sock, rpath ? rpath : "/var/run/docker.sock") < 0) {
		fwd = NULL;
		dk_syserrf(e, NULL, 0, "%s", en->url);
		goto out;
	}
	for (i = 0; ssh_argv && ssh_argv[i] && n < 40; i++)
		argv[n++] = ssh_argv[i];
	if (n == 0)
		argv[n++] = "ssh";
	argv[n++] = "-o";
	argv[n++] = "BatchMode=yes";
	argv[n++] = "-o";
	argv[n++] = "ExitOnForwardFailure=yes";
	argv[n++] = "-nNT";
	argv[n++] = "-L";
	argv[n++] = fwd;
	if (port) {
		argv[n++] = "-p";
		argv[n++] = port;
	}
	if (user) {
		argv[n++] = "-l";
		argv[n++] = user;
	}
	argv[n++] = "--";
	argv[n++] = host;
	argv[n] = NULL;
	snprintf(errpath, sizeof errpath, "%s/ssh.err", tmpl);
	if ((fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
		dk_syserrf(e, NULL, 0, "%s: %s", en->url, errpath);
		goto out;
	}
	en->tunnel = spawn_bg(argv, fd, e);
	close(fd);
	if (en->tunnel < 0) {
		en->tunnel = 0;
		goto out;
	}
	for (;;) {
		if (sock_ready(en->sock)) {
			ret = 0;
			break;
		}
		if (waitpid(en->tunnel, &status, WNOHANG) == en->tunnel) {
			struct buf msg = { 0 };
			size_t l;

			en->tunnel = 0;
			read_file(errpath, &msg, NULL);
			l = msg.len;
			while (l && (msg.s[l - 1] == '\n' || msg.s[l - 1] == '\r'))
				msg.s[--l] = '\0';
			dk_errf(e, NULL, 0, "%s: ssh tunnel failed (exit %d)%s%s", en->url,
				WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
				l ? ": " : "", l ? msg.s : "");
			buf_free(&msg);
			break;
		}
		if (waited >= (en->connect_timeout > 0 ? en->connect_timeout : 10) * 20 ||
		    (en->cancel && *en->cancel)) {
			dk_errf(e, NULL, 0, "%s: ssh tunnel: no forwarded socket after %lds", en->url, waited / 20);
			break;
		}
		nanosleep(&ts, NULL);
		waited++;
	}
out:
	free(user);
	free(host);
	free(port);
	free(rpath);
	free(fwd);
	return ret;
}

static int
setup(struct engine *en, const char *url, char *const ssh_argv[], struct dk_err *e)
{
	if (!strncmp(url, "unix://", 7)) {
		if (!url[7])
			return dk_errf(e, NULL, 0, "%s: no socket path", url);
		en->sock = strdup(url + 7);
		en->base = strdup("http://docker");
		return en->sock && en->base ? 0 : dk_syserrf(e, NULL, 0, "%s", url);
	}
	if (!strncmp(url, "tcp://", 6)) {
		const char *v = getenv("DOCKER_TLS_VERIFY"), *t = getenv("DOCKER_TLS");
		const char *cp = getenv("DOCKER_CERT_PATH");
		int tls = (v && *v) || (t && *t);
		char *hp = strdup(url + 6), *sl;

		if (!hp)
			return dk_syserrf(e, NULL, 0, "%s", url);
		if ((sl = strchr(hp, '/')))
			*sl = '\0';
		if (!*hp) {
			free(hp);
			return dk_errf(e, NULL, 0, "%s: no host name", url);
		}
		if (asprintf(&en->base, "%s://%s", tls ? "https" : "http", hp) < 0)
			en->base = NULL;
		free(hp);
		if (!en->base)
			return dk_syserrf(e, NULL, 0, "%s", url);
		if (tls) {
			en->tls_verify = v && *v;
			if (cp && *cp)
				en->cert_dir = strdup(cp);
			else
				en->cert_dir = config_path("~/.docker");
			if (!en->cert_dir)
				return dk_syserrf(e, NULL, 0, "%s", url);
		}
		return 0;
	}
	if (!strncmp(url, "ssh://", 6)) {
		if (!(en->base = strdup("http://docker")))
			return dk_syserrf(e, NULL, 0, "%s", url);
		return tunnel_start(en, ssh_argv, e);
	}
	return dk_errf(e, NULL, 0, "%s: not a unix://, tcp:// or ssh:// engine address", url);
}

int
engine_open(struct engine *en, const char *url, char *const ssh_argv[], struct dk_err *e)
{
	volatile sig_atomic_t *cancel = en->cancel;
	long ct = en->connect_timeout;
	struct cfg_node v;
	struct buf out = { 0 };
	struct engine_req r = { .method = "GET", .path = "/_ping", .out = &out, .timeout = 30 };
	const char *s;
	int st;

	memset(en, 0, sizeof *en);
	en->cancel = cancel;
	en->connect_timeout = ct;
	if (!(en->url = strdup(url)))
		return dk_syserrf(e, NULL, 0, "%s", url);
	if (setup(en, url, ssh_argv, e) < 0)
		goto fail;
	st = engine_call(en, &r, e);
	buf_free(&out);
	if (st < 0)
		goto fail;
	if (st != 200) {
		if (st < 400)
			dk_errf(e, NULL, 0, "%s: /_ping: status %d", url, st);
		goto fail;
	}
	if (engine_json(en, "GET", "/version", NULL, &v, e) < 0)
		goto fail;
	snprintf(en->arch, sizeof en->arch, "%s", (s = cfg_str(cfg_member(&v, "Arch"))) ? s : "");
	snprintf(en->version, sizeof en->version, "%s", (s = cfg_str(cfg_member(&v, "Version"))) ? s : "");
	if ((s = cfg_str(cfg_member(&v, "ApiVersion"))))
		snprintf(en->api, sizeof en->api, "v%s", s);
	cfg_free(&v);
	return 0;
fail:
	engine_close(en);
	return -1;
}

void
engine_close(struct engine *en)
{
	if (en->tunnel > 0) {
		kill(en->tunnel, SIGTERM);
		while (waitpid(en->tunnel, NULL, 0) < 0 && errno == EINTR)
			;
	}
	en->tunnel = 0;
	if (en->tunnel_dir) {
		char p[4096];

		if (en->sock)
			unlink(en->sock);
		snprintf(p, sizeof p, "%s/ssh.err", en->tunnel_dir);
		unlink(p);
		rmdir(en->tunnel_dir);
	}
	free(en->tunnel_dir);
	free(en->url);
	free(en->sock);
	free(en->base);
	free(en->cert_dir);
	en->tunnel_dir = en->url = en->sock = en->base = en->cert_dir = NULL;
}

/* A URL-escaped copy of s (curl_free it). */
static char *
esc(const char *s)
{
	return curl_easy_escape(NULL, s, 0);
}

/* Makes call r on the path fmt filled with a (as it is) and b (URL-
 * escaped). Returns what engine_call returns. */
static int
call_at(struct engine *en, struct engine_req *r, const char *fmt, const char *a, const char *b, struct dk_err *e)
{
	char *x = esc(b), *path = NULL;
	int st;

	if (!x || asprintf(&path, fmt, a, x) < 0) {
		curl_free(x);
		return dk_syserrf(e, NULL, 0, "%s", en->url);
	}
	r->path = path;
	st = engine_call(en, r, e);
	r->path = NULL;
	curl_free(x);
	free(path);
	return st;
}

int
engine_image_id(struct engine *en, const char *name, char **id, struct dk_err *e)
{
	struct buf out = { 0 };
	struct engine_req r = { .method = "GET", .out = &out, .timeout = 60 };
	struct cfg_node root;
	const char *s;
	int st, ret = -1;

	*id = NULL;
	st = call_at(en, &r, "/images/%s%s/json", "", name, e);
	if (st == 404) {
		ret = 0;
	} else if (st >= 200 && st < 300) {
		if (cfg_parse(&root, "engine answer", buf_str(&out), out.len, e) == 0) {
			if ((s = cfg_str(cfg_member(&root, "Id"))) && (*id = strdup(s)))
				ret = 0;
			else
				dk_errf(e, NULL, 0, "%s: image %s: no Id in the answer", en->url, name);
			cfg_free(&root);
		}
	}
	buf_free(&out);
	return ret;
}

/* A sink for the JSON-lines answers of /build and /images/create:
 * "stream" and "status" text goes to the log, "error" is kept. */
struct progress {
	struct buf line;
	FILE *log;
	char error[700];
};

static void
progress_line(struct progress *pr)
{
	struct cfg_node root;
	const char *s;

	if (!pr->line.len || cfg_parse(&root, "engine answer", pr->line.s, pr->line.len, NULL) < 0)
		return;
	if ((s = cfg_str(cfg_member(&root, "error"))) && !pr->error[0])
		snprintf(pr->error, sizeof pr->error, "%s", s);
	/* the build's own output, into the log file the caller gave */
	if (pr->log && (s = cfg_str(cfg_member(&root, "stream"))))
		fputs(s, pr->log);
	if (pr->log && (s = cfg_str(cfg_member(&root, "status"))))
		fputs(s, pr->log), fputc('\n', pr->log);
	if (pr->log && (s = cfg_str(cfg_member(&root, "error"))))
		fputs("error: ", pr->log), fputs(s, pr->log), fputc('\n', pr->log);
	cfg_free(&root);
}

static int
progress_sink(void *ctx, const char *p, size_t n)
{
	struct progress *pr = ctx;
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n') {
			progress_line(pr);
			buf_reset(&pr->line);
		} else if (pr->line.len < (1 << 20) && buf_addc(&pr->line, p[i]) < 0) {
			return -1;
		}
	}
	return 0;
}

static ssize_t
fd_source(void *ctx, char *p, size_t n)
{
	int fd = *(int *)ctx;
	ssize_t r;

	do
		r = read(fd, p, n);
	while (r < 0 && errno == EINTR);
	return r;
}

/* A POST of a tar body whose answer is JSON lines. */
static int
post_progress(struct engine *en, const char *path, engine_source src, void *sctx, const char *what,
	FILE *log, struct dk_err *e)
{
	struct progress pr = { .log = log };
	struct engine_req r = {
		.method = "POST", .path = path, .type = "application/x-tar",
		.source = src, .source_ctx = sctx, .sink = progress_sink, .sink_ctx = &pr,
	};
	int st = engine_call(en, &r, e);

	progress_line(&pr);
	buf_free(&pr.line);
	if (log)
		fflush(log);
	if (st < 0 || st >= 400)
		return -1;
	if (pr.error[0])
		return dk_errf(e, NULL, 0, "%s: %s: %s", en->url, what, pr.error);
	return 0;
}

int
engine_import(struct engine *en, const char *repo, const char *tag, const char *label, int fd, struct dk_err *e)
{
	char *r = esc(repo), *t = esc(tag), *c = NULL, *path = NULL, *lc = NULL;
	int ret;

	if (label && asprintf(&lc, "LABEL %s=1", label) < 0)
		lc = NULL;
	if (lc)
		c = esc(lc);
	if (!r || !t || (label && !c) ||
	    asprintf(&path, "/images/create?fromSrc=-&repo=%s&tag=%s%s%s", r, t, c ? "&changes=" : "", c ? c : "") < 0) {
		path = NULL;
		ret = dk_syserrf(e, NULL, 0, "%s", en->url);
	} else {
		ret = post_progress(en, path, fd_source, &fd, "import", NULL, e);
	}
	curl_free(r);
	curl_free(t);
	curl_free(c);
	free(lc);
	free(path);
	return ret;
}

int
engine_build(struct engine *en, int fd, const char *tag, const char *dockerfile,
	const char *buildargs, const char *labels, FILE *log, struct dk_err *e)
{
	char *t = esc(tag), *d = esc(dockerfile), *b = esc(buildargs ? buildargs : "{}");
	char *l = esc(labels ? labels : "{}"), *path = NULL, what[300];
	int ret;

	snprintf(what, sizeof what, "build %s", tag);
	if (!t || !d || !b || !l ||
	    asprintf(&path, "/build?t=%s&dockerfile=%s&buildargs=%s&labels=%s&rm=1&forcerm=1&networkmode=host",
		    t, d, b, l) < 0) {
		path = NULL;
		ret = dk_syserrf(e, NULL, 0, "%s", en->url);
	} else {
		ret = post_progress(en, path, fd_source, &fd, what, log, e);
	}
	curl_free(t);
	curl_free(d);
	curl_free(b);
	curl_free(l);
	free(path);
	return ret;
}

int
engine_create(struct engine *en, const char *name, const char *config, char **id, struct dk_err *e)
{
	char *n = name ? esc(name) : NULL, *path = NULL;
	struct cfg_node root;
	const char *s;
	int ret = -1;

	*id = NULL;
	if ((name && !n) || asprintf(&path, "/containers/create%s%s", n ? "?name=" : "", n ? n : "") < 0) {
		curl_free(n);
		return dk_syserrf(e, NULL, 0, "%s", en->url);
	}
	if (engine_json(en, "POST", path, config, &root, e) >= 0) {
		if ((s = cfg_str(cfg_member(&root, "Id"))) && (*id = strdup(s)))
			ret = 0;
		else
			dk_errf(e, NULL, 0, "%s: create: no Id in the answer", en->url);
		cfg_free(&root);
	}
	curl_free(n);
	free(path);
	return ret;
}

/* A POST or DELETE on /containers/ID/what with no interesting answer. */
static int
simple(struct engine *en, const char *method, const char *id, const char *what, int nocancel,
	int ok404, struct dk_err *e)
{
	char path[512];
	struct buf out = { 0 };
	struct engine_req r = { .method = method, .path = path, .out = &out, .timeout = 120, .nocancel = nocancel };
	int st;

	snprintf(path, sizeof path, "/containers/%s%s", id, what);
	st = engine_call(en, &r, e);
	buf_free(&out);
	if (st < 0)
		return -1;
	if (st >= 400 && !(ok404 && (st == 404 || st == 409)))
		return -1;
	return 0;
}

int
engine_start(struct engine *en, const char *id, struct dk_err *e)
{
	return simple(en, "POST", id, "/start", 0, 0, e);
}

int
engine_kill(struct engine *en, const char *id, struct dk_err *e)
{
	/* 409: not running, which is what we want */
	return simple(en, "POST", id, "/kill", 1, 1, e);
}

int
engine_remove(struct engine *en, const char *id, struct dk_err *e)
{
	return simple(en, "DELETE", id, "?force=1&v=1", 1, 1, e);
}

int
engine_remove_image(struct engine *en, const char *name, struct dk_err *e)
{
	struct buf out = { 0 };
	struct engine_req r = { .method = "DELETE", .out = &out, .timeout = 120 };
	int st = call_at(en, &r, "/images/%s%s?force=1", "", name, e);

	buf_free(&out);
	if (st == 409)
		return 1;
	return st < 0 || st >= 400 ? -1 : 0;
}

int
engine_wait(struct engine *en, const char *id, int *code, struct dk_err *e)
{
	char path[512];
	struct cfg_node root;
	const char *s;

	snprintf(path, sizeof path, "/containers/%s/wait", id);
	if (engine_json(en, "POST", path, NULL, &root, e) < 0)
		return -1;
	if (!(s = cfg_str(cfg_member(&root, "StatusCode")))) {
		cfg_free(&root);
		return dk_errf(e, NULL, 0, "%s: wait: no StatusCode in the answer", en->url);
	}
	*code = atoi(s);
	cfg_free(&root);
	return 0;
}

/* The logs' stream framing: 1 byte stream, 3 zero, 4 bytes big-endian
 * length, then the payload. */
struct demux {
	unsigned char hdr[8];
	size_t hlen;
	size_t left;
	engine_sink sink;
	void *ctx;
};

static int
demux_sink(void *ctx, const char *p, size_t n)
{
	struct demux *d = ctx;

	while (n) {
		if (d->left == 0) {
			size_t k = 8 - d->hlen < n ? 8 - d->hlen : n;

			memcpy(d->hdr + d->hlen, p, k);
			d->hlen += k;
			p += k;
			n -= k;
			if (d->hlen == 8) {
				d->left = (size_t)d->hdr[4] << 24 | (size_t)d->hdr[5] << 16 |
					(size_t)d->hdr[6] << 8 | d->hdr[7];
				d->hlen = 0;
			}
			continue;
		}
		{
			size_t k = d->left < n ? d->left : n;

			if (d->sink(d->ctx, p, k) < 0)
				return -1;
			d->left -= k;
			p += k;
			n -= k;
		}
	}
	return 0;
}

int
engine_logs_watch(struct engine *en, const char *id, engine_sink sink, void *ctx,
	int (*watch)(void *), void *watch_ctx, struct dk_err *e)
{
	char path[512];
	struct demux d = { .sink = sink, .ctx = ctx };
	struct engine_req r = { .method = "GET", .path = path, .sink = demux_sink, .sink_ctx = &d,
		.watch = watch, .watch_ctx = watch_ctx };
	int st;

	snprintf(path, sizeof path, "/containers/%s/logs?follow=1&stdout=1&stderr=1", id);
	st = engine_call(en, &r, e);
	return st < 0 || st >= 400 ? -1 : 0;
}

int
engine_logs(struct engine *en, const char *id, engine_sink sink, void *ctx, struct dk_err *e)
{
	return engine_logs_watch(en, id, sink, ctx, NULL, NULL, e);
}

/* Appends ["a","b",...] of v (NULL-terminated, may be NULL). */
static int
json_strv(char *const *v, struct buf *out)
{
	size_t i;
	int r = buf_addc(out, '[');

	for (i = 0; v && v[i] && r == 0; i++)
		r = (i ? buf_addc(out, ',') : 0) < 0 ? -1 : engine_json_str(out, v[i]);
	return r < 0 ? -1 : buf_addc(out, ']');
}

int
engine_json_object(char *const *kv, struct buf *out)
{
	size_t i;
	int r = buf_addc(out, '{');

	for (i = 0; kv && kv[i] && r == 0; i++) {
		const char *eq = strchr(kv[i], '=');
		char *k = strndup(kv[i], eq ? (size_t)(eq - kv[i]) : strlen(kv[i]));

		if (!k)
			return -1;
		r = (i ? buf_addc(out, ',') : 0) < 0 || engine_json_str(out, k) < 0 || buf_addc(out, ':') < 0 ||
			engine_json_str(out, eq ? eq + 1 : "") < 0 ? -1 : 0;
		free(k);
	}
	return r < 0 ? -1 : buf_addc(out, '}');
}

int
engine_container_json(const struct engine_spec *s, struct buf *out)
{
	size_t i;
	int r;

	r = buf_adds(out, "{\"Image\":") | engine_json_str(out, s->image) |
		buf_adds(out, ",\"Cmd\":") | json_strv(s->cmd, out) |
		buf_adds(out, ",\"Tty\":false,\"Env\":") | json_strv(s->env, out) |
		buf_adds(out, ",\"Labels\":") | engine_json_object(s->labels, out) |
		buf_adds(out, ",\"HostConfig\":{") |
		buf_adds(out, s->host_network ? "\"NetworkMode\":\"host\"," : "") |
		buf_adds(out, "\"Binds\":") | json_strv(s->binds, out) |
		buf_adds(out, ",\"Devices\":[");
	for (i = 0; s->devices && s->devices[i]; i++)
		r |= buf_adds(out, i ? ",{\"PathOnHost\":" : "{\"PathOnHost\":") | engine_json_str(out, s->devices[i]) |
			buf_adds(out, ",\"PathInContainer\":") | engine_json_str(out, s->devices[i]) |
			buf_adds(out, ",\"CgroupPermissions\":\"rwm\"}");
	r |= buf_adds(out, "],\"Tmpfs\":{");
	for (i = 0; s->tmpfs && s->tmpfs[i]; i++)
		r |= buf_adds(out, i ? "," : "") | engine_json_str(out, s->tmpfs[i]) | buf_adds(out, ":\"\"");
	r |= buf_adds(out, "}}}");
	return r ? -1 : 0;
}

/* "2026-12-01T09:30:00.123456789Z" as seconds since the epoch (UTC). */
static long long
rfc3339(const char *s)
{
	struct tm tm = { 0 };

	if (!s || sscanf(s, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
			&tm.tm_sec) != 6)
		return 0;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (long long)timegm(&tm);
}

void
engine_image_free(struct engine_image *im)
{
	free(im->id);
	cfg_free(&im->labels);
	memset(im, 0, sizeof *im);
}

int
engine_image_inspect(struct engine *en, const char *name, struct engine_image *im, struct dk_err *e)
{
	struct buf out = { 0 };
	struct engine_req r = { .method = "GET", .out = &out, .timeout = 60 };
	struct cfg_node root;
	const struct cfg_node *l;
	const char *s;
	int st, ret = -1;

	memset(im, 0, sizeof *im);
	im->labels.kind = CFG_MAP;
	st = call_at(en, &r, "/images/%s%s/json", "", name, e);
	if (st == 404) {
		ret = 0;
	} else if (st >= 200 && st < 300 && cfg_parse(&root, "engine answer", buf_str(&out), out.len, e) == 0) {
		if (!(s = cfg_str(cfg_member(&root, "Id"))) || !(im->id = strdup(s))) {
			dk_errf(e, NULL, 0, "%s: image %s: no Id in the answer", en->url, name);
		} else {
			im->created = rfc3339(cfg_str(cfg_member(&root, "Created")));
			if ((l = cfg_get(&root, "Config", "Labels", (char *)NULL)) && l->kind == CFG_MAP) {
				struct cfg_node *src = (struct cfg_node *)l;

				im->labels = *src;
				free(im->labels.key);
				im->labels.key = NULL;
				memset(src, 0, sizeof *src);
			}
			ret = 0;
		}
		cfg_free(&root);
	}
	buf_free(&out);
	if (ret < 0)
		engine_image_free(im);
	return ret;
}

int
engine_put_archive(struct engine *en, const char *id, const char *path, const void *data, size_t n, struct dk_err *e)
{
	struct buf out = { 0 };
	struct engine_req r = { .method = "PUT", .type = "application/x-tar", .body = data, .body_len = n,
		.out = &out, .timeout = 300 };
	int st = call_at(en, &r, "/containers/%s/archive?path=%s", id, path, e);

	buf_free(&out);
	return st < 0 || st >= 400 ? -1 : 0;
}

int
engine_get_archive(struct engine *en, const char *id, const char *path, engine_sink sink, void *ctx, struct dk_err *e)
{
	struct engine_req r = { .method = "GET", .sink = sink, .sink_ctx = ctx };
	int st = call_at(en, &r, "/containers/%s/archive?path=%s", id, path, e);

	return st < 0 || st >= 400 ? -1 : 0;
}

/* "?filters={"label":["L"]}" URL-escaped, plus extra JSON members. */
static char *
label_filter(const char *label, const char *extra)
{
	struct buf b = { 0 };
	char *s, *r = NULL;

	buf_adds(&b, "{\"label\":[");
	engine_json_str(&b, label);
	buf_adds(&b, "]");
	if (extra)
		buf_adds(&b, extra);
	if (buf_adds(&b, "}") == 0 && (s = esc(b.s))) {
		r = strdup(s);
		curl_free(s);
	}
	buf_free(&b);
	return r;
}

static int
list(struct engine *en, const char *what, const char *label, struct cfg_node *root, struct dk_err *e)
{
	char *f = label_filter(label, NULL), *path = NULL;
	int ret;

	/* all=1 for containers means stopped ones too; for images it would
	 * add the builder's intermediate layers, which carry the labels of
	 * their base image. */
	if (!f || asprintf(&path, "/%s/json?%sfilters=%s", what, strcmp(what, "containers") ? "" : "all=1&", f) < 0) {
		free(f);
		return dk_syserrf(e, NULL, 0, "%s", en->url);
	}
	ret = engine_json(en, "GET", path, NULL, root, e) < 0 ? -1 : 0;
	free(f);
	free(path);
	return ret;
}

int
engine_containers(struct engine *en, const char *label, struct cfg_node *root, struct dk_err *e)
{
	return list(en, "containers", label, root, e);
}

int
engine_images(struct engine *en, const char *label, struct cfg_node *root, struct dk_err *e)
{
	return list(en, "images", label, root, e);
}

static int
prune_one(struct engine *en, const char *path, unsigned long long *freed, struct dk_err *e)
{
	struct cfg_node root;
	const char *s;

	if (engine_json(en, "POST", path, NULL, &root, e) < 0)
		return -1;
	if ((s = cfg_str(cfg_member(&root, "SpaceReclaimed"))))
		*freed += strtoull(s, NULL, 10);
	cfg_free(&root);
	return 0;
}

int
engine_prune(struct engine *en, const char *label, int all, unsigned long long *freed, struct dk_err *e)
{
	char *f = label_filter(label, NULL), *fi = label_filter(label, ",\"dangling\":[\"false\"]");
	char *p1 = NULL, *p2 = NULL;
	int ret = -1;

	if (!f || !fi || asprintf(&p1, "/containers/prune?filters=%s", f) < 0 ||
	    asprintf(&p2, "/images/prune?filters=%s", fi) < 0) {
		p1 = p2 = NULL;
		dk_syserrf(e, NULL, 0, "%s", en->url);
		goto out;
	}
	if (prune_one(en, p1, freed, e) < 0)
		goto out;
	if (all && (prune_one(en, p2, freed, e) < 0 || prune_one(en, "/build/prune?all=1", freed, e) < 0))
		goto out;
	ret = 0;
out:
	free(f);
	free(fi);
	free(p1);
	free(p2);
	return ret;
}
