#include "flyt/scenario.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void flyt_diag_init(struct flyt_diag *d)
{
    memset(d, 0, sizeof *d);
}

void flyt_diag_free(struct flyt_diag *d)
{
    free(d->text);
    memset(d, 0, sizeof *d);
}

static void append(struct flyt_diag *d, const char *s, size_t n)
{
    if (d->len + n + 1 > d->cap) {
        size_t cap = d->cap ? d->cap : 256;
        while (cap < d->len + n + 1)
            cap *= 2;
        char *t = realloc(d->text, cap);
        if (!t)
            return; /* keep what we have: the count still says it failed */
        d->text = t;
        d->cap = cap;
    }
    memcpy(d->text + d->len, s, n);
    d->len += n;
    d->text[d->len] = '\0';
}

void flyt_diag_add(struct flyt_diag *d, const char *file, int line, const char *key,
                   const char *fmt, ...)
{
    if (d->n_errors >= FLYT_DIAG_MAX_SHOWN) {
        if (d->n_errors++ == FLYT_DIAG_MAX_SHOWN) {
            static const char note[] = "(more errors follow; only the first 200 are shown)\n";
            append(d, note, sizeof note - 1);
        }
        return;
    }
    char head[512], msg[1024];
    /* Line 0 means the whole file (cannot open it, say): no line to name. */
    char where[300];
    if (line > 0)
        snprintf(where, sizeof where, "%s:%d", file ? file : "<input>", line);
    else
        snprintf(where, sizeof where, "%s", file ? file : "<input>");
    if (key && *key)
        snprintf(head, sizeof head, "%s: error: %s: ", where, key);
    else
        snprintf(head, sizeof head, "%s: error: ", where);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    d->n_errors++;
    append(d, head, strlen(head));
    append(d, msg, strlen(msg));
    append(d, "\n", 1);
}
