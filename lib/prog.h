/* dk: the programs' half of the message format: printing and exit codes.
 * Included by cmd/ only; the library itself never prints or exits.
 * GPL-2.0-only. */
#ifndef DK_PROG_H
#define DK_PROG_H

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "lines.h"

/* Exit codes of every program (documented in each page's EXIT STATUS). */
enum { DK_OK = 0, DK_FAIL = 1, DK_USAGE = 2 };

/* "prog: message" on stderr. */
static inline void __attribute__((format(printf, 1, 2), unused))
dk_warn(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", dk_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* "prog: message" on stderr, then exit(status). */
static inline void __attribute__((format(printf, 2, 3), noreturn, unused))
dk_die(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", dk_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

/* Prints a library error as "prog: message". */
static inline void __attribute__((unused))
dk_perr(const struct dk_err *e)
{
	fprintf(stderr, "%s: %s\n", dk_prog, e->msg[0] ? e->msg : "unknown error");
}

/* Sets dk_prog from argv[0]. */
static inline void __attribute__((unused))
dk_setprog(const char *argv0)
{
	const char *s = argv0 ? strrchr(argv0, '/') : NULL;

	dk_prog = s ? s + 1 : (argv0 ? argv0 : "dk");
}

/* Flushes and closes stdout, so "prog > /dev/full" fails: returns 0 or
 * prints the error and returns DK_FAIL. */
static inline int __attribute__((unused))
dk_close_stdout(void)
{
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
		dk_warn("write error: standard output: %s", strerror(errno ? errno : EIO));
		return DK_FAIL;
	}
	return DK_OK;
}

/* One option of a program; a table of them ends with { 0 }. */
struct prog_opt {
	int val;		/* its letter, or PROG_LONG + n: long only */
	const char *name;	/* long name without "--" */
	const char *arg;	/* NULL: no argument; else its name in --help */
	const char *help;	/* the line --help prints for it */
};
#define PROG_LONG 256

/* A deprecated spelling kept working: letter (or long name) val stands
 * for option to, with a note on stderr. A table ends with { 0 }. */
struct prog_alias {
	int val;		/* the old letter, or PROG_LONG + n */
	const char *name;	/* the old long name, or NULL */
	int to;			/* the option it now stands for */
};

/* A program's command line: its synopsis (== the man page's SYNOPSIS,
 * "usage: ..." lines), options and deprecated spellings. Initialise with
 * designated initialisers; prog_init fills the rest. */
struct prog {
	const char *synopsis;
	const struct prog_opt *opts;
	const struct prog_alias *aliases;
	char shortopts[160];
	struct option longopts[80];
	int warned[16];		/* deprecation notes already given */
};

/* The number of problems dk_problem saw in this run. */
static int dk_nproblems __attribute__((unused));
/* How many problems a run prints before it only counts them. */
#define DK_PROBLEMS_SHOWN 10

/* Sets dk_prog and builds the getopt tables of p. Both -h/--help and
 * -V/--version are added here: a table lists neither. */
static inline void __attribute__((unused))
prog_init(struct prog *p, const char *argv0)
{
	const struct prog_opt *o;
	const struct prog_alias *a;
	size_t n = 0, k = 0, nlong = sizeof p->longopts / sizeof p->longopts[0] - 1;

	dk_setprog(argv0);
	memset(p->shortopts, 0, sizeof p->shortopts);
	memset(p->longopts, 0, sizeof p->longopts);
	memset(p->warned, 0, sizeof p->warned);
	/* '+': options stop at the first operand, as POSIX getopt; ':': a
	 * missing argument is told apart from an unknown option */
	p->shortopts[k++] = '+';
	p->shortopts[k++] = ':';
	p->shortopts[k++] = 'h';
	p->shortopts[k++] = 'V';
	p->longopts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	p->longopts[n++] = (struct option){ "version", no_argument, NULL, 'V' };
	for (o = p->opts; o && o->val; o++) {
		if (o->val < PROG_LONG && k + 3 < sizeof p->shortopts) {
			p->shortopts[k++] = (char)o->val;
			if (o->arg)
				p->shortopts[k++] = ':';
		}
		if (o->name && n < nlong)
			p->longopts[n++] = (struct option){ o->name,
				o->arg ? required_argument : no_argument, NULL, o->val };
	}
	for (a = p->aliases; a && a->val; a++) {
		for (o = p->opts; o && o->val && o->val != a->to; o++)
			;
		if (a->val < PROG_LONG && k + 3 < sizeof p->shortopts) {
			p->shortopts[k++] = (char)a->val;
			if (o && o->arg)
				p->shortopts[k++] = ':';
		}
		if (a->name && n < nlong)
			p->longopts[n++] = (struct option){ a->name,
				o && o->arg ? required_argument : no_argument, NULL, a->val };
	}
}

/* Prints the synopsis on stderr and exits 2 (a usage error). */
static inline void __attribute__((noreturn, unused))
prog_usage(const struct prog *p)
{
	fputs(p->synopsis, stderr);
	exit(DK_USAGE);
}

/* "prog: message" and the synopsis on stderr, exit 2. */
static inline void __attribute__((format(printf, 2, 3), noreturn, unused))
prog_usagef(const struct prog *p, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", dk_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	prog_usage(p);
}

/* --help: the synopsis, then one line per option, on stdout; exits 0, or
 * 1 when stdout cannot be written. */
static inline void __attribute__((noreturn, unused))
prog_help(const struct prog *p)
{
	const struct prog_opt *o;
	char left[64];

	fputs(p->synopsis, stdout);
	fputs("\noptions:\n", stdout);
	for (o = p->opts; o && o->val; o++) {
		if (o->val < PROG_LONG)
			snprintf(left, sizeof left, "-%c, --%s%s%s", o->val, o->name,
			    o->arg ? " " : "", o->arg ? o->arg : "");
		else
			snprintf(left, sizeof left, "    --%s%s%s", o->name,
			    o->arg ? " " : "", o->arg ? o->arg : "");
		printf("  %-26s %s\n", left, o->help ? o->help : "");
	}
	printf("  %-26s %s\n", "-h, --help", "print this help and exit");
	printf("  %-26s %s\n", "-V, --version", "print the version and exit");
	exit(dk_close_stdout());
}

/* The option's spelling for messages: "-j" or "--jobs". */
static inline const char * __attribute__((unused))
prog_optname(const struct prog *p, int val, char *buf, size_t len)
{
	const struct prog_opt *o;

	if (val < PROG_LONG) {
		snprintf(buf, len, "-%c", val);
		return buf;
	}
	for (o = p->opts; o && o->val; o++)
		if (o->val == val) {
			snprintf(buf, len, "--%s", o->name);
			return buf;
		}
	snprintf(buf, len, "option %d", val);
	return buf;
}

/* The next option as getopt_long gives it (optarg, optind as usual):
 * returns its val, with a deprecated spelling noted once on stderr and
 * returned as the option it stands for; -1 after the last option. Handles
 * --help, --version and usage errors itself (they exit). */
static inline int __attribute__((unused))
prog_getopt(struct prog *p, int argc, char **argv)
{
	const struct prog_alias *a;
	char was[64], now[64], q[DK_QUOTE_MAX];
	const char *bad;
	int c, i;

	opterr = 0;
	c = getopt_long(argc, argv, p->shortopts, p->longopts, NULL);
	switch (c) {
	case -1:
		return -1;
	case 'h':
		prog_help(p);
	case 'V':
		printf("%s %s\n", dk_prog, DK_VERSION);
		exit(dk_close_stdout());
	case '?':
	case ':':
		/* a long option is named only in argv: quote what was typed */
		bad = argv[optind - 1];
		if (strncmp(bad, "--", 2) != 0)
			snprintf(was, sizeof was, "-%c", optopt), bad = was;
		dk_warn(c == ':' ? "option %s needs an argument" : "unknown option %s",
		    dk_quote(q, sizeof q, bad, strcspn(bad, "=")));
		prog_usage(p);
	}
	for (a = p->aliases, i = 0; a && a->val; a++, i++) {
		if (a->val != c)
			continue;
		if (i >= 16 || !p->warned[i]) {
			if (i < 16)
				p->warned[i] = 1;
			dk_warn("%s is deprecated: use %s",
			    a->val < PROG_LONG ? prog_optname(p, a->val, was, sizeof was) :
			    (snprintf(was, sizeof was, "--%s", a->name), was),
			    prog_optname(p, a->to, now, sizeof now));
		}
		return a->to;
	}
	return c;
}

/* A whole number from min to max given to option opt ("--jobs"); a usage
 * error (exit 2) naming the option otherwise. */
static inline long long __attribute__((unused))
prog_number(const char *opt, const char *arg, long long min, long long max)
{
	long long v;

	if (dk_parse_number(arg, min, max, &v) < 0) {
		char q[DK_QUOTE_MAX];

		dk_warn("%s: '%s' is not a whole number from %lld to %lld", opt,
		    dk_quote(q, sizeof q, arg, strlen(arg)), min, max);
		exit(DK_USAGE);
	}
	return v;
}

/* Starts reading stdin as l (named "<stdin>"); on a terminal first says
 * what is read, so a forgotten operand does not look like a hang. */
static inline void __attribute__((unused))
prog_input(struct lines *l, const char *what)
{
	if (isatty(0))
		fprintf(stderr, "%s: reading %s from standard input; end with ^D\n", dk_prog, what);
	lines_init(l, stdin, "<stdin>");
}

/* As dk_warn, for one problem of a run: only the first DK_PROBLEMS_SHOWN
 * are printed; dk_problems() tells how many there were. */
static inline void __attribute__((format(printf, 1, 2), unused))
dk_problem(const char *fmt, ...)
{
	va_list ap;

	if (dk_nproblems++ >= DK_PROBLEMS_SHOWN)
		return;
	fprintf(stderr, "%s: ", dk_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Prints "prog: N more problems" when some were not shown; returns the
 * number of problems of the run. */
static inline int __attribute__((unused))
dk_problems(void)
{
	if (dk_nproblems > DK_PROBLEMS_SHOWN)
		fprintf(stderr, "%s: %d more problem%s\n", dk_prog, dk_nproblems - DK_PROBLEMS_SHOWN,
		    dk_nproblems - DK_PROBLEMS_SHOWN == 1 ? "" : "s");
	return dk_nproblems;
}

#endif
