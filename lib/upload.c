/* dk: publishing files: file:// by link or copy, sftp:// and https://
 * through libcurl multi, kup:// over ssh as kup-server speaks it.
 * GPL-2.0-only. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "atomic.h"
#include "buf.h"
#include "spawn.h"
#include "upload.h"

enum scheme { S_FILE, S_SFTP, S_HTTP, S_KUP };
enum step { X_STAT, X_STAT_PART, X_UPLOAD, X_VERIFY, X_DONE };

/* One run of upload_run. */
struct run {
	const struct upload_opts *o;
	char *identity, *known_hosts;	/* sftp: the key and host keys in use */
	char *user;			/* sftp: the user when a URL names none */
	struct upload_progress p;
	time_t last;
	pthread_mutex_t mu;		/* p and last: kup sessions run in threads */
};

/* One file to one place: a job's file, or its signature after it. */
struct xfer {
	struct upload_job *job;
	int is_sig;
	const char *src;
	uint64_t size;
	char *url;		/* the file's URL */
	char *name;		/* its base name */
	char *rdir;		/* sftp: the server's directory path */
	enum scheme scheme;
	enum step step;
	int force;		/* may replace what is there */
	int exists;		/* the final name is there (replaced under force) */
	int there;		/* found there already: nothing sent */
	CURL *h;
	int fd;
	int tries;
	int kh;			/* host key verdict, -1 if not asked */
	uint64_t resume;
	curl_off_t sent;
	struct curl_slist *quote;
	struct xfer *then;	/* the signature, sent once the file is there */
	char errbuf[CURL_ERROR_SIZE];
	struct run *r;
};

