/* dk: dk-build's typed configuration. GPL-2.0-only. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dkconfig.h"

enum type { T_STR, T_PATH, T_INT, T_BOOL, T_DUR, T_STRV, T_ENV, T_PORTAGE, T_ARCHES, T_POST, T_STEVE, T_ANY };

/* One known key: its type, where it goes, its range. */
struct key {
	const char *name;
	enum type type;
	size_t off;		/* in struct dkconfig, or struct dkc_arch for arch keys */
	long min, max;
	int arch;		/* an arch may set it too (off then in struct dkc_arch) */
};

#define G(f) offsetof(struct dkconfig, f)
#define A(f) offsetof(struct dkc_arch, f)
static const struct key top_keys[] = {
	{ "binpkgroot", T_PATH, G(binpkgroot), 0, 0, 0 },
	{ "distcache", T_PATH, G(distcache), 0, 0, 0 },
	{ "logdir", T_PATH, G(logdir), 0, 0, 0 },
	{ "signing_key", T_PATH, G(signing_key), 0, 0, 0 },
	{ "local_diff", T_PATH, G(local_diff), 0, 0, 0 },
	{ "repo", T_PATH, G(repo), 0, 0, 0 },
	{ "base", T_STR, G(base), 0, 0, 0 },
	{ "dockerfiles", T_PATH, G(dockerfiles), 0, 0, 0 },
	{ "panic", T_STR, G(panic), 0, 0, 0 },
	{ "label", T_STR, G(label), 0, 0, 0 },
	{ "pkgdir", T_STR, G(pkgdir), 0, 0, 0 },
	{ "run", T_STR, G(run), 0, 0, 0 },
	{ "jobs", T_INT, G(jobs), 1, 64, 0 },
	{ "retries", T_INT, G(retries), 0, 100, 0 },
	{ "timeout", T_DUR, G(timeout), 0, 0, 0 },
	{ "stall", T_DUR, G(stall), 0, 0, 0 },
	{ "deps_max_age", T_DUR, G(deps_max_age), 0, 0, 0 },
	{ "retry_timeouts", T_BOOL, G(retry_timeouts), 0, 0, 0 },
	{ "steve", T_STEVE, G(steve), 0, 0, 0 },
	{ "ssh", T_STRV, G(ssh), 0, 0, 0 },
	{ "packages", T_STRV, G(packages), 0, 0, 0 },
	{ "env", T_ENV, G(env), 0, 0, 0 },
	{ "portage", T_PORTAGE, 0, 0, 0, 0 },
	{ "arches", T_ARCHES, 0, 0, 0, 0 },
	{ "destinations", T_ANY, 0, 0, 0, 0 },	/* dk-push's (it checks them) */
	/* the arch settings, at the top level for every arch */
	{ "stage", T_STR, A(stage), 0, 0, 1 },
	{ "cflags", T_STR, A(cflags), 0, 0, 1 },
	{ "ldflags", T_STR, A(ldflags), 0, 0, 1 },
	{ "use", T_STR, A(use), 0, 0, 1 },
	{ "deps", T_STRV, A(deps), 0, 0, 1 },
	{ "extra_deps", T_STRV, A(extra_deps), 0, 0, 1 },
	{ "post_pkgs", T_POST, 0, 0, 0, 1 },
	{ "devices", T_STRV, A(devices), 0, 0, 1 },
	{ "tmpfs", T_STRV, A(tmpfs), 0, 0, 1 },
	{ NULL, 0, 0, 0, 0, 0 },
};
/* Only in an arch's map. */
static const struct key arch_keys[] = {
	{ "hosts", T_STRV, A(hosts), 0, 0, 1 },
	{ "engine_arch", T_STRV, A(engine_arch), 0, 0, 1 },
	{ NULL, 0, 0, 0, 0, 0 },
};
static const struct key portage_keys[] = {
	{ "make.conf", T_STR, G(make_conf), 0, 0, 0 },
	{ "package.accept_keywords", T_STR, G(accept_keywords), 0, 0, 0 },
	{ "package.use", T_STR, G(package_use), 0, 0, 0 },
	{ "kernel.config", T_STR, G(kernel_config), 0, 0, 0 },
	{ "plymouthd.conf", T_STR, G(plymouthd_conf), 0, 0, 0 },
	{ NULL, 0, 0, 0, 0, 0 },
};

/* The decoder's state: the problems found so far. */
struct dec {
	struct buf *problems;
	struct dk_err *e;
	int n;
};

