/*
 * flyt io: the small pieces every journal and writer needs, in one place
 * (sim/base/io.c): a whole write() that survives EINTR and short writes,
 * the FNV-1a hash that checksums journal records, and a monotonic clock.
 */
#ifndef FLYT_IO_H
#define FLYT_IO_H

#include <stddef.h>
#include <stdint.h>

#define FLYT_FNV1A_INIT 0xcbf29ce484222325ULL

/* FNV-1a over n bytes, continuing from h (FLYT_FNV1A_INIT to start). Not a
 * cryptographic hash: it finds torn and damaged records, no more. */
uint64_t flyt_fnv1a(uint64_t h, const void *data, size_t n);

/* Writes all n bytes; 0, or -1 with errno set (0 bytes written: EIO). */
int flyt_write_all(int fd, const void *data, size_t n);

/* Seconds on the monotonic clock, for durations. */
double flyt_seconds(void);

#endif