static int
xfer_fail(struct xfer *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
xfer_fail(struct xfer *x, const char *fmt, ...)
{
	va_list ap;

	if (x->job->state != UPLOAD_FAILED) {
		va_start(ap, fmt);
		vsnprintf(x->job->err, sizeof x->job->err, fmt, ap);
		va_end(ap);
		x->job->state = UPLOAD_FAILED;
	}
	return -1;
}

static void
note(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
note(struct run *r, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!r->o->note)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	r->o->note(r->o->arg, msg);
}

static void
progress(struct run *r, int final)
{
	time_t now = time(NULL);

	pthread_mutex_lock(&r->mu);
	if (r->o->progress && (final || now != r->last)) {
		r->last = now;
		r->o->progress(r->o->arg, &r->p);
	}
	pthread_mutex_unlock(&r->mu);
}

/* bytes more (or fewer, after a retry) at their place, files more done. */
static void
account(struct run *r, int64_t bytes, size_t files)
{
	pthread_mutex_lock(&r->mu);
	r->p.bytes += (uint64_t)bytes;
	r->p.done += files;
	pthread_mutex_unlock(&r->mu);
}

static enum scheme
scheme_of(const char *url)
{
	if (!strncmp(url, "sftp://", 7))
		return S_SFTP;
	if (!strncmp(url, "https://", 8) || !strncmp(url, "http://", 7))
		return S_HTTP;
	if (!strncmp(url, "kup://", 6))
		return S_KUP;
	return S_FILE;
}

int
upload_scheme_ok(const char *url)
{
	return !strncmp(url, "file:///", 8) || !strncmp(url, "sftp://", 7) || !strncmp(url, "https://", 8) ||
	       !strncmp(url, "http://", 7) || !strncmp(url, "kup://", 6);
}

/* The xfer's job is finished with one more file at its place. */
static void
finished(struct xfer *x, int there)
{
	struct run *r = x->r;

	x->step = X_DONE;
	if (there)
		x->there = 1;
	if (!x->is_sig && x->job->state == UPLOAD_PENDING)
		x->job->state = there ? UPLOAD_THERE : UPLOAD_DONE;
	account(r, there ? (int64_t)x->size : 0, 1);
	if (x->fd >= 0) {
		close(x->fd);
		x->fd = -1;
	}
}

/* A signature follows its file with the file's right to replace: a new
 * file needs its new signature; beside a file already there, a
 * signature already there stays (a fresh one differs only in its time). */
static struct xfer *
follow(struct xfer *x)
{
	struct xfer *s = x->then;

	if (!s || x->job->state == UPLOAD_FAILED)
		return NULL;
	s->force = !x->there;
	s->step = X_STAT;
	return s;
}

/* The message for a name there with other content. */
static int
refuse(struct xfer *x, uint64_t have)
{
	if (have != x->size)
		return xfer_fail(x, "%s: already there with %" PRIu64 " bytes, not %" PRIu64 ": not replaced (-f replaces it)",
			x->url, have, x->size);
	return xfer_fail(x, "%s: already there with other content: not replaced (-f replaces it)", x->url);
}

/* file:// */

static int
mkdirs(const char *dir, struct dk_err *e)
{
	char *d = strdup(dir), *s;

	if (!d)
		return dk_syserrf(e, dir, 0, "cannot make directory");
	for (s = d + 1;; s++) {
		if (*s == '/' || !*s) {
			char c = *s;

			*s = '\0';
			if (mkdir(d, 0755) < 0 && errno != EEXIST) {
				dk_syserrf(e, d, 0, "cannot make directory");
				free(d);
				return -1;
			}
			if (!(*s = c))
				break;
		}
	}
	free(d);
	return 0;
}

/* 1 when the files a and b hold the same bytes, 0 when not, -1 on error. */
static int
same_bytes(const char *a, const char *b, struct dk_err *e)
{
	char ba[1 << 16], bb[1 << 16];
	int fa = open(a, O_RDONLY | O_CLOEXEC), fb = open(b, O_RDONLY | O_CLOEXEC), rc = -1;

	if (fa < 0 || fb < 0) {
		dk_syserrf(e, fa < 0 ? a : b, 0, "cannot open");
		goto out;
	}
	for (;;) {
		ssize_t na = read(fa, ba, sizeof ba), nb, got = 0;

		if (na < 0) {
			dk_syserrf(e, a, 0, "read error");
			goto out;
		}
		while (got < na && (nb = read(fb, bb + got, (size_t)(na - got))) > 0)
			got += nb;
		if (got != na || memcmp(ba, bb, (size_t)na) != 0) {
			rc = 0;
			goto out;
		}
		if (na == 0) {
			rc = read(fb, bb, 1) == 0;
			goto out;
		}
	}
out:
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
	return rc;
}

static int
copy_into(struct xfer *x, const char *dst, struct dk_err *e)
{
	struct atomic_file af;
	char b[1 << 16];
	ssize_t n;
	int fd = open(x->src, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return dk_syserrf(e, x->src, 0, "cannot open");
	if (atomic_open(&af, dst, 0644, 0, e) < 0) {
		close(fd);
		return -1;
	}
	while ((n = read(fd, b, sizeof b)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			dk_syserrf(e, x->src, 0, "read error");
			goto fail;
		}
		if (fwrite(b, 1, (size_t)n, af.fp) != (size_t)n) {
			dk_syserrf(e, dst, 0, "write error");
			goto fail;
		}
		account(x->r, n, 0);
	}
	close(fd);
	return atomic_commit(&af, e);
fail:
	close(fd);
	atomic_abort(&af);
	return -1;
}

/* Places the file: a hard link when the file system allows (link(2)
 * never replaces, so a name that appeared meanwhile is not lost), else a
 * copy under a temporary name, synced and renamed. Returns 0 (placed or
 * there) or -1 with the job failed. */
static int
file_put(struct xfer *x)
{
	const char *final = !strncmp(x->url, "file://", 7) ? x->url + 7 : x->url;
	char *dir = strdup(final), *part = NULL, *slash;
	struct stat st, sst;
	struct dk_err e;
	int rc = -1, same;

	if (!dir || asprintf(&part, "%s.part", final) < 0) {
		part = NULL;
		xfer_fail(x, "%s: out of memory", x->url);
		goto out;
	}
	if ((slash = strrchr(dir, '/')) && slash != dir) {
		*slash = '\0';
		if (mkdirs(dir, &e) < 0) {
			xfer_fail(x, "%s", e.msg);
			goto out;
		}
	}
	if (lstat(final, &st) == 0) {
		if (!S_ISREG(st.st_mode)) {
			xfer_fail(x, "%s: already there and not a regular file: not replaced", x->url);
			goto out;
		}
		if (stat(x->src, &sst) == 0 && st.st_ino == sst.st_ino && st.st_dev == sst.st_dev) {
			finished(x, 1);	/* the very same file */
			rc = 0;
			goto out;
		}
		same = x->is_sig && !x->force ? 1 : (uint64_t)st.st_size == x->size ? same_bytes(x->src, final, &e) : 0;
		if (same < 0) {
			xfer_fail(x, "%s", e.msg);
			goto out;
		}
		if (same && !(x->force && x->r->o->force)) {
			finished(x, 1);
			rc = 0;
			goto out;
		}
		if (!x->force) {
			refuse(x, (uint64_t)st.st_size);
			goto out;
		}
		x->exists = 1;
	}
	if (!x->exists && link(x->src, final) == 0) {
		account(x->r, (int64_t)x->size, 0);
	} else if (x->exists && (unlink(part), link(x->src, part) == 0)) {
		if (rename(part, final) < 0) {
			xfer_fail(x, "%s: cannot rename %s: %s", final, part, strerror(errno));
			unlink(part);
			goto out;
		}
		account(x->r, (int64_t)x->size, 0);
	} else if (errno == EEXIST && !x->exists) {
		refuse(x, x->size);	/* it appeared since the check */
		goto out;
	} else if (copy_into(x, final, &e) < 0) {
		xfer_fail(x, "%s", e.msg);
		goto out;
	}
	if (stat(final, &st) < 0 || (uint64_t)st.st_size != x->size) {
		xfer_fail(x, "%s: has %jd bytes after copying, want %" PRIu64, final, (intmax_t)st.st_size, x->size);
		goto out;
	}
	finished(x, 0);
	rc = 0;
out:
	free(dir);
	free(part);
	return rc;
}

/* sftp:// and https:// through libcurl multi. */

static size_t
read_cb(char *b, size_t size, size_t nmemb, void *ctx)
{
	struct xfer *x = ctx;
	ssize_t n;

	do
		n = read(x->fd, b, size * nmemb);
	while (n < 0 && errno == EINTR);
	return n < 0 ? CURL_READFUNC_ABORT : (size_t)n;
}

static int
seek_cb(void *ctx, curl_off_t off, int origin)
{
	struct xfer *x = ctx;

	return lseek(x->fd, (off_t)off, origin) < 0 ? CURL_SEEKFUNC_FAIL : CURL_SEEKFUNC_OK;
}

static int
xferinfo_cb(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct xfer *x = ctx;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	if (x->step == X_UPLOAD && ulnow > x->sent) {
		account(x->r, ulnow - x->sent, 0);
		x->sent = ulnow;
		progress(x->r, 0);
	}
	return 0;
}

static size_t
discard_cb(char *b, size_t size, size_t nmemb, void *ctx)
{
	(void)b;
	(void)ctx;
	return size * nmemb;
}

static int
key_cb(CURL *h, const struct curl_khkey *known, const struct curl_khkey *found, enum curl_khmatch match, void *ctx)
{
	struct xfer *x = ctx;

	(void)h;
	(void)known;
	(void)found;
	x->kh = (int)match;
	/* only a key already in known_hosts is good: never add, never replace */
	return match == CURLKHMATCH_OK ? CURLKHSTAT_FINE : CURLKHSTAT_REJECT;
}

/* "/dir/x" of "sftp://host:port/dir/x" as the server's path: "/~/x"
 * means relative to the login directory. malloc'ed. */
static char *
sftp_path(const char *url)
{
	const char *p = strchr(url + 7, '/');
	char *raw, *dec;

	if (!p)
		return strdup("/");
	if (!strncmp(p, "/~/", 3))
		p += 3;
	if (!(raw = curl_easy_unescape(NULL, p, 0, NULL)))
		return NULL;
	dec = strdup(raw);
	curl_free(raw);
	return dec;
}

/* Whether the URL's authority names a user. */
static int
has_user(const char *url)
{
	const char *s = strstr(url, "://") + 3, *slash = strchr(s, '/'), *at = strchr(s, '@');

	return at && (!slash || at < slash);
}

/* A quote command argument in double quotes (curl's quote syntax). */
static void
quoted(struct buf *b, const char *s)
{
	buf_addc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_addc(b, '\\');
		buf_addc(b, *s);
	}
	buf_addc(b, '"');
}

static void
setup_handle(struct xfer *x, const char *url)
{
	const struct upload_opts *o = x->r->o;
	CURL *h = x->h;

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PRIVATE, x);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	/* a stalled server (libssh2 does not always see a dropped sftp
	 * session): nothing moved for stall_secs */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, o->stall_secs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard_cb);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
	x->errbuf[0] = '\0';
	x->kh = -1;
	if (x->scheme == S_SFTP) {
		curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "sftp");
		/* libssh2 sends one SFTP write per buffer: 64 KiB (the
		 * default) keeps a loaded link half idle */
		curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
		curl_easy_setopt(h, CURLOPT_SSH_AUTH_TYPES, (long)(CURLSSH_AUTH_PUBLICKEY | CURLSSH_AUTH_AGENT));
		if (x->r->identity)
			curl_easy_setopt(h, CURLOPT_SSH_PRIVATE_KEYFILE, x->r->identity);
		curl_easy_setopt(h, CURLOPT_SSH_KNOWNHOSTS, x->r->known_hosts);
		curl_easy_setopt(h, CURLOPT_SSH_KEYFUNCTION, key_cb);
		curl_easy_setopt(h, CURLOPT_SSH_KEYDATA, x);
		if (!has_user(x->url) && x->r->user)
			curl_easy_setopt(h, CURLOPT_USERNAME, x->r->user);
	} else {
		curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
		if (o->cafile)
			curl_easy_setopt(h, CURLOPT_CAINFO, o->cafile);
		if (o->insecure) {
			curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
			curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
		}
	}
}

