/* ebuild-setvar: read or set global-scope variables of an ebuild.
 * GPL-2.0-only. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "buf.h"
#include "ebuild.h"
#include "prog.h"

static const char synopsis[] =
	"usage: ebuild-setvar [-i file] NAME=VALUE ...\n"
	"       ebuild-setvar -g NAME ... [file]\n"
	"       ebuild-setvar -e [-p CAT/PF] NAME ... [file]\n";

static const struct prog_opt opts[] = {
	{ 'e', "eval", NULL, "print the evaluated values of the NAMEs" },
	{ 'g', "get", NULL, "print the raw values of the NAMEs" },
	{ 'i', "in-place", "FILE", "edit FILE in place (atomically)" },
	{ 'p', "package", "CAT/PF", "with -e: PN, PV, PR... from CAT/PF, not the file name" },
	{ 0 }
};

static int
is_name(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

/* -g / -e: one value per name, in the order given. */
static int
get(struct ebuild *eb, char **names, int n, int evaluate, const char *pf, const char *file)
{
	struct ebuild_env env = { 0 };
	struct dk_err e;
	int status = DK_OK;
	struct buf all = { 0 };

	if (evaluate) {
		if (pf) {
			const char *slash = strchr(pf, '/');
			char *cat = slash ? strndup(pf, (size_t)(slash - pf)) : NULL;

			if (ebuild_env_pms(&env, cat, slash ? slash + 1 : pf, &e) < 0) {
				free(cat);
				dk_perr(&e);
				return DK_USAGE;
			}
			free(cat);
		} else if (file) {
			/* an eclass or an oddly named file has no PN/PV: only
			 * what needs them fails, naming the unset variable */
			ebuild_env_from_path(&env, file, &e);
		}
	}
	/* every value first: a failing name prints nothing at all */
	for (int k = 0; k < n; k++) {
		struct buf v = { 0 };

		if (evaluate) {
			if (ebuild_eval(eb, &env, names[k], &v, &e) < 0) {
				dk_perr(&e);
				status = DK_FAIL;
				buf_free(&v);
				continue;
			}
		} else {
			const struct ebuild_var *var = ebuild_global(eb, names[k], &e);
			char *raw;

			if (!var) {
				dk_perr(&e);
				status = DK_FAIL;
				continue;
			}
			if (!(raw = ebuild_raw(eb, var)))
				dk_die(DK_FAIL, "out of memory");
			buf_adds(&v, raw);
			free(raw);
		}
		if (buf_add(&all, buf_str(&v), v.len) < 0 || buf_addc(&all, '\n') < 0)
			dk_die(DK_FAIL, "out of memory");
		buf_free(&v);
	}
	if (status == DK_OK)
		fwrite(buf_str(&all), 1, all.len, stdout);
	buf_free(&all);
	ebuild_env_free(&env);
	return status;
}

int
main(int argc, char **argv)
{
	const char *inplace = NULL, *pf = NULL, *file = NULL;
	int mode = 's', c, status;
	struct ebuild eb;
	struct dk_err e;
	struct buf out = { 0 };
	struct prog p = { .synopsis = synopsis, .opts = opts };

	prog_init(&p, argv[0]);
	while ((c = prog_getopt(&p, argc, argv)) != -1) {
		switch (c) {
		case 'e':
		case 'g':
			mode = c;
			break;
		case 'i':
			inplace = optarg;
			break;
		case 'p':
			pf = optarg;
			break;
		}
	}
	argc -= optind;
	argv += optind;
	if (mode == 's' && pf)
		prog_usagef(&p, "--package goes with --eval");
	if (mode != 's') {
		/* NAME… then at most one file: a name has no '/' or '.' */
		if (argc > 1 && !is_name(argv[argc - 1]))
			file = argv[--argc];
		if (inplace) {
			if (file)
				prog_usage(&p);
			file = inplace;
		}
	}
	if (argc == 0)
		prog_usage(&p);
	for (int k = 0; k < argc; k++) {
		const char *eq = strchr(argv[k], '=');
		char q[DK_QUOTE_MAX];

		if (mode == 's' && !eq)
			prog_usagef(&p, "not NAME=VALUE: %s", dk_quote(q, sizeof q, argv[k], strlen(argv[k])));
		if (mode != 's' && !is_name(argv[k]))
			prog_usagef(&p, "not a variable name: %s", dk_quote(q, sizeof q, argv[k], strlen(argv[k])));
	}
	if (mode == 's' && inplace)
		file = inplace;
	if (ebuild_load(&eb, file ? file : "-", &e) < 0) {
		dk_perr(&e);
		return DK_FAIL;
	}
	if (mode != 's') {
		status = get(&eb, argv, argc, mode == 'e', pf, file);
		ebuild_free(&eb);
		if (dk_close_stdout() != DK_OK)
			return DK_FAIL;
		return status;
	}
	if (ebuild_set(&eb, argv, (size_t)argc, &out, &e) < 0) {
		dk_perr(&e);
		ebuild_free(&eb);
		buf_free(&out);
		return DK_FAIL;
	}
	ebuild_free(&eb);
	if (inplace) {
		atomic_cleanup_on_signals();
		if (atomic_write(inplace, buf_str(&out), out.len, 0644, &e) < 0) {
			dk_perr(&e);
			buf_free(&out);
			return DK_FAIL;
		}
		buf_free(&out);
		return dk_close_stdout();
	}
	fwrite(buf_str(&out), 1, out.len, stdout);
	buf_free(&out);
	return dk_close_stdout();
}
