/* A map of a libconfig file's text (see cfgtext.h). The scanner follows
 * libconfig 1.5's tokens only as far as a file it has accepted needs:
 * comments (#, //, block), strings with escapes, and the brackets. */
#include "scenario/cfgtext.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

struct ps {
    const char *t;
    size_t bad; /* where parsing stopped, or CT_NONE */
    bool has_include;
};

static size_t skip_space(const char *t, size_t i)
{
    for (;;) {
        while (t[i] == ' ' || t[i] == '\t' || t[i] == '\r' || t[i] == '\n' || t[i] == '\f' ||
               t[i] == '\v')
            i++;
        if (t[i] == '#' || (t[i] == '/' && t[i + 1] == '/')) {
            i += strcspn(t + i, "\n");
        } else if (t[i] == '/' && t[i + 1] == '*') {
            const char *end = strstr(t + i + 2, "*/");
            i = end ? (size_t)(end - t) + 2 : strlen(t);
        } else {
            return i;
        }
    }
}

static size_t skip_blank(const char *t, size_t i)
{
    while (t[i] == ' ' || t[i] == '\t' || t[i] == '\r')
        i++;
    return i;
}

static bool is_comment(const char *t, size_t i)
{
    return t[i] == '#' || (t[i] == '/' && t[i + 1] == '/');
}

/* Where the line holding i ends ('\n' or the end, not counting a '\r'). */
static size_t line_end(const char *t, size_t i)
{
    size_t e = i + strcspn(t + i, "\n");
    return e > i && t[e - 1] == '\r' ? e - 1 : e;
}

static bool push(struct ct_node *parent, const struct ct_node *kid)
{
    struct ct_node *k = realloc(parent->kid, sizeof *k * (size_t)(parent->n_kid + 1));
    if (!k)
        return false;
    parent->kid = k;
    k[parent->n_kid++] = *kid;
    return true;
}

static bool fail_at(struct ps *ps, size_t i)
{
    if (ps->bad == CT_NONE)
        ps->bad = i;
    return false;
}

static bool parse_value(struct ps *ps, size_t i, struct ct_node *n);
static void free_node(struct ct_node *n);

/* After a member's value: its terminator and a comment on the same line. */
static void finish_member(struct ps *ps, struct ct_node *m)
{
    const char *t = ps->t;
    size_t r = skip_space(t, m->v1);
    m->term = t[r] == ';' || t[r] == ',' ? r : CT_NONE;
    size_t end = m->term != CT_NONE ? r + 1 : m->v1;
    size_t c = skip_blank(t, end);
    m->comment = is_comment(t, c) ? c : CT_NONE;
    m->c1 = m->comment != CT_NONE ? line_end(t, c) : end;
}

/* The head: the rest of the opening bracket's line, when it holds no
 * more than a comment. */
static size_t head_of(const char *t, size_t open)
{
    size_t i = skip_blank(t, open + 1);
    if (is_comment(t, i))
        return line_end(t, i);
    if (t[i] == '\n')
        return i > open + 1 && t[i - 1] == '\r' ? i - 1 : i;
    return open + 1;
}

static bool parse_include(struct ps *ps, size_t chunk, size_t i, struct ct_node *group)
{
    struct ct_node m = { .kind = CT_INCLUDE, .c0 = chunk, .n0 = i, .n1 = i, .v0 = i };
    m.v1 = m.c1 = line_end(ps->t, i);
    m.term = m.comment = CT_NONE;
    ps->has_include = true;
    return push(group, &m) || fail_at(ps, i);
}

/* Members of a group from i (just past '{', or 0 for the root) to the
 * closing '}' (closer) or the end of the text (closer 0). */
static bool parse_members(struct ps *ps, struct ct_node *g, size_t i, char closer)
{
    const char *t = ps->t;
    size_t chunk = i;
    for (;;) {
        size_t q = skip_space(t, chunk);
        if (t[q] == closer) {
            g->v1 = closer ? q + 1 : q;
            return true;
        }
        if (!t[q])
            return fail_at(ps, q);
        if (t[q] == '@') {
            if (!parse_include(ps, chunk, q, g))
                return false;
            chunk = g->kid[g->n_kid - 1].c1;
            continue;
        }
        if (!isalpha((unsigned char)t[q]) && t[q] != '*')
            return fail_at(ps, q);
        struct ct_node m = { .c0 = chunk, .n0 = q };
        while (isalnum((unsigned char)t[q]) || t[q] == '*' || t[q] == '-' || t[q] == '_')
            q++;
        m.n1 = q;
        q = skip_space(t, q);
        if (t[q] != '=' && t[q] != ':')
            return fail_at(ps, q);
        if (!parse_value(ps, skip_space(t, q + 1), &m)) {
            free_node(&m); /* what was built of it */
            return false;
        }
        finish_member(ps, &m);
        if (!push(g, &m)) {
            free_node(&m);
            return fail_at(ps, q);
        }
        chunk = m.c1;
    }
}

