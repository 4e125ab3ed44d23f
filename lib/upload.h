/* dk: publishing files to file://, sftp://, https:// and kup://
 * destinations: libcurl's multi interface for the remote ones, kup's
 * protocol over an argv-spawned ssh, never a silent replace.
 * GPL-2.0-only. */
#ifndef DK_UPLOAD_H
#define DK_UPLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum upload_state { UPLOAD_PENDING, UPLOAD_DONE, UPLOAD_THERE, UPLOAD_FAILED };

/* One file going to one destination. */
struct upload_job {
	/* in */
	const char *src;		/* the local file */
	uint64_t size;			/* its size */
	const char *url;		/* where it goes: the destination directory's URL + "/" + name */
	const char *sig;		/* its detached signature, or NULL: sent as URL.sig once
					   the file is there (kup: with it, as kup-server's NAME.sign) */
	/* out */
	enum upload_state state;	/* UPLOAD_DONE sent, UPLOAD_THERE already there */
	char err[1024];			/* why it failed: "URL: ..." */
	/* private to upload.c */
	void *priv;
};

/* What a progress callback sees. */
struct upload_progress {
	size_t done, total;		/* files */
	uint64_t bytes, expect;		/* bytes at their destination, of all */
};

struct upload_opts {
	int jobs;			/* transfers at once (>= 1) */
	long stall_secs;		/* nothing moved for this long: a stall (retried) */
	int tries;			/* attempts per transfer cut off */
	int force;			/* replace what a destination has with other content */
	const char *identity;		/* ssh private key (NULL: ssh's or libssh2's own choice) */
	const char *known_hosts;	/* the host keys sftp and kup servers must have */
	const char *user;		/* the ssh user when a URL names none (NULL: ssh's) */
	const char *cafile;		/* https: CA certificates (NULL: the system's) */
	int insecure;			/* https: no certificate check */
	void (*note)(void *arg, const char *msg);	/* "URL: resuming ..." notes; NULL: none */
	void (*progress)(void *arg, const struct upload_progress *p);	/* NULL: none */
	void *arg;
};

/* Sends every job: a destination that has the name with the same content
 * (file://: the same bytes; sftp, https, kup: the same size) leaves it
 * UPLOAD_THERE; with other content it is UPLOAD_FAILED unless o->force.
 * Every file is written under a temporary name (NAME.part, the server's
 * own, or kup-server's session directory) and shows under its name only
 * whole; its size there is checked after. Returns the number of failed
 * jobs, or -1 with e set when it cannot run at all. */
int upload_run(struct upload_job *jobs, size_t n, const struct upload_opts *o, struct dk_err *e);

/* Whether url's scheme is one upload_run knows (file:///, sftp://,
 * https://, http://, kup://). */
int upload_scheme_ok(const char *url);

/* Whether kup-server accepts path as a file or directory name: absolute,
 * canonical, no component starting with "." or "-", none longer than 100
 * bytes, no shell metacharacters or control bytes, at most 1024 bytes. */
int upload_kup_path_ok(const char *path);

#endif
