/* dk: kernel.org sha256sums.asc checks. GPL-2.0-only. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "sha256sums.h"
#include "spawn.h"

int
sha256sums_verify(const char *asc, const char *keyring, struct buf *out, struct dk_err *e)
{
	/* --output - gives only what the signature covers: text outside the
	 * signed block can never be mistaken for a checksum line */
	char *argv[] = { "gpgv", "--keyring", (char *)keyring, "--output", "-", (char *)asc, NULL };
	struct buf err = { 0 };
	int rc;

	rc = spawn_run(argv, NULL, NULL, out, &err, e);
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
