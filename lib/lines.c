/* dk: reading text input. GPL-2.0-only. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lines.h"

void
lines_init(struct lines *l, FILE *fp, const char *name)
{
	memset(l, 0, sizeof *l);
	l->fp = fp;
	l->name = name;
}

ssize_t
lines_next(struct lines *l, struct dk_err *e)
{
	ssize_t n;

	if (e)
		e->msg[0] = '\0';
	errno = 0;
	n = getline(&l->line, &l->cap, l->fp);
	if (n < 0) {
		if (ferror(l->fp))
			dk_syserrf(e, l->name, 0, "read error");
		return -1;
	}
	l->lineno++;
	if (n > 0 && l->line[n - 1] == '\n')
		l->line[--n] = '\0';
	return n;
}

ssize_t
lines_next_data(struct lines *l, struct dk_err *e)
{
	ssize_t n;
	size_t lead;

	while ((n = lines_next(l, e)) >= 0) {
		lead = strspn(l->line, " \t\r");
		while (n > (ssize_t)lead && strchr(" \t\r", l->line[n - 1]))
			l->line[--n] = '\0';
		if (l->line[lead] == '\0' || l->line[lead] == '#')
			continue;
		n -= (ssize_t)lead;
		memmove(l->line, l->line + lead, (size_t)n + 1);
		return n;
	}
	return -1;
}

void
lines_free(struct lines *l)
{
	free(l->line);
	l->line = NULL;
	l->cap = 0;
}

int
read_file(const char *path, struct buf *b, struct dk_err *e)
{
	int stdin_ = !strcmp(path, "-");
	/* O_NONBLOCK: a FIFO with no writer must not hang the open */
	int fd = stdin_ ? 0 : open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	const char *name = stdin_ ? "<stdin>" : path;
	struct stat st;
	ssize_t n;

	if (fd < 0)
		return dk_syserrf(e, name, 0, "cannot open");
	/* a file operand is a regular file; stdin ("-") may be anything */
	if (!stdin_ && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		errno = EINVAL;
		return dk_errf(e, name, 0, "not a regular file");
	}
	if (!stdin_)
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	for (;;) {
		if (buf_grow(b, 65536) < 0) {
			dk_syserrf(e, name, 0, "cannot read");
			break;
		}
		n = read(fd, b->s + b->len, b->cap - b->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			dk_syserrf(e, name, 0, "read error");
			break;
		}
		if (n == 0) {
			b->s[b->len] = '\0';
			if (!stdin_)
				close(fd);
			return 0;
		}
		b->len += (size_t)n;
	}
	if (!stdin_)
		close(fd);
	return -1;
}
