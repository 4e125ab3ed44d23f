/* dk-push: check, name, sign and publish binary kernel packages.
 * GPL-2.0-only, see README. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "atomic.h"
#include "config.h"
#include "buf.h"
#include "gpkg.h"
#include "lines.h"
#include "prog.h"
#include "spawn.h"

static void
usage(void)
{
	fputs("usage: dk-push [-fknqSs] [-a arch] [-C cafile] [-c file] [-d url]... [-H known_hosts]\n"
	      "               [-i identity] [-j jobs] [-K keyring] [-t seconds] [-u keyid]\n"
	      "               [path ...]\n", stdout);
}

/* Options. */
static const char *opt_arch, *opt_cafile, *opt_known_hosts, *opt_identity, *opt_keyring, *opt_keyid;
static int opt_force, opt_insecure, opt_dry, opt_quiet, opt_verify_sigs, opt_sign;
static long opt_jobs = 4, opt_stall = 60;
static char **dests;
static size_t ndests;
static const char *opt_config;
static struct buf dest_store;	/* the dests[] strings made here: file:// forms, configured URLs */
static char *sigdir;	/* signatures made by -s, removed at exit */
static int have_sigdir;
static char *ssh_user, *ssh_identity, *ssh_known_hosts;
static int progress;

/* One package, in input order. */
struct pkg {
	char *path;		/* the local file */
	char *name;		/* its published name "PF[-BUILDID].ARCH.gpkg.tar" */
	char *arch;
	struct gpkg_name n;
	uint64_t size;
	char *sig;		/* local detached signature, or NULL */
	char **urls;		/* per destination: the file's URL once it is there */
	int failed;
};

enum scheme { S_FILE, S_SFTP, S_HTTP };
enum step { J_STAT, J_STAT_PART, J_UPLOAD, J_VERIFY, J_DONE };

/* One file going to one destination. */
struct job {
	struct pkg *pkg;
	size_t dest;		/* index into dests and pkg->urls */
	const char *src;	/* local path */
	uint64_t size;
	char *name;		/* remote base name */
	char *url;		/* destination URL of the file */
	char *rdir;		/* sftp: the remote directory path, for quote commands */
	enum scheme scheme;
	enum step step;
	CURL *h;
	int fd;
	int tries;
	int exists;		/* the final name was there before (forced) */
	uint64_t resume;
	int kh;			/* host key verdict, -1 if not asked */
	struct curl_slist *quote;
	struct job *then;	/* the signature, sent once the file is there */
	char errbuf[CURL_ERROR_SIZE];
	curl_off_t sent;
};

static struct {
	curl_off_t total, done;
	int files, finished;
	time_t last;
} prog_state;

static int
is_tty_progress(void)
{
	return progress;
}

static void
show_progress(int final)
{
	time_t now = time(NULL);

	if (!is_tty_progress() || (!final && now == prog_state.last))
		return;
	prog_state.last = now;
	fprintf(stderr, "\r%s: %d/%d files, %" CURL_FORMAT_CURL_OFF_T "/%" CURL_FORMAT_CURL_OFF_T " MiB%s",
		dk_prog, prog_state.finished, prog_state.files, prog_state.done >> 20, prog_state.total >> 20,
		final ? "\n" : "");
}

/* Replaces {arch} {series} {pv} {pn} {pf} in tmpl. Returns a malloc'ed
 * string, or NULL with e set for an unknown placeholder. */
static char *
expand(const char *tmpl, const struct pkg *p, struct dk_err *e)
{
	struct buf b = { 0 };
	const char *s = tmpl;

	while (*s) {
		const char *close, *val = NULL;
		size_t n;

		if (*s != '{' || !(close = strchr(s, '}'))) {
			buf_addc(&b, *s++);
			continue;
		}
		n = (size_t)(close - s - 1);
		if (n == 4 && !strncmp(s + 1, "arch", 4))
			val = p->arch;
		else if (n == 6 && !strncmp(s + 1, "series", 6))
			val = p->n.series;
		else if (n == 2 && !strncmp(s + 1, "pv", 2))
			val = p->n.pv;
		else if (n == 2 && !strncmp(s + 1, "pn", 2))
			val = p->n.pn;
		else if (n == 2 && !strncmp(s + 1, "pf", 2))
			val = p->n.pf;
		if (!val) {
			dk_errf(e, NULL, 0, "%s: unknown placeholder %.*s", tmpl, (int)n + 2, s);
			buf_free(&b);
			return NULL;
		}
		buf_adds(&b, val);
		s = close + 1;
	}
	return buf_take(&b);
}

static enum scheme
scheme_of(const char *url)
{
	if (!strncmp(url, "sftp://", 7))
		return S_SFTP;
	if (!strncmp(url, "https://", 8) || !strncmp(url, "http://", 7))
		return S_HTTP;
	return S_FILE;
}

/* The local directory of a file:// URL (or a plain absolute path). */
static const char *
file_dir(const char *url)
{
	return !strncmp(url, "file://", 7) ? url + 7 : url;
}

/* Package checks: name, arch, GLEP 78 contents, signature. */

