/* dk: kernel.org's releases.json against the tree's dist-kernel series.
 * JSON is YAML: libyaml reads it through config.h's node tree.
 * GPL-2.0-only. */
#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "pkgdir.h"
#include "releases.h"
#include "version.h"

int
kver_valid(const char *v)
{
	static const char re[] = "^[0-9]+\\.[0-9]+(\\.[0-9]+)*(_(p|rc)[0-9]+)?(-r[0-9]+)?$";
	regex_t rx;
	int ok;

	if (!v || regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
		return 0;
	ok = regexec(&rx, v, 0, NULL, 0) == 0;
	regfree(&rx);
	return ok && version_valid(v);
}

char *
kver_series(const char *v)
{
	const char *dot;
	size_t n;

	if (!kver_valid(v))
		return NULL;
	dot = strchr(v, '.') + 1;
	n = (size_t)(dot - v) + strspn(dot, "0123456789");
	return strndup(v, n);
}

/* A release's member key as a scalar; NULL with e set when absent or not a
 * scalar. */
static const char *
member_str(const struct cfg_node *rel, const char *key, size_t i, struct dk_err *e)
{
	const struct cfg_node *m = cfg_member(rel, key);

	if (!m)
		return cfg_errf(e, rel, "releases[%zu]: no \"%s\"", i, key), NULL;
	if (m->kind != CFG_SCALAR)
		return cfg_errf(e, m, "releases[%zu].%s: expected a string", i, key), NULL;
	return m->value;
}

/* Adds release i of the list when it is stable or longterm. */
static int
add_release(struct releases *r, const struct cfg_node *rel, size_t i, struct dk_err *e)
{
	const char *version, *moniker;
	const struct cfg_node *eol;
	struct release *nv, *x;

	if (rel->kind != CFG_MAP)
		return cfg_errf(e, rel, "releases[%zu]: expected an object", i);
	if (!(version = member_str(rel, "version", i, e)) || !(moniker = member_str(rel, "moniker", i, e)))
		return -1;
	if (strcmp(moniker, "stable") != 0 && strcmp(moniker, "longterm") != 0)
		return 0;
	if (!kver_valid(version))
		return cfg_errf(e, cfg_member(rel, "version"), "releases[%zu].version: '%s' is not a kernel version",
			i, version);
	eol = cfg_member(rel, "iseol");
	if (eol && (eol->kind != CFG_SCALAR || eol->quoted ||
	    (strcmp(eol->value, "true") != 0 && strcmp(eol->value, "false") != 0)))
		return cfg_errf(e, eol, "releases[%zu].iseol: expected true or false", i);
	if (!(nv = realloc(r->v, (r->n + 1) * sizeof *nv)))
		return dk_syserrf(e, NULL, 0, "releases");
	r->v = nv;
	x = &r->v[r->n];
	memset(x, 0, sizeof *x);
	x->series = kver_series(version);
	x->version = strdup(version);
	x->moniker = strdup(moniker);
	x->eol = eol && strcmp(eol->value, "true") == 0;
	x->line = rel->line;
	r->n++;
	if (!x->series || !x->version || !x->moniker)
		return dk_syserrf(e, NULL, 0, "releases");
	return 0;
}

int
releases_parse(struct releases *r, const char *file, const char *text, size_t len, struct dk_err *e)
{
	struct cfg_node root = { 0 };
	const struct cfg_node *list;
	int rc = -1;

	memset(r, 0, sizeof *r);
	if (cfg_parse(&root, file, text, len, e) < 0)
		return -1;
	if (root.kind != CFG_MAP || root.n == 0) {
		dk_errf(e, file, root.line ? root.line : 1, "not kernel.org's releases.json: expected an object");
		goto out;
	}
	if (!(list = cfg_member(&root, "releases"))) {
		dk_errf(e, file, root.line ? root.line : 1, "no \"releases\" list");
		goto out;
	}
	if (cfg_expect(list, CFG_LIST, "releases", e) < 0)
		goto out;
	for (size_t i = 0; i < list->n; i++)
		if (add_release(r, &list->kids[i], i, e) < 0)
			goto out;
	rc = 0;
out:
	cfg_free(&root);
	if (rc < 0)
		releases_free(r);
	return rc;
}

void
releases_free(struct releases *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].series);
		free(r->v[i].version);
		free(r->v[i].moniker);
	}
	free(r->v);
	memset(r, 0, sizeof *r);
}

