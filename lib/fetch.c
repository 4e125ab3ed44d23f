/* dk: parallel, resumable, hashing downloads through libcurl multi;
 * local file:// sources read by this thread. Every byte goes once into
 * one hash_pool's buffers; its workers digest it and write it to the
 * .part, so this thread only moves bytes in. GPL-2.0-only. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "fetch.h"

struct job_priv {
	CURL *easy;
	int fd;
	int src;		/* a local file:// source being copied, else -1 */
	uint64_t src_size;	/* its size when opened */
	char *part, *final;
	struct hash_pool *pool;
	struct hash_stream hs;	/* hs.hs.size: bytes of .part (written or on the way) */
	uint64_t offset;	/* bytes of .part before this transfer */
	size_t url;		/* index of the URL being tried */
	int attempt;		/* failed attempts on this URL */
	int restarted;		/* .part dropped once because the server refused Range */
	double not_before;	/* monotonic seconds: back-off */
	int write_errno;	/* a local write failed: no point retrying */
	int hash_failed;	/* a digest failed: neither */
	long http_code;		/* a 3xx-5xx final response seen by the write callback */
	char host[256];
	struct buf tried;	/* "URL (why), URL (why)" for the final message */
};

static void job_next_url(struct fetch_job *j, const char *why);

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
url_host(const char *url, char *out, size_t n)
{
	const char *s = strstr(url, "://"), *end;

	if (!s || !strncmp(url, "file:", 5)) {
		out[0] = '\0';
		return;
	}
	s += 3;
	end = s + strcspn(s, "/?#");
	/* the host without user or port: two ports are still one machine */
	if (memchr(s, '@', (size_t)(end - s)))
		s = (const char *)memchr(s, '@', (size_t)(end - s)) + 1;
	if (*s == '[')
		end = s + strcspn(s, "]") + 1 < end ? s + strcspn(s, "]") + 1 : end;
	else if (memchr(s, ':', (size_t)(end - s)))
		end = memchr(s, ':', (size_t)(end - s));
	snprintf(out, n, "%.*s", (int)(end - s), s);
}

static int
is_http(const char *url)
{
	return !strncmp(url, "http://", 7) || !strncmp(url, "https://", 8);
}

static size_t
on_data(char *p, size_t size, size_t nmemb, void *arg)
{
	struct fetch_job *j = arg;
	struct job_priv *jp = j->priv;
	size_t n = size * nmemb;
	long code = 0;

	if (is_http(j->urls[jp->url])) {
		curl_easy_getinfo(jp->easy, CURLINFO_RESPONSE_CODE, &code);
		if (code >= 300) {
			/* an error page is not the file: stop reading it */
			jp->http_code = code;
			return 0;
		}
	}
	if (hash_stream_write(&jp->hs, p, n, NULL) < 0) {
		if (!(jp->write_errno = hash_stream_werr(&jp->hs)))
			jp->hash_failed = 1;
		return 0;
	}
	return n;
}

static void
job_close(struct job_priv *jp)
{
	if (jp->easy)
		curl_easy_cleanup(jp->easy);
	jp->easy = NULL;
	/* the workers' writes to the .part end before its fd is closed */
	hash_stream_free(&jp->hs);
	if (jp->fd >= 0)
		close(jp->fd);
	jp->fd = -1;
	if (jp->src >= 0)
		close(jp->src);
	jp->src = -1;
}

static void
job_fail(struct fetch_job *j, const char *fmt, const char *arg)
{
	struct job_priv *jp = j->priv;

	snprintf(j->err, sizeof j->err, "%s: ", j->name);
	snprintf(j->err + strlen(j->err), sizeof j->err - strlen(j->err), fmt, arg);
	j->state = FETCH_FAILED;
	job_close(jp);
}