/* sftp: upload NAME.part, then rename it to NAME in the same session. */
static int
sftp_upload(struct xfer *x)
{
	struct buf cmd = { 0 };
	char *part = NULL, *from = NULL, *to = NULL;
	int rc = -1;

	if (asprintf(&part, "%s.part", x->url) < 0 || asprintf(&from, "%s/%s.part", x->rdir, x->name) < 0 ||
	    asprintf(&to, "%s/%s", x->rdir, x->name) < 0)
		goto out;
	setup_handle(x, part);
	curl_slist_free_all(x->quote);
	x->quote = NULL;
	/* SFTP v3 rename does not replace: a forced upload removes the old
	 * file first, and an unforced one cannot replace a file that
	 * appeared since the check */
	if (x->exists) {
		buf_adds(&cmd, "rm ");
		quoted(&cmd, to);
		x->quote = curl_slist_append(x->quote, cmd.s);
		buf_reset(&cmd);
	}
	buf_adds(&cmd, "rename ");
	quoted(&cmd, from);
	buf_addc(&cmd, ' ');
	quoted(&cmd, to);
	x->quote = curl_slist_append(x->quote, cmd.s);
	curl_easy_setopt(x->h, CURLOPT_POSTQUOTE, x->quote);
	curl_easy_setopt(x->h, CURLOPT_FTP_CREATE_MISSING_DIRS, (long)CURLFTP_CREATE_DIR);
	curl_easy_setopt(x->h, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)x->resume);
	curl_easy_setopt(x->h, CURLOPT_NEW_FILE_PERMS, 0644L);
	rc = 0;
out:
	buf_free(&cmd);
	free(part);
	free(from);
	free(to);
	return rc;
}

/* Sets up the xfer's current step on its handle. Returns 0 or -1 with
 * the job failed. */
static int
start_step(struct xfer *x)
{
	char *part = NULL;

	switch (x->step) {
	case X_STAT:
	case X_VERIFY:
		setup_handle(x, x->url);
		curl_easy_setopt(x->h, CURLOPT_NOBODY, 1L);
		break;
	case X_STAT_PART:
		if (asprintf(&part, "%s.part", x->url) < 0)
			return xfer_fail(x, "%s: out of memory", x->url);
		setup_handle(x, part);
		curl_easy_setopt(x->h, CURLOPT_NOBODY, 1L);
		free(part);
		break;
	case X_UPLOAD:
		if (x->fd < 0 && (x->fd = open(x->src, O_RDONLY | O_CLOEXEC)) < 0)
			return xfer_fail(x, "%s: cannot open: %s", x->src, strerror(errno));
		if (lseek(x->fd, 0, SEEK_SET) < 0)
			return xfer_fail(x, "%s: cannot seek: %s", x->src, strerror(errno));
		if (x->scheme == S_SFTP) {
			if (sftp_upload(x) < 0)
				return xfer_fail(x, "%s: out of memory", x->url);
		} else {
			/* nginx's PUT writes a temporary file and renames it:
			 * the NAME.part step is the server's own */
			setup_handle(x, x->url);
			x->resume = 0;
		}
		curl_easy_setopt(x->h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(x->h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)x->size);
		curl_easy_setopt(x->h, CURLOPT_READFUNCTION, read_cb);
		curl_easy_setopt(x->h, CURLOPT_READDATA, x);
		curl_easy_setopt(x->h, CURLOPT_SEEKFUNCTION, seek_cb);
		curl_easy_setopt(x->h, CURLOPT_SEEKDATA, x);
		account(x->r, (int64_t)x->resume, 0);
		x->sent = 0;
		break;
	case X_DONE:
		break;
	}
	return 0;
}

/* Why a transfer failed, in words a maintainer can act on. */
static int
transfer_error(struct xfer *x, CURLcode rc)
{
	const char *what = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);

	if (x->kh == CURLKHMATCH_MISMATCH)
		return xfer_fail(x, "%s: host key does not match %s: refused (the host changed its key, or this is an attack)",
			x->url, x->r->known_hosts);
	if (x->kh == CURLKHMATCH_MISSING)
		return xfer_fail(x, "%s: host key is not in %s: refused (check the key, then add it)", x->url, x->r->known_hosts);
	switch (rc) {
	case CURLE_LOGIN_DENIED:
		return xfer_fail(x, "%s: authentication failed: %s", x->url, what);
	case CURLE_REMOTE_DISK_FULL:
		return xfer_fail(x, "%s: destination full: %s", x->url, what);
	case CURLE_REMOTE_ACCESS_DENIED:
		return xfer_fail(x, "%s: permission denied: %s", x->url, what);
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_SSH:
		return xfer_fail(x, "%s: connection dropped: %s%s", x->url, what,
			x->step == X_UPLOAD && x->scheme == S_SFTP ? " (run again to resume the .part file)" : "");
	default:
		return xfer_fail(x, "%s: %s", x->url, what);
	}
}

