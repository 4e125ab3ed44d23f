/* dk-push: check, name, sign and publish binary kernel packages.
 * GPL-2.0-only, see README. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>

#include "buf.h"
#include "config.h"
#include "gpkg.h"
#include "lines.h"
#include "prog.h"
#include "spawn.h"
#include "upload.h"

#define USAGE \
	"usage: dk-push [-fknqS] [-a arch] [-C cafile] [-c file] [-d url]... [-H known_hosts]\n" \
	"               [-i identity] [-j jobs] [-K keyring] [-t seconds] [-u keyid]\n" \
	"               [--verify-sig] [path ...]\n"

/* One package, in input order. */
struct pkg {
	char *path;		/* the local file, as given */
	char *abs;		/* the same, absolute: what gpg and gpgv are given */
	char *name;		/* its published name "PF[-BUILDID].ARCH.gpkg.tar" */
	char *arch;
	struct gpkg_name n;
	uint64_t size;
	char *sig;		/* local detached signature, or NULL */
	size_t first_job;	/* its jobs: one per destination, from here */
	int failed;
};

/* The whole program's state. */
struct push {
	const char *arch, *config, *keyring, *keyid;
	int force, dry, quiet, sign, verify;
	struct upload_opts up;
	char *known_hosts, *identity, *cafile;	/* absolute forms of -H -i -C */
	char **dests;
	size_t ndests;
	struct buf owned;	/* strings made here (dests, keyring), freed at the end */
	struct pkg *pkgs;
	size_t npkgs, cap;
	struct upload_job *jobs;
	size_t njobs;
	char *sigdir;		/* -S: the signatures made, removed at exit */
	int status;
};

/* The signal handler's way to the signatures it must remove. */
static struct push *live;

static char *
own(struct push *s, char *str)
{
	if (!str || buf_add(&s->owned, &str, sizeof str) < 0)
		dk_die(DK_FAIL, "out of memory");
	return str;
}

/* p as an absolute path, so a child (gpgv --keyring above all) never
 * looks it up elsewhere; malloc'ed. */
static char *
absolute(const char *p)
{
	char cwd[4096], *s;

	if (p[0] == '/')
		return strdup(p);
	if (!getcwd(cwd, sizeof cwd))
		dk_die(DK_FAIL, "cannot tell the current directory: %s", strerror(errno));
	if (asprintf(&s, "%s/%s", cwd, p) < 0)
		return NULL;
	return s;
}

/* Replaces {arch} {series} {pv} {pn} {pf} in tmpl. Returns a malloc'ed
 * string, or NULL with e set for an unknown placeholder. */
static char *
expand(const char *tmpl, const struct pkg *p, struct dk_err *e)
{
	static const char *const keys[] = { "arch", "series", "pv", "pn", "pf" };
	struct buf b = { 0 };
	const char *s = tmpl;

	while (*s) {
		const char *close, *val = NULL, *vals[5] = { p->arch, p->n.series, p->n.pv, p->n.pn, p->n.pf };
		size_t n, k;

		if (*s != '{' || !(close = strchr(s, '}'))) {
			buf_addc(&b, *s++);
			continue;
		}
		n = (size_t)(close - s - 1);
		for (k = 0; k < 5 && !val; k++)
			if (strlen(keys[k]) == n && !strncmp(s + 1, keys[k], n))
				val = vals[k];
		if (!val) {
			dk_errf(e, NULL, 0, "%s: unknown placeholder %.*s", tmpl, (int)n + 2, s);
			buf_free(&b);
			return NULL;
		}
		buf_adds(&b, val);
		s = close + 1;
	}
	return buf_take(&b);
}

/* The arch from ".../ARCH/kernel/CAT/PN/FILE" (binpkg-docker's layout),
 * where PN is the file's. malloc'ed, or NULL. */
