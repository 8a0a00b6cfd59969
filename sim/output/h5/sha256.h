/*
 * SHA-256 (FIPS 180-4), for provenance: the hash of a scenario's text in
 * every output file lets a reader check that a scenario file on disk is the
 * one a result came from, and the seal on sweep and shard files. A thin
 * wrapper over Debian's nettle, whose x86-64 build picks the CPU's SHA
 * instructions at run time (docs/performance.md, "SHA-256"); flyt's callers
 * and tests keep this small interface. Not for secrets: no key handling.
 */
#ifndef FLYT_OUTPUT_SHA256_H
#define FLYT_OUTPUT_SHA256_H

#include <nettle/sha2.h>
#include <stddef.h>

struct flyt_sha256 {
    struct sha256_ctx nettle;
};

void flyt_sha256_init(struct flyt_sha256 *c);
void flyt_sha256_update(struct flyt_sha256 *c, const void *data, size_t len);
void flyt_sha256_final(struct flyt_sha256 *c, unsigned char digest[32]);

/* The digest of len bytes as 64 lower-case hex digits and a NUL. */
void flyt_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