/* The arch from ".../ARCH/kernel/CAT/PN/FILE" (binpkg-docker's layout),
 * where PN is the file's. malloc'ed, or NULL. */
static char *
arch_from_path(const char *path, const char *pn)
{
	const char *start[5], *end[5], *s = path + strlen(path);
	int n;

	for (n = 0; n < 5; n++) {
		while (s > path && s[-1] == '/')
			s--;
		end[n] = s;
		while (s > path && s[-1] != '/')
			s--;
		start[n] = s;
		if (end[n] == start[n])
			return NULL;
	}
	if ((size_t)(end[1] - start[1]) != strlen(pn) || strncmp(start[1], pn, strlen(pn)) != 0)
		return NULL;
	return strndup(start[4], (size_t)(end[4] - start[4]));
}

static int
check_pkg(struct pkg *p, struct dk_err *e)
{
	struct gpkg_info info;
	const char *base = strrchr(p->path, '/');
	size_t len;
	int rc;

	base = base ? base + 1 : p->path;
	if (gpkg_parse_name(p->path, &p->n, e) < 0)
		return -1;
	if (opt_arch)
		p->arch = strdup(opt_arch);
	else if (!(p->arch = arch_from_path(p->path, p->n.pn)))
		return dk_errf(e, p->path, 0, "cannot tell the arch from the path (BINPKGROOT/ARCH/kernel/CAT/%s/FILE): use -a", p->n.pn);
	if (!p->arch || strspn(p->arch, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(p->arch) || !*p->arch)
		return dk_errf(e, p->path, 0, "bad arch %s", p->arch ? p->arch : "");
	if (gpkg_check(p->path, &info, e) < 0)
		return -1;
	len = strlen(base) - 9;
	rc = 0;
	if (strlen(info.dir) != len || strncmp(info.dir, base, len) != 0)
		rc = dk_errf(e, p->path, 0, "holds directory %s/, not %.*s/", info.dir, (int)len, base);
	else if (info.pf && strcmp(info.pf, p->n.pf) != 0)
		rc = dk_errf(e, p->path, 0, "metadata PF %s does not match the file name's %s", info.pf, p->n.pf);
	p->size = info.size;
	gpkg_info_free(&info);
	if (rc < 0)
		return -1;
	if (asprintf(&p->name, "%.*s.%s.gpkg.tar", (int)len, base, p->arch) < 0) {
		p->name = NULL;
		return dk_syserrf(e, p->path, 0, "name");
	}
	return 0;
}

/* -s: a fresh detached signature in sigdir; -S: the existing PATH.sig,
 * verified with gpgv. */
static int
sign_pkg(struct pkg *p, struct dk_err *e)
{
	struct buf err = { 0 };
	char *argv[12];
	int n = 0, st;

	if (opt_sign) {
		if (asprintf(&p->sig, "%s/%s.sig", sigdir, p->name) < 0)
			return dk_syserrf(e, p->path, 0, "signature");
		argv[n++] = "gpg";
		argv[n++] = "--batch";
		argv[n++] = "--yes";
		argv[n++] = "--detach-sign";
		if (opt_keyid) {
			argv[n++] = "--local-user";
			argv[n++] = (char *)opt_keyid;
		}
		argv[n++] = "--output";
	} else {
		struct stat sb;

		if (asprintf(&p->sig, "%s.sig", p->path) < 0)
			return dk_syserrf(e, p->path, 0, "signature");
		if (stat(p->sig, &sb) < 0)
			return dk_syserrf(e, p->sig, 0, "cannot verify");
		argv[n++] = "gpgv";
		if (opt_keyring) {
			argv[n++] = "--keyring";
			argv[n++] = (char *)opt_keyring;
		}
	}
	argv[n++] = p->sig;
	argv[n++] = p->path;
	argv[n] = NULL;
	if ((st = spawn_run(argv, NULL, NULL, NULL, &err, e)) < 0) {
		buf_free(&err);
		return -1;
	}
	if (st != 0) {
		/* gpg's own last line says why (no key, bad signature...) */
		char *last = err.s, *nl;

		while (last && (nl = strchr(last, '\n')) && nl[1])
			last = nl + 1;
		if (last && (nl = strchr(last, '\n')))
			*nl = '\0';
		dk_errf(e, opt_sign ? p->path : p->sig, 0, "%s failed: %s", opt_sign ? "gpg --detach-sign" : "gpgv",
			last && *last ? last : "no reason given");
		buf_free(&err);
		return -1;
	}
	buf_free(&err);
	return 0;
}

/* file:// destinations: a hard link when the file system allows, else a
 * copy; either way under a temporary name, then renamed. */

static int
mkdirs(const char *dir, struct dk_err *e)
{
	char *d = strdup(dir), *s;

	if (!d)
		return dk_syserrf(e, dir, 0, "cannot make directory");
	for (s = d + 1; ; s++) {
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

static int
copy_into(const char *src, const char *dst, struct dk_err *e)
{
	struct atomic_file af;
	char b[1 << 16];
	ssize_t n;
	int fd = open(src, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return dk_syserrf(e, src, 0, "cannot open");
	if (atomic_open(&af, dst, 0644, 0, e) < 0) {
		close(fd);
		return -1;
	}
	while ((n = read(fd, b, sizeof b)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			dk_syserrf(e, src, 0, "read error");
			goto fail;
		}
		if (fwrite(b, 1, (size_t)n, af.fp) != (size_t)n) {
			dk_syserrf(e, dst, 0, "write error");
			goto fail;
		}
		prog_state.done += n;
	}
	close(fd);
	return atomic_commit(&af, e);
fail:
	close(fd);
	atomic_abort(&af);
	return -1;
}

/* Returns 1 when skipped (already there), 0 when placed, -1 on error. */
static int
file_put(struct job *j, struct dk_err *e)
{
	const char *dir = file_dir(j->url);
	char *final = NULL, *part = NULL;
	struct stat st, sst;
	int rc = -1;

	if (asprintf(&final, "%s", dir) < 0)
		return dk_syserrf(e, NULL, 0, "out of memory");
	*strrchr(final, '/') = '\0';
	if (*final && mkdirs(final, e) < 0)
		goto out;
	free(final);
	final = strdup(dir);
	if (!final || asprintf(&part, "%s.part", final) < 0) {
		part = NULL;
		dk_syserrf(e, NULL, 0, "out of memory");
		goto out;
	}
	if (stat(final, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size == j->size && !opt_force) {
		rc = 1;
		goto out;
	}
	if (stat(j->src, &sst) == 0 && stat(final, &st) == 0 && st.st_ino == sst.st_ino && st.st_dev == sst.st_dev) {
		rc = 1;		/* it is the very same file */
		goto out;
	}
	unlink(part);
	if (link(j->src, part) == 0) {
		if (rename(part, final) < 0) {
			dk_syserrf(e, final, 0, "cannot rename %s", part);
			unlink(part);
			goto out;
		}
		prog_state.done += (curl_off_t)j->size;
	} else if (copy_into(j->src, final, e) < 0) {
		goto out;
	}
	if (stat(final, &st) < 0 || (uint64_t)st.st_size != j->size) {
		dk_errf(e, final, 0, "has %" PRIu64 " bytes after copying, want %" PRIu64, (uint64_t)st.st_size, j->size);
		goto out;
	}
	rc = 0;
out:
	free(final);
	free(part);
	return rc;
}

/* sftp:// and https:// through libcurl multi. */

static size_t
read_cb(char *b, size_t size, size_t nmemb, void *ctx)
{
	struct job *j = ctx;
	ssize_t n;

	do
		n = read(j->fd, b, size * nmemb);
	while (n < 0 && errno == EINTR);
	return n < 0 ? CURL_READFUNC_ABORT : (size_t)n;
}

static int
seek_cb(void *ctx, curl_off_t off, int origin)
{
	struct job *j = ctx;

	return lseek(j->fd, (off_t)off, origin) < 0 ? CURL_SEEKFUNC_FAIL : CURL_SEEKFUNC_OK;
}

static int
xfer_cb(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	struct job *j = ctx;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	if (j->step == J_UPLOAD && ulnow > j->sent) {
		prog_state.done += ulnow - j->sent;
		j->sent = ulnow;
		show_progress(0);
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
	struct job *j = ctx;

	(void)h;
	(void)known;
	(void)found;
	j->kh = (int)match;
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
	raw = curl_easy_unescape(NULL, p, 0, NULL);
	if (!raw)
		return NULL;
	dec = strdup(raw);
	curl_free(raw);
	return dec;
}

static int
has_user(const char *url)
{
	const char *s = url + 7, *slash = strchr(s, '/'), *at = strchr(s, '@');

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
setup_handle(struct job *j, const char *url)
{
	CURL *h = j->h;

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PRIVATE, j);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, j->errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	/* a stalled server (libssh2 does not always see a dropped sftp
	 * session): nothing moved for opt_stall seconds */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, opt_stall);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard_cb);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, xfer_cb);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, j);
	j->errbuf[0] = '\0';
	j->kh = -1;
	if (j->scheme == S_SFTP) {
		curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "sftp");
		curl_easy_setopt(h, CURLOPT_SSH_AUTH_TYPES, (long)(CURLSSH_AUTH_PUBLICKEY | CURLSSH_AUTH_AGENT));
		if (ssh_identity)
			curl_easy_setopt(h, CURLOPT_SSH_PRIVATE_KEYFILE, ssh_identity);
		curl_easy_setopt(h, CURLOPT_SSH_KNOWNHOSTS, ssh_known_hosts);
		curl_easy_setopt(h, CURLOPT_SSH_KEYFUNCTION, key_cb);
		curl_easy_setopt(h, CURLOPT_SSH_KEYDATA, j);
		if (!has_user(j->url) && ssh_user)
			curl_easy_setopt(h, CURLOPT_USERNAME, ssh_user);
	} else {
		curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
		if (opt_cafile)
			curl_easy_setopt(h, CURLOPT_CAINFO, opt_cafile);
		if (opt_insecure) {
			curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
			curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
		}
	}
}

/* Sets up the job's current step on its handle. Returns 0 or -1. */
static int
start_step(struct job *j, struct dk_err *e)
{
	char *part = NULL;

	switch (j->step) {
	case J_STAT:
	case J_VERIFY:
		setup_handle(j, j->url);
		curl_easy_setopt(j->h, CURLOPT_NOBODY, 1L);
		break;
	case J_STAT_PART:
		if (asprintf(&part, "%s.part", j->url) < 0)
			return dk_syserrf(e, NULL, 0, "out of memory");
		setup_handle(j, part);
		curl_easy_setopt(j->h, CURLOPT_NOBODY, 1L);
		free(part);
		break;
	case J_UPLOAD:
		if (j->fd < 0 && (j->fd = open(j->src, O_RDONLY | O_CLOEXEC)) < 0)
			return dk_syserrf(e, j->src, 0, "cannot open");
		if (lseek(j->fd, 0, SEEK_SET) < 0)
			return dk_syserrf(e, j->src, 0, "cannot seek");
		if (j->scheme == S_SFTP) {
			struct buf cmd = { 0 };
			char *from = NULL, *to = NULL;

			if (asprintf(&part, "%s.part", j->url) < 0)
				return dk_syserrf(e, NULL, 0, "out of memory");
			setup_handle(j, part);
			free(part);
			curl_slist_free_all(j->quote);
			j->quote = NULL;
			if (asprintf(&from, "%s/%s.part", j->rdir, j->name) < 0 || asprintf(&to, "%s/%s", j->rdir, j->name) < 0)
				return dk_syserrf(e, NULL, 0, "out of memory");
			/* SFTP v3 rename does not replace: a forced upload
			 * removes the old file first */
			if (j->exists) {
				buf_adds(&cmd, "rm ");
				quoted(&cmd, to);
				j->quote = curl_slist_append(j->quote, cmd.s);
				buf_reset(&cmd);
			}
			buf_adds(&cmd, "rename ");
			quoted(&cmd, from);
			buf_addc(&cmd, ' ');
			quoted(&cmd, to);
			j->quote = curl_slist_append(j->quote, cmd.s);
			buf_free(&cmd);
			free(from);
			free(to);
			curl_easy_setopt(j->h, CURLOPT_POSTQUOTE, j->quote);
			curl_easy_setopt(j->h, CURLOPT_FTP_CREATE_MISSING_DIRS, (long)CURLFTP_CREATE_DIR);
			curl_easy_setopt(j->h, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)j->resume);
			curl_easy_setopt(j->h, CURLOPT_NEW_FILE_PERMS, 0644L);
		} else {
			/* nginx's PUT writes a temporary file and renames it:
			 * the NAME.part step is the server's own */
			setup_handle(j, j->url);
			j->resume = 0;
		}
		curl_easy_setopt(j->h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(j->h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)j->size);
		curl_easy_setopt(j->h, CURLOPT_READFUNCTION, read_cb);
		curl_easy_setopt(j->h, CURLOPT_READDATA, j);
		curl_easy_setopt(j->h, CURLOPT_SEEKFUNCTION, seek_cb);
		curl_easy_setopt(j->h, CURLOPT_SEEKDATA, j);
		prog_state.done += (curl_off_t)j->resume;
		j->sent = 0;
		break;
	case J_DONE:
		break;
	}
	return 0;
}