static char *
arch_from_path(const char *path, const char *pn)
{
	const char *start[5], *end[5], *s = path + strlen(path);
	int n;

	for (n = 0; n < 5; n++) {
		while (s > path && s[-1] == '/')
			s--;
		end[n] = s;
		while (s > path && s[-1] != '/')
			s--;
		start[n] = s;
		if (end[n] == start[n])
			return NULL;
	}
	if ((size_t)(end[1] - start[1]) != strlen(pn) || strncmp(start[1], pn, strlen(pn)) != 0)
		return NULL;
	return strndup(start[4], (size_t)(end[4] - start[4]));
}

/* Name, arch and GLEP 78 contents. */
static int
check_pkg(struct push *s, struct pkg *p, struct dk_err *e)
{
	static const char arch_chars[] = "abcdefghijklmnopqrstuvwxyz0123456789_-";
	struct gpkg_info info;
	const char *base = strrchr(p->path, '/');
	size_t len;
	int rc = 0;

	base = base ? base + 1 : p->path;
	if (gpkg_parse_name(p->path, &p->n, e) < 0)
		return -1;
	if (s->arch)
		p->arch = strdup(s->arch);
	else if (!(p->arch = arch_from_path(p->path, p->n.pn)))
		return dk_errf(e, p->path, 0, "cannot tell the arch from the path (BINPKGROOT/ARCH/kernel/CAT/%s/FILE): use -a", p->n.pn);
	/* amd64-musl is binpkg-docker's arch directory for musl builds */
	if (!p->arch || !*p->arch || p->arch[0] == '-' || strspn(p->arch, arch_chars) != strlen(p->arch))
		return dk_errf(e, p->path, 0, "bad arch %s", p->arch ? p->arch : "");
	if (gpkg_check(p->path, &info, e) < 0)
		return -1;
	len = strlen(base) - 9;
	if (strlen(info.dir) != len || strncmp(info.dir, base, len) != 0)
		rc = dk_errf(e, p->path, 0, "holds directory %s/, not %.*s/", info.dir, (int)len, base);
	else if (info.pf && strcmp(info.pf, p->n.pf) != 0)
		rc = dk_errf(e, p->path, 0, "metadata PF %s does not match the file name's %s", info.pf, p->n.pf);
	p->size = info.size;
	gpkg_info_free(&info);
	if (rc < 0)
		return -1;
	if (asprintf(&p->name, "%.*s.%s.gpkg.tar", (int)len, base, p->arch) < 0) {
		p->name = NULL;
		return dk_syserrf(e, p->path, 0, "name");
	}
	return 0;
}

/* -S: a fresh detached signature in sigdir; --verify-sig: the existing
 * PATH.sig, verified with gpgv. */
static int
sign_pkg(struct push *s, struct pkg *p, struct dk_err *e)
{
	struct buf err = { 0 };
	char *argv[12], *last, *nl;
	int n = 0, st;

	if (s->sign) {
		if (asprintf(&p->sig, "%s/%s.sig", s->sigdir, p->name) < 0)
			return dk_syserrf(e, p->path, 0, "signature");
		argv[n++] = "gpg";
		argv[n++] = "--batch";
		argv[n++] = "--yes";
		argv[n++] = "--detach-sign";
		if (s->keyid) {
			argv[n++] = "--local-user";
			argv[n++] = (char *)s->keyid;
		}
		argv[n++] = "--output";
	} else {
		struct stat sb;

		if (asprintf(&p->sig, "%s.sig", p->abs) < 0)
			return dk_syserrf(e, p->path, 0, "signature");
		if (stat(p->sig, &sb) < 0)
			return dk_syserrf(e, NULL, 0, "%s.sig: cannot verify", p->path);
		argv[n++] = "gpgv";
		if (s->keyring) {
			argv[n++] = "--keyring";
			argv[n++] = (char *)s->keyring;
		}
	}
	argv[n++] = p->sig;
	argv[n++] = p->abs;
	argv[n] = NULL;
	if ((st = spawn_run(argv, NULL, NULL, NULL, &err, e)) != 0) {
		/* gpg's own last line says why (no key, bad signature...) */
		for (last = err.s; last && (nl = strchr(last, '\n')) && nl[1];)
			last = nl + 1;
		if (last && (nl = strchr(last, '\n')))
			*nl = '\0';
		if (st > 0) {
			if (s->sign)
				dk_errf(e, p->path, 0, "gpg --detach-sign failed: %s", last && *last ? last : "no reason given");
			else
				dk_errf(e, NULL, 0, "%s.sig: gpgv failed: %s", p->path, last && *last ? last : "no reason given");
		}
		buf_free(&err);
		return -1;
	}
	buf_free(&err);
	return 0;
}

