/* Whole-buffer reads and writes on a file descriptor, retried across
 * EINTR and short transfers (pipes between processes, files). */
#ifndef UMEDGE_FDIO_H
#define UMEDGE_FDIO_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

/* 0, or -errno (-EIO when the descriptor takes nothing). */
static inline int fdio_write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n > 0) {
		ssize_t w = write(fd, b, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/* 0, or -errno (-ENODATA at end of file before n bytes). */
static inline int fdio_read_all(int fd, void *p, size_t n)
{
	uint8_t *b = p;

	while (n > 0) {
		ssize_t r = read(fd, b, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ENODATA;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

#endif
