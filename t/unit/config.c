/* Unit tests: config (YAML/JSON tree, defaults, file, environment). GPL-2.0-only. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "tmpdir.h"

/* The environment config_load reads, emptied for each test. */
static void
clean_env(void)
{
	unsetenv("DOCKER_HOST");
	unsetenv("DOCKER_HOST_ARM64");
	unsetenv("DOCKER_HOST_AMD64_MUSL");
	unsetenv("BINPKGROOT");
	unsetenv("DISTCACHE");
	unsetenv("BINPKG_DOCKER");
	setenv("XDG_CONFIG_HOME", tmpdir, 1);
}

static char *
write_tmp(const char *name, const char *text)
{
	static char path[512];
	FILE *fp;

	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs(text, fp);
	fclose(fp);
	return path;
}

START_TEST(parse_yaml)
{
	const char *t = "a: 1\nb:\n  c: [x, 'y z']\n  d: |\n    line\n";
	struct cfg_node r;
	struct dk_err e;
	const struct cfg_node *n;

	ck_assert_int_eq(cfg_parse(&r, "f.yaml", t, strlen(t), &e), 0);
	ck_assert_str_eq(cfg_str(cfg_get(&r, "a", (char *)NULL)), "1");
	n = cfg_get(&r, "b", "c", (char *)NULL);
	ck_assert_ptr_nonnull(n);
	ck_assert_int_eq(n->kind, CFG_LIST);
	ck_assert_uint_eq(n->n, 2);
	ck_assert_str_eq(n->kids[1].value, "y z");
	ck_assert_int_eq(n->kids[1].quoted, 1);
	ck_assert_int_eq(n->line, 3);
	ck_assert_int_eq(n->col, 6);
	ck_assert_str_eq(cfg_str(cfg_get(&r, "b", "d", (char *)NULL)), "line\n");
	ck_assert_ptr_null(cfg_get(&r, "b", "nope", (char *)NULL));
	ck_assert_ptr_null(cfg_str(cfg_get(&r, "b", (char *)NULL)));
	cfg_free(&r);
}
END_TEST

START_TEST(parse_json)
{
	const char *t = "{\"Arch\":\"amd64\",\"N\":[1,2,{\"k\":null}],\"Esc\":\"a\\nb\\u0041\"}";
	struct cfg_node r;
	struct dk_err e;

	ck_assert_int_eq(cfg_parse(&r, "engine", t, strlen(t), &e), 0);
	ck_assert_str_eq(cfg_str(cfg_member(&r, "Arch")), "amd64");
	ck_assert_uint_eq(cfg_member(&r, "N")->n, 3);
	ck_assert_str_eq(cfg_str(cfg_get(&cfg_member(&r, "N")->kids[2], "k", (char *)NULL)), "null");
	ck_assert_str_eq(cfg_str(cfg_member(&r, "Esc")), "a\nbA");
	cfg_free(&r);
}
END_TEST

START_TEST(parse_errors)
{
	struct cfg_node r;
	struct dk_err e;

	ck_assert_int_eq(cfg_parse(&r, "c.yaml", "a: 1\nb: [x\n", 11, &e), -1);
	ck_assert_msg(!strncmp(e.msg, "c.yaml:3:1: ", 12), "got %s", e.msg);
	ck_assert_int_eq(cfg_parse(&r, "c.yaml", "a: 1\na: 2\n", 10, &e), -1);
	ck_assert_str_eq(e.msg, "c.yaml:2:1: duplicate key 'a'");
	ck_assert_int_eq(cfg_parse(&r, "c.yaml", "a: &x 1\nb: *x\n", 14, &e), -1);
	ck_assert_str_eq(e.msg, "c.yaml:2:4: aliases are not supported");
	ck_assert_int_eq(cfg_parse(&r, "c.yaml", "# only\n", 7, &e), 0);
	ck_assert_int_eq(r.kind, CFG_MAP);
	ck_assert_uint_eq(r.n, 0);
	cfg_free(&r);
}
END_TEST

START_TEST(merge_and_set)
{
	const char *a = "x: 1\nm: {p: 1, q: [a]}\n", *b = "m: {q: [b, c], r: 2}\ny: 3\n";
	struct cfg_node ra, rb;
	struct dk_err e;
	char **v;

	ck_assert_int_eq(cfg_parse(&ra, "a", a, strlen(a), &e), 0);
	ck_assert_int_eq(cfg_parse(&rb, "b", b, strlen(b), &e), 0);
	ck_assert_int_eq(cfg_merge(&ra, &rb), 0);
	ck_assert_str_eq(cfg_str(cfg_get(&ra, "m", "p", (char *)NULL)), "1");
	ck_assert_str_eq(cfg_str(cfg_get(&ra, "m", "r", (char *)NULL)), "2");
	ck_assert_str_eq(cfg_get(&ra, "m", "q", (char *)NULL)->file, "b");
	ck_assert_int_eq(cfg_strv(cfg_get(&ra, "m", "q", (char *)NULL), "q", &v, &e), 0);
	ck_assert_str_eq(v[0], "b");
	ck_assert_str_eq(v[1], "c");
	ck_assert_ptr_null(v[2]);
	cfg_strv_free(v);
	ck_assert_int_eq(cfg_set(&ra, "env", "v", "n", "o", (char *)NULL), 0);
	ck_assert_str_eq(cfg_str(cfg_get(&ra, "n", "o", (char *)NULL)), "v");
	ck_assert_int_eq(cfg_set_words(&ra, "env", " a  b ", "x", (char *)NULL), 0);
	ck_assert_uint_eq(cfg_member(&ra, "x")->n, 2);
	ck_assert_int_eq(cfg_strv(cfg_member(&ra, "y"), "y", &v, &e), 0);
	ck_assert_str_eq(v[0], "3");
	cfg_strv_free(v);
	ck_assert_int_eq(cfg_strv(cfg_member(&ra, "m"), "m", &v, &e), -1);
	ck_assert_str_eq(e.msg, "a:2:4: m: expected a list, not a map");
	cfg_free(&ra);
	cfg_free(&rb);
}
END_TEST

