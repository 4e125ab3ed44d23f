/* dk: the kernel module-signing key. GPL-2.0-only. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "lines.h"
#include "signkey.h"

/* OpenSSL's own reason for the last failure, for the message. */
static int
ossl_err(struct dk_err *e, const char *what)
{
	unsigned long code = ERR_peek_last_error();
	char reason[256] = "";

	if (code)
		ERR_error_string_n(code, reason, sizeof reason);
	ERR_clear_error();
	return dk_errf(e, NULL, 0, "%s%s%s", what, *reason ? ": " : "", reason);
}

static X509_NAME *
parse_subject(const char *s, struct dk_err *e)
{
	X509_NAME *name = X509_NAME_new();
	char *copy = strdup(s), *p, *tok, *save = NULL;
	const char *sep = ",";
	int oom = 1;

	if (!name || !copy)
		goto fail;
	oom = 0;
	p = copy;
	if (*p == '/') {
		sep = "/";
		p++;
	}
	for (tok = strtok_r(p, sep, &save); tok; tok = strtok_r(NULL, sep, &save)) {
		char *eq, *end;

		tok += strspn(tok, " \t");
		if (!(eq = strchr(tok, '='))) {
			dk_errf(e, NULL, 0, "subject %s: \"%s\" is not FIELD=VALUE", s, tok);
			goto fail;
		}
		for (end = eq; end > tok && (end[-1] == ' ' || end[-1] == '\t'); end--)
			;
		*end = '\0';
		if (!X509_NAME_add_entry_by_txt(name, tok, MBSTRING_UTF8,
		    (const unsigned char *)eq + 1, -1, -1, 0)) {
			ERR_clear_error();
			dk_errf(e, NULL, 0, "subject %s: unknown field %s", s, tok);
			goto fail;
		}
	}
	if (X509_NAME_entry_count(name) == 0) {
		dk_errf(e, NULL, 0, "empty subject");
		goto fail;
	}
	free(copy);
	return name;
fail:
	if (oom)
		dk_errf(e, NULL, 0, "subject %s: out of memory", s);
	free(copy);
	X509_NAME_free(name);
	return NULL;
}

static int
add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	int ok = ext && X509_add_ext(x, ext, -1);

	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

static int
fingerprint(X509 *x, char fpr[96])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	if (!X509_digest(x, EVP_sha256(), md, &n) || n != 32)
		return -1;
	for (i = 0; i < n; i++)
		snprintf(fpr + 3 * i, 4, "%02X%s", md[i], i + 1 < n ? ":" : "");
	return 0;
}

int
signkey_generate(const struct signkey_opts *o, struct buf *pem, char fpr[96], struct dk_err *e)
{
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	X509_NAME *name = NULL;
	BIGNUM *serial = NULL;
	BIO *bio = NULL;
	X509V3_CTX ctx;
	char *data;
	long n;
	int r = -1;

	if (!(name = parse_subject(o->subject, e)))
		return -1;
	if (o->type == SIGNKEY_RSA)
		key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)o->bits);
	else
		key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	if (!key) {
		ossl_err(e, "cannot generate the key");
		goto out;
	}
	/* A random positive 159-bit serial, as openssl req makes. */
	if (!(x = X509_new()) || !X509_set_version(x, 2) || !(serial = BN_new()) ||
	    !BN_rand(serial, 159, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
	    !BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), 0) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), (int)o->days, 0, NULL) ||
	    !X509_set_subject_name(x, name) || !X509_set_issuer_name(x, name) ||
	    !X509_set_pubkey(x, key)) {
		ossl_err(e, "cannot make the certificate");
		goto out;
	}
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	/* OpenSSL 3 leaves the authority key id of a certificate that
	 * is not yet self-signed empty unless told the issuer's key and
	 * "always" (the kernel's config predates that). */
	if (!X509V3_set_issuer_pkey(&ctx, key)) {
		ossl_err(e, "cannot make the certificate");
		goto out;
	}
	/* The order of certs/default_x509.genkey; the authority key id
	 * needs the subject key id already in place. */
	if (add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
	    add_ext(x, &ctx, NID_key_usage, "digitalSignature") < 0 ||
	    add_ext(x, &ctx, NID_subject_key_identifier, "hash") < 0 ||
	    add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") < 0) {
		ossl_err(e, "cannot add the certificate extensions");
		goto out;
	}
	if (!X509_sign(x, key, EVP_sha512())) {
		ossl_err(e, "cannot sign the certificate");
		goto out;
	}
	if (!(bio = BIO_new(BIO_s_mem())) ||
	    !PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_bio_X509(bio, x) || fingerprint(x, fpr) < 0) {
		ossl_err(e, "cannot write the key");
		goto out;
	}
	n = BIO_get_mem_data(bio, &data);
	if (n <= 0 || buf_add(pem, data, (size_t)n) < 0) {
		dk_syserrf(e, NULL, 0, "cannot write the key");
		goto out;
	}
	r = 0;
