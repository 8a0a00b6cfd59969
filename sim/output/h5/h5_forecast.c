/*
 * The forecast file. Layout (format "flyt", kind "forecast"):
 *
 *   /                   provenance and the scenario as run (start_date = the
 *                       census date), census_date, days_ahead, check_day
 *   /forecast           day, date; per figure of the whole system a group
 *                       with p05, p25, median, p75, p95, mean [day]
 *   /forecast/units     ids; per unit but the hospital a group <id> with its
 *                       figures (census, queue, a caseload's hours) as
 *                       above, p_full [day] and capacity [day]
 *   /replications       every path, double [replication x day]; per unit
 *                       units/<id>/<figure> and units/<id>/full (0/1)
 *   /ukp_still_waiting  row, probability: the census's UKP patients, most
 *                       likely to still wait at check_day first
 *   /census             per census row: row number and the modelled
 *                       attributes as the file gave them (nothing else)
 */
#include "flyt/date.h"
#include "flyt/forecast.h"
#include "output/h5/h5_common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const q_names[FLYT_FC_N_Q] = { "p05", "p25", "median", "p75", "p95" };

struct fc_args {
    const struct flyt_scenario *s;
    const struct flyt_census *c;
    const char *census_date;
    const struct flyt_forecast *f;
    const struct flyt_run_meta *meta;
};

static int write_matrix(struct flyt__h5 *c, hid_t g, const char *name, const double *x, size_t rows,
                        size_t cols, const char *units, const char *desc)
{
    hsize_t dims[2] = { rows, cols };
    hid_t dcpl = flyt__h5_dcpl_rows(c, rows, cols);
    if (dcpl < 0)
        return flyt__h5_fail(c, g, name);
    hid_t d = flyt__h5_dset_create(c, g, name, H5T_IEEE_F64LE, 2, dims, dcpl, units, desc);
    flyt__h5_dcpl_close(c, dcpl);
    if (d < 0)
        return -1;
    int rc = flyt__h5_attr_str(c, d, "dimensions", "replication, day");
    for (size_t i = 0; rc == 0 && i < rows && cols > 0; i++)
        rc = flyt__h5_write_row(c, d, i, x + i * cols, cols);
    if (H5Dclose(d) < 0 && rc == 0)
        rc = flyt__h5_fail(c, g, name);
    return rc;
}

static int write_days(struct flyt__h5 *c, hid_t g, const struct fc_args *a)
{
    size_t n = a->f->n_days;
    int *day = malloc((n ? n : 1) * sizeof *day);
    char *text = malloc((n ? n : 1) * 16);
    const char **date = malloc((n ? n : 1) * sizeof *date);
    const struct flyt_scenario *s = a->s;
    int rc = -1;
    if (day && text && date) {
        int d0 = flyt_days_from_civil(s->start_year, s->start_month, s->start_mday);
        for (size_t i = 0; i < n; i++) {
            int y, m, d;
            flyt_civil_from_days(d0 + (int)i, &y, &m, &d);
            snprintf(text + 16 * i, 16, "%04d-%02d-%02d", y, m, d);
            date[i] = text + 16 * i;
            day[i] = (int)i;
        }
        rc = flyt__h5_write_1d(c, g, "day", H5T_STD_I32LE, H5T_NATIVE_INT, n, day, "days",
                               "days after the census date (0 = the census date, at 00:00)") ||
                             flyt__h5_write_1d(c, g, "date", c->str, c->str, n, date, "date",
                                               "calendar date of the day (YYYY-MM-DD)")
                     ? -1
                     : 0;
    } else {
        flyt__h5_set_err(c, "cannot write '%s': out of memory", c->file_name);
    }
    free(day);
    free(text);
    free(date);
    return rc;
}

static int write_bands(struct flyt__h5 *c, hid_t g, const struct flyt_forecast *f,
                       const struct flyt_fc_figure *fig, const char *name, const char *units,
                       const char *description)
{
    hid_t sg = flyt__h5_group_create(c, g, name);
    if (sg < 0)
        return -1;
    int rc = flyt__h5_units_desc(c, sg, units, description);
    for (int q = 0; rc == 0 && q < FLYT_FC_N_Q; q++) {
        char desc[160];
        snprintf(desc, sizeof desc, "%g %% quantile over replications, per day",
                 100 * flyt_fc_quantiles[q]);
        rc = flyt__h5_write_1d(c, sg, q_names[q], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, f->n_days,
                               fig->q[q], units, desc);
    }
    if (rc == 0)
        rc = flyt__h5_write_1d(c, sg, "mean", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, f->n_days,
                               fig->mean, units, "mean over replications, per day");
    return flyt__h5_close_group(c, sg, rc);
}

