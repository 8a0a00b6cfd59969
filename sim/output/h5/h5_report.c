/*
 * flyt report: reads a flyt file back and prints its summary tables, by
 * the root attribute `kind` (a run file written before `kind` existed has
 * /summary and is read as a run). Everything is read as the file states it;
 * nothing is recomputed, so the figures are those flyt printed when it ran.
 */
#include "flyt/report.h"
#include "output/h5/h5_common.h"
#include "output/h5/h5_fit_read.h"
#include "output/print/print_util.h"
#include "output/print/report_table.h"

#include <hdf5.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reader {
    hid_t file;
    struct flyt__h5_rd h; /* path, first error */
    struct flyt__table **tables;
    size_t n_tables;
    char note[256];
};

static struct flyt__table *add_table(struct reader *r, const char *title, const char *const *cols,
                                     size_t n_cols)
{
    struct flyt__table **ts = realloc(r->tables, (r->n_tables + 1) * sizeof *ts);
    struct flyt__table *t = ts ? flyt__table_new(title, cols, n_cols) : NULL;
    if (ts)
        r->tables = ts;
    if (!t) {
        flyt__h5_rd_fail(&r->h, "out of memory");
        return NULL;
    }
    r->tables[r->n_tables++] = t;
    return t;
}

/* Long texts (the scenario itself) are summarised by their first line and
 * size: the attribute is in the file for whoever needs all of it. */
static void attr_row(struct flyt__table *t, const char *name, const char *value)
{
    char shown[200];
    const char *nl = strchr(value, '\n');
    if (nl || strlen(value) > 120) {
        int head = nl ? (int)(nl - value) : 100;
        snprintf(shown, sizeof shown, "%.*s ... (%zu bytes)", head > 100 ? 100 : head, value,
                 strlen(value));
        value = shown;
    }
    flyt__table_row(t);
    flyt__table_text(t, name);
    flyt__table_text(t, value);
}

static herr_t each_attr(hid_t obj, const char *name, const H5A_info_t *info, void *arg)
{
    (void)info;
    char *buf = malloc(1 << 20);
    if (buf && flyt__h5_attr_text(obj, name, buf, 1 << 20))
        attr_row(arg, name, buf);
    free(buf);
    return 0;
}

static int all_attributes(struct reader *r, const char *title)
{
    static const char *const cols[] = { "attribute", "value" };
    struct flyt__table *t = add_table(r, title, cols, 2);
    if (!t)
        return -1;
    hsize_t idx = 0;
    H5Aiterate2(r->file, H5_INDEX_NAME, H5_ITER_INC, &idx, each_attr, t);
    return 0;
}

/* The attributes a reader needs to place the figures, in a fixed order. */
static int provenance(struct reader *r, const char *const *names, size_t n)
{
    static const char *const cols[] = { "attribute", "value" };
    struct flyt__table *t = add_table(r, "file", cols, 2);
    char buf[4096];
    for (size_t i = 0; t && i < n; i++)
        if (H5Aexists(r->file, names[i]) > 0 &&
            flyt__h5_attr_text(r->file, names[i], buf, sizeof buf))
            attr_row(t, names[i], buf);
    return t ? 0 : -1;
}

/* A summary group: string columns then numeric ones, one row per figure. */
struct column_spec {
    const char *dataset, *heading;
};

