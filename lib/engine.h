/* dk: a Docker Engine API client over libcurl: unix:// sockets, tcp://
 * with TLS, ssh:// through a forwarded socket. Answers (JSON) are read
 * with the config module's libyaml tree. One struct engine may be used by
 * several threads at once once engine_open returned. GPL-2.0-only. */
#ifndef DK_ENGINE_H
#define DK_ENGINE_H

#include <signal.h>
#include <stdio.h>
#include <sys/types.h>

#include "buf.h"
#include "config.h"
#include "err.h"

struct engine {
	char *url;		/* as configured, for messages */
	char *sock;		/* unix socket to talk to, or NULL (tcp) */
	char *base;		/* "http://docker" or "https://host:port" */
	char *cert_dir;		/* TLS: ca.pem, cert.pem, key.pem */
	int tls_verify;
	pid_t tunnel;		/* ssh -L, or 0 */
	char *tunnel_dir;	/* holds the forwarded socket and ssh's stderr */
	long connect_timeout;	/* seconds */
	/* When set and non-zero, every call not marked nocancel stops. */
	volatile sig_atomic_t *cancel;
	char arch[32];		/* from engine_version */
	char version[64];
	char api[16];		/* "v1.41": the engine's API version */
};

/* Sets en up for url ("unix:///path", "tcp://host:port", "ssh://[user@]
 * host[:port][/remote.sock]"); for ssh starts ssh_argv (NULL: "ssh") plus
 * "-o BatchMode=yes -nNT -L LOCAL:REMOTE [-p PORT] [-l USER] HOST" and
 * waits for the forwarded socket. TLS for tcp:// follows DOCKER_TLS_VERIFY,
 * DOCKER_TLS and DOCKER_CERT_PATH. Then checks the engine answers
 * (/_ping) and reads /version. Returns 0, or -1 with e set (en is then
 * closed). */
int engine_open(struct engine *en, const char *url, char *const ssh_argv[], struct dk_err *e);
/* Stops the tunnel and frees en. Safe on a closed or zeroed engine. */
void engine_close(struct engine *en);

/* Writes the string s as a JSON string (quotes included) to b. 0 or -1. */
int engine_json_str(struct buf *b, const char *s);

/* Receives response bytes as they arrive: returns 0, or -1 to stop. */
typedef int (*engine_sink)(void *ctx, const char *p, size_t n);
/* Produces request body bytes: returns the count (0 at the end) or -1. */
typedef ssize_t (*engine_source)(void *ctx, char *p, size_t n);

struct engine_req {
	const char *method;	/* "GET", "POST", "PUT", "DELETE", "HEAD" */
	const char *path;	/* "/containers/create?name=x" (the API
				 * version prefix is added) */
	const char *type;	/* request Content-Type, or NULL */
	const void *body;	/* request body in memory, or */
	size_t body_len;
	engine_source source;	/* a streamed body (chunked) */
	void *source_ctx;
	struct buf *out;	/* response body into out, or */
	engine_sink sink;	/* streamed to sink (only for 2xx answers) */
	void *sink_ctx;
	long timeout;		/* seconds for the whole call, 0: none */
	int nocancel;		/* not stopped by *en->cancel (clean-up) */
	int (*watch)(void *ctx);	/* asked about once a second: nonzero stops the call */
	void *watch_ctx;
};

/* Makes one call. Returns the HTTP status (any), or -1 with e set when
 * there was no answer. For a status >= 400 e is also set to the engine's
 * message ("URL: METHOD PATH: STATUS message"). */
int engine_call(struct engine *en, struct engine_req *r, struct dk_err *e);
/* As engine_call with no body, the response parsed as JSON into root
 * (when it has one). Returns the status, or -1 with e set when there was
 * no answer, the status was >= 400, or the answer was not JSON. */
int engine_json(struct engine *en, const char *method, const char *path, const char *body,
	struct cfg_node *root, struct dk_err *e);

/* The Id of image name ("repo:tag" or an id), malloc'ed in *id, or NULL
 * when there is none. Returns 0 or -1 with e set. */
int engine_image_id(struct engine *en, const char *name, char **id, struct dk_err *e);
/* Imports the root file system tar (plain or compressed) read from fd as
 * image repo:tag, with label (NULL: none) set to "1". Returns 0 or -1
 * with e set. */
int engine_import(struct engine *en, const char *repo, const char *tag, const char *label, int fd, struct dk_err *e);
/* Builds an image from a tar build context read from fd (a file, sent as
 * it is read): tag, the Dockerfile's name in the context, buildargs and
 * labels as JSON objects (or NULL). The build's output goes line by line
 * to log (may be NULL). Returns 0, or -1 with e set (the build's error). */