static const char *const kind_name[FLYT_N_UNIT_KINDS] = {
    [FLYT_UNIT_BEDS] = "beds",
    [FLYT_UNIT_CASELOAD] = "caseload",
    [FLYT_UNIT_UNLIMITED] = "unlimited",
};

static int forecast_unit(struct flyt__h5 *c, hid_t g, const struct flyt_scenario *s,
                         const struct flyt_forecast *f, const struct flyt_fc_unit *fu)
{
    const struct flyt_unit *un = &s->units[fu->unit];
    hid_t ug = flyt__h5_group_create(c, g, un->id);
    if (ug < 0)
        return -1;
    unsigned index = (unsigned)fu->unit;
    int rc = flyt__h5_attr_str(c, ug, "name", un->name ? un->name : un->id) ||
                             flyt__h5_attr_str(c, ug, "kind", kind_name[un->kind]) ||
                             flyt__h5_attr_write(c, ug, "index", H5T_STD_U32LE, H5T_NATIVE_UINT,
                                                 &index)
                     ? -1
                     : 0;
    for (int k = 0; rc == 0 && k < FLYT_FCU_N_SERIES; k++)
        if (fu->fig[k].path)
            rc = write_bands(c, ug, f, &fu->fig[k], flyt_fc_unit_series_defs[k].name,
                             flyt_fc_unit_series_units(s, fu->unit, k),
                             flyt_fc_unit_series_defs[k].description);
    bool hours = un->kind == FLYT_UNIT_CASELOAD;
    if (rc == 0)
        rc = flyt__h5_write_1d(
                c, ug, "p_full", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, f->n_days, fu->p_full,
                "fraction",
                hours ? "share of replications with a request waiting for hours at 00:00"
                : un->kind == FLYT_UNIT_BEDS
                        ? "share of replications with every bed occupied at 00:00"
                        : "share of replications with the unit full at 00:00 (an unlimited "
                          "unit never is)");
    if (rc == 0)
        rc = flyt__h5_write_1d(c, ug, "capacity", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, f->n_days,
                               fu->capacity,
                               hours                        ? "hours/week"
                               : un->kind == FLYT_UNIT_BEDS ? "beds"
                                                            : "",
                               hours                        ? "hours per week available at 00:00"
                               : un->kind == FLYT_UNIT_BEDS ? "beds open at 00:00"
                                                            : "none: an unlimited unit (NaN)");
    return flyt__h5_close_group(c, ug, rc);
}

/* As a run file's /units: the ids in a dataset, a group per unit. */
static int forecast_units(struct flyt__h5 *c, hid_t fc, const struct fc_args *a)
{
    const struct flyt_forecast *f = a->f;
    hid_t g = flyt__h5_group_create(c, fc, "units");
    if (g < 0)
        return -1;
    const char **ids = malloc((f->n_units ? f->n_units : 1) * sizeof *ids);
    if (!ids)
        return flyt__h5_close_group(
                c, g, flyt__h5_set_err(c, "cannot write '%s': out of memory", c->file_name));
    for (size_t i = 0; i < f->n_units; i++)
        ids[i] = a->s->units[f->units[i].unit].id;
    int rc = flyt__h5_write_1d(c, g, "ids", c->str, c->str, f->n_units, ids, "",
                               "the units forecast (every unit but the hospital), in the "
                               "scenario's order");
    free(ids);
    for (size_t i = 0; rc == 0 && i < f->n_units; i++)
        rc = forecast_unit(c, g, a->s, f, &f->units[i]);
    return flyt__h5_close_group(c, g, rc);
}