static int summary_table(struct reader *r, hid_t loc, const char *group, const char *title,
                         const struct column_spec *num, size_t n_num)
{
    hid_t g = H5Gopen2(loc, group, H5P_DEFAULT);
    if (g < 0)
        return flyt__h5_rd_fail(&r->h, "cannot open '%s' in '%s'", group, r->h.path);
    size_t n = 0, n_units = 0, len = 0;
    char **kpi = flyt__h5_rd_strings(&r->h, g, "kpi", &n);
    char **units = kpi && flyt__h5_has(g, "units")
                           ? flyt__h5_rd_strings(&r->h, g, "units", &n_units)
                           : NULL;
    const char *cols[16] = { "KPI", "units" };
    double *x[14] = { NULL };
    bool ok = true; /* as r->h.failed, which flyt__h5_rd_fail sets: said here for the analyzer */
    for (size_t j = 0; j < n_num && j < 14; j++) {
        cols[2 + j] = num[j].heading;
        if (kpi && !(x[j] = flyt__h5_rd_doubles(&r->h, g, num[j].dataset, &len, NULL))) {
            ok = false;
            break;
        }
        if (len != n) {
            flyt__h5_rd_fail(&r->h, "'%s/%s' in '%s' has %zu rows, kpi has %zu", group,
                             num[j].dataset, r->h.path, len, n);
            ok = false;
        }
    }
    struct flyt__table *t = !ok || r->h.failed ? NULL : add_table(r, title, cols, 2 + n_num);
    for (size_t i = 0; t && i < n; i++) {
        flyt__table_row(t);
        flyt__table_text(t, kpi[i]);
        flyt__table_text(t, units && i < n_units ? units[i] : "");
        for (size_t j = 0; j < n_num; j++)
            flyt__table_num(t, x[j][i]);
    }
    for (size_t j = 0; j < 14; j++)
        free(x[j]);
    flyt__h5_free_strings(kpi, n);
    flyt__h5_free_strings(units, n_units);
    H5Gclose(g);
    return r->h.failed ? -1 : 0;
}

static const struct column_spec run_cols[] = {
    { "mean", "mean" }, { "ci95_low", "ci95_low" }, { "ci95_high", "ci95_high" }, { "n", "n" }
};

static const struct column_spec diff_cols[] = {
    { "base_mean", "base" },
    { "variant_mean", "variant" },
    { "mean", "difference" },
    { "ci_low", "ci95_low" },
    { "ci_high", "ci95_high" },
    { "unpaired_half", "unpaired_half" },
    { "variance_reduction", "var_reduction" },
    { "n", "n" },
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* Groups below loc/path, in name order, each passed to fn. */
typedef int (*group_fn)(struct reader *r, hid_t g, const char *name, void *arg);

struct walk {
    struct reader *r;
    group_fn fn;
    void *arg;
    int rc;
};

static herr_t each_group(hid_t loc, const char *name, const H5L_info_t *info, void *arg)
{
    (void)info;
    struct walk *w = arg;
    H5O_info_t oi;
    if (H5Oget_info_by_name(loc, name, &oi, H5P_DEFAULT) < 0 || oi.type != H5O_TYPE_GROUP)
        return 0;
    hid_t g = H5Gopen2(loc, name, H5P_DEFAULT);
    if (g < 0)
        return 0;
    w->rc = w->fn(w->r, g, name, w->arg);
    H5Gclose(g);
    return w->rc < 0 ? 1 : 0;
}

static int each_subgroup(struct reader *r, hid_t loc, const char *path, group_fn fn, void *arg)
{
    if (!flyt__h5_has(loc, path))
        return 0;
    hid_t g = H5Gopen2(loc, path, H5P_DEFAULT);
    if (g < 0)
        return flyt__h5_rd_fail(&r->h, "cannot open '%s' in '%s'", path, r->h.path);
    struct walk w = { r, fn, arg, 0 };
    hsize_t idx = 0;
    H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, each_group, &w);
    H5Gclose(g);
    return w.rc;
}

static int role_summary(struct reader *r, hid_t g, const char *name, void *arg)
{
    (void)arg;
    char title[300];
    snprintf(title, sizeof title, "coordinator role '%s'", name);
    return summary_table(r, g, "summary", title, run_cols, N_OF(run_cols));
}

/* The care network: a table per unit, in the scenario's order, its rows
 * the KPIs that apply to the unit's kind (n > 0). */
