/* Unit tests: the ebuild lexer and evaluator. GPL-2.0-only. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ebuild.h"
#include "lines.h"
#include "tmpdir.h"

/* Only the corpus tests call it: run_suite_corpus leaves them out
 * without DK_CORPUS. */
static const char *
corpus(void)
{
	ck_assert_msg(corpus_dir() != NULL, "DK_CORPUS is not set (t/data/README)");
	return corpus_dir();
}

/* Calls fn on every ebuild and eclass of the corpus; returns the count. */
static int
each_corpus_file(void (*fn)(const char *path))
{
	static const char *const dirs[] = { "eclass", "sys-kernel/gentoo-kernel",
		"sys-kernel/vanilla-kernel", "sys-kernel/gentoo-kernel-bin",
		"sys-kernel/gentoo-sources", "virtual/dist-kernel" };
	int n = 0;

	for (size_t d = 0; d < sizeof dirs / sizeof *dirs; d++) {
		char dir[1024], path[2048];
		DIR *dp;
		struct dirent *de;

		snprintf(dir, sizeof dir, "%s/%s", corpus(), dirs[d]);
		ck_assert_msg((dp = opendir(dir)) != NULL, "corpus dir %s", dir);
		while ((de = readdir(dp))) {
			const char *dot = strrchr(de->d_name, '.');

			if (!dot || (strcmp(dot, ".ebuild") && strcmp(dot, ".eclass")))
				continue;
			snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
			fn(path);
			n++;
		}
		closedir(dp);
	}
	return n;
}

static void
parse(struct ebuild *eb, const char *text)
{
	struct dk_err e;

	ck_assert_msg(ebuild_parse(eb, "t.ebuild", text, strlen(text), &e) == 0, "%s", e.msg);
}

static void
parse_fails(const char *text, const char *msg)
{
	struct ebuild eb;
	struct dk_err e;

	ck_assert_int_eq(ebuild_parse(&eb, "t.ebuild", text, strlen(text), &e), -1);
	ck_assert_msg(strstr(e.msg, msg) != NULL, "got \"%s\", want \"%s\"", e.msg, msg);
}

static const struct ebuild_var *
var(const struct ebuild *eb, const char *name)
{
	for (size_t k = 0; k < eb->nvars; k++)
		if (!strcmp(eb->vars[k].name, name))
			return &eb->vars[k];
	return NULL;
}

static char *
raw(const struct ebuild *eb, const char *name)
{
	const struct ebuild_var *v = var(eb, name);

	ck_assert_msg(v != NULL, "%s not found", name);
	return ebuild_raw(eb, v);
}

/* ---- round trips over the corpus ---- */

static void
roundtrip_one(const char *path)
{
	struct ebuild eb;
	struct dk_err e;
	struct buf out = { 0 };

	ck_assert_msg(ebuild_load(&eb, path, &e) == 0, "%s", e.msg);
	ck_assert_msg(eb.nvars > 0, "%s: no assignments", path);
	ck_assert_int_eq(ebuild_set(&eb, NULL, 0, &out, &e), 0);
	ck_assert_uint_eq(out.len, eb.len);
	ck_assert_msg(memcmp(buf_str(&out), eb.text, eb.len) == 0, "%s changed", path);
	/* every global assignment, edited alone, changes only its value */
	for (size_t k = 0; k < eb.nvars; k++) {
		const struct ebuild_var *v = &eb.vars[k];
		char *set;
		struct buf want = { 0 };

		if (v->in_func || v->quote == EBUILD_MIXED)
			continue;
		/* the edit acts on the last global assignment of the name */
		size_t last = k;
		for (size_t j = 0; j < eb.nvars; j++)
			if (!eb.vars[j].in_func && !strcmp(eb.vars[j].name, v->name) &&
			    (!eb.vars[j].append || eb.vars[last].append))
				last = j;
		if (last != k)
			continue;
		ck_assert_int_ge(asprintf(&set, "%s=dk-new-value", v->name), 0);
		buf_reset(&out);
		ck_assert_msg(ebuild_set(&eb, &set, 1, &out, &e) == 0, "%s: %s", path, e.msg);
		buf_add(&want, eb.text, v->val_start);
		buf_adds(&want, "dk-new-value");
		buf_add(&want, eb.text + v->val_end, eb.len - v->val_end);
		ck_assert_msg(out.len == want.len && !memcmp(out.s, want.s, want.len),
			"%s: editing %s (line %ld) changed other bytes", path, v->name, v->line);
		buf_free(&want);
		free(set);
	}
	buf_free(&out);
	ebuild_free(&eb);
}