/* The .part holds the whole file: check it and move it into place. */
static void
job_finish(struct fetch_job *j, const struct fetch_opts *o)
{
	struct job_priv *jp = j->priv;
	struct hash_result r;
	char why[256];

	if (hash_stream_final(&jp->hs, &r, NULL) < 0) {
		char msg[512];

		if (hash_stream_werr(&jp->hs))
			snprintf(msg, sizeof msg, "write error: %s: %s", jp->part, strerror(hash_stream_werr(&jp->hs)));
		else
			snprintf(msg, sizeof msg, "digest failed");
		job_fail(j, "%s", msg);
		return;
	}
	if (j->have_expect && !o->force) {
		if (r.size != j->expect_size)
			snprintf(why, sizeof why, "size mismatch: got %" PRIu64 " bytes, Manifest says %" PRIu64,
				r.size, j->expect_size);
		else if (j->expect_blake2b && strcmp(j->expect_blake2b, r.blake2b))
			snprintf(why, sizeof why, "BLAKE2B mismatch with the Manifest");
		else if (j->expect_sha512 && strcmp(j->expect_sha512, r.sha512))
			snprintf(why, sizeof why, "SHA512 mismatch with the Manifest");
		else
			why[0] = '\0';
		if (why[0]) {
			char msg[512];

			/* the content is wrong, not short: never resume from it */
			unlink(jp->part);
			snprintf(msg, sizeof msg, "%s (from %s; -f takes the new file)", why,
				jp->url < j->nurls ? j->urls[jp->url] : "the partial file");
			job_fail(j, "%s", msg);
			return;
		}
	}
	if (fdatasync(jp->fd) < 0 || rename(jp->part, jp->final) < 0) {
		char msg[512];

		snprintf(msg, sizeof msg, "cannot move %s into place: %s", jp->part, strerror(errno));
		job_fail(j, "%s", msg);
		return;
	}
	j->result = r;
	j->state = FETCH_DONE;
	job_close(jp);
}

/* A file:// URL naming a local path (no host, or localhost): opens it
 * into jp->src and sets *size; other URLs go to libcurl (jp->src -1).
 * Returns -1 with errno set when the source cannot be opened. */
static int
file_source(struct fetch_job *j, uint64_t *size)
{
	struct job_priv *jp = j->priv;
	char *host = NULL, *path = NULL;
	struct stat st;
	int local = 0, err;
	CURLU *u;

	jp->src = -1;
	*size = 0;
	if (strncmp(j->urls[jp->url], "file:", 5))
		return 0;
	if ((u = curl_url()) && curl_url_set(u, CURLUPART_URL, j->urls[jp->url], 0) == CURLUE_OK
	    && curl_url_get(u, CURLUPART_PATH, &path, CURLU_URLDECODE) == CURLUE_OK) {
		CURLUcode hc = curl_url_get(u, CURLUPART_HOST, &host, 0);

		local = hc == CURLUE_NO_HOST || (hc == CURLUE_OK && (!*host || !strcmp(host, "localhost")));
	}
	if (local) {
		errno = 0;
		memset(&st, 0, sizeof st);
		jp->src = open(path, O_RDONLY | O_CLOEXEC);
		if (jp->src >= 0 && (fstat(jp->src, &st) < 0 || !S_ISREG(st.st_mode))) {
			err = errno;
			if (err == 0 || S_ISDIR(st.st_mode))
				err = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
			close(jp->src);
			errno = err;
			jp->src = -1;
		}
		if (jp->src >= 0) {
			*size = (uint64_t)st.st_size;
			(void)posix_fadvise(jp->src, 0, 0, POSIX_FADV_SEQUENTIAL);
		}
	}
	err = errno;
	curl_free(host);
	curl_free(path);
	curl_url_cleanup(u);
	errno = err;
	return local && jp->src < 0 ? -1 : 0;
}

/* One step of a file:// copy: a pool buffer's worth read from the source
 * (where the .part ends), for the workers to hash and write; at the end
 * of the source the job finishes. */
static void
job_file_step(struct fetch_job *j, const struct fetch_opts *o)
{
	struct job_priv *jp = j->priv;
	size_t room;
	char *d = hash_stream_reserve(&jp->hs, &room);
	ssize_t n = pread(jp->src, d, room, (off_t)jp->hs.hs.size);
	char why[512];

	if (n < 0 && errno == EINTR)
		return;
	if (n == 0) {
		job_finish(j, o);
		return;
	}
	if (n < 0) {
		snprintf(why, sizeof why, "read error: %s", strerror(errno));
		job_close(jp);
		job_next_url(j, why);
		return;
	}
	if (hash_stream_commit(&jp->hs, (size_t)n) < 0) {
		/* learn which: a write error, or a digest failure */
		hash_stream_free(&jp->hs);
		if ((jp->write_errno = hash_stream_werr(&jp->hs)) != 0)
			snprintf(why, sizeof why, "write error: %s: %s", jp->part, strerror(jp->write_errno));
		else
			snprintf(why, sizeof why, "digest failed");
		job_fail(j, "%s", why);
	}
}

/* Opens (or resumes) the .part and starts the transfer of the current URL.
 * Returns 0 when started or finished at once, -1 when the job failed. */