/* Records e once: a top-level arch setting is decoded for every arch. */
static void
add(struct dec *d, const struct dk_err *e)
{
	size_t l = strlen(e->msg);
	const char *p;

	for (p = d->problems ? d->problems->s : NULL; p && (p = strstr(p, e->msg)); p += l)
		if ((p == d->problems->s || p[-1] == '\n') && p[l] == '\n')
			return;
	if (!d->n++ && d->e)
		*d->e = *e;
	if (d->problems)
		buf_printf(d->problems, "%s\n", e->msg);
}

static void __attribute__((format(printf, 3, 4)))
problem(struct dec *d, const struct cfg_node *n, const char *fmt, ...)
{
	char msg[700];
	struct dk_err e;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cfg_errf(&e, n, "%s", msg);
	add(d, &e);
}

static void
nomem(struct dec *d)
{
	if (!d->n++ && d->e)
		dk_syserrf(d->e, NULL, 0, "configuration");
	if (d->problems)
		buf_adds(d->problems, "configuration: out of memory\n");
}

size_t
dkconfig_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, row[64], prev, t;

	if (la > 63 || lb > 63)
		return la > lb ? la : lb;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			t = row[j];
			row[j] = prev + (a[i - 1] != b[j - 1]);
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (t + 1 < row[j])
				row[j] = t + 1;
			prev = t;
		}
	}
	return row[lb];
}

/* The known key of the tables nearest to name, when near enough to be a
 * typo of it. */
static const char *
nearest(const char *name, const struct key *t1, const struct key *t2)
{
	const struct key *ts[] = { t1, t2 };
	const char *best = NULL;
	size_t bd = (size_t)-1, i, l = strlen(name);

	for (i = 0; i < 2; i++) {
		const struct key *k;

		for (k = ts[i]; k && k->name; k++) {
			size_t dist = dkconfig_distance(name, k->name);

			if (dist < bd) {
				bd = dist;
				best = k->name;
			}
		}
	}
	return best && bd <= (l < 6 ? 2 : l / 3 + 1) ? best : NULL;
}

static const struct key *
find_key(const char *name, const struct key *t)
{
	for (; t && t->name; t++)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

/* The place of member kn's key (not its value's), in tmp. */
static const struct cfg_node *
key_at(const struct cfg_node *kn, struct cfg_node *tmp)
{
	*tmp = *kn;
	if (kn->key_line > 0) {
		tmp->line = kn->key_line;
		tmp->col = kn->key_col;
	}
	return tmp;
}

static void
unknown(struct dec *d, const struct cfg_node *kn, const char *where, const struct key *t1, const struct key *t2)
{
	const char *s = nearest(kn->key, t1, t2);
	struct cfg_node tmp;
	const struct cfg_node *n = key_at(kn, &tmp);

	if (s)
		problem(d, n, "unknown key '%s'%s (did you mean %s?)", n->key, where, s);
	else
		problem(d, n, "unknown key '%s'%s", n->key, where);
}

static const char *
scalar(struct dec *d, const struct cfg_node *n, const char *what)
{
	if (n->kind == CFG_SCALAR)
		return n->value;
	problem(d, n, "%s: expected a value, not a %s", what, n->kind == CFG_LIST ? "list" : "map");
	return NULL;
}

static char **
strv(struct dec *d, const struct cfg_node *n, const char *what)
{
	struct dk_err e;
	char **v;

	if (cfg_strv(n, what, &v, &e) < 0) {
		if (errno == ENOMEM && !strstr(e.msg, "expected"))
			nomem(d);
		else
			add(d, &e);
		return NULL;
	}
	return v;
}

int
dkconfig_duration(const char *s, long *secs)
{
	char *end;
	long v, mul = 1;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno)
		return -1;
	if (*end && end[1])
		return -1;
	switch (*end) {
	case '\0': case 's': mul = 1; break;
	case 'm': mul = 60; break;
	case 'h': mul = 3600; break;
	case 'd': mul = 86400; break;
	default: return -1;
	}
	if (v > LONG_MAX / mul / 4)	/* room for adding to a time_t */
		return -1;
	*secs = v * mul;
	return 0;
}

