/* Unit tests: brun, what a dk-build run decides without an engine: the
 * target names, the checks a run makes, a container's environment, the
 * log path, patch's complaint, the status of an engine's JSON answers.
 * GPL-2.0-only. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brun.h"
#include "tmpdir.h"

/* A configuration from text (the file in tmpdir), decoded. */
struct cf {
	struct config raw;
	struct dkconfig d;
};

static void
cf_load(struct cf *c, const char *text)
{
	char path[512];
	struct buf probs = { 0 };
	struct dk_err e;
	FILE *fp;

	unsetenv("DOCKER_HOST");
	unsetenv("DOCKER_HOST_AMD64");
	unsetenv("DOCKER_HOST_ARM64");
	unsetenv("BINPKGROOT");
	setenv("XDG_CONFIG_HOME", tmpdir, 1);
	snprintf(path, sizeof path, "%s/c.yaml", tmpdir);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
	ck_assert_int_eq(config_load(&c->raw, path, &e), 0);
	ck_assert_msg(dkconfig_decode(&c->d, &c->raw, &probs, &e) == 0, "%s", buf_str(&probs));
	buf_free(&probs);
}

static void
cf_free(struct cf *c)
{
	dkconfig_free(&c->d);
	config_free(&c->raw);
}

static const char conf[] = "binpkgroot: /b\n"
			   "pkgdir: /var/cache/binpkgs\n"
			   "env:\n  FOO: bar\n"
			   "arches:\n  amd64:\n    hosts: [unix:///a.sock]\n"
			   "    post_pkgs:\n      default: [a/one, b/two]\n      '6.1': [c/three]\n";

START_TEST(target_names)
{
	struct brun_target t;
	struct cf c;

	cf_load(&c, conf);
	ck_assert_int_eq(brun_target_parse(&c.d, "amd64-gentoo-kernel-6.6", &t), 0);
	ck_assert_str_eq(t.name, "amd64-gentoo-kernel-6.6");
	ck_assert_str_eq(t.arch->name, "amd64");
	ck_assert_str_eq(t.pkg, "gentoo-kernel");
	ck_assert_str_eq(t.series, "6.6");
	ck_assert_int_eq(t.deps, 0);
	ck_assert_uint_eq(t.pt.group, t.ai);
	free(t.name), free(t.pkg), free(t.series);
	ck_assert_int_eq(brun_target_parse(&c.d, "arm64-vanilla-kernel-6.12", &t), 0);
	ck_assert_str_eq(t.arch->name, "arm64");
	ck_assert_uint_eq(t.pt.group, t.ai);
	ck_assert_uint_ne(t.ai, 0);
	free(t.name), free(t.pkg), free(t.series);
	ck_assert_int_eq(brun_target_parse(&c.d, "build-amd64-kernel-deps", &t), 0);
	ck_assert_int_eq(t.deps, 1);
	free(t.name), free(t.pkg), free(t.series);
	ck_assert_int_eq(brun_target_parse(&c.d, "amd64-gentoo-kernel", &t), -1);
	ck_assert_int_eq(brun_target_parse(&c.d, "sparc-gentoo-kernel-6.6", &t), -1);
	ck_assert_int_eq(brun_target_parse(&c.d, "amd64-gentoo-kernel-6", &t), -1);
	ck_assert_int_eq(brun_target_parse(&c.d, "", &t), -1);
	cf_free(&c);
}
END_TEST

START_TEST(targets_once)
{
	struct brun r;
	struct cf c;

	cf_load(&c, conf);
	brun_init(&r, &c.d);
	ck_assert_int_eq(brun_add_target(&r, "amd64-gentoo-kernel-6.6"), 0);
	ck_assert_int_eq(brun_add_target(&r, "amd64-gentoo-kernel-6.1"), 0);
	ck_assert_int_eq(brun_add_target(&r, "amd64-gentoo-kernel-6.6"), 0);
	ck_assert_int_eq(brun_add_target(&r, "amd64-nope"), -1);
	ck_assert_uint_eq(r.nt, 2);
	ck_assert_str_eq(r.t[1].name, "amd64-gentoo-kernel-6.1");
	brun_free(&r);
	cf_free(&c);
}
END_TEST

