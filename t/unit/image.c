/* Unit tests: image (the key recipe: it changes when each input changes
 * and only then; the prune choice from engine JSON fixtures). No engine.
 * GPL-2.0-only. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "tmpdir.h"

static char *args[] = { "CFLAGS=-O2", "DEPS=a b", NULL };
static char *args2[] = { "CFLAGS=-O2", "DEPS=a b c", NULL };
static char *hints[] = { "CACHE=sha256:1", NULL };
static char *hints2[] = { "CACHE=sha256:2", NULL };
static char *inputs[] = { "snapshot=aaaa", NULL };
static char *inputs2[] = { "snapshot=bbbb", NULL };
static char *labels2[] = { "dk.snapshot=cccc", NULL };

static struct image_file files[] = {
	{ "make.conf", "FEATURES=x\n", NULL, 1 },
	{ "gentoo.tar", NULL, "/nonexistent/gentoo.tar", 0 },
};

static struct image_recipe
base(void)
{
	return (struct image_recipe){ .kind = "deps", .arch = "amd64", .base = "stage:1", .base_id = "sha256:s",
		.dockerfile = "FROM x\n", .args = args, .hints = hints, .inputs = inputs, .files = files, .nfiles = 2 };
}

static void
key_of(const struct image_recipe *r, char k[17])
{
	struct dk_err e;

	ck_assert_int_eq(image_key(r, k, &e), 0);
	ck_assert_uint_eq(strlen(k), 16);
}

START_TEST(key_changes_with_each_input)
{
	struct image_recipe r = base();
	struct image_file f2[2];
	char k0[17], k[17], tag[128];
	struct dk_err e;

	key_of(&r, k0);
	/* the same recipe, the same key */
	key_of(&r, k);
	ck_assert_str_eq(k, k0);
	ck_assert_int_eq(image_tag(&r, tag, &e), 0);
	ck_assert_int_eq(strncmp(tag, "dk-deps-amd64:", 14), 0);
	ck_assert_str_eq(tag + 14, k0);
#define CHANGES(field, value) do { \
		struct image_recipe x = base(); \
		x.field = value; \
		key_of(&x, k); \
		ck_assert_msg(strcmp(k, k0), "changing " #field " keeps the key"); \
	} while (0)
	CHANGES(kind, "kernel");
	CHANGES(arch, "arm64");
	CHANGES(base_id, "sha256:t");
	CHANGES(dockerfile, "FROM y\n");
	CHANGES(args, args2);
	CHANGES(inputs, inputs2);
#undef CHANGES
	memcpy(f2, files, sizeof f2);
	f2[0].text = "FEATURES=y\n";
	r.files = f2;
	key_of(&r, k);
	ck_assert_str_ne(k, k0);
}
END_TEST

START_TEST(key_ignores_the_rest)
{
	struct image_recipe r = base();
	struct image_file f2[2];
	char k0[17], k[17];

	key_of(&r, k0);
	/* the tree (gentoo.tar: not keyed), a cache hint, labels, the base's
	 * name when its id is known: none changes what the emerge depends on */
	memcpy(f2, files, sizeof f2);
	f2[1].path = "/elsewhere/gentoo.tar";
	r.files = f2;
	r.hints = hints2;
	r.labels = labels2;
	r.base = "stage:other-name";
	key_of(&r, k);
	ck_assert_str_eq(k, k0);
	/* fields are length-prefixed: moving a byte between two changes it */
	{
		static char *a1[] = { "AB", "C", NULL }, *a2[] = { "A", "BC", NULL };
		struct image_recipe x = base(), y = base();
		char kx[17], ky[17];

		x.args = a1;
		y.args = a2;
		key_of(&x, kx);
		key_of(&y, ky);
		ck_assert_str_ne(kx, ky);
	}
}
END_TEST

/* The recipes dk-build uses, on the compiled-in configuration: a git
 * pull (a new snapshot commit, tarball) keeps the deps key; the deps,
 * flags and portage files change it; the kernel key follows the commits
 * and the diff. */
