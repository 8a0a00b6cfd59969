#include "output/h5/sha256.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void hex_of(const char *msg, char hex[65])
{
    flyt_sha256_hex(msg, strlen(msg), hex);
}

/* FIPS 180-2, appendix B.1: one block. */
static void abc_matches_fips_180_2_b1(void **state)
{
    (void)state;
    char hex[65];
    hex_of("abc", hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* FIPS 180-2, appendix B.2: 448 bits, so the length needs a second block. */
static void two_block_message_matches_fips_180_2_b2(void **state)
{
    (void)state;
    char hex[65];
    hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", hex);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

/* FIPS 180-2, appendix B.3: a million 'a's, fed in uneven pieces so that
 * block boundaries fall inside update calls. */
static void million_a_matches_fips_180_2_b3(void **state)
{
    (void)state;
    enum { N = 1000000 };
    char *a = malloc(N);
    assert_non_null(a);
    memset(a, 'a', N);
    struct flyt_sha256 c;
    unsigned char d[32];
    flyt_sha256_init(&c);
    size_t at = 0, step = 1;
    while (at < N) {
        size_t take = N - at < step ? N - at : step;
        flyt_sha256_update(&c, a + at, take);
        at += take;
        step = step * 3 % 997 + 1;
    }
    flyt_sha256_final(&c, d);
    free(a);
    static const unsigned char want[32] = {
        0xcd, 0xc7, 0x6e, 0x5c, 0x99, 0x14, 0xfb, 0x92, 0x81, 0xa1, 0xc7,
        0xe2, 0x84, 0xd7, 0x3e, 0x67, 0xf1, 0x80, 0x9a, 0x48, 0xa4, 0x97,
        0x20, 0x0e, 0x04, 0x6d, 0x39, 0xcc, 0xc7, 0x11, 0x2c, 0xd0,
    };
    assert_memory_equal(d, want, 32);
}

static void empty_message_has_the_known_digest(void **state)
{
    (void)state;
    char hex[65];
    hex_of("", hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/* 55 and 56 bytes straddle the point where the length no longer fits. */
static void lengths_around_the_padding_edge_agree_with_one_shot(void **state)
{
    (void)state;
    char buf[130];
    memset(buf, 'x', sizeof buf);
    for (size_t n = 50; n < sizeof buf; n++) {
        char one[65], split[65];
        flyt_sha256_hex(buf, n, one);
        struct flyt_sha256 c;
        unsigned char d[32];
        flyt_sha256_init(&c);
        flyt_sha256_update(&c, buf, n / 2);
        flyt_sha256_update(&c, buf + n / 2, n - n / 2);
        flyt_sha256_final(&c, d);
        for (int i = 0; i < 32; i++)
            snprintf(split + 2 * i, 3, "%02x", d[i]);
        assert_string_equal(one, split);
    }
    char hex[65];
    flyt_sha256_hex(buf, 56, hex); /* Python hashlib, as a cross-check */
    assert_string_equal(hex, "04c26261370ee7541549d16dee320c723e3fd14671e66a099afe0a377c16888e");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(abc_matches_fips_180_2_b1),
        cmocka_unit_test(two_block_message_matches_fips_180_2_b2),
        cmocka_unit_test(million_a_matches_fips_180_2_b3),
        cmocka_unit_test(empty_message_has_the_known_digest),
        cmocka_unit_test(lengths_around_the_padding_edge_agree_with_one_shot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