static int unit_tables(struct reader *r)
{
    if (!flyt__h5_has(r->file, "units"))
        return 0; /* a file from before the network */
    hid_t g = H5Gopen2(r->file, "units", H5P_DEFAULT);
    if (g < 0)
        return flyt__h5_rd_fail(&r->h, "cannot open '/units' in '%s'", r->h.path);
    size_t n_ids = 0, n_kpi = 0, n_units = 0, n_names = 0, n_kinds = 0;
    char **ids = flyt__h5_rd_strings(&r->h, g, "ids", &n_ids);
    char **kpi = ids ? flyt__h5_attr_strings(g, "kpi", &n_kpi) : NULL;
    char **units = kpi ? flyt__h5_attr_strings(g, "kpi_units", &n_units) : NULL;
    char **names = units ? flyt__h5_attr_strings(g, "name", &n_names) : NULL;
    char **kinds = names ? flyt__h5_attr_strings(g, "kind", &n_kinds) : NULL;
    bool named = ids && kpi && units && names && kinds && n_units == n_kpi && n_names == n_ids &&
                 n_kinds == n_ids;
    if (ids && !named)
        flyt__h5_rd_fail(&r->h,
                         "cannot read the unit names, kinds and KPI names of '/units' in '%s'",
                         r->h.path);
    hsize_t dims[3] = { 0, 0, 0 };
    double *x = named ? flyt__h5_read_table(g, "summary", 3, dims) : NULL;
    /* summary: [unit x kpi x statistic], statistics mean, sd, ci95_low, ci95_high, n */
    bool shaped = x && dims[0] == n_ids && dims[1] == n_kpi && dims[2] == 5;
    if (named && !shaped)
        flyt__h5_rd_fail(
                &r->h,
                "'/units/summary' in '%s' is not a table of %zu units x %zu KPIs x 5 statistics",
                r->h.path, n_ids, n_kpi);
    static const char *const cols[] = { "KPI", "units", "mean", "ci95_low", "ci95_high", "n" };
    for (size_t i = 0; named && shaped && !r->h.failed && i < n_ids; i++) {
        char title[400];
        snprintf(title, sizeof title, "unit '%s' (%s; %s)", ids[i], names[i], kinds[i]);
        struct flyt__table *t = add_table(r, title, cols, 6);
        for (size_t k = 0; t && k < n_kpi; k++) {
            const double *v = x + (i * n_kpi + k) * 5;
            if (!(v[4] > 0))
                continue; /* not a figure of this kind of unit */
            flyt__table_row(t);
            flyt__table_text(t, kpi[k]);
            flyt__table_text(t, units[k]);
            flyt__table_num(t, v[0]);
            flyt__table_num(t, v[2]);
            flyt__table_num(t, v[3]);
            flyt__table_num(t, v[4]);
        }
    }
    free(x);
    flyt__h5_free_strings(ids, n_ids);
    flyt__h5_free_strings(kpi, n_kpi);
    flyt__h5_free_strings(units, n_units);
    flyt__h5_free_strings(names, n_names);
    flyt__h5_free_strings(kinds, n_kinds);
    H5Gclose(g);
    return r->h.failed ? -1 : 0;
}

static const char *const run_prov[] = {
    "kind",         "scenario_name", "scenario_source", "scenario_sha256",
    "replications", "seed",          "horizon_days",    "warmup_days",
    "start_date",   "flyt_version",  "git_commit",      "created_utc",
    "host",         "command_line",
};

static int report_run(struct reader *r)
{
    char buf[64], title[128];
    snprintf(title, sizeof title, "summary over %s replications (95 %% intervals of the means)",
             flyt__h5_attr_text(r->file, "replications", buf, sizeof buf) ? buf : "?");
    return provenance(r, run_prov, N_OF(run_prov)) ||
                           summary_table(r, r->file, "summary", title, run_cols, N_OF(run_cols)) ||
                           unit_tables(r) || each_subgroup(r, r->file, "roles", role_summary, NULL)
                   ? -1
                   : 0;
}

static int role_difference(struct reader *r, hid_t g, const char *name, void *arg)
{
    char title[400];
    snprintf(title, sizeof title, "%s, coordinator role '%s': paired differences", (char *)arg,
             name);
    return summary_table(r, g, "summary", title, diff_cols, N_OF(diff_cols));
}