static int write_forecast(struct flyt__h5 *c, hid_t file, const struct fc_args *a)
{
    hid_t g = flyt__h5_group_create(c, file, "forecast");
    if (g < 0)
        return -1;
    int rc = write_days(c, g, a);
    for (int k = 0; rc == 0 && k < FLYT_FC_N_SERIES; k++)
        rc = write_bands(c, g, a->f, &a->f->fig[k], flyt_fc_series_defs[k].name,
                         flyt_fc_series_defs[k].units, flyt_fc_series_defs[k].description);
    if (rc == 0)
        rc = forecast_units(c, g, a);
    return flyt__h5_close_group(c, g, rc);
}

static int unit_paths(struct flyt__h5 *c, hid_t g, const struct flyt_scenario *s,
                      const struct flyt_forecast *f, const struct flyt_fc_unit *fu)
{
    hid_t ug = flyt__h5_group_create(c, g, s->units[fu->unit].id);
    if (ug < 0)
        return -1;
    int rc = 0;
    for (int k = 0; rc == 0 && k < FLYT_FCU_N_SERIES; k++)
        if (fu->fig[k].path)
            rc = write_matrix(c, ug, flyt_fc_unit_series_defs[k].name, fu->fig[k].path, f->n_rep,
                              f->n_days, flyt_fc_unit_series_units(s, fu->unit, k),
                              flyt_fc_unit_series_defs[k].description);
    if (rc == 0)
        rc = write_matrix(c, ug, "full", fu->full, f->n_rep, f->n_days, "",
                          "1 when the unit was full at 00:00 (see /forecast/units/<id>/p_full)");
    return flyt__h5_close_group(c, ug, rc);
}

static int write_paths(struct flyt__h5 *c, hid_t file, const struct flyt_scenario *s,
                       const struct flyt_forecast *f)
{
    hid_t g = flyt__h5_group_create(c, file, "replications");
    if (g < 0)
        return -1;
    int rc = 0;
    for (int k = 0; rc == 0 && k < FLYT_FC_N_SERIES; k++)
        rc = write_matrix(c, g, flyt_fc_series_defs[k].name, f->fig[k].path, f->n_rep, f->n_days,
                          flyt_fc_series_defs[k].units, flyt_fc_series_defs[k].description);
    hid_t ug = rc == 0 ? flyt__h5_group_create(c, g, "units") : -1;
    if (rc == 0 && ug < 0)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < f->n_units; i++)
        rc = unit_paths(c, ug, s, f, &f->units[i]);
    if (ug >= 0)
        rc = flyt__h5_close_group(c, ug, rc);
    return flyt__h5_close_group(c, g, rc);
}

static int write_still(struct flyt__h5 *c, hid_t file, const struct flyt_forecast *f)
{
    hid_t g = flyt__h5_group_create(c, file, "ukp_still_waiting");
    if (g < 0)
        return -1;
    int rc = flyt__h5_attr_double(c, g, "check_day", (double)f->check_day) ||
                             flyt__h5_write_1d(c, g, "row", H5T_STD_U32LE, H5T_NATIVE_UINT32,
                                               f->n_ukp, f->ukp_row, "line",
                                               "census row (line of the census file) of a "
                                               "patient waiting as UKP on the census date") ||
                             flyt__h5_write_1d(c, g, "probability", H5T_IEEE_F64LE,
                                               H5T_NATIVE_DOUBLE, f->n_ukp, f->p_still_ukp,
                                               "fraction",
                                               "share of replications in which the patient still "
                                               "waits in hospital at 00:00 of check_day")
                     ? -1
                     : 0;
    return flyt__h5_close_group(c, g, rc);
}

/* Only row numbers and the attributes the model uses, as given: what
 * the file did not say is -1, empty or NaN (drawn per replication). */
