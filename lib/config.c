/* dk: configuration and the libyaml node tree. GPL-2.0-only. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "buf.h"
#include "config.h"
#include "lines.h"

/* The defaults binpkg-docker ships (build.bash, Dockerfile.deps, the
 * portage files), as one YAML document so that a user file overrides any
 * part of it with the same keys. */
static const char defaults[] =
	"# dk compiled-in defaults; any key may be overridden in config.yaml\n"
	"binpkgroot: ~/binpkg\n"
	"distcache: ~/distfiles\n"
	"logdir: ~/.cache/dk/logs\n"
	"signing_key: signing_key.pem\n"
	"local_diff: local.diff\n"
	"repo: .\n"
	"base: origin\n"
	"dockerfiles: " DK_DATADIR "/docker\n"
	"panic: Kernel panic\n"
	"retries: 2\n"
	"jobs: 1\n"
	"label: dk\n"
	"pkgdir: /tmp/binpkg\n"
	"devices: [/dev/steve]\n"
	"tmpfs: [/var/tmp/portage]\n"
	"ssh: [ssh]\n"
	"packages: [gentoo-kernel, vanilla-kernel]\n"
	"env:\n"
	"  EPYTHON: python3\n"
	"run: >-\n"
	"  FEATURES=test emerge -1vB \"$PKG\" &&\n"
	"  emerge -1vk \"$PKG\" &&\n"
	"  { [ -z \"$POST_PKGS\" ] || emerge -1vt --keep-going=y --jobs $POST_PKGS; }\n"
	"deps:\n"
	"  - virtual/libelf\n"
	"  - sys-devel/bc\n"
	"  - app-emulation/qemu\n"
	"  - dev-tcltk/expect\n"
	"  - sys-kernel/dracut\n"
	"  - sys-kernel/installkernel\n"
	"  - net-misc/openssh\n"
	"  - dev-util/pahole\n"
	"  - dev-lang/python\n"
	"  - app-crypt/sbsigntools\n"
	"  - dev-build/steve\n"
	"ldflags: -Wl,-O1 -Wl,--as-needed -flto\n"
	"use: lto\n"
	"portage:\n"
	"  make.conf: |\n"
	"    BINPKG_FORMAT=\"gpkg\"\n"
	"    BINPKG_COMPRESS=\"xz\"\n"
	"    BINPKG_COMPRESS_FLAGS=\"-9\"\n"
	"    FEATURES=\"${FEATURES} -sandbox -usersandbox -cgroup binpkg-multi-instance -binpkg-docompress -binpkg-dostrip\"\n"
	"    ACCEPT_LICENSE=\"*\"\n"
	"    PKGDIR=\"/tmp/binpkg\"\n"
	"    MODULES_SIGN_KEY=\"/tmp/signing_key.pem\"\n"
	"    SECUREBOOT_SIGN_KEY=\"/tmp/signing_key.pem\"\n"
	"    SECUREBOOT_SIGN_CERT=\"/tmp/signing_key.pem\"\n"
	"  package.accept_keywords: |\n"
	"    dev-lang/python\n"
	"    dev-lang/python-exec\n"
	"    sys-firmware/intel-microcode\n"
	"    sys-kernel/dracut\n"
	"    sys-kernel/gentoo-kernel\n"
	"    sys-kernel/gentoo-kernel-bin\n"
	"    sys-kernel/linux-firmware\n"
	"    sys-kernel/vanilla-kernel\n"
	"    sys-kernel/vanilla-kernel-bin\n"
	"    virtual/dist-kernel\n"
	"    app-emulation/qemu\n"
	"    dev-util/pahole\n"
	"    sys-apps/debianutils\n"
	"    sys-kernel/installkernel\n"
	"    app-laptop/tp_smapi\n"
	"    net-dialup/accel-ppp\n"
	"    net-firewall/rtsp-conntrack\n"
	"    sys-fs/vhba\n"
	"    sys-power/acpi_call\n"
	"    sys-power/bbswitch\n"
	"  package.use: |\n"
	"    app-emulation/qemu -aio -caps -filecaps -jpeg -ncurses -png -vhost-net -vnc -xattr -doc\n"
	"    sys-kernel/gentoo-kernel test -strip\n"
	"    sys-kernel/gentoo-kernel-bin test\n"
	"    sys-kernel/vanilla-kernel test -strip\n"
	"    sys-kernel/vanilla-kernel-bin test\n"
	"    net-dialup/accel-ppp ipoe\n"
	"    sys-apps/util-linux caps\n"
	"  kernel.config: |\n"
	"    ## Leave this up to the user, can be enabled with\n"
	"    ## module.sig_enforce=1 or by enabling secureboot.\n"
	"    # CONFIG_MODULE_SIG_FORCE is not set\n"
	"  plymouthd.conf: |\n"
	"    [Daemon]\n"
	"    Theme=bgrt\n"
	"arches:\n"
	"  amd64:\n"
	"    hosts: [unix:///var/run/docker.sock]\n"
	"    engine_arch: amd64\n"
	"    stage: gentoo/stage3:amd64-nomultilib-systemd\n"
	"    cflags: -march=x86-64 -mtune=generic -Oz -flto -pipe\n"
	"    post_pkgs:\n"
	"      default: [app-laptop/tp_smapi, net-dialup/accel-ppp, net-firewall/rtsp-conntrack,\n"
	"        sys-fs/vhba, sys-power/acpi_call, sys-power/bbswitch]\n"
	"  amd64-musl:\n"
	"    hosts: [unix:///var/run/docker.sock]\n"
	"    engine_arch: amd64\n"
	"    stage: gentoo/stage3:amd64-musl\n"
	"    cflags: -march=x86-64 -mtune=generic -Oz -flto -pipe\n"
	"  arm64:\n"
	"    hosts: [unix:///var/run/docker.sock]\n"
	"    engine_arch: arm64\n"
	"    stage: gentoo/stage3:arm64-systemd\n"
	"    cflags: -mtune=generic -Oz -flto -pipe\n"
	"  arm64-musl:\n"
	"    hosts: [unix:///var/run/docker.sock]\n"
	"    engine_arch: arm64\n"
	"    stage: gentoo/stage3:arm64-musl\n"
	"    cflags: -mtune=generic -Oz -flto -pipe\n"
	"  ppc64le:\n"
	"    hosts: [unix:///var/run/docker.sock]\n"
	"    engine_arch: ppc64le\n"
	"    stage: gentoo/stage3:ppc64le-systemd\n"
	"    cflags: -mcpu=power8 -mtune=power8 -Oz -flto -pipe\n"
	"  x86:\n"
	"    hosts: [unix:///var/run/docker.sock]\n"
	"    engine_arch: [amd64, '386']\n"
	"    stage: gentoo/stage3:i686-systemd\n"
	"    cflags: -march=pentium-m -mtune=generic -Oz -flto -pipe\n"
	"    post_pkgs:\n"
	"      default: [app-laptop/tp_smapi, net-dialup/accel-ppp, net-firewall/rtsp-conntrack,\n"
	"        sys-fs/vhba, sys-power/bbswitch]\n"
	"destinations: {}\n";