static int
transient(CURLcode rc)
{
	return rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR || rc == CURLE_PARTIAL_FILE ||
	       rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_GOT_NOTHING;
}

/* The size a NOBODY request found: -1 absent, else bytes; -2 on error. */
static curl_off_t
stat_result(struct xfer *x, CURLcode rc)
{
	curl_off_t len = -1;
	long code = 0;

	if (x->scheme == S_SFTP && rc == CURLE_REMOTE_FILE_NOT_FOUND)
		return -1;
	if (rc != CURLE_OK) {
		transfer_error(x, rc);
		return -2;
	}
	if (x->scheme == S_HTTP) {
		curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
		if (code == 404)
			return -1;
		if (code < 200 || code > 299) {
			xfer_fail(x, "%s: HTTP status %ld", x->url, code);
			return -2;
		}
	}
	curl_easy_getinfo(x->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
	return len < 0 ? 0 : len;
}

/* Advances an xfer whose step finished with rc. Returns 1 when it has
 * another step to run, 0 when it is done, -1 when it failed. */
static int
step_done(struct xfer *x, CURLcode rc)
{
	curl_off_t size;
	long code = 0;

	switch (x->step) {
	case X_STAT:
		if ((size = stat_result(x, rc)) == -2)
			return -1;
		/* over sftp and https the size is what can be known without
		 * reading the file back */
		if (size >= 0 && !x->force) {
			if ((uint64_t)size == x->size || x->is_sig) {
				finished(x, 1);
				return 0;
			}
			return refuse(x, (uint64_t)size);
		}
		x->exists = size >= 0;
		x->step = x->scheme == S_SFTP ? X_STAT_PART : X_UPLOAD;
		x->resume = 0;
		return 1;
	case X_STAT_PART:
		if ((size = stat_result(x, rc)) == -2)
			return -1;
		x->resume = 0;
		if (size > 0 && (uint64_t)size <= x->size && !x->r->o->force) {
			x->resume = (uint64_t)size;
			note(x->r, "%s: resuming %s.part at %" CURL_FORMAT_CURL_OFF_T " bytes", x->url, x->name, size);
		}
		x->step = X_UPLOAD;
		return 1;
	case X_UPLOAD:
		if (rc != CURLE_OK) {
			if (transient(rc) && ++x->tries < x->r->o->tries) {
				account(x->r, -(int64_t)(x->sent + (curl_off_t)x->resume), 0);
				x->step = x->scheme == S_SFTP ? X_STAT_PART : X_UPLOAD;
				return 1;
			}
			return transfer_error(x, rc);
		}
		if (x->scheme == S_HTTP) {
			curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
			if (code < 200 || code > 299)
				return xfer_fail(x, "%s: PUT refused: HTTP status %ld", x->url, code);
		}
		x->step = X_VERIFY;
		return 1;
	case X_VERIFY:
		if ((size = stat_result(x, rc)) == -2)
			return -1;
		if (size != (curl_off_t)x->size)
			return xfer_fail(x, "%s: has %" CURL_FORMAT_CURL_OFF_T " bytes after the upload, want %" PRIu64,
				x->url, size, x->size);
		finished(x, 0);
		return 0;
	case X_DONE:
		break;
	}
	return 0;
}

/* The curl and file:// xfers, at most o->jobs at a time; a signature
 * is queued when its file is there. */
static int
run_curl(struct xfer **q, size_t nq, size_t cap, struct run *r, struct dk_err *e)
{
	CURLM *m = curl_multi_init();
	size_t head = 0;
	long running = 0;

	if (!m)
		return dk_errf(e, NULL, 0, "cannot start libcurl");
	while (head < nq || running > 0) {
		CURLMsg *msg;
		int still, left;

		while (head < nq && running < r->o->jobs) {
			struct xfer *x = q[head++], *s;

			if (x->scheme == S_FILE) {
				if (file_put(x) == 0 && (s = follow(x)) && nq < cap)
					q[nq++] = s;
				continue;
			}
			if (!x->h && !(x->h = curl_easy_init())) {
				xfer_fail(x, "%s: cannot start libcurl", x->url);
				continue;
			}
			if (start_step(x) < 0)
				continue;
			curl_multi_add_handle(m, x->h);
			running++;
		}
		curl_multi_perform(m, &still);
		while ((msg = curl_multi_info_read(m, &left))) {
			struct xfer *x, *s;
			int rc;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			curl_multi_remove_handle(m, x->h);
			rc = step_done(x, msg->data.result);
			if (rc == 1 && start_step(x) == 0) {
				curl_multi_add_handle(m, x->h);
				continue;
			}
			running--;
			if (x->fd >= 0) {
				close(x->fd);
				x->fd = -1;
			}
			if (rc == 0 && (s = follow(x)) && nq < cap)
				q[nq++] = s;
		}
		if (running > 0)
			curl_multi_poll(m, NULL, 0, 200, NULL);
		progress(r, 0);
	}
	curl_multi_cleanup(m);
	return 0;
}

/* kup:// — kup-server (kernel.org's uploader) is an ssh forced command
 * reading a line protocol: DATA n / SIGN n followed by n raw bytes, PUT
 * PATH (checks the signature with the user's keyring, then renames both
 * into place as PATH and PATH.sign), MKDIR PATH, DIR PATH (a listing
 * between "+++ PATH" and an empty line), DONE. Any error ends the
 * session with one line on stderr. Arguments are URL-encoded. */

struct kup {
	pid_t pid;
	int in, out, err;
	struct buf o, x;	/* what the server said on stdout, stderr */
	long stall;
	int status;		/* its exit status once reaped */
};

/* The parts of kup://[user@]host[:port]/dir/name. */
struct kupdest {
	char *user, *host, *port, *dir;
};

static void
kupdest_free(struct kupdest *d)
{
	free(d->user);
	free(d->host);
	free(d->port);
	free(d->dir);
}

/* Splits a kup URL into d (dir without the last component). 0 or -1. */
static int
kupdest_parse(const char *url, struct kupdest *d)
{
	const char *a = url + 6, *slash = strchr(a, '/'), *at, *h, *colon, *end;

	memset(d, 0, sizeof *d);
	if (!slash)
		return -1;
	at = memchr(a, '@', (size_t)(slash - a));
	h = at ? at + 1 : a;
	end = slash;
	colon = *h == '[' ? (end = memchr(h, ']', (size_t)(slash - h))) ? memchr(end, ':', (size_t)(slash - end)) : NULL
			  : memchr(h, ':', (size_t)(slash - h));
	if (!end)
		return -1;
	if (*h == '[') {
		d->host = strndup(h + 1, (size_t)(end - h - 1));
	} else {
		end = colon ? colon : slash;
		d->host = strndup(h, (size_t)(end - h));
	}
	if (at)
		d->user = strndup(a, (size_t)(at - a));
	if (colon)
		d->port = strndup(colon + 1, (size_t)(slash - colon - 1));
	d->dir = strndup(slash, (size_t)(strrchr(slash, '/') - slash));
	if (!d->host || !*d->host || !d->dir || (at && !d->user) || (colon && !d->port)) {
		kupdest_free(d);
		return -1;
	}
	return 0;
}

int
upload_kup_path_ok(const char *f)
{
	size_t n = 0, len = strlen(f);
	const char *s;

	if (len == 0 || len > 1024 || f[0] != '/' || f[len - 1] == '/' || strstr(f, "//"))
		return 0;
	for (s = f; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f || strchr("!\"$&'*;<>?\\`|", c))
			return 0;
		if (c == '/' && (s[1] == '.' || s[1] == '-'))
			return 0;
		n = c == '/' ? 0 : n + 1;
		if (n > 100)
			return 0;
	}
	return 1;
}

