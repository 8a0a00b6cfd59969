/* The SHA-256 seal on sweep and shard files: see h5_seal.h. */
#include "output/h5/h5_seal.h"
#include "output/h5/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void flyt__seal_trailer(const void *data, size_t n, char out[FLYT_SEAL_BYTES + 1])
{
    char hex[65];
    flyt_sha256_hex(data, n, hex);
    snprintf(out, FLYT_SEAL_BYTES + 1, "%s%s\n", FLYT_SEAL_PREFIX, hex);
}

static int read_fd(int fd, void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            if (r == 0)
                errno = EIO; /* shorter than fstat said: it changed under us */
            return -1;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static void *slurp(int fd, size_t *n)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return NULL;
    if (!S_ISREG(st.st_mode)) {
        errno = EINVAL;
        return NULL;
    }
    if ((uintmax_t)st.st_size > SIZE_MAX - 1) {
        errno = EFBIG;
        return NULL;
    }
    *n = (size_t)st.st_size;
    void *buf = malloc(*n ? *n : 1);
    if (!buf)
        return NULL;
    if (read_fd(fd, buf, *n) != 0) {
        int e = errno;
        free(buf);
        errno = e;
        return NULL;
    }
    return buf;
}

size_t flyt__seal_check(const void *data, size_t n, char *err, size_t errlen)
{
    const size_t plen = sizeof FLYT_SEAL_PREFIX - 1;
    const char *tail = (const char *)data + (n >= FLYT_SEAL_BYTES ? n - FLYT_SEAL_BYTES : 0);
    if (n < FLYT_SEAL_BYTES + 8 || memcmp(tail, FLYT_SEAL_PREFIX, plen) != 0) {
        snprintf(err, errlen,
                 "it has no checksum seal at its end (damaged, cut short, or not written by "
                 "flyt sweep or flyt merge of this version)");
        return 0;
    }
    char want[FLYT_SEAL_BYTES + 1];
    flyt__seal_trailer(data, n - FLYT_SEAL_BYTES, want);
    if (memcmp(want, tail, FLYT_SEAL_BYTES) != 0) {
        snprintf(err, errlen,
                 "its content does not match its SHA-256 checksum (damaged on disk or in a "
                 "copy)");
        return 0;
    }
    return n - FLYT_SEAL_BYTES;
}

int flyt__seal_read(const char *path, void **image, size_t *size, char *err, size_t errlen)
{
    *image = NULL;
    *size = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    size_t n = 0;
    void *buf = fd >= 0 ? slurp(fd, &n) : NULL;
    if (!buf) {
        snprintf(err, errlen, "cannot read it: %s",
                 errno == EINVAL ? "not a regular file" : strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    size_t len = flyt__seal_check(buf, n, err, errlen);
    if (len == 0) {
        free(buf);
        return -1;
    }
    *image = buf;
    *size = len;
    return 0;
}