const char *
config_defaults(void)
{
	return defaults;
}

static int
vcfg_errf(struct dk_err *e, const char *file, long line, long col, const char *fmt, va_list ap)
{
	char msg[900];

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (line > 0)
		return dk_errf(e, NULL, 0, "%s:%ld:%ld: %s", file ? file : "<config>", line, col, msg);
	return dk_errf(e, file, 0, "%s", msg);
}

int
cfg_errf(struct dk_err *e, const struct cfg_node *n, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vcfg_errf(e, n ? n->file : NULL, n ? n->line : 0, n ? n->col : 0, fmt, ap);
	va_end(ap);
	return r;
}

static int
posf(struct dk_err *e, const char *file, yaml_mark_t m, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vcfg_errf(e, file, (long)m.line + 1, (long)m.column + 1, fmt, ap);
	va_end(ap);
	return r;
}

void
cfg_free(struct cfg_node *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->n; i++)
		cfg_free(&n->kids[i]);
	free(n->kids);
	free(n->key);
	free(n->value);
	n->kids = NULL;
	n->key = n->value = NULL;
	n->n = n->cap = 0;
}

/* Appends an empty child to n; returns it or NULL (ENOMEM). */
static struct cfg_node *
add_kid(struct cfg_node *n)
{
	if (n->n == n->cap) {
		size_t cap = n->cap ? n->cap * 2 : 4;
		struct cfg_node *k = realloc(n->kids, cap * sizeof *k);

		if (!k)
			return NULL;
		n->kids = k;
		n->cap = cap;
	}
	memset(&n->kids[n->n], 0, sizeof n->kids[0]);
	return &n->kids[n->n++];
}

