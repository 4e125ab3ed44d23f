/* dk: the kernel module-signing key: making one (key and self-signed
 * X.509 certificate in one PEM, as the kernel's certs/default_x509.genkey)
 * and inspecting one. GPL-2.0-only. */
#ifndef DK_SIGNKEY_H
#define DK_SIGNKEY_H

#include <time.h>

#include "buf.h"
#include "err.h"

enum signkey_type { SIGNKEY_RSA, SIGNKEY_EC };

struct signkey_opts {
	enum signkey_type type;
	int bits;		/* RSA modulus size; EC is always P-384 */
	const char *subject;	/* "CN=x" or "O=y, CN=x" or "/O=y/CN=x" */
	long days;		/* validity from now */
};

/* Generates a key and its self-signed v3 certificate (basicConstraints
 * critical CA:FALSE, keyUsage digitalSignature, subject and authority key
 * identifiers, SHA-512), appends the PEM (private key, then certificate) to
 * pem and the certificate's SHA-256 fingerprint ("AB:CD:…") to fpr.
 * Returns 0, or -1 with e set. */
int signkey_generate(const struct signkey_opts *o, struct buf *pem, char fpr[96], struct dk_err *e);

/* Creates path holding data with mode 0600 whatever the umask, never
 * replacing anything there, never leaving a partial file. Returns 0, or -1
 * with e set (errno EEXIST when path exists). */
int signkey_write(const char *path, const struct buf *data, struct dk_err *e);

/* What signkey_check found. */
struct signkey_report {
	char **problems;	/* each makes the key unusable or unsafe */
	size_t nproblems;
	char **warnings;	/* e.g. expiring soon */
	size_t nwarnings;
	char key[32];		/* "RSA 4096", "EC P-384" */
	char not_after[32];	/* "2126-05-01" */
	char subject[256];	/* "CN=dist-kernel module signing key" */
	char fpr[96];		/* the certificate's SHA-256 fingerprint */
};

/* Inspects the PEM file path as of now: key and certificate present and
 * matching, the certificate self-signed with the kernel's extensions and
 * valid (warning under 30 days left), the file a regular one owned by the
 * caller and not accessible to group or others. Returns 0 with every
 * finding in r (free with signkey_report_free), or -1 with e set when path
 * cannot be read at all. */
int signkey_check(const char *path, time_t now, struct signkey_report *r, struct dk_err *e);
/* Frees r's lists. */
void signkey_report_free(struct signkey_report *r);

#endif
