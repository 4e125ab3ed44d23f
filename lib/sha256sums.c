/* dk: kernel.org sha256sums.asc checks. GPL-2.0-only. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <stdlib.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "lines.h"
#include "sha256sums.h"
#include "spawn.h"

/* gpgv reads only binary keyrings, and kernel.org.asc is ASCII-armored:
 * the base64 between the header block and the "=" checksum line is the
 * binary keyring. Writes it to a temporary file whose name goes into
 * tmp (size n). Returns 0 (tmp "" when keyring is binary already) or -1. */
static int
dearmor(const char *keyring, char *tmp, size_t n, struct dk_err *e)
{
	struct buf in = { 0 }, out = { 0 };
	EVP_ENCODE_CTX *ctx = NULL;
	const char *p, *end;
	int len, rc = -1, fd;

	tmp[0] = '\0';
	if (read_file(keyring, &in, e) < 0)
		return -1;
	p = strstr(buf_str(&in), "-----BEGIN PGP PUBLIC KEY BLOCK-----");
	if (!p) {
		buf_free(&in);
		return 0;
	}
	/* the armor headers end at the first empty line */
	p = strstr(p, "\n\n") ? strstr(p, "\n\n") + 2 : NULL;
	if (p && strstr(p, "\r\n"))
		p = NULL;	/* CRLF armor: not produced by gpg --export */
	end = p ? strstr(p, "\n=") : NULL;
	if (!end)
		end = p ? strstr(p, "-----END PGP") : NULL;
	if (!p || !end || !(ctx = EVP_ENCODE_CTX_new()) || buf_grow(&out, (size_t)(end - p)) < 0) {
		dk_errf(e, keyring, 0, "not a readable OpenPGP keyring");
		goto out;
	}
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(ctx, (unsigned char *)out.s, &len, (const unsigned char *)p, (int)(end - p)) < 0) {
		dk_errf(e, keyring, 0, "bad base64 in the armored keyring");
		goto out;
	}
	out.len = (size_t)len;
	if (EVP_DecodeFinal(ctx, (unsigned char *)out.s + out.len, &len) < 0) {
		dk_errf(e, keyring, 0, "bad base64 in the armored keyring");
		goto out;
	}
	out.len += (size_t)len;
	snprintf(tmp, n, "%s/dk-keyring.XXXXXX", getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if ((fd = mkstemp(tmp)) < 0) {
		dk_syserrf(e, tmp, 0, "cannot create");
		tmp[0] = '\0';
		goto out;
	}
	if (write(fd, out.s, out.len) != (ssize_t)out.len) {
		dk_syserrf(e, tmp, 0, "write error");
		close(fd);
		unlink(tmp);
		tmp[0] = '\0';
		goto out;
	}
	close(fd);
	rc = 0;
out:
	EVP_ENCODE_CTX_free(ctx);
	buf_free(&in);
	buf_free(&out);
	return rc;
}

char *
sha256sums_abspath(const char *path)
{
	char *cwd, *r;

	if (path[0] == '/')
		return strdup(path);
	if (!(cwd = getcwd(NULL, 0)))
		return NULL;
	if (asprintf(&r, "%s/%s", cwd, path) < 0)
		r = NULL;
	free(cwd);
	return r;
}

int
sha256sums_verify(const char *asc, const char *keyring, struct buf *out, struct dk_err *e)
{
	/* --output - gives only what the signature covers: text outside the
	 * signed block can never be mistaken for a checksum line */
	char *argv[] = { "gpgv", "--keyring", NULL, "--output", "-", NULL, NULL };
	struct buf err = { 0 };
	char tmp[4096];
	int rc = -1;

	/* gpgv looks a keyring name without a slash up in GNUPGHOME, where
	 * anyone's keyring.gpg would do: hand it only absolute paths */
	if (!(argv[2] = sha256sums_abspath(keyring)) || !(argv[5] = sha256sums_abspath(asc))) {
		dk_syserrf(e, asc, 0, "cannot check the signature");
		goto out;
	}
	if (dearmor(argv[2], tmp, sizeof tmp, e) < 0)
		goto out;
	if (tmp[0]) {
		char *abs = sha256sums_abspath(tmp);

		if (!abs) {
			unlink(tmp);
			dk_syserrf(e, asc, 0, "cannot check the signature");
			goto out;
		}
		free(argv[2]);
		argv[2] = abs;
	}
	rc = spawn_run(argv, NULL, NULL, out, &err, e);
	if (tmp[0])
		unlink(tmp);
	if (rc > 0) {
		const char *s = buf_str(&err), *last = s, *p;
		size_t n;

		/* gpgv's last line says why ("BAD signature", "No public key") */
		for (p = s; *p; p++)
			if (*p == '\n' && p[1])
				last = p + 1;
		n = strcspn(last, "\n");
		dk_errf(e, asc, 0, "signature check failed: %.*s", (int)(n > 300 ? 300 : n),
			n ? last : "gpgv failed");
		rc = -1;
	} else if (rc < 0) {
		char msg[sizeof e->msg];

		if (e) {
			snprintf(msg, sizeof msg, "%.900s", e->msg);
			dk_errf(e, asc, 0, "cannot run gpgv: %s", msg);
		}
	}
out:
	free(argv[2]);
	free(argv[5]);
	buf_free(&err);
	return rc;
}

int
sha256sums_lookup(const char *text, const char *name, char hex[65])
{
	const char *p = text;
	size_t nl = strlen(name);

	while (*p) {
		const char *eol = strchr(p, '\n'), *q = p;
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		size_t i;

		for (i = 0; i < 64 && i < len && isxdigit((unsigned char)q[i]); i++)
			;
		if (i == 64 && len > 66) {
			const char *f = q + 64;

			while (f < p + len && (*f == ' ' || *f == '\t' || *f == '*'))
				f++;
			if ((size_t)(p + len - f) == nl && !memcmp(f, name, nl)) {
				for (i = 0; i < 64; i++)
					hex[i] = (char)tolower((unsigned char)q[i]);
				hex[64] = '\0';
				return 1;
			}
		}
		p += len + (eol ? 1 : 0);
	}
	return 0;
}
