/* population.arrivals_table, the key: where the table is (relative to the
 * scenario's folder, as @include files are), the keys it replaces, and
 * what the scenario keeps of it for provenance. The CSV is read by
 * arrivals_table.c. */
#include "flyt/date.h"
#include "scenario/arrivals_table.h"
#include "scenario/reader.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The factors a table's rates already hold: beside a table they would be
 * either ignored or applied twice, and a planner cannot tell which. */
static const char *const replaced[] = { "admissions_per_day", "month_factor", "weekday_factor",
                                        "growth_per_year", "growth_by_year" };

void flyt__rd_arrivals_alone(struct reader *rd, config_setting_t *pop, const char *named_by)
{
    for (size_t i = 0; i < sizeof replaced / sizeof *replaced; i++) {
        config_setting_t *x = config_setting_get_member(pop, replaced[i]);
        if (!x)
            continue;
        char key[300];
        flyt__rd_member_path(pop, replaced[i], key, sizeof key);
        flyt__rd_error(rd, x, key,
                       "not together with %s: the table gives each day's admissions, with "
                       "months, weekdays and growth in them; give one or the other",
                       named_by);
    }
}

static char *join(const char *dir, const char *name)
{
    size_t n = (dir && name[0] != '/' ? strlen(dir) + 1 : 0) + strlen(name) + 1;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s%s%s", dir && name[0] != '/' ? dir : "", dir && name[0] != '/' ? "/" : "",
                 name);
    return p;
}

/* path from the root, "." and ".." taken out (by name, as a shell's cd
 * does): the same table reached from another working folder is the same
 * text, so the hashes of the resolved text (checkpoints, journals) agree,
 * and a derived file written elsewhere still finds it */
static char *absolute(const char *path)
{
    char cwd[PATH_MAX];
    if (path[0] != '/' && !getcwd(cwd, sizeof cwd))
        return NULL;
    char *full = join(path[0] == '/' ? NULL : cwd, path);
    if (!full)
        return NULL;
    size_t n = 0; /* the length of the normalised path so far */
    for (char *seg = full, *next; *seg; seg = next) {
        size_t len = strcspn(seg, "/");
        next = seg + len + (seg[len] == '/');
        if (len == 0 || (len == 1 && seg[0] == '.'))
            continue;
        if (len == 2 && seg[0] == '.' && seg[1] == '.') {
            while (n > 0 && full[--n] != '/')
                ;
            continue;
        }
        full[n++] = '/';
        memmove(full + n, seg, len);
        n += len;
    }
    if (n == 0)
        full[n++] = '/';
    full[n] = '\0';
    return full;
}

void flyt__rd_arrivals_free(struct flyt_arrivals *a)
{
    if (!a)
        return;
    free(a->path);
    free(a->rate);
    free(a);
}

double flyt__rd_arrivals_mean(const struct flyt_arrivals *a)
{
    double sum = 0;
    for (size_t d = 0; d < a->n_days; d++)
        sum += a->rate[d];
    return a->n_days ? sum / (double)a->n_days : 0;
}