static void
add_path(struct push *s, const char *path)
{
	char q[DK_QUOTE_MAX];
	struct pkg *p;

	/* a message quotes at most 80 bytes of it: say why it is refused */
	if (strlen(path) >= PATH_MAX) {
		dk_problem("%s: a path of %zu bytes, longer than the system's limit of %d", dk_quote(q, sizeof q, path,
			strlen(path)), strlen(path), PATH_MAX - 1);
		s->status = DK_FAIL;
		return;
	}
	if (s->npkgs == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 16;
		if (!(s->pkgs = realloc(s->pkgs, s->cap * sizeof *s->pkgs)))
			dk_die(DK_FAIL, "out of memory");
	}
	p = &s->pkgs[s->npkgs++];
	memset(p, 0, sizeof *p);
	if (!(p->path = strdup(path)) || !(p->abs = absolute(path)))
		dk_die(DK_FAIL, "out of memory");
}

/* Paths one per line, or dk-build's "TARGET ok PATH..." and "TARGET
 * failed LOG" lines, any number of words. */
static void
read_input(struct push *s)
{
	struct lines l;
	struct dk_err e;
	char q[DK_QUOTE_MAX], q2[DK_QUOTE_MAX];

	prog_input(&l, "package paths");
	while (lines_next_data(&l, &e) >= 0) {
		char *save = NULL, *w0 = strtok_r(l.line, " \t", &save), *w1 = strtok_r(NULL, " \t", &save), *w;

		if (!w1) {
			add_path(s, w0);
		} else if (!strcmp(w1, "ok")) {
			while ((w = strtok_r(NULL, " \t", &save)))
				add_path(s, w);
		} else if (!strcmp(w1, "failed")) {
			w = strtok_r(NULL, " \t", &save);
			dk_problem("%s:%ld: %s: build failed, log %s", l.name, l.lineno, dk_quote(q, sizeof q, w0, strlen(w0)),
				w ? dk_quote(q2, sizeof q2, w, strlen(w)) : "(none)");
			s->status = DK_FAIL;
		} else {
			dk_problem("%s:%ld: not a path or a dk-build result line", l.name, l.lineno);
			s->status = DK_FAIL;
		}
	}
	if (e.msg[0]) {
		dk_perr(&e);
		s->status = DK_FAIL;
	}
	lines_free(&l);
}

/* Two uploads of one name would fight over NAME.part: the second of a
 * published name is refused. */
static int
unique_name(struct push *s, size_t i, struct dk_err *e)
{
	size_t k;

	for (k = 0; k < i; k++)
		if (!s->pkgs[k].failed && s->pkgs[k].name && !strcmp(s->pkgs[k].name, s->pkgs[i].name))
			return dk_errf(e, s->pkgs[i].path, 0, "published as %s, as %s already is", s->pkgs[i].name,
				s->pkgs[k].path);
	return 0;
}

/* Destinations from the configuration: a -d that is a name (no "://", not
 * a path) is looked up under "destinations:"; with no -d at all, every
 * configured one is used. The file is read only when needed. */