static int difference(struct reader *r, hid_t g, const char *name, void *arg)
{
    (void)arg;
    char base[200] = "", variant[200] = "", title[300];
    flyt__h5_attr_text(g, "base", base, sizeof base);
    flyt__h5_attr_text(g, "variant", variant, sizeof variant);
    const char *b = strrchr(base, '/'), *v = strrchr(variant, '/');
    snprintf(title, sizeof title, "%s minus %s (paired over common random numbers)",
             v ? v + 1 : name, b ? b + 1 : "base");
    return summary_table(r, g, "summary", title, diff_cols, N_OF(diff_cols)) ||
                           each_subgroup(r, g, "roles", role_difference, (void *)name)
                   ? -1
                   : 0;
}

static int report_compare(struct reader *r)
{
    static const char *const prov[] = { "kind",       "base",         "n_scenarios", "replications",
                                        "seed",       "horizon_days", "warmup_days", "flyt_version",
                                        "git_commit", "created_utc",  "command_line" };
    return provenance(r, prov, N_OF(prov)) ||
                           each_subgroup(r, r->file, "differences", difference, NULL)
                   ? -1
                   : 0;
}

/* A sweep's summary is [point x kpi]: printed long, a row per (point, KPI),
 * with the point's settings as the overrides text when the file has it. */
static int sweep_rows(struct reader *r, hid_t s, struct flyt__table *t, char **kpi, char **units,
                      size_t n_kpi, char **set, size_t n_set)
{
    static const char *const names[] = { "mean", "ci95_low", "ci95_high", "n" };
    double *x[4] = { NULL };
    size_t rows = 0, cols = 0, rows0 = 0;
    bool ok = true; /* as r->h.failed, which flyt__h5_rd_fail sets: said here for the analyzer */
    for (int j = 0; j < 4; j++) {
        /* every column has the first one's points, or the loop below reads past one */
        if (!(x[j] = flyt__h5_rd_doubles(&r->h, s, names[j], &rows, &cols)) || cols != n_kpi ||
            (j > 0 && rows != rows0)) {
            if (x[j])
                flyt__h5_rd_fail(&r->h, "'/summary/%s' in '%s' is not [point x kpi]", names[j],
                                 r->h.path);
            ok = false;
            break;
        }
        rows0 = rows;
    }
    for (size_t p = 0; ok && !r->h.failed && p < rows; p++)
        for (size_t k = 0; k < n_kpi; k++) {
            flyt__table_row(t);
            flyt__table_num(t, (double)p);
            flyt__table_text(t, set && p < n_set ? set[p] : "");
            flyt__table_text(t, kpi[k]);
            flyt__table_text(t, units ? units[k] : "");
            for (int j = 0; j < 4; j++)
                flyt__table_num(t, x[j][p * n_kpi + k]);
        }
    for (int j = 0; j < 4; j++)
        free(x[j]);
    return r->h.failed ? -1 : 0;
}

static int report_sweep(struct reader *r)
{
    static const char *const prov[] = {
        "kind",         "sweep_name", "sweep_source", "design",     "n_points",    "n_tasks",
        "replications", "seed",       "flyt_version", "git_commit", "created_utc", "command_line"
    };
    static const char *const cols[] = { "point", "settings", "KPI",       "units",
                                        "mean",  "ci95_low", "ci95_high", "n" };
    if (provenance(r, prov, N_OF(prov)))
        return -1;
    hid_t s = H5Gopen2(r->file, "summary", H5P_DEFAULT);
    if (s < 0)
        return flyt__h5_rd_fail(&r->h, "cannot open '/summary' in '%s'", r->h.path);
    size_t n_kpi = 0, n_units = 0, n_set = 0;
    char **kpi = flyt__h5_rd_strings(&r->h, s, "kpi", &n_kpi);
    char **units = kpi && flyt__h5_has(s, "units")
                           ? flyt__h5_rd_strings(&r->h, s, "units", &n_units)
                           : NULL;
    char **set = kpi && flyt__h5_has(r->file, "points/set")
                         ? flyt__h5_rd_strings(&r->h, r->file, "points/set", &n_set)
                         : NULL;
    struct flyt__table *t =
            kpi ? add_table(r, "summary per point (95 % intervals of the means)", cols, N_OF(cols))
                : NULL;
    int rc = t ? sweep_rows(r, s, t, kpi, n_units == n_kpi ? units : NULL, n_kpi, set, n_set) : -1;
    flyt__h5_free_strings(kpi, n_kpi);
    flyt__h5_free_strings(units, n_units);
    flyt__h5_free_strings(set, n_set);
    H5Gclose(s);
    return rc;
}

