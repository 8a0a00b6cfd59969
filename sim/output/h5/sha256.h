/*
 * SHA-256 (FIPS 180-4), for provenance: the hash of a scenario's text in
 * every output file lets a reader check that a scenario file on disk is the
 * one a result came from. Small and dependency-free; not for secrets (no
 * constant-time care, no key handling).
 */
#ifndef FLYT_OUTPUT_SHA256_H
#define FLYT_OUTPUT_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct flyt_sha256 {
    uint32_t h[8];
    uint64_t n_bytes;
    unsigned char block[64];
    size_t fill;
};

void flyt_sha256_init(struct flyt_sha256 *c);
void flyt_sha256_update(struct flyt_sha256 *c, const void *data, size_t len);
void flyt_sha256_final(struct flyt_sha256 *c, unsigned char digest[32]);

/* The digest of len bytes as 64 lower-case hex digits and a NUL. */
void flyt_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
