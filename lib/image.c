/* dk: image keys, builds and the prune choice. GPL-2.0-only. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include <fcntl.h>

#include "hash.h"
#include "image.h"
#include "tar.h"

/* Appends a length-prefixed field, so "ab"+"c" differs from "a"+"bc". */
static int
field(struct buf *b, const char *s)
{
	s = s ? s : "";
	return buf_printf(b, "%zu:", strlen(s)) < 0 || buf_adds(b, s) < 0 ? -1 : 0;
}

static int
fields(struct buf *b, const char *what, char *const *v)
{
	size_t i, n = 0;

	while (v && v[n])
		n++;
	if (field(b, what) < 0 || buf_printf(b, "%zu;", n) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (field(b, v[i]) < 0)
			return -1;
	return 0;
}

int
image_key(const struct image_recipe *r, char key[17], struct dk_err *e)
{
	struct buf b = { 0 };
	struct hash_set h = { 0 };
	struct hash_result res;
	size_t i;
	int bad;

	bad = field(&b, r->kind) | field(&b, r->arch) | field(&b, r->base_id ? r->base_id : r->base) |
		field(&b, r->dockerfile) | fields(&b, "args", r->args) | fields(&b, "inputs", r->inputs);
	for (i = 0; i < r->nfiles; i++)
		if (r->files[i].keyed)
			bad |= field(&b, r->files[i].name) | field(&b, r->files[i].text);
	if (bad) {
		buf_free(&b);
		return dk_syserrf(e, NULL, 0, "image key");
	}
	if (hash_init(&h, HASH_SHA256, e) < 0 || hash_update(&h, b.s, b.len, e) < 0 || hash_final(&h, &res, e) < 0) {
		hash_free(&h);
		buf_free(&b);
		return -1;
	}
	memcpy(key, res.sha256, 16);
	key[16] = '\0';
	buf_free(&b);
	return 0;
}

int
image_tag(const struct image_recipe *r, char tag[128], struct dk_err *e)
{
	char key[17];

	if (image_key(r, key, e) < 0)
		return -1;
	if (snprintf(tag, 128, "dk-%s-%s:%s", r->kind, r->arch, key) >= 128)
		return dk_errf(e, NULL, 0, "%s: arch name too long for a tag", r->arch);
	return 0;
}

int
image_build(struct engine *en, const struct image_recipe *r, const char *tag, const char *label,
	const char *tmpdir, FILE *log, struct dk_err *e)
{
	struct buf args = { 0 }, labels = { 0 };
	char ctx[PATH_MAX], **av = NULL, **lv = NULL;
	struct tar_writer w;
	size_t i, n = 0, nh = 0, nl = 0;
	int fd = -1, ret = -1;

	while (r->args && r->args[n])
		n++;
	while (r->hints && r->hints[nh])
		nh++;
	while (r->labels && r->labels[nl])
		nl++;
	if (!(av = calloc(n + nh + 2, sizeof *av)) || !(lv = calloc(nl + 4, sizeof *lv)))
		goto nomem;
	if (asprintf(&av[0], "BASE=%s", r->base) < 0)
		goto nomem;
	for (i = 0; i < n; i++)
		av[i + 1] = r->args[i];
	for (i = 0; i < nh; i++)
		av[n + i + 1] = r->hints[i];
	if (asprintf(&lv[0], "%s=1", label) < 0 || asprintf(&lv[1], "dk.name=%s-%s", r->kind, r->arch) < 0 ||
	    asprintf(&lv[2], "dk.arch=%s", r->arch) < 0)
		goto nomem;
	for (i = 0; i < nl; i++)
		lv[i + 3] = r->labels[i];
	if (engine_json_object(av, &args) < 0 || engine_json_object(lv, &labels) < 0)
		goto nomem;
	/* The context holds only the files named here: never the key. */
	if (snprintf(ctx, sizeof ctx, "%s/.dk-context.XXXXXX", tmpdir) >= (int)sizeof ctx) {
		dk_errf(e, tmpdir, 0, "path too long");
		goto out;
	}
	if ((fd = mkstemp(ctx)) < 0) {
		dk_syserrf(e, ctx, 0, "cannot create");
		goto out;
	}
	unlink(ctx);
	tar_writer_fd(&w, fd);
	if (tar_add_mem(&w, "Dockerfile", 0644, r->dockerfile, strlen(r->dockerfile), e) < 0)
		goto out;
	for (i = 0; i < r->nfiles; i++) {
		const struct image_file *f = &r->files[i];

		if ((f->text ? tar_add_mem(&w, f->name, 0644, f->text, strlen(f->text), e)
			     : tar_add_file(&w, f->name, f->path, e)) < 0)
			goto out;
	}
	if (tar_writer_finish(&w, e) < 0)
		goto out;
	if (lseek(fd, 0, SEEK_SET) < 0) {
		dk_syserrf(e, ctx, 0, "seek");
		goto out;
	}
	ret = engine_build(en, fd, tag, "Dockerfile", args.s, labels.s, log, e);
	goto out;
nomem:
	dk_syserrf(e, NULL, 0, "image %s", tag);
out:
	if (fd >= 0)
		close(fd);
	if (av)
		free(av[0]);
	if (lv)
		for (i = 0; i < 3; i++)
			free(lv[i]);
	free(av);
	free(lv);
	buf_free(&args);
	buf_free(&labels);
	return ret;
}

static long long
created(const struct cfg_node *im)
{
	const char *s = cfg_str(cfg_member(im, "Created"));

	return s ? strtoll(s, NULL, 10) : 0;
}

static const char *
name_of(const struct cfg_node *im)
{
	return cfg_str(cfg_get(im, "Labels", "dk.name", (char *)NULL));
}

int
image_prune_choice(const struct cfg_node *images, size_t **out, size_t *n)
{
	size_t i, j, cnt = 0, *v;

	*out = NULL;
	*n = 0;
	if (!images || images->kind != CFG_LIST)
		return 0;
	if (!(v = calloc(images->n + 1, sizeof *v)))
		return -1;
	for (i = 0; i < images->n; i++) {
		const char *ni = name_of(&images->kids[i]);
		long long ci = created(&images->kids[i]);
		int newer = 0;

		for (j = 0; ni && j < images->n && !newer; j++) {
			const char *nj = name_of(&images->kids[j]);

			newer = j != i && nj && !strcmp(ni, nj) && created(&images->kids[j]) > ci;
		}
		if (newer)
			v[cnt++] = i;
	}
	/* newest first: insertion sort, the lists are short */
	for (i = 1; i < cnt; i++) {
		size_t x = v[i];

		for (j = i; j > 0 && created(&images->kids[v[j - 1]]) < created(&images->kids[x]); j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	*out = v;
	*n = cnt;
	return 0;
}

int
image_stage(struct engine *en, const char *stage, const char *arch, const char *label, image_note note, void *ctx,
	char tag[128], struct dk_err *e)
{
	struct engine_image im;
	struct hash_result r;
	char *path = NULL, repo[96];
	int fd, ret = -1;

	if (stage[0] != '/' && strncmp(stage, "./", 2) && strncmp(stage, "~/", 2)) {
		if (snprintf(tag, 128, "%s", stage) >= 128)
			return dk_errf(e, NULL, 0, "%s: stage image name too long", stage);
		if (engine_image_inspect(en, tag, &im, e) < 0)
			return -1;
		ret = im.id ? 0 : dk_errf(e, NULL, 0, "%s: no stage image %s (docker pull it there, or configure a "
			"stage3 tarball as stage)", en->url, tag);
		engine_image_free(&im);
		return ret;
	}
	if (!(path = config_path(stage)))
		return dk_syserrf(e, NULL, 0, "%s", stage);
	if (hash_file(path, HASH_SHA256, &r, e) < 0)
		goto out;
	snprintf(repo, sizeof repo, "dk-stage-%.80s", arch);
	snprintf(tag, 128, "%s:%.16s", repo, r.sha256);
	if (engine_image_inspect(en, tag, &im, e) < 0)
		goto out;
	if (im.id) {
		engine_image_free(&im);
		ret = 0;
		goto out;
	}
	if (note) {
		char msg[PATH_MAX + 512];

		snprintf(msg, sizeof msg, "%s: importing %s as %s", en->url, path, tag);
		note(ctx, msg);
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		dk_syserrf(e, path, 0, "cannot open");
		goto out;
	}
	ret = engine_import(en, repo, tag + strlen(repo) + 1, label, fd, e);
	close(fd);
out:
	free(path);
	return ret;
}

int
image_newest(struct engine *en, const char *name, char **id, struct dk_err *e)
{
	struct cfg_node is;
	long long best = -1;
	size_t i;
	char *f = NULL;
	int r;

	*id = NULL;
	if (asprintf(&f, "dk.name=%s", name) < 0)
		return dk_syserrf(e, NULL, 0, "%s", name);
	r = engine_images(en, f, &is, e);
	free(f);
	if (r < 0)
		return -1;
	for (i = 0; is.kind == CFG_LIST && i < is.n; i++) {
		const char *s = cfg_str(cfg_member(&is.kids[i], "Id"));

		if (s && created(&is.kids[i]) > best) {
			best = created(&is.kids[i]);
			free(*id);
			if (!(*id = strdup(s))) {
				cfg_free(&is);
				return dk_syserrf(e, NULL, 0, "%s", name);
			}
		}
	}
	cfg_free(&is);
	return 0;
}

static const char *
member_str(const struct cfg_node *n, const char *key)
{
	const char *s = cfg_str(cfg_member(n, key));

	return s ? s : "";
}

/* How many ids of list before are not in list after. */
static size_t
count_gone(const struct cfg_node *before, const struct cfg_node *after)
{
	size_t i, j, gone = 0;

	for (i = 0; before->kind == CFG_LIST && i < before->n; i++) {
		const char *id = member_str(&before->kids[i], "Id");
		int still = 0;

		for (j = 0; after->kind == CFG_LIST && j < after->n && !still; j++)
			still = !strcmp(id, member_str(&after->kids[j], "Id"));
		gone += !still;
	}
	return gone;
}

int
image_prune(struct engine *en, const char *label, int all, struct image_pruned *out, struct dk_err *e)
{
	struct cfg_node cb = { 0 }, ib = { 0 }, ca = { 0 }, ia = { 0 };
	size_t *pick = NULL, n = 0, i;
	int ret = -1;

	memset(out, 0, sizeof *out);
	if (engine_containers(en, label, &cb, e) < 0 || engine_images(en, label, &ib, e) < 0 ||
	    engine_prune(en, label, all, &out->freed, e) < 0)
		goto out;
	if (!all) {
		if (engine_images(en, label, &ia, e) < 0)
			goto out;
		if (image_prune_choice(&ia, &pick, &n) < 0) {
			dk_syserrf(e, NULL, 0, "%s: prune", en->url);
			goto out;
		}
		for (i = 0; i < n; i++) {
			const struct cfg_node *im = &ia.kids[pick[i]];
			int r = engine_remove_image(en, member_str(im, "Id"), e);

			if (r < 0)
				goto out;
			if (r == 0)
				out->freed += strtoull(member_str(im, "Size"), NULL, 10);
		}
		cfg_free(&ia);
	}
	if (engine_containers(en, label, &ca, e) < 0 || engine_images(en, label, &ia, e) < 0)
		goto out;
	out->containers = count_gone(&cb, &ca);
	out->images = count_gone(&ib, &ia);
	ret = 0;
out:
	free(pick);
	cfg_free(&cb);
	cfg_free(&ib);
	cfg_free(&ca);
	cfg_free(&ia);
	return ret;
}

void
image_store_free(struct image_store *p)
{
	size_t i;

	for (i = 0; i < 6; i++)
		free(p->args[i]);
	for (i = 0; i < 2; i++) {
		free(p->hints[i]);
		free(p->labels[i]);
	}
	for (i = 0; i < 4; i++)
		free(p->inputs[i]);
	buf_free(&p->deps);
	memset(p, 0, sizeof *p);
}

static const char *
or_empty(const char *s)
{
	return s ? s : "";
}

int
image_deps_recipe(const struct dkconfig *c, const struct dkc_arch *a, const char *stage, const char *stage_id,
	const char *dockerfile, const char *snapshot, const char *snapshot_tar, struct image_store *p)
{
	size_t i;

	memset(p, 0, sizeof *p);
	for (i = 0; a->deps && a->deps[i]; i++)
		buf_printf(&p->deps, "%s%s", p->deps.len ? " " : "", a->deps[i]);
	for (i = 0; a->extra_deps && a->extra_deps[i]; i++)
		buf_printf(&p->deps, "%s%s", p->deps.len ? " " : "", a->extra_deps[i]);
	if (asprintf(&p->args[0], "CFLAGS=%s", or_empty(a->cflags)) < 0 ||
	    asprintf(&p->args[1], "LDFLAGS=%s", or_empty(a->ldflags)) < 0 ||
	    asprintf(&p->args[2], "USE=%s", or_empty(a->use)) < 0 ||
	    asprintf(&p->args[3], "DEPS=%s", buf_str(&p->deps)) < 0 ||
	    asprintf(&p->labels[0], "dk.snapshot=%s", or_empty(snapshot)) < 0) {
		image_store_free(p);
		return -1;
	}
	p->files[0] = (struct image_file){ "make.conf", or_empty(c->make_conf), NULL, 1 };
	p->files[1] = (struct image_file){ "package.accept_keywords", or_empty(c->accept_keywords), NULL, 1 };
	p->files[2] = (struct image_file){ "package.use", or_empty(c->package_use), NULL, 1 };
	p->files[3] = (struct image_file){ "gentoo.tar", NULL, snapshot_tar, 0 };
	p->r = (struct image_recipe){ .kind = "deps", .arch = a->name, .base = stage, .base_id = stage_id,
		.dockerfile = dockerfile, .args = p->args, .hints = p->hints, .labels = p->labels,
		.files = p->files, .nfiles = 4 };
	return 0;
}

int
image_kernel_recipe(const struct dkconfig *c, const struct dkc_arch *a, const char *deps_tag,
	const char *deps_id, const char *dockerfile, const char *snapshot, const char *base, const char *diffsum,
	const char *diff_path, const char *delta, struct image_store *p)
{
	memset(p, 0, sizeof *p);
	if (asprintf(&p->inputs[0], "snapshot=%s", or_empty(snapshot)) < 0 ||
	    asprintf(&p->inputs[1], "base=%s", or_empty(base)) < 0 ||
	    asprintf(&p->inputs[2], "diff=%s", or_empty(diffsum)) < 0) {
		image_store_free(p);
		return -1;
	}
	p->files[0] = (struct image_file){ "delta.diff", or_empty(delta), NULL, 0 };
	p->files[1] = (struct image_file){ "local.diff", NULL, diff_path, 0 };
	p->files[2] = (struct image_file){ "kernel.config", or_empty(c->kernel_config), NULL, 1 };
	p->files[3] = (struct image_file){ "plymouthd.conf", or_empty(c->plymouthd_conf), NULL, 1 };
	p->r = (struct image_recipe){ .kind = "kernel", .arch = a->name, .base = deps_tag, .base_id = deps_id,
		.dockerfile = dockerfile, .inputs = p->inputs, .files = p->files, .nfiles = 4 };
	return 0;
}