/* ---- fit files ---- */

static int fit_durations(struct reader *r, const struct flyt__fit_durations *x)
{
    static const char *const cols[] = { "key",  "groups",   "written",   "stays", "ended",
                                        "mean", "ci95_low", "ci95_high", "sd",    "fit_p" };
    /* the written family's figures only: the export has every family's */
    static const int shown[5] = { FLYT__FIT_MEAN, FLYT__FIT_MEAN_LO, FLYT__FIT_MEAN_HI,
                                  FLYT__FIT_SD, FLYT__FIT_GOF_P };
    if (!x->present)
        return 0;
    struct flyt__table *t = add_table(r, "durations (days; 95 % intervals)", cols, N_OF(cols));
    for (size_t i = 0; t && i < x->n; i++) {
        int f = flyt__fit_family_index(x->chosen[i]);
        const double *st =
                f >= 0 ? &x->stats[(i * FLYT__FIT_N_FAMILY + (size_t)f) * FLYT__FIT_N_STAT] : NULL;
        flyt__table_row(t);
        flyt__table_text(t, x->key[i]);
        flyt__table_text(t, x->group[i]);
        flyt__table_text(t, x->chosen[i]);
        flyt__table_num(t, x->counts[i * 2]);
        flyt__table_num(t, x->counts[i * 2 + 1]);
        for (int k = 0; k < 5; k++)
            flyt__table_num(t, st ? st[shown[k]] : NAN); /* empirical: no family's figures */
    }
    return t ? 0 : -1;
}

/* /fit/shares or /fit/hazards, the categories with records. */
static int fit_categories(struct reader *r, const struct flyt__fit_categories *x, bool hazards)
{
    static const char *const share_cols[] = { "key",   "groups",   "category", "count",
                                              "share", "ci95_low", "ci95_high" };
    static const char *const rate_cols[] = { "key",      "groups",   "category", "events",
                                             "per year", "ci95_low", "ci95_high" };
    if (!x->present)
        return 0;
    struct flyt__table *t =
            hazards ? add_table(r, "hazards (events per person-year at risk, exact 95 % intervals)",
                                rate_cols, N_OF(rate_cols))
                    : add_table(r, "shares (simultaneous 95 % intervals)", share_cols,
                                N_OF(share_cols));
    for (size_t i = 0; t && i < x->n; i++) {
        const double *v = &x->values[i * FLYT__FIT_N_VALUE];
        if (!(v[0] > 0))
            continue;
        flyt__table_row(t);
        flyt__table_text(t, x->key[i]);
        flyt__table_text(t, x->group[i]);
        flyt__table_text(t, x->category[i]);
        flyt__table_num(t, v[0]);
        for (int k = 2; k < FLYT__FIT_N_VALUE; k++)
            flyt__table_num(t, v[k]);
    }
    return t ? 0 : -1;
}

static int report_fit(struct reader *r)
{
    static const char *const prov[] = { "kind", "flyt_version", "git_commit", "created_utc",
                                        "command_line" };
    static const char *const rec[] = { "from_date",     "until_date", "stays",
                                       "ready_periods", "patients",   "stays_before_window" };
    static const char *const cols[] = { "attribute", "value" };
    if (provenance(r, prov, N_OF(prov)))
        return -1;
    hid_t fg = H5Gopen2(r->file, "fit", H5P_DEFAULT);
    if (fg < 0)
        return flyt__h5_rd_fail(&r->h, "cannot open '/fit' in '%s'", r->h.path);
    struct flyt__table *t = add_table(r, "records", cols, 2);
    char buf[4096];
    for (size_t i = 0; t && i < N_OF(rec); i++)
        if (H5Aexists(fg, rec[i]) > 0 && flyt__h5_attr_text(fg, rec[i], buf, sizeof buf))
            attr_row(t, rec[i], buf);
    H5Gclose(fg);
    if (!t)
        return -1;
    /* no arrivals: the report has no table of them, and a damaged
     * /fit/arrivals must not cost the tables it does have */
    struct flyt__fit_file fit;
    int rc = flyt__fit_read(r->file, r->h.path,
                            FLYT__FIT_READ_DURATIONS | FLYT__FIT_READ_SHARES |
                                    FLYT__FIT_READ_HAZARDS,
                            &fit, r->h.err, r->h.errlen);
    if (rc != 0)
        r->h.failed++; /* the reader wrote the message */
    else if (fit_durations(r, &fit.durations) || fit_categories(r, &fit.shares, false) ||
             fit_categories(r, &fit.hazards, true))
        rc = -1;
    flyt__fit_free(&fit);
    return rc;
}

