/* Figures of one replication: time-integrals over the measured window and
 * per-patient distributions (quantile.c), turned into KPIs when the run
 * ends. */
#include "model/model.h"

#include <math.h>

void flyt__advance(struct model *m, double t)
{
    double lo = m->t_last > m->t_warm ? m->t_last : m->t_warm;
    double hi = t < m->t_end ? t : m->t_end;
    if (hi > lo) {
        double dt = hi - lo;
        m->area_treat += m->n_treat * dt;
        m->area_ukp += m->n_ukp * dt;
        m->area_st += m->n_st * dt;
        m->area_nh += m->n_nh * dt;
        m->area_hc_users += m->n_hc * dt;
        m->area_hc_hours += m->hc_hours_used * dt;
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

/* Capacity changes only at 00:00 (plan.c), so its time-integral comes from
 * the daily levels once, at the end, rather than on every event. */
static double capacity_area(const struct model *m, enum unit u, double lo, double hi)
{
    if (!(hi > lo))
        return 0;
    if (!m->cap_day[u])
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

void flyt__finish(struct model *m)
{
    /* A run stopped early is measured up to where it stopped. */
    double t_stop = m->out->status == FLYT_RUN_OK ? m->t_end : flyt_engine_now(m->eng);
    flyt__advance(m, t_stop);
    double span = t_stop - m->t_warm;
    double area_cap[N_UNITS];
    for (int u = 0; u < N_UNITS; u++)
        area_cap[u] = capacity_area(m, (enum unit)u, m->t_warm, t_stop);
    double *k = m->out->kpi;
    k[FLYT_KPI_arrivals] = (double)m->arrivals_window;
    k[FLYT_KPI_ukp_patients] = (double)m->ukp_waits.n;
    flyt__quantile_kpis(&m->ukp_waits, &k[FLYT_KPI_ukp_wait_mean], &k[FLYT_KPI_ukp_wait_median],
                        &k[FLYT_KPI_ukp_wait_p90], &k[FLYT_KPI_ukp_wait_max]);
    k[FLYT_KPI_ukp_wait_mean_home] = ratio(m->wait_sum[FLYT_DEST_HOME], (double)m->wait_n[0]);
    k[FLYT_KPI_ukp_wait_mean_home_care] = ratio(m->wait_sum[1], (double)m->wait_n[1]);
    k[FLYT_KPI_ukp_wait_mean_short_term] = ratio(m->wait_sum[2], (double)m->wait_n[2]);
    k[FLYT_KPI_ukp_wait_mean_nursing_home] = ratio(m->wait_sum[3], (double)m->wait_n[3]);
    k[FLYT_KPI_ukp_wait_mean_complex] = ratio(m->wait_sum[4], (double)m->wait_n[4]);
    k[FLYT_KPI_ukp_waiting_at_end] = m->n_ukp;
    k[FLYT_KPI_ukp_days_per_year] = ratio(m->area_ukp * 365.0, span);
    k[FLYT_KPI_ukp_cost_per_year] = k[FLYT_KPI_ukp_days_per_year] * m->s->ukp_day_cost;
    k[FLYT_KPI_share_direct_home] =
            ratio((double)(m->wait_n[FLYT_DEST_HOME] + m->wait_n[FLYT_DEST_HOME_CARE]),
                  (double)m->ukp_waits.n);
    flyt__quantile_kpis(&m->st_los, &k[FLYT_KPI_st_los_mean], &k[FLYT_KPI_st_los_median], NULL,
                        NULL);
    k[FLYT_KPI_st_admissions] = (double)m->st_admissions;
    k[FLYT_KPI_st_admission_cfs_mean] = ratio((double)m->st_cfs_sum, (double)m->st_admissions);
    k[FLYT_KPI_not_ready_returns] = (double)m->not_ready_returns;
    k[FLYT_KPI_occ_hospital_treatment] = ratio(m->area_treat, span);
    k[FLYT_KPI_occ_ukp] = ratio(m->area_ukp, span);
    k[FLYT_KPI_occ_short_term] = ratio(m->area_st, span);
    k[FLYT_KPI_util_short_term] = ratio(m->area_st, area_cap[U_SHORT_TERM]);
    k[FLYT_KPI_occ_nursing_home] = ratio(m->area_nh, span);
    k[FLYT_KPI_util_nursing_home] = ratio(m->area_nh, area_cap[U_NURSING_HOME]);
    k[FLYT_KPI_occ_home_care_users] = ratio(m->area_hc_users, span);
    k[FLYT_KPI_home_care_hours] = ratio(m->area_hc_hours, span);
    k[FLYT_KPI_util_home_care] = ratio(m->area_hc_hours, area_cap[U_HOME_CARE]);
    k[FLYT_KPI_nh_wait_mean] = ratio(m->nh_wait_sum, (double)m->nh_waits);
    k[FLYT_KPI_nh_within_target] = ratio((double)m->nh_within, (double)m->nh_waits);
    k[FLYT_KPI_nh_admissions] = (double)m->nh_admissions;
    k[FLYT_KPI_readmission_30d] = ratio((double)m->readmit_num, (double)m->readmit_den);
    k[FLYT_KPI_deaths_hospital] = (double)m->deaths[0];
    k[FLYT_KPI_deaths_short_term] = (double)m->deaths[1];
    k[FLYT_KPI_deaths_nursing_home] = (double)m->deaths[2];
    k[FLYT_KPI_deaths_home_care] = (double)m->deaths[3];
    k[FLYT_KPI_patients_initial] = (double)m->n_initial;
    k[FLYT_KPI_patients_in] = (double)m->n_in;
    k[FLYT_KPI_patients_out] = (double)m->n_out;
    k[FLYT_KPI_patients_at_end] = (double)m->in_system;
    flyt__coord_finish(m);
}