struct parse {
	yaml_parser_t p;
	const char *file;
	struct dk_err *e;
};

static int
next(struct parse *ps, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&ps->p, ev))
		return posf(ps->e, ps->file, ps->p.problem_mark, "%s%s%s",
			ps->p.problem ? ps->p.problem : "syntax error",
			ps->p.context ? " " : "", ps->p.context ? ps->p.context : "");
	return 0;
}

/* Builds node n from event ev (already read) and what follows it. */
static int
build(struct parse *ps, yaml_event_t *ev, struct cfg_node *n, int depth)
{
	yaml_event_t kev, vev;
	struct cfg_node *k;

	n->file = ps->file;
	n->line = (long)ev->start_mark.line + 1;
	n->col = (long)ev->start_mark.column + 1;
	if (depth > 64)
		return posf(ps->e, ps->file, ev->start_mark, "nested too deeply");
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		n->kind = CFG_SCALAR;
		n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
		n->value = strndup((char *)ev->data.scalar.value, ev->data.scalar.length);
		return n->value ? 0 : dk_syserrf(ps->e, ps->file, 0, "cannot parse");
	case YAML_ALIAS_EVENT:
		return posf(ps->e, ps->file, ev->start_mark, "aliases are not supported");
	case YAML_SEQUENCE_START_EVENT:
		n->kind = CFG_LIST;
		for (;;) {
			if (next(ps, &vev) < 0)
				return -1;
			if (vev.type == YAML_SEQUENCE_END_EVENT) {
				yaml_event_delete(&vev);
				return 0;
			}
			if (!(k = add_kid(n))) {
				yaml_event_delete(&vev);
				return dk_syserrf(ps->e, ps->file, 0, "cannot parse");
			}
			if (build(ps, &vev, k, depth + 1) < 0) {
				yaml_event_delete(&vev);
				return -1;
			}
			yaml_event_delete(&vev);
		}
	case YAML_MAPPING_START_EVENT:
		n->kind = CFG_MAP;
		for (;;) {
			if (next(ps, &kev) < 0)
				return -1;
			if (kev.type == YAML_MAPPING_END_EVENT) {
				yaml_event_delete(&kev);
				return 0;
			}
			if (kev.type != YAML_SCALAR_EVENT) {
				posf(ps->e, ps->file, kev.start_mark, "a key must be a plain value");
				yaml_event_delete(&kev);
				return -1;
			}
			if (cfg_member(n, (char *)kev.data.scalar.value)) {
				posf(ps->e, ps->file, kev.start_mark, "duplicate key '%s'", (char *)kev.data.scalar.value);
				yaml_event_delete(&kev);
				return -1;
			}
			if (!(k = add_kid(n)) || !(k->key = strdup((char *)kev.data.scalar.value))) {
				yaml_event_delete(&kev);
				return dk_syserrf(ps->e, ps->file, 0, "cannot parse");
			}
			yaml_event_delete(&kev);
			if (next(ps, &vev) < 0)
				return -1;
			if (build(ps, &vev, k, depth + 1) < 0) {
				yaml_event_delete(&vev);
				return -1;
			}
			yaml_event_delete(&vev);
		}
	default:
		return posf(ps->e, ps->file, ev->start_mark, "unexpected YAML event");
	}
}