static int census_columns(struct flyt__h5 *c, hid_t g, const struct flyt_scenario *s,
                          const struct flyt_census *cen)
{
    size_t n = cen->n, m = n ? n : 1;
    uint32_t *row = malloc(m * sizeof *row);
    int32_t *cfs = malloc(m * sizeof *cfs), *cx = malloc(m * sizeof *cx);
    const char **loc = malloc(m * sizeof *loc), **dest = malloc(m * sizeof *dest),
               **age = malloc(m * sizeof *age);
    double *el = malloc(m * sizeof *el), *qd = malloc(m * sizeof *qd), *hh = malloc(m * sizeof *hh);
    int rc = -1;
    if (row && cfs && cx && loc && dest && age && el && qd && hh) {
        for (size_t i = 0; i < n; i++) {
            const struct flyt_census_patient *p = &cen->p[i];
            row[i] = p->row;
            loc[i] = flyt_census_loc_name(s, p->loc);
            dest[i] = p->dest >= 0 ? flyt_census_loc_name(s, p->dest) : "";
            cfs[i] = p->cfs >= 1 ? p->cfs : -1;
            age[i] = p->age_band >= 0 && p->age_band < s->n_age_bands ? s->age_band[p->age_band]
                                                                      : "";
            cx[i] = p->complex;
            el[i] = p->elapsed_days;
            qd[i] = p->queued_days >= 0 ? p->queued_days : NAN;
            hh[i] = p->hours >= 0 ? p->hours : NAN;
        }
        hid_t f64 = H5T_IEEE_F64LE, nd = H5T_NATIVE_DOUBLE, i32 = H5T_STD_I32LE,
              ni = H5T_NATIVE_INT32;
        rc = flyt__h5_write_1d(c, g, "row", H5T_STD_U32LE, H5T_NATIVE_UINT32, n, row, "line",
                               "line of the census file") ||
                             flyt__h5_write_1d(c, g, "location", c->str, c->str, n, loc, "",
                                               "where the patient was on the census date") ||
                             flyt__h5_write_1d(c, g, "destination", c->str, c->str, n, dest, "",
                                               "the place the patient waited for; empty: none") ||
                             flyt__h5_write_1d(c, g, "cfs", i32, ni, n, cfs, "CFS",
                                               "Clinical Frailty Scale as given; -1: drawn") ||
                             flyt__h5_write_1d(c, g, "age_band", c->str, c->str, n, age, "",
                                               "age band as given; empty: drawn") ||
                             flyt__h5_write_1d(c, g, "complex", i32, ni, n, cx, "",
                                               "complex needs as given: 1 yes, 0 no, -1 drawn") ||
                             flyt__h5_write_1d(c, g, "elapsed_days", f64, nd, n, el, "days",
                                               "time in the place at day 0, as conditioned on") ||
                             flyt__h5_write_1d(c, g, "queued_days", f64, nd, n, qd, "days",
                                               "time in the queue at day 0; NaN: not queued") ||
                             flyt__h5_write_1d(c, g, "hours_per_week", f64, nd, n, hh, "hours/week",
                                               "hours per week in a caseload as given; NaN: "
                                               "drawn")
                     ? -1
                     : 0;
    } else {
        flyt__h5_set_err(c, "cannot write '%s': out of memory", c->file_name);
    }
    free(row);
    free(cfs);
    free(cx);
    free(loc);
    free(dest);
    free(age);
    free(el);
    free(qd);
    free(hh);
    return rc;
}

static int fill_forecast(struct flyt__h5 *c, hid_t file, const void *arg)
{
    const struct fc_args *a = arg;
    if (flyt__h5_provenance(c, file, a->meta) || flyt__h5_run_attrs(c, file, a->s, a->meta) ||
        flyt__h5_attr_str(c, file, "kind", "forecast") ||
        flyt__h5_attr_str(c, file, "census_date", a->census_date) ||
        flyt__h5_attr_double(c, file, "days_ahead", (double)a->f->n_days - 1) ||
        flyt__h5_attr_double(c, file, "check_day", (double)a->f->check_day) ||
        flyt__h5_attr_double(c, file, "census_patients", (double)a->c->n) ||
        write_forecast(c, file, a) || write_paths(c, file, a->s, a->f) ||
        write_still(c, file, a->f))
        return -1;
    hid_t g = flyt__h5_group_create(c, file, "census");
    return g < 0 ? -1 : flyt__h5_close_group(c, g, census_columns(c, g, a->s, a->c));
}

int flyt_h5_write_forecast(const char *path, const struct flyt_scenario *s,
                           const struct flyt_census *c, const char *census_date,
                           const struct flyt_forecast *f, const struct flyt_run_meta *meta,
                           char *err, size_t errlen)
{
    const struct fc_args a = { s, c, census_date, f, meta };
    return flyt__h5_write_file(path, fill_forecast, &a, err, errlen);
}
