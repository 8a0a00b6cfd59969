/*
 * Loading a sweep: the sweep file, its base scenario, and the base at
 * every point. Each point is the base text with "--set" overrides (the
 * sweep's fixed ones first, then one per parameter), loaded by the
 * scenario loader itself, so a point is valid exactly when the same
 * scenario typed by hand would be. The loader reports problems with a
 * value as "--set:K"; they are moved to the sweep file's line that gave
 * the value.
 */
#include "flyt/sweep.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE_BYTES (16u << 20)

static char *read_text(const char *path, struct flyt_diag *diag, const char *who, int line)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0;
    if (f) {
        buf = malloc(MAX_FILE_BYTES + 1);
        len = buf ? fread(buf, 1, MAX_FILE_BYTES + 1, f) : 0;
        if (buf && (ferror(f) || len > MAX_FILE_BYTES || memchr(buf, '\0', len))) {
            free(buf);
            buf = NULL;
            errno = EINVAL;
        }
        fclose(f);
    }
    if (!buf) {
        if (who)
            flyt_diag_add(diag, who, line, "base", "cannot read the base scenario '%s': %s", path,
                          strerror(errno));
        else
            flyt_diag_add(diag, path, 0, NULL, "cannot read: %s", strerror(errno));
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

static char *join_path(const char *sweep_path, const char *rel)
{
    const char *slash = strrchr(sweep_path, '/');
    size_t dlen = rel[0] != '/' && slash ? (size_t)(slash - sweep_path) + 1 : 0;
    char *p = malloc(dlen + strlen(rel) + 1);
    if (p) {
        memcpy(p, sweep_path, dlen);
        strcpy(p + dlen, rel);
    }
    return p;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return NULL;
    char *d = malloc((size_t)(slash - path) + 1);
    if (d) {
        memcpy(d, path, (size_t)(slash - path));
        d[slash - path] = '\0';
    }
    return d;
}

/* FNV-1a, 64 bit: enough to tell sweep files apart, and easy to reproduce. */
static uint64_t fnv1a(uint64_t h, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* Re-adds one "file:line: error: message" line as it is. */
static void copy_line(struct flyt_diag *out, const char *p, size_t n)
{
    char line[2048], *msg;
    snprintf(line, sizeof line, "%.*s", (int)n, p);
    if (!(msg = strstr(line, ": error: "))) {
        flyt_diag_add(out, NULL, 0, NULL, "%s", line);
    } else {
        *msg = '\0';
        msg += 9;
        char *colon = strrchr(line, ':'), *end = NULL;
        long ln = colon ? strtol(colon + 1, &end, 10) : 0;
        if (colon && end && *end == '\0' && ln > 0)
            *colon = '\0';
        else
            ln = 0;
        flyt_diag_add(out, line, (int)ln, NULL, "%s", msg);
    }
    out->n_errors--;
}

/* Moves "--set:K: error: ..." lines to the sweep file. K counts the fixed
 * overrides first, then the parameters; point < 0 for the fixed ones only. */
static void remap(const struct flyt_sweep *sw, const struct flyt_diag *in, long point,
                  struct flyt_diag *out)
{
    const char *p = in->text ? in->text : "";
    while (*p) {
        size_t n = strcspn(p, "\n");
        int k = 0, used = 0;
        if (sscanf(p, "--set:%d: %n", &k, &used) == 1 && used > 0 && k >= 1 &&
            (size_t)k <= sw->n_fixed + sw->n_params) {
            size_t ki = (size_t)k - 1;
            bool fixed = ki < sw->n_fixed;
            int line = fixed ? sw->fixed_line[ki] : sw->params[ki - sw->n_fixed].line;
            const char *rest = p + used;
            if (strncmp(rest, "error: ", 7) == 0)
                rest += 7;
            char where[1200];
            if (fixed)
                snprintf(where, sizeof where, " (set \"%s\")", sw->fixed[ki]);
            else
                snprintf(where, sizeof where, " (point %ld: %s=%s)", point,
                         sw->params[ki - sw->n_fixed].key,
                         sw->value_text[(size_t)point * sw->n_params + ki - sw->n_fixed]);
            flyt_diag_add(out, sw->source, line, NULL, "%.*s%s", (int)(n - (size_t)(rest - p)),
                          rest, where);
            out->n_errors--; /* counted once per failing load below */
        } else {
            copy_line(out, p, n); /* an error in the base file itself */
        }
        p += n + (p[n] == '\n');
    }
    out->n_errors++;
}

/* The base at one point; NULL with the reasons (remapped) in diag. */
static struct flyt_scenario *load_point(const struct flyt_sweep *sw, const char *dir, long point,
                                        struct flyt_diag *diag)
{
    size_t n = sw->n_fixed + (point >= 0 ? sw->n_params : 0);
    const char **sets = calloc(n + 1, sizeof *sets);
    char **own = calloc(n + 1, sizeof *own);
    struct flyt_scenario *s = NULL;
    if (!sets || !own) {
        flyt_diag_add(diag, sw->source, 0, NULL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < sw->n_fixed; i++)
        sets[i] = sw->fixed[i];
    for (size_t j = 0; point >= 0 && j < sw->n_params; j++) {
        const char *v = sw->value_text[(size_t)point * sw->n_params + j];
        size_t len = strlen(sw->params[j].key) + strlen(v) + 2;
        own[j] = malloc(len);
        if (!own[j]) {
            flyt_diag_add(diag, sw->source, 0, NULL, "out of memory");
            goto out;
        }
        snprintf(own[j], len, "%s=%s", sw->params[j].key, v);
        sets[sw->n_fixed + j] = own[j];
    }
    struct flyt_diag d;
    flyt_diag_init(&d);
    s = flyt_scenario_load_string(sw->base_text, sw->base_path, dir, sets, (int)n, &d);
    if (!s)
        remap(sw, &d, point, diag);
    /* the base's plausibility warnings go to the caller, who prints them
     * as flyt run does; a point's own would repeat for every point */
    if (s && point < 0 && d.warnings && !diag->warnings) {
        diag->warnings = d.warnings;
        diag->wlen = d.wlen;
        diag->wcap = d.wcap;
        diag->n_warnings = d.n_warnings;
        d.warnings = NULL;
    }
    flyt_diag_free(&d);
out:
    for (size_t j = 0; own && j < n; j++)
        free(own[j]);
    free(own);
    free(sets);
    return s;
}

struct flyt_scenario *flyt_sweep_load_point(const struct flyt_sweep *sw, size_t point,
                                            struct flyt_diag *diag)
{
    char *dir = dir_of(sw->base_path);
    struct flyt_scenario *s = sw->base_path && (dir || !strchr(sw->base_path, '/'))
                                      ? load_point(sw, dir, (long)point, diag)
                                      : NULL;
    /* every point would need its own pilot, and points would no longer
     * differ only in their parameters */
    if (s && s->warmup_auto) {
        flyt_diag_add(diag, sw->base_path, 0, "run.warmup_days",
                      "\"auto\" is for flyt run only: run the base there (flyt run "
                      "--warmup auto) and give the warm-up it chose in days");
        flyt_scenario_free(s);
        s = NULL;
    }
    if (!s && diag->n_errors == 0)
        flyt_diag_add(diag, sw->source, 0, NULL, "out of memory");
    free(dir);
    return s;
}

void flyt_sweep_free_scenarios(struct flyt_scenario **s, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        flyt_scenario_free(s[i]);
    free(s);
}

static bool keep_units(struct flyt_sweep *sw, const struct flyt_scenario *s, struct flyt_diag *diag)
{
    sw->n_units = 0;
    sw->unit_ids = calloc(s->n_units > 0 ? (size_t)s->n_units : 1, sizeof *sw->unit_ids);
    for (int u = 0; sw->unit_ids && u < s->n_units; u++) {
        if (!(sw->unit_ids[u] = strdup(s->units[u].id)))
            break;
        sw->n_units++;
    }
    if (!sw->unit_ids || sw->n_units != (unsigned)s->n_units) {
        flyt_diag_add(diag, sw->source, 0, NULL, "out of memory");
        return false;
    }
    return true;
}

/* Every task's unit KPIs are stored, summarised and merged per unit id
 * across points, so a point whose units differ from point 0's has no
 * table to go in: it is refused before any work starts. */
static bool same_units(const struct flyt_sweep *sw, const struct flyt_scenario *s, size_t point,
                       struct flyt_diag *diag)
{
    bool same = s->n_units >= 0 && (unsigned)s->n_units == sw->n_units;
    for (unsigned u = 0; same && u < sw->n_units; u++)
        same = strcmp(s->units[u].id, sw->unit_ids[u]) == 0;
    if (same)
        return true;
    char first[512] = "", here[512] = "";
    for (unsigned u = 0, at = 0; u < sw->n_units && at < sizeof first; u++)
        at += (unsigned)snprintf(first + at, sizeof first - at, "%s%s", u ? ", " : "",
                                 sw->unit_ids[u]);
    for (int u = 0, at = 0; u < s->n_units && at < (int)sizeof here; u++)
        at += snprintf(here + at, sizeof here - (size_t)at, "%s%s", u ? ", " : "", s->units[u].id);
    char *sets = NULL;
    size_t len = 1;
    for (size_t j = 0; j < sw->n_params; j++)
        len += strlen(sw->params[j].key) + strlen(sw->value_text[point * sw->n_params + j]) + 2;
    if ((sets = malloc(len))) {
        size_t at = 0;
        sets[0] = '\0';
        for (size_t j = 0; j < sw->n_params; j++)
            at += (size_t)snprintf(sets + at, len - at, "%s%s=%s", j ? " " : "", sw->params[j].key,
                                   sw->value_text[point * sw->n_params + j]);
    }
    flyt_diag_add(diag, sw->source, sw->n_params ? sw->params[0].line : 0, "parameters",
                  "point %zu (%s) has the units [%s], point 0 [%s]: every point of a sweep must "
                  "have the same units, in the same order, so that their figures can be "
                  "compared; vary the units' settings, not the list",
                  point, sets ? sets : "?", here, first);
    free(sets);
    return false;
}

/* The base with the fixed overrides gives the seed, the replications and
 * the text the hash covers; then every point must load. */
static bool load_all(struct flyt_sweep *sw, struct flyt_scenario ***scenarios,
                     struct flyt_diag *diag)
{
    char *dir = dir_of(sw->base_path);
    struct flyt_scenario *base = load_point(sw, dir, -1, diag);
    bool ok = base != NULL;
    if (ok) {
        sw->seed = base->seed;
        if (sw->replications == 0)
            sw->replications = base->replications;
        uint64_t h = 0xcbf29ce484222325ULL;
        h = fnv1a(h, sw->text, strlen(sw->text) + 1);
        h = fnv1a(h, base->resolved_text, strlen(base->resolved_text) + 1);
        sw->hash = h;
    }
    flyt_scenario_free(base);
    /* Without scenarios each point is checked and let go at once: a point
     * is some 35 KB loaded, and 10^6 points must fit (docs/sweeps.md). */
    struct flyt_scenario **all = ok && scenarios ? calloc(sw->n_points, sizeof *all) : NULL;
    if (ok && scenarios && !all) {
        flyt_diag_add(diag, sw->source, 0, NULL, "out of memory");
        ok = false;
    }
    for (size_t p = 0; ok && p < sw->n_points; p++) {
        struct flyt_scenario *s = load_point(sw, dir, (long)p, diag);
        /* one failing point says it: the others would repeat it */
        ok = s != NULL && (p == 0 ? keep_units(sw, s, diag) : same_units(sw, s, p, diag));
        if (all)
            all[p] = s;
        else
            flyt_scenario_free(s);
    }
    free(dir);
    if (ok && scenarios)
        *scenarios = all;
    else
        flyt_sweep_free_scenarios(all, sw->n_points);
    return ok;
}

struct flyt_sweep *flyt_sweep_load(const char *path, struct flyt_scenario ***scenarios,
                                   struct flyt_diag *diag)
{
    if (scenarios)
        *scenarios = NULL;
    char *text = read_text(path, diag, NULL, 0);
    if (!text)
        return NULL;
    struct flyt_sweep *sw = flyt_sweep_parse(text, path, diag);
    free(text);
    if (!sw)
        return NULL;
    char *base = join_path(path, sw->base_path);
    free(sw->base_path);
    sw->base_path = base;
    sw->base_text = base ? read_text(base, diag, path, sw->base_line) : NULL;
    if (!sw->base_text || !load_all(sw, scenarios, diag)) {
        flyt_sweep_free(sw);
        return NULL;
    }
    return sw;
}
