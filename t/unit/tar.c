/* Unit tests: lib/tar (reader, writer, safe extraction), checked against
 * GNU tar both ways. GPL-2.0-only. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "lines.h"
#include "tar.h"
#include "tmpdir.h"

static char path[512];

static const char *
at(const char *name)
{
	snprintf(path, sizeof path, "%s/%s", tmpdir, name);
	return path;
}

static void
sh(const char *fmt, const char *arg)
{
	char cmd[2048];

	snprintf(cmd, sizeof cmd, fmt, arg, arg, arg, arg);
	ck_assert_msg(system(cmd) == 0, "%s", cmd);
}

/* Collects "type name size linkname" lines and the data of every member. */
struct listing {
	struct buf lines, data;
};

static int
l_member(void *ctx, const struct tar_member *m, struct dk_err *e)
{
	struct listing *l = ctx;

	(void)e;
	buf_printf(&l->lines, "%c %s %llu %o %s\n", m->type, m->name, (unsigned long long)m->size,
		(unsigned)m->mode, m->linkname);
	return 0;
}

static int
l_data(void *ctx, const struct tar_member *m, const void *p, size_t n, struct dk_err *e)
{
	struct listing *l = ctx;

	(void)m;
	(void)e;
	return buf_add(&l->data, p, n);
}

static const struct tar_ops l_ops = { l_member, l_data, NULL };

static int
list_file(const char *file, struct listing *l, struct dk_err *e)
{
	int fd = open(file, O_RDONLY), rc;

	ck_assert_int_ge(fd, 0);
	rc = tar_read_fd(fd, "a.tar", &l_ops, l, e);
	close(fd);
	return rc;
}

static void
listing_free(struct listing *l)
{
	buf_free(&l->lines);
	buf_free(&l->data);
}

static char longname[512];

static void
make_longname(void)
{
	size_t i;

	/* 30 components of 9 bytes: no ustar split fits */
	longname[0] = '\0';
	for (i = 0; i < 29; i++)
		strcat(longname, "abcdefgh/");
	strcat(longname, "file-with-a-name-longer-than-a-hundred-bytes-when-taken-whole.txt");
}

START_TEST(reads_gnu_and_pax)
{
	const char *fmts[] = { "gnu", "pax", "ustar" };
	size_t i;

	make_longname();
	sh("mkdir -p %s/src/d && cd %s/src && printf hello > d/f && ln -s f d/l", tmpdir);
	for (i = 0; i < 3; i++) {
		struct listing l = { 0 };
		struct dk_err e;
		char cmd[2048], want[1024];

		if (i < 2) {
			snprintf(cmd, sizeof cmd, "cd %s/src && mkdir -p $(dirname %s) && echo long > %s", tmpdir, longname, longname);
			ck_assert_int_eq(system(cmd), 0);
		}
		snprintf(cmd, sizeof cmd, "cd %s/src && tar --format=%s --owner=0 --group=0 --sort=name -cf ../a.tar d %s",
			tmpdir, fmts[i], i < 2 ? longname : "");
		ck_assert_int_eq(system(cmd), 0);
		ck_assert_int_eq(list_file(at("a.tar"), &l, &e), 0);
		snprintf(want, sizeof want, "5 d/ 0 755 \n0 d/f 5 644 \n2 d/l 0 777 f\n");
		ck_assert_msg(!strncmp(buf_str(&l.lines), want, strlen(want)), "%s: %s", fmts[i], buf_str(&l.lines));
		if (i < 2) {
			ck_assert_msg(strstr(buf_str(&l.lines), longname) != NULL, "%s", buf_str(&l.lines));
			ck_assert_str_eq(buf_str(&l.data), "hellolong\n");
		}
		listing_free(&l);
	}
}
END_TEST