static void
decode_post(struct dec *d, const struct cfg_node *n, struct dkc_arch *a)
{
	size_t i, cnt = n->kind == CFG_MAP ? n->n : 1;

	if (!(a->post = calloc(cnt, sizeof *a->post))) {
		nomem(d);
		return;
	}
	if (n->kind != CFG_MAP) {
		a->npost = 1;
		if (!(a->post[0].series = strdup("default")))
			nomem(d);
		a->post[0].pkgs = strv(d, n, "post_pkgs");
		return;
	}
	for (i = 0; i < n->n; i++) {
		const struct cfg_node *k = &n->kids[i];
		const char *s = k->key;
		struct cfg_node tmp;
		int ok = !strcmp(s, "default");

		if (!ok && isdigit((unsigned char)*s)) {
			ok = 1;
			for (; *s && ok; s++)
				ok = isdigit((unsigned char)*s) || (*s == '.' && s[1] && s[1] != '.');
		}
		if (!ok) {
			problem(d, key_at(k, &tmp), "post_pkgs: '%s' is not a series (MAJOR.MINOR) or default", k->key);
			continue;
		}
		a->post[a->npost].series = strdup(k->key);
		a->post[a->npost].pkgs = strv(d, k, "post_pkgs");
		if (!a->post[a->npost].series)
			nomem(d);
		a->npost++;
	}
}

