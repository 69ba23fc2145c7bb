/* Small filesystem helpers for control: atomic replacement and whole-file reads. */
#ifndef UMEDGE_FSUTIL_H
#define UMEDGE_FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

/* Replace path with data atomically: write path.tmp.PID (mode), fsync,
 * rename over path, fsync the directory. Returns 0 or -errno; on failure
 * path is untouched and the temp file removed. */
int fsutil_write_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Read a whole regular file (at most max bytes) into a NUL-terminated
 * malloc'd buffer. Returns 0 or -errno (-EFBIG when larger than max). */
int fsutil_read_file(const char *path, size_t max, char **out, size_t *len_out);

/* mkdir -p with mode for created components. Returns 0 or -errno. */
int fsutil_mkdir_p(const char *path, mode_t mode);

#endif