START_TEST(load_defaults)
{
	struct config c;
	struct dk_err e;
	char **v;

	clean_env();

	ck_assert_int_eq(config_load(&c, NULL, &e), 0);
	ck_assert_ptr_null(c.path);
	ck_assert_str_eq(cfg_str(cfg_get(&c.root, "arches", "amd64", "stage", (char *)NULL)),
		"gentoo/stage3:amd64-nomultilib-systemd");
	ck_assert_str_eq(cfg_str(cfg_get(&c.root, "panic", (char *)NULL)), "Kernel panic");
	ck_assert_int_eq(cfg_strv(cfg_get(&c.root, "arches", "x86", "engine_arch", (char *)NULL), "a", &v, &e), 0);
	ck_assert_str_eq(v[1], "386");
	cfg_strv_free(v);
	config_free(&c);
}
END_TEST

START_TEST(load_file_env)
{
	struct config c;
	struct dk_err e;
	char *p;
	const struct cfg_node *h;

	clean_env();

	setenv("DOCKER_HOST", "unix:///d.sock", 1);
	setenv("DOCKER_HOST_ARM64", "ssh://a ssh://b", 1);
	setenv("BINPKGROOT", "/env/binpkg", 1);
	p = write_tmp("c.yaml", "binpkgroot: /file\nlogdir: /l\narches:\n  amd64:\n    hosts: [tcp://127.0.0.1:1]\n  riscv:\n    stage: s\n");
	ck_assert_int_eq(config_load(&c, p, &e), 0);
	ck_assert_str_eq(cfg_str(cfg_member(&c.root, "binpkgroot")), "/env/binpkg");
	ck_assert_str_eq(cfg_str(cfg_member(&c.root, "logdir")), "/l");
	h = cfg_get(&c.root, "arches", "amd64", "hosts", (char *)NULL);
	ck_assert_str_eq(h->kids[0].value, "tcp://127.0.0.1:1");
	ck_assert_uint_eq(h->n, 1);
	h = cfg_get(&c.root, "arches", "x86", "hosts", (char *)NULL);
	ck_assert_str_eq(h->kids[0].value, "unix:///d.sock");
	h = cfg_get(&c.root, "arches", "arm64", "hosts", (char *)NULL);
	ck_assert_uint_eq(h->n, 2);
	ck_assert_str_eq(h->kids[1].value, "ssh://b");
	ck_assert_str_eq(cfg_str(cfg_get(&c.root, "arches", "riscv", "stage", (char *)NULL)), "s");
	/* the defaults of an arch survive a partial override */
	ck_assert_str_eq(cfg_str(cfg_get(&c.root, "arches", "amd64", "engine_arch", (char *)NULL)), "amd64");
	config_free(&c);
}
END_TEST

START_TEST(load_xdg_and_errors)
{
	struct config c;
	struct dk_err e;
	char dir[600], *p;

	clean_env();

	snprintf(dir, sizeof dir, "%s/dk", tmpdir);
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	p = write_tmp("dk/config.yaml", "jobs: 3\n");
	ck_assert_int_eq(config_load(&c, NULL, &e), 0);
	ck_assert_str_eq(c.path, p);
	ck_assert_str_eq(cfg_str(cfg_member(&c.root, "jobs")), "3");
	config_free(&c);
	p = write_tmp("bad.yaml", "jobs: 3\narches:\n  amd64: {hosts: [a, }\n");
	ck_assert_int_eq(config_load(&c, p, &e), -1);
	ck_assert_msg(strstr(e.msg, "bad.yaml:3:") == e.msg + strlen(p) - strlen("bad.yaml"), "got %s", e.msg);
	p = write_tmp("list.yaml", "- a\n");
	ck_assert_int_eq(config_load(&c, p, &e), -1);
	ck_assert_msg(strstr(e.msg, "list.yaml:1:1: configuration: expected a map, not a list"), "got %s", e.msg);
	ck_assert_int_eq(config_load(&c, "/nonexistent/c.yaml", &e), -1);
	ck_assert_str_eq(e.msg, "/nonexistent/c.yaml: cannot open: No such file or directory");
}
END_TEST

START_TEST(path_tilde)
{
	char *p;

	setenv("HOME", "/home/u", 1);
	ck_assert_str_eq(p = config_path("~/binpkg"), "/home/u/binpkg");
	free(p);
	ck_assert_str_eq(p = config_path("/abs/~x"), "/abs/~x");
	free(p);
	ck_assert_str_eq(p = config_path("~user/x"), "~user/x");
	free(p);
}
END_TEST

/* A NUL byte is reported where it is (issue 14, 11), not at 1:1. */
START_TEST(parse_nul_position)
{
	struct cfg_node root;
	struct dk_err e;
	static const char text[] = "binpkgroot: /tmp/x\nlogdir: 0123456789\0abc\n";

	ck_assert_int_eq(cfg_parse(&root, "c.yaml", text, sizeof text - 1, &e), -1);
	ck_assert_str_eq(e.msg, "c.yaml:2:19: NUL byte: not a text file");
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
		parse_yaml, parse_json, parse_errors, merge_and_set,
		load_defaults, load_file_env, load_xdg_and_errors, path_tilde,
		parse_nul_position,
	};

	return run_suite("config", tests, sizeof tests / sizeof tests[0]);
}
