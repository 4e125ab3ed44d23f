/* dk-build: build kernel binary packages in containers on a pool of Docker
 * engines, through the Engine API. GPL-2.0-only. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>

#include "buf.h"
#include "config.h"
#include "diff.h"
#include "engine.h"
#include "hash.h"
#include "lines.h"
#include "prog.h"
#include "spawn.h"
#include "tar.h"

static void
usage(void)
{
	fputs("usage: dk-build [-Kq] [-c file] [-d diff] [-j jobs] [-k key] [-L logdir] [-r retries] [target ...]\n"
	      "       dk-build [-c file] status\n"
	      "       dk-build [-a] [-c file] prune\n", stdout);
}

enum kind { DEPS, KERNEL };

struct arch;

struct host {
	char *url;
	struct engine en;
	int up;			/* engine_open worked */
	char why[1024];		/* why not */
	pthread_mutex_t images;	/* one image build at a time per host */
};

struct arch {
	const char *name;
	const struct cfg_node *node;
	struct host **hosts;	/* usable: reachable, right arch */
	size_t nhosts;
	char *why;		/* why none is usable */
	char **engine_arch;
};

struct target {
	char *name;
	enum kind kind;
	struct arch *arch;
	char *pkg, *series;
	int attempts;
	struct host *avoid;	/* retry elsewhere when the pool allows */
	int state;		/* 0 pending, 1 running, 2 done */
};

/* A running container, for the status block and for clean-up. */
struct slot {
	struct host *host;
	struct target *t;
	time_t start;
	char last[160];
};

static struct {
	struct config cfg;
	const char *key, *diff, *logdir;
	char *binpkgroot, *diffsum;
	int jobs, retries, keep, quiet, tty;
	struct host *hosts;
	size_t nhosts;
	struct arch *arches;
	size_t narches;
	struct target *targets;
	size_t ntargets, ndone;
	int failed;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct slot *slots;
	size_t nslots;
	int status_lines;
	char *snapshot;		/* gentoo.tar made once */
	char *snapshot_tree;
	pthread_mutex_t snap_mu;
} g = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.cv = PTHREAD_COND_INITIALIZER,
	.snap_mu = PTHREAD_MUTEX_INITIALIZER,
};

static volatile sig_atomic_t cancelled;

static const char *
cstr(const struct cfg_node *n, const char *key)
{
	const char *s = cfg_str(cfg_member(n, key));

	return s ? s : "";
}

/* A setting of the arch, else the global one. */
static const struct cfg_node *
setting(const struct arch *a, const char *key)
{
	const struct cfg_node *n = a ? cfg_member(a->node, key) : NULL;

	return n ? n : cfg_member(&g.cfg.root, key);
}

static int
sha256_hex(const void *p, size_t n, char out[65], struct dk_err *e)
{
	struct hash_set h = { 0 };
	struct hash_result r;

	if (hash_init(&h, HASH_SHA256, e) < 0 || hash_update(&h, p, n, e) < 0 || hash_final(&h, &r, e) < 0) {
		hash_free(&h);
		return -1;
	}
	memcpy(out, r.sha256, 65);
	return 0;
}

/* Appends a length-prefixed field, so "ab"+"c" differs from "a"+"bc". */
static void
digest_add(struct buf *b, const char *s)
{
	buf_printf(b, "%zu:", strlen(s));
	buf_adds(b, s);
}

static int
mkdirs(const char *path, struct dk_err *e)
{
	char p[PATH_MAX], *s;

	if (snprintf(p, sizeof p, "%s", path) >= (int)sizeof p)
		return dk_errf(e, path, 0, "path too long");
	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return dk_syserrf(e, p, 0, "cannot make directory");
		*s = '/';
	}
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		return dk_syserrf(e, p, 0, "cannot make directory");
	return 0;
}

/* ---- targets ---- */

static struct arch *
find_arch(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < g.narches; i++)
		if (strlen(g.arches[i].name) == len && !strncmp(g.arches[i].name, name, len))
			return &g.arches[i];
	return NULL;
}

static int
is_series(const char *s)
{
	int dots = 0;

	if (!*s || *s == '.')
		return 0;
	for (; *s; s++) {
		if (*s == '.')
			dots++;
		else if (*s < '0' || *s > '9')
			return 0;
	}
	return dots == 1 && s[-1] != '.';
}

/* Parses name into t; 0, or -1 when it is no known form. */
static int
parse_target(const char *name, struct target *t, char **packages)
{
	size_t n = strlen(name), i, best = 0;
	const char *rest;
	struct arch *a = NULL;

	memset(t, 0, sizeof *t);
	if (!strncmp(name, "build-", 6) && n > 18 && !strcmp(name + n - 12, "-kernel-deps")) {
		if (!(a = find_arch(name + 6, n - 18)))
			return -1;
		t->kind = DEPS;
		t->arch = a;
		t->name = strdup(name);
		return 0;
	}
	/* the longest arch name that prefixes it: "amd64-musl-…" */
	for (i = 0; i < g.narches; i++) {
		size_t l = strlen(g.arches[i].name);

		if (l > best && !strncmp(name, g.arches[i].name, l) && name[l] == '-') {
			best = l;
			a = &g.arches[i];
		}
	}
	if (!a)
		return -1;
	rest = name + best + 1;
	for (i = 0; packages[i]; i++) {
		size_t l = strlen(packages[i]);

		if (!strncmp(rest, packages[i], l) && rest[l] == '-' && is_series(rest + l + 1)) {
			t->kind = KERNEL;
			t->arch = a;
			t->name = strdup(name);
			t->pkg = strdup(packages[i]);
			t->series = strdup(rest + l + 1);
			return 0;
		}
	}
	return -1;
}

static void __attribute__((noreturn))
bad_target(const char *name, char **packages)
{
	size_t i;

	fprintf(stderr, "%s: unknown target '%s'; the valid forms are:\n"
		"  ARCH-PKG-SERIES (e.g. amd64-gentoo-kernel-6.6), build-ARCH-kernel-deps, status, prune\n"
		"  ARCH:", dk_prog, name);
	for (i = 0; i < g.narches; i++)
		fprintf(stderr, " %s", g.arches[i].name);
	fputs("\n  PKG:", stderr);
	for (i = 0; packages[i]; i++)
		fprintf(stderr, " %s", packages[i]);
	fputs("\n  SERIES: MAJOR.MINOR, e.g. 6.6\n", stderr);
	exit(DK_USAGE);
}

/* ---- logs, status ---- */

static char *
log_path(const struct target *t)
{
	char *p;

	if (asprintf(&p, "%s/%s.log", g.logdir, t->name) < 0)
		return NULL;
	return p;
}