out:
	/* The key's bytes were in the memory BIO: clear them before free. */
	if (bio) {
		BUF_MEM *mem = NULL;

		BIO_get_mem_ptr(bio, &mem);
		if (mem && mem->data)
			OPENSSL_cleanse(mem->data, mem->length);
	}
	BIO_free(bio);
	BN_free(serial);
	X509_free(x);
	X509_NAME_free(name);
	EVP_PKEY_free(key);
	return r;
}

int
signkey_write(const char *path, const struct buf *data, struct dk_err *e)
{
	char *copy = strdup(path), *base = NULL, *tmp = NULL;
	struct stat st;
	sigset_t block, old;
	size_t off = 0;
	int fd = -1, r = -1, dfd, blocked = 0, anon = 0;

	if (!copy)
		return dk_syserrf(e, path, 0, "cannot create");
	/* Fail before any work when the name is taken; link() below is
	 * what makes "never overwrite" hold against a race. */
	if (lstat(path, &st) == 0) {
		dk_errf(e, path, 0, "already exists: refusing to overwrite it");
		errno = EEXIST;
		goto out;
	}
	if (!(tmp = malloc(strlen(path) + 16)) || !(base = strdup(path)))
		goto sys;
	snprintf(tmp, strlen(path) + 16, "%s/.%s.XXXXXX", dirname(copy), basename(base));
	/* No ^C between creating the temporary file and removing it: it
	 * would leave a copy of the private key behind. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	sigprocmask(SIG_BLOCK, &block, &old);
	blocked = 1;
	/* An unnamed file where the file system has them: even a kill -9
	 * then leaves no copy of the private key; else mkstemp (O_EXCL).
	 * fchmod undoes any umask. */
	strcpy(copy, path);
	if ((fd = open(dirname(copy), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600)) >= 0) {
		anon = 1;
	} else if ((fd = mkstemp(tmp)) < 0) {
		free(tmp);
		tmp = NULL;
		goto sys;
	}
	if (fchmod(fd, 0600) < 0)
		goto sys;
	while (off < data->len) {
		ssize_t n = write(fd, data->s + off, data->len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto sys;
		off += (size_t)n;
	}
	if (fsync(fd) < 0)
		goto sys;
	/* linkat and link never replace: "never overwrite" holds in a race */
	if (anon) {
		char proc[64];

		snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
		if (linkat(AT_FDCWD, proc, AT_FDCWD, path, AT_SYMLINK_FOLLOW) < 0
		    && (errno != ENOENT || linkat(fd, "", AT_FDCWD, path, AT_EMPTY_PATH) < 0))
			goto sys;
		free(tmp);
		tmp = NULL;
	}
	if (close(fd) < 0) {
		fd = -1;
		goto sys;
	}
	fd = -1;
	if (!anon && link(tmp, path) < 0)
		goto sys;
	strcpy(copy, path);
	if ((dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	r = 0;
	goto out;
sys:
	dk_syserrf(e, path, 0, "cannot create");
out:
	if (fd >= 0)
		close(fd);
	if (tmp) {
		if (!anon)
			unlink(tmp);
		free(tmp);
	}
	if (blocked)
		sigprocmask(SIG_SETMASK, &old, NULL);
	free(base);
	free(copy);
	return r;
}

static void __attribute__((format(printf, 3, 4)))
note(char ***list, size_t *n, const char *fmt, ...)
{
	char **l, *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s || !(l = realloc(*list, (*n + 1) * sizeof *l))) {
		free(s);
		return;
	}
	l[(*n)++] = s;
	*list = l;
}

static void
day(const ASN1_TIME *t, char out[32])
{
	struct tm tm;

	if (!ASN1_TIME_to_tm(t, &tm) || !strftime(out, 32, "%Y-%m-%d", &tm))
		snprintf(out, 32, "?");
}

static int
no_passphrase(char *buf, int size, int rw, void *u)
{
	(void)buf, (void)size, (void)rw, (void)u;
	return 0;
}

static void
check_cert(X509 *x, time_t now, struct signkey_report *r)
{
	BASIC_CONSTRAINTS *bc;
	EVP_PKEY *pub = X509_get0_pubkey(x);
	ASN1_TIME *t = ASN1_TIME_set(NULL, now);
	BIO *bio = BIO_new(BIO_s_mem());
	char from[32];
	int crit = -1, days = 0, secs = 0;

	if (fingerprint(x, r->fpr) < 0)
		r->fpr[0] = '\0';
	if (bio && X509_NAME_print_ex(bio, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) >= 0) {
		int n = BIO_read(bio, r->subject, sizeof r->subject - 1);

		r->subject[n > 0 ? n : 0] = '\0';
	}
	BIO_free(bio);
	if (!pub || X509_verify(x, pub) != 1)
		note(&r->problems, &r->nproblems, "the certificate is not self-signed by its key");
	if (X509_get_version(x) != 2)
		note(&r->problems, &r->nproblems, "not an X.509 v3 certificate");
	if (!(bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL))) {
		note(&r->problems, &r->nproblems, "no basicConstraints extension");
	} else {
		if (bc->ca)
			note(&r->problems, &r->nproblems, "basicConstraints says CA:TRUE");
		if (crit != 1)
			note(&r->problems, &r->nproblems, "basicConstraints is not critical");
		BASIC_CONSTRAINTS_free(bc);
	}
	if (!(X509_get_extension_flags(x) & EXFLAG_KUSAGE))
		note(&r->problems, &r->nproblems, "no keyUsage extension");
	else if (!(X509_get_key_usage(x) & KU_DIGITAL_SIGNATURE))
		note(&r->problems, &r->nproblems, "keyUsage lacks digitalSignature");
	if (!X509_get0_subject_key_id(x))
		note(&r->problems, &r->nproblems, "no subjectKeyIdentifier extension");
	/* OpenSSL 3 leaves it out of the kernel's own self-signed key
	 * (certs/default_x509.genkey says "keyid", not "keyid:always"),
	 * and the kernel finds the key without it. */
	if (!X509_get0_authority_key_id(x))
		note(&r->warnings, &r->nwarnings, "no authorityKeyIdentifier extension");
	else if (X509_get0_subject_key_id(x) &&
	    ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(x), X509_get0_subject_key_id(x)))
		note(&r->problems, &r->nproblems, "authorityKeyIdentifier is not the subjectKeyIdentifier");
	day(X509_get0_notAfter(x), r->not_after);
	day(X509_get0_notBefore(x), from);
	if (X509_cmp_time(X509_get0_notAfter(x), &now) < 0)
		note(&r->problems, &r->nproblems, "the certificate expired on %s", r->not_after);
	else if (X509_cmp_time(X509_get0_notBefore(x), &now) > 0)
		note(&r->problems, &r->nproblems, "the certificate is not valid before %s", from);
	else if (t && ASN1_TIME_diff(&days, &secs, t, X509_get0_notAfter(x)) && days < 30)
		note(&r->warnings, &r->nwarnings, "the certificate expires in %d days, on %s",
			days, r->not_after);
	ASN1_TIME_free(t);
	ERR_clear_error();
}