int
cfg_parse(struct cfg_node *root, const char *file, const char *text, size_t len, struct dk_err *e)
{
	struct parse ps = { .file = file, .e = e };
	yaml_event_t ev;
	int ret = -1;

	memset(root, 0, sizeof *root);
	root->kind = CFG_MAP;
	root->file = file;
	/* libyaml reports a NUL at the start of its buffer (1:1), not where
	 * it is: find it first */
	{
		const char *nul = memchr(text, '\0', len), *p, *bol = text;
		long line = 1;

		if (nul) {
			for (p = text; p < nul; p++)
				if (*p == '\n')
					line++, bol = p + 1;
			return dk_errf(e, NULL, 0, "%s:%ld:%ld: NUL byte: not a text file", file ? file : "<config>",
				line, (long)(nul - bol) + 1);
		}
	}
	if (!yaml_parser_initialize(&ps.p))
		return dk_errf(e, file, 0, "cannot start the YAML parser");
	yaml_parser_set_input_string(&ps.p, (const unsigned char *)text, len);
	/* stream start, then a document start or the stream end (empty) */
	for (;;) {
		if (next(&ps, &ev) < 0)
			goto out;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			ret = 0;
			goto out;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT || ev.type == YAML_STREAM_START_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		break;
	}
	ret = build(&ps, &ev, root, 0);
	yaml_event_delete(&ev);
	if (ret == 0 && root->kind == CFG_SCALAR && !root->quoted && !root->value[0]) {
		/* a document holding only comments */
		cfg_free(root);
		root->kind = CFG_MAP;
	}
out:
	if (ret < 0)
		cfg_free(root);
	yaml_parser_delete(&ps.p);
	return ret;
}

const struct cfg_node *
cfg_member(const struct cfg_node *n, const char *key)
{
	size_t i;

	if (!n || n->kind != CFG_MAP)
		return NULL;
	for (i = 0; i < n->n; i++)
		if (!strcmp(n->kids[i].key, key))
			return &n->kids[i];
	return NULL;
}

const struct cfg_node *
cfg_get(const struct cfg_node *n, ...)
{
	const char *k;
	va_list ap;

	va_start(ap, n);
	while (n && (k = va_arg(ap, const char *)))
		n = cfg_member(n, k);
	va_end(ap);
	return n;
}

const char *
cfg_str(const struct cfg_node *n)
{
	return n && n->kind == CFG_SCALAR ? n->value : NULL;
}

int
cfg_merge(struct cfg_node *dst, struct cfg_node *src)
{
	size_t i;

	if (dst->kind == CFG_MAP && src->kind == CFG_MAP) {
		for (i = 0; i < src->n; i++) {
			struct cfg_node *d = (struct cfg_node *)cfg_member(dst, src->kids[i].key);

			if (!d) {
				if (!(d = add_kid(dst)))
					return -1;
				*d = src->kids[i];
				memset(&src->kids[i], 0, sizeof src->kids[i]);
				continue;
			}
			if (cfg_merge(d, &src->kids[i]) < 0)
				return -1;
		}
		cfg_free(src);
		return 0;
	}
	{
		char *key = dst->key;

		dst->key = NULL;
		cfg_free(dst);
		*dst = *src;
		free(dst->key);
		dst->key = key;
		memset(src, 0, sizeof *src);
	}
	return 0;
}