/* The live block on a terminal: one line per running container. */
static void
status_draw(void)
{
	time_t now = time(NULL);
	size_t i;
	int n = 0;

	if (!g.tty)
		return;
	if (g.status_lines)
		fprintf(stderr, "\033[%dA", g.status_lines);
	for (i = 0; i < g.nslots; i++) {
		struct slot *s = &g.slots[i];

		if (!s->t)
			continue;
		fprintf(stderr, "\033[K%-32s %-28.28s %4lds  %.60s\n", s->t->name, s->host->url,
			(long)(now - s->start), s->last);
		n++;
	}
	for (; n < g.status_lines; n++)
		fputs("\033[K\n", stderr);
	fflush(stderr);
	g.status_lines = n;
}

/* Prints a result line (under g.mu) above the status block. */
static void
result(struct target *t, int ok, const char *paths)
{
	char *lp = log_path(t);

	if (g.tty && g.status_lines) {
		fprintf(stderr, "\033[%dA\033[J", g.status_lines);
		g.status_lines = 0;
	}
	if (ok)
		printf("%s ok%s%s\n", t->name, paths && *paths ? " " : "", paths ? paths : "");
	else
		printf("%s failed %s\n", t->name, lp ? lp : "");
	fflush(stdout);
	free(lp);
	if (!ok)
		g.failed = 1;
}

struct logsink {
	FILE *fp;
	struct slot *slot;
	char line[160];
	size_t len;
};

static int
log_sink(void *ctx, const char *p, size_t n)
{
	struct logsink *ls = ctx;
	size_t i;

	if (fwrite(p, 1, n, ls->fp) != n)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] == '\n' || p[i] == '\r') {
			if (ls->len && ls->slot) {
				ls->line[ls->len] = '\0';
				pthread_mutex_lock(&g.mu);
				memcpy(ls->slot->last, ls->line, ls->len + 1);
				pthread_mutex_unlock(&g.mu);
			}
			ls->len = 0;
		} else if (ls->len < sizeof ls->line - 1) {
			ls->line[ls->len++] = (unsigned char)p[i] < ' ' ? ' ' : p[i];
		}
	}
	return 0;
}

/* Whether the log at path holds pattern after offset from, read in
 * pieces: flat memory. */
static int
log_matches(const char *path, long from, const char *pattern)
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

/* ---- images ---- */

/* A Dockerfile template from the configured directory; with the default
 * one not installed, from contrib/docker beside the program's build tree,
 * so that dk-build runs uninstalled too. */
static int
read_template(const char *name, struct buf *b, struct dk_err *e)
{
	const struct cfg_node *n = cfg_member(&g.cfg.root, "dockerfiles");
	char *dir = config_path(cfg_str(n) ? cfg_str(n) : ""), *p = NULL, exe[PATH_MAX];
	ssize_t l;
	int r;

	if (!dir || asprintf(&p, "%s/%s", dir, name) < 0) {
		free(dir);
		return dk_syserrf(e, NULL, 0, "%s", name);
	}
	r = read_file(p, b, e);
	if (r < 0 && errno == ENOENT && n && n->line && !strcmp(n->file, "<defaults>") &&
	    (l = readlink("/proc/self/exe", exe, sizeof exe - 1)) > 0) {
		const char *up[] = { "..", "../.." };	/* cmd/, asan/cmd/ */
		char *slash, *q;
		size_t i;

		exe[l] = '\0';
		if ((slash = strrchr(exe, '/')))
			*slash = '\0';
		for (i = 0; i < 2 && r < 0; i++) {
			if (asprintf(&q, "%s/%s/contrib/docker/%s", exe, up[i], name) < 0)
				break;
			if (access(q, R_OK) == 0)
				r = read_file(q, b, e);
			free(q);
		}
	}
	free(dir);
	free(p);
	return r;
}

/* The gentoo.git snapshot of the diff base: its tree id (for the image
 * digest), and with archive set its "git archive" (only for a build);
 * each made once. */
static int
snapshot(int archive, struct dk_err *e)
{
	char *repo = config_path(cstr(&g.cfg.root, "repo")), *tmp = NULL, *spec = NULL;
	const char *base = cstr(&g.cfg.root, "base");
	struct buf out = { 0 }, err = { 0 };
	int st, fd, ret = -1;

	pthread_mutex_lock(&g.snap_mu);
	if (!repo) {
		dk_syserrf(e, NULL, 0, "snapshot");
		goto done;
	}
	if (!g.snapshot_tree) {
		char *argv[] = { "git", "-C", repo, "rev-parse", "--verify", "-q", NULL, NULL };

		if (asprintf(&spec, "%s^{tree}", base) < 0) {
			spec = NULL;
			dk_syserrf(e, NULL, 0, "snapshot");
			goto done;
		}
		argv[6] = spec;
		st = spawn_run(argv, NULL, NULL, &out, &err, e);
		if (st != 0) {
			if (st > 0)
				dk_errf(e, NULL, 0, "%s: no git revision '%s' (config keys repo, base)", repo, base);
			goto done;
		}
		out.len = strcspn(buf_str(&out), "\n");
		if (!(g.snapshot_tree = strndup(buf_str(&out), out.len))) {
			dk_syserrf(e, NULL, 0, "snapshot");
			goto done;
		}
	}
	if (archive && !g.snapshot) {
		char *argv[] = { "git", "-C", repo, "archive", "--format=tar", "-o", NULL, g.snapshot_tree, NULL };

		if (asprintf(&tmp, "%s/.dk-gentoo.XXXXXX", g.logdir) < 0) {
			tmp = NULL;
			dk_syserrf(e, NULL, 0, "snapshot");
			goto done;
		}
		if ((fd = mkstemp(tmp)) < 0) {
			dk_syserrf(e, tmp, 0, "cannot create");
			goto done;
		}
		close(fd);
		argv[6] = tmp;
		buf_reset(&err);
		st = spawn_run(argv, NULL, NULL, NULL, &err, e);
		if (st != 0) {
			if (st > 0)
				dk_errf(e, NULL, 0, "git archive %s: %s", base, buf_str(&err));
			unlink(tmp);
			goto done;
		}
		g.snapshot = tmp;
		tmp = NULL;
	}
	ret = 0;
done:
	pthread_mutex_unlock(&g.snap_mu);
	free(repo);
	free(tmp);
	free(spec);
	buf_free(&out);
	buf_free(&err);
	return ret;
}

/* The stage image of arch a: a name the engine knows (or pulls), or a
 * stage3 tarball (a path: "/…", "./…", "~/…") that is imported into the
 * engine once, tagged by its SHA-256. The image goes to tag (size 128). */
