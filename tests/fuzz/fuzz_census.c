/* libFuzzer target: the census reader (flyt forecast --census) on arbitrary
 * bytes. It must not crash, hang or leak, and it must never lose a row in
 * silence: when it accepts a file, every line after the header that holds
 * anything but separators, quotes and spaces (isspace, as the reader
 * trims) is a patient. */
#include "fuzz.h"

#include "flyt/date.h"
#include "flyt/forecast.h"
#include "flyt/scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Lines that must each be a patient when the file is accepted (at least),
 * and lines that may be (at most): split at LF, CRLF and CR as documented. */
static void count_rows(const uint8_t *d, size_t n, size_t *must, size_t *may)
{
    bool header = false;
    *must = *may = 0;
    for (size_t pos = 0, i; pos < n;
         pos = i + (i < n && d[i] == '\r' && i + 1 < n && d[i + 1] == '\n' ? 2 : 1)) {
        for (i = pos; i < n && d[i] != '\n' && d[i] != '\r'; i++)
            ;
        size_t a = pos;
        if (i - a >= 3 && d[a] == 0xEF && d[a + 1] == 0xBB && d[a + 2] == 0xBF)
            a += 3;
        bool blank = true, only_seps = true;
        for (size_t k = a; k < i; k++) {
            blank = blank && (d[k] == ' ' || d[k] == '\t' || d[k] == '\v' || d[k] == '\f');
            only_seps = only_seps && strchr(",;\t \"\v\f", d[k]) && d[k];
        }
        if (blank || (!header && a < i && d[a] == '#'))
            continue;
        if (!header) {
            header = true;
            continue;
        }
        (*may)++;
        *must += !only_seps;
    }
}

/* Rows name places by the scenario's unit ids: read against the embedded
 * scenario (hospital, short_term, nursing_home, home_care), loaded once, so
 * that a row naming a unit or an alias of one is read, not refused. */
static const struct flyt_scenario *scenario(void)
{
    static struct flyt_scenario *s;
    if (!s) {
        struct flyt_diag diag;
        flyt_diag_init(&diag);
        s = flyt_scenario_load(NULL, NULL, 0, &diag);
        flyt_diag_free(&diag);
        if (!s)
            abort();
    }
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/fuzz-census-%d.csv", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    struct flyt_diag diag;
    flyt_diag_init(&diag);
    struct flyt_census c = { 0 };
    int day;
    struct flyt_census_read_opts o = { NULL, 0, scenario(), flyt_days_from_civil(2025, 3, 14),
                                       NULL };
    int rc = flyt_census_read(path, &o, &c, &day, &diag);
    unlink(path);
    size_t must, may;
    count_rows(data, size, &must, &may);
    if (rc == 0 && (diag.n_errors != 0 || c.n < must || c.n > may))
        abort(); /* a row lost or invented without a word */
    if (rc != 0 && diag.n_errors == 0)
        abort();
    for (size_t i = 1; i < c.n; i++)
        if (c.p[i].row <= c.p[i - 1].row)
            abort();
    /* every accepted place and destination is one the model can hold */
    const struct flyt_scenario *s = scenario();
    for (size_t i = 0; i < c.n; i++) {
        const struct flyt_census_patient *p = &c.p[i];
        if (p->loc < FLYT_CENSUS_HOSPITAL || p->loc >= s->n_units || p->loc == s->hospital ||
            p->dest < -1 || p->dest >= s->n_units || p->dest == s->hospital ||
            (p->dest >= 0 && (p->dest == p->loc || p->loc == FLYT_CENSUS_HOSPITAL)))
            abort();
    }
    flyt_census_free(&c);
    flyt_diag_free(&diag);
    return 0;
}