/* kup-server's argument encoding. */
static void
kup_encode(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c > 32 && c < 126 && c != '%' && c != '+')
			buf_addc(b, (char)c);
		else if (c == ' ')
			buf_addc(b, '+');
		else {
			char hex[4];

			snprintf(hex, sizeof hex, "%%%02X", c);
			buf_adds(b, hex);
		}
	}
}

/* The server's last words: the last line it wrote on stderr (ssh's own
 * when ssh failed), without its progress bars. */
static const char *
kup_why(struct kup *k)
{
	char *s = k->x.s, *end, *start;

	if (!s || !k->x.len)
		return "the connection closed";
	end = s + k->x.len;
	while (end > s && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		*--end = '\0';
	start = end;
	while (start > s && start[-1] != '\n' && start[-1] != '\r')
		start--;
	return *start ? start : "the connection closed";
}

static void
kup_close(struct kup *k)
{
	int st;

	if (k->in >= 0)
		close(k->in);
	if (k->out >= 0)
		close(k->out);
	if (k->err >= 0)
		close(k->err);
	k->in = k->out = k->err = -1;
	if (k->pid > 0)
		while (waitpid(k->pid, &st, 0) < 0 && errno == EINTR)
			;
	k->pid = -1;
	buf_free(&k->o);
	buf_free(&k->x);
}

static int
kup_open(struct kup *k, const struct kupdest *d, struct run *r, struct dk_err *e)
{
	char *argv[24], *kh = NULL;
	int n = 0, fds[3];

	memset(k, 0, sizeof *k);
	k->in = k->out = k->err = k->pid = -1;
	k->stall = r->o->stall_secs;
	if (asprintf(&kh, "UserKnownHostsFile=%s", r->known_hosts) < 0)
		return dk_syserrf(e, NULL, 0, "out of memory");
	argv[n++] = "ssh";
	argv[n++] = "-T";	/* as kup does: no tty, no agent or X11 forwarding */
	argv[n++] = "-a";
	argv[n++] = "-x";
	argv[n++] = "-o";
	argv[n++] = "BatchMode=yes";
	argv[n++] = "-o";
	argv[n++] = "StrictHostKeyChecking=yes";
	argv[n++] = "-o";
	argv[n++] = kh;
	if (r->o->identity) {
		argv[n++] = "-o";
		argv[n++] = "IdentitiesOnly=yes";
		argv[n++] = "-i";
		argv[n++] = (char *)r->o->identity;
	}
	if (d->port) {
		argv[n++] = "-p";
		argv[n++] = d->port;
	}
	if (d->user || r->o->user) {
		argv[n++] = "-l";
		argv[n++] = d->user ? d->user : (char *)r->o->user;
	}
	argv[n++] = "--";
	argv[n++] = d->host;
	argv[n] = NULL;
	k->pid = spawn_pipes(argv, fds, e);
	free(kh);
	if (k->pid < 0)
		return -1;
	k->in = fds[0];
	k->out = fds[1];
	k->err = fds[2];
	fcntl(k->in, F_SETFL, fcntl(k->in, F_GETFL) | O_NONBLOCK);
	return 0;
}

/* Where a whole DIR answer ends in k->o (just past its empty line), or 0. */
static size_t
kup_listing_end(const struct kup *k)
{
	const char *s = k->o.s, *m, *t;

	if (!s)
		return 0;
	m = !strncmp(s, "+++ ", 4) ? s : strstr(s, "\n+++ ");
	if (!m || !(t = strstr(m + 1, "\n\n")))
		return 0;
	return (size_t)(t + 2 - s);
}

/* The session ended: who ended it (ssh itself exits 255) and why. */
static int
kup_gone(struct kup *k, struct dk_err *e)
{
	const char *why;
	int st = 0;

	if (k->out < 0 && k->err < 0 && k->pid > 0) {
		while (waitpid(k->pid, &st, 0) < 0 && errno == EINTR)
			;
		k->pid = -1;
		k->status = WIFEXITED(st) ? WEXITSTATUS(st) : 255;
	}
	why = kup_why(k);
	if (!strncmp(why, "ssh: ", 5))
		why += 5;
	return dk_errf(e, NULL, 0, "%s: %s", k->status == 255 ? "ssh" : "kup-server", why);
}

/* Writes n bytes of p to the server while reading what it says; with
 * listing set, then waits for a whole DIR answer. Returns 0, or -1 when
 * the server went away or stalled (e says why). */
static int
kup_pump(struct kup *k, const char *p, size_t n, int listing, struct dk_err *e)
{
	while (n > 0 || (listing && !kup_listing_end(k))) {
		struct pollfd pf[3];
		int np = 0, i, rc;

		if (k->out < 0 && k->err < 0)
			return kup_gone(k, e);
		if (n > 0)
			pf[np++] = (struct pollfd){ .fd = k->in, .events = POLLOUT };
		if (k->out >= 0)
			pf[np++] = (struct pollfd){ .fd = k->out, .events = POLLIN };
		if (k->err >= 0)
			pf[np++] = (struct pollfd){ .fd = k->err, .events = POLLIN };
		rc = poll(pf, (nfds_t)np, (int)(k->stall * 1000));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return dk_syserrf(e, NULL, 0, "poll");
		if (rc == 0)
			return dk_errf(e, NULL, 0, "kup-server: nothing moved for %ld seconds", k->stall);
		for (i = 0; i < np; i++) {
			ssize_t got;

			if (!pf[i].revents)
				continue;
			if (pf[i].fd == k->in) {
				got = write(k->in, p, n);
				if (got > 0) {
					p += got;
					n -= (size_t)got;
				} else if (got < 0 && errno != EINTR && errno != EAGAIN) {
					/* it went away: its words follow on stderr */
					n = 0;
					listing = 1;
					close(k->in);
					k->in = -1;
				}
				continue;
			}
			{
				struct buf *b = pf[i].fd == k->out ? &k->o : &k->x;
				int *fd = pf[i].fd == k->out ? &k->out : &k->err;

				if (buf_grow(b, 65536) < 0)
					return dk_syserrf(e, NULL, 0, "out of memory");
				got = read(*fd, b->s + b->len, b->cap - b->len - 1);
				if (got > 0) {
					b->len += (size_t)got;
					b->s[b->len] = '\0';
				} else if (got == 0 || errno != EINTR) {
					close(*fd);
					*fd = -1;
				}
			}
		}
	}
	return k->in < 0 ? kup_gone(k, e) : 0;
}

static int
kup_cmd(struct kup *k, const char *cmd, const char *arg, int listing, struct dk_err *e)
{
	struct buf b = { 0 };
	int rc;

	buf_adds(&b, cmd);
	if (arg) {
		buf_addc(&b, ' ');
		kup_encode(&b, arg);
	}
	buf_addc(&b, '\n');
	rc = kup_pump(k, b.s, b.len, listing, e);
	buf_free(&b);
	return rc;
}

/* Streams a file as a DATA or SIGN blob. */
static int
kup_blob(struct kup *k, const char *cmd, const char *path, uint64_t size, struct run *r, struct dk_err *e)
{
	/* kup-server reads 256 KiB at a time (its bufsiz) */
	enum { CHUNK = 1 << 18 };
	char hdr[64], *b = malloc(CHUNK);
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;
	uint64_t left = size;

	if (fd < 0 || !b) {
		dk_syserrf(e, path, 0, "cannot open");
		free(b);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	snprintf(hdr, sizeof hdr, "%s %" PRIu64 " %%\n", cmd, size);
	if (kup_pump(k, hdr, strlen(hdr), 0, e) < 0)
		goto out;
	while (left > 0) {
		ssize_t n = read(fd, b, left < CHUNK ? (size_t)left : CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			dk_errf(e, path, 0, "changed while sending it");
			goto out;
		}
		if (kup_pump(k, b, (size_t)n, 0, e) < 0)
			goto out;
		left -= (uint64_t)n;
		if (!strcmp(cmd, "DATA")) {
			account(r, n, 0);
			progress(r, 0);
		}
	}
	rc = 0;
out:
	close(fd);
	free(b);
	return rc;
}

/* The sizes of the n names in the DIR answer at the start of k->o
 * (then consumed): -1 for a name not there, -2 for one not a file. */
static void
kup_listed(struct kup *k, struct xfer **xs, size_t n, int64_t *size)
{
	size_t end = kup_listing_end(k), i;
	char *line = strstr(k->o.s, "+++ "), *nl;

	for (i = 0; i < n; i++)
		size[i] = -1;
	for (line = strchr(line, '\n') + 1; line < k->o.s + end && *line != '\n'; line = nl + 1) {
		char mode[16], fname[1100];
		unsigned long long sz;

		nl = strchr(line, '\n');
		*nl = '\0';
		if (sscanf(line, "%15s %*s %*s %*s %llu %*s %*s %1099s", mode, &sz, fname) == 3)
			for (i = 0; i < n; i++) {
				struct buf want = { 0 };

				kup_encode(&want, xs[i]->name);
				if (want.s && !strcmp(fname, want.s))
					size[i] = mode[0] == '-' ? (int64_t)sz : -2;
				buf_free(&want);
			}
		*nl = '\n';
	}
	memmove(k->o.s, k->o.s + end, k->o.len - end + 1);
	k->o.len -= end;
}

/* The first DIR of a directory: what is there already settles each
 * xfer (there, or refused), unless forced. Returns 1 with the session
 * left open, 0 when the directory does not exist yet (session closed), or
 * -1 with every xfer failed. */
static int
kup_survey(struct kup *k, const struct kupdest *d, struct xfer **xs, size_t n, struct run *r)
{
	const char *dir = *d->dir ? d->dir : "/";
	int64_t *have = calloc(n, sizeof *have);
	struct dk_err e;
	size_t i;

	if (!have || kup_open(k, d, r, &e) < 0 || kup_cmd(k, "DIR", dir, 1, &e) < 0) {
		if (have && !strcmp(kup_why(k), "Invalid directory in DIR command")) {
			free(have);
			kup_close(k);
			return 0;
		}
		for (i = 0; i < n; i++)
			xfer_fail(xs[i], "%s: %s", xs[i]->url, have ? e.msg : "out of memory");
		free(have);
		return -1;
	}
	kup_listed(k, xs, n, have);
	for (i = 0; i < n; i++) {
		if (have[i] == -2)
			xfer_fail(xs[i], "%s: already there and not a regular file: not replaced", xs[i]->url);
		else if (have[i] >= 0 && (uint64_t)have[i] == xs[i]->size && !r->o->force)
			finished(xs[i], 1);
		else if (have[i] >= 0 && !r->o->force)
			refuse(xs[i], (uint64_t)have[i]);
	}
	free(have);
	return 1;
}

/* One file and its signature into an open session, then a DIR to check
 * its size there. Returns 0, or -1 with the xfer failed and the session
 * closed (kup-server ends it on any error of its own). */
static int
kup_send(struct kup *k, const struct kupdest *d, struct xfer *x, int mkdir_first, struct run *r)
{
	const char *dir = *d->dir ? d->dir : "/";
	struct dk_err e;
	struct stat st;
	int64_t got;

	if (stat(x->job->sig, &st) < 0) {
		xfer_fail(x, "%s: cannot read %s: %s", x->url, x->job->sig, strerror(errno));
		kup_close(k);
		return -1;
	}
	if ((mkdir_first && kup_cmd(k, "MKDIR", d->dir, 0, &e) < 0) ||
	    kup_blob(k, "DATA", x->src, x->size, r, &e) < 0 ||
	    kup_blob(k, "SIGN", x->job->sig, (uint64_t)st.st_size, r, &e) < 0 ||
	    kup_cmd(k, "PUT", strchr(x->url + 6, '/'), 0, &e) < 0 || kup_cmd(k, "DIR", dir, 1, &e) < 0) {
		kup_close(k);
		return xfer_fail(x, "%s: %s", x->url, e.msg);
	}
	kup_listed(k, &x, 1, &got);
	if (got < 0 || (uint64_t)got != x->size) {
		xfer_fail(x, "%s: has %" PRId64 " bytes after the upload, want %" PRIu64, x->url, got < 0 ? 0 : got,
			x->size);
		kup_close(k);
		return -1;
	}
	finished(x, 0);
	return 0;
}

/* Every xfer of one kup directory: one DIR first, as binpkg-docker's
 * "kup ls"; what is missing goes in one session (after MKDIR when the
 * directory is new). A server error ends a session: its file fails with
 * the server's words and the rest go on in a new one. */
static void
kup_dir(struct xfer **xs, size_t n, struct run *r)
{
	struct kup k = { .pid = -1, .in = -1, .out = -1, .err = -1 };
	struct kupdest d;
	struct dk_err e;
	size_t i;
	int live, missing;

	if (kupdest_parse(xs[0]->url, &d) < 0) {
		for (i = 0; i < n; i++)
			xfer_fail(xs[i], "%s: not a kup://[user@]host[:port]/path URL", xs[i]->url);
		return;
	}
	for (i = 0; i < n; i++)
		if (!upload_kup_path_ok(strchr(xs[i]->url + 6, '/')))
			xfer_fail(xs[i], "%s: not a path kup-server allows (absolute, no // . .. or leading -, "
				"components of at most 100 bytes, none of !\"$&'*;<>?\\`|)", xs[i]->url);
	for (i = 0; i < n && xs[i]->job->state == UPLOAD_FAILED; i++)
		;
	if (i == n || (live = kup_survey(&k, &d, xs, n, r)) < 0)
		goto out;
	missing = !live;
	for (i = 0; i < n; i++) {
		struct xfer *x = xs[i];

		if (x->step == X_DONE || x->job->state == UPLOAD_FAILED)
			continue;
		if (!x->job->sig) {
			xfer_fail(x, "%s: kup-server takes only signed files: sign with -S or give --verify-sig", x->url);
			continue;
		}
		if (!live && kup_open(&k, &d, r, &e) < 0) {
			xfer_fail(x, "%s: %s", x->url, e.msg);
			continue;
		}
		live = kup_send(&k, &d, x, missing, r) == 0;
		missing = missing && !live;
		progress(r, 0);
	}
	if (live)
		kup_cmd(&k, "DONE", NULL, 0, &e);
out:
	kup_close(&k);
	kupdest_free(&d);
}

/* The kup directories of a run, taken by up to o->jobs sessions at once. */
struct kupwork {
	struct xfer ***g;	/* each directory's xfers */
	size_t *n, ng, next;
	struct run *r;
};

static void *
kup_worker(void *arg)
{
	struct kupwork *w = arg;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&w->r->mu);
		i = w->next++;
		pthread_mutex_unlock(&w->r->mu);
		if (i >= w->ng)
			return NULL;
		kup_dir(w->g[i], w->n[i], w->r);
	}
}