static int
stage_image(struct host *h, struct arch *a, FILE *log, char *tag, struct dk_err *e)
{
	const char *stage = cfg_str(setting(a, "stage"));
	struct hash_result r;
	char *path, *id = NULL, repo[96];
	int fd, ret = -1;

	if (!stage || !*stage)
		return dk_errf(e, NULL, 0, "%s: no stage configured", a->name);
	if (stage[0] != '/' && strncmp(stage, "./", 2) && strncmp(stage, "~/", 2)) {
		snprintf(tag, 128, "%s", stage);
		return 0;
	}
	if (!(path = config_path(stage)))
		return dk_syserrf(e, NULL, 0, "%s", stage);
	if (hash_file(path, HASH_SHA256, &r, e) < 0)
		goto out;
	snprintf(repo, sizeof repo, "dk-stage-%s", a->name);
	snprintf(tag, 128, "%s:%.16s", repo, r.sha256);
	pthread_mutex_lock(&h->images);
	if (engine_image_id(&h->en, tag, &id, e) < 0)
		goto unlock;
	if (id) {
		ret = 0;
		goto unlock;
	}
	fprintf(log, "dk-build: %s: importing %s as %s\n", h->url, path, tag);
	fflush(log);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		dk_syserrf(e, path, 0, "cannot open");
		goto unlock;
	}
	ret = engine_import(&h->en, repo, tag + strlen(repo) + 1, cstr(&g.cfg.root, "label"), fd, e);
	close(fd);
unlock:
	pthread_mutex_unlock(&h->images);
out:
	free(id);
	free(path);
	return ret;
}

/* Makes the tag and, when the host lacks it, builds the image of kind k
 * for arch a on host h, logging to log. The tag goes to tag (size 128). */
static int
ensure_image(struct host *h, struct arch *a, enum kind k, FILE *log, char *tag, struct dk_err *e)
{
	struct buf digest = { 0 }, df = { 0 }, args = { 0 }, labels = { 0 };
	char hex[65], *id = NULL, base_tag[128], ctxpath[PATH_MAX];
	const char *portage[] = { "make.conf", "package.accept_keywords", "package.use" };
	const char *kfiles[] = { "kernel.config", "plymouthd.conf" };
	char **deps = NULL;
	struct tar_writer w;
	size_t i;
	int fd = -1, ret = -1;

	if (k == KERNEL) {
		if (ensure_image(h, a, DEPS, log, base_tag, e) < 0)
			return -1;
	} else if (stage_image(h, a, log, base_tag, e) < 0) {
		return -1;
	}
	if (read_template(k == DEPS ? "Dockerfile.deps" : "Dockerfile.kernel", &df, e) < 0)
		goto out;
	if (engine_image_id(&h->en, base_tag, &id, e) < 0)
		goto out;
	/* Everything that goes into the image, so a change makes a new tag. */
	digest_add(&digest, k == DEPS ? "deps" : "kernel");
	digest_add(&digest, id ? id : base_tag);
	digest_add(&digest, df.s);
	free(id);
	id = NULL;
	buf_addc(&args, '{');
	buf_adds(&args, "\"BASE\":");
	engine_json_str(&args, base_tag);
	if (k == DEPS) {
		const char *keys[] = { "cflags", "ldflags", "use" };
		const char *names[] = { "CFLAGS", "LDFLAGS", "USE" };
		struct buf d = { 0 };

		if (cfg_strv(setting(a, "deps"), "deps", &deps, e) < 0)
			goto out;
		for (i = 0; deps[i]; i++)
			buf_printf(&d, "%s%s", i ? " " : "", deps[i]);
		for (i = 0; i < 3; i++) {
			const char *v = cfg_str(setting(a, keys[i]));

			buf_printf(&args, ",\"%s\":", names[i]);
			engine_json_str(&args, v ? v : "");
		}
		buf_adds(&args, ",\"DEPS\":");
		engine_json_str(&args, buf_str(&d));
		buf_free(&d);
		for (i = 0; i < 3; i++)
			digest_add(&digest, cstr(cfg_member(&g.cfg.root, "portage"), portage[i]));
		if (snapshot(0, e) < 0)
			goto out;
		digest_add(&digest, g.snapshot_tree);
	} else {
		for (i = 0; i < 2; i++)
			digest_add(&digest, cstr(cfg_member(&g.cfg.root, "portage"), kfiles[i]));
		digest_add(&digest, g.diffsum);
	}
	buf_addc(&args, '}');
	digest_add(&digest, args.s);
	if (sha256_hex(digest.s, digest.len, hex, e) < 0)
		goto out;
	hex[16] = '\0';
	snprintf(tag, 128, "dk-%s-%s:%s", k == DEPS ? "deps" : "kernel", a->name, hex);
	pthread_mutex_lock(&h->images);
	if (engine_image_id(&h->en, tag, &id, e) < 0)
		goto unlock;
	if (id) {
		fprintf(log, "dk-build: %s: reusing image %s\n", h->url, tag);
		ret = 0;
		goto unlock;
	}
	fprintf(log, "dk-build: %s: building image %s\n", h->url, tag);
	fflush(log);
	/* The build context: only the files named here; never the key. */
	snprintf(ctxpath, sizeof ctxpath, "%s/.dk-context.XXXXXX", g.logdir);
	if ((fd = mkstemp(ctxpath)) < 0) {
		dk_syserrf(e, ctxpath, 0, "cannot create");
		goto unlock;
	}
	unlink(ctxpath);
	tar_writer_fd(&w, fd);
	if (tar_add_mem(&w, "Dockerfile", 0644, df.s, df.len, e) < 0)
		goto unlock;
	for (i = 0; i < (k == DEPS ? 3u : 2u); i++) {
		const char *f = k == DEPS ? portage[i] : kfiles[i];
		const char *s = cstr(cfg_member(&g.cfg.root, "portage"), f);

		if (tar_add_mem(&w, f, 0644, s, strlen(s), e) < 0)
			goto unlock;
	}
	if (k == DEPS && snapshot(1, e) < 0)
		goto unlock;
	if (tar_add_file(&w, k == DEPS ? "gentoo.tar" : "local.diff", k == DEPS ? g.snapshot : g.diff, e) < 0)
		goto unlock;
	if (tar_writer_finish(&w, e) < 0)
		goto unlock;
	if (lseek(fd, 0, SEEK_SET) < 0) {
		dk_syserrf(e, ctxpath, 0, "seek");
		goto unlock;
	}
	buf_printf(&labels, "{\"%s\":\"1\",\"dk.name\":\"%s-%s\",\"dk.arch\":\"%s\"}",
		cstr(&g.cfg.root, "label"), k == DEPS ? "deps" : "kernel", a->name, a->name);
	if (engine_build(&h->en, fd, tag, "Dockerfile", args.s, labels.s, log, e) < 0)
		goto unlock;
	ret = 0;
unlock:
	pthread_mutex_unlock(&h->images);
out:
	if (fd >= 0)
		close(fd);
	free(id);
	cfg_strv_free(deps);
	buf_free(&digest);
	buf_free(&df);
	buf_free(&args);
	buf_free(&labels);
	return ret;
}

/* ---- collecting binpkgs ---- */