/* Why a transfer failed, in words a maintainer can act on. */
static void
transfer_error(struct job *j, CURLcode rc, struct dk_err *e)
{
	const char *what = j->errbuf[0] ? j->errbuf : curl_easy_strerror(rc);

	if (j->kh == CURLKHMATCH_MISMATCH) {
		dk_errf(e, NULL, 0, "%s: host key does not match %s: refused (the host changed its key, or this is an attack)",
			j->url, ssh_known_hosts);
		return;
	}
	if (j->kh == CURLKHMATCH_MISSING) {
		dk_errf(e, NULL, 0, "%s: host key is not in %s: refused (check the key, then add it)", j->url, ssh_known_hosts);
		return;
	}
	switch (rc) {
	case CURLE_LOGIN_DENIED:
		dk_errf(e, NULL, 0, "%s: authentication failed: %s", j->url, what);
		break;
	case CURLE_REMOTE_DISK_FULL:
		dk_errf(e, NULL, 0, "%s: destination full: %s", j->url, what);
		break;
	case CURLE_REMOTE_ACCESS_DENIED:
		dk_errf(e, NULL, 0, "%s: permission denied: %s", j->url, what);
		break;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_GOT_NOTHING:
	case CURLE_SSH:
		dk_errf(e, NULL, 0, "%s: connection dropped: %s%s", j->url, what,
			j->step == J_UPLOAD && j->scheme == S_SFTP ? " (run again to resume the .part file)" : "");
		break;
	default:
		dk_errf(e, NULL, 0, "%s: %s", j->url, what);
		break;
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
stat_result(struct job *j, CURLcode rc, struct dk_err *e)
{
	curl_off_t len = -1;
	long code = 0;

	if (j->scheme == S_SFTP) {
		if (rc == CURLE_REMOTE_FILE_NOT_FOUND)
			return -1;
		if (rc != CURLE_OK) {
			transfer_error(j, rc, e);
			return -2;
		}
	} else {
		if (rc != CURLE_OK) {
			transfer_error(j, rc, e);
			return -2;
		}
		curl_easy_getinfo(j->h, CURLINFO_RESPONSE_CODE, &code);
		if (code == 404)
			return -1;
		if (code < 200 || code > 299) {
			dk_errf(e, NULL, 0, "%s: HTTP status %ld", j->url, code);
			return -2;
		}
	}
	curl_easy_getinfo(j->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
	return len < 0 ? 0 : len;
}

/* Advances a job whose step finished with rc. Returns 1 when it has
 * another step to run, 0 when it is done, -1 when it failed (e set). */
static int
step_done(struct job *j, CURLcode rc, struct dk_err *e)
{
	curl_off_t size;
	long code = 0;

	switch (j->step) {
	case J_STAT:
		if ((size = stat_result(j, rc, e)) == -2)
			return -1;
		if (size == (curl_off_t)j->size && !opt_force) {
			prog_state.done += (curl_off_t)j->size;
			j->step = J_DONE;
			return 0;
		}
		j->exists = size >= 0;
		j->step = j->scheme == S_SFTP ? J_STAT_PART : J_UPLOAD;
		j->resume = 0;
		return 1;
	case J_STAT_PART:
		if ((size = stat_result(j, rc, e)) == -2)
			return -1;
		j->resume = 0;
		if (size > 0 && (uint64_t)size <= j->size && !opt_force) {
			j->resume = (uint64_t)size;
			if (!opt_quiet)
				dk_warn("%s: resuming %s.part at %" CURL_FORMAT_CURL_OFF_T " bytes", j->url, j->name, size);
		}
		j->step = J_UPLOAD;
		return 1;
	case J_UPLOAD:
		if (rc != CURLE_OK) {
			if (transient(rc) && ++j->tries < 3) {
				prog_state.done -= j->sent + (curl_off_t)j->resume;
				j->step = j->scheme == S_SFTP ? J_STAT_PART : J_UPLOAD;
				return 1;
			}
			transfer_error(j, rc, e);
			return -1;
		}
		if (j->scheme == S_HTTP) {
			curl_easy_getinfo(j->h, CURLINFO_RESPONSE_CODE, &code);
			if (code < 200 || code > 299)
				return dk_errf(e, NULL, 0, "%s: PUT refused: HTTP status %ld", j->url, code);
		}
		j->step = J_VERIFY;
		return 1;
	case J_VERIFY:
		if ((size = stat_result(j, rc, e)) == -2)
			return -1;
		if (size != (curl_off_t)j->size)
			return dk_errf(e, NULL, 0, "%s: has %" CURL_FORMAT_CURL_OFF_T " bytes after the upload, want %" PRIu64,
				j->url, size, j->size);
		j->step = J_DONE;
		return 0;
	case J_DONE:
		break;
	}
	return 0;
}

static void
job_finish(struct job *j, int ok, struct dk_err *e)
{
	if (!ok) {
		dk_perr(e);
		j->pkg->failed = 1;
	} else if (j->src == j->pkg->path) {
		j->pkg->urls[j->dest] = j->url;
	}
	prog_state.finished++;
	if (j->fd >= 0) {
		close(j->fd);
		j->fd = -1;
	}
}

/* Runs every job: file:// ones at once, the rest over libcurl multi,
 * at most opt_jobs transfers at a time. */
static void
run_jobs(struct job **jobs, size_t njobs)
{
	CURLM *m = curl_multi_init();
	/* each job is queued once: the signatures when their file is there */
	struct job **queue = calloc(njobs + 1, sizeof *queue);
	size_t head = 0, tail = 0, i;
	long running = 0;
	struct dk_err e;

	if (!m || !queue)
		dk_die(DK_FAIL, "out of memory");
	for (i = 0; i < njobs; i++)
		if (jobs[i]->step != J_DONE)
			queue[tail++] = jobs[i];
	while (head < tail || running > 0) {
		CURLMsg *msg;
		int still, left;

		while (head < tail && running < opt_jobs) {
			struct job *j = queue[head++];

			if (j->scheme == S_FILE) {
				int r = file_put(j, &e);

				j->step = J_DONE;
				job_finish(j, r >= 0, &e);
				if (r >= 0 && j->then) {
					j->then->step = J_STAT;
					queue[tail++] = j->then;
				}
				continue;
			}
			if (!j->h && !(j->h = curl_easy_init()))
				dk_die(DK_FAIL, "out of memory");
			if (start_step(j, &e) < 0) {
				job_finish(j, 0, &e);
				continue;
			}
			curl_multi_add_handle(m, j->h);
			running++;
		}
		curl_multi_perform(m, &still);
		while ((msg = curl_multi_info_read(m, &left))) {
			struct job *j;
			int r;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&j);
			curl_multi_remove_handle(m, j->h);
			r = step_done(j, msg->data.result, &e);
			if (r == 1 && start_step(j, &e) == 0) {
				curl_multi_add_handle(m, j->h);
				continue;
			}
			running--;
			job_finish(j, r == 0, &e);
			if (r == 0 && j->then) {
				j->then->step = J_STAT;
				queue[tail++] = j->then;
			}
		}
		if (running > 0)
			curl_multi_poll(m, NULL, 0, 200, NULL);
		show_progress(0);
	}
	show_progress(1);
	for (i = 0; i < njobs; i++)
		if (jobs[i]->h)
			curl_easy_cleanup(jobs[i]->h);
	curl_multi_cleanup(m);
	free(queue);
}

/* Input. */

static struct pkg *pkgs;
static size_t npkgs, cap_pkgs;

static void
add_path(const char *path)
{
	if (npkgs == cap_pkgs) {
		cap_pkgs = cap_pkgs ? 2 * cap_pkgs : 16;
		if (!(pkgs = realloc(pkgs, cap_pkgs * sizeof *pkgs)))
			dk_die(DK_FAIL, "out of memory");
	}
	memset(&pkgs[npkgs], 0, sizeof *pkgs);
	if (!(pkgs[npkgs++].path = strdup(path)))
		dk_die(DK_FAIL, "out of memory");
}

/* Paths one per line, or dk-build's "TARGET ok PATH..." and
 * "TARGET failed LOG" lines. Returns the number of failed builds. */
static int
read_input(FILE *fp, const char *name)
{
	struct lines l;
	struct dk_err e;
	int failed = 0;

	lines_init(&l, fp, name);
	while (lines_next(&l, &e) >= 0) {
		char *w[64], *save = NULL, *t;
		int n = 0, i;

		for (t = strtok_r(l.line, " \t", &save); t && n < 64; t = strtok_r(NULL, " \t", &save))
			w[n++] = t;
		if (n == 0 || w[0][0] == '#')
			continue;
		if (n == 1) {
			add_path(w[0]);
		} else if (!strcmp(w[1], "ok")) {
			for (i = 2; i < n; i++)
				add_path(w[i]);
		} else if (!strcmp(w[1], "failed")) {
			dk_warn("%s:%ld: %s: build failed, log %s", name, l.lineno, w[0], n > 2 ? w[2] : "(none)");
			failed++;
		} else {
			dk_warn("%s:%ld: not a path or a dk-build result line", name, l.lineno);
			failed++;
		}
	}
	if (e.msg[0]) {
		dk_perr(&e);
		failed++;
	}
	lines_free(&l);
	return failed;
}

/* Two uploads of one name would fight over NAME.part: the second of a
 * published name is refused. Returns 0 or -1 with e set. */
static int
unique_name(size_t i, struct dk_err *e)
{
	size_t k;

	for (k = 0; k < i; k++)
		if (!pkgs[k].failed && pkgs[k].name && !strcmp(pkgs[k].name, pkgs[i].name))
			return dk_errf(e, pkgs[i].path, 0, "published as %s, as %s already is", pkgs[i].name, pkgs[k].path);
	return 0;
}

static char *
home_file(const char *rel)
{
	const char *home = getenv("HOME");
	struct passwd *pw;
	char *s;

	if (!home || !*home)
		home = (pw = getpwuid(getuid())) ? pw->pw_dir : "/";
	if (asprintf(&s, "%s/%s", home, rel) < 0)
		dk_die(DK_FAIL, "out of memory");
	return s;
}

static void
ssh_setup(void)
{
	static const char *const keys[] = { ".ssh/id_ed25519", ".ssh/id_ecdsa", ".ssh/id_rsa", NULL };
	struct passwd *pw = getpwuid(getuid());
	size_t i;

	ssh_user = pw ? strdup(pw->pw_name) : NULL;
	ssh_known_hosts = opt_known_hosts ? strdup(opt_known_hosts) : home_file(".ssh/known_hosts");
	if (opt_identity) {
		ssh_identity = strdup(opt_identity);
		return;
	}
	for (i = 0; keys[i]; i++) {
		char *k = home_file(keys[i]);

		if (access(k, R_OK) == 0) {
			ssh_identity = k;
			return;
		}
		free(k);
	}
}

static void
cleanup_sigdir(void)
{
	size_t i;

	if (!have_sigdir || !sigdir)
		return;
	for (i = 0; i < npkgs; i++)
		if (opt_sign && pkgs[i].sig)
			unlink(pkgs[i].sig);
	rmdir(sigdir);
	free(sigdir);
	sigdir = NULL;
}

/* ^C while signing or uploading: the signatures made so far go (unlink
 * and rmdir are async-signal-safe); remote .part files stay, to resume. */
static void
on_signal(int sig)
{
	size_t i;

	(void)sig;
	for (i = 0; opt_sign && i < npkgs; i++)
		if (pkgs[i].sig)
			unlink(pkgs[i].sig);
	if (sigdir)
		rmdir(sigdir);
	_exit(130);
}

/* Destinations from the configuration: a -d that is a name (no "://", not
 * a path) is looked up under "destinations:"; with no -d at all, every
 * configured one is used. The file is read only when needed. Returns 0 or
 * -1 with e set. */
static int
config_dests(struct dk_err *e)
{
	struct config cfg;
	const struct cfg_node *dn;
	size_t d, k, named = 0;

	for (d = 0; d < ndests; d++)
		named += !strstr(dests[d], "://") && dests[d][0] != '/';
	if (ndests && !named)
		return 0;
	if (config_load(&cfg, opt_config, e) < 0)
		return -1;
	dn = cfg_member(&cfg.root, "destinations");
	if (dn && cfg_expect(dn, CFG_MAP, "destinations", e) < 0)
		goto fail;
	for (k = 0; dn && k < dn->n; k++)
		if (cfg_expect(&dn->kids[k], CFG_SCALAR, dn->kids[k].key, e) < 0)
			goto fail;
	if (ndests == 0) {
		for (k = 0; dn && k < dn->n; k++) {
			char *u = strdup(dn->kids[k].value);

			if (!u || !(dests = realloc(dests, (ndests + 1) * sizeof *dests))) {
				free(u);
				goto nomem;
			}
			dests[ndests++] = u;
			buf_add(&dest_store, &u, sizeof u);
		}
	} else {
		for (d = 0; d < ndests; d++) {
			const struct cfg_node *u;

			if (strstr(dests[d], "://") || dests[d][0] == '/')
				continue;
			if (!(u = cfg_member(dn, dests[d]))) {
				dk_errf(e, cfg.path ? cfg.path : "configuration", 0,
					"no destination named %s under destinations:", dests[d]);
				goto fail;
			}
			if (!(dests[d] = strdup(u->value)))
				goto nomem;
			buf_add(&dest_store, &dests[d], sizeof dests[d]);
		}
	}
	config_free(&cfg);
	return 0;
nomem:
	dk_syserrf(e, NULL, 0, "destinations");
fail:
	config_free(&cfg);
	return -1;
}

int
main(int argc, char *argv[])
{
	struct job **jobs = NULL;
	size_t njobs = 0, i, d;
	int c, status = DK_OK, failed_builds = 0;
	struct dk_err e;
	char *endp;

	dk_setprog(argv[0]);
	while ((c = getopt(argc, argv, "a:C:c:d:fH:hi:j:K:knqSst:u:V")) != -1) {
		switch (c) {
		case 'a': opt_arch = optarg; break;
		case 'C': opt_cafile = optarg; break;
		case 'c': opt_config = optarg; break;
		case 'd':
			if (!(dests = realloc(dests, (ndests + 1) * sizeof *dests)))
				dk_die(DK_FAIL, "out of memory");
			dests[ndests++] = optarg;
			break;
		case 'f': opt_force = 1; break;
		case 'H': opt_known_hosts = optarg; break;
		case 'h': usage(); return dk_close_stdout();
		case 'i': opt_identity = optarg; break;
		case 'j':
			opt_jobs = strtol(optarg, &endp, 10);
			if (*endp || opt_jobs < 1 || opt_jobs > 64) {
				dk_warn("-j %s: want a number from 1 to 64", optarg);
				return DK_USAGE;
			}
			break;
		case 'K': opt_keyring = optarg; break;
		case 'k': opt_insecure = 1; break;
		case 'n': opt_dry = 1; break;
		case 'q': opt_quiet = 1; break;
		case 'S': opt_verify_sigs = 1; break;
		case 's': opt_sign = 1; break;
		case 't':
			opt_stall = strtol(optarg, &endp, 10);
			if (*endp || opt_stall < 1 || opt_stall > 86400) {
				dk_warn("-t %s: want seconds from 1 to 86400", optarg);
				return DK_USAGE;
			}
			break;
		case 'u': opt_keyid = optarg; break;
		case 'V': printf("dk-push %s\n", DK_VERSION); return dk_close_stdout();
		default: usage(); return DK_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (config_dests(&e) < 0) {
		dk_perr(&e);
		return DK_FAIL;
	}
	if (ndests == 0) {
		dk_warn("no destination: give one or more -d URL, or name them under destinations: in the configuration");
		usage();
		return DK_USAGE;
	}
	if (opt_sign && opt_verify_sigs) {
		dk_warn("-s and -S exclude each other");
		return DK_USAGE;
	}
	for (d = 0; d < ndests; d++) {
		enum scheme s = scheme_of(dests[d]);

		if (s == S_FILE && strncmp(dests[d], "file:///", 8) != 0 && dests[d][0] != '/') {
			dk_warn("-d %s: want an sftp://, https://, http:// or file:/// URL", dests[d]);
			return DK_USAGE;
		}
		if (dests[d][0] == '/') {
			char *u;

			if (asprintf(&u, "file://%s", dests[d]) < 0)
				dk_die(DK_FAIL, "out of memory");
			dests[d] = u;
			buf_add(&dest_store, &u, sizeof u);
		}
	}
	progress = !opt_quiet && isatty(2);
	signal(SIGPIPE, SIG_IGN);

	if (argc == 0 || (argc == 1 && !strcmp(argv[0], "-")))
		failed_builds = read_input(stdin, "<stdin>");
	else
		for (i = 0; i < (size_t)argc; i++)
			add_path(argv[i]);
	if (failed_builds)
		status = DK_FAIL;

	if (opt_sign && !opt_dry) {
		const char *tmp = getenv("TMPDIR");

		if (asprintf(&sigdir, "%s/dk-push.XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0)
			dk_die(DK_FAIL, "out of memory");
		if (!mkdtemp(sigdir))
			dk_die(DK_FAIL, "cannot make a temporary directory: %s", strerror(errno));
		have_sigdir = 1;
		atexit(cleanup_sigdir);
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
	}

	/* Everything is checked before anything leaves the machine. */
	for (i = 0; i < npkgs; i++) {
		struct pkg *p = &pkgs[i];

		if (check_pkg(p, &e) < 0 || unique_name(i, &e) < 0 ||
		    ((opt_sign || opt_verify_sigs) && !opt_dry && sign_pkg(p, &e) < 0)) {
			dk_perr(&e);
			p->failed = 1;
			status = DK_FAIL;
		} else if (opt_dry && (opt_sign || opt_verify_sigs)) {
			/* nothing is signed in a dry run: name what would be */
			if (asprintf(&p->sig, opt_sign ? "(new signature of %s)" : "%s.sig", p->path) < 0)
				dk_die(DK_FAIL, "out of memory");
		}
	}

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		dk_die(DK_FAIL, "cannot start libcurl");
	ssh_setup();
	for (i = 0; i < npkgs; i++) {
		struct pkg *p = &pkgs[i];

		if (p->failed)
			continue;
		if (!(p->urls = calloc(ndests, sizeof *p->urls)))
			dk_die(DK_FAIL, "out of memory");
		for (d = 0; d < ndests; d++) {
			char *dir = expand(dests[d], p, &e);
			struct job *j[2] = { NULL, NULL };
			int k, nk = p->sig ? 2 : 1;

			if (!dir) {
				dk_perr(&e);
				p->failed = 1;
				status = DK_FAIL;
				continue;
			}
			for (k = 0; k < nk; k++) {
				struct stat st;

				if (!(j[k] = calloc(1, sizeof *j[k])))
					dk_die(DK_FAIL, "out of memory");
				j[k]->pkg = p;
				j[k]->dest = d;
				j[k]->fd = -1;
				j[k]->scheme = scheme_of(dir);
				j[k]->src = k ? p->sig : p->path;
				if (k == 0)
					j[k]->size = p->size;
				else if (stat(p->sig, &st) == 0)
					j[k]->size = (uint64_t)st.st_size;
				if (asprintf(&j[k]->name, "%s%s", p->name, k ? ".sig" : "") < 0 ||
				    asprintf(&j[k]->url, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", j[k]->name) < 0)
					dk_die(DK_FAIL, "out of memory");
				if (j[k]->scheme == S_SFTP) {
					char *path = sftp_path(j[k]->url), *slash;

					if (!path)
						dk_die(DK_FAIL, "out of memory");
					slash = strrchr(path, '/');
					if (slash)
						*slash = '\0';
					else
						*path = '\0';
					j[k]->rdir = path;
				}
				if (opt_dry)
					printf("%s -> %s\n", j[k]->src, j[k]->url);
				if (!(jobs = realloc(jobs, (njobs + 1) * sizeof *jobs)))
					dk_die(DK_FAIL, "out of memory");
				jobs[njobs++] = j[k];
				prog_state.total += (curl_off_t)j[k]->size;
				prog_state.files++;
			}
			if (j[1]) {
				j[0]->then = j[1];
				j[1]->step = J_DONE;	/* queued by j[0] when it is there */
			}
			free(dir);
		}
	}

	if (!opt_dry) {
		run_jobs(jobs, njobs);
		for (i = 0; i < npkgs; i++) {
			if (pkgs[i].failed) {
				status = DK_FAIL;
				continue;
			}
			printf("%s", pkgs[i].name);
			for (d = 0; d < ndests; d++)
				printf(" %s", pkgs[i].urls[d]);
			putchar('\n');
		}
	}

	for (i = 0; i < njobs; i++) {
		curl_slist_free_all(jobs[i]->quote);
		free(jobs[i]->name);
		free(jobs[i]->url);
		free(jobs[i]->rdir);
		free(jobs[i]);
	}
	free(jobs);
	cleanup_sigdir();
	have_sigdir = 0;
	for (i = 0; i < npkgs; i++) {
		free(pkgs[i].path);
		free(pkgs[i].name);
		free(pkgs[i].arch);
		free(pkgs[i].sig);
		free(pkgs[i].urls);
		gpkg_name_free(&pkgs[i].n);
	}
	free(pkgs);
	free(dests);
	for (i = 0; i < dest_store.len / sizeof(char *); i++)
		free(((char **)(void *)dest_store.s)[i]);
	buf_free(&dest_store);
	free(ssh_user);
	free(ssh_identity);
	free(ssh_known_hosts);
	curl_global_cleanup();
	if (dk_close_stdout() != DK_OK)
		return DK_FAIL;
	return status;
}
