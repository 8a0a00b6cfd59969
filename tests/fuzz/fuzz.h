/* Shared by the fuzz targets and the replay driver. */
#ifndef FLYT_FUZZ_H
#define FLYT_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef FUZZ_INCLUDE_DIR
#define FUZZ_INCLUDE_DIR NULL
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* @include reads any regular file, and some under /proc and /sys are
 * endless or huge: that would be the planner's own doing, not a loader bug,
 * so such inputs are skipped rather than reported as hangs. (Devices and
 * folders are the loader's to refuse, and are fuzzed.) */
static inline bool fuzz_include_is_unsafe(const char *text)
{
    return strstr(text, "/proc") || strstr(text, "/sys");
}

/* The input as C text (a NUL inside ends it, as read_file() would have
 * refused the file), or NULL when it is unsafe to load or out of memory.
 * The caller frees it. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return NULL;
    memcpy(text, data, size);
    text[size] = '\0';
    if (fuzz_include_is_unsafe(text)) {
        free(text);
        return NULL;
    }
    return text;
}

#endif