struct extract {
	struct tar_reader *r;
	struct dk_err *e;
};

static int
extract_sink(void *ctx, const char *p, size_t n)
{
	struct extract *x = ctx;

	return tar_feed(x->r, p, n, x->e);
}

static struct {
	const char *stage, *dest;
	struct buf *paths;
	struct dk_err *e;
	int failed;
} walk;

static int
walk_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	const char *rel, *slash;
	char dst[PATH_MAX], dir[PATH_MAX];
	size_t l = strlen(path);

	(void)st;
	if (flag != FTW_F || l < 9 || strcmp(path + l - 9, ".gpkg.tar") || ftw->level < 2)
		return 0;
	/* below the archive's own top directory (the pkgdir's name) */
	rel = path + strlen(walk.stage) + 1;
	if (!(rel = strchr(rel, '/')))
		return 0;
	rel++;
	snprintf(dst, sizeof dst, "%s/%s", walk.dest, rel);
	if ((slash = strrchr(dst, '/'))) {
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - dst), dst);
		if (mkdirs(dir, walk.e) < 0) {
			walk.failed = 1;
			return 1;
		}
	}
	if (rename(path, dst) < 0) {
		dk_syserrf(walk.e, dst, 0, "cannot rename");
		walk.failed = 1;
		return 1;
	}
	buf_printf(walk.paths, "%s%s", walk.paths->len ? " " : "", dst);
	return 0;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static pthread_mutex_t walk_mu = PTHREAD_MUTEX_INITIALIZER;

/* Fetches pkgdir from container id into a staging directory beside the
 * destination and renames the .gpkg.tar files into place when all came. */
static int
collect(struct host *h, struct target *t, const char *id, struct buf *paths, struct dk_err *e)
{
	char *dest = NULL, stage[PATH_MAX];
	struct extract x = { .e = e };
	int ret = -1;

	if (asprintf(&dest, "%s/%s/kernel", g.binpkgroot, t->arch->name) < 0)
		return dk_syserrf(e, NULL, 0, "%s", t->name);
	if (mkdirs(dest, e) < 0)
		goto out;
	snprintf(stage, sizeof stage, "%s/.dk-stage.XXXXXX", dest);
	if (!mkdtemp(stage)) {
		dk_syserrf(e, stage, 0, "cannot create");
		goto out;
	}
	if (!(x.r = tar_extract_reader(stage, h->url, e)))
		goto clean;
	if (engine_get_archive(&h->en, id, cstr(&g.cfg.root, "pkgdir"), extract_sink, &x, e) < 0 ||
	    tar_finish(x.r, e) < 0)
		goto clean;
	pthread_mutex_lock(&walk_mu);
	walk.stage = stage;
	walk.dest = dest;
	walk.paths = paths;
	walk.e = e;
	walk.failed = 0;
	nftw(stage, walk_one, 16, FTW_PHYS);
	ret = walk.failed ? -1 : 0;
	pthread_mutex_unlock(&walk_mu);
	if (ret == 0 && !paths->len)
		ret = dk_errf(e, NULL, 0, "%s: no .gpkg.tar in %s", t->name, cstr(&g.cfg.root, "pkgdir"));
clean:
	tar_reader_free(x.r);
	nftw(stage, rm_one, 16, FTW_PHYS | FTW_DEPTH);
out:
	free(dest);
	return ret;
}

/* ---- running a target ---- */

static int
buf_write(void *ctx, const void *p, size_t n, struct dk_err *e)
{
	if (buf_add(ctx, p, n) < 0)
		return dk_syserrf(e, NULL, 0, "archive");
	return 0;
}

/* The signing key as a one-member tar, mode 0600, for the archive PUT. */
static int
make_key_tar(struct buf *out, struct dk_err *e)
{
	struct buf key = { 0 };
	struct tar_writer w;
	int r;

	if (read_file(g.key, &key, e) < 0)
		return -1;
	tar_writer_init(&w, buf_write, out);
	r = tar_add_mem(&w, "signing_key.pem", 0600, key.s, key.len, e);
	if (r == 0)
		r = tar_writer_finish(&w, e);
	/* the key's bytes leave no copy behind in our memory */
	if (key.s)
		memset(key.s, 0, key.len);
	buf_free(&key);
	return r;
}

/* The container's configuration as the create endpoint takes it. */
static int
container_config(struct target *t, const char *image, struct buf *b, struct dk_err *e)
{
	const struct cfg_node *pp = setting(t->arch, "post_pkgs"), *envn = cfg_member(&g.cfg.root, "env");
	char **post = NULL, **dev = NULL, **tmpfs = NULL, *dc = NULL;
	struct buf s = { 0 };
	size_t i;
	int ret = -1;

	if (pp && pp->kind == CFG_MAP)
		pp = cfg_member(pp, t->series) ? cfg_member(pp, t->series) : cfg_member(pp, "default");
	if (cfg_strv(pp, "post_pkgs", &post, e) < 0 || cfg_strv(setting(t->arch, "devices"), "devices", &dev, e) < 0 ||
	    cfg_strv(setting(t->arch, "tmpfs"), "tmpfs", &tmpfs, e) < 0)
		goto out;
	buf_adds(b, "{\"Image\":");
	engine_json_str(b, image);
	buf_adds(b, ",\"Cmd\":[\"/bin/sh\",\"-c\",");
	engine_json_str(b, cstr(&g.cfg.root, "run"));
	buf_adds(b, "],\"Tty\":false,\"Env\":[");
	buf_printf(&s, "PKG=<sys-kernel/%s-%s.9999", t->pkg, t->series);
	engine_json_str(b, s.s);
	buf_reset(&s);
	buf_adds(&s, "POST_PKGS=");
	for (i = 0; post[i]; i++)
		buf_printf(&s, "%s%s", i ? " " : "", post[i]);
	buf_addc(b, ',');
	engine_json_str(b, s.s);
	for (i = 0; envn && envn->kind == CFG_MAP && i < envn->n; i++) {
		if (envn->kids[i].kind != CFG_SCALAR) {
			cfg_expect(&envn->kids[i], CFG_SCALAR, "env", e);
			goto out;
		}
		buf_reset(&s);
		buf_printf(&s, "%s=%s", envn->kids[i].key, envn->kids[i].value);
		buf_addc(b, ',');
		engine_json_str(b, s.s);
	}
	buf_printf(b, "],\"Labels\":{\"%s\":\"1\",\"dk.target\":", cstr(&g.cfg.root, "label"));
	engine_json_str(b, t->name);
	buf_adds(b, "},\"HostConfig\":{\"NetworkMode\":\"host\",\"Binds\":[");
	if (*cstr(&g.cfg.root, "distcache")) {
		if (!(dc = config_path(cstr(&g.cfg.root, "distcache"))))
			goto out;
		buf_reset(&s);
		buf_printf(&s, "%s:/var/cache/distfiles", dc);
		engine_json_str(b, s.s);
	}
	buf_adds(b, "],\"Devices\":[");
	for (i = 0; dev[i]; i++) {
		buf_printf(b, "%s{\"PathOnHost\":", i ? "," : "");
		engine_json_str(b, dev[i]);
		buf_adds(b, ",\"PathInContainer\":");
		engine_json_str(b, dev[i]);
		buf_adds(b, ",\"CgroupPermissions\":\"rwm\"}");
	}
	buf_adds(b, "],\"Tmpfs\":{");
	for (i = 0; tmpfs[i]; i++) {
		buf_adds(b, i ? "," : "");
		engine_json_str(b, tmpfs[i]);
		buf_adds(b, ":\"\"");
	}
	buf_adds(b, "}}}");
	ret = 0;
out:
	free(dc);
	buf_free(&s);
	cfg_strv_free(post);
	cfg_strv_free(dev);
	cfg_strv_free(tmpfs);
	return ret;
}