START_TEST(real_recipes)
{
	struct config c;
	struct dkconfig d;
	struct dk_err e;
	struct image_store p;
	struct dkc_arch a;
	char k0[17], k[17], *deps2[] = { "x/y", NULL };

	unsetenv("DOCKER_HOST");
	setenv("XDG_CONFIG_HOME", tmpdir, 1);
	ck_assert_int_eq(config_load(&c, NULL, &e), 0);
	ck_assert_int_eq(dkconfig_decode(&d, &c, NULL, &e), 0);
	a = *dkconfig_arch(&d, "amd64", 5);
	ck_assert_int_eq(image_deps_recipe(&d, &a, "stage:1", "sha256:s", "FROM x\n", "c0ffee", NULL, &p), 0);
	key_of(&p.r, k0);
	image_store_free(&p);
	ck_assert_int_eq(image_deps_recipe(&d, &a, "stage:1", "sha256:s", "FROM x\n", "beef", "/tmp/gentoo.tar", &p), 0);
	key_of(&p.r, k);
	ck_assert_str_eq(k, k0);
	image_store_free(&p);
	a.deps = deps2;
	ck_assert_int_eq(image_deps_recipe(&d, &a, "stage:1", "sha256:s", "FROM x\n", "c0ffee", NULL, &p), 0);
	key_of(&p.r, k);
	ck_assert_str_ne(k, k0);
	image_store_free(&p);
	a = *dkconfig_arch(&d, "amd64", 5);
	a.cflags = "-O3";
	ck_assert_int_eq(image_deps_recipe(&d, &a, "stage:1", "sha256:s", "FROM x\n", "c0ffee", NULL, &p), 0);
	key_of(&p.r, k);
	ck_assert_str_ne(k, k0);
	image_store_free(&p);
	a = *dkconfig_arch(&d, "amd64", 5);
	{
		char *mc = d.make_conf;

		d.make_conf = "FEATURES=other\n";
		ck_assert_int_eq(image_deps_recipe(&d, &a, "stage:1", "sha256:s", "FROM x\n", "c0ffee", NULL, &p), 0);
		key_of(&p.r, k);
		ck_assert_str_ne(k, k0);
		image_store_free(&p);
		d.make_conf = mc;
	}
	/* kernel: snapshot, base, diff digest each change it; the delta text
	 * and the diff's path (both follow from those) do not */
	ck_assert_int_eq(image_kernel_recipe(&d, &a, "dk-deps-amd64:1", "sha256:d", "FROM y\n", "s1", "b1", "h1",
		"/x/local.diff", "", &p), 0);
	key_of(&p.r, k0);
	image_store_free(&p);
	ck_assert_int_eq(image_kernel_recipe(&d, &a, "dk-deps-amd64:1", "sha256:d", "FROM y\n", "s1", "b1", "h1",
		"/y/local.diff", "", &p), 0);
	key_of(&p.r, k);
	ck_assert_str_eq(k, k0);
	image_store_free(&p);
	ck_assert_int_eq(image_kernel_recipe(&d, &a, "dk-deps-amd64:1", "sha256:d", "FROM y\n", "s1", "b2", "h1",
		"/x/local.diff", "", &p), 0);
	key_of(&p.r, k);
	ck_assert_str_ne(k, k0);
	image_store_free(&p);
	ck_assert_int_eq(image_kernel_recipe(&d, &a, "dk-deps-amd64:1", "sha256:d", "FROM y\n", "s1", "b1", "h2",
		"/x/local.diff", "", &p), 0);
	key_of(&p.r, k);
	ck_assert_str_ne(k, k0);
	image_store_free(&p);
	ck_assert_int_eq(image_kernel_recipe(&d, &a, "dk-deps-amd64:1", "sha256:e", "FROM y\n", "s1", "b1", "h1",
		"/x/local.diff", "", &p), 0);
	key_of(&p.r, k);
	ck_assert_str_ne(k, k0);
	image_store_free(&p);
	dkconfig_free(&d);
	config_free(&c);
}
END_TEST

/* An engine's /images/json answer: dk.name groups, Created orders. */
static const char fixture[] =
	"[{\"Id\":\"k1\",\"Created\":100,\"Size\":10,\"Labels\":{\"dk\":\"1\",\"dk.name\":\"kernel-amd64\"}},"
	"{\"Id\":\"k3\",\"Created\":300,\"Size\":30,\"Labels\":{\"dk\":\"1\",\"dk.name\":\"kernel-amd64\"}},"
	"{\"Id\":\"d1\",\"Created\":50,\"Size\":5,\"Labels\":{\"dk\":\"1\",\"dk.name\":\"deps-amd64\"}},"
	"{\"Id\":\"k2\",\"Created\":200,\"Size\":20,\"Labels\":{\"dk\":\"1\",\"dk.name\":\"kernel-amd64\"}},"
	"{\"Id\":\"s1\",\"Created\":10,\"Size\":1,\"Labels\":{\"dk\":\"1\"}},"
	"{\"Id\":\"a1\",\"Created\":20,\"Size\":2,\"Labels\":{\"dk\":\"1\",\"dk.name\":\"kernel-arm64\"}},"
	"{\"Id\":\"a2\",\"Created\":20,\"Size\":2,\"Labels\":null}]";

START_TEST(prune_choice)
{
	struct cfg_node n;
	struct dk_err e;
	size_t *v, cnt;

	ck_assert_int_eq(cfg_parse(&n, "fixture", fixture, strlen(fixture), &e), 0);
	ck_assert_int_eq(image_prune_choice(&n, &v, &cnt), 0);
	/* the replaced kernel images, newest first; the newest of each name,
	 * a lone one and unnamed ones stay */
	ck_assert_uint_eq(cnt, 2);
	ck_assert_str_eq(cfg_str(cfg_member(&n.kids[v[0]], "Id")), "k2");
	ck_assert_str_eq(cfg_str(cfg_member(&n.kids[v[1]], "Id")), "k1");
	free(v);
	cfg_free(&n);
	ck_assert_int_eq(cfg_parse(&n, "fixture", "[]", 2, &e), 0);
	ck_assert_int_eq(image_prune_choice(&n, &v, &cnt), 0);
	ck_assert_uint_eq(cnt, 0);
	free(v);
	cfg_free(&n);
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = { key_changes_with_each_input, key_ignores_the_rest, real_recipes, prune_choice };

	return run_suite("image", tests, sizeof tests / sizeof tests[0]);
}
