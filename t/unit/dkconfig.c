/* Unit tests: dkconfig (the typed dk-build configuration, its checks and
 * its dump), datadir. GPL-2.0-only. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datadir.h"
#include "dkconfig.h"
#include "lines.h"
#include "tmpdir.h"

static void
clean_env(void)
{
	const char *vars[] = { "DOCKER_HOST", "DOCKER_HOST_ARM64", "DOCKER_HOST_AMD64", "BINPKGROOT",
		"DISTCACHE", "BINPKG_DOCKER" };
	size_t i;

	for (i = 0; i < sizeof vars / sizeof vars[0]; i++)
		unsetenv(vars[i]);
	setenv("XDG_CONFIG_HOME", tmpdir, 1);
	setenv("HOME", "/home/u", 1);
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

/* Loads text as the config file and decodes it: the problems (each line
 * with the file name cut off) into out, the return value of the decode. */
static int
decode_text(const char *text, char *out, size_t n)
{
	struct config c;
	struct dkconfig d;
	struct buf probs = { 0 };
	struct dk_err e;
	char *p = write_tmp("c.yaml", text), *s;
	size_t pl = strlen(p);
	int r;

	if (config_load(&c, p, &e) < 0) {
		snprintf(out, n, "%s\n", strncmp(e.msg, p, pl) ? e.msg : e.msg + pl + 1);
		return -1;
	}
	r = dkconfig_decode(&d, &c, &probs, &e);
	out[0] = '\0';
	for (s = probs.s; s && *s;) {
		size_t l = strcspn(s, "\n");

		ck_assert_uint_lt(strlen(out) + l + 2, n);
		if (!strncmp(s, p, pl) && s[pl] == ':')
			strncat(out, s + pl + 1, l - pl - 1);
		else
			strncat(out, s, l);
		strcat(out, "\n");
		s += l + (s[l] == '\n');
	}
	if (r == 0) {
		ck_assert_ptr_null(probs.s);
		dkconfig_free(&d);
	} else {
		ck_assert_int_eq(strncmp(e.msg, probs.s, strlen(e.msg)), 0);
	}
	buf_free(&probs);
	config_free(&c);
	return r;
}

START_TEST(defaults_decode)
{
	struct config c;
	struct dkconfig d;
	struct dk_err e;
	const struct dkc_arch *a;
	char *const *post;

	clean_env();
	ck_assert_int_eq(config_load(&c, NULL, &e), 0);
	ck_assert_int_eq(dkconfig_decode(&d, &c, NULL, &e), 0);
	ck_assert_int_eq(d.jobs, 1);
	ck_assert_int_eq(d.retries, 2);
	ck_assert_int_eq(d.timeout, 8 * 3600);
	ck_assert_int_eq(d.stall, 45 * 60);
	ck_assert_int_eq(d.deps_max_age, 30 * 86400);
	ck_assert_int_eq(d.retry_timeouts, 0);
	ck_assert_int_eq(d.steve, DKC_STEVE_AUTO);
	ck_assert_str_eq(d.binpkgroot, "/home/u/binpkg");
	ck_assert_str_eq(d.env[0], "EPYTHON=python3.13");
	ck_assert_ptr_nonnull(strstr(d.package_use, "sys-kernel/gentoo-kernel generic-uki modules-sign secureboot test -initramfs\n"));
	ck_assert_ptr_nonnull(strstr(d.make_conf, "parallel-install -ipc-sandbox -network-sandbox -pid-sandbox"));
	ck_assert_ptr_nonnull(strstr(d.kernel_config, "CONFIG_LOCK_DOWN_KERNEL_FORCE_NONE=y"));
	ck_assert_ptr_nonnull(strstr(d.run, "stevie"));
	ck_assert_uint_eq(d.narches, 8);
	ck_assert_ptr_nonnull(a = dkconfig_arch(&d, "amd64-musl", 10));
	ck_assert_str_eq(a->stage, "gentoo/stage3:amd64-musl");
	ck_assert_ptr_nonnull(a = dkconfig_arch(&d, "amd64xyz", 5));
	ck_assert_str_eq(a->name, "amd64");
	ck_assert_str_eq(a->deps[0], "app-emulation/qemu");
	ck_assert_str_eq(a->extra_deps[0], "sys-firmware/intel-microcode");
	post = dkconfig_post(a, "6.6");
	ck_assert_str_eq(post[0], "sys-fs/vhba");
	ck_assert_str_eq(post[2], "sys-power/bbswitch");
	ck_assert_ptr_null(post[3]);
	post = dkconfig_post(a, "5.4");
	ck_assert_str_eq(post[0], "app-emulation/virtualbox-guest-additions");
	ck_assert_ptr_nonnull(a = dkconfig_arch(&d, "ppc64le", 7));
	ck_assert_str_eq(a->cflags, "-mcpu=power8 -mtune=power8 -O2 -pipe");
	ck_assert_str_eq(a->extra_deps[0] ? a->extra_deps[0] : "", "");
	ck_assert_ptr_null(dkconfig_post(a, "6.6")[0]);
	ck_assert_ptr_nonnull(a = dkconfig_arch(&d, "arm64", 5));
	ck_assert_str_eq(a->extra_deps[0], "app-crypt/sbsigntools");
	ck_assert_ptr_null(dkconfig_arch(&d, "riscv", 5));
	dkconfig_free(&d);
	config_free(&c);
}
END_TEST

