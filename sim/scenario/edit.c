/* Value edits by key path on a scenario's own text (cfgtext's map of
 * positions), so comments and layout outside the edited values survive.
 * Each edit reparses the text it produced: a few hundred edits of a
 * scenario of some kilobytes cost nothing next to a fit, and positions
 * never go stale. */
#include "flyt/scenario_edit.h"
#include "scenario/cfgtext.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The element of a list whose id member is the string id. */
static const struct ct_node *element_by_id(const struct ct_doc *doc, const struct ct_node *list,
                                           const char *id, size_t len)
{
    for (int i = 0; i < list->n_kid; i++) {
        const struct ct_node *e = &list->kid[i];
        if (e->kind != CT_GROUP)
            continue;
        const struct ct_node *v = flyt__ct_member(doc, e, "id");
        if (v && v->kind == CT_SCALAR && v->v1 - v->v0 == len + 2 && doc->text[v->v0] == '"' &&
            memcmp(doc->text + v->v0 + 1, id, len) == 0)
            return e;
    }
    return NULL;
}

static const struct ct_node *member_n(const struct ct_doc *doc, const struct ct_node *g,
                                      const char *name, size_t len)
{
    for (int i = 0; i < g->n_kid; i++) {
        const struct ct_node *m = &g->kid[i];
        if (m->kind != CT_INCLUDE && m->n1 - m->n0 == len &&
            memcmp(doc->text + m->n0, name, len) == 0)
            return m;
    }
    return NULL;
}

/* Spaces and tabs that start the line holding position i. */
static size_t indent_of(const char *t, size_t i, size_t *start)
{
    size_t a = i;
    while (a > 0 && t[a - 1] != '\n')
        a--;
    size_t b = a;
    while (t[b] == ' ' || t[b] == '\t')
        b++;
    *start = a;
    return b - a;
}

/* value with every line after the first indented by ind. */
static void put_value(struct ct_buf *b, const char *value, const char *ind, size_t n_ind)
{
    for (const char *c = value; *c; c++) {
        flyt__ct_put(b, c, 1);
        if (*c == '\n' && c[1])
            flyt__ct_put(b, ind, n_ind);
    }
}

/* "# comment"; nothing for NULL */
static void put_comment(struct ct_buf *b, const char *comment)
{
    if (!comment)
        return;
    flyt__ct_puts(b, "# ");
    for (const char *c = comment; *c; c++)
        flyt__ct_put(b, *c == '\n' || *c == '\r' ? " " : c, 1);
}

static bool rest_of_line_blank(const char *t, size_t i)
{
    while (t[i] == ' ' || t[i] == '\t' || t[i] == '\r')
        i++;
    return t[i] == '\n' || t[i] == '\0';
}

/* Replaces m's value (and the comment after it on its line, which spoke
 * of the old value). When more of the file follows on the key's line, the
 * comment goes on a line of its own above it instead. */
static void replace(struct ct_buf *b, const struct ct_doc *doc, const struct ct_node *m,
                    const struct flyt_scenario_edit *e)
{
    const char *t = doc->text;
    size_t ls;
    size_t n_ind = indent_of(t, m->n0, &ls);
    size_t after = m->term != CT_NONE ? m->term + 1 : m->v1;
    bool inline_comment = m->comment != CT_NONE || rest_of_line_blank(t, after);
    if (!inline_comment && e->comment) {
        flyt__ct_copy(b, t, 0, ls);
        flyt__ct_put(b, t + ls, n_ind);
        put_comment(b, e->comment);
        flyt__ct_puts(b, "\n");
        flyt__ct_copy(b, t, ls, m->v0);
    } else {
        flyt__ct_copy(b, t, 0, m->v0);
    }
    put_value(b, e->value, t + ls, n_ind);
    flyt__ct_copy(b, t, m->v1, after);
    if (m->comment != CT_NONE) {
        size_t end = m->comment;
        while (end > after && (t[end - 1] == ' ' || t[end - 1] == '\t'))
            end--;
        flyt__ct_copy(b, t, after, end);
        if (e->comment)
            flyt__ct_puts(b, " ");
        put_comment(b, e->comment);
        flyt__ct_puts(b, t + m->c1);
    } else {
        if (inline_comment && e->comment) {
            flyt__ct_puts(b, " ");
            put_comment(b, e->comment);
        }
        if (!inline_comment && strchr(e->value, '\n')) {
            /* what followed the key on its line starts a line of its own */
            size_t next = after;
            while (t[next] == ' ' || t[next] == '\t')
                next++;
            flyt__ct_puts(b, "\n");
            flyt__ct_put(b, t + ls, n_ind);
            after = next;
        }
        flyt__ct_puts(b, t + after);
    }
}

