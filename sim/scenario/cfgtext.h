/*
 * Internal to the scenario module: a libconfig file as text with positions.
 *
 * libconfig gives a setting's line but not its column, and drops comments,
 * so a rewrite that keeps a file's comments and spelling (flyt upgrade)
 * needs its own map of the text: every setting with the byte ranges of its
 * name, its value and its "chunk", the text that belongs to it when
 * settings are moved, dropped or reordered. A chunk runs from the end of
 * the previous chunk (so it starts with the comment lines above the
 * setting) to the end of the setting's line when only a comment follows
 * the terminator there. What stands after an opening bracket on its own
 * line (a comment) is the aggregate's head; what follows the last chunk up
 * to the closing bracket is its tail.
 *
 * The parser expects text libconfig has accepted; on anything else it
 * fails with the line where it stopped.
 */
#ifndef FLYT_SCENARIO_CFGTEXT_H
#define FLYT_SCENARIO_CFGTEXT_H

#include <stdbool.h>
#include <stddef.h>

enum ct_kind {
    CT_SCALAR,  /* number, boolean, or one or more adjacent strings */
    CT_ARRAY,   /* [ ... ] */
    CT_LIST,    /* ( ... ) */
    CT_GROUP,   /* { ... }; the root is a group without brackets */
    CT_INCLUDE, /* an @include line: a member without name or value */
};

#define CT_NONE ((size_t)-1)

struct ct_node {
    enum ct_kind kind;
    size_t c0, c1;  /* the chunk (members of groups, lists and arrays) */
    size_t n0, n1;  /* the name; n0 == n1 for list and array elements */
    size_t v0, v1;  /* the value, brackets included */
    size_t term;    /* the ';' or ',' after it, or CT_NONE */
    size_t comment; /* a '#' or '//' comment after it on its line, or CT_NONE */
    size_t head;    /* aggregates: the head is [v0 + 1, head) */
    struct ct_node *kid;
    int n_kid;
};

struct ct_doc {
    const char *text;
    struct ct_node root; /* a group: [0, strlen(text)) */
    bool has_include;
};

/* 0, or -1 with the line where the text could not be followed in
 * *bad_line. text must outlive doc. */
int flyt__ct_parse(const char *text, struct ct_doc *doc, int *bad_line);
void flyt__ct_free(struct ct_doc *doc);

/* The member called name (NULL when absent) of a group. */
const struct ct_node *flyt__ct_member(const struct ct_doc *doc, const struct ct_node *group,
                                      const char *name);
bool flyt__ct_name_is(const struct ct_doc *doc, const struct ct_node *n, const char *name);

/* A growing string; on failure to grow it drops what comes and sets failed. */
struct ct_buf {
    char *s;
    size_t len, cap;
    bool failed;
};
void flyt__ct_put(struct ct_buf *b, const char *s, size_t n);
void flyt__ct_puts(struct ct_buf *b, const char *s);
/* text[a, b) */
void flyt__ct_copy(struct ct_buf *b, const char *text, size_t a, size_t c);

#endif
