/* The payment for discharge-ready patients as Norwegian rules define it
 * (docs/costs.md): the municipality pays a daily rate from and including
 * the day the patient is declared ready and the municipality notified
 * (or from the day after, a local variant) until the day it can receive
 * the patient, which is not paid; each day at its own calendar year's
 * rate. Here the notice is the moment the patient becomes ready, and the
 * municipality can receive them when the wait ends: at the decision for
 * home, at the end of a special placement, at the admission to a unit,
 * at death while waiting, or never within the run (counted to the
 * horizon). */
#include "flyt/date.h"
#include "model/model.h"

#include <math.h>
#include <stdlib.h>

static double rate_of_year(const struct flyt_scenario *s, int year)
{
    if (s->n_pay_years == 0)
        return s->ukp_day_cost;
    int i = 0;
    while (i + 1 < s->n_pay_years && s->pay_year[i + 1] <= year)
        i++;
    return s->pay_rate[i]; /* before the first year: the first year's */
}

int flyt__pay_init(struct model *m)
{
    const struct flyt_scenario *s = m->s;
    m->pay_lo = (long)ceil(m->t_warm);
    m->pay_hi = (long)floor(m->t_end);
    int day0 = flyt_days_from_civil(s->start_year, s->start_month, s->start_mday);
    int y0, y1, mo, d;
    flyt_civil_from_days(day0 + (int)m->pay_lo, &y0, &mo, &d);
    flyt_civil_from_days(day0 + (int)(m->pay_hi > m->pay_lo ? m->pay_hi - 1 : m->pay_lo), &y1, &mo,
                         &d);
    int n = y1 - y0 + 1;
    m->pay_seg_day = malloc((size_t)n * sizeof *m->pay_seg_day);
    m->pay_seg_rate = malloc((size_t)n * sizeof *m->pay_seg_rate);
    if (!m->pay_seg_day || !m->pay_seg_rate)
        return -1;
    for (int y = y0; y <= y1; y++) {
        long jan1 = (long)(flyt_days_from_civil(y, 1, 1) - day0);
        m->pay_seg_day[y - y0] = jan1 > m->pay_lo ? jan1 : m->pay_lo;
        m->pay_seg_rate[y - y0] = rate_of_year(s, y);
    }
    m->n_pay_seg = n;
    return 0;
}

void flyt__pay_free(struct model *m)
{
    free(m->pay_seg_day);
    free(m->pay_seg_rate);
}

void flyt__pay_wait(struct model *m, const struct patient *p, double t_receive)
{
    struct account *acc = &m->acct[p->home];
    long a = (long)floor(p->t_ready) + (m->s->pay_from == FLYT_PAY_FROM_DAY_AFTER);
    long b = t_receive < (double)m->pay_hi ? (long)floor(t_receive) : m->pay_hi;
    if (a < m->pay_lo)
        a = m->pay_lo;
    if (a >= b)
        return;
    acc->pay_days += (double)(b - a);
    for (int i = 0; i < m->n_pay_seg; i++) {
        long from = m->pay_seg_day[i];
        long to = i + 1 < m->n_pay_seg ? m->pay_seg_day[i + 1] : m->pay_hi;
        long lo = a > from ? a : from, hi = b < to ? b : to;
        if (hi > lo)
            acc->pay_nok += (double)(hi - lo) * m->pay_seg_rate[i];
    }
}

void flyt__pay_open(struct model *m, double t_stop)
{
    for (uint32_t id = 0; id < m->n_pool; id++) {
        const struct patient *p = &m->p[id];
        if (p->state == PS_DECIDING || p->state == PS_WAITING || p->state == PS_COMPLEX)
            flyt__pay_wait(m, p, t_stop);
    }
}

/* Per year over the whole days of the window the run measured. */
double flyt__pay_per_year(const struct model *m, double x)
{
    double t_stop = m->out->status == FLYT_RUN_OK ? m->t_end : flyt_engine_now(m->eng);
    long hi = t_stop < (double)m->pay_hi ? (long)floor(t_stop) : m->pay_hi;
    return hi > m->pay_lo ? x * 365.0 / (double)(hi - m->pay_lo) : NAN;
}

/* The yearly payment that repays 1 NOK over n years at rate r. */
static double annuity(double r, double n)
{
    return r > 0 ? r / (1.0 - pow(1.0 + r, -n)) : 1.0 / n;
}

void flyt__cost_kpis(struct model *m, double t_stop)
{
    const struct flyt_scenario *s = m->s;
    double *k = m->out->kpi;
    double span = t_stop - m->t_warm, muni = 0, hosp = 0;
    double *own = m->out->muni_kpi ? calloc((size_t)m->n_acc, sizeof *own) : NULL;
    if (m->out->muni_kpi && !own)
        m->failed = true; /* the region's figures are still computed */
    for (int u = 0; u < s->n_units; u++) {
        const struct flyt_unit *x = &s->units[u];
        double *uk = flyt_result_unit_kpi(m->out, (unsigned)u);
        double c = 0;
        if (x->kind == FLYT_UNIT_CASELOAD)
            c += uk[FLYT_UNIT_KPI_hours_used] * (365.0 / 7.0) * x->cost_day;
        else
            c += uk[FLYT_UNIT_KPI_occupancy] * 365.0 * x->cost_day;
        if (x->kind != FLYT_UNIT_UNLIMITED && x->cost_place_year > 0)
            c += uk[FLYT_UNIT_KPI_capacity] * x->cost_place_year;
        if (x->cost_new_place > 0 && uk[FLYT_UNIT_KPI_capacity] > x->base_capacity)
            c += (uk[FLYT_UNIT_KPI_capacity] - x->base_capacity) * x->cost_new_place *
                 annuity(s->discount_rate, s->annuity_years);
        if (x->kind == FLYT_UNIT_BEDS && x->cost_overflow_day > 0 && span > 0)
            c += uk[FLYT_UNIT_KPI_overflow_bed_days] * 365.0 / span * x->cost_overflow_day;
        uk[FLYT_UNIT_KPI_cost_per_year] = span > 0 ? c : NAN;
        if (x->hospital)
            hosp += c;
        else
            muni += c;
        if (own && x->muni >= 0)
            own[x->muni] += c;
    }
    for (int r = 0; r < s->n_roles; r++) {
        muni += s->roles[r].headcount * s->roles[r].cost_fte_year;
        if (own && s->roles[r].muni >= 0)
            own[s->roles[r].muni] += s->roles[r].headcount * s->roles[r].cost_fte_year;
    }
    double pay = k[FLYT_KPI_ukp_payment_per_year];
    k[FLYT_KPI_cost_municipality_per_year] = muni + pay;
    k[FLYT_KPI_cost_hospital_per_year] = hosp - pay;
    k[FLYT_KPI_cost_total_per_year] = muni + hosp;
    /* a municipality's: its own units and roles and its residents' waiting
     * days; shared units are the region's (docs/region.md) */
    for (int a = 0; own && a < m->n_acc; a++) {
        double *mk = flyt_result_muni_kpi(m->out, (unsigned)a);
        mk[FLYT_KPI_cost_municipality_per_year] = own[a] + mk[FLYT_KPI_ukp_payment_per_year];
        mk[FLYT_KPI_cost_hospital_per_year] = NAN;
        mk[FLYT_KPI_cost_total_per_year] = NAN;
    }
    free(own);
}