static int
job_start(CURLM *multi, struct fetch_job *j, const struct fetch_opts *o)
{
	struct job_priv *jp = j->priv;
	const char *url = j->urls[jp->url];
	struct stat st;
	struct dk_err e;
	uint64_t src_size = 0;

	jp->write_errno = 0;
	jp->hash_failed = 0;
	jp->http_code = 0;
	jp->fd = open(jp->part, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (jp->fd < 0 || fstat(jp->fd, &st) < 0) {
		job_fail(j, "cannot open %s", jp->part);
		snprintf(j->err + strlen(j->err), sizeof j->err - strlen(j->err), ": %s", strerror(errno));
		return -1;
	}
	jp->offset = (uint64_t)st.st_size;
	if (j->have_expect && jp->offset > j->expect_size) {
		if (ftruncate(jp->fd, 0) < 0) {
			job_fail(j, "cannot truncate %s", jp->part);
			return -1;
		}
		jp->offset = 0;
	}
	/* a .part already whole needs no source */
	if (!(j->have_expect && jp->offset == j->expect_size) && file_source(j, &src_size) < 0) {
		char why[256];

		snprintf(why, sizeof why, "%s", strerror(errno));
		job_close(jp);
		job_next_url(j, why);
		return -1;
	}
	jp->src_size = src_size;
	if (jp->src >= 0 && jp->offset > src_size) {
		/* longer than its source: not a prefix of it */
		if (ftruncate(jp->fd, 0) < 0) {
			job_fail(j, "cannot truncate %s", jp->part);
			return -1;
		}
		jp->offset = 0;
	}
	if (hash_stream_init(&jp->hs, jp->pool, j->hashes | HASH_MANIFEST, &e) < 0
	    || hash_stream_fd(&jp->hs, jp->fd, jp->offset, jp->part, &e) < 0) {
		job_fail(j, "%s", e.msg);
		return -1;
	}
	hash_stream_output(&jp->hs, jp->fd);
	if (j->have_expect && jp->offset == j->expect_size) {
		job_finish(j, o);
		return j->state == FETCH_DONE ? 0 : -1;
	}
	if (jp->src >= 0) {
		j->state = FETCH_ACTIVE;	/* fetch_run steps it */
		return 0;
	}
	if (!(jp->easy = curl_easy_init())) {
		job_fail(j, "%s", "cannot start a transfer");
		return -1;
	}
	curl_easy_setopt(jp->easy, CURLOPT_URL, url);
	curl_easy_setopt(jp->easy, CURLOPT_PRIVATE, j);
	curl_easy_setopt(jp->easy, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(jp->easy, CURLOPT_WRITEDATA, j);
	curl_easy_setopt(jp->easy, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(jp->easy, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(jp->easy, CURLOPT_PROTOCOLS_STR, "http,https,ftp,ftps,file");
	/* a redirect never downgrades https: the certificate is the only
	 * proof of the mirror's identity before the Manifest is written */
	curl_easy_setopt(jp->easy, CURLOPT_REDIR_PROTOCOLS_STR,
		!strncmp(url, "https:", 6) ? "https" : "http,https,ftp,ftps");
	curl_easy_setopt(jp->easy, CURLOPT_BUFFERSIZE, 64L * 1024);
	if (o->cafile)
		curl_easy_setopt(jp->easy, CURLOPT_CAINFO, o->cafile);
	curl_easy_setopt(jp->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(jp->easy, CURLOPT_USERAGENT, "manifest-gen/" DK_VERSION);
	curl_easy_setopt(jp->easy, CURLOPT_CONNECTTIMEOUT, o->stall_secs);
	curl_easy_setopt(jp->easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(jp->easy, CURLOPT_LOW_SPEED_TIME, o->stall_secs);
	if (jp->offset > 0)
		curl_easy_setopt(jp->easy, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)jp->offset);
	if (curl_multi_add_handle(multi, jp->easy) != CURLM_OK) {
		job_fail(j, "%s", "cannot start a transfer");
		return -1;
	}
	j->state = FETCH_ACTIVE;
	return 0;
}

/* Records why the current URL failed and moves on to the next one. */
static void
job_next_url(struct fetch_job *j, const char *why)
{
	struct job_priv *jp = j->priv;

	buf_printf(&jp->tried, "%s%s (%s)", jp->tried.len ? ", " : "", j->urls[jp->url], why);
	jp->url++;
	jp->attempt = 0;
	jp->restarted = 0;
	jp->not_before = 0;
	if (jp->url >= j->nurls) {
		struct stat st;

		/* an empty .part helps no later resume */
		if (stat(jp->part, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0)
			unlink(jp->part);
		job_fail(j, "cannot fetch from any URL: %s", buf_str(&jp->tried));
	}
	else
		j->state = FETCH_PENDING;
}

/* The transfer ended: done, retry later, next URL, or give up. */
static void
job_done(CURLM *multi, struct fetch_job *j, CURLcode rc, const struct fetch_opts *o)
{
	struct job_priv *jp = j->priv;
	long code = 0;
	char why[512];
	int retry = 0;

	curl_easy_getinfo(jp->easy, CURLINFO_RESPONSE_CODE, &code);
	curl_multi_remove_handle(multi, jp->easy);
	if (jp->http_code)
		code = jp->http_code;
	if (!(rc == CURLE_OK && (code < 300 || !is_http(j->urls[jp->url])))) {
		/* a transfer cut short: a write may have failed on the disk
		 * since the last buffer, and then no retry can help */
		hash_stream_free(&jp->hs);
		if (!jp->write_errno)
			jp->write_errno = hash_stream_werr(&jp->hs);
	}
	if (jp->hash_failed) {
		job_fail(j, "%s", "digest failed");
		return;
	}
	if (jp->write_errno) {
		char msg[512];

		snprintf(msg, sizeof msg, "write error: %s: %s", jp->part, strerror(jp->write_errno));
		job_fail(j, "%s", msg);
		return;
	}
	if (rc == CURLE_OK && (code < 300 || !is_http(j->urls[jp->url]))) {
		job_finish(j, o);
		return;
	}
	if (rc == CURLE_RANGE_ERROR || code == 416) {
		/* the server cannot resume this .part: start it over, once */
		job_close(jp);
		if (!jp->restarted && truncate(jp->part, 0) == 0) {
			jp->restarted = 1;
			j->state = FETCH_PENDING;
			return;
		}
		job_next_url(j, "cannot resume");
		return;
	}
	if (rc == CURLE_UNSUPPORTED_PROTOCOL && code >= 300 && code < 400) {
		/* a redirect CURLOPT_REDIR_PROTOCOLS_STR refused */
		snprintf(why, sizeof why, "HTTP %ld to %s, not followed", code,
			!strncmp(j->urls[jp->url], "https:", 6) ? "a URL that is not https" : "a protocol not fetched");
	} else if (code >= 300) {
		snprintf(why, sizeof why, "HTTP %ld", code);
		retry = code >= 500 || code == 408 || code == 429;
	} else {
		snprintf(why, sizeof why, "%s", curl_easy_strerror(rc));
		switch (rc) {
		case CURLE_COULDNT_CONNECT:
		case CURLE_OPERATION_TIMEDOUT:
		case CURLE_PARTIAL_FILE:
		case CURLE_RECV_ERROR:
		case CURLE_SEND_ERROR:
		case CURLE_GOT_NOTHING:
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_HTTP2:
		case CURLE_HTTP2_STREAM:
			retry = 1;
			break;
		default:
			break;
		}
	}
	job_close(jp);
	if (retry && ++jp->attempt < o->tries) {
		jp->not_before = now() + o->backoff_ms / 1000.0 * (double)(1L << (jp->attempt - 1));
		j->state = FETCH_PENDING;
		return;
	}
	if (retry)
		snprintf(why + strlen(why), sizeof why - strlen(why), ", %d tries", o->tries);
	job_next_url(j, why);
}

static int
host_busy(struct fetch_job *jobs, size_t n, const char *host, int limit)
{
	size_t i;
	int k = 0;

	if (!*host)
		return 0;
	for (i = 0; i < n; i++) {
		struct job_priv *jp = jobs[i].priv;

		if (jobs[i].state == FETCH_ACTIVE && !strcmp(jp->host, host))
			k++;
	}
	return k >= limit;
}

int
fetch_run(struct fetch_job *jobs, size_t n, const struct fetch_opts *o, struct dk_err *e)
{
	struct job_priv *privs = calloc(n ? n : 1, sizeof *privs);
	CURLM *multi = curl_multi_init();
	struct hash_pool *pool = NULL;
	double start = now(), last_progress = 0;
	size_t i, finished = 0;
	int active = 0, failed = 0;

	if (!privs || !multi) {
		free(privs);
		if (multi)
			curl_multi_cleanup(multi);
		return dk_errf(e, NULL, 0, "cannot start libcurl");
	}
	if (hash_pool_new(&pool, e) < 0) {
		free(privs);
		curl_multi_cleanup(multi);
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct job_priv *jp = &privs[i];

		jobs[i].priv = jp;
		jobs[i].state = FETCH_PENDING;
		jobs[i].err[0] = '\0';
		jp->fd = -1;
		jp->src = -1;
		jp->pool = pool;
		if (asprintf(&jp->final, "%s/%s", o->distdir, jobs[i].name) < 0
		    || asprintf(&jp->part, "%s/%s.part", o->distdir, jobs[i].name) < 0) {
			jp->final = jp->part = NULL;
			job_fail(&jobs[i], "%s", "out of memory");
		} else if (jobs[i].nurls == 0) {
			job_fail(&jobs[i], "%s", "no URL to fetch it from");
		}
	}
	while (finished < n) {
		double t = now(), wake = 1.0;
		CURLMsg *msg;
		int left, still, ended = 0, copying = 0;

		finished = 0;
		active = 0;
		for (i = 0; i < n; i++) {
			if (jobs[i].state == FETCH_DONE || jobs[i].state == FETCH_FAILED)
				finished++;
			else if (jobs[i].state == FETCH_ACTIVE)
				active++;
		}
		for (i = 0; i < n && active < o->jobs; i++) {
			struct fetch_job *j = &jobs[i];
			struct job_priv *jp = j->priv;

			if (j->state != FETCH_PENDING)
				continue;
			if (jp->not_before > t) {
				if (jp->not_before - t < wake)
					wake = jp->not_before - t;
				continue;
			}
			url_host(j->urls[jp->url], jp->host, sizeof jp->host);
			if (host_busy(jobs, n, jp->host, o->per_host))
				continue;
			if (job_start(multi, j, o) == 0 && j->state == FETCH_ACTIVE)
				active++;
			else if (j->state == FETCH_PENDING)
				ended = 1;	/* on to its next URL at once */
		}
		if (finished == n)
			break;
		/* local copies take turns with the transfers, a buffer each */
		for (i = 0; i < n; i++) {
			struct job_priv *jp = jobs[i].priv;

			if (jobs[i].state == FETCH_ACTIVE && jp->src >= 0) {
				job_file_step(&jobs[i], o);
				if (jobs[i].state == FETCH_ACTIVE)
					copying = 1;
				else
					ended = 1;
			}
		}
		curl_multi_perform(multi, &still);
		while ((msg = curl_multi_info_read(multi, &left))) {
			struct fetch_job *j = NULL;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&j);
			job_done(multi, j, msg->data.result, o);
			ended = 1;
		}
		if (o->progress && t - last_progress >= 0.5) {
			struct fetch_progress p = { 0 };
			int known = 1;

			/* the run's size: done files, Content-Length of running
			 * ones, old Manifest sizes of waiting ones */
			for (i = 0; i < n; i++) {
				struct job_priv *jp = jobs[i].priv;
				curl_off_t cl = -1;

				if (jobs[i].state == FETCH_DONE || jobs[i].state == FETCH_FAILED)
					p.done++;
				if (jobs[i].state == FETCH_DONE) {
					p.bytes += jobs[i].result.size;
					p.expect += jobs[i].result.size;
					continue;
				}
				if (jp->hs.pool)
					p.bytes += jp->hs.hs.size;
				if (jobs[i].state == FETCH_FAILED)
					continue;
				if (jobs[i].have_expect)
					p.expect += jobs[i].expect_size;
				else if (jobs[i].state == FETCH_ACTIVE && jp->src >= 0)
					p.expect += jp->src_size;
				else if (jobs[i].state == FETCH_ACTIVE && jp->easy
				    && curl_easy_getinfo(jp->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) == CURLE_OK && cl >= 0)
					p.expect += jp->offset + (uint64_t)cl;
				else
					known = 0;
			}
			if (!known)
				p.expect = 0;
			p.total = n;
			p.rate = t > start ? (double)p.bytes / (t - start) : 0;
			o->progress(o->progress_arg, &p);
			last_progress = t;
		}
		/* a transfer that just ended frees a slot: fill it at once */
		if (!ended && !copying && (active > 0 || wake < 1.0)) {
			hash_pool_flush(pool);	/* digest while waiting */
			curl_multi_poll(multi, NULL, 0, (int)(wake * 1000) + 1, NULL);
		}
	}
	for (i = 0; i < n; i++) {
		struct job_priv *jp = jobs[i].priv;

		job_close(jp);
		if (jobs[i].state == FETCH_FAILED)
			failed++;
		free(jp->part);
		free(jp->final);
		buf_free(&jp->tried);
		jobs[i].priv = NULL;
	}
	free(privs);
	hash_pool_free(pool);
	curl_multi_cleanup(multi);
	return failed;
}
