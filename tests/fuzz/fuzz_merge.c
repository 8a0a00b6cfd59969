/* libFuzzer target: flyt merge on an arbitrary file given as a shard.
 * Whatever the bytes, merge must refuse them (exit 2, with a message) or
 * merge them (exit 0); never crash, hang or leak. The seed corpus is real
 * shard and sweep files and damaged copies of them.
 *
 * A random change almost never survives the SHA-256 seal, so this mostly
 * proves that nothing before the seal check trusts the bytes. With
 * FLYT_FUZZ_RESEAL=1 in the environment each input is sealed afresh
 * first, which takes mutations on to HDF5 and the range checks behind
 * it: useful to explore, not for CI, since it finds HDF5 1.10's own
 * crashes on crafted files (what the seal keeps away from it). */
#include "fuzz.h"

#include "flyt/sweep.h"
#include "output/h5/h5_seal.h"
#include "output/h5/sha256.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static void cleanup(void)
{
    char p[128];
    const char *names[] = { "in.shard-0-of-2.h5", "out.h5", "out.h5.partial",
                            "out.h5.partial.partial" };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    rmdir(dir);
}

static bool write_input(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    bool ok = fwrite(data, 1, size, f) == size;
    if (ok && getenv("FLYT_FUZZ_RESEAL") && size >= FLYT_SEAL_BYTES) {
        /* the same trailer the writer appends, over what precedes it */
        size_t body = size - FLYT_SEAL_BYTES;
        char hex[65];
        flyt_sha256_hex(data, body, hex);
        ok = fseek(f, (long)body, SEEK_SET) == 0 &&
             fprintf(f, "%s%s\n", FLYT_SEAL_PREFIX, hex) == (int)FLYT_SEAL_BYTES;
    }
    return fclose(f) == 0 && ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "/tmp/fuzz_merge.XXXXXX");
        if (!mkdtemp(dir))
            abort();
        atexit(cleanup);
    }
    char in[128], out[128];
    snprintf(in, sizeof in, "%s/in.shard-0-of-2.h5", dir);
    snprintf(out, sizeof out, "%s/out.h5", dir);
    if (!write_input(in, data, size))
        abort();
    FILE *errs = fopen("/dev/null", "w");
    if (!errs)
        abort();
    const char *paths[] = { in };
    int rc = flyt_sweep_merge(paths, 1, out, NULL, errs);
    fclose(errs);
    /* 1 would be a failure to write the output, which a fuzz input cannot cause */
    if (rc != 0 && rc != 2)
        abort();
    unlink(out);
    return 0;
}