/* The row of series s, made when absent; NULL out of memory. */
static struct series_row *
row_of(struct series_plan *plan, const char *s)
{
	struct series_row *nv;
	size_t i;

	for (i = 0; i < plan->n; i++)
		if (strcmp(plan->v[i].series, s) == 0)
			return &plan->v[i];
	if (!(nv = realloc(plan->v, (plan->n + 1) * sizeof *nv)))
		return NULL;
	plan->v = nv;
	memset(&nv[plan->n], 0, sizeof *nv);
	if (!(nv[plan->n].series = strdup(s)))
		return NULL;
	return &plan->v[plan->n++];
}

static int
is_live(const char *pv)
{
	size_t n = strlen(pv);

	return n >= 4 && strcmp(pv + n - 4, "9999") == 0;
}

int
series_add_pkgdir(struct series_plan *plan, const char *dir, struct dk_err *e)
{
	struct pkgdir pd;
	size_t i, used = 0;
	int rc = -1;

	if (pkgdir_load(&pd, dir, e) < 0)
		return -1;
	for (i = 0; i < pd.n; i++) {
		const char *pv = pd.ebuilds[i].pv;
		struct series_row *row;
		char *s;

		if (is_live(pv) || !(s = kver_series(pv)))
			continue;
		row = row_of(plan, s);
		free(s);
		if (!row) {
			dk_syserrf(e, dir, 0, "series");
			goto out;
		}
		used++;
		if (row->tree && version_cmp(row->tree, pv) >= 0)
			continue;
		free(row->tree);
		if (!(row->tree = strdup(pv))) {
			dk_syserrf(e, dir, 0, "series");
			goto out;
		}
	}
	if (used == 0) {
		dk_errf(e, dir, 0, "no ebuild of a kernel version");
		goto out;
	}
	rc = 0;
out:
	pkgdir_free(&pd);
	return rc;
}

static int
by_series(const void *a, const void *b)
{
	const struct series_row *x = a, *y = b;

	return version_cmp(x->series, y->series);
}

int
series_join(struct series_plan *plan, const struct releases *r, struct dk_err *e)
{
	const char *newest = NULL;
	size_t i;

	for (i = 0; i < r->n; i++) {
		struct series_row *row = row_of(plan, r->v[i].series);

		if (!row)
			return dk_syserrf(e, NULL, 0, "series");
		/* a series listed twice: its newest release counts */
		if (!row->up || version_cmp(row->up->version, r->v[i].version) < 0)
			row->up = &r->v[i];
	}
	for (i = 0; i < plan->n; i++)
		if (plan->v[i].tree && (!newest || version_cmp(newest, plan->v[i].series) < 0))
			newest = plan->v[i].series;
	for (i = 0; i < plan->n; i++) {
		struct series_row *row = &plan->v[i];

		if (!row->tree)
			row->state = newest && version_cmp(row->series, newest) < 0 ? SERIES_ABSENT : SERIES_NEW;
		else if (!row->up)
			row->state = SERIES_GONE;
		else if (version_cmp(row->tree, row->up->version) < 0)
			row->state = SERIES_DUE;
		else
			row->state = SERIES_CURRENT;
	}
	if (plan->n > 1)
		qsort(plan->v, plan->n, sizeof *plan->v, by_series);
	return 0;
}

void
series_free(struct series_plan *plan)
{
	for (size_t i = 0; i < plan->n; i++) {
		free(plan->v[i].series);
		free(plan->v[i].tree);
	}
	free(plan->v);
	memset(plan, 0, sizeof *plan);
}