enum outcome { DONE_OK, DONE_FAIL, RETRY };

/* One attempt of kernel target t on host h. */
static enum outcome
run_kernel(struct host *h, struct target *t, struct slot *slot, FILE *log, struct buf *paths)
{
	struct dk_err e = { "" };
	struct buf conf = { 0 }, keytar = { 0 };
	struct logsink ls = { .fp = log, .slot = slot };
	char image[128], name[256], *id = NULL;
	int code = -1, ok = 0;
	enum outcome out = DONE_FAIL;
	long start = ftell(log);	/* this attempt's part of the log */

	if (ensure_image(h, t->arch, KERNEL, log, image, &e) < 0)
		goto fail;
	if (container_config(t, image, &conf, &e) < 0)
		goto fail;
	snprintf(name, sizeof name, "dk-%s-%ld-%d", t->name, (long)getpid(), t->attempts);
	if (engine_create(&h->en, name, conf.s, &id, &e) < 0)
		goto fail;
	/* The key goes into this container only, before it starts. */
	if (make_key_tar(&keytar, &e) < 0 || engine_put_archive(&h->en, id, "/tmp", keytar.s, keytar.len, &e) < 0)
		goto fail;
	fprintf(log, "dk-build: %s: running %s in container %.12s\n", h->url, t->name, id);
	fflush(log);
	if (engine_start(&h->en, id, &e) < 0 || engine_logs(&h->en, id, log_sink, &ls, &e) < 0 ||
	    engine_wait(&h->en, id, &code, &e) < 0)
		goto fail;
	fflush(log);
	if (code != 0) {
		char *lp = log_path(t);
		int panic = lp && log_matches(lp, start < 0 ? 0 : start, cstr(&g.cfg.root, "panic"));

		free(lp);
		fprintf(log, "dk-build: %s: exit status %d%s\n", t->name, code, panic ? " after a panic" : "");
		out = panic && t->attempts <= g.retries ? RETRY : DONE_FAIL;
		goto done;
	}
	if (collect(h, t, id, paths, &e) < 0)
		goto fail;
	ok = 1;
	out = DONE_OK;
	goto done;
fail:
	if (cancelled)
		snprintf(e.msg, sizeof e.msg, "%s: interrupted", t->name);
	fprintf(log, "dk-build: %s\n", e.msg);
	if (!cancelled)
		dk_warn("%s: %s", t->name, e.msg);
done:
	if (id) {
		struct dk_err e2;

		if (code < 0)	/* it may still run */
			engine_kill(&h->en, id, &e2);
		if (!g.keep || cancelled)
			engine_remove(&h->en, id, &e2);
		else if (!ok)
			fprintf(log, "dk-build: kept container %.12s\n", id);
	}
	if (keytar.s)
		memset(keytar.s, 0, keytar.len);
	buf_free(&keytar);
	buf_free(&conf);
	free(id);
	return out;
}

/* A deps target: the deps image on every usable host of its arch. */
static enum outcome
run_deps(struct target *t, FILE *log, struct buf *tags)
{
	struct dk_err e = { "" };
	char tag[128];
	size_t i;

	for (i = 0; i < t->arch->nhosts; i++) {
		if (ensure_image(t->arch->hosts[i], t->arch, DEPS, log, tag, &e) < 0) {
			fprintf(log, "dk-build: %s\n", e.msg);
			if (!cancelled)
				dk_warn("%s: %s", t->name, e.msg);
			return DONE_FAIL;
		}
		buf_printf(tags, "%s%s", tags->len ? " " : "", tag);
	}
	return DONE_OK;
}

static int
host_serves(const struct host *h, const struct arch *a)
{
	size_t i;

	for (i = 0; i < a->nhosts; i++)
		if (a->hosts[i] == h)
			return 1;
	return 0;
}

/* The next target slot's host may take (under g.mu), or NULL. */
static struct target *
pick(struct host *h)
{
	size_t i;

	for (i = 0; i < g.ntargets; i++) {
		struct target *t = &g.targets[i];

		if (t->state != 0 || !host_serves(h, t->arch))
			continue;
		if (t->avoid == h && t->arch->nhosts > 1)
			continue;
		return t;
	}
	return NULL;
}

static void *
worker(void *arg)
{
	struct slot *slot = arg;
	struct host *h = slot->host;

	pthread_mutex_lock(&g.mu);
	for (;;) {
		struct target *t;
		struct buf paths = { 0 };
		enum outcome o;
		char *lp;
		FILE *log;

		if (cancelled || g.ndone == g.ntargets)
			break;
		if (!(t = pick(h))) {
			pthread_cond_wait(&g.cv, &g.mu);
			continue;
		}
		t->state = 1;
		t->attempts++;
		slot->t = t;
		slot->start = time(NULL);
		slot->last[0] = '\0';
		pthread_mutex_unlock(&g.mu);

		lp = log_path(t);
		log = lp ? fopen(lp, t->attempts > 1 ? "a" : "w") : NULL;
		if (!log) {
			dk_warn("%s: cannot open: %s", lp ? lp : t->name, strerror(errno));
			o = DONE_FAIL;
		} else {
			fprintf(log, "dk-build: %s: attempt %d on %s\n", t->name, t->attempts, h->url);
			o = t->kind == DEPS ? run_deps(t, log, &paths) : run_kernel(h, t, slot, log, &paths);
			if (o == RETRY)
				fprintf(log, "dk-build: %s: panic: retrying (%d of %d)\n", t->name, t->attempts, g.retries);
			fclose(log);
		}
		free(lp);

		pthread_mutex_lock(&g.mu);
		slot->t = NULL;
		if (o == RETRY && !cancelled) {
			t->state = 0;
			t->avoid = h;
		} else {
			t->state = 2;
			g.ndone++;
			result(t, o == DONE_OK, paths.s);
		}
		buf_free(&paths);
		pthread_cond_broadcast(&g.cv);
	}
	pthread_cond_broadcast(&g.cv);
	pthread_mutex_unlock(&g.mu);
	return NULL;
}

