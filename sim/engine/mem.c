/* Transparent huge pages for large arrays read at random (the calendar's
 * slots, the patient pool) or at a stride (the units' daily series): see
 * flyt/mem.h. */
/* madvise and MADV_HUGEPAGE are outside POSIX (the build asks for POSIX
 * 2008 only); glibc shows them under this feature macro. */
#define _DEFAULT_SOURCE /* NOLINT(bugprone-reserved-identifier) */
#include "flyt/mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define HUGE_PAGE ((size_t)2 << 20)

void *flyt_realloc_huge(void *p, size_t old_bytes, size_t bytes)
{
#ifdef MADV_HUGEPAGE
    if (bytes >= 2 * HUGE_PAGE) {
        size_t whole = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
        void *q = aligned_alloc(HUGE_PAGE, whole);
        if (!q)
            return NULL;
        (void)madvise(q, whole, MADV_HUGEPAGE);
        if (p)
            memcpy(q, p, old_bytes < bytes ? old_bytes : bytes);
        free(p);
        return q;
    }
#endif
    (void)old_bytes;
    return realloc(p, bytes);
}

void *flyt_calloc_huge(size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    size_t bytes = n * size;
    if (bytes < 2 * HUGE_PAGE)
        return calloc(bytes ? bytes : 1, 1); /* never 0 bytes: NULL would read as failure */
    void *q = flyt_realloc_huge(NULL, 0, bytes);
    if (q)
        memset(q, 0, bytes);
    return q;
}
