/* SHA-256 through nettle: see sha256.h. */
#include "output/h5/sha256.h"

void flyt_sha256_init(struct flyt_sha256 *c)
{
    sha256_init(&c->nettle);
}

void flyt_sha256_update(struct flyt_sha256 *c, const void *data, size_t len)
{
    sha256_update(&c->nettle, len, data);
}

void flyt_sha256_final(struct flyt_sha256 *c, unsigned char digest[32])
{
    sha256_digest(&c->nettle, SHA256_DIGEST_SIZE, digest);
}

void flyt_sha256_hex(const void *data, size_t len, char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    struct flyt_sha256 c;
    unsigned char d[SHA256_DIGEST_SIZE];
    flyt_sha256_init(&c);
    flyt_sha256_update(&c, data, len);
    flyt_sha256_final(&c, d);
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++) {
        hex[2 * i] = digits[d[i] >> 4];
        hex[2 * i + 1] = digits[d[i] & 15];
    }
    hex[64] = '\0';
}