START_TEST(corpus_roundtrip)
{
	ck_assert_int_ge(each_corpus_file(roundtrip_one), 25);
}
END_TEST

/* Every global assignment the corpus files hold is found: compared with
 * a line-based count of NAME= at the start of a line outside functions. */
static void
found_one(const char *path)
{
	struct ebuild eb;
	struct dk_err e;
	struct buf b = { 0 };
	int in_func = 0, expected = 0, got = 0;
	char *line, *save;

	ck_assert_msg(ebuild_load(&eb, path, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(read_file(path, &b, &e), 0);
	for (line = strtok_r(b.s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t n = strspn(line, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_0123456789");

		if (strstr(line, "() {") && line[0] != '\t' && line[0] != '#')
			in_func = 1;
		else if (!strcmp(line, "}"))
			in_func = 0;
		else if (!in_func && n && (line[n] == '=' || (line[n] == '+' && line[n + 1] == '=')))
			expected++;
	}
	for (size_t k = 0; k < eb.nvars; k++) {
		const struct ebuild_var *v = &eb.vars[k];

		if (!v->in_func && (v->start == 0 || eb.text[v->start - 1] == '\n'))
			got++;
	}
	ck_assert_msg(got == expected, "%s: %d global assignments at line start, want %d", path, got, expected);
	buf_free(&b);
	ebuild_free(&eb);
}

START_TEST(corpus_all_found)
{
	each_corpus_file(found_one);
}
END_TEST

/* ---- the lexer on bash constructs ---- */

START_TEST(lex_quoting)
{
	struct ebuild eb;
	char *r;

	parse(&eb,
		"A=plain\n"
		"B='single $x'  # comment with \"quote\n"
		"C=\"double ${x%\"}\"} $(echo \")\") `a` \\\" end\"\n"
		"D=$'ansi \\' quote'\n"
		"E=mix\"ed\"'parts'\n"
		"F=one\\\n"
		"two\n"
		"G=( a \"b c\"\n  # comment )\n  d )\n"
		"H+=\" more\"\n"
		"I=\n"
		"J=$(( 1 + (2 * 3) ))\n");
	ck_assert_int_eq(eb.nvars, 10);
	ck_assert_int_eq(var(&eb, "A")->quote, EBUILD_BARE);
	ck_assert_int_eq(var(&eb, "B")->quote, EBUILD_SINGLE);
	ck_assert_int_eq(var(&eb, "C")->quote, EBUILD_DOUBLE);
	ck_assert_int_eq(var(&eb, "D")->quote, EBUILD_ANSI);
	ck_assert_int_eq(var(&eb, "E")->quote, EBUILD_MIXED);
	ck_assert_int_eq(var(&eb, "G")->quote, EBUILD_ARRAY);
	ck_assert_int_eq(var(&eb, "H")->append, 1);
	ck_assert_int_eq(var(&eb, "C")->line, 3);
	ck_assert_int_eq(var(&eb, "G")->line, 8);
	ck_assert_int_eq(var(&eb, "H")->line, 11);
	r = raw(&eb, "B");
	ck_assert_str_eq(r, "single $x");
	free(r);
	r = raw(&eb, "C");
	ck_assert_str_eq(r, "double ${x%\"}\"} $(echo \")\") `a` \\\" end");
	free(r);
	r = raw(&eb, "F");
	ck_assert_str_eq(r, "one\\\ntwo");
	free(r);
	r = raw(&eb, "I");
	ck_assert_str_eq(r, "");
	free(r);
	ebuild_free(&eb);
}
END_TEST

START_TEST(lex_scopes)
{
	struct ebuild eb;

	parse(&eb,
		"inherit foo\n"
		"src_unpack() {\n"
		"	LOCAL=1\n"
		"	cat <<-EOF\n"
		"	NOT=here }\n"
		"	EOF\n"
		"	case ${x} in a) B=1;; b|c) ;; esac\n"
		"}\n"
		"function other {\n\tX=1\n}\n"
		"FOO=bar make\n"
		"[[ ${PV} == 9999 ]] && LIVE=1\n"
		"if [[ ${PV} == *9999* ]]; then\n\tCOND=1\nelse\n\tCOND=2\nfi\n"
		"case ${ARCH} in\n\tamd64) CASED=1 ;;\n\t*) ;;\nesac\n"
		"cat <<'END'\nHEREDOC=1\nEND\n"
		"export EXPORTED=yes\n"
		"AFTER=1 # } fi esac\n");
	ck_assert_int_eq(var(&eb, "LOCAL")->in_func, 1);
	ck_assert_int_eq(var(&eb, "X")->in_func, 1);
	ck_assert_ptr_null(var(&eb, "NOT"));
	ck_assert_ptr_null(var(&eb, "FOO"));
	ck_assert_ptr_null(var(&eb, "HEREDOC"));
	ck_assert_int_eq(var(&eb, "LIVE")->cond, 1);
	ck_assert_int_eq(var(&eb, "COND")->cond, 1);
	ck_assert_int_eq(var(&eb, "CASED")->cond, 1);
	ck_assert_int_eq(var(&eb, "EXPORTED")->cond, 0);
	ck_assert_int_eq(var(&eb, "AFTER")->cond, 0);
	ck_assert_int_eq(var(&eb, "AFTER")->in_func, 0);
	ck_assert_int_eq(var(&eb, "AFTER")->line, 27);
	ck_assert_ptr_null(ebuild_find(&eb, "LOCAL"));
	ck_assert_ptr_nonnull(ebuild_find(&eb, "AFTER"));
	ck_assert_str_eq(eb.cmds[0].name, "inherit");
	ebuild_free(&eb);
}
END_TEST

START_TEST(lex_eclass_guard)
{
	struct ebuild eb;

	parse(&eb, "if [[ -z ${_FOO_ECLASS} ]]; then\n_FOO_ECLASS=1\nSRC_URI=\"x\"\nfi\n");
	ck_assert_int_eq(var(&eb, "SRC_URI")->cond, 0);
	ebuild_free(&eb);
	/* dist-kernel-utils.eclass names its guard without _ECLASS */
	parse(&eb, "if [[ ! ${_DIST_KERNEL_UTILS} ]]; then\nA=1\nfi\nif [[ ! ${lower} ]]; then\nB=1\nfi\n");
	ck_assert_int_eq(var(&eb, "A")->cond, 0);
	ck_assert_int_eq(var(&eb, "B")->cond, 1);
	ebuild_free(&eb);
}
END_TEST

START_TEST(lex_errors)
{
	parse_fails("A=1\nB=\"open\n\n", "t.ebuild:2: unterminated double quote");
	parse_fails("A='open\n", "t.ebuild:1: unterminated single quote");
	parse_fails("A=$(echo\n", "t.ebuild:1: unterminated $(...)");
	parse_fails("A=${x\n", "t.ebuild:1: unterminated ${...}");
	parse_fails("A=`x\n", "t.ebuild:1: unterminated backquote");
	parse_fails("cat <<EOF\nA=1\n", "unterminated here-document");
	parse_fails("f() {\nA=1\n", "unexpected end of file");
	parse_fails("if true; then\nA=1\n", "if without fi");
	parse_fails("A=(a b\n", "unterminated array");
	parse_fails("fi\n", "unexpected \"fi\"");
	{
		struct ebuild eb;
		struct dk_err e;

		ck_assert_int_eq(ebuild_parse(&eb, "t.ebuild", "A=1\n\001\002\000garbage", 15, &e), -1);
		ck_assert_str_eq(e.msg, "t.ebuild:2: binary data (a NUL byte) in the file");
	}
}
END_TEST

START_TEST(lex_big_and_empty)
{
	struct ebuild eb;
	size_t n = 10 * 1024 * 1024;
	char *text = malloc(n + 32);

	parse(&eb, "");
	ck_assert_int_eq(eb.nvars, 0);
	ebuild_free(&eb);
	memcpy(text, "A=\"", 3);
	memset(text + 3, 'x', n);
	memcpy(text + 3 + n, "\"\nB=1\n", 7);
	parse(&eb, text);
	ck_assert_int_eq(eb.nvars, 2);
	ck_assert_uint_eq(var(&eb, "A")->val_end - var(&eb, "A")->val_start, n);
	ck_assert_int_eq(var(&eb, "B")->line, 2);
	ebuild_free(&eb);
	free(text);
}
END_TEST

/* One command with many assignments keeps every one (the lexer once
 * dropped the 65th), and an environment prefix keeps none. */
START_TEST(lex_many_assignments)
{
	struct ebuild eb;
	struct buf b = { 0 };
	char name[16];

	for (int i = 1; i <= 1000; i++)
		buf_printf(&b, "A%d=%d ", i, i);
	buf_adds(&b, "\n");
	parse(&eb, b.s);
	ck_assert_int_eq(eb.nvars, 1000);
	for (int i = 1; i <= 1000; i++) {
		snprintf(name, sizeof name, "A%d", i);
		ck_assert_msg(var(&eb, name) != NULL, "%s not found", name);
	}
	ebuild_free(&eb);
	buf_adds(&b, "B1=1 B2=2 make\n");
	parse(&eb, b.s);
	ck_assert_int_eq(eb.nvars, 1000);
	ck_assert_ptr_null(var(&eb, "B2"));
	ebuild_free(&eb);
	buf_free(&b);
}
END_TEST

/* ---- setting ---- */

static char *
set1(const char *text, const char *setting, struct dk_err *e)
{
	struct ebuild eb;
	struct buf out = { 0 };
	char *s = (char *)setting;

	parse(&eb, text);
	if (ebuild_set(&eb, &s, 1, &out, e) < 0) {
		ebuild_free(&eb);
		buf_free(&out);
		return NULL;
	}
	ebuild_free(&eb);
	return buf_take(&out);
}

START_TEST(set_values)
{
	struct dk_err e;
	char *r;

	r = set1("A=\"x\" # keep\n", "A=has \"quotes\"", &e);
	ck_assert_str_eq(r, "A=\"has \\\"quotes\\\"\" # keep\n");
	free(r);
	r = set1("A=\"x\"\n", "A=ends\\", &e);
	ck_assert_str_eq(r, "A=\"ends\\\\\"\n");
	free(r);
	r = set1("A='x'\n", "A=b c", &e);
	ck_assert_str_eq(r, "A='b c'\n");
	free(r);
	r = set1("CONFIG_VER=6.6.30-gentoo\n", "CONFIG_VER=6.6.31-gentoo", &e);
	ck_assert_str_eq(r, "CONFIG_VER=6.6.31-gentoo\n");
	free(r);
	r = set1("SRC_URI+=\"a\"\n", "SRC_URI=b", &e);
	ck_assert_str_eq(r, "SRC_URI+=\"b\"\n");
	free(r);
	ck_assert_ptr_null(set1("A='x'\n", "A=it's", &e));
	ck_assert_ptr_nonnull(strstr(e.msg, "single-quoted"));
	ck_assert_ptr_null(set1("A=x\n", "A=a b", &e));
	ck_assert_ptr_nonnull(strstr(e.msg, "would break its quoting"));
	ck_assert_ptr_null(set1("A=x\n", "A=a;rm -rf /", &e));
	ck_assert_ptr_null(set1("A=x\n", "B=1", &e));
	ck_assert_str_eq(e.msg, "t.ebuild: B is not assigned at global scope");
	ck_assert_ptr_null(set1("f() {\n\tL=1\n}\n", "L=2", &e));
	ck_assert_str_eq(e.msg, "t.ebuild:2: L is only set inside a function, not at global scope");
}
END_TEST

START_TEST(set_all_or_nothing)
{
	struct ebuild eb;
	struct buf out = { 0 };
	struct dk_err e;
	char *ok[] = { "A=1", "B=2" }, *bad[] = { "A=1", "C=3" };

	parse(&eb, "A=a\nB=\"b\"\n");
	ck_assert_int_eq(ebuild_set(&eb, ok, 2, &out, &e), 0);
	ck_assert_str_eq(out.s, "A=1\nB=\"2\"\n");
	buf_reset(&out);
	ck_assert_int_eq(ebuild_set(&eb, bad, 2, &out, &e), -1);
	ck_assert_uint_eq(out.len, 0);
	buf_free(&out);
	ebuild_free(&eb);
}
END_TEST

/* ---- evaluating ---- */

static char *
ev(const char *text, const char *name, const char *pf, struct dk_err *e)
{
	struct ebuild eb;
	struct ebuild_env env = { 0 };
	struct buf out = { 0 };

	parse(&eb, text);
	if (pf)
		ck_assert_int_eq(ebuild_env_pms(&env, "sys-kernel", pf, e), 0);
	if (ebuild_eval(&eb, &env, name, &out, e) < 0) {
		buf_free(&out);
		out.s = NULL;
	}
	ebuild_free(&eb);
	ebuild_env_free(&env);
	return out.s ? buf_take(&out) : NULL;
}

#define EV(text, name, pf, want) do { \
	struct dk_err e_; \
	char *got_ = ev(text, name, pf, &e_); \
	ck_assert_msg(got_ != NULL, "%s: %s", text, e_.msg); \
	ck_assert_str_eq(got_, want); \
	free(got_); \
} while (0)

#define EV_FAILS(text, name, pf, want_) do { \
	struct dk_err e_; \
	char *got_ = ev(text, name, pf, &e_); \
	ck_assert_msg(got_ == NULL, "%s gave %s", text, got_); \
	ck_assert_msg(strstr(e_.msg, want_) != NULL, "got \"%s\", want \"%s\"", e_.msg, want_); \
} while (0)

START_TEST(eval_params)
{
	const char *pf = "gentoo-kernel-6.6.30_p1-r2";

	EV("A=x", "PV", pf, "6.6.30_p1");
	EV("A=${PV}", "A", pf, "6.6.30_p1");
	EV("A=$P", "A", pf, "gentoo-kernel-6.6.30_p1");
	EV("A=${PF}/${PR}/${PVR}/${CATEGORY}", "A", pf, "gentoo-kernel-6.6.30_p1-r2/r2/6.6.30_p1-r2/sys-kernel");
	EV("A=linux-${PV%.*}", "A", pf, "linux-6.6");
	EV("A=${PV%%.*}", "A", pf, "6");
	EV("A=${PV#*.}", "A", pf, "6.30_p1");
	EV("A=${PV##*.}", "A", pf, "30_p1");
	EV("A=${PV%_p*}", "A", pf, "6.6.30");
	EV("A=${PV/./-}", "A", pf, "6-6.30_p1");
	EV("A=${PV//./-}", "A", pf, "6-6-30_p1");
	EV("A=${PV/#6/x}", "A", pf, "x.6.30_p1");
	EV("A=${PV/%p1/x}", "A", pf, "6.6.30_x");
	EV("A=${P/-bin}", "A", "gentoo-kernel-bin-6.6.30", "gentoo-kernel-6.6.30");
	EV("A=${PV:0:3}", "A", pf, "6.6");
	EV("A=${PV::3}", "A", pf, "6.6");
	EV("A=${PV:2}", "A", pf, "6.30_p1");
	EV("A=${PV: -2}", "A", pf, "p1");
	EV("A=${PN^^}", "A", pf, "GENTOO-KERNEL");
	EV("A=ABC\nB=${A,,}", "B", pf, "abc");
	EV("A=${#PN}", "A", pf, "13");
	EV("A=${UNSET:-dflt}", "A", pf, "dflt");
	EV("A=${PV:+set}", "A", pf, "set");
	EV("A=\"${PV%\".\"*}\"", "A", pf, "6.6");
	EV("A=\"a b\"\nB='${A}'\"$A\"$'\\t'", "B", pf, "${A}a b\t");
	EV("A=x\\\ny", "A", NULL, "xy");
	EV("A=1\nA+=2\nA+=\" 3\"", "A", NULL, "12 3");
	EV("A=( a \"b c\"\n # x\n d )", "A", NULL, "a b c d");
	EV("A=old\nB=$A\nA=new", "B", NULL, "old");
	EV("f() {\n\tA=inner\n}\nA=outer", "A", NULL, "outer");
}
END_TEST

START_TEST(eval_functions)
{
	const char *pf = "gentoo-kernel-6.6.30";

	EV("A=$(ver_cut 1)", "A", pf, "6");
	EV("A=$(ver_cut 1-2)", "A", pf, "6.6");
	EV("A=$(ver_cut 2-)", "A", pf, "6.30");
	EV("A=$(ver_cut 1-2 5.10.255_p3)", "A", pf, "5.10");
	EV("A=$(ver_cut 4 5.10.255_p3)", "A", pf, "p");
	EV("A=v$(ver_cut 1).x", "A", pf, "v6.x");
	EV("A=`ver_cut 3`", "A", pf, "30");
	EV("A=$(ver_rs 1- _)", "A", pf, "6_6_30");
	EV("A=$(ver_rs 2 -)", "A", pf, "6.6-30");
	EV("A=$(ver_rs 1 - 2 _ 1.2.3)", "A", pf, "1-2_3");
	EV("A=$(get_version_component_range 1-2)", "A", pf, "6.6");
	EV("A=$(( ${PV##*.} + 3 ))", "A", pf, "33");
	EV("A=$(( (2 + 3) * 4 - 10 / 3 % 2 ))", "A", pf, "19");
	EV("N=5\nA=$(( N * 2 ))", "A", pf, "10");
	EV("A=genpatches-${PV%.*}-$(( ${PV##*.} + 2 ))", "A", pf, "genpatches-6.6-32");
	EV("A=\"$(ver_cut 1-2 \"${PV}\")\"", "A", pf, "6.6");
}
END_TEST

START_TEST(eval_refuses)
{
	const char *pf = "gentoo-kernel-6.6.30";

	EV_FAILS("A=$(rm -rf /)", "A", pf, "t.ebuild:1: cannot evaluate $(rm -rf /): only ver_cut");
	EV_FAILS("A=`touch /tmp/dk-pwned`", "A", pf, "cannot evaluate");
	EV_FAILS("A=${NOPE}", "A", pf, "t.ebuild:1: cannot evaluate ${NOPE}: NOPE is not set");
	EV_FAILS("A=$NOPE", "A", pf, "NOPE is not set");
	EV_FAILS("inherit kernel-2\ndetect_version\nA=${KV_MAJOR}", "A", pf,
		"t.ebuild:3: cannot evaluate ${KV_MAJOR}: KV_MAJOR is not set by any assignment (the command detect_version on line 2 may set it)");
	EV_FAILS("[[ x ]] && A=1", "A", pf, "t.ebuild:1: cannot evaluate A: it is assigned under a condition");
	EV_FAILS("A=${!x}", "A", pf, "indirect");
	EV_FAILS("A=$1", "A", pf, "special parameters");
	EV_FAILS("A=$(( 1 / 0 ))", "A", pf, "division by zero");
	EV_FAILS("A=$(( x = 1 ))", "A", pf, "assignment in arithmetic");
	EV_FAILS("A=${B[0]}", "A", pf, "array subscripts");
	EV_FAILS("A=$(cat <(ls))", "A", pf, "cannot evaluate $(cat <(ls))");
	EV_FAILS("A=1", "B", pf, "B is not assigned at global scope");
	EV_FAILS("A=${PV}", "A", NULL, "PV is not set");
	struct stat st;
	ck_assert_int_ne(stat("/tmp/dk-pwned", &st), 0);
}
END_TEST

/* The corpus values that a bump reads, evaluated. */
START_TEST(eval_corpus)
{
	struct ebuild eb;
	struct ebuild_env env = { 0 };
	struct buf out = { 0 };
	struct dk_err e;
	char path[1024];

	snprintf(path, sizeof path, "%s/sys-kernel/gentoo-kernel/gentoo-kernel-7.2.9.ebuild", corpus());
	ck_assert_int_eq(ebuild_load(&eb, path, &e), 0);
	ck_assert_int_eq(ebuild_env_from_path(&env, path, &e), 0);
	ck_assert_str_eq(ebuild_env_get(&env, "CATEGORY"), "sys-kernel");
	ck_assert_int_eq(ebuild_eval(&eb, &env, "BASE_P", &out, &e), 0);
	ck_assert_str_eq(out.s, "linux-7.2");
	buf_reset(&out);
	ck_assert_int_eq(ebuild_eval(&eb, &env, "SRC_URI", &out, &e), 0);
	ck_assert_ptr_nonnull(strstr(out.s, "https://cdn.kernel.org/pub/linux/kernel/v7.x/patch-7.2.9.xz"));
	ck_assert_ptr_nonnull(strstr(out.s, "-> linux-7.x-sha256sums-20261003.asc"));
	buf_reset(&out);
	ck_assert_int_eq(ebuild_eval_with(&eb, &env, "SRC_URI", "eclass.qcow2", &out, &e), 0);
	ck_assert_int_eq(strncmp(out.s, "eclass.qcow2\n", 13), 0);
	buf_free(&out);
	ebuild_env_free(&env);
	ebuild_free(&eb);
}
END_TEST


/* Cases a review found, each checked against bash or eapi7-ver. */
START_TEST(review_cases)
{
	const char *pf = "gentoo-kernel-6.1.40";
	struct ebuild eb;
	struct dk_err e;
	char *r;

	/* a line ending in && or || keeps the next command conditional */
	EV_FAILS("true &&\n\tX=1\n", "X", pf, "assigned under a condition");
	EV_FAILS("false ||\nX=1\n", "X", pf, "assigned under a condition");
	EV_FAILS("echo | X=1\n", "X", pf, "assigned under a condition");
	EV("true && echo\nX=1\n", "X", pf, "1");
	/* only a real include guard is transparent */
	EV_FAILS("if [[ ${PV} == *_rc* ]]; then\n\tSRC_URI=\"rc\"\nfi\n\nif [[ -z ${_FOO_ECLASS} ]]; then\n_FOO_ECLASS=1\nfi\n",
		"SRC_URI", pf, "assigned under a condition");
	EV("if [[ ! ${_FOO_ECLASS} ]]; then\nX=1\nfi\n", "X", pf, "1");
	/* arithmetic as bash: precedence, short-circuit, wrap-around */
	EV("X=$(( 1 || 0 & 0 ))", "X", pf, "1");
	EV("X=$(( 1 | 2 ^ 3 ))", "X", pf, "1");
	EV("X=$(( 2 == 2 < 3 ))", "X", pf, "0");
	EV("X=$(( 0 && 1/0 ))", "X", pf, "0");
	EV("X=$(( 1 ? 7 : 1/0 ))", "X", pf, "7");
	EV("X=$(( (-9223372036854775807-1) / -1 ))", "X", pf, "-9223372036854775808");
	EV("X=$(( 9223372036854775807 + 1 ))", "X", pf, "-9223372036854775808");
	EV_FAILS("X=X\nY=$((X))", "Y", pf, "nested too deep");
	/* patterns: quoting restarts inside ${ }, \c is literal */
	EV("V='a*b'\nX=\"${V/\\*/x}\"", "X", pf, "axb");
	EV("P=\"a*\"\nV=abc\nX=\"${V#$P}\"", "X", pf, "bc");
	EV("V=abc\nX=\"${V/#/x} ${V/%/x}\"", "X", pf, "xabc abcx");
	/* an array referenced as a scalar is its first element */
	EV("A=(a b)\nX=${A}", "X", pf, "a");
	EV("A=(a b)\nA+=(c)", "A", pf, "a b c");
	/* ver_cut and ver_rs as eapi7-ver */
	EV("X=$(ver_cut 1- 1.2.)", "X", pf, "1.2.");
	EV("X=$(ver_cut 2- 1.2.)", "X", pf, "2.");
	EV("X=$(ver_cut 0-2 .1.2)", "X", pf, ".1.2");
	EV("X=$(ver_cut 2-3 1.2.3b_alpha4)", "X", pf, "2.3");
	EV("X=$(ver_rs 1-2 - 1.2.3)", "X", pf, "1-2-3");
	EV("X=$(ver_rs 0 - .1.2)", "X", pf, "-1.2");
	EV_FAILS("X=$(ver_cut 3-2)", "X", pf, "bad version range");
	/* deep nesting is an error, not a crash */
	{
		struct buf b = { 0 };

		buf_adds(&b, "X=");
		for (int i = 0; i < 100000; i++)
			buf_adds(&b, "\"$(");
		ck_assert_int_eq(ebuild_parse(&eb, "t.ebuild", b.s, b.len, &e), -1);
		ck_assert_ptr_nonnull(strstr(e.msg, "nested too deep"));
		buf_reset(&b);
		buf_adds(&b, "X=$((");
		for (int i = 0; i < 100000; i++)
			buf_adds(&b, "(");
		buf_adds(&b, "1");
		for (int i = 0; i < 100000; i++)
			buf_adds(&b, ")");
		buf_adds(&b, "))");
		r = ev(b.s, "X", pf, &e);
		ck_assert_ptr_null(r);
		ck_assert_ptr_nonnull(strstr(e.msg, "nested too deep"));
		buf_free(&b);
	}
	/* a value cannot add a command or swallow a neighbour */
	ck_assert_ptr_null(set1("X=a\"b\"\nY=1\n", "X=a\"c\";touch /tmp/dk-pwned", &e));
	ck_assert_ptr_null(set1("X=a\"b\" Z=1\n", "X=a\"c\" Q=1 #", &e));
	r = set1("X=a\"b\"\n", "X=a\"c\"", &e);
	ck_assert_str_eq(r, "X=a\"c\"\n");
	free(r);
}
END_TEST

int
main(void)
{
	const TTest *const tests[] = {
		lex_quoting,
		lex_scopes,
		lex_eclass_guard,
		lex_errors,
		lex_big_and_empty,
		lex_many_assignments,
		set_values,
		set_all_or_nothing,
		eval_params,
		eval_functions,
		eval_refuses,
		review_cases,
	};
	const TTest *const ctests[] = {
		corpus_roundtrip,
		corpus_all_found,
		eval_corpus,
	};

	return run_suite_corpus("ebuild", tests, sizeof tests / sizeof *tests,
	    ctests, sizeof ctests / sizeof *ctests);
}