/* The checks a run makes follow its targets: a deps target alone needs
 * no key, no diff, no BINPKGROOT, no kernel Dockerfile. */
START_TEST(check_plan)
{
	struct brun_plan p;
	struct brun r;
	struct cf c;
	size_t i;
	int n;

	cf_load(&c, conf);
	brun_init(&r, &c.d);
	r.logdir = "/l";
	ck_assert_int_eq(brun_add_target(&r, "build-arm64-kernel-deps"), 0);
	ck_assert_int_eq(brun_plan(&r, &p), 0);
	ck_assert_int_eq(p.kernel, 0);
	ck_assert_str_eq(p.dirs[0], "/l");
	ck_assert_str_eq(p.what[0], "LOGDIR");
	ck_assert_ptr_null(p.dirs[1]);
	ck_assert_str_eq(p.templates[0], "Dockerfile.deps");
	ck_assert_ptr_null(p.templates[1]);
	ck_assert_int_eq(p.arches[r.t[0].ai], 1);
	ck_assert_int_eq(p.refresh[r.t[0].ai], 1);
	for (i = 0, n = 0; i < c.d.narches; i++)
		n += p.arches[i];
	ck_assert_int_eq(n, 1);
	brun_plan_free(&p);

	ck_assert_int_eq(brun_add_target(&r, "amd64-gentoo-kernel-6.6"), 0);
	ck_assert_int_eq(brun_add_target(&r, "amd64-vanilla-kernel-6.6"), 0);
	ck_assert_int_eq(brun_plan(&r, &p), 0);
	ck_assert_int_eq(p.kernel, 1);
	/* BINPKGROOT once per arch built, the deps-only arch's too */
	ck_assert_str_eq(p.dirs[1], r.t[0].ai < r.t[1].ai ? "/b/arm64/kernel" : "/b/amd64/kernel");
	ck_assert_str_eq(p.dirs[2], r.t[0].ai < r.t[1].ai ? "/b/amd64/kernel" : "/b/arm64/kernel");
	ck_assert_str_eq(p.what[2], "BINPKGROOT");
	ck_assert_ptr_null(p.dirs[3]);
	ck_assert_str_eq(p.templates[1], "Dockerfile.kernel");
	ck_assert_int_eq(p.refresh[r.t[1].ai], 0);
	brun_plan_free(&p);
	brun_free(&r);
	cf_free(&c);
}
END_TEST

START_TEST(container_env)
{
	struct brun_target t;
	struct cf c;
	char **env;
	size_t i;
	int foo;

	cf_load(&c, conf);
	ck_assert_int_eq(brun_target_parse(&c.d, "amd64-gentoo-kernel-6.6", &t), 0);
	ck_assert_ptr_nonnull(env = brun_container_env(&c.d, &t));
	ck_assert_str_eq(env[0], "PKG=<sys-kernel/gentoo-kernel-6.6.9999");
	ck_assert_str_eq(env[1], "POST_PKGS=a/one b/two");
	ck_assert_str_eq(env[2], "DK_PKGDIR=/var/cache/binpkgs");
	ck_assert_str_eq(env[3], "DK_KERNEL_PKGDIR=/var/cache/binpkgs.kernel");
	/* then the config's env, the file's FOO among the defaults */
	for (i = 0; c.d.env[i]; i++)
		ck_assert_str_eq(env[4 + i], c.d.env[i]);
	ck_assert_ptr_null(env[4 + i]);
	for (i = 4, foo = 0; env[i]; i++)
		foo |= !strcmp(env[i], "FOO=bar");
	ck_assert_int_eq(foo, 1);
	cfg_strv_free(env);
	free(t.name), free(t.pkg), free(t.series);
	/* a series with its own list */
	ck_assert_int_eq(brun_target_parse(&c.d, "amd64-vanilla-kernel-6.1", &t), 0);
	ck_assert_ptr_nonnull(env = brun_container_env(&c.d, &t));
	ck_assert_str_eq(env[0], "PKG=<sys-kernel/vanilla-kernel-6.1.9999");
	ck_assert_str_eq(env[1], "POST_PKGS=c/three");
	cfg_strv_free(env);
	free(t.name), free(t.pkg), free(t.series);
	cf_free(&c);
}
END_TEST