int
signkey_check(const char *path, time_t now, struct signkey_report *r, struct dk_err *e)
{
	struct buf text = { 0 };
	struct stat st;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	BIO *bio;
	int fd;

	memset(r, 0, sizeof *r);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return dk_syserrf(e, path, 0, "cannot open");
	if (fstat(fd, &st) < 0) {
		close(fd);
		return dk_syserrf(e, path, 0, "cannot stat");
	}
	close(fd);
	if (!S_ISREG(st.st_mode))
		return dk_errf(e, path, 0, "not a regular file");
	if (read_file(path, &text, e) < 0)
		return -1;
	if (st.st_mode & 077)
		note(&r->problems, &r->nproblems, "mode %04o gives group or others access (chmod 600)",
			(unsigned)(st.st_mode & 07777));
	if (st.st_uid != geteuid())
		note(&r->problems, &r->nproblems, "owned by uid %u, not by the caller (uid %u)",
			(unsigned)st.st_uid, (unsigned)geteuid());
	if ((bio = BIO_new_mem_buf(text.s ? text.s : "", (int)text.len))) {
		key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
		BIO_free(bio);
	}
	if ((bio = BIO_new_mem_buf(text.s ? text.s : "", (int)text.len))) {
		x = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL);
		BIO_free(bio);
	}
	ERR_clear_error();
	if (text.s)
		OPENSSL_cleanse(text.s, text.len);
	buf_free(&text);
	if (!key) {
		note(&r->problems, &r->nproblems, "no private key (or an encrypted one)");
	} else if (EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA) {
		snprintf(r->key, sizeof r->key, "RSA %d", EVP_PKEY_get_bits(key));
		if (EVP_PKEY_get_bits(key) < 2048)
			note(&r->problems, &r->nproblems, "an RSA key of %d bits is too weak",
				EVP_PKEY_get_bits(key));
	} else {
		char group[32] = "";

		EVP_PKEY_get_group_name(key, group, sizeof group, NULL);
		snprintf(r->key, sizeof r->key, "%.15s %.15s", EVP_PKEY_get0_type_name(key), group);
	}
	if (!x)
		note(&r->problems, &r->nproblems, "no certificate");
	else
		check_cert(x, now, r);
	if (key && x && EVP_PKEY_eq(X509_get0_pubkey(x), key) != 1)
		note(&r->problems, &r->nproblems, "the private key does not match the certificate");
	ERR_clear_error();
	X509_free(x);
	EVP_PKEY_free(key);
	return 0;
}

void
signkey_report_free(struct signkey_report *r)
{
	size_t i;

	for (i = 0; i < r->nproblems; i++)
		free(r->problems[i]);
	for (i = 0; i < r->nwarnings; i++)
		free(r->warnings[i]);
	free(r->problems);
	free(r->warnings);
	r->problems = r->warnings = NULL;
	r->nproblems = r->nwarnings = 0;
}