static int
config_dests(struct push *s, struct dk_err *e)
{
	struct config cfg;
	const struct cfg_node *dn, *u;
	size_t d, k, named = 0;

	for (d = 0; d < s->ndests; d++)
		named += !strstr(s->dests[d], "://") && s->dests[d][0] != '/';
	if (s->ndests && !named)
		return 0;
	if (config_load(&cfg, s->config, e) < 0)
		return -1;
	dn = cfg_member(&cfg.root, "destinations");
	if (dn && cfg_expect(dn, CFG_MAP, "destinations", e) < 0)
		goto fail;
	for (k = 0; dn && k < dn->n; k++)
		if (cfg_expect(&dn->kids[k], CFG_SCALAR, dn->kids[k].key, e) < 0)
			goto fail;
	if (s->ndests == 0) {
		if (dn && !(s->dests = realloc(s->dests, dn->n * sizeof *s->dests)))
			dk_die(DK_FAIL, "out of memory");
		for (k = 0; dn && k < dn->n; k++)
			s->dests[s->ndests++] = own(s, strdup(dn->kids[k].value));
	}
	for (d = 0; d < s->ndests; d++) {
		if (strstr(s->dests[d], "://") || s->dests[d][0] == '/')
			continue;
		if (!(u = cfg_member(dn, s->dests[d]))) {
			dk_errf(e, cfg.path ? cfg.path : "configuration", 0, "no destination named %s under destinations:",
				s->dests[d]);
			goto fail;
		}
		s->dests[d] = own(s, strdup(u->value));
	}
	config_free(&cfg);
	return 0;
fail:
	config_free(&cfg);
	return -1;
}

static void
remove_sigs(struct push *s)
{
	size_t i;

	if (!s->sigdir)
		return;
	for (i = 0; i < s->npkgs; i++)
		if (s->pkgs[i].sig)
			unlink(s->pkgs[i].sig);
	rmdir(s->sigdir);
}

/* ^C while signing or uploading: the signatures made so far go (unlink
 * and rmdir are async-signal-safe); remote .part files stay, to resume. */
static void
on_signal(int sig)
{
	(void)sig;
	if (live)
		remove_sigs(live);
	_exit(130);
}

static void
note_cb(void *arg, const char *msg)
{
	struct push *s = arg;

	if (!s->quiet)
		dk_warn("%s", msg);
}

static void
progress_cb(void *arg, const struct upload_progress *p)
{
	(void)arg;
	fprintf(stderr, "\r%s: %zu/%zu files, %" PRIu64 "/%" PRIu64 " MiB%s", dk_prog, p->done, p->total, p->bytes >> 20,
		p->expect >> 20, p->done == p->total ? "\n" : "");
}

static const struct prog_opt opts[] = {
	{ 'a', "arch", "ARCH", "the Gentoo arch of every package, instead of the path's" },
	{ 'C', "cacert", "FILE", "trust the CA certificates in FILE for https" },
	{ 'c', "config", "FILE", "the configuration file with destinations:" },
	{ 'd', "destination", "URL", "a destination URL or configured name (repeatable)" },
	{ 'f', "force", NULL, "replace what a destination has with other content" },
	{ 'H', "known-hosts", "FILE", "the known_hosts file of the sftp and kup servers" },
	{ 'i', "identity", "FILE", "the ssh private key for sftp and kup" },
	{ 'j', "jobs", "N", "transfers (kup: sessions) at a time, 1 to 64 (default 4)" },
	{ 'K', "keyring", "FILE", "the keyring --verify-sig checks against" },
	{ 'k', "insecure", NULL, "do not check the https server's certificate" },
	{ 'n', "dry-run", NULL, "check the packages and print what would go where" },
	{ 'q', "quiet", NULL, "no progress and no notes on standard error" },
	{ 'S', "gpg-sign", NULL, "sign each package (a detached gpg signature) and upload NAME.sig" },
	{ 't', "timeout", "SECONDS", "give up on a transfer that moved nothing for SECONDS (default 60)" },
	{ 'u', "local-user", "KEYID", "the key -S signs with" },
	{ PROG_LONG + 1, "verify-sig", NULL, "verify each PATH.sig with gpgv and upload it beside the file" },
	{ 0 }
};

/* -s signed before -S did; -S used to verify (now --verify-sig). */
static const struct prog_alias aliases[] = {
	{ 's', "sign", 'S' },
	{ 0 }
};