/* Elements of a list or an array from just past the opening bracket. */
static bool parse_elements(struct ps *ps, struct ct_node *a, size_t i, char closer)
{
    const char *t = ps->t;
    size_t chunk = i;
    for (;;) {
        size_t q = skip_space(t, chunk);
        if (t[q] == closer) {
            a->v1 = q + 1;
            return true;
        }
        struct ct_node e = { .c0 = chunk, .n0 = q, .n1 = q };
        if (!parse_value(ps, q, &e)) {
            free_node(&e);
            return false;
        }
        finish_member(ps, &e);
        if (!push(a, &e)) {
            free_node(&e);
            return fail_at(ps, q);
        }
        chunk = e.c1;
        if (e.term == CT_NONE) {
            q = skip_space(t, chunk);
            if (t[q] != closer)
                return fail_at(ps, q);
        } else if (t[e.term] != ',') {
            return fail_at(ps, e.term);
        }
    }
}

static size_t string_end(const char *t, size_t i)
{
    for (i++; t[i] && t[i] != '"'; i++)
        if (t[i] == '\\' && t[i + 1])
            i++;
    return t[i] ? i + 1 : i;
}

static bool parse_value(struct ps *ps, size_t i, struct ct_node *n)
{
    const char *t = ps->t;
    n->v0 = i;
    n->term = n->comment = CT_NONE;
    char c = t[i];
    if (c == '{' || c == '(' || c == '[') {
        n->kind = c == '{' ? CT_GROUP : c == '(' ? CT_LIST : CT_ARRAY;
        n->head = head_of(t, i);
        return c == '{' ? parse_members(ps, n, n->head, '}')
                        : parse_elements(ps, n, n->head, c == '(' ? ')' : ']');
    }
    n->kind = CT_SCALAR;
    if (c == '"') {
        size_t e = string_end(t, i);
        /* adjacent strings are one value */
        for (size_t q = skip_space(t, e); t[q] == '"'; q = skip_space(t, e))
            e = string_end(t, q);
        n->v1 = e;
        return true;
    }
    size_t e = i;
    while (t[e] && !strchr(" \t\r\n\f\v;,)]}#/", t[e]))
        e++;
    if (e == i)
        return fail_at(ps, i);
    n->v1 = e;
    return true;
}

static void free_node(struct ct_node *n)
{
    for (int i = 0; i < n->n_kid; i++)
        free_node(&n->kid[i]);
    free(n->kid);
    n->kid = NULL;
    n->n_kid = 0;
}

int flyt__ct_parse(const char *text, struct ct_doc *doc, int *bad_line)
{
    memset(doc, 0, sizeof *doc);
    doc->text = text;
    struct ps ps = { .t = text, .bad = CT_NONE };
    /* a byte-order mark stays in the text, outside every chunk */
    size_t start = strncmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    doc->root = (struct ct_node){ .kind = CT_GROUP, .v0 = start, .head = start };
    doc->root.term = doc->root.comment = CT_NONE;
    if (!parse_members(&ps, &doc->root, start, '\0')) {
        int line = 1;
        for (size_t i = 0; i < ps.bad && text[i]; i++)
            line += text[i] == '\n';
        *bad_line = line;
        free_node(&doc->root);
        return -1;
    }
    doc->root.v1 = strlen(text);
    doc->has_include = ps.has_include;
    return 0;
}

void flyt__ct_free(struct ct_doc *doc)
{
    free_node(&doc->root);
}

bool flyt__ct_name_is(const struct ct_doc *doc, const struct ct_node *n, const char *name)
{
    size_t len = strlen(name);
    return n->kind != CT_INCLUDE && n->n1 - n->n0 == len &&
           memcmp(doc->text + n->n0, name, len) == 0;
}

const struct ct_node *flyt__ct_member(const struct ct_doc *doc, const struct ct_node *group,
                                      const char *name)
{
    if (!group || group->kind != CT_GROUP)
        return NULL;
    for (int i = 0; i < group->n_kid; i++)
        if (flyt__ct_name_is(doc, &group->kid[i], name))
            return &group->kid[i];
    return NULL;
}

void flyt__ct_put(struct ct_buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *t = realloc(b->s, cap);
        if (!t) {
            b->failed = true;
            return;
        }
        b->s = t;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void flyt__ct_puts(struct ct_buf *b, const char *s)
{
    flyt__ct_put(b, s, strlen(s));
}

void flyt__ct_copy(struct ct_buf *b, const char *text, size_t a, size_t c)
{
    if (c > a)
        flyt__ct_put(b, text + a, c - a);
}