int engine_build(struct engine *en, int fd, const char *tag, const char *dockerfile,
	const char *buildargs, const char *labels, FILE *log, struct dk_err *e);
/* What a container is made of, as dk-build needs it: the engine's JSON
 * is written from this by engine_container_json, never by hand. */
struct engine_spec {
	const char *image;
	char *const *cmd;	/* argv, NULL-terminated */
	char *const *env;	/* "NAME=VALUE", NULL-terminated (may be NULL) */
	char *const *labels;	/* "KEY=VALUE" (may be NULL) */
	char *const *binds;	/* "HOST:CONTAINER" (may be NULL) */
	char *const *devices;	/* host paths, the same path inside (may be NULL) */
	char *const *tmpfs;	/* container paths (may be NULL) */
	int host_network;	/* NetworkMode host */
};

/* Appends the create endpoint's JSON for s to out. Returns 0 or -1 (ENOMEM). */
int engine_container_json(const struct engine_spec *s, struct buf *out);
/* Appends {"K":"V",...} for "K=V" strings kv (NULL-terminated, may be
 * NULL) to out: build args, labels. Returns 0 or -1 (ENOMEM). */
int engine_json_object(char *const *kv, struct buf *out);

/* What engine_image_inspect reports. */
struct engine_image {
	char *id;		/* NULL: no such image */
	long long created;	/* seconds since the epoch */
	struct cfg_node labels;	/* a map (empty when none) */
};
/* Inspects image name into im (free with engine_image_free); a missing
 * image gives im->id NULL. Returns 0 or -1 with e set. */
int engine_image_inspect(struct engine *en, const char *name, struct engine_image *im, struct dk_err *e);
/* Frees what im holds. */
void engine_image_free(struct engine_image *im);

/* Creates a container from config (a JSON object as the API takes it)
 * named name (may be NULL); its id, malloc'ed, in *id. 0 or -1. */
int engine_create(struct engine *en, const char *name, const char *config, char **id, struct dk_err *e);
/* Starts container id. Returns 0 or -1 with e set. */
int engine_start(struct engine *en, const char *id, struct dk_err *e);
/* Waits for container id to stop; its exit status in *code. 0 or -1. */
int engine_wait(struct engine *en, const char *id, int *code, struct dk_err *e);
/* Follows the logs of container id (stdout and stderr, no tty) until it
 * stops, demultiplexing the engine's 8-byte frames, giving the payload
 * to sink as it comes: memory stays flat. Returns 0 or -1 with e set. */
int engine_logs(struct engine *en, const char *id, engine_sink sink, void *ctx, struct dk_err *e);
/* As engine_logs, but watch(ctx) is asked about once a second, also while
 * the log is silent: nonzero stops following (then -1, e says so). */
int engine_logs_watch(struct engine *en, const char *id, engine_sink sink, void *ctx,
	int (*watch)(void *), void *watch_ctx, struct dk_err *e);
/* Puts the tar from data (n bytes) into container id at directory path.
 * Returns 0 or -1 with e set. */
int engine_put_archive(struct engine *en, const char *id, const char *path, const void *data, size_t n, struct dk_err *e);
/* Streams a tar of path in container id to sink. 0, or -1 with e set
 * (no such path is an error naming it). */
int engine_get_archive(struct engine *en, const char *id, const char *path, engine_sink sink, void *ctx, struct dk_err *e);
/* Kills container id (if running); 0 or -1. Never cancelled. */
int engine_kill(struct engine *en, const char *id, struct dk_err *e);
/* Removes container id (forced, with its anonymous volumes); a missing
 * container is fine. 0 or -1. Never cancelled. */
int engine_remove(struct engine *en, const char *id, struct dk_err *e);
/* Removes image name (forced, but never one in use or with child images:
 * then the engine refuses and 1 is returned). Returns 0, 1 or -1 with e set. */
int engine_remove_image(struct engine *en, const char *name, struct dk_err *e);
/* Lists containers (all, running or not) / images carrying label (e.g.
 * "dk" or "dk.target=x"), as the engine's JSON list into root. 0 or -1. */
int engine_containers(struct engine *en, const char *label, struct cfg_node *root, struct dk_err *e);
int engine_images(struct engine *en, const char *label, struct cfg_node *root, struct dk_err *e);
/* Prunes stopped containers with label and, when all is set, every unused
 * image with label and the build cache; the bytes reclaimed are added to
 * *freed. Returns 0 or -1 with e set. */
int engine_prune(struct engine *en, const char *label, int all, unsigned long long *freed, struct dk_err *e);

#endif
