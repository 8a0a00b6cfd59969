/*
 * Internal to the scenario module: the text libconfig is handed.
 *
 * libconfig 1.5 reads an @include file through flex in 8 KiB pieces and
 * rescans a token from its start after each piece, so one long line (a
 * comment, a string) costs the square of its length; it also applies no
 * size limit, no UTF-8 check and no byte-order-mark handling to included
 * files. So flyt reads every file itself, with the same checks and
 * limits as the main file, and hands libconfig one prepared text in which
 * each @include line is replaced by the file's text. A line map takes a
 * line of the prepared text back to its file and line for messages.
 *
 * The same scanner finds integer literals that libconfig would wrap
 * silently, and the two lines of a duplicate key.
 */
#ifndef FLYT_SCENARIO_SOURCE_H
#define FLYT_SCENARIO_SOURCE_H

#include "flyt/scenario.h"

#include <stdbool.h>
#include <stddef.h>

/* Every limit applies to each file and to the prepared text as a whole. */
#define SRC_MAX_BYTES (16 << 20)
/* libconfig checks each new key against all earlier keys of its group,
 * so a huge group costs the square of its size; a scenario's largest
 * group has a few dozen keys. */
#define SRC_MAX_GROUP_KEYS 1000

struct src_span {
    int first;        /* first line of the span in the prepared text */
    const char *file; /* owned by the map */
    int line;         /* its line in that file */
};

struct src_map {
    struct src_span *span;
    int n, cap;
    char **files;
    int n_files, cap_files;
};

void flyt__src_map_free(struct src_map *map);
/* The file and line of a prepared-text line (main_file, line when there is
 * no map). */
void flyt__src_where(const struct src_map *map, const char *main_file, int line, const char **file,
                     int *file_line);

/* Reads a file whole; NULL with why set (an errno text or a sentence).
 * *nul_line is the line of a NUL byte (then NULL is returned), else 0. */
char *flyt__src_read_file(const char *path, char *why, size_t why_len, int *nul_line);

/* The prepared text for text (named name), or NULL after reporting why in
 * diag. dir is the folder @include names are relative to (NULL: the
 * working directory). */
char *flyt__src_prepare(const char *text, const char *name, const char *dir, struct src_map *map,
                        struct flyt_diag *diag);

/* An integer literal as libconfig 1.5 types it: decimal or 0x hex, with
 * an optional L or LL for 64 bits. */
enum src_int_kind { SRC_NOT_INT, SRC_INT_OK, SRC_INT_WRAPS };
struct src_int {
    enum src_int_kind kind;
    bool is64, hex, negative;
    unsigned long long magnitude; /* saturated at ULLONG_MAX */
};
/* Reads the literal s[0..n); SRC_NOT_INT when it is not exactly one. s[n]
 * must not continue a number (a NUL, or the end of a token). */
enum src_int_kind flyt__src_int_literal(const char *s, size_t n, struct src_int *out);

/* The value libconfig 1.5 gives a literal that does not fit (atoi, atoll,
 * strtoul or strtoull, then a cast to its type). */
long long flyt__src_int_wrapped(const struct src_int *lit);

/* Calls fn for each integer literal in the prepared text that does not fit
 * the type libconfig gives it (libconfig would wrap it without a word). */
typedef void (*src_int_fn)(void *ctx, int line, const char *tok, size_t len,
                           const struct src_int *lit);
void flyt__src_scan_ints(const char *text, src_int_fn fn, void *ctx);

/* After libconfig said "duplicate setting name": the key's name and both
 * of its prepared-text lines; false when it cannot be found. */
bool flyt__src_find_duplicate(const char *text, char *name, size_t name_len, int *first_line,
                              int *second_line);

/* Reports (through the map) any group with more than SRC_MAX_GROUP_KEYS
 * keys; false when there is one. */
bool flyt__src_check_groups(const char *text, const struct src_map *map, const char *main_file,
                            struct flyt_diag *diag);

#endif