static void
parse_args(struct push *s, struct prog *pr, int argc, char **argv)
{
	int c;

	while ((c = prog_getopt(pr, argc, argv)) != -1) {
		switch (c) {
		case 'a': s->arch = optarg; break;
		case 'C': s->cafile = own(s, absolute(optarg)); break;
		case 'c': s->config = optarg; break;
		case 'd':
			if (!(s->dests = realloc(s->dests, (s->ndests + 1) * sizeof *s->dests)))
				dk_die(DK_FAIL, "out of memory");
			s->dests[s->ndests++] = optarg;
			break;
		case 'f': s->force = 1; break;
		case 'H': s->known_hosts = own(s, absolute(optarg)); break;
		case 'i': s->identity = own(s, absolute(optarg)); break;
		case 'j': s->up.jobs = (int)prog_number("--jobs", optarg, 1, 64); break;
		case 'K': s->keyring = own(s, absolute(optarg)); break;
		case 'k': s->up.insecure = 1; break;
		case 'n': s->dry = 1; break;
		case 'q': s->quiet = 1; break;
		case 'S': s->sign = 1; break;
		case 't': s->up.stall_secs = (long)prog_number("--timeout", optarg, 1, 86400); break;
		case 'u': s->keyid = optarg; break;
		case PROG_LONG + 1: s->verify = 1; break;
		default: prog_usage(pr);
		}
	}
	if (s->sign && s->verify)
		prog_usagef(pr, "-S and --verify-sig exclude each other");
}

/* Every destination a URL dk-push knows; a kup:// one needs signatures. */
static void
check_dests(struct push *s, struct prog *pr)
{
	size_t d;

	if (s->ndests == 0)
		prog_usagef(pr, "no destination: give one or more -d URL, or name them under destinations: in the configuration");
	for (d = 0; d < s->ndests; d++) {
		if (s->dests[d][0] == '/' && asprintf(&s->dests[d], "file://%s", s->dests[d]) >= 0)
			own(s, s->dests[d]);
		if (!upload_scheme_ok(s->dests[d]))
			prog_usagef(pr, "-d %s: want a kup://, sftp://, https://, http:// or file:/// URL", s->dests[d]);
		if (!strncmp(s->dests[d], "kup://", 6) && !s->sign && !s->verify)
			prog_usagef(pr, "-d %s: kup-server takes only signed files: sign with -S, or send PATH.sig with --verify-sig",
				s->dests[d]);
	}
}