/* Groups the kup xfers by destination directory (one session each) and
 * starts their workers: *threads of them, to be joined by kup_join. */
static int
kup_start(struct xfer **q, size_t nq, struct run *r, struct kupwork *w, pthread_t *th, size_t *threads)
{
	size_t i, j, dl;

	memset(w, 0, sizeof *w);
	w->r = r;
	*threads = 0;
	if (!nq)
		return 0;
	if (!(w->g = calloc(nq, sizeof *w->g)) || !(w->n = calloc(nq, sizeof *w->n)))
		return -1;
	for (i = 0; i < nq; i++) {
		if (q[i]->step == X_UPLOAD)
			continue;	/* in a group already */
		dl = (size_t)(strrchr(q[i]->url, '/') - q[i]->url);
		if (!(w->g[w->ng] = calloc(nq - i, sizeof **w->g)))
			return -1;
		for (j = i; j < nq; j++)
			if (q[j]->step != X_UPLOAD && (size_t)(strrchr(q[j]->url, '/') - q[j]->url) == dl &&
			    !strncmp(q[j]->url, q[i]->url, dl)) {
				w->g[w->ng][w->n[w->ng]++] = q[j];
				q[j]->step = X_UPLOAD;
			}
		w->ng++;
	}
	for (i = 0; i < w->ng && i < (size_t)r->o->jobs; i++) {
		if (pthread_create(&th[i], NULL, kup_worker, w) != 0)
			break;
		(*threads)++;
	}
	if (*threads == 0)
		kup_worker(w);	/* no thread to be had: one after another here */
	return 0;
}

