/* Figures of one replication: time-integrals over the measured window and
 * per-patient distributions (quantile.c), turned into KPIs when the run
 * ends. */
#include "model/model.h"

#include <math.h>
#include <stdlib.h>

void flyt__advance(struct model *m, double t)
{
    double lo = m->t_last > m->t_warm ? m->t_last : m->t_warm;
    double hi = t < m->t_end ? t : m->t_end;
    if (hi > lo) {
        double dt = hi - lo;
        m->area_treat += m->n_treat * dt;
        m->area_ukp += m->n_ukp * dt;
    }
    if (t > m->t_last)
        m->t_last = t;
}

/* With the series off (scenario.h, series_off) n_days is 0: nothing is
 * written. */
void flyt__count_day(struct model *m, enum flyt_series series, double t)
{
    if (t < (double)m->first_day)
        return;
    size_t d = (size_t)t - m->first_day;
    if (d < m->out->n_days)
        m->out->series[series][d] += 1;
}

/* Day d starts: the day before it is over. A day counts when all of it
 * lies in the measured window. */
void flyt__day_boundary(struct model *m, size_t day)
{
    for (int u = 0; u < m->s->n_units; u++) {
        struct unit_state *us = &m->u[u];
        if (day >= 1 && (double)(day - 1) >= m->t_warm && (double)day <= m->t_end) {
            us->days++;
            us->days_over += us->over_today;
        }
        us->over_today = (double)us->n > us->cap;
    }
}

/* Capacity changes only at 00:00 (plan.c), so its time-integral comes from
 * the daily levels once, at the end, rather than on every event. */
static double capacity_area(const struct model *m, int u, double lo, double hi)
{
    if (!(hi > lo))
        return 0;
    if (!m->u[u].cap_day)
        return flyt__capacity_on(m, u, 0) * (hi - lo);
    double area = 0;
    for (size_t d = (size_t)lo; (double)d < hi; d++) {
        double a = (double)d > lo ? (double)d : lo, b = (double)d + 1.0 < hi ? (double)d + 1.0 : hi;
        area += flyt__capacity_on(m, u, d) * (b - a);
    }
    return area;
}

static double ratio(double a, double b)
{
    return b > 0 ? a / b : NAN;
}

static void unit_kpis(struct model *m, int u, double span, double t_stop)
{
    const struct flyt_unit *x = &m->s->units[u];
    struct unit_state *us = &m->u[u];
    double *k = flyt_result_unit_kpi(m->out, (unsigned)u);
    bool load = x->kind == FLYT_UNIT_CASELOAD, unlimited = x->kind == FLYT_UNIT_UNLIMITED;
    double area_cap = unlimited ? NAN : capacity_area(m, u, m->t_warm, t_stop);
    if (x->hospital && !us->finite)
        us->area_n = m->area_treat + m->area_ukp; /* not integrated as it moved */
    k[FLYT_UNIT_KPI_occupancy] = ratio(us->area_n, span);
    k[FLYT_UNIT_KPI_capacity] = unlimited ? NAN : ratio(area_cap, span);
    k[FLYT_UNIT_KPI_utilisation] = unlimited ? NAN
                                   : load    ? ratio(us->area_hours, area_cap)
                                             : ratio(us->area_n, area_cap);
    k[FLYT_UNIT_KPI_hours_used] = load ? ratio(us->area_hours, span) : NAN;
    k[FLYT_UNIT_KPI_admissions] = (double)us->admissions;
    k[FLYT_UNIT_KPI_admission_cfs_mean] = ratio((double)us->cfs_sum, (double)us->admissions);
    k[FLYT_UNIT_KPI_los_mean] = k[FLYT_UNIT_KPI_los_median] = NAN;
    /* each unit's samples freed as soon as read: a network's units never
     * hold theirs all at once with a sort's buffer on top */
    if (us->los) {
        flyt__quantile_kpis(us->los, &k[FLYT_UNIT_KPI_los_mean], &k[FLYT_UNIT_KPI_los_median], NULL,
                            NULL);
        flyt__quantile_free(us->los);
        free(us->los);
        us->los = NULL;
    }
    k[FLYT_UNIT_KPI_wait_mean] = ratio(us->wait_sum, (double)us->waits);
    k[FLYT_UNIT_KPI_wait_p90] = NAN;
    if (us->wait) {
        double mean, median, max;
        flyt__quantile_kpis(us->wait, &mean, &median, &k[FLYT_UNIT_KPI_wait_p90], &max);
        flyt__quantile_free(us->wait);
        free(us->wait);
        us->wait = NULL;
    }
    k[FLYT_UNIT_KPI_wait_mean_hospital] = ratio(us->by_origin_sum[0], (double)us->by_origin_n[0]);
    k[FLYT_UNIT_KPI_wait_mean_bed] = ratio(us->by_origin_sum[1], (double)us->by_origin_n[1]);
    k[FLYT_UNIT_KPI_wait_mean_home] = ratio(us->by_origin_sum[2], (double)us->by_origin_n[2]);
    k[FLYT_UNIT_KPI_wait_within_target] = ratio((double)us->within, (double)us->waits);
    k[FLYT_UNIT_KPI_ukp_wait_mean] = ratio(us->ukp_wait_sum, (double)us->ukp_wait_n);
    k[FLYT_UNIT_KPI_blocked_days] = x->hospital ? m->area_ukp : us->area_blocked;
    k[FLYT_UNIT_KPI_deaths] = (double)us->deaths;
    k[FLYT_UNIT_KPI_deaths_waiting] = (double)us->deaths_waiting;
    k[FLYT_UNIT_KPI_overflow_bed_days] = x->kind == FLYT_UNIT_BEDS ? us->area_over : NAN;
    k[FLYT_UNIT_KPI_days_over_capacity] =
            x->kind == FLYT_UNIT_BEDS ? ratio((double)us->days_over, (double)us->days) : NAN;
}

