/* What the calendar fixes before a replication starts: the arrival rate of
 * each day, the capacity of each unit on each day, and the working hours of
 * coordinator roles. Nothing here draws a random number. */
#include "flyt/date.h"
#include "model/model.h"

#include <math.h>
#include <stdlib.h>

static int start_days(const struct flyt_scenario *s)
{
    return flyt_days_from_civil(s->start_year, s->start_month, s->start_mday);
}

static double shock_factor(const struct flyt_scenario *s, size_t d)
{
    double f = 1.0;
    for (size_t i = 0; i < s->n_shocks; i++)
        if ((double)d >= s->shocks[i].from_day && (double)d < s->shocks[i].to_day)
            f *= s->shocks[i].factor;
    return f;
}

/* Arrival rate per day, day by day: base x month x weekday x growth x
 * shocks, with the calendar walked forward from the start date; per
 * municipality, each with its own base, factors and growth. A table
 * (population.arrivals_table) gives base x month x weekday x growth of
 * each day itself, and the shocks multiply it in the same order, so that
 * a table of exactly those products gives the same rates to the bit. */
int flyt__build_rates(struct model *m)
{
    const struct flyt_scenario *s = m->s;
    m->n_rate_days = (size_t)ceil(s->horizon_days);
    int day0 = start_days(s);
    for (int a = 0; a < m->n_acc; a++) {
        const struct flyt_muni_population *pop = &m->ms[a].mu->pop;
        double *rate = malloc(sizeof(double) * (m->n_rate_days ? m->n_rate_days : 1));
        if (!rate)
            return -1;
        m->ms[a].day_rate = rate;
        if (pop->arrivals) {
            if (pop->arrivals->n_days < m->n_rate_days)
                return -1; /* the loader read it for this horizon: never */
            for (size_t d = 0; d < m->n_rate_days; d++)
                rate[d] = pop->arrivals->rate[d] * shock_factor(s, d);
            continue;
        }
        for (size_t d = 0; d < m->n_rate_days; d++) {
            double growth;
            if (pop->n_growth_by_year > 0) {
                size_t yr = (size_t)((double)d / 365.0);
                growth =
                        pop->growth_by_year[yr < pop->n_growth_by_year ? yr
                                                                       : pop->n_growth_by_year - 1];
            } else {
                growth = pow(1.0 + pop->growth_per_year, (double)d / 365.0);
            }
            int y, mo, mday;
            flyt_civil_from_days(day0 + (int)d, &y, &mo, &mday);
            rate[d] = pop->admissions_per_day * pop->month_factor[mo - 1] *
                      pop->weekday_factor[((size_t)s->start_weekday + d) % 7] * growth *
                      shock_factor(s, d);
        }
    }
    return 0;
}

static bool in_weeks(const struct flyt_cap_recurring *r, int week)
{
    if (r->week_from <= r->week_to)
        return week >= r->week_from && week <= r->week_to;
    return week >= r->week_from || week <= r->week_to; /* wraps the new year */
}

static double level_on(const struct flyt_scenario *s, int u, size_t d)
{
    const struct flyt_unit *x = &s->units[u];
    const struct flyt_capacity *c = &x->schedule;
    double level = x->capacity;
    for (size_t i = 0; i < c->n_changes && c->changes[i].day <= (double)d; i++)
        level = c->changes[i].level;
    if (c->n_recurring > 0) {
        int week = flyt_iso_week(start_days(s) + (int)d);
        for (size_t i = 0; i < c->n_recurring; i++)
            if (in_weeks(&c->recurring[i], week))
                level += c->recurring[i].change;
    }
    if (level < 0)
        level = 0; /* a closure larger than the unit closes it, no more */
    if (level > 2e9)
        level = 2e9; /* yearly changes may add up past any real unit: keep beds an int */
    return x->kind == FLYT_UNIT_CASELOAD ? level : round(level);
}

/* At least the highest level from day d on, past the horizon too: a
 * horizon that ends in a summer closure is not a unit closed for good. The
 * dated level in force at d and every later one, plus the largest sum of
 * yearly changes any one week gets. */
