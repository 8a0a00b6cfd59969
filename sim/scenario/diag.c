#include "flyt/scenario.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void flyt_diag_init(struct flyt_diag *d)
{
    memset(d, 0, sizeof *d);
}

void flyt_diag_free(struct flyt_diag *d)
{
    free(d->text);
    free(d->warnings);
    memset(d, 0, sizeof *d);
}

static void append(char **text, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 256;
        while (c < *len + n + 1)
            c *= 2;
        char *t = realloc(*text, c);
        if (!t)
            return; /* keep what we have: the count still says it failed */
        *text = t;
        *cap = c;
    }
    memcpy(*text + *len, s, n);
    *len += n;
    (*text)[*len] = '\0';
}

/* fmt comes from the callers' checked formats (flyt_diag_add/_warn) */
static void add(char **text, size_t *len, size_t *cap, const char *kind, const char *file, int line,
                const char *key, const char *fmt, va_list ap) __attribute__((format(printf, 8, 0)));

static void add(char **text, size_t *len, size_t *cap, const char *kind, const char *file, int line,
                const char *key, const char *fmt, va_list ap)
{
    char head[512], msg[1024];
    /* Line 0 means the whole file (cannot open it, say): no line to name. */
    char where[300];
    if (line > 0)
        snprintf(where, sizeof where, "%s:%d", file ? file : "<input>", line);
    else
        snprintf(where, sizeof where, "%s", file ? file : "<input>");
    if (key && *key)
        snprintf(head, sizeof head, "%s: %s: %s: ", where, kind, key);
    else
        snprintf(head, sizeof head, "%s: %s: ", where, kind);
    vsnprintf(msg, sizeof msg, fmt, ap);
    append(text, len, cap, head, strlen(head));
    append(text, len, cap, msg, strlen(msg));
    append(text, len, cap, "\n", 1);
}

void flyt_diag_add(struct flyt_diag *d, const char *file, int line, const char *key,
                   const char *fmt, ...)
{
    if (d->n_errors >= FLYT_DIAG_MAX_SHOWN) {
        if (d->n_errors++ == FLYT_DIAG_MAX_SHOWN) {
            static const char note[] = "(more errors follow; only the first 200 are shown)\n";
            append(&d->text, &d->len, &d->cap, note, sizeof note - 1);
        }
        return;
    }
    d->n_errors++;
    va_list ap;
    va_start(ap, fmt);
    add(&d->text, &d->len, &d->cap, "error", file, line, key, fmt, ap);
    va_end(ap);
}

static void split(const char *line, struct flyt_diag_line *out)
{
    const char *err = strstr(line, ": error: ");
    out->error = err != NULL;
    out->what = err ? err + strlen(": error: ") : line;
    out->where[0] = '\0';
    out->line = 0;
    if (!err)
        return;
    size_t wl =
            (size_t)(err - line) < sizeof out->where ? (size_t)(err - line) : sizeof out->where - 1;
    memcpy(out->where, line, wl);
    out->where[wl] = '\0';
    char *colon = strrchr(out->where, ':');
    if (colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
        out->line = atoi(colon + 1);
        *colon = '\0';
    }
}

void flyt_diag_relay(struct flyt_diag *d, const char *text, flyt_diag_relay_fn fn, const void *ctx)
{
    char line[2048];
    for (const char *p = text ? text : ""; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len >= sizeof line)
            len = sizeof line - 1;
        memcpy(line, p, len);
        line[len] = '\0';
        if (len) {
            struct flyt_diag_line l;
            split(line, &l);
            fn(d, line, &l, ctx);
        }
        p = nl ? nl + 1 : p + strlen(p);
    }
}

void flyt_diag_warn(struct flyt_diag *d, const char *file, int line, const char *key,
                    const char *fmt, ...)
{
    /* a file can warn once per unit, and units are many */
    if (d->n_warnings++ >= FLYT_DIAG_MAX_SHOWN)
        return;
    va_list ap;
    va_start(ap, fmt);
    add(&d->warnings, &d->wlen, &d->wcap, "warning", file, line, key, fmt, ap);
    va_end(ap);
}