static void
kup_join(struct kupwork *w, pthread_t *th, size_t threads)
{
	size_t i, j;

	for (i = 0; i < threads; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < w->ng; i++) {
		for (j = 0; j < w->n[i]; j++)
			if (w->g[i][j]->job->state == UPLOAD_PENDING)
				xfer_fail(w->g[i][j], "%s: not sent", w->g[i][j]->url);
		free(w->g[i]);
	}
	free(w->g);
	free(w->n);
}

/* The sftp key and host keys: given, else OpenSSH's usual places. */
static int
ssh_files(struct run *r, struct dk_err *e)
{
	static const char *const keys[] = { ".ssh/id_ed25519", ".ssh/id_ecdsa", ".ssh/id_rsa", NULL };
	const char *home = getenv("HOME");
	struct passwd *pw;
	size_t i;

	pw = getpwuid(getuid());
	if (!home || !*home)
		home = pw ? pw->pw_dir : "/";
	if ((r->o->user || pw) && !(r->user = strdup(r->o->user ? r->o->user : pw->pw_name)))
		return dk_syserrf(e, NULL, 0, "out of memory");
	if (r->o->known_hosts ? !(r->known_hosts = strdup(r->o->known_hosts))
			      : asprintf(&r->known_hosts, "%s/.ssh/known_hosts", home) < 0)
		return dk_syserrf(e, NULL, 0, "out of memory");
	if (r->o->identity)
		return (r->identity = strdup(r->o->identity)) ? 0 : dk_syserrf(e, NULL, 0, "out of memory");
	for (i = 0; keys[i]; i++) {
		char *k;

		if (asprintf(&k, "%s/%s", home, keys[i]) < 0)
			return dk_syserrf(e, NULL, 0, "out of memory");
		if (access(k, R_OK) == 0) {
			r->identity = k;
			return 0;
		}
		free(k);
	}
	return 0;
}