START_TEST(bad_values)
{
	char out[4096];

	clean_env();
	/* the typos of the issue, one line each, with file:line:col */
	ck_assert_int_eq(decode_text("retires: 3\n", out, sizeof out), -1);
	ck_assert_str_eq(out, "1:1: unknown key 'retires' (did you mean retries?)\n");
	ck_assert_int_eq(decode_text("arches:\n  amd64:\n    host: [x]\n", out, sizeof out), -1);
	ck_assert_str_eq(out, "3:5: unknown key 'host' in an arch (did you mean hosts?)\n");
	ck_assert_int_eq(decode_text("binpkgrot: /x\n", out, sizeof out), -1);
	ck_assert_str_eq(out, "1:1: unknown key 'binpkgrot' (did you mean binpkgroot?)\n");
	ck_assert_int_eq(decode_text("posts_pkgs: []\n", out, sizeof out), -1);
	ck_assert_str_eq(out, "1:1: unknown key 'posts_pkgs' (did you mean post_pkgs?)\n");
	ck_assert_int_eq(decode_text("jobs: many\n", out, sizeof out), -1);
	ck_assert_str_eq(out, "1:7: jobs: 'many' is not a whole number from 1 to 64\n");
	ck_assert_int_eq(decode_text("jobs: -3\n", out, sizeof out), -1);
	ck_assert_str_eq(out, "1:7: jobs: '-3' is not a whole number from 1 to 64\n");
	ck_assert_int_eq(decode_text("retries: -3\n", out, sizeof out), -1);
	ck_assert_str_eq(out, "1:10: retries: '-3' is not a whole number from 0 to 100\n");
	ck_assert_int_eq(decode_text("jobs: 99999999999999999999999\n", out, sizeof out), -1);
	ck_assert_str_eq(out, "1:7: jobs: '99999999999999999999999' is not a whole number from 1 to 64\n");
	ck_assert_int_eq(decode_text("env: [A=1]\n", out, sizeof out), -1);
	ck_assert_str_eq(out, "1:6: env: expected a map of NAME: value, not a list\n");
	ck_assert_int_eq(decode_text("env:\n  A-B: 1\n  C: [x]\n", out, sizeof out), -1);
	ck_assert_str_eq(out, "2:3: env: 'A-B' is not a variable name\n3:6: C: expected a value, not a list\n");
	ck_assert_int_eq(decode_text("timeout: 8 hours\nstall: x\n", out, sizeof out), -1);
	ck_assert_str_eq(out, "1:10: timeout: '8 hours' is not a duration (e.g. 90s, 45m, 8h, 30d; 0: none)\n"
		"2:8: stall: 'x' is not a duration (e.g. 90s, 45m, 8h, 30d; 0: none)\n");
	ck_assert_int_eq(decode_text("retry_timeouts: maybe\nsteve: sometimes\n", out, sizeof out), -1);
	ck_assert_str_eq(out, "1:17: retry_timeouts: 'maybe' is not true or false\n"
		"2:8: steve: 'sometimes' is not auto, true or false\n");
	ck_assert_int_eq(decode_text("deps: {a: b}\n", out, sizeof out), -1);
	ck_assert_str_eq(out, "1:7: deps: expected a list, not a map\n");
	ck_assert_int_eq(decode_text("post_pkgs:\n  six: [a]\n", out, sizeof out), -1);
	ck_assert_msg(strstr(out, "2:3: post_pkgs: 'six' is not a series (MAJOR.MINOR) or default\n"), "got %s", out);
	ck_assert_int_eq(decode_text("portage:\n  make.cnf: x\n", out, sizeof out), -1);
	ck_assert_str_eq(out, "2:3: unknown key 'make.cnf' in portage (did you mean make.conf?)\n");
	ck_assert_int_eq(decode_text("arches: [amd64]\n", out, sizeof out), -1);
	ck_assert_str_eq(out, "1:9: arches: expected a map, not a list\n");
	ck_assert_int_eq(decode_text("arches:\n  amd64:\n    hosts: {a: 1}\n", out, sizeof out), -1);
	ck_assert_str_eq(out, "3:12: hosts: expected a list, not a map\n");
	ck_assert_int_eq(decode_text("arches:\n  riscv:\n    hosts: [a]\n", out, sizeof out), -1);
	ck_assert_str_eq(out, "2:3: riscv: no stage configured\n");
	ck_assert_int_eq(decode_text("zzzzzz: 1\n", out, sizeof out), -1);
	ck_assert_str_eq(out, "1:1: unknown key 'zzzzzz'\n");
	/* all problems, not only the first */
	ck_assert_int_eq(decode_text("jobs: 0\nretires: 1\n", out, sizeof out), -1);
	ck_assert_str_eq(out, "1:7: jobs: '0' is not a whole number from 1 to 64\n"
		"2:1: unknown key 'retires' (did you mean retries?)\n");
	/* good values */
	ck_assert_int_eq(decode_text("jobs: 64\nretries: 0\ntimeout: 90m\nstall: 0\nretry_timeouts: true\n"
		"destinations: {a: file:///x}\narches:\n  amd64:\n    devices: []\n    cflags: -O2\n", out, sizeof out), 0);
}
END_TEST

