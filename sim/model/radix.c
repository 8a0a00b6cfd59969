/* Sorting 64-bit keys in linear time, for the figures at the end of a run:
 * a least-significant-digit radix sort, a byte per pass, skipping the
 * bytes every key shares. Keys that compare unequal end in the one order
 * any sort gives them; equal keys keep their order (the sort is stable).
 * Measured on a national year (357 municipalities, 131,000 patients):
 * qsort with a comparator over the patients took 19 ms of the 44 ms the
 * figures cost. */
#include "model/model.h"

#include <string.h>

void flyt__radix_sort(uint64_t *key, uint32_t *val, size_t n, uint64_t *tmp_key, uint32_t *tmp_val)
{
    uint64_t *a = key, *b = tmp_key;
    uint32_t *va = val, *vb = tmp_val;
    for (int shift = 0; shift < 64 && n > 0; shift += 8) {
        size_t count[257] = { 0 };
        for (size_t i = 0; i < n; i++)
            count[((a[i] >> shift) & 0xff) + 1]++;
        if (count[((a[0] >> shift) & 0xff) + 1] == n)
            continue; /* every key has this digit: nothing moves */
        for (int d = 0; d < 256; d++)
            count[d + 1] += count[d];
        for (size_t i = 0; i < n; i++) {
            size_t to = count[(a[i] >> shift) & 0xff]++;
            b[to] = a[i];
            if (va)
                vb[to] = va[i];
        }
        uint64_t *t = a;
        a = b;
        b = t;
        uint32_t *tv = va;
        va = vb;
        vb = tv;
    }
    if (a != key) {
        memcpy(key, a, n * sizeof *key);
        if (val)
            memcpy(val, va, n * sizeof *val);
    }
}