static void *
signals(void *arg)
{
	sigset_t *set = arg;
	int sig;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		if (sig == SIGUSR1)
			return NULL;
		cancelled = 1;
		pthread_mutex_lock(&g.mu);
		pthread_cond_broadcast(&g.cv);
		pthread_mutex_unlock(&g.mu);
	}
}

/* ---- hosts ---- */

static char **ssh_argv;

static void *
open_one(void *arg)
{
	struct host *h = arg;
	struct dk_err e;

	h->en.cancel = &cancelled;
	h->en.connect_timeout = 10;
	if (engine_open(&h->en, h->url, ssh_argv, &e) == 0)
		h->up = 1;
	else
		snprintf(h->why, sizeof h->why, "%s", e.msg);
	return NULL;
}

/* Opens every host named by an arch in use (need[i]), all at once, so
 * that a slow or unreachable one delays nothing; says why one failed. */
static void
open_hosts(const int *need)
{
	pthread_t *th = calloc(g.nhosts + 1, sizeof *th);
	int *started = calloc(g.nhosts + 1, sizeof *started);
	size_t i, j, k;

	if (!th || !started)
		dk_die(DK_FAIL, "out of memory");
	for (i = 0; i < g.nhosts; i++) {
		struct host *h = &g.hosts[i];
		int used = 0;

		for (j = 0; j < g.narches && !used; j++) {
			const struct cfg_node *hn = cfg_get(g.arches[j].node, "hosts", (char *)NULL);

			for (k = 0; need[j] && hn && k < (hn->kind == CFG_LIST ? hn->n : 1); k++) {
				const char *u = hn->kind == CFG_LIST ? cfg_str(&hn->kids[k]) : cfg_str(hn);

				if (u && !strcmp(u, h->url))
					used = 1;
			}
		}
		if (used && pthread_create(&th[i], NULL, open_one, h) == 0)
			started[i] = 1;
		else if (used)
			open_one(h);
	}
	for (i = 0; i < g.nhosts; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		if (g.hosts[i].why[0])
			dk_warn("%s", g.hosts[i].why);
	}
	free(th);
	free(started);
}

static struct host *
host_by_url(const char *url)
{
	size_t i;

	for (i = 0; i < g.nhosts; i++)
		if (!strcmp(g.hosts[i].url, url))
			return &g.hosts[i];
	return NULL;
}

/* Reads the arches and their hosts from the configuration. */
static void
load_arches(void)
{
	const struct cfg_node *arches = cfg_member(&g.cfg.root, "arches");
	struct dk_err e;
	size_t i, j;

	if (!arches || cfg_expect(arches, CFG_MAP, "arches", &e) < 0)
		dk_die(DK_FAIL, "%s", arches ? e.msg : "no arches configured");
	g.arches = calloc(arches->n, sizeof *g.arches);
	g.hosts = calloc(arches->n * 16 + 1, sizeof *g.hosts);
	if (!g.arches || !g.hosts)
		dk_die(DK_FAIL, "out of memory");
	g.narches = arches->n;
	for (i = 0; i < arches->n; i++) {
		struct arch *a = &g.arches[i];
		char **urls;

		a->name = arches->kids[i].key;
		a->node = &arches->kids[i];
		if (cfg_expect(a->node, CFG_MAP, a->name, &e) < 0 ||
		    cfg_strv(cfg_member(a->node, "hosts"), "hosts", &urls, &e) < 0 ||
		    cfg_strv(cfg_member(a->node, "engine_arch"), "engine_arch", &a->engine_arch, &e) < 0)
			dk_die(DK_FAIL, "%s", e.msg);
		for (j = 0; urls[j]; j++) {
			if (host_by_url(urls[j]))
				continue;
			if (g.nhosts == arches->n * 16)
				dk_die(DK_FAIL, "too many hosts");
			g.hosts[g.nhosts].url = strdup(urls[j]);
			pthread_mutex_init(&g.hosts[g.nhosts].images, NULL);
			g.nhosts++;
		}
		cfg_strv_free(urls);
	}
}

/* The usable pool of each arch: hosts that answered with the right arch. */
static void
make_pools(void)
{
	size_t i, j, k;

	for (i = 0; i < g.narches; i++) {
		struct arch *a = &g.arches[i];
		char **urls = NULL;
		struct dk_err e;
		struct buf why = { 0 };

		cfg_strv(cfg_member(a->node, "hosts"), "hosts", &urls, &e);
		for (j = 0; urls && urls[j]; j++)
			;
		a->hosts = calloc(j + 1, sizeof *a->hosts);
		for (j = 0; urls && urls[j] && a->hosts; j++) {
			struct host *h = host_by_url(urls[j]);
			int match = 0;

			if (!h->up) {
				buf_printf(&why, "%s%s", why.len ? "; " : "", h->why[0] ? h->why : h->url);
				continue;
			}
			for (k = 0; a->engine_arch[k]; k++)
				if (!strcmp(a->engine_arch[k], h->en.arch))
					match = 1;
			if (!a->engine_arch[0])
				match = 1;
			if (!match) {
				buf_printf(&why, "%s%s: engine is %s, not %s", why.len ? "; " : "", h->url,
					h->en.arch, a->engine_arch[0]);
				continue;
			}
			a->hosts[a->nhosts++] = h;
		}
		a->why = buf_take(&why);
		cfg_strv_free(urls);
	}
}

/* ---- status, prune ---- */

static void
human(unsigned long long n, char *out, size_t size)
{
	const char *u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int i = 0;

	while (v >= 1024 && i < 4)
		v /= 1024, i++;
	snprintf(out, size, i ? "%.1f%s" : "%.0f%s", v, u[i]);
}

/* Opens every configured host. */
static void
open_all(void)
{
	int *need = calloc(g.narches + 1, sizeof *need);
	size_t i;

	if (!need)
		dk_die(DK_FAIL, "out of memory");
	for (i = 0; i < g.narches; i++)
		need[i] = 1;
	open_hosts(need);
	free(need);
}