static int report_by_kind(struct reader *r, const char *kind)
{
    if (strcmp(kind, "run") == 0 || (kind[0] == '\0' && flyt__h5_has(r->file, "summary")))
        return report_run(r);
    if (strcmp(kind, "compare") == 0)
        return report_compare(r);
    if (strcmp(kind, "sweep") == 0 && flyt__h5_has(r->file, "summary"))
        return report_sweep(r);
    if (strcmp(kind, "fit") == 0 && flyt__h5_has(r->file, "fit"))
        return report_fit(r);
    snprintf(r->note, sizeof r->note,
             "flyt report has no summary table for kind '%s'; its root attributes are above "
             "(see docs/hdf5-layout.md)",
             kind[0] ? kind : "(none)");
    return all_attributes(r, "root attributes");
}

static void print_all(FILE *out, const struct reader *r, const char *kind,
                      enum flyt_report_format fmt)
{
    if (fmt == FLYT_REPORT_JSON) {
        fputs("{\"file\": ", out);
        flyt__json_str(out, r->h.path);
        fputs(", \"kind\": ", out);
        flyt__json_str(out, kind);
        fputs(",\n \"tables\": [", out);
        for (size_t i = 0; i < r->n_tables; i++) {
            fputs(i ? ",\n  " : "\n  ", out);
            flyt__table_print(out, r->tables[i], fmt);
        }
        fputs("]", out);
        if (r->note[0]) {
            fputs(",\n \"note\": ", out);
            flyt__json_str(out, r->note);
        }
        fputs("}\n", out);
        return;
    }
    fprintf(out, fmt == FLYT_REPORT_MARKDOWN ? "## flyt %s file `%s`\n" : "flyt %s file %s\n",
            kind[0] ? kind : "run", r->h.path);
    for (size_t i = 0; i < r->n_tables; i++)
        flyt__table_print(out, r->tables[i], fmt);
    if (r->note[0])
        fprintf(out, "\nnote: %s\n", r->note);
}

/* Whether path is an HDF5 file with format = "flyt" at its root; opens it
 * into r->file when so. */
static int open_flyt(struct reader *r)
{
    r->file = flyt__h5_rd_open(&r->h, "");
    return r->file < 0 ? -1 : 0;
}

int flyt_report_print(FILE *out, const char *path, enum flyt_report_format fmt, char *err,
                      size_t errlen)
{
    struct reader r = { .file = -1, .h = { .path = path, .err = err, .errlen = errlen } };
    if (err && errlen)
        err[0] = '\0';
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    int rc = FLYT_REPORT_OK;
    char kind[64] = "";
    if (open_flyt(&r) != 0) {
        rc = FLYT_REPORT_NOT_FLYT;
    } else {
        if (H5Aexists(r.file, "kind") > 0)
            flyt__h5_attr_text(r.file, "kind", kind, sizeof kind);
        if (report_by_kind(&r, kind) != 0)
            rc = FLYT_REPORT_FAILED;
        for (size_t i = 0; rc == 0 && i < r.n_tables; i++)
            if (r.tables[i]->failed) {
                flyt__h5_rd_fail(&r.h, "out of memory");
                rc = FLYT_REPORT_FAILED;
            }
        if (rc == FLYT_REPORT_OK)
            print_all(out, &r, kind, fmt);
    }
    for (size_t i = 0; i < r.n_tables; i++)
        flyt__table_free(r.tables[i]);
    free(r.tables);
    if (r.file >= 0)
        H5Fclose(r.file);
    return rc;
}
