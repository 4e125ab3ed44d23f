/* Unit tests: err, buf, lines, atomic, spawn. GPL-2.0-only. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "buf.h"
#include "err.h"
#include "lines.h"
#include "spawn.h"
#include "tmpdir.h"

START_TEST(err_format)
{
	struct dk_err e;

	ck_assert_int_eq(dk_errf(&e, "a.ebuild", 12, "bad %s", "thing"), -1);
	ck_assert_str_eq(e.msg, "a.ebuild:12: bad thing");
	dk_errf(&e, "a.ebuild", 0, "x");
	ck_assert_str_eq(e.msg, "a.ebuild: x");
	dk_errf(&e, NULL, 0, "plain");
	ck_assert_str_eq(e.msg, "plain");
	errno = ENOENT;
	dk_syserrf(&e, "f", 3, "cannot open");
	ck_assert_str_eq(e.msg, "f:3: cannot open: No such file or directory");
	ck_assert_int_eq(dk_errf(NULL, NULL, 0, "ignored"), -1);
}
END_TEST

START_TEST(quote_and_number)
{
	char q[DK_QUOTE_MAX], big[200];
	long long v;

	ck_assert_str_eq(dk_quote(q, sizeof q, "a\tb\\", 4), "a\\x09b\\x5c");
	memset(big, 'x', sizeof big);
	dk_quote(q, sizeof q, big, sizeof big);
	ck_assert_uint_eq(strlen(q), 83);
	ck_assert_str_eq(q + 80, "...");
	memset(big, 0xff, sizeof big);
	dk_quote(q, sizeof q, big, sizeof big);
	ck_assert_uint_eq(strlen(q), 80 * 4 + 3);
	ck_assert_int_eq(dk_parse_number("12", 1, 64, &v), 0);
	ck_assert_int_eq(v, 12);
	ck_assert_int_eq(dk_parse_number("-3", 0, 64, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_int_eq(dk_parse_number("99999999999999999999999", 0, 64, &v), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_int_eq(dk_parse_number("many", 0, 64, &v), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(dk_parse_number("", 0, 64, &v), -1);
	ck_assert_int_eq(dk_parse_number(" 1", 0, 64, &v), -1);
	ck_assert_int_eq(dk_parse_number("1 ", 0, 64, &v), -1);
}
END_TEST

START_TEST(lines_data)
{
	static char text[] = "# c\n\n  6.1.1 6.1.2  \r\n\t#x\nlast";
	FILE *fp = fmemopen(text, sizeof text - 1, "r");
	struct lines l;
	struct dk_err e;

	ck_assert_ptr_nonnull(fp);
	lines_init(&l, fp, "in");
	ck_assert_int_eq(lines_next_data(&l, &e), 11);
	ck_assert_str_eq(l.line, "6.1.1 6.1.2");
	ck_assert_int_eq(l.lineno, 3);
	ck_assert_int_eq(lines_next_data(&l, &e), 4);
	ck_assert_str_eq(l.line, "last");
	ck_assert_int_eq(l.lineno, 5);
	ck_assert_int_eq(lines_next_data(&l, &e), -1);
	ck_assert_str_eq(e.msg, "");
	lines_free(&l);
	fclose(fp);
}
END_TEST

START_TEST(buf_ops)
{
	struct buf b = { 0 };
	int i;

	ck_assert_str_eq(buf_str(&b), "");
	for (i = 0; i < 10000; i++)
		ck_assert_int_eq(buf_addc(&b, 'a' + i % 26), 0);
	ck_assert_uint_eq(b.len, 10000);
	ck_assert_int_eq(b.s[26], 'a');
	buf_reset(&b);
	buf_printf(&b, "%d-%s", 42, "x");
	buf_adds(&b, "yz");
	ck_assert_str_eq(b.s, "42-xyz");
	char *s = buf_take(&b);
	ck_assert_str_eq(s, "42-xyz");
	ck_assert_ptr_null(b.s);
	free(s);
	buf_free(&b);
}
END_TEST

START_TEST(lines_long_and_numbered)
{
	char path[256];
	FILE *fp;
	struct lines l;
	struct dk_err e;
	size_t big = 10 * 1024 * 1024;
	ssize_t n;

	snprintf(path, sizeof path, "%s/in", tmpdir);
	fp = fopen(path, "w");
	fputs("one\n\n", fp);
	for (size_t i = 0; i < big; i++)
		fputc('x', fp);
	fputs("\nlast", fp);
	fclose(fp);
	fp = fopen(path, "r");
	lines_init(&l, fp, path);
	ck_assert_int_eq(lines_next(&l, &e), 3);
	ck_assert_str_eq(l.line, "one");
	ck_assert_int_eq(lines_next(&l, &e), 0);
	ck_assert_int_eq((long)lines_next(&l, &e), (long)big);
	ck_assert_int_eq(l.lineno, 3);
	n = lines_next(&l, &e);
	ck_assert_int_eq(n, 4);
	ck_assert_str_eq(l.line, "last");
	ck_assert_int_eq(lines_next(&l, &e), -1);
	ck_assert_str_eq(e.msg, "");
	lines_free(&l);
	fclose(fp);
}
END_TEST

START_TEST(atomic_keeps_old_on_abort)
{
	char path[256];
	struct atomic_file af;
	struct dk_err e;
	struct buf b = { 0 };
	struct stat st;

	snprintf(path, sizeof path, "%s/f", tmpdir);
	ck_assert_int_eq(atomic_write(path, "old\n", 4, 0640, &e), 0);
	ck_assert_int_eq(chmod(path, 0604), 0);
	ck_assert_int_eq(atomic_open(&af, path, 0644, 0, &e), 0);
	/* on tmpfs and ext4 the file being written has no name at all */
	ck_assert_int_eq(af.anon, 1);
	ck_assert_ptr_null(atomic_pending());
	fputs("half", af.fp);
	fflush(af.fp);
	char ls[300];
	snprintf(ls, sizeof ls, "test \"$(ls -A %s)\" = f", tmpdir);
	ck_assert_int_eq(system(ls), 0);
	atomic_abort(&af);
	ck_assert_ptr_null(atomic_pending());
	ck_assert_int_eq(read_file(path, &b, &e), 0);
	ck_assert_str_eq(b.s, "old\n");
	/* commit replaces, and keeps the existing mode */
	ck_assert_int_eq(atomic_write(path, "new\n", 4, 0600, &e), 0);
	buf_reset(&b);
	ck_assert_int_eq(read_file(path, &b, &e), 0);
	ck_assert_str_eq(b.s, "new\n");
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0604);
	/* nothing but f is left in the directory */
	char cmd[300];
	snprintf(cmd, sizeof cmd, "test $(ls -A %s | wc -l) -eq 1", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
	/* a missing directory is an error naming the file */
	ck_assert_int_eq(atomic_write("/nonexistent/dir/f", "x", 1, 0644, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent/dir/f"));
	buf_free(&b);
}
END_TEST

/* Outputs are regular files only (issue 14, 4): a symbolic link, a FIFO
 * or a device is refused with one line and left as it was. */
START_TEST(atomic_refuses_non_regular)
{
	char path[256], link[256];
	struct dk_err e;
	struct stat st;

	snprintf(path, sizeof path, "%s/fifo", tmpdir);
	ck_assert_int_eq(mkfifo(path, 0644), 0);
	ck_assert_int_eq(atomic_write(path, "x", 1, 0644, &e), -1);
	ck_assert_str_eq(strstr(e.msg, "fifo: "), "fifo: not a regular file: refusing to replace it");
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISFIFO(st.st_mode));
	snprintf(path, sizeof path, "%s/target", tmpdir);
	ck_assert_int_eq(atomic_write(path, "old", 3, 0644, &e), 0);
	snprintf(link, sizeof link, "%s/link", tmpdir);
	ck_assert_int_eq(symlink("target", link), 0);
	ck_assert_int_eq(atomic_write(link, "new", 3, 0644, &e), -1);
	ck_assert_str_eq(strstr(e.msg, "link: "), "link: is a symbolic link: refusing to write through it");
	ck_assert_int_eq(lstat(link, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_int_eq(atomic_write("/dev/null", "x", 1, 0644, &e), -1);
	ck_assert_str_eq(e.msg, "/dev/null: not a regular file: refusing to replace it");
	ck_assert_int_eq(stat("/dev/null", &st), 0);
	ck_assert(S_ISCHR(st.st_mode));
}
END_TEST

/* A temporary file left by a killed writer (no lock held) goes at the
 * next write of the same target; one a live writer holds stays. */
START_TEST(atomic_removes_stale)
{
	char path[256], stale[256], live[256], other[256];
	struct dk_err e;
	int fd;

	snprintf(path, sizeof path, "%s/out.diff", tmpdir);
	snprintf(stale, sizeof stale, "%s/.out.diff.Ab12Cd", tmpdir);
	snprintf(live, sizeof live, "%s/.out.diff.Zz99Yy", tmpdir);
	snprintf(other, sizeof other, "%s/.out.diffx.Ab12Cd", tmpdir);
	close(open(stale, O_CREAT | O_WRONLY, 0600));
	close(open(other, O_CREAT | O_WRONLY, 0600));
	ck_assert_int_ge(fd = open(live, O_CREAT | O_WRONLY, 0600), 0);
	ck_assert_int_eq(flock(fd, LOCK_EX), 0);
	ck_assert_int_eq(atomic_write(path, "x", 1, 0644, &e), 0);
	ck_assert_int_ne(access(stale, F_OK), 0);
	ck_assert_int_eq(access(live, F_OK), 0);
	ck_assert_int_eq(access(other, F_OK), 0);
	close(fd);
}
END_TEST

START_TEST(atomic_full_disk)
{
	struct dk_err e;

	/* a directory where no file can be made (even as root) is refused */
	ck_assert_int_eq(atomic_write("/proc/x", "x", 1, 0644, &e), -1);
	ck_assert_ptr_nonnull(strstr(e.msg, "/proc/x"));
}
END_TEST

START_TEST(spawn_io)
{
	char *cat[] = { "cat", NULL };
	char *sh[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };
	char *nope[] = { "dk-no-such-program", NULL };
	struct buf in = { 0 }, out = { 0 }, err = { 0 };
	struct dk_err e;
	int i;

	/* more than a pipe's worth both ways: no deadlock */
	for (i = 0; i < 200000; i++)
		buf_adds(&in, "0123456789");
	ck_assert_int_eq(spawn_run(cat, NULL, &in, &out, NULL, &e), 0);
	ck_assert_uint_eq(out.len, in.len);
	ck_assert_int_eq(memcmp(out.s, in.s, in.len), 0);
	buf_reset(&out);
	ck_assert_int_eq(spawn_run(sh, NULL, NULL, &out, &err, &e), 3);
	ck_assert_str_eq(out.s, "out\n");
	ck_assert_str_eq(err.s, "err\n");
	ck_assert_int_eq(spawn_run(nope, NULL, NULL, NULL, NULL, &e), -1);
	ck_assert_str_eq(e.msg, "cannot run dk-no-such-program: No such file or directory");
	buf_free(&in);
	buf_free(&out);
	buf_free(&err);
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
		err_format,
		quote_and_number,
		lines_data,
		buf_ops,
		lines_long_and_numbered,
		atomic_keeps_old_on_abort,
		atomic_refuses_non_regular,
		atomic_removes_stale,
		atomic_full_disk,
		spawn_io,
	};

	return run_suite("core", tests, sizeof tests / sizeof *tests);
}
