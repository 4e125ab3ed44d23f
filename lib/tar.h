/* dk: tar archives, streamed: a reader that is fed bytes as they arrive
 * (from a file, a pipe or a libcurl write callback), a writer, and a safe
 * extractor. Formats: POSIX ustar, GNU long names ('L'/'K'), pax extended
 * headers (path, linkpath, size, mtime). Nothing is buffered whole: member
 * data is handed over in the pieces it arrives in. GPL-2.0-only. */
#ifndef DK_TAR_H
#define DK_TAR_H

#include <stdint.h>
#include <sys/types.h>

#include "err.h"

/* Member types (the ustar typeflag byte). */
enum {
	TAR_REG = '0', TAR_LINK = '1', TAR_SYMLINK = '2', TAR_CHR = '3',
	TAR_BLK = '4', TAR_DIR = '5', TAR_FIFO = '6',
};

/* One member, with any GNU long name or pax header already applied. */
struct tar_member {
	const char *name;	/* path as stored (a directory may end in '/') */
	const char *linkname;	/* target of a link, else "" */
	int type;		/* TAR_REG ... ('\0' and '7' are given as TAR_REG) */
	mode_t mode;		/* permission bits only (07777) */
	uid_t uid;
	gid_t gid;
	int64_t mtime;
	uint64_t size;		/* bytes of data that follow */
	uint64_t offset;	/* offset of its (first) header in the archive */
};

/* What a reader calls; any member may be NULL. Each returns 0, or -1 with
 * e set to stop the reader (tar_feed then returns -1 with that message). */
struct tar_ops {
	/* A member starts; its data follows through data(), then end(). */
	int (*member)(void *ctx, const struct tar_member *m, struct dk_err *e);
	/* The next n bytes of m's data (n > 0). */
	int (*data)(void *ctx, const struct tar_member *m, const void *p, size_t n, struct dk_err *e);
	/* All of m's data has been given. */
	int (*end)(void *ctx, const struct tar_member *m, struct dk_err *e);
};

struct tar_reader;

/* A reader calling ops with ctx; name (copied) prefixes its messages.
 * Returns NULL (errno ENOMEM) when out of memory. */
struct tar_reader *tar_reader_new(const struct tar_ops *ops, void *ctx, const char *name);
/* Feeds the next n bytes of the archive, in pieces of any size. Returns 0,
 * or -1 with e set ("NAME: member M: ...": bad checksum, bad header, a
 * callback's error); after -1 every call fails. Bytes after the
 * end-of-archive blocks are ignored. */
int tar_feed(struct tar_reader *r, const void *p, size_t n, struct dk_err *e);
/* Ends the input: returns 0 when the archive was complete (end-of-archive
 * block seen), else -1 with e set ("truncated in member M"). */
int tar_finish(struct tar_reader *r, struct dk_err *e);
/* Bytes fed so far. */
uint64_t tar_offset(const struct tar_reader *r);
/* Frees r (NULL is fine). */
void tar_reader_free(struct tar_reader *r);
/* Feeds r all of fd, then tar_finish. Returns 0 or -1 with e set. */
int tar_feed_fd(struct tar_reader *r, int fd, struct dk_err *e);
/* Reads the archive from fd to its end: tar_feed + tar_finish. name is
 * for messages. Returns 0 or -1 with e set. */
int tar_read_fd(int fd, const char *name, const struct tar_ops *ops, void *ctx, struct dk_err *e);

/* Writes bytes somewhere: returns 0, or -1 with e set. */
typedef int (*tar_write_fn)(void *ctx, const void *p, size_t n, struct dk_err *e);

/* A tar writer: ustar headers, with a pax header before a member whose
 * name or link target does not fit ustar, or whose size passes 8 GiB. */
struct tar_writer {
	tar_write_fn write;
	void *ctx;
	int fd;			/* for tar_writer_fd */
	uint64_t offset;	/* bytes written */
	int64_t mtime;		/* given to every member (default 0: reproducible) */
	uid_t uid;		/* default 0 */
	gid_t gid;		/* default 0 */
};

/* Starts a writer calling fn(ctx, ...) for its output. */
void tar_writer_init(struct tar_writer *w, tar_write_fn fn, void *ctx);
/* Starts a writer writing to fd (all of each write, EINTR retried). */
void tar_writer_fd(struct tar_writer *w, int fd);
/* Adds a directory member "name/". Returns 0 or -1 with e set. */
int tar_add_dir(struct tar_writer *w, const char *name, mode_t mode, struct dk_err *e);
/* Adds a regular file holding the n bytes at p. Returns 0 or -1. */
int tar_add_mem(struct tar_writer *w, const char *name, mode_t mode, const void *p, size_t n, struct dk_err *e);
/* Adds a regular file holding size bytes read from fd (from its current
 * position); fewer bytes than size is an error. Returns 0 or -1. */
int tar_add_fd(struct tar_writer *w, const char *name, mode_t mode, int fd, uint64_t size, struct dk_err *e);
/* Adds a regular file holding the contents of path (mode and size from
 * the file). Returns 0 or -1 with e set. */
int tar_add_file(struct tar_writer *w, const char *name, const char *path, struct dk_err *e);
/* Writes the two end-of-archive blocks. Returns 0 or -1 with e set. */
int tar_writer_finish(struct tar_writer *w, struct dk_err *e);

/* Returns 1 if name is a safe relative member path: not empty, not
 * absolute, no ".." component; else 0. */
int tar_name_safe(const char *name);
/* A reader that extracts into the existing directory dir: directories
 * and regular files only (mode & 0777, no set-id bits), refusing absolute
 * names, ".." components, links, devices and fifos, never following a
 * symbolic link that is already in dir, never overwriting a file.
 * Feed it with tar_feed, end with tar_finish, free with tar_reader_free.
 * Returns NULL with e set. */
struct tar_reader *tar_extract_reader(const char *dir, const char *name, struct dk_err *e);
/* Extracts the archive read from fd into dir as tar_extract_reader does.
 * Returns 0 or -1 with e set. */
int tar_extract_fd(int fd, const char *name, const char *dir, struct dk_err *e);

#endif
