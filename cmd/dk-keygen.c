/* dk-keygen: make the kernel module-signing key, or inspect one.
 * GPL-2.0-only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "prog.h"
#include "signkey.h"

static const char synopsis[] =
	"usage: dk-keygen [-b BITS] [-d DAYS] [-s SUBJECT] [-t rsa | ec] FILE\n"
	"       dk-keygen -c FILE\n";

static void
usage(void)
{
	fputs(synopsis, stderr);
	exit(DK_USAGE);
}

static long
number(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		dk_warn("%s: not a number from %ld to %ld", s, min, max);
		usage();
	}
	return v;
}

static int
check(const char *path)
{
	struct signkey_report r;
	struct dk_err e;
	size_t i;
	int status;

	if (signkey_check(path, time(NULL), &r, &e) < 0) {
		dk_perr(&e);
		return DK_FAIL;
	}
	for (i = 0; i < r.nproblems; i++)
		dk_warn("%s: %s", path, r.problems[i]);
	for (i = 0; i < r.nwarnings; i++)
		dk_warn("%s: warning: %s", path, r.warnings[i]);
	if (r.nproblems == 0)
		printf("%s: %s, %s, until %s, sha256 %s\n", path, r.key, r.subject, r.not_after, r.fpr);
	status = r.nproblems ? DK_FAIL : DK_OK;
	signkey_report_free(&r);
	return dk_close_stdout() == DK_OK ? status : DK_FAIL;
}

int
main(int argc, char *argv[])
{
	struct signkey_opts o = {
		.type = SIGNKEY_RSA,
		.bits = 4096,
		.subject = "CN=dist-kernel module signing key",
		.days = 36500,	/* as the kernel's own certs/Makefile */
	};
	const char *inspect = NULL;
	char fpr[96];
	struct buf pem = { 0 };
	struct dk_err e;
	int c, bits = 0, other = 0;

	dk_setprog(argv[0]);
	while ((c = getopt(argc, argv, "b:c:d:hs:t:V")) != -1) {
		switch (c) {
		case 'b':
			bits = (int)number(optarg, 2048, 16384);
			other = 1;
			break;
		case 'c': inspect = optarg; break;
		case 'd': o.days = number(optarg, 1, 100000), other = 1; break;
		case 's': o.subject = optarg, other = 1; break;
		case 't':
			if (!strcmp(optarg, "rsa"))
				o.type = SIGNKEY_RSA;
			else if (!strcmp(optarg, "ec"))
				o.type = SIGNKEY_EC;
			else
				usage();
			other = 1;
			break;
		case 'h':
			fputs(synopsis, stdout);
			return dk_close_stdout();
		case 'V':
			puts("dk-keygen " DK_VERSION);
			return dk_close_stdout();
		default:
			usage();
		}
	}
	if (inspect) {
		if (other || optind != argc)
			usage();
		return check(inspect);
	}
	if (argc - optind != 1 || (bits && o.type == SIGNKEY_EC))
		usage();
	if (bits)
		o.bits = bits;
	/* Before spending seconds on a key that could not be written. */
	{
		struct stat st;

		/* lstat: a dangling symbolic link is taken as well */
		if (lstat(argv[optind], &st) == 0)
			dk_die(DK_FAIL, "%s: already exists: refusing to overwrite it", argv[optind]);
		if (errno != ENOENT)
			dk_die(DK_FAIL, "%s: cannot create: %s", argv[optind], strerror(errno));
	}
	/* A big RSA key takes seconds (minutes at 16384 bits): say why the
	 * terminal is quiet, then clear the line. */
	if (isatty(2))
		fprintf(stderr, "%s: making the %s key...", dk_prog,
			o.type == SIGNKEY_EC ? "ECDSA P-384" : "RSA");
	c = signkey_generate(&o, &pem, fpr, &e);
	if (isatty(2))
		fputs("\r\033[K", stderr);
	if (c < 0 || signkey_write(argv[optind], &pem, &e) < 0) {
		if (pem.s)
			memset(pem.s, 0, pem.len);
		buf_free(&pem);
		dk_perr(&e);
		return DK_FAIL;
	}
	memset(pem.s, 0, pem.len);
	buf_free(&pem);
	printf("%s\n", fpr);
	return dk_close_stdout();
}