void flyt__finish(struct model *m)
{
    /* A run stopped early is measured up to where it stopped. */
    double t_stop = m->out->status == FLYT_RUN_OK ? m->t_end : flyt_engine_now(m->eng);
    flyt__advance(m, t_stop);
    for (int u = 0; u < m->s->n_units; u++)
        flyt__unit_advance(m, u, t_stop);
    /* the last day, when the horizon ends it (no day starts at the horizon) */
    flyt__day_boundary(m, (size_t)ceil(t_stop));
    double span = t_stop - m->t_warm;
    double *k = m->out->kpi;
    k[FLYT_KPI_arrivals] = (double)m->arrivals_window;
    k[FLYT_KPI_ukp_patients] = (double)m->ukp_waits.n;
    flyt__quantile_kpis(&m->ukp_waits, &k[FLYT_KPI_ukp_wait_mean], &k[FLYT_KPI_ukp_wait_median],
                        &k[FLYT_KPI_ukp_wait_p90], &k[FLYT_KPI_ukp_wait_max]);
    k[FLYT_KPI_ukp_wait_mean_home] = ratio(m->wait_home_sum, (double)m->wait_home_n);
    k[FLYT_KPI_ukp_wait_mean_complex] = ratio(m->wait_complex_sum, (double)m->wait_complex_n);
    k[FLYT_KPI_ukp_waiting_at_end] = m->n_ukp;
    k[FLYT_KPI_ukp_days_per_year] = ratio(m->area_ukp * 365.0, span);
    k[FLYT_KPI_ukp_cost_per_year] = k[FLYT_KPI_ukp_days_per_year] * m->s->ukp_day_cost;
    uint64_t home = m->wait_home_n, deaths = 0;
    for (int u = 0; u < m->s->n_units; u++) {
        if (m->s->units[u].kind == FLYT_UNIT_CASELOAD)
            home += m->u[u].ukp_wait_n;
        deaths += m->u[u].deaths;
        unit_kpis(m, u, span, t_stop);
    }
    k[FLYT_KPI_share_direct_home] = ratio((double)home, (double)m->ukp_waits.n);
    k[FLYT_KPI_not_ready_returns] = (double)m->not_ready_returns;
    k[FLYT_KPI_occ_hospital_treatment] = ratio(m->area_treat, span);
    k[FLYT_KPI_occ_ukp] = ratio(m->area_ukp, span);
    k[FLYT_KPI_readmission_30d] = ratio((double)m->readmit_num, (double)m->readmit_den);
    k[FLYT_KPI_deaths] = (double)deaths;
    k[FLYT_KPI_deaths_waiting_hospital] = (double)m->deaths_waiting;
    k[FLYT_KPI_deaths_blocked] = (double)m->deaths_blocked;
    k[FLYT_KPI_cfs_levels_gained] = (double)m->cfs_gained;
    k[FLYT_KPI_destination_changed] = ratio((double)m->dest_changed, (double)m->decisions);
    k[FLYT_KPI_patients_initial] = (double)m->n_initial;
    k[FLYT_KPI_patients_in] = (double)m->n_in;
    k[FLYT_KPI_patients_out] = (double)m->n_out;
    k[FLYT_KPI_patients_at_end] = (double)m->in_system;
    flyt__coord_finish(m);
}