/* Adds "seg[0] = { seg[1] = { ... value ... }; };" at the end of group g. */
static void insert(struct ct_buf *b, const struct ct_doc *doc, const struct ct_node *g,
                   const char *rest, const struct flyt_scenario_edit *e, size_t depth_hint)
{
    const char *t = doc->text;
    size_t at, n_ind, ls;
    char ind[64];
    if (g->n_kid > 0) {
        const struct ct_node *last = &g->kid[g->n_kid - 1];
        at = last->c1;
        n_ind = indent_of(t, last->n0, &ls);
        if (n_ind >= sizeof ind)
            n_ind = sizeof ind - 1;
        memcpy(ind, t + ls, n_ind);
    } else {
        at = g == &doc->root ? strlen(t) : g->head;
        n_ind = depth_hint * 2 < sizeof ind ? depth_hint * 2 : sizeof ind - 1;
        memset(ind, ' ', n_ind);
    }
    ind[n_ind] = '\0';
    flyt__ct_copy(b, t, 0, at);
    /* each new line begins with its line break: the text at `at` goes on
     * with the break that ended the last member's line */
    int open = 0;
    char inner[80];
    snprintf(inner, sizeof inner, "%s", ind);
    for (const char *s = rest;;) {
        const char *dot = strchr(s, '.');
        size_t len = dot ? (size_t)(dot - s) : strlen(s);
        flyt__ct_puts(b, "\n");
        flyt__ct_puts(b, inner);
        flyt__ct_put(b, s, len);
        flyt__ct_puts(b, " = ");
        if (!dot) {
            put_value(b, e->value, inner, strlen(inner));
            flyt__ct_puts(b, ";");
            if (e->comment) {
                flyt__ct_puts(b, " ");
                put_comment(b, e->comment);
            }
            break;
        }
        flyt__ct_puts(b, "{");
        open++;
        if (strlen(inner) + 2 < sizeof inner)
            strcat(inner, "  ");
        s = dot + 1;
    }
    while (open-- > 0) {
        inner[strlen(inner) >= 2 ? strlen(inner) - 2 : 0] = '\0';
        flyt__ct_puts(b, "\n");
        flyt__ct_puts(b, inner);
        flyt__ct_puts(b, "};");
    }
    flyt__ct_puts(b, t + at);
}

static char *apply(const char *text, const struct flyt_scenario_edit *e, char *err, size_t errlen)
{
    struct ct_doc doc;
    int bad = 0;
    if (flyt__ct_parse(text, &doc, &bad) != 0) {
        snprintf(err, errlen, "the scenario's text cannot be followed at line %d", bad);
        if (getenv("FLYT_DEBUG_EDIT"))
            fputs(text, stderr);
        return NULL;
    }
    struct ct_buf b = { 0 };
    const struct ct_node *at = &doc.root;
    const char *s = e->path;
    size_t depth = 0;
    for (;;) {
        const char *dot = strchr(s, '.');
        size_t len = dot ? (size_t)(dot - s) : strlen(s);
        const struct ct_node *next = NULL;
        if (at->kind == CT_GROUP)
            next = member_n(&doc, at, s, len);
        else if (at->kind == CT_LIST)
            next = element_by_id(&doc, at, s, len);
        else {
            snprintf(err, errlen, "%s: runs through a value", e->path);
            break;
        }
        if (!next) {
            if (at->kind == CT_LIST) {
                snprintf(err, errlen, "%s: no element with id '%.*s'", e->path, (int)len, s);
                break;
            }
            if (e->value)
                insert(&b, &doc, at, s, e, depth + 1);
            else
                flyt__ct_puts(&b, doc.text); /* removing what is not there */
            goto done;
        }
        if (!dot) {
            if (e->value) {
                replace(&b, &doc, next, e);
            } else { /* removed with its chunk: the comment lines above it too */
                flyt__ct_copy(&b, doc.text, 0, next->c0);
                flyt__ct_puts(&b, doc.text + next->c1);
            }
            goto done;
        }
        at = next;
        s = dot + 1;
        depth++;
    }
    flyt__ct_free(&doc);
    free(b.s);
    return NULL;
done:
    flyt__ct_free(&doc);
    if (b.failed) {
        free(b.s);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    return b.s;
}

char *flyt_scenario_edit_text(const char *text, const struct flyt_scenario_edit *edits, int n,
                              char *err, size_t errlen)
{
    char *cur = strdup(text);
    for (int i = 0; cur && i < n; i++) {
        char *next = apply(cur, &edits[i], err, errlen);
        free(cur);
        cur = next;
    }
    if (!cur && n == 0)
        snprintf(err, errlen, "out of memory");
    return cur;
}
