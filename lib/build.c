/* dk: a kernel build's container and its packages. GPL-2.0-only. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "build.h"
#include "dirs.h"
#include "lines.h"
#include "log.h"
#include "tar.h"

const char *
build_duration(long s, char out[32])
{
	if (s && s % 86400 == 0)
		snprintf(out, 32, "%ldd", s / 86400);
	else if (s && s % 3600 == 0)
		snprintf(out, 32, "%ldh", s / 3600);
	else if (s && s % 60 == 0)
		snprintf(out, 32, "%ldm", s / 60);
	else
		snprintf(out, 32, "%lds", s);
	return out;
}

static int
to_buf(void *ctx, const void *p, size_t n, struct dk_err *e)
{
	if (buf_add(ctx, p, n) < 0)
		return dk_syserrf(e, NULL, 0, "archive");
	return 0;
}

/* The file at path as a one-member tar (name, mode 0600), for the
 * archive PUT: the signing key, local.diff. */
static int
file_tar(const char *path, const char *name, struct buf *out, struct dk_err *e)
{
	struct buf key = { 0 };
	struct tar_writer w;
	int r;

	if (read_file(path, &key, e) < 0)
		return -1;
	tar_writer_init(&w, to_buf, out);
	r = tar_add_mem(&w, name, 0600, key.s, key.len, e);
	if (r == 0)
		r = tar_writer_finish(&w, e);
	/* the key's bytes leave no copy behind in our memory */
	if (key.s)
		memset(key.s, 0, key.len);
	buf_free(&key);
	return r;
}

/* The log follower's state: output time for the stall limit, the line
 * being assembled for the status. */
struct follow {
	struct build_run *r;
	time_t start, last;
	char line[160];
	size_t len;
	int write_failed;
};

static int
sink(void *ctx, const char *p, size_t n)
{
	struct follow *f = ctx;
	size_t i;

	f->last = time(NULL);
	if (fwrite(p, 1, n, f->r->log) != n) {
		f->write_failed = 1;
		return -1;
	}
	for (i = 0; i < n && f->r->line; i++) {
		if (p[i] == '\n' || p[i] == '\r') {
			if (f->len) {
				f->line[f->len] = '\0';
				f->r->line(f->r->line_ctx, f->line);
			}
			f->len = 0;
		} else if (f->len < sizeof f->line - 1) {
			f->line[f->len++] = (unsigned char)p[i] < ' ' ? ' ' : p[i];
		}
	}
	return 0;
}

/* Asked by the engine client once a second: has a limit passed? */
static int
watch(void *ctx)
{
	struct follow *f = ctx;
	time_t now = time(NULL);

	if (f->r->timeout > 0 && now - f->start >= f->r->timeout) {
		f->r->end = BUILD_TIMEOUT;
		return 1;
	}
	if (f->r->stall > 0 && now - f->last >= f->r->stall) {
		f->r->end = BUILD_STALL;
		return 1;
	}
	return 0;
}

int
build_container(struct build_run *r, struct dk_err *e)
{
	struct buf conf = { 0 }, keytar = { 0 };
	struct follow f = { .r = r };
	int ret = -1;

	r->id = NULL;
	r->code = -1;
	r->end = BUILD_EXITED;
	r->ran = 0;
	if (engine_container_json(r->spec, &conf) < 0) {
		dk_syserrf(e, NULL, 0, "%s", r->name);
		goto out;
	}
	if (engine_create(r->en, r->name, conf.s, &r->id, e) < 0)
		goto out;
	/* The key goes into this container only, before it starts. */
	if (file_tar(r->key, "signing_key.pem", &keytar, e) < 0 || engine_put_archive(r->en, r->id, "/tmp", keytar.s, keytar.len, e) < 0)
		goto out;
	log_line(r->log, "%s: running in container %.12s", r->en->url, r->id);
	f.start = f.last = time(NULL);
	if (engine_start(r->en, r->id, e) < 0)
		goto out;
	if (engine_logs_watch(r->en, r->id, sink, &f, watch, &f, e) < 0) {
		if (r->end == BUILD_EXITED)
			goto out;
		/* a limit: the container is stopped here, not by its end */
		engine_kill(r->en, r->id, e);
		r->ran = (long)(time(NULL) - f.start);
		fflush(r->log);
		ret = 0;
		goto out;
	}
	fflush(r->log);
	if (f.write_failed) {
		dk_syserrf(e, NULL, 0, "%s: cannot write the log", r->name);
		goto out;
	}
	if (engine_wait(r->en, r->id, &r->code, e) < 0)
		goto out;
	r->ran = (long)(time(NULL) - f.start);
	ret = 0;
out:
	if (keytar.s)
		memset(keytar.s, 0, keytar.len);
	buf_free(&keytar);
	buf_free(&conf);
	return ret;
}

