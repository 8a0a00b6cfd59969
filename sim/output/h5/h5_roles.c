/* Coordinator roles in a run file: /roles/<name>/ holds the role's settings
 * as attributes, one dataset per role KPI (a value per replication), and a
 * summary table like /summary. Absent when the scenario has no roles. */
#include "output/h5/h5_common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const busy_name[] = { "ordinary", "wait" };

static int role_attrs(struct flyt__h5 *c, hid_t g, const struct flyt_scenario *s,
                      const struct flyt_role *r)
{
    bool stay = r->cases == FLYT_CASE_STAY && r->case_unit >= 0 && r->case_unit < s->n_units;
    const char *cases = stay ? s->units[r->case_unit].id : "ukp";
    static const char *const days[7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
    char workdays[40] = "";
    for (int d = 0; d < 7; d++)
        if (r->workday[d]) {
            strcat(workdays, *workdays ? "," : "");
            strcat(workdays, days[d]);
        }
    return flyt__h5_attr_double(c, g, "headcount", r->headcount) ||
                           flyt__h5_attr_str(c, g, "cases", cases) ||
                           flyt__h5_attr_str(c, g, "when_busy", busy_name[r->when_busy]) ||
                           flyt__h5_attr_str(c, g, "workdays", workdays) ||
                           flyt__h5_attr_double(c, g, "shift_from_hour", r->shift_from) ||
                           flyt__h5_attr_double(c, g, "shift_to_hour", r->shift_to) ||
                           flyt__h5_attr_double(c, g, "holidays", (double)r->n_holidays)
                   ? -1
                   : 0;
}

static int role_summary(struct flyt__h5 *c, hid_t g, const struct flyt_summary *sum, int r)
{
    enum { K = FLYT_N_ROLE_KPI };
    const char *name[K], *units[K];
    double mean[K], lo[K], hi[K];
    unsigned n[K];
    for (int k = 0; k < K; k++) {
        const struct flyt_stat *st = &sum->role[r][k];
        name[k] = flyt_role_kpi_defs[k].name;
        units[k] = flyt_role_kpi_defs[k].units;
        mean[k] = st->mean;
        int ok = isfinite(st->ci_low) && isfinite(st->ci_high);
        lo[k] = ok ? st->ci_low : NAN;
        hi[k] = ok ? st->ci_high : NAN;
        n[k] = st->n;
    }
    hid_t s = flyt__h5_group_create(c, g, "summary");
    if (s < 0)
        return -1;
    hid_t f64 = H5T_IEEE_F64LE, d = H5T_NATIVE_DOUBLE;
    int rc =
            flyt__h5_write_1d(c, s, "kpi", c->str, c->str, K, name, "", "role KPI name") ||
                            flyt__h5_write_1d(c, s, "units", c->str, c->str, K, units, "",
                                              "units of the role KPI") ||
                            flyt__h5_write_1d(c, s, "mean", f64, d, K, mean, "per row: see units",
                                              "mean over replications") ||
                            flyt__h5_write_1d(c, s, "ci95_low", f64, d, K, lo, "per row: see units",
                                              "lower end of the 95 % interval (Student t, log or "
                                              "logit scale at a bound)") ||
                            flyt__h5_write_1d(c, s, "ci95_high", f64, d, K, hi,
                                              "per row: see units",
                                              "upper end of the 95 % interval (Student t, log or "
                                              "logit scale at a bound)") ||
                            flyt__h5_write_1d(c, s, "n", H5T_STD_U32LE, H5T_NATIVE_UINT, K, n,
                                              "replications", "replications with a finite value")
                    ? -1
                    : 0;
    return flyt__h5_close_group(c, s, rc);
}

static int one_role(struct flyt__h5 *c, hid_t loc, const struct flyt_scenario *s,
                    const struct flyt_result *res, size_t n_res, const struct flyt_summary *sum,
                    int r)
{
    hid_t g = flyt__h5_group_create(c, loc, s->roles[r].name);
    if (g < 0)
        return -1;
    int rc = role_attrs(c, g, s, &s->roles[r]);
    double *x = malloc((n_res ? n_res : 1) * sizeof *x);
    if (!x) {
        flyt__h5_set_err(c, "cannot write '%s': out of memory", c->file_name);
        rc = -1;
    }
    for (int k = 0; rc == 0 && k < FLYT_N_ROLE_KPI; k++) {
        for (size_t i = 0; i < n_res; i++)
            x[i] = (unsigned)r < res[i].n_roles ? res[i].role_kpi[r][k] : NAN;
        rc = flyt__h5_write_1d(c, g, flyt_role_kpi_defs[k].name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                               n_res, x, flyt_role_kpi_defs[k].units,
                               flyt_role_kpi_defs[k].description);
    }
    free(x);
    if (rc == 0)
        rc = role_summary(c, g, sum, r);
    return flyt__h5_close_group(c, g, rc);
}

int flyt__h5_write_roles(struct flyt__h5 *c, hid_t loc, const struct flyt_scenario *s,
                         const struct flyt_result *res, size_t n_res,
                         const struct flyt_summary *sum)
{
    if (s->n_roles == 0)
        return 0;
    hid_t g = flyt__h5_group_create(c, loc, "roles");
    if (g < 0)
        return -1;
    int rc = 0;
    for (int r = 0; rc == 0 && r < s->n_roles; r++)
        rc = one_role(c, g, s, res, n_res, sum, r);
    return flyt__h5_close_group(c, g, rc);
}
