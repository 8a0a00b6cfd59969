/*
 * flyt mem: arrays that the simulation reads at random (the patient pool,
 * the calendar's event slots) or writes at a stride (the units' daily
 * series), asked to sit on transparent huge pages.
 * Why: a national region keeps some 100,000 patients and their events in
 * tens of MiB read in no order; on 4 KiB pages nearly every access missed
 * the TLB and each new page cost a fault. Where the kernel offers huge
 * pages only on request (transparent_hugepage = madvise, Debian's
 * default), the request is made here; elsewhere it changes nothing.
 */
#ifndef FLYT_MEM_H
#define FLYT_MEM_H

#include <stddef.h>

/* As realloc(p, bytes) for a block of old_bytes, except that a block of
 * several MiB is a new one, 2 MiB-aligned and advised as huge pages before
 * anything is written to it (pages touched before the advice would stay
 * small), the old contents copied and p freed. Free it with free(). */
void *flyt_realloc_huge(void *p, size_t old_bytes, size_t bytes);

/* As calloc(n, size), on huge pages the same way when several MiB (NULL
 * when n * size overflows). Free it with free(). */
void *flyt_calloc_huge(size_t n, size_t size);

#endif
