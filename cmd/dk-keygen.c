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

static const struct prog_opt opts[] = {
	{ 'b', "bits", "BITS", "RSA key size, 2048 to 16384 (default 4096)" },
	{ 'c', "check", "FILE", "inspect an existing key: key matches cert, expiry, mode" },
	{ 'd', "days", "DAYS", "certificate validity in days (default 36500)" },
	{ 's', "subject", "SUBJECT", "certificate subject (default CN=dist-kernel module signing key)" },
	{ 't', "type", "TYPE", "rsa (default) or ec (ECDSA P-384)" },
	{ 0 }
};

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
	struct prog p = { .synopsis = synopsis, .opts = opts };
	const char *inspect = NULL;
	char fpr[96];
	struct buf pem = { 0 };
	struct dk_err e;
	int c, bits = 0, other = 0;

	prog_init(&p, argv[0]);
	while ((c = prog_getopt(&p, argc, argv)) != -1) {
		switch (c) {
		case 'b':
			bits = (int)prog_number("--bits", optarg, 2048, 16384);
			other = 1;
			break;
		case 'c': inspect = optarg; break;
		case 'd': o.days = prog_number("--days", optarg, 1, 100000), other = 1; break;
		case 's': o.subject = optarg, other = 1; break;
		case 't':
			if (!strcmp(optarg, "rsa"))
				o.type = SIGNKEY_RSA;
			else if (!strcmp(optarg, "ec"))
				o.type = SIGNKEY_EC;
			else
				prog_usagef(&p, "--type: want rsa or ec, not '%s'", optarg);
			other = 1;
			break;
		}
	}
	if (inspect) {
		if (other || optind != argc)
			prog_usage(&p);
		return check(inspect);
	}
	if (argc - optind != 1 || (bits && o.type == SIGNKEY_EC))
		prog_usage(&p);
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