/* The node at path under root, created (as empty maps) where missing. */
static struct cfg_node *
vmake(struct cfg_node *root, const char *file, va_list ap)
{
	struct cfg_node *n = root;
	const char *k;

	while ((k = va_arg(ap, const char *))) {
		struct cfg_node *m;

		if (n->kind != CFG_MAP) {
			cfg_free(n);
			n->kind = CFG_MAP;
		}
		if (!(m = (struct cfg_node *)cfg_member(n, k))) {
			if (!(m = add_kid(n)) || !(m->key = strdup(k)))
				return NULL;
			m->kind = CFG_MAP;
		}
		m->file = file;
		m->line = m->col = 0;
		n = m;
	}
	return n;
}

/* Empties n (keeping its key) for a new value. */
static void
clear(struct cfg_node *n)
{
	char *key = n->key;

	n->key = NULL;
	cfg_free(n);
	n->key = key;
}

/* The node at path, emptied to become a k; NULL when out of memory. */
static struct cfg_node *
vreset(struct cfg_node *root, const char *file, enum cfg_kind k, va_list ap)
{
	struct cfg_node *n = vmake(root, file, ap);

	if (n) {
		clear(n);
		n->kind = k;
	}
	return n;
}

int
cfg_set(struct cfg_node *root, const char *file, const char *value, ...)
{
	struct cfg_node *n;
	va_list ap;

	va_start(ap, value);
	n = vreset(root, file, CFG_SCALAR, ap);
	va_end(ap);
	return n && (n->value = strdup(value)) ? 0 : -1;
}

int
cfg_set_words(struct cfg_node *root, const char *file, const char *value, ...)
{
	struct cfg_node *n, *k;
	const char *p = value, *q;
	va_list ap;

	va_start(ap, value);
	n = vreset(root, file, CFG_LIST, ap);
	va_end(ap);
	if (!n)
		return -1;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			return 0;
		for (q = p; *q && !isspace((unsigned char)*q); q++)
			;
		if (!(k = add_kid(n)) || !(k->value = strndup(p, (size_t)(q - p))))
			return -1;
		k->kind = CFG_SCALAR;
		k->file = file;
		p = q;
	}
}

static const char *const kind_names[] = { "value", "list", "map" };

int
cfg_expect(const struct cfg_node *n, enum cfg_kind k, const char *what, struct dk_err *e)
{
	if (n->kind == k)
		return 0;
	return cfg_errf(e, n, "%s: expected a %s, not a %s", what, kind_names[k], kind_names[n->kind]);
}