static int
do_status(void)
{
	const char *label = cstr(&g.cfg.root, "label");
	time_t now = time(NULL);
	size_t i, j;
	int bad = 0;

	open_all();
	for (i = 0; i < g.nhosts; i++) {
		struct host *h = &g.hosts[i];
		struct cfg_node cs, is;
		struct dk_err e;

		if (!h->up) {
			printf("%s unreachable\n", h->url);
			bad = 1;
			continue;
		}
		printf("%s ok %s %s\n", h->url, h->en.version, h->en.arch);
		if (engine_containers(&h->en, label, &cs, &e) < 0 || engine_images(&h->en, label, &is, &e) < 0) {
			dk_perr(&e);
			bad = 1;
			continue;
		}
		for (j = 0; cs.kind == CFG_LIST && j < cs.n; j++) {
			const struct cfg_node *c = &cs.kids[j];
			const char *tn = cfg_str(cfg_get(c, "Labels", "dk.target", (char *)NULL));
			long created = atol(cstr(c, "Created"));

			printf("  container %s %s %s %lds\n", tn ? tn : "?", cstr(c, "Id"), cstr(c, "State"),
				(long)(now - created));
		}
		for (j = 0; is.kind == CFG_LIST && j < is.n; j++) {
			const struct cfg_node *im = &is.kids[j], *tags = cfg_member(im, "RepoTags");
			char sz[32];

			human(strtoull(cstr(im, "Size"), NULL, 10), sz, sizeof sz);
			printf("  image %s %s\n", tags && tags->n ? cfg_str(&tags->kids[0]) : cstr(im, "Id"), sz);
		}
		cfg_free(&cs);
		cfg_free(&is);
	}
	return bad ? DK_FAIL : DK_OK;
}

static const struct cfg_node *prune_list;

/* qsort: image indices into prune_list, the newest first. */
static int
newest_first(const void *a, const void *b)
{
	long ca = atol(cstr(&prune_list->kids[*(const size_t *)a], "Created"));
	long cb = atol(cstr(&prune_list->kids[*(const size_t *)b], "Created"));

	return ca < cb ? 1 : ca > cb ? -1 : 0;
}

static int
do_prune(int all)
{
	const char *label = cstr(&g.cfg.root, "label");
	size_t i, i2, j, k;
	int bad = 0;

	open_all();
	for (i = 0; i < g.nhosts; i++) {
		struct host *h = &g.hosts[i];
		unsigned long long freed = 0;
		struct cfg_node is = { 0 };
		struct dk_err e;
		int removed = 0;
		char sz[32];

		if (!h->up) {
			bad = 1;
			continue;
		}
		if (engine_prune(&h->en, label, all, &freed, &e) < 0) {
			dk_perr(&e);
			bad = 1;
			continue;
		}
		/* Not current: an older image of the same name (dk.name), which
		 * a newer build replaced. Newest first, so that children go
		 * before their parents; one still in use is kept. */
		if (!all && engine_images(&h->en, label, &is, &e) == 0 && is.kind == CFG_LIST) {
			size_t *order = calloc(is.n + 1, sizeof *order);

			for (j = 0; order && j < is.n; j++)
				order[j] = j;
			prune_list = &is;
			if (order)
				qsort(order, is.n, sizeof *order, newest_first);
			for (i2 = 0; order && i2 < is.n; i2++) {
				const struct cfg_node *im = &is.kids[order[i2]];
				const char *nj = cfg_str(cfg_get(im, "Labels", "dk.name", (char *)NULL));
				long cj = atol(cstr(im, "Created"));
				int newer = 0, r;

				for (k = 0; nj && k < is.n && !newer; k++) {
					const char *nk = cfg_str(cfg_get(&is.kids[k], "Labels", "dk.name", (char *)NULL));

					if (nk && !strcmp(nj, nk) && atol(cstr(&is.kids[k], "Created")) > cj)
						newer = 1;
				}
				if (!newer)
					continue;
				if ((r = engine_remove_image(&h->en, cstr(im, "Id"), &e)) < 0) {
					dk_perr(&e);
					bad = 1;
				} else if (r == 0) {
					freed += strtoull(cstr(im, "Size"), NULL, 10);
					removed++;
				}
			}
			free(order);
		}
		cfg_free(&is);
		human(freed, sz, sizeof sz);
		printf("%s pruned %d images %s\n", h->url, removed, sz);
	}
	return bad ? DK_FAIL : DK_OK;
}

/* ---- main ---- */

/* local.diff's SHA-256 (what "diff-export -I" prints), after checking it
 * is a well-formed diff inside the tree; an empty one builds the snapshot
 * as it is. */
static char *
diff_digest(const char *path, struct dk_err *e)
{
	struct buf b = { 0 };
	struct diff d;
	char hex[65];
	int r = 0;

	if (read_file(path, &b, e) < 0)
		return NULL;
	if (b.len) {
		r = diff_parse(&d, path, b.s, b.len, e);
		if (r == 0)
			diff_free(&d);
	}
	if (r == 0)
		r = sha256_hex(buf_str(&b), b.len, hex, e);
	buf_free(&b);
	return r == 0 ? strdup(hex) : NULL;
}

static int
intopt(const char *s, int min, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < min || v > 1000) {
		dk_warn("bad %s: %s", what, s);
		usage();
		exit(DK_USAGE);
	}
	return (int)v;
}