/* Everything is checked before anything leaves the machine. */
static void
check_all(struct push *s)
{
	struct dk_err e;
	size_t i;

	if (s->sign && !s->dry) {
		const char *tmp = getenv("TMPDIR");

		if (asprintf(&s->sigdir, "%s/dk-push.XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0)
			dk_die(DK_FAIL, "out of memory");
		if (!mkdtemp(s->sigdir))
			dk_die(DK_FAIL, "cannot make a temporary directory: %s", strerror(errno));
		live = s;
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
	}
	for (i = 0; i < s->npkgs; i++) {
		struct pkg *p = &s->pkgs[i];

		if (check_pkg(s, p, &e) < 0 || unique_name(s, i, &e) < 0 ||
		    ((s->sign || s->verify) && !s->dry && sign_pkg(s, p, &e) < 0)) {
			dk_problem("%s", e.msg);
			p->failed = 1;
			s->status = DK_FAIL;
		} else if (s->dry && (s->sign || s->verify)) {
			/* nothing is signed in a dry run: name what would be */
			if (asprintf(&p->sig, s->sign ? "(new signature of %s)" : "%s.sig", p->path) < 0)
				dk_die(DK_FAIL, "out of memory");
		}
	}
}

/* One job per good package and destination, in input order. */
static void
make_jobs(struct push *s)
{
	struct dk_err e;
	size_t i, d;

	if (!(s->jobs = calloc(s->npkgs * s->ndests + 1, sizeof *s->jobs)))
		dk_die(DK_FAIL, "out of memory");
	for (i = 0; i < s->npkgs; i++) {
		struct pkg *p = &s->pkgs[i];

		p->first_job = s->njobs;
		for (d = 0; d < s->ndests && !p->failed; d++) {
			struct upload_job *j = &s->jobs[s->njobs];
			char *dir = expand(s->dests[d], p, &e), *url;

			if (!dir) {
				dk_problem("%s", e.msg);
				p->failed = 1;
				s->status = DK_FAIL;
				break;
			}
			if (asprintf(&url, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", p->name) < 0)
				dk_die(DK_FAIL, "out of memory");
			free(dir);
			j->src = p->path;
			j->size = p->size;
			j->url = own(s, url);
			j->sig = p->sig;
			s->njobs++;
		}
	}
}

static void
dry_run(const struct push *s)
{
	size_t i;

	for (i = 0; i < s->njobs; i++) {
		const struct upload_job *j = &s->jobs[i];

		printf("%s -> %s\n", j->src, j->url);
		if (j->sig)
			printf("%s -> %s%s\n", j->sig, j->url, !strncmp(j->url, "kup://", 6) ? ".sign" : ".sig");
	}
}

/* A fetch-list line per package at every destination. */
static void
report(struct push *s)
{
	size_t i, d;

	for (i = 0; i < s->njobs; i++)
		if (s->jobs[i].state == UPLOAD_FAILED)
			dk_problem("%s", s->jobs[i].err);
	for (i = 0; i < s->npkgs; i++) {
		struct pkg *p = &s->pkgs[i];

		for (d = 0; d < s->ndests && !p->failed; d++)
			p->failed = s->jobs[p->first_job + d].state == UPLOAD_FAILED;
		if (p->failed) {
			s->status = DK_FAIL;
			continue;
		}
		printf("%s", p->name);
		for (d = 0; d < s->ndests; d++)
			printf(" %s", s->jobs[p->first_job + d].url);
		putchar('\n');
	}
}

static void
cleanup(struct push *s)
{
	size_t i;

	remove_sigs(s);
	live = NULL;
	free(s->sigdir);
	for (i = 0; i < s->npkgs; i++) {
		free(s->pkgs[i].path);
		free(s->pkgs[i].abs);
		free(s->pkgs[i].name);
		free(s->pkgs[i].arch);
		free(s->pkgs[i].sig);
		gpkg_name_free(&s->pkgs[i].n);
	}
	free(s->pkgs);
	free(s->jobs);
	free(s->dests);
	for (i = 0; i < s->owned.len / sizeof(char *); i++)
		free(((char **)(void *)s->owned.s)[i]);
	buf_free(&s->owned);
}

int
main(int argc, char *argv[])
{
	struct push s = { .up = { .jobs = 4, .stall_secs = 60, .tries = 3 } };
	struct prog pr = { .synopsis = USAGE, .opts = opts, .aliases = aliases };
	struct dk_err e;
	int i;

	prog_init(&pr, argv[0]);
	parse_args(&s, &pr, argc, argv);
	if (config_dests(&s, &e) < 0) {
		dk_perr(&e);
		return DK_FAIL;
	}
	check_dests(&s, &pr);
	signal(SIGPIPE, SIG_IGN);
	if (optind == argc || (optind + 1 == argc && !strcmp(argv[optind], "-")))
		read_input(&s);
	else
		for (i = optind; i < argc; i++)
			add_path(&s, argv[i]);
	check_all(&s);
	make_jobs(&s);
	if (s.dry) {
		dry_run(&s);
	} else if (s.njobs) {
		s.up.force = s.force;
		s.up.identity = s.identity;
		s.up.known_hosts = s.known_hosts;
		s.up.cafile = s.cafile;
		s.up.note = note_cb;
		s.up.progress = !s.quiet && isatty(2) ? progress_cb : NULL;
		s.up.arg = &s;
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
			dk_die(DK_FAIL, "cannot start libcurl");
		if (upload_run(s.jobs, s.njobs, &s.up, &e) < 0) {
			dk_perr(&e);
			s.status = DK_FAIL;
		} else {
			report(&s);
		}
		curl_global_cleanup();
	}
	cleanup(&s);
	dk_problems();
	if (dk_close_stdout() != DK_OK)
		return DK_FAIL;
	return s.status;
}