static double level_beyond(const struct flyt_scenario *s, int u, size_t d)
{
    const struct flyt_unit *x = &s->units[u];
    const struct flyt_capacity *c = &x->schedule;
    double level = x->capacity, later = 0; /* the changes are in order of day */
    for (size_t i = 0; i < c->n_changes; i++)
        if (c->changes[i].day <= (double)d)
            level = c->changes[i].level;
        else if (c->changes[i].level > later)
            later = c->changes[i].level;
    if (later > level)
        level = later;
    double most = 0;
    for (int week = 1; week <= 53; week++) {
        double sum = 0;
        for (size_t i = 0; i < c->n_recurring; i++)
            if (in_weeks(&c->recurring[i], week))
                sum += c->recurring[i].change;
        if (sum > most)
            most = sum;
    }
    level += most;
    if (level < 0)
        level = 0;
    if (level > 2e9)
        level = 2e9;
    return x->kind == FLYT_UNIT_CASELOAD ? level : round(level);
}

double flyt__capacity_on(const struct model *m, int u, size_t d)
{
    if (!m->u[u].cap_day)
        return m->s->units[u].capacity;
    return m->u[u].cap_day[d < m->n_rate_days ? d : m->n_rate_days - 1];
}

double flyt__capacity_ahead(const struct model *m, int u, size_t d)
{
    if (!m->u[u].cap_day)
        return m->s->units[u].capacity;
    size_t n = m->n_rate_days ? m->n_rate_days : 1;
    return m->u[u].cap_day[n + (d < n ? d : n - 1)];
}

int flyt__build_capacity(struct model *m)
{
    const struct flyt_scenario *s = m->s;
    for (int u = 0; u < s->n_units; u++) {
        const struct flyt_capacity *c = &s->units[u].schedule;
        if (s->units[u].kind == FLYT_UNIT_UNLIMITED || (c->n_changes == 0 && c->n_recurring == 0))
            continue;
        size_t n = m->n_rate_days ? m->n_rate_days : 1;
        /* the levels by day, then the most from each day on (a gridlock
         * needs a unit that no later level opens) */
        double *c_day = malloc(2 * n * sizeof(double));
        if (!(m->u[u].cap_day = c_day))
            return -1;
        for (size_t d = 0; d < n; d++)
            c_day[d] = level_on(s, u, d);
        double beyond = level_beyond(s, u, n - 1);
        c_day[2 * n - 1] = c_day[n - 1] > beyond ? c_day[n - 1] : beyond;
        for (size_t d = n - 1; d-- > 0;)
            c_day[n + d] = c_day[d] > c_day[n + d + 1] ? c_day[d] : c_day[n + d + 1];
    }
    return 0;
}

/* ---- coordinator working time ---- */

static bool holiday(const struct flyt_role *r, long day)
{
    size_t lo = 0, hi = r->n_holidays;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (r->holidays[mid] < day)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < r->n_holidays && r->holidays[lo] == day;
}

bool flyt__role_works(const struct model *m, const struct flyt_role *r, long day)
{
    return r->workday[((long)m->s->start_weekday + day) % 7] && !holiday(r, day);
}

/* Longer than any horizon: a role whose schedule never comes round again
 * (holidays to the end) stops looking after this many days. */
#define SEARCH_DAYS 400000L

double flyt__add_work(const struct model *m, const struct flyt_role *r, double t, double hours)
{
    double need = hours / 24.0;
    for (long guard = 0; guard < SEARCH_DAYS; guard++) {
        long day = (long)floor(t);
        if (flyt__role_works(m, r, day)) {
            double a = (double)day + r->shift_from / 24.0, b = (double)day + r->shift_to / 24.0;
            if (t < a)
                t = a;
            if (t <= b) {
                if (need <= b - t)
                    return t + need;
                need -= b - t;
            }
        }
        t = (double)(day + 1);
    }
    return INFINITY;
}

double flyt__shift_hours(const struct model *m, const struct flyt_role *r, double a, double b)
{
    double h = 0;
    if (!(b > a))
        return 0;
    for (long day = (long)floor(a); (double)day < b; day++) {
        if (!flyt__role_works(m, r, day))
            continue;
        double lo = fmax(a, (double)day + r->shift_from / 24.0);
        double hi = fmin(b, (double)day + r->shift_to / 24.0);
        if (hi > lo)
            h += (hi - lo) * 24.0;
    }
    return h;
}

double flyt__next_shift(const struct model *m, const struct flyt_role *r, double t)
{
    for (long day = (long)floor(t); (double)day < m->t_end; day++) {
        double a = (double)day + r->shift_from / 24.0;
        if (a >= t && flyt__role_works(m, r, day))
            return a;
    }
    return INFINITY;
}