int
build_probe_devices(struct engine *en, const char *image, const char *label, char *const *dev, int steve,
	struct dk_err *e)
{
	char *devs[64], *cmd[] = { "/bin/sh", "-c", "true", NULL }, lab[128], *labels[] = { lab, NULL };
	struct engine_spec sp = { .image = image, .cmd = cmd, .labels = labels, .devices = devs };
	struct buf conf = { 0 };
	struct dk_err e2;
	char *id = NULL;
	size_t n = 0;
	int code = 0, ret = -1;

	for (; dev && dev[n] && n < 62; n++)
		devs[n] = dev[n];
	if (steve)
		devs[n++] = "/dev/steve";
	devs[n] = NULL;
	snprintf(lab, sizeof lab, "%s=1", label);
	if (engine_container_json(&sp, &conf) < 0)
		return dk_syserrf(e, NULL, 0, "devices");
	if (engine_create(en, NULL, conf.s, &id, e) == 0 && engine_start(en, id, e) == 0 &&
	    engine_wait(en, id, &code, e) == 0)
		ret = 0;
	if (id)
		engine_remove(en, id, &e2);
	free(id);
	buf_free(&conf);
	return ret;
}

/* The output of a probe, kept to 64 KiB: enough for patch's complaint. */
static int
to_capped(void *ctx, const char *p, size_t n)
{
	struct buf *b = ctx;

	if (b->len < 65536 && buf_add(b, p, n < 65536 - b->len ? n : 65536 - b->len) < 0)
		return -1;
	return 0;
}

int
build_probe_diff(struct engine *en, const char *image, const char *label, const char *diff, const char *dir,
	struct buf *out, struct dk_err *e)
{
	char sh[PATH_MAX + 128], *cmd[] = { "/bin/sh", "-c", sh, NULL }, lab[128], *labels[] = { lab, NULL };
	struct engine_spec sp = { .image = image, .cmd = cmd, .labels = labels };
	struct buf conf = { 0 }, tar = { 0 };
	struct dk_err e2;
	char *id = NULL;
	int code = 0, ret = -1;

	/* the kernel image's patch(1) line, as a dry run: GNU and busybox
	 * patch both know --dry-run, and no question is asked (stdin) */
	if (snprintf(sh, sizeof sh, "cd '%s' && exec patch --dry-run -p1 -E -i /tmp/dk-local.diff </dev/null 2>&1",
		dir) >= (int)sizeof sh || strchr(dir, '\''))
		return dk_errf(e, NULL, 0, "%s: no directory for a shell", dir);
	snprintf(lab, sizeof lab, "%s=1", label);
	if (engine_container_json(&sp, &conf) < 0)
		return dk_syserrf(e, NULL, 0, "local.diff");
	if (file_tar(diff, "dk-local.diff", &tar, e) == 0 && engine_create(en, NULL, conf.s, &id, e) == 0 &&
	    engine_put_archive(en, id, "/tmp", tar.s, tar.len, e) == 0 && engine_start(en, id, e) == 0 &&
	    engine_logs(en, id, to_capped, out, e) == 0 && engine_wait(en, id, &code, e) == 0)
		ret = code != 0;
	if (id)
		engine_remove(en, id, &e2);
	free(id);
	buf_free(&tar);
	buf_free(&conf);
	return ret;
}

/* ---- collecting ---- */

struct feed {
	struct tar_reader *r;
	struct dk_err *e;
};

static int
feed(void *ctx, const char *p, size_t n)
{
	struct feed *x = ctx;

	return tar_feed(x->r, p, n, x->e);
}

/* a/b (b may be "") into out; -1 when it does not fit. */
static int
join(char out[PATH_MAX], const char *a, const char *b)
{
	int n = snprintf(out, PATH_MAX, "%s%s%s", a, *a && *b ? "/" : "", b);

	return n < 0 || n >= PATH_MAX ? -1 : 0;
}