static struct xfer *
xfer_new(struct upload_job *j, int is_sig, struct run *r)
{
	struct xfer *x = calloc(1, sizeof *x);
	const char *base;
	struct stat st;

	if (!x)
		return NULL;
	x->job = j;
	x->r = r;
	x->is_sig = is_sig;
	x->fd = -1;
	x->src = is_sig ? j->sig : j->src;
	x->size = is_sig ? (stat(j->sig, &st) == 0 ? (uint64_t)st.st_size : 0) : j->size;
	x->scheme = scheme_of(j->url);
	x->force = r->o->force;
	if (asprintf(&x->url, "%s%s", j->url, is_sig ? ".sig" : "") < 0) {
		free(x);
		return NULL;
	}
	base = strrchr(x->url, '/');
	x->name = strdup(base ? base + 1 : x->url);
	if (x->scheme == S_SFTP && (x->rdir = sftp_path(x->url))) {
		char *slash = strrchr(x->rdir, '/');

		*(slash ? slash : x->rdir) = '\0';
	}
	if (!x->name || (x->scheme == S_SFTP && !x->rdir)) {
		free(x->url);
		free(x->name);
		free(x->rdir);
		free(x);
		return NULL;
	}
	return x;
}

static void
xfer_free(struct xfer *x)
{
	if (!x)
		return;
	if (x->h)
		curl_easy_cleanup(x->h);
	if (x->fd >= 0)
		close(x->fd);
	curl_slist_free_all(x->quote);
	free(x->url);
	free(x->name);
	free(x->rdir);
	free(x);
}

int
upload_run(struct upload_job *jobs, size_t n, const struct upload_opts *o, struct dk_err *e)
{
	struct run r = { .o = o, .mu = PTHREAD_MUTEX_INITIALIZER };
	struct kupwork kw = { 0 };
	pthread_t th[64];
	size_t threads = 0;
	int crc;
	struct xfer **all = calloc(2 * n + 1, sizeof *all), **curl_q = calloc(2 * n + 1, sizeof *curl_q);
	struct xfer **kup_q = calloc(n + 1, sizeof *kup_q);
	size_t i, na = 0, nc = 0, nk = 0;
	int failed = 0, rc = -1;
	void (*oldpipe)(int) = signal(SIGPIPE, SIG_IGN);

	if (!all || !curl_q || !kup_q) {
		dk_syserrf(e, NULL, 0, "out of memory");
		goto out;
	}
	if (ssh_files(&r, e) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		struct xfer *x = xfer_new(&jobs[i], 0, &r), *s = NULL;

		jobs[i].state = UPLOAD_PENDING;
		jobs[i].err[0] = '\0';
		if (!x || (jobs[i].sig && x->scheme != S_KUP && !(s = xfer_new(&jobs[i], 1, &r)))) {
			xfer_free(x);
			dk_syserrf(e, NULL, 0, "out of memory");
			goto out;
		}
		all[na++] = x;
		r.p.total++;
		r.p.expect += x->size;
		if (s) {
			all[na++] = s;
			x->then = s;
			s->step = X_DONE;	/* queued by its file */
			r.p.total++;
			r.p.expect += s->size;
		}
		if (x->scheme == S_KUP)
			kup_q[nk++] = x;
		else
			curl_q[nc++] = x;
	}
	/* kup sessions in threads of their own while libcurl runs here */
	if (kup_start(kup_q, nk, &r, &kw, th, &threads) < 0) {
		kup_join(&kw, th, 0);
		dk_syserrf(e, NULL, 0, "out of memory");
		goto out;
	}
	crc = run_curl(curl_q, nc, 2 * n + 1, &r, e);
	kup_join(&kw, th, threads);
	if (crc < 0)
		goto out;
	progress(&r, 1);
	for (i = 0; i < n; i++)
		failed += jobs[i].state == UPLOAD_FAILED;
	rc = failed;
out:
	for (i = 0; i < na; i++)
		xfer_free(all[i]);
	free(all);
	free(curl_q);
	free(kup_q);
	free(r.identity);
	free(r.known_hosts);
	free(r.user);
	signal(SIGPIPE, oldpipe);
	return rc;
}