START_TEST(duration)
{
	long s;

	ck_assert_int_eq(dkconfig_duration("90", &s), 0);
	ck_assert_int_eq(s, 90);
	ck_assert_int_eq(dkconfig_duration("45m", &s), 0);
	ck_assert_int_eq(s, 2700);
	ck_assert_int_eq(dkconfig_duration("8h", &s), 0);
	ck_assert_int_eq(s, 28800);
	ck_assert_int_eq(dkconfig_duration("30d", &s), 0);
	ck_assert_int_eq(s, 2592000);
	ck_assert_int_eq(dkconfig_duration("h", &s), -1);
	ck_assert_int_eq(dkconfig_duration("-1", &s), -1);
	ck_assert_int_eq(dkconfig_duration("1hh", &s), -1);
	ck_assert_int_eq(dkconfig_duration("99999999999999999999", &s), -1);
	ck_assert_uint_eq(dkconfig_distance("retires", "retries"), 2);
	ck_assert_uint_eq(dkconfig_distance("", "abc"), 3);
}
END_TEST

/* The dump reads back as the same tree: same values, in the same order. */
static void
same_tree(const struct cfg_node *a, const struct cfg_node *b)
{
	size_t i;

	ck_assert_int_eq(a->kind, b->kind);
	ck_assert_uint_eq(a->n, b->n);
	if (a->kind == CFG_SCALAR)
		ck_assert_str_eq(a->value, b->value);
	for (i = 0; i < a->n; i++) {
		if (a->kind == CFG_MAP)
			ck_assert_str_eq(a->kids[i].key, b->kids[i].key);
		same_tree(&a->kids[i], &b->kids[i]);
	}
}