int
main(int argc, char *argv[])
{
	const char *cfgfile = NULL, *diff = NULL, *key = NULL, *logdir = NULL;
	int c, all = 0, jobs = -1, retries = -1, ret = DK_OK;
	char **packages = NULL, **names = NULL, *ld;
	size_t nnames = 0, i, j, k;
	struct dk_err e;
	sigset_t set;
	pthread_t sigthread, *threads;
	int *need;

	dk_setprog(argv[0]);
	while ((c = getopt(argc, argv, "ac:d:hj:Kk:L:qr:V")) != -1) {
		switch (c) {
		case 'a': all = 1; break;
		case 'c': cfgfile = optarg; break;
		case 'd': diff = optarg; break;
		case 'h': usage(); return DK_OK;
		case 'j': jobs = intopt(optarg, 1, "job count"); break;
		case 'K': g.keep = 1; break;
		case 'k': key = optarg; break;
		case 'L': logdir = optarg; break;
		case 'q': g.quiet = 1; break;
		case 'r': retries = intopt(optarg, 0, "retry count"); break;
		case 'V': printf("dk-build %s\n", DK_VERSION); return dk_close_stdout();
		default: usage(); return DK_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (config_load(&g.cfg, cfgfile, &e) < 0)
		dk_die(DK_FAIL, "%s", e.msg);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		dk_die(DK_FAIL, "cannot start libcurl");
	load_arches();
	if (cfg_strv(cfg_member(&g.cfg.root, "packages"), "packages", &packages, &e) < 0 ||
	    cfg_strv(cfg_member(&g.cfg.root, "ssh"), "ssh", &ssh_argv, &e) < 0)
		dk_die(DK_FAIL, "%s", e.msg);

	/* targets: operands, or one per line on stdin */
	if (argc > 0) {
		names = calloc((size_t)argc + 1, sizeof *names);
		for (i = 0; names && i < (size_t)argc; i++)
			names[nnames++] = strdup(argv[i]);
	} else {
		struct lines l;
		size_t cap = 0;

		lines_init(&l, stdin, "<stdin>");
		while (lines_next(&l, &e) >= 0) {
			char *s = l.line + strspn(l.line, " \t"), *end = s + strlen(s);

			while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
				*--end = '\0';
			if (!*s || *s == '#')
				continue;
			if (nnames + 1 >= cap) {
				cap = cap ? cap * 2 : 16;
				names = realloc(names, cap * sizeof *names);
				if (!names)
					dk_die(DK_FAIL, "out of memory");
			}
			names[nnames++] = strdup(s);
		}
		if (e.msg[0])
			dk_die(DK_FAIL, "%s", e.msg);
		lines_free(&l);
	}
	if (!names && nnames == 0 && argc > 0)
		dk_die(DK_FAIL, "out of memory");
	if (nnames == 0) {
		usage();
		return DK_USAGE;
	}
	if (nnames == 1 && !strcmp(names[0], "status")) {
		ret = do_status();
		goto finish;
	}
	/* binpkg-docker's prune-all is prune -a */
	if (nnames == 1 && (!strcmp(names[0], "prune") || !strcmp(names[0], "prune-all"))) {
		ret = do_prune(all || !strcmp(names[0], "prune-all"));
		goto finish;
	}
	g.targets = calloc(nnames, sizeof *g.targets);
	for (i = 0; i < nnames; i++) {
		if (parse_target(names[i], &g.targets[g.ntargets], packages) < 0)
			bad_target(names[i], packages);
		for (j = 0; j < g.ntargets; j++)
			if (!strcmp(g.targets[j].name, names[i]))
				break;
		if (j == g.ntargets)
			g.ntargets++;
		else
			free(g.targets[g.ntargets].name), free(g.targets[g.ntargets].pkg), free(g.targets[g.ntargets].series);
	}

	/* settings: options over the configuration */
	g.jobs = jobs > 0 ? jobs : atoi(cstr(&g.cfg.root, "jobs"));
	if (g.jobs < 1)
		g.jobs = 1;
	g.retries = retries >= 0 ? retries : atoi(cstr(&g.cfg.root, "retries"));
	g.key = key ? key : cstr(&g.cfg.root, "signing_key");
	g.diff = diff ? diff : cstr(&g.cfg.root, "local_diff");
	ld = config_path(logdir ? logdir : cstr(&g.cfg.root, "logdir"));
	g.logdir = ld;
	g.binpkgroot = config_path(cstr(&g.cfg.root, "binpkgroot"));
	g.key = config_path(g.key);
	g.diff = config_path(g.diff);
	if (!ld || !g.binpkgroot || !g.key || !g.diff)
		dk_die(DK_FAIL, "out of memory");
	for (i = 0; i < g.ntargets; i++)
		if (g.targets[i].kind == KERNEL)
			break;
	if (i < g.ntargets) {
		if (access(g.key, R_OK) < 0)
			dk_die(DK_FAIL, "%s: signing key: %s", g.key, strerror(errno));
		if (!(g.diffsum = diff_digest(g.diff, &e)))
			dk_die(DK_FAIL, "%s", e.msg);
	}
	if (mkdirs(g.logdir, &e) < 0)
		dk_die(DK_FAIL, "%s", e.msg);
	g.tty = !g.quiet && isatty(2);

	/* signals go to one thread, which cancels the run */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	pthread_create(&sigthread, NULL, signals, &set);

	need = calloc(g.narches + 1, sizeof *need);
	for (i = 0; i < g.ntargets; i++)
		need[g.targets[i].arch - g.arches] = 1;
	open_hosts(need);
	free(need);
	make_pools();

	/* targets without a usable host fail at once, saying why */
	for (i = 0; i < g.ntargets; i++) {
		struct target *t = &g.targets[i];

		if (t->arch->nhosts)
			continue;
		{
			char *lp = log_path(t);
			FILE *fp = lp ? fopen(lp, "w") : NULL;

			if (fp) {
				fprintf(fp, "dk-build: %s: no usable %s host: %s\n", t->name, t->arch->name, t->arch->why);
				fclose(fp);
			}
			free(lp);
		}
		dk_warn("%s: no usable %s host: %s", t->name, t->arch->name, t->arch->why);
		t->state = 2;
		g.ndone++;
		result(t, 0, NULL);
	}

	/* one worker per host and job slot */
	g.slots = calloc(g.nhosts * (size_t)g.jobs + 1, sizeof *g.slots);
	threads = calloc(g.nhosts * (size_t)g.jobs + 1, sizeof *threads);
	for (i = 0; i < g.nhosts; i++) {
		int used = 0;

		for (k = 0; k < g.narches; k++)
			used |= host_serves(&g.hosts[i], &g.arches[k]);
		for (j = 0; used && j < (size_t)g.jobs; j++) {
			g.slots[g.nslots].host = &g.hosts[i];
			pthread_create(&threads[g.nslots], NULL, worker, &g.slots[g.nslots]);
			g.nslots++;
		}
	}
	/* the status block, redrawn while the workers run */
	for (;;) {
		struct timespec ts;
		int done;

		pthread_mutex_lock(&g.mu);
		done = g.ndone == g.ntargets || cancelled;
		if (!done) {
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&g.cv, &g.mu, &ts);
			status_draw();
		}
		pthread_mutex_unlock(&g.mu);
		if (done)
			break;
	}
	for (i = 0; i < g.nslots; i++)
		pthread_join(threads[i], NULL);
	if (g.tty && g.status_lines)
		fprintf(stderr, "\033[%dA\033[J", g.status_lines);
	free(threads);
	pthread_kill(sigthread, SIGUSR1);
	pthread_join(sigthread, NULL);
	ret = g.failed || g.ndone < g.ntargets ? DK_FAIL : DK_OK;
	if (cancelled) {
		dk_warn("interrupted");
		ret = 130;
	}
finish:
	for (i = 0; i < g.nhosts; i++) {
		engine_close(&g.hosts[i].en);
		free(g.hosts[i].url);
	}
	if (g.snapshot)
		unlink(g.snapshot);
	for (i = 0; i < g.narches; i++) {
		free(g.arches[i].hosts);
		free(g.arches[i].why);
		cfg_strv_free(g.arches[i].engine_arch);
	}
	for (i = 0; i < g.ntargets; i++) {
		free(g.targets[i].name);
		free(g.targets[i].pkg);
		free(g.targets[i].series);
	}
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	free(g.targets);
	free(g.slots);
	free(g.arches);
	free(g.hosts);
	free(g.snapshot);
	free(g.snapshot_tree);
	free(g.diffsum);
	free(g.binpkgroot);
	free((char *)g.key);
	free((char *)g.diff);
	free((char *)g.logdir);
	cfg_strv_free(packages);
	cfg_strv_free(ssh_argv);
	config_free(&g.cfg);
	curl_global_cleanup();
	if (dk_close_stdout() != DK_OK && ret == DK_OK)
		ret = DK_FAIL;
	return ret;
}
