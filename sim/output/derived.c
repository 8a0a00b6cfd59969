/* A scenario file derived from another (flyt calibrate's fitted one, flyt
 * optimise's chosen one): what the loader read, with the tool's values in
 * place, under a header that says what produced it. libconfig writes the
 * tree but not the original's comments, so the header says they are lost
 * and names the original. Written like every output: a temporary file,
 * fsynced, renamed over path. */
#include "flyt/outfile.h"
#include "flyt/scenario.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

void flyt_out_comment(FILE *out, const char *text)
{
    for (const char *c = text ? text : ""; *c; c++)
        fputc(*c == '\n' || *c == '\r' ? ' ' : *c, out);
}

static void head(FILE *out, const struct flyt_derived_file *d, const struct flyt_scenario *s)
{
    char when[64] = "";
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm))
        strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
    fprintf(out, "# %s ", d->what);
    flyt_out_comment(out, d->spec_path);
    fprintf(out, " on %s.\n", when);
    if (d->command_line && *d->command_line) {
        fputs("# Command: ", out);
        flyt_out_comment(out, d->command_line);
        fputc('\n', out);
    }
    fputs("# Scenario: ", out);
    flyt_out_comment(out, d->scenario_path ? d->scenario_path : "<embedded default>");
    fputs(" ('", out);
    flyt_out_comment(out, s->name);
    fputs("')", out);
    for (int i = 0; i < d->n_sets; i++) {
        fputs(i ? ", " : " with ", out);
        flyt_out_comment(out, d->sets[i]);
    }
    fputs(".\n", out);
    if (d->body)
        d->body(out, d->ctx);
    if (d->text) {
        fprintf(out,
                "# Below is that scenario's own text with the %s in place, each with a\n"
                "# comment on the records behind it; every other value, and its comment, is the\n"
                "# original's.\n\n",
                d->values);
        return;
    }
    fprintf(out,
            "# Below is the scenario as flyt read it (after @include, the changes above and the\n"
            "# %s), in libconfig's own layout: the original file's comments and\n"
            "# layout are lost; see the original for the sources of every value.\n\n",
            d->values);
}

struct derived_arg {
    const struct flyt_scenario *s;
    const struct flyt_derived_file *d;
};

static int derived_body(FILE *out, const void *arg)
{
    const struct derived_arg *a = arg;
    head(out, a->d, a->s);
    fputs(a->d->text ? a->d->text : a->s->resolved_text, out);
    return 0;
}

int flyt_out_write_derived(const char *path, enum flyt_out_kind kind, const struct flyt_scenario *s,
                           const struct flyt_derived_file *d, char *err, size_t errlen)
{
    const struct derived_arg a = { s, d };
    return flyt_out_write(path, kind, derived_body, &a, err, errlen);
}