static int
env_name_ok(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

static void
decode_env(struct dec *d, const struct cfg_node *n, char ***out)
{
	size_t i;
	char **v;

	if (n->kind != CFG_MAP) {
		problem(d, n, "env: expected a map of NAME: value, not a %s", n->kind == CFG_LIST ? "list" : "value");
		return;
	}
	if (!(v = calloc(n->n + 1, sizeof *v))) {
		nomem(d);
		return;
	}
	*out = v;
	for (i = 0; i < n->n; i++) {
		const struct cfg_node *k = &n->kids[i];
		struct cfg_node tmp;
		const char *s;

		if (!env_name_ok(k->key)) {
			problem(d, key_at(k, &tmp), "env: '%s' is not a variable name", k->key);
			continue;
		}
		if (!(s = scalar(d, k, k->key)))
			continue;
		if (asprintf(v++, "%s=%s", k->key, s) < 0) {
			v[-1] = NULL;
			nomem(d);
			return;
		}
	}
}

/* Decodes the value n of key k into the field at base + k->off. */
static void
decode_value(struct dec *d, const struct key *k, const struct cfg_node *n, char *base)
{
	const char *s;
	char *end;
	long long v;
	long secs;

	switch (k->type) {
	case T_STR:
	case T_PATH:
		if (!(s = scalar(d, n, k->name)))
			return;
		if (!(*(char **)(base + k->off) = k->type == T_PATH ? config_path(s) : strdup(s)))
			nomem(d);
		return;
	case T_INT:
		if (!(s = scalar(d, n, k->name)))
			return;
		errno = 0;
		v = strtoll(s, &end, 10);
		if (!*s || *end || errno || v < k->min || v > k->max) {
			problem(d, n, "%s: '%s' is not a whole number from %ld to %ld", k->name, s, k->min, k->max);
			return;
		}
		*(long *)(base + k->off) = (long)v;
		return;
	case T_BOOL:
		if (!(s = scalar(d, n, k->name)))
			return;
		if (!strcmp(s, "true") || !strcmp(s, "yes"))
			*(int *)(base + k->off) = 1;
		else if (!strcmp(s, "false") || !strcmp(s, "no"))
			*(int *)(base + k->off) = 0;
		else
			problem(d, n, "%s: '%s' is not true or false", k->name, s);
		return;
	case T_STEVE:
		if (!(s = scalar(d, n, k->name)))
			return;
		if (!strcmp(s, "auto"))
			*(enum dkc_steve *)(base + k->off) = DKC_STEVE_AUTO;
		else if (!strcmp(s, "true") || !strcmp(s, "yes"))
			*(enum dkc_steve *)(base + k->off) = DKC_STEVE_ON;
		else if (!strcmp(s, "false") || !strcmp(s, "no"))
			*(enum dkc_steve *)(base + k->off) = DKC_STEVE_OFF;
		else
			problem(d, n, "%s: '%s' is not auto, true or false", k->name, s);
		return;
	case T_DUR:
		if (!(s = scalar(d, n, k->name)))
			return;
		if (dkconfig_duration(s, &secs) < 0)
			problem(d, n, "%s: '%s' is not a duration (e.g. 90s, 45m, 8h, 30d; 0: none)", k->name, s);
		else
			*(long *)(base + k->off) = secs;
		return;
	case T_STRV:
		*(char ***)(base + k->off) = strv(d, n, k->name);
		return;
	case T_ENV:
		decode_env(d, n, (char ***)(base + k->off));
		return;
	case T_POST:
		decode_post(d, n, (struct dkc_arch *)base);
		return;
	case T_PORTAGE:
	case T_ARCHES:
	case T_ANY:
		return;
	}
}

static void
free_arch(struct dkc_arch *a)
{
	size_t i;

	free(a->name);
	cfg_strv_free(a->hosts);
	cfg_strv_free(a->engine_arch);
	free(a->stage);
	free(a->cflags);
	free(a->ldflags);
	free(a->use);
	cfg_strv_free(a->deps);
	cfg_strv_free(a->extra_deps);
	for (i = 0; i < a->npost; i++) {
		free(a->post[i].series);
		cfg_strv_free(a->post[i].pkgs);
	}
	free(a->post);
	cfg_strv_free(a->devices);
	cfg_strv_free(a->tmpfs);
	memset(a, 0, sizeof *a);
}

/* An arch: its own keys, else the top level's. */
static void
decode_arch(struct dec *d, const struct cfg_node *root, const struct cfg_node *an, struct dkc_arch *a)
{
	const struct key *ts[] = { top_keys, arch_keys }, *k;
	struct cfg_node tmp;
	size_t i, j;

	if (!(a->name = strdup(an->key)))
		nomem(d);
	if (an->kind != CFG_MAP) {
		problem(d, an, "%s: expected a map, not a %s", an->key, an->kind == CFG_LIST ? "list" : "value");
		return;
	}
	for (i = 0; i < an->n; i++) {
		k = find_key(an->kids[i].key, arch_keys);
		if (!k && (k = find_key(an->kids[i].key, top_keys)) && !k->arch)
			k = NULL;
		if (!k)
			unknown(d, &an->kids[i], " in an arch", arch_keys, top_keys);
	}
	for (j = 0; j < 2; j++) {
		for (k = ts[j]; k->name; k++) {
			const struct cfg_node *n;

			if (!k->arch)
				continue;
			if (!(n = cfg_member(an, k->name)) && !(n = cfg_member(root, k->name)))
				continue;
			decode_value(d, k, n, (char *)a);
		}
	}
	{
		const struct cfg_node *h = cfg_member(an, "hosts");

		a->hosts_set = h && h->file && strcmp(h->file, "<defaults>");
	}
	/* empty lists rather than NULL for what the caller walks */
	if (!a->hosts)
		a->hosts = calloc(1, sizeof *a->hosts);
	if (!a->engine_arch)
		a->engine_arch = calloc(1, sizeof *a->engine_arch);
	if (!a->deps)
		a->deps = calloc(1, sizeof *a->deps);
	if (!a->extra_deps)
		a->extra_deps = calloc(1, sizeof *a->extra_deps);
	if (!a->devices)
		a->devices = calloc(1, sizeof *a->devices);
	if (!a->tmpfs)
		a->tmpfs = calloc(1, sizeof *a->tmpfs);
	if (!a->hosts || !a->engine_arch || !a->deps || !a->extra_deps || !a->devices || !a->tmpfs)
		nomem(d);
	if (!a->stage || !a->stage[0])
		problem(d, cfg_member(an, "stage") ? cfg_member(an, "stage") : key_at(an, &tmp),
			"%s: no stage configured", a->name);
}

int
dkconfig_decode(struct dkconfig *d, const struct config *c, struct buf *problems, struct dk_err *e)
{
	const struct cfg_node *root = &c->root, *n;
	struct dec dc = { .problems = problems, .e = e };
	const struct key *k;
	size_t i;

	memset(d, 0, sizeof *d);
	d->jobs = 1;
	d->timeout = 8 * 3600;
	d->stall = 45 * 60;
	d->deps_max_age = 30 * 86400;
	for (i = 0; i < root->n; i++) {
		const struct cfg_node *m = &root->kids[i];

		if (!(k = find_key(m->key, top_keys))) {
			unknown(&dc, m, "", top_keys, arch_keys);
			continue;
		}
		if (!k->arch)
			decode_value(&dc, k, m, (char *)d);
	}
	if ((n = cfg_member(root, "portage"))) {
		if (n->kind != CFG_MAP)
			problem(&dc, n, "portage: expected a map of file names, not a %s",
				n->kind == CFG_LIST ? "list" : "value");
		for (i = 0; n->kind == CFG_MAP && i < n->n; i++) {
			if (!(k = find_key(n->kids[i].key, portage_keys)))
				unknown(&dc, &n->kids[i], " in portage", portage_keys, NULL);
			else
				decode_value(&dc, k, &n->kids[i], (char *)d);
		}
	}
	if ((n = cfg_member(root, "arches")) && n->kind != CFG_MAP)
		problem(&dc, n, "arches: expected a map, not a %s", n->kind == CFG_LIST ? "list" : "value");
	else if (!n || !n->n)
		problem(&dc, n ? n : root, "no arches configured");
	else if (!(d->arches = calloc(n->n, sizeof *d->arches)))
		nomem(&dc);
	else
		for (i = 0; i < n->n; i++)
			decode_arch(&dc, root, &n->kids[i], &d->arches[d->narches++]);
	if (!d->ssh && !(d->ssh = calloc(1, sizeof *d->ssh)))
		nomem(&dc);
	if (!d->packages && !(d->packages = calloc(1, sizeof *d->packages)))
		nomem(&dc);
	if (!d->env && !(d->env = calloc(1, sizeof *d->env)))
		nomem(&dc);
	if (dc.n) {
		dkconfig_free(d);
		return -1;
	}
	return 0;
}

void
dkconfig_free(struct dkconfig *d)
{
	char **strs[] = { &d->binpkgroot, &d->distcache, &d->logdir, &d->signing_key, &d->local_diff,
		&d->repo, &d->dockerfiles, &d->base, &d->panic, &d->label, &d->pkgdir, &d->run,
		&d->make_conf, &d->accept_keywords, &d->package_use, &d->kernel_config, &d->plymouthd_conf };
	size_t i;

	for (i = 0; i < sizeof strs / sizeof strs[0]; i++)
		free(*strs[i]);
	cfg_strv_free(d->ssh);
	cfg_strv_free(d->packages);
	cfg_strv_free(d->env);
	for (i = 0; i < d->narches; i++)
		free_arch(&d->arches[i]);
	free(d->arches);
	memset(d, 0, sizeof *d);
}

const struct dkc_arch *
dkconfig_arch(const struct dkconfig *d, const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < d->narches; i++)
		if (strlen(d->arches[i].name) == n && !strncmp(d->arches[i].name, name, n))
			return &d->arches[i];
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

int
dkconfig_target(const struct dkconfig *d, const char *name, struct dkc_target *t)
{
	size_t n = strlen(name), i, best = 0;
	const char *rest;

	memset(t, 0, sizeof *t);
	if (!strncmp(name, "build-", 6) && n > 18 && !strcmp(name + n - 12, "-kernel-deps")) {
		t->deps = 1;
		return (t->arch = dkconfig_arch(d, name + 6, n - 18)) ? 0 : -1;
	}
	for (i = 0; i < d->narches; i++) {
		size_t l = strlen(d->arches[i].name);

		if (l > best && !strncmp(name, d->arches[i].name, l) && name[l] == '-') {
			best = l;
			t->arch = &d->arches[i];
		}
	}
	if (!t->arch)
		return -1;
	rest = name + best + 1;
	for (i = 0; d->packages[i]; i++) {
		size_t l = strlen(d->packages[i]);

		if (!strncmp(rest, d->packages[i], l) && rest[l] == '-' && is_series(rest + l + 1)) {
			t->pkg = strndup(rest, l);
			t->series = strdup(rest + l + 1);
			if (!t->pkg || !t->series) {
				free(t->pkg);
				free(t->series);
				return -2;
			}
			return 0;
		}
	}
	t->arch = NULL;
	return -1;
}

char *const *
dkconfig_post(const struct dkc_arch *a, const char *series)
{
	static char *const none[] = { NULL };
	size_t i;

	for (i = 0; i < a->npost; i++)
		if (!strcmp(a->post[i].series, series) && a->post[i].pkgs)
			return a->post[i].pkgs;
	for (i = 0; i < a->npost; i++)
		if (!strcmp(a->post[i].series, "default") && a->post[i].pkgs)
			return a->post[i].pkgs;
	return none;
}

/* ---- dumping ---- */

/* Whether s can be written as a plain YAML scalar that reads back as the
 * same string (and not as another type's spelling, which dk treats as
 * text anyway). */
static int
plain_ok(const char *s)
{
	const char *p;

	if (!*s || strchr("-?:,[]{}#&*!|>'\"%@` \t", *s))
		return 0;
	for (p = s; *p; p++) {
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			return 0;
		if (*p == ':' && (p[1] == ' ' || !p[1]))
			return 0;
		if (*p == '#' && p[-1] == ' ')
			return 0;
		if (strchr(",[]{}", *p))
			return 0;
	}
	return p[-1] != ' ' && p[-1] != '\t';
}

static void
origin(FILE *fp, const struct cfg_node *n)
{
	if (!n->file || !strcmp(n->file, "<defaults>"))
		fputs("  # default", fp);
	else {
		char l[32];

		fputs("  # ", fp);
		fputs(n->file, fp);
		if (strncmp(n->file, "env ", 4) && n->line > 0) {
			snprintf(l, sizeof l, ":%ld", n->line);
			fputs(l, fp);
		}
	}
}

static void
indent(FILE *fp, int depth)
{
	int i;

	for (i = 0; i < depth; i++)
		fputs("  ", fp);
}

/* Writes scalar s inline (after "key: " or "- "), or as a block. */
static void
put_scalar(FILE *fp, const struct cfg_node *n, int depth)
{
	const char *s = n->value, *p;
	size_t l = strlen(s);
	int block = l && strchr(s, '\n');

	/* a block scalar keeps its lines; only when it ends in one newline
	 * and has no leading blanks on line 1 */
	if (block && s[l - 1] == '\n' && (l < 2 || s[l - 2] != '\n') && s[0] != ' ' && s[0] != '\t') {
		for (p = s; *p && block; p++)
			if ((unsigned char)*p < ' ' && *p != '\n' && *p != '\t')
				block = 0;
		if (block) {
			fputc('|', fp);
			origin(fp, n);
			fputc('\n', fp);
			for (p = s; *p;) {
				size_t ll = strcspn(p, "\n");

				if (ll) {
					indent(fp, depth + 1);
					fwrite(p, 1, ll, fp);
				}
				fputc('\n', fp);
				p += ll + 1;
			}
			return;
		}
	}
	if (plain_ok(s)) {
		fputs(s, fp);
	} else {
		/* double quotes: every byte escapable */
		fputc('"', fp);
		for (p = s; *p; p++) {
			unsigned char ch = (unsigned char)*p;
			char x[8];

			if (ch == '"' || ch == '\\')
				snprintf(x, sizeof x, "\\%c", ch);
			else if (ch == '\n')
				snprintf(x, sizeof x, "\\n");
			else if (ch == '\t')
				snprintf(x, sizeof x, "\\t");
			else if (ch < ' ' || ch == 0x7f)
				snprintf(x, sizeof x, "\\x%02x", ch);
			else
				snprintf(x, sizeof x, "%c", ch);
			fputs(x, fp);
		}
		fputc('"', fp);
	}
	origin(fp, n);
	fputc('\n', fp);
}

static void put_node(FILE *fp, const struct cfg_node *n, int depth);

/* Writes the members of map n (or items of list n) at depth. */
static void
put_kids(FILE *fp, const struct cfg_node *n, int depth)
{
	size_t i;

	for (i = 0; i < n->n; i++) {
		const struct cfg_node *k = &n->kids[i];

		indent(fp, depth);
		if (n->kind == CFG_MAP) {
			if (plain_ok(k->key))
				fputs(k->key, fp);
			else {
				fputc('\'', fp);	/* keys are checked names */
				fputs(k->key, fp);
				fputc('\'', fp);
			}
			fputc(':', fp);
		} else {
			fputc('-', fp);
		}
		put_node(fp, k, depth);
	}
}

static void
put_node(FILE *fp, const struct cfg_node *n, int depth)
{
	if (n->kind == CFG_SCALAR) {
		fputc(' ', fp);
		put_scalar(fp, n, depth);
	} else if (!n->n) {
		fputs(n->kind == CFG_MAP ? " {}" : " []", fp);
		origin(fp, n);
		fputc('\n', fp);
	} else {
		origin(fp, n);
		fputc('\n', fp);
		put_kids(fp, n, depth + 1);
	}
}

int
dkconfig_dump(const struct config *c, FILE *fp)
{
	fputs("# dk: the effective configuration: compiled-in defaults, ", fp);
	fputs(c->path ? c->path : "no file", fp);
	fputs(", environment\n", fp);
	put_kids(fp, &c->root, 0);
	return ferror(fp) ? -1 : 0;
}