START_TEST(dump_roundtrip)
{
	struct config c, c2;
	struct dk_err e;
	char *p, dump[600];
	FILE *fp;
	struct buf text = { 0 };

	clean_env();
	setenv("DOCKER_HOST_ARM64", "ssh://b", 1);
	p = write_tmp("c.yaml", "jobs: 3\nenv:\n  X: 'a: b # c'\n  Y: \"\\ttab\"\nrun: |\n  one\n\n  two\n");
	ck_assert_int_eq(config_load(&c, p, &e), 0);
	snprintf(dump, sizeof dump, "%s/dump.yaml", tmpdir);
	ck_assert_ptr_nonnull(fp = fopen(dump, "w"));
	ck_assert_int_eq(dkconfig_dump(&c, fp), 0);
	fclose(fp);
	unsetenv("DOCKER_HOST_ARM64");
	ck_assert_int_eq(config_load(&c2, dump, &e), 0);
	same_tree(&c.root, &c2.root);
	ck_assert_int_eq(read_file(dump, &text, &e), 0);
	ck_assert_msg(strstr(text.s, "\njobs: 3  # "), "got %s", text.s);
	ck_assert_ptr_nonnull(strstr(text.s, "c.yaml:1\n"));
	ck_assert_ptr_nonnull(strstr(text.s, "\nretries: 2  # default\n"));
	ck_assert_ptr_nonnull(strstr(text.s, "\n    hosts:  # env DOCKER_HOST_ARM64\n      - ssh://b  # env DOCKER_HOST_ARM64\n"));
	buf_free(&text);
	config_free(&c);
	config_free(&c2);
}
END_TEST

START_TEST(targets)
{
	struct config c;
	struct dkconfig d;
	struct dkc_target t;
	struct dk_err e;
	const char *bad[] = { "amd64-gentoo-kernel", "amd64-gentoo-kernel-6", "amd64-gentoo-kernel-6.", "riscv-gentoo-kernel-6.6",
		"amd64-foo-kernel-6.6", "build-riscv-kernel-deps", "build--kernel-deps", "amd64-gentoo-kernel-6.6.1",
		"amd64-gentoo-kernel-.6", "" };
	size_t i;

	clean_env();
	ck_assert_int_eq(config_load(&c, NULL, &e), 0);
	ck_assert_int_eq(dkconfig_decode(&d, &c, NULL, &e), 0);
	ck_assert_int_eq(dkconfig_target(&d, "amd64-musl-vanilla-kernel-6.12", &t), 0);
	ck_assert_str_eq(t.arch->name, "amd64-musl");
	ck_assert_str_eq(t.pkg, "vanilla-kernel");
	ck_assert_str_eq(t.series, "6.12");
	ck_assert_int_eq(t.deps, 0);
	free(t.pkg);
	free(t.series);
	ck_assert_int_eq(dkconfig_target(&d, "build-ppc64le-kernel-deps", &t), 0);
	ck_assert_str_eq(t.arch->name, "ppc64le");
	ck_assert_int_eq(t.deps, 1);
	ck_assert_ptr_null(t.pkg);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(dkconfig_target(&d, bad[i], &t) == -1, "%s parsed", bad[i]);
	dkconfig_free(&d);
	config_free(&c);
}
END_TEST

START_TEST(datadir)
{
	char d[600], out[700], exe[1200];
	struct dk_err e;

	snprintf(d, sizeof d, "%s/pfx/share/dk", tmpdir);
	snprintf(exe, sizeof exe, "mkdir -p %s %s/pfx/bin %s/tree/cmd %s/tree/contrib %s/tree/asan/cmd",
		d, tmpdir, tmpdir, tmpdir, tmpdir);
	ck_assert_int_eq(system(exe), 0);
	snprintf(exe, sizeof exe, "%s/pfx/bin/dk-build", tmpdir);
	ck_assert_int_eq(dk_datadir(exe, out, sizeof out, &e), 0);
	snprintf(d, sizeof d, "%s/pfx/bin/../share/dk", tmpdir);
	ck_assert_str_eq(out, d);
	snprintf(exe, sizeof exe, "%s/tree/asan/cmd/dk-build", tmpdir);
	ck_assert_int_eq(dk_datadir(exe, out, sizeof out, &e), 0);
	snprintf(d, sizeof d, "%s/tree/asan/cmd/../../contrib", tmpdir);
	ck_assert_str_eq(out, d);
	snprintf(exe, sizeof exe, "%s/dk-build", tmpdir);
	ck_assert_int_eq(dk_datadir(exe, out, sizeof out, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "no data directory"));
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = { defaults_decode, bad_values, duration, dump_roundtrip, targets, datadir };

	return run_suite("dkconfig", tests, sizeof tests / sizeof tests[0]);
}
