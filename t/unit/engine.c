/* Unit tests: engine (what needs no engine: JSON strings, addresses,
 * errors of engines that do not answer). The API calls themselves are
 * tested against real dockerd engines by t/05*-dk-build*.sh. GPL-2.0-only. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "tmpdir.h"

START_TEST(json_strings)
{
	struct buf b = { 0 };

	ck_assert_int_eq(engine_json_str(&b, "a\"b\\c\nd\te\x01"), 0);
	ck_assert_str_eq(b.s, "\"a\\\"b\\\\c\\nd\\te\\u0001\"");
	buf_reset(&b);
	ck_assert_int_eq(engine_json_str(&b, ""), 0);
	ck_assert_str_eq(b.s, "\"\"");
	buf_reset(&b);
	/* UTF-8 passes through */
	ck_assert_int_eq(engine_json_str(&b, "\xc3\xa9"), 0);
	ck_assert_str_eq(b.s, "\"\xc3\xa9\"");
	buf_free(&b);
}
END_TEST

START_TEST(container_spec)
{
	char *cmd[] = { "/bin/sh", "-c", "echo \"hi\"", NULL }, *env[] = { "PKG=<sys-kernel/x-6.6.9999", NULL };
	char *labels[] = { "dk=1", "dk.target=amd64-x-6.6", NULL }, *binds[] = { "/d:/var/cache/distfiles", NULL };
	char *devs[] = { "/dev/steve", NULL }, *tmpfs[] = { "/var/tmp/portage", NULL };
	struct engine_spec s = { .image = "dk-kernel-amd64:1", .cmd = cmd, .env = env, .labels = labels,
		.binds = binds, .devices = devs, .tmpfs = tmpfs, .host_network = 1 };
	struct engine_spec empty = { .image = "i" };
	struct buf b = { 0 };
	struct cfg_node n;
	struct dk_err e;

	ck_assert_int_eq(engine_container_json(&s, &b), 0);
	ck_assert_str_eq(b.s, "{\"Image\":\"dk-kernel-amd64:1\",\"Cmd\":[\"/bin/sh\",\"-c\",\"echo \\\"hi\\\"\"],"
		"\"Tty\":false,\"Env\":[\"PKG=<sys-kernel/x-6.6.9999\"],"
		"\"Labels\":{\"dk\":\"1\",\"dk.target\":\"amd64-x-6.6\"},"
		"\"HostConfig\":{\"NetworkMode\":\"host\",\"Binds\":[\"/d:/var/cache/distfiles\"],"
		"\"Devices\":[{\"PathOnHost\":\"/dev/steve\",\"PathInContainer\":\"/dev/steve\",\"CgroupPermissions\":\"rwm\"}],"
		"\"Tmpfs\":{\"/var/tmp/portage\":\"\"}}}");
	/* it is JSON the tree reads back */
	ck_assert_int_eq(cfg_parse(&n, "spec", b.s, b.len, &e), 0);
	ck_assert_str_eq(cfg_str(&cfg_member(&n, "Cmd")->kids[2]), "echo \"hi\"");
	cfg_free(&n);
	buf_reset(&b);
	ck_assert_int_eq(engine_container_json(&empty, &b), 0);
	ck_assert_str_eq(b.s, "{\"Image\":\"i\",\"Cmd\":[],\"Tty\":false,\"Env\":[],\"Labels\":{},"
		"\"HostConfig\":{\"Binds\":[],\"Devices\":[],\"Tmpfs\":{}}}");
	buf_free(&b);
}
END_TEST

START_TEST(bad_addresses)
{
	struct engine en = { 0 };
	struct dk_err e;

	ck_assert_int_eq(engine_open(&en, "http://127.0.0.1:1", NULL, &e), -1);
	ck_assert_str_eq(e.msg, "http://127.0.0.1:1: not a unix://, tcp:// or ssh:// engine address");
	ck_assert_int_eq(engine_open(&en, "unix://", NULL, &e), -1);
	ck_assert_str_eq(e.msg, "unix://: no socket path");
	ck_assert_int_eq(engine_open(&en, "tcp://", NULL, &e), -1);
	ck_assert_str_eq(e.msg, "tcp://: no host name");
	ck_assert_int_eq(engine_open(&en, "ssh://user@", NULL, &e), -1);
	ck_assert_str_eq(e.msg, "ssh://user@: no host name");
	ck_assert_ptr_null(en.url);
	engine_close(&en);
}
END_TEST

START_TEST(no_answer)
{
	struct engine en = { 0 };
	struct dk_err e;

	ck_assert_int_eq(engine_open(&en, "unix:///nonexistent/dk.sock", NULL, &e), -1);
	/* a socket is named as one, not as curl's made-up "docker port 80" */
	ck_assert_str_eq(e.msg, "unix:///nonexistent/dk.sock: cannot connect to the unix socket /nonexistent/dk.sock: "
		"No such file or directory");
	unsetenv("DOCKER_TLS_VERIFY");
	unsetenv("DOCKER_TLS");
	/* port 1 on loopback: refused at once */
	ck_assert_int_eq(engine_open(&en, "tcp://127.0.0.1:1", NULL, &e), -1);
	ck_assert_msg(!strncmp(e.msg, "tcp://127.0.0.1:1: GET /_ping: ", 31), "got %s", e.msg);
	engine_close(&en);
}
END_TEST

START_TEST(ssh_fails)
{
	struct engine en = { 0 };
	struct dk_err e;
	char *argv[] = { "false", NULL };

	/* the tunnel's command exits at once: its status is reported */
	ck_assert_int_eq(engine_open(&en, "ssh://u@h:22/s.sock", argv, &e), -1);
	ck_assert_str_eq(e.msg, "ssh://u@h:22/s.sock: ssh tunnel failed (exit 1)");
	ck_assert_int_eq(en.tunnel, 0);
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = { json_strings, container_spec, bad_addresses, no_answer, ssh_fails };

	return run_suite("engine", tests, sizeof tests / sizeof tests[0]);
}
