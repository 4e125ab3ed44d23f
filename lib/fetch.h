/* dk: fetching distfiles in parallel with libcurl's multi interface,
 * resuming NAME.part files, hashing the bytes as they arrive.
 * GPL-2.0-only. */
#ifndef DK_FETCH_H
#define DK_FETCH_H

#include <stddef.h>
#include <stdint.h>

#include "hash.h"

enum fetch_state { FETCH_PENDING, FETCH_ACTIVE, FETCH_DONE, FETCH_FAILED };

/* One distfile to fetch into the directory given to fetch_run. */
struct fetch_job {
	/* in */
	const char *name;
	char *const *urls;		/* tried in order */
	size_t nurls;
	int have_expect;		/* the old Manifest's size and digests follow */
	uint64_t expect_size;
	const char *expect_blake2b, *expect_sha512;
	unsigned hashes;		/* HASH_ bits wanted in result */
	/* out */
	enum fetch_state state;
	struct hash_result result;
	char err[1024];			/* why it failed: "NAME: ..." */
	/* private to fetch.c */
	void *priv;
};

/* What a progress callback sees. */
struct fetch_progress {
	size_t done, total;		/* files */
	uint64_t bytes;			/* received in this run */
	uint64_t expect;		/* bytes of the whole run, when known (else 0) */
	double rate;			/* bytes per second since the start */
};

struct fetch_opts {
	const char *distdir;
	int jobs;			/* transfers at once (>= 1) */
	int per_host;			/* transfers at once per host (>= 1) */
	long stall_secs;		/* no byte for this long: a stall; also the connect timeout */
	long backoff_ms;		/* first retry delay, doubled per retry */
	int tries;			/* attempts per URL before the next one */
	int force;			/* accept content differing from have_expect */
	const char *cafile;		/* CA certificates for https; NULL: libcurl's default */
	void (*progress)(void *arg, const struct fetch_progress *p);	/* NULL: none */
	void *progress_arg;
};

/* Fetches every job into o->distdir: each ends FETCH_DONE (NAME in place,
 * result filled) or FETCH_FAILED (err set, no NAME written; a NAME.part
 * may stay to be resumed unless its content was wrong). Returns the number
 * of failed jobs, or -1 with e set when it cannot run at all. */
int fetch_run(struct fetch_job *jobs, size_t n, const struct fetch_opts *o, struct dk_err *e);

#endif
