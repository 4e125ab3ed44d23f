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
	ck_assert_msg(!strncmp(e.msg, "unix:///nonexistent/dk.sock: GET /_ping: ", 41), "got %s", e.msg);
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
	const TTest *const tests[] = { json_strings, bad_addresses, no_answer, ssh_fails };

	return run_suite("engine", tests, sizeof tests / sizeof tests[0]);
}