START_TEST(log_path)
{
	char *p = brun_log_path("/var/log/dk", "amd64-gentoo-kernel-6.6");

	ck_assert_str_eq(p, "/var/log/dk/amd64-gentoo-kernel-6.6.log");
	free(p);
}
END_TEST

START_TEST(patch_complaint)
{
	char m[256];

	/* GNU patch */
	brun_patch_complaint("checking file a/ok\nchecking file sys-kernel/x/x.ebuild\nHunk #1 FAILED at 3.\n"
		"1 out of 1 hunk FAILED\n", m, sizeof m);
	ck_assert_str_eq(m, "sys-kernel/x/x.ebuild: Hunk #1 FAILED at 3.");
	/* busybox patch */
	brun_patch_complaint("patching file sys-kernel/x/x.ebuild\nHunk 1 FAILED 1/1.\n-a\n+b\n", m, sizeof m);
	ck_assert_str_eq(m, "sys-kernel/x/x.ebuild: Hunk 1 FAILED 1/1.");
	/* a file the tree does not have */
	brun_patch_complaint("can't find file to patch at input line 3\nPerhaps you used the wrong -p\n", m, sizeof m);
	ck_assert_str_eq(m, "can't find file to patch at input line 3");
	/* anything else: its last line */
	brun_patch_complaint("sh: patch: not found\n", m, sizeof m);
	ck_assert_str_eq(m, "sh: patch: not found");
	brun_patch_complaint("", m, sizeof m);
	ck_assert_str_eq(m, "patch failed");
}
END_TEST

START_TEST(status_parse)
{
	static const char cs_json[] =
		"[{\"Id\":\"c1\",\"State\":\"running\",\"Created\":1000,"
		"\"Labels\":{\"dk\":\"1\",\"dk.target\":\"amd64-gentoo-kernel-6.6\"}},"
		"{\"Id\":\"c2\",\"State\":\"exited\",\"Created\":400,\"Labels\":{\"dk\":\"1\"}}]";
	static const char is_json[] =
		"[{\"Id\":\"sha256:i1\",\"RepoTags\":[\"dk-deps-amd64:0123\"],\"Size\":2048},"
		"{\"Id\":\"sha256:i2\",\"RepoTags\":null,\"Size\":7}]";
	struct cfg_node cs, is;
	struct brun_status st;
	struct dk_err e;

	ck_assert_int_eq(cfg_parse(&cs, "containers", cs_json, sizeof cs_json - 1, &e), 0);
	ck_assert_int_eq(cfg_parse(&is, "images", is_json, sizeof is_json - 1, &e), 0);
	ck_assert_int_eq(brun_status_parse(&cs, &is, 1100, &st), 0);
	ck_assert_uint_eq(st.nc, 2);
	ck_assert_str_eq(st.c[0].target, "amd64-gentoo-kernel-6.6");
	ck_assert_str_eq(st.c[0].id, "c1");
	ck_assert_str_eq(st.c[0].state, "running");
	ck_assert_int_eq(st.c[0].age, 100);
	ck_assert_str_eq(st.c[1].target, "?");
	ck_assert_int_eq(st.c[1].age, 700);
	ck_assert_uint_eq(st.ni, 2);
	ck_assert_str_eq(st.im[0].name, "dk-deps-amd64:0123");
	ck_assert_uint_eq(st.im[0].size, 2048);
	ck_assert_str_eq(st.im[1].name, "sha256:i2");
	brun_status_free(&st);
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = { target_names, targets_once, check_plan, container_env, log_path,
		patch_complaint, status_parse };

	return run_suite("brun", tests, sizeof tests / sizeof tests[0]);
}