void
cfg_strv_free(char **v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

int
cfg_strv(const struct cfg_node *n, const char *what, char ***out, struct dk_err *e)
{
	size_t i, cnt = !n ? 0 : n->kind == CFG_SCALAR ? 1 : n->n;
	char **v;

	*out = NULL;
	if (n && n->kind == CFG_MAP)
		return cfg_expect(n, CFG_LIST, what, e);
	if (!(v = calloc(cnt + 1, sizeof *v)))
		return dk_syserrf(e, NULL, 0, "%s", what);
	for (i = 0; i < cnt; i++) {
		const struct cfg_node *k = n->kind == CFG_SCALAR ? n : &n->kids[i];

		if (k->kind != CFG_SCALAR) {
			cfg_strv_free(v);
			return cfg_expect(k, CFG_SCALAR, what, e);
		}
		if (!(v[i] = strdup(k->value))) {
			cfg_strv_free(v);
			return dk_syserrf(e, NULL, 0, "%s", what);
		}
	}
	*out = v;
	return 0;
}

char *
config_path(const char *s)
{
	const char *home = getenv("HOME");
	char *r;

	if (s[0] != '~' || (s[1] != '/' && s[1]))
		return strdup(s);
	if (!home || !*home)
		home = "/";
	if (asprintf(&r, "%s%s", home, s + 1) < 0)
		return NULL;
	return r;
}

static const char def_name[] = "<defaults>";
static const char env_name[] = "<environment>";

/* DOCKER_HOST_<ARCH>: arch upper-cased, '-' as '_'. */
static int
env_hosts(struct config *c, struct dk_err *e)
{
	const struct cfg_node *arches = cfg_member(&c->root, "arches");
	size_t i;

	if (!arches)
		return 0;
	if (cfg_expect(arches, CFG_MAP, "arches", e) < 0)
		return -1;
	for (i = 0; i < arches->n; i++) {
		const char *a = arches->kids[i].key, *v;
		char var[128];
		size_t j;

		j = (size_t)snprintf(var, sizeof var, "DOCKER_HOST_");
		for (; *a && j < sizeof var - 1; a++)
			var[j++] = *a == '-' ? '_' : (char)toupper((unsigned char)*a);
		var[j] = '\0';
		if ((v = getenv(var)) && *v &&
		    cfg_set_words(&c->root, env_name, v, "arches", arches->kids[i].key, "hosts", (char *)NULL) < 0)
			return dk_syserrf(e, NULL, 0, "%s", var);
	}
	return 0;
}

int
config_load(struct config *c, const char *path, struct dk_err *e)
{
	struct buf text = { 0 };
	struct cfg_node file;
	const char *v;
	char *xdg = NULL;
	size_t i;
	int r;

	memset(c, 0, sizeof *c);
	if (cfg_parse(&c->root, def_name, defaults, sizeof defaults - 1, e) < 0)
		return -1;
	/* Set for the docker CLI too: only the default engine changes. */
	if ((v = getenv("DOCKER_HOST")) && *v) {
		const struct cfg_node *arches = cfg_member(&c->root, "arches");

		for (i = 0; arches && i < arches->n; i++)
			if (cfg_set_words(&c->root, env_name, v, "arches", arches->kids[i].key, "hosts", (char *)NULL) < 0)
				goto nomem;
	}
	if ((v = getenv("BINPKG_DOCKER")) && *v) {
		char *p;

		if (asprintf(&p, "%s/local.diff", v) < 0)
			goto nomem;
		r = cfg_set(&c->root, env_name, p, "local_diff", (char *)NULL);
		free(p);
		if (r < 0)
			goto nomem;
	}
	if (!path) {
		const char *x = getenv("XDG_CONFIG_HOME");

		if (x && *x)
			r = asprintf(&xdg, "%s/dk/config.yaml", x);
		else
			r = asprintf(&xdg, "%s/.config/dk/config.yaml", getenv("HOME") ? getenv("HOME") : "");
		if (r < 0) {
			xdg = NULL;
			goto nomem;
		}
		if (access(xdg, F_OK) == 0)
			path = xdg;
	}
	if (path) {
		if (!(c->path = strdup(path)))
			goto nomem;
		if (read_file(path, &text, e) < 0)
			goto fail;
		if (cfg_parse(&file, c->path, text.s, text.len, e) < 0)
			goto fail;
		buf_free(&text);
		if (file.kind != CFG_MAP) {
			cfg_expect(&file, CFG_MAP, "configuration", e);
			cfg_free(&file);
			goto fail;
		}
		if (cfg_merge(&c->root, &file) < 0) {
			cfg_free(&file);
			goto nomem;
		}
	}
	if (env_hosts(c, e) < 0)
		goto fail;
	if ((v = getenv("BINPKGROOT")) && *v && cfg_set(&c->root, env_name, v, "binpkgroot", (char *)NULL) < 0)
		goto nomem;
	if ((v = getenv("DISTCACHE")) && *v && cfg_set(&c->root, env_name, v, "distcache", (char *)NULL) < 0)
		goto nomem;
	free(xdg);
	return 0;
nomem:
	dk_syserrf(e, NULL, 0, "configuration");
fail:
	buf_free(&text);
	free(xdg);
	config_free(c);
	return -1;
}

void
config_free(struct config *c)
{
	cfg_free(&c->root);
	free(c->path);
	c->path = NULL;
}