/* Moves the .gpkg.tar files under dir/rel into dest/rel. */
static int
move_tree(const char *dir, const char *rel, const char *dest, struct buf *paths, struct dk_err *e)
{
	char p[PATH_MAX], q[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int ret = 0;

	if (join(p, dir, rel) < 0)
		return dk_errf(e, dir, 0, "path too long");
	if (!(d = opendir(p)))
		return dk_syserrf(e, p, 0, "cannot open");
	while (ret == 0 && (de = readdir(d))) {
		char sub[PATH_MAX];
		struct stat st;
		size_t l = strlen(de->d_name);

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (join(sub, rel, de->d_name) < 0 || join(p, dir, sub) < 0) {
			ret = dk_errf(e, dir, 0, "path too long");
		} else if (lstat(p, &st) < 0) {
			ret = dk_syserrf(e, p, 0, "cannot stat");
		} else if (S_ISDIR(st.st_mode)) {
			ret = move_tree(dir, sub, dest, paths, e);
		} else if (S_ISREG(st.st_mode) && l > 9 && !strcmp(de->d_name + l - 9, ".gpkg.tar")) {
			if (join(q, dest, rel) < 0 || join(q, dest, sub) < 0) {
				ret = dk_errf(e, dest, 0, "path too long");
				break;
			}
			if (join(q, dest, rel) < 0 || dirs_make(q, 0755, e) < 0 || join(q, dest, sub) < 0)
				ret = -1;
			else if (rename(p, q) < 0)
				ret = dk_syserrf(e, q, 0, "cannot rename");
			else
				buf_printf(paths, "%s%s", paths->len ? " " : "", q);
		}
	}
	closedir(d);
	return ret;
}

static void
remove_tree(const char *path)
{
	struct dirent *de;
	DIR *d = opendir(path);

	while (d && (de = readdir(d))) {
		char p[PATH_MAX];
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (join(p, path, de->d_name) < 0)
			continue;
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			remove_tree(p);
		else
			unlink(p);
	}
	if (d)
		closedir(d);
	rmdir(path);
}

int
build_collect(struct engine *en, const char *id, const char *path, const char *dest, struct buf *paths,
	struct dk_err *e)
{
	char stage[PATH_MAX];
	struct feed x = { .e = e };
	struct dirent *de;
	DIR *d;
	int ret = -1;

	if (dirs_make(dest, 0755, e) < 0)
		return -1;
	if (snprintf(stage, sizeof stage, "%s/.dk-stage.XXXXXX", dest) >= (int)sizeof stage)
		return dk_errf(e, dest, 0, "path too long");
	if (!mkdtemp(stage))
		return dk_syserrf(e, stage, 0, "cannot create");
	if (!(x.r = tar_extract_reader(stage, en->url, e)))
		goto clean;
	if (engine_get_archive(en, id, path, feed, &x, e) < 0) {
		/* nothing there: the build never got so far */
		ret = strstr(e->msg, ": 404 ") || strstr(e->msg, "No such") || strstr(e->msg, "no such") ? 1 : -1;
		goto clean;
	}
	if (tar_finish(x.r, e) < 0)
		goto clean;
	/* below the archive's own top directory (path's last component) */
	if (!(d = opendir(stage))) {
		dk_syserrf(e, stage, 0, "cannot open");
		goto clean;
	}
	ret = 0;
	while (ret == 0 && (de = readdir(d))) {
		char top[PATH_MAX];

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		ret = join(top, stage, de->d_name) < 0 ? dk_errf(e, stage, 0, "path too long")
						   : move_tree(top, "", dest, paths, e);
	}
	closedir(d);
clean:
	tar_reader_free(x.r);
	remove_tree(stage);
	return ret;
}

int
build_log_has(const char *path, long from, const char *pattern)
{
	size_t pl = strlen(pattern), keep = 0;
	char buf[65536 + 1024];
	FILE *fp;
	int found = 0;

	if (!pl || pl > 1024 || !(fp = fopen(path, "r")))
		return 0;
	if (fseek(fp, from, SEEK_SET) < 0) {
		fclose(fp);
		return 0;
	}
	for (;;) {
		size_t n = fread(buf + keep, 1, 65536, fp);

		if (n == 0)
			break;
		n += keep;
		if (memmem(buf, n, pattern, pl)) {
			found = 1;
			break;
		}
		keep = pl - 1 < n ? pl - 1 : n;
		memmove(buf, buf + n - keep, keep);
	}
	fclose(fp);
	return found;
}

int
build_kernel_packages(struct engine *en, const char *id, const char *pkgdir, int code, const char *dest,
	struct buf *paths, struct dk_err *e)
{
	char kept[PATH_MAX];
	int c;

	if (snprintf(kept, sizeof kept, "%s.kernel", pkgdir) >= (int)sizeof kept)
		return dk_errf(e, pkgdir, 0, "path too long");
	c = build_collect(en, id, kept, dest, paths, e);
	if (c == 1 && code == 0)
		c = build_collect(en, id, pkgdir, dest, paths, e);
	if (c < 0)
		return -1;
	if (!paths->len && code == 0)
		return dk_errf(e, NULL, 0, "no .gpkg.tar in %s", pkgdir);
	return 0;
}