/* The whole file; NULL with why set. */
static char *slurp(const char *path, size_t *len, char *why, size_t why_len)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(why, why_len, "%s", strerror(errno));
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) { /* a FIFO would wait for ever, a device never end */
        snprintf(why, why_len, "%s, not a file",
                 S_ISDIR(st.st_mode) ? "a folder" : "a device or pipe");
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, why_len, "%s", strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t n = 0, cap = 0, got;
    char chunk[65536];
    why[0] = '\0';
    while (!why[0] && (got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (n + got > FLYT_ARRIVALS_MAX_BYTES) {
            snprintf(why, why_len, "larger than %u MiB: not a table of days",
                     FLYT_ARRIVALS_MAX_BYTES >> 20);
            break;
        }
        if (n + got > cap) {
            char *b = realloc(buf, cap = 2 * (n + got));
            if (!b) {
                snprintf(why, why_len, "out of memory");
                break;
            }
            buf = b;
        }
        memcpy(buf + n, chunk, got);
        n += got;
    }
    if (!why[0] && ferror(f))
        snprintf(why, why_len, "%s", strerror(errno));
    fclose(f);
    if (why[0]) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf ? buf : calloc(1, 1);
}

struct flyt_arrivals *flyt__rd_arrivals(struct reader *rd, config_setting_t *pop,
                                        const struct flyt_scenario *s)
{
    const char *name = NULL;
    if (!flyt__rd_str(rd, pop, "arrivals_table", false, &name) || !name)
        return NULL;
    config_setting_t *st = config_setting_get_member(pop, "arrivals_table");
    char key[300], where[300], named_by[700], why[256] = "out of memory";
    flyt__rd_path(st, key, sizeof key);
    flyt__rd_where(rd, st, where, sizeof where);
    snprintf(named_by, sizeof named_by, "%s at %s", key, where);
    flyt__rd_arrivals_alone(rd, pop, named_by);
    struct flyt_arrivals *a = calloc(1, sizeof *a);
    char *path = join(rd->dir, name), *text = NULL;
    size_t len = 0;
    if (a && path && (text = slurp(path, &len, why, sizeof why)) && !(a->path = absolute(path)))
        snprintf(why, sizeof why, "%s", strerror(errno));
    if (!text || !a->path) {
        flyt__rd_error(rd, st, key, "cannot read the arrivals table \"%s\" (looked for %s): %s",
                       name, path ? path : name, why);
        goto fail;
    }
    a->n_days = (size_t)ceil(s->horizon_days);
    a->rate = malloc(sizeof(double) * (a->n_days ? a->n_days : 1));
    if (!a->rate) {
        flyt__rd_error(rd, st, key, "out of memory");
        goto fail;
    }
    int day0 = flyt_days_from_civil(s->start_year, s->start_month, s->start_mday);
    if (flyt__arrivals_parse(path, text, len, day0, a->n_days, named_by, a->rate, rd->diag) != 0)
        goto fail;
    /* the resolved text (HDF5 provenance, calibrate's and optimise's
     * derived files) must find the table from wherever it is written */
    config_setting_set_string(st, a->path);
    free(text);
    free(path);
    return a;
fail:
    free(text);
    free(path);
    flyt__rd_arrivals_free(a);
    return NULL;
}

/* The shortest text that reads back as x: the table's own 5.2 stays 5.2. */
static void shortest(double x, char *buf, size_t n)
{
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, x);
        if (strtod(buf, NULL) == x)
            return;
    }
}

static void note_one(FILE *f, const char *key, const struct flyt_arrivals *a, int day0)
{
    char date[16], num[40];
    fprintf(f,
            "\n# %s \"%s\": admissions per day as read for the run's %zu days, a week a line:", key,
            a->path, a->n_days);
    for (size_t d = 0; d < a->n_days; d++) {
        if (d % 7 == 0) {
            int y, m, md;
            flyt_civil_from_days(day0 + (int)d, &y, &m, &md);
            snprintf(date, sizeof date, "%04d-%02d-%02d", y, m, md);
            fprintf(f, "\n#   %s", date);
        }
        shortest(a->rate[d], num, sizeof num);
        fprintf(f, " %s", num);
    }
    fputc('\n', f);
}

char *flyt__rd_arrivals_note(const struct flyt_scenario *s, char *text)
{
    bool any = s->arrivals != NULL;
    for (int i = 0; i < s->n_munis; i++)
        any = any || s->munis[i].pop.own_arrivals;
    if (!any)
        return text;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return text;
    fputs(text, f);
    int day0 = flyt_days_from_civil(s->start_year, s->start_month, s->start_mday);
    if (s->arrivals)
        note_one(f, "population.arrivals_table", s->arrivals, day0);
    for (int i = 0; i < s->n_munis; i++)
        if (s->munis[i].pop.own_arrivals) {
            char key[FLYT_ID_LEN + 64];
            snprintf(key, sizeof key, "municipalities.%s.population.arrivals_table",
                     s->munis[i].id);
            note_one(f, key, s->munis[i].pop.arrivals, day0);
        }
    if (fclose(f) != 0) {
        free(buf);
        return text;
    }
    free(text);
    return buf;
}