START_TEST(writes_what_gnu_tar_reads)
{
	struct tar_writer w;
	struct dk_err e;
	struct listing l = { 0 };
	char cmd[1024];
	int fd, in;

	make_longname();
	sh("printf 'from a file' > %s/in", tmpdir);
	fd = open(at("w.tar"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	tar_writer_fd(&w, fd);
	ck_assert_int_eq(tar_add_dir(&w, "top", 0755, &e), 0);
	ck_assert_int_eq(tar_add_mem(&w, "top/gpkg-1", 0644, "", 0, &e), 0);
	ck_assert_int_eq(tar_add_mem(&w, longname, 0600, "x", 1, &e), 0);
	in = open(at("in"), O_RDONLY);
	ck_assert_int_eq(tar_add_fd(&w, "top/in", 0644, in, 11, &e), 0);
	close(in);
	ck_assert_int_eq(tar_add_file(&w, "top/again", at("in"), &e), 0);
	ck_assert_int_eq(tar_writer_finish(&w, &e), 0);
	ck_assert_int_eq(w.offset % 512, 0);
	close(fd);
	snprintf(cmd, sizeof cmd, "cd %s && tar -tf w.tar > list && mkdir x && tar -C x -xf w.tar && cmp x/top/in in && cmp x/%s x/%s",
		tmpdir, "top/again", "top/in");
	ck_assert_int_eq(system(cmd), 0);
	snprintf(cmd, sizeof cmd, "cd %s && printf 'top/\\ntop/gpkg-1\\n%s\\ntop/in\\ntop/again\\n' | cmp - list", tmpdir, longname);
	ck_assert_int_eq(system(cmd), 0);
	/* and our own reader agrees */
	ck_assert_int_eq(list_file(at("w.tar"), &l, &e), 0);
	ck_assert_str_eq(buf_str(&l.data), "xfrom a filefrom a file");
	listing_free(&l);
}
END_TEST

START_TEST(byte_by_byte)
{
	struct tar_reader *r;
	struct listing l = { 0 };
	struct dk_err e;
	struct buf whole = { 0 };
	size_t i;

	make_longname();
	sh("mkdir -p %s/s && cd %s/s && printf abc > f && tar --format=pax -cf ../a.tar f", tmpdir);
	ck_assert_int_eq(read_file(at("a.tar"), &whole, &e), 0);
	r = tar_reader_new(&l_ops, &l, "a.tar");
	for (i = 0; i < whole.len; i++)
		ck_assert_int_eq(tar_feed(r, whole.s + i, 1, &e), 0);
	ck_assert_int_eq(tar_finish(r, &e), 0);
	ck_assert_str_eq(buf_str(&l.lines), "0 f 3 644 \n");
	ck_assert_str_eq(buf_str(&l.data), "abc");
	tar_reader_free(r);
	buf_free(&whole);
	listing_free(&l);
}
END_TEST

START_TEST(truncated_and_corrupt)
{
	struct listing l = { 0 };
	struct dk_err e;

	sh("mkdir -p %s/s && cd %s/s && head -c 5000 /dev/zero > f && tar -cf ../a.tar f && head -c 2000 ../a.tar > ../t.tar", tmpdir);
	ck_assert_int_eq(list_file(at("t.tar"), &l, &e), -1);
	ck_assert_str_eq(e.msg, "a.tar: truncated in member f");
	sh("cd %s && head -c 5632 a.tar > t2.tar", tmpdir);
	ck_assert_int_eq(list_file(at("t2.tar"), &l, &e), -1);
	ck_assert_str_eq(e.msg, "a.tar: truncated: no end-of-archive block");
	sh("cd %s && printf X | dd of=a.tar bs=1 seek=10 conv=notrunc 2>/dev/null", tmpdir);
	ck_assert_int_eq(list_file(at("a.tar"), &l, &e), -1);
	ck_assert_str_eq(e.msg, "a.tar: bad header checksum at offset 0");
	sh(": > %s/empty", tmpdir);
	ck_assert_int_eq(list_file(at("empty"), &l, &e), -1);
	ck_assert_str_eq(e.msg, "a.tar: empty file, not a tar archive");
	listing_free(&l);
}
END_TEST

static int
extract(const char *tarfile, struct dk_err *e)
{
	int fd = open(tarfile, O_RDONLY), rc;

	ck_assert_int_ge(fd, 0);
	rc = tar_extract_fd(fd, "a.tar", at("out"), e);
	close(fd);
	return rc;
}

START_TEST(safe_extract)
{
	struct dk_err e;
	struct stat st;
	char want[512];

	ck_assert_int_eq(tar_name_safe("a/b"), 1);
	ck_assert_int_eq(tar_name_safe("./a/b/"), 1);
	ck_assert_int_eq(tar_name_safe("a..b/c"), 1);
	ck_assert_int_eq(tar_name_safe("/etc/passwd"), 0);
	ck_assert_int_eq(tar_name_safe("a/../../b"), 0);
	ck_assert_int_eq(tar_name_safe(".."), 0);
	ck_assert_int_eq(tar_name_safe(""), 0);

	sh("mkdir -p %s/s/d %s/out && cd %s/s && printf abc > d/f && chmod 4755 d/f && tar -cf ../ok.tar d", tmpdir);
	ck_assert_int_eq(extract(at("ok.tar"), &e), 0);
	ck_assert_int_eq(stat(at("out/d/f"), &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0755);
	ck_assert_int_eq(st.st_size, 3);
	/* never overwrites */
	ck_assert_int_eq(extract(at("ok.tar"), &e), -1);
	ck_assert_str_eq(e.msg, "a.tar: member d/f: cannot create: File exists");

	sh("cd %s/s && tar -cf ../dotdot.tar -P --transform 's,^d,../escape,' d/f", tmpdir);
	ck_assert_int_eq(extract(at("dotdot.tar"), &e), -1);
	ck_assert_str_eq(e.msg, "a.tar: member ../escape/f: unsafe path refused");
	sh("cd %s/s && tar -cf ../abs.tar -P --transform 's,^d,/tmp/escape,' d/f", tmpdir);
	ck_assert_int_eq(extract(at("abs.tar"), &e), -1);
	ck_assert_str_eq(e.msg, "a.tar: member /tmp/escape/f: unsafe path refused");
	sh("cd %s/s && ln -s /tmp l && tar -cf ../link.tar l", tmpdir);
	ck_assert_int_eq(extract(at("link.tar"), &e), -1);
	ck_assert_str_eq(e.msg, "a.tar: member l: links are refused");
	sh("cd %s/s && mkfifo p && tar -cf ../fifo.tar p", tmpdir);
	ck_assert_int_eq(extract(at("fifo.tar"), &e), -1);
	ck_assert_str_eq(e.msg, "a.tar: member p: devices and fifos are refused");
	/* a symlink already in the target is not followed */
	sh("ln -s /tmp %s/out/sneaky && mkdir -p %s/s/sneaky && cd %s/s && printf x > sneaky/f && tar -cf ../sneaky.tar sneaky/f", tmpdir);
	ck_assert_int_eq(extract(at("sneaky.tar"), &e), -1);
	snprintf(want, sizeof want, "a.tar: member sneaky/f: sneaky is not a directory: Not a directory");
	ck_assert_str_eq(e.msg, want);
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
		reads_gnu_and_pax,
		writes_what_gnu_tar_reads,
		byte_by_byte,
		truncated_and_corrupt,
		safe_extract,
	};

	return run_suite("tar", tests, sizeof tests / sizeof *tests);
}
