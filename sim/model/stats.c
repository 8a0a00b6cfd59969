/* Figures of one replication: time-integrals over the measured window and
 * per-patient distributions (quantile.c), turned into KPIs when the run
 * ends. */
#include "model/model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A file without municipalities integrates its censuses at every event,
 * as it always did (its figures stay bit for bit); a region's are
 * integrated as they move (flyt__acct_touch). */
void flyt__advance(struct model *m, double t)
{
    if (m->s->n_munis > 0)
        return;
    struct account *a = &m->acct[0];
    double lo = a->t_last > m->t_warm ? a->t_last : m->t_warm;
    double hi = t < m->t_end ? t : m->t_end;
    if (hi > lo) {
        double dt = hi - lo;
        a->area_treat += a->n_treat * dt;
        a->area_ukp += a->n_ukp * dt;
    }
    if (t > a->t_last)
        a->t_last = t;
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
    for (int k = 0; k < m->n_cu; k++) {
        struct unit_state *us = &m->u[m->cu[k]];
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

/* The episodes of the window still open at the horizon: each is censored
 * at t_stop - its start. Every patient is looked at once; the times are
 * grouped by family and unit so each figure reads its own slice. */
enum { OPEN_UKP, OPEN_WAIT, OPEN_STAY, N_OPEN };

struct open_ep {
    int fam, unit; /* UKP: the unit is the home municipality */
    double t;
    uint32_t ord; /* the order patients were looked at: ties keep it */
};

/* Per municipality: what the scenario-wide figures need of its open
 * episodes. */
struct open_acc {
    double complex_sum;
    uint64_t complex_n;
    /* still in decision: where they go is not known yet; waiting or
     * complex: known, and how many of those go home (to a caseload) */
    double deciding_sum, carry_deciding;
    uint64_t deciding_n, known_n, known_home_n;
    double carry_ukp, carry_complex;
};

struct open_set {
    struct open_ep *ep; /* grouped by family and unit, in the order looked at within each */
    size_t n;
    size_t n_slot; /* units or municipalities, whichever are more */
    size_t *start; /* [family][slot]: where each group begins in ep; one more at the end */
    double *t;     /* the times of one slice, for the estimators (which sort them) */
    /* Little's law for the means that come from sums: per unit, the waits'
     * time by origin class and the UKP waits bound for it; the complex
     * patients' UKP waits */
    double *origin_sum;   /* [unit][3] */
    uint64_t *origin_n;   /* [unit][3] */
    double *ukp_to_sum;   /* [unit] */
    uint64_t *ukp_to_n;   /* [unit] */
    struct open_acc *acc; /* [municipality] */
    /* open episodes begun before the window: the window's length each, the
     * rest of Little's census (unit_state's carry_ has the closed ones) */
    double *carry; /* [unit][OPEN_CARRY] */
};

enum { CARRY_WAIT, CARRY_ORIGIN, CARRY_UKP_TO = CARRY_ORIGIN + 3, CARRY_STAY, OPEN_CARRY };

static int origin_class_of(const struct model *m, int origin)
{
    if (m->s->units[origin].hospital)
        return 0;
    return m->s->units[origin].kind == FLYT_UNIT_CASELOAD ? 2 : 1;
}

struct order_key {
    uint64_t home, key;
    uint32_t id;
};

static int cmp_key(const void *a, const void *b)
{
    const struct order_key *x = a, *y = b;
    if (x->home != y->home)
        return x->home < y->home ? -1 : 1;
    return (x->key > y->key) - (x->key < y->key);
}

/* The order the open episodes are looked at: by slot in a file without
 * municipalities (as it always was); in a region by home municipality and
 * patient key, which do not depend on where in the pool a patient landed,
 * so that a municipality's sums come out the same with or without the
 * others (the superposition of docs/region.md). */
static uint32_t *order_of_patients(const struct model *m)
{
    uint32_t *order = malloc(sizeof *order * (m->n_pool ? m->n_pool : 1));
    if (!order)
        return NULL;
    for (uint32_t id = 0; id < m->n_pool; id++)
        order[id] = id;
    if (m->s->n_munis == 0 || m->n_pool == 0)
        return order;
    struct order_key *k = malloc(sizeof *k * m->n_pool);
    if (!k) {
        free(order);
        return NULL;
    }
    for (uint32_t id = 0; id < m->n_pool; id++)
        k[id] = (struct order_key){ m->p[id].home, m->p[id].key, id };
    qsort(k, m->n_pool, sizeof *k, cmp_key);
    for (uint32_t i = 0; i < m->n_pool; i++)
        order[i] = k[i].id;
    free(k);
    return order;
}

/* The same order, in linear time, where home and key fit one word (a key
 * is its stream class, 4 bits, above a 44-bit number): always, short of
 * 2^44 patients of one municipality. qsort with a comparator took 19 ms
 * of a national year's 44 ms of figures. NULL when out of memory. */
static uint32_t *order_of_patients_fast(const struct model *m)
{
    uint32_t n = m->n_pool;
    if (m->s->n_munis == 0 || n == 0)
        return order_of_patients(m);
    for (uint32_t id = 0; id < n; id++)
        if (m->p[id].key >> 48)
            return order_of_patients(m);
    uint32_t *order = malloc(sizeof *order * n);
    uint32_t *tmp = malloc(sizeof *tmp * n);
    uint64_t *k = malloc(2 * sizeof *k * n);
    if (order && tmp && k) {
        for (uint32_t id = 0; id < n; id++) {
            order[id] = id;
            k[id] = (uint64_t)m->p[id].home << 48 | m->p[id].key;
        }
        flyt__radix_sort(k, order, n, k + n, tmp);
    } else {
        free(order);
        order = NULL;
    }
    free(tmp);
    free(k);
    return order;
}

/* Groups the open episodes by family and unit (in that order), keeping
 * the order they were collected in within a group, which is the order of
 * the patients: one counting pass, where a sort by (family, unit, order)
 * gave the same. */
static int group_open(struct open_set *o)
{
    size_t nb = N_OPEN * o->n_slot;
    o->start = calloc(nb + 1, sizeof *o->start);
    struct open_ep *to = calloc(o->n ? o->n : 1, sizeof *to);
    if (!o->start || !to) {
        free(to);
        return -1;
    }
    for (size_t i = 0; i < o->n; i++)
        o->start[(size_t)o->ep[i].fam * o->n_slot + (size_t)o->ep[i].unit + 1]++;
    for (size_t b = 0; b < nb; b++)
        o->start[b + 1] += o->start[b];
    size_t *at = malloc((nb ? nb : 1) * sizeof *at);
    if (!at) {
        free(to);
        return -1;
    }
    memcpy(at, o->start, nb * sizeof *at);
    for (size_t i = 0; i < o->n; i++)
        to[at[(size_t)o->ep[i].fam * o->n_slot + (size_t)o->ep[i].unit]++] = o->ep[i];
    free(at);
    free(o->ep);
    o->ep = to;
    return 0;
}

static int collect_open(struct model *m, struct open_set *o, double t_stop)
{
    int nu = m->s->n_units;
    memset(o, 0, sizeof *o);
    o->ep = malloc((2 * (size_t)m->n_pool + 1) * sizeof *o->ep);
    o->t = malloc((2 * (size_t)m->n_pool + 1) * sizeof *o->t);
    o->origin_sum = calloc((size_t)nu * 3, sizeof *o->origin_sum);
    o->origin_n = calloc((size_t)nu * 3, sizeof *o->origin_n);
    o->ukp_to_sum = calloc((size_t)nu, sizeof *o->ukp_to_sum);
    o->ukp_to_n = calloc((size_t)nu, sizeof *o->ukp_to_n);
    o->carry = calloc((size_t)nu * OPEN_CARRY, sizeof *o->carry);
    o->acc = calloc((size_t)m->n_acc, sizeof *o->acc);
    o->n_slot = (size_t)(nu > m->n_acc ? nu : m->n_acc);
    uint32_t *order = order_of_patients_fast(m);
    if (!o->ep || !o->t || !o->origin_sum || !o->origin_n || !o->ukp_to_sum || !o->ukp_to_n ||
        !o->carry || !o->acc || !order) {
        free(order);
        return -1;
    }
    double whole = t_stop > m->t_warm ? t_stop - m->t_warm : 0;
    for (uint32_t ord = 0; ord < m->n_pool; ord++) {
        uint32_t id = order[ord];
        const struct patient *p = &m->p[id];
        struct open_acc *oa = &o->acc[p->home];
        switch (p->state) {
        case PS_DECIDING:
        case PS_WAITING:
        case PS_COMPLEX:
            if (flyt__measured(m, p->t_ready) && p->t_ready <= t_stop) {
                double t = t_stop - p->t_ready;
                o->ep[o->n++] = (struct open_ep){ OPEN_UKP, p->home, t, ord };
                if (p->state == PS_COMPLEX) {
                    oa->complex_sum += t;
                    oa->complex_n++;
                    oa->known_n++;
                } else if (p->state == PS_WAITING && p->queue_unit != NO_UNIT) {
                    o->ukp_to_sum[p->queue_unit] += t;
                    o->ukp_to_n[p->queue_unit]++;
                    oa->known_n++;
                    if (m->s->units[p->queue_unit].kind == FLYT_UNIT_CASELOAD)
                        oa->known_home_n++;
                } else if (p->state == PS_DECIDING) {
                    oa->deciding_sum += t;
                    oa->deciding_n++;
                }
            } else {
                oa->carry_ukp += whole;
                if (p->state == PS_DECIDING)
                    oa->carry_deciding += whole;
                if (p->state == PS_COMPLEX)
                    oa->carry_complex += whole;
                else if (p->state == PS_WAITING && p->queue_unit != NO_UNIT)
                    o->carry[(size_t)p->queue_unit * OPEN_CARRY + CARRY_UKP_TO] += whole;
            }
            break;
        case PS_STAY:
        case PS_BLOCKED:
            if (p->t_unit >= 0 && flyt__measured(m, p->t_unit) && p->t_unit <= t_stop)
                o->ep[o->n++] = (struct open_ep){ OPEN_STAY, p->unit, t_stop - p->t_unit, ord };
            else /* placed, or admitted before the window */
                o->carry[(size_t)p->unit * OPEN_CARRY + CARRY_STAY] += whole;
            break;
        default:
            break;
        }
        if (p->state != PS_FREE && p->queue_unit != NO_UNIT) {
            int c = origin_class_of(m, p->unit);
            if (flyt__measured(m, p->t_queue) && p->t_queue <= t_stop) {
                double t = t_stop - p->t_queue;
                o->ep[o->n++] = (struct open_ep){ OPEN_WAIT, p->queue_unit, t, ord };
                o->origin_sum[(size_t)p->queue_unit * 3 + (size_t)c] += t;
                o->origin_n[(size_t)p->queue_unit * 3 + (size_t)c]++;
            } else {
                double *cq = &o->carry[(size_t)p->queue_unit * OPEN_CARRY];
                cq[CARRY_WAIT] += whole;
                cq[CARRY_ORIGIN + c] += whole;
            }
        }
    }
    free(order);
    return group_open(o);
}

static void open_free(struct open_set *o)
{
    free(o->ep);
    free(o->t);
    free(o->origin_sum);
    free(o->origin_n);
    free(o->ukp_to_sum);
    free(o->ukp_to_n);
    free(o->carry);
    free(o->acc);
    free(o->start);
}

/* Little's law for a mean kept as a sum: (closed + open so far + carry) /
 * (closed + open); with none open the closed ones' own mean, bit for bit. */
static double little(double sum, uint64_t n, double open_sum, uint64_t n_open, double carry)
{
    if (n_open == 0)
        return ratio(sum, (double)n);
    return (sum + open_sum + carry) / (double)(n + n_open);
}

/* The open times of one family and unit, copied to o->t; their count.
 * The episodes are grouped by family and unit (group_open), so the slice
 * is found at once: a scan per unit cost a national run 0.05 s. */
static size_t open_slice(struct open_set *o, int fam, int unit, double *sum)
{
    size_t k = 0;
    double s = 0;
    size_t b = (size_t)fam * o->n_slot + (size_t)unit;
    for (size_t i = o->start[b]; i < o->start[b + 1]; i++) {
        o->t[k++] = o->ep[i].t;
        s += o->ep[i].t;
    }
    if (sum)
        *sum = s;
    return k;
}

/* The UKP bed-days a hospital unit held in the window. */
static double site_ukp_area(const struct model *m, int u)
{
    if (m->s->n_munis == 0)
        return m->acct[0].area_ukp;
    double area = 0;
    for (int a = 0; a < m->n_acc; a++)
        area += m->site_acc[(size_t)a * (size_t)m->n_sites + (size_t)m->site_of[u]].area;
    return area;
}

static void unit_kpis(struct model *m, int u, double span, double t_stop, struct open_set *o)
{
    const struct flyt_unit *x = &m->s->units[u];
    struct unit_state *us = &m->u[u];
    double *k = flyt_result_unit_kpi(m->out, (unsigned)u);
    bool load = x->kind == FLYT_UNIT_CASELOAD, unlimited = x->kind == FLYT_UNIT_UNLIMITED;
    double area_cap = unlimited ? NAN : capacity_area(m, u, m->t_warm, t_stop);
    if (x->hospital && !us->finite) /* not integrated as it moved: the one site of a plain file */
        us->area_n = m->acct[0].area_treat + m->acct[0].area_ukp;
    k[FLYT_UNIT_KPI_occupancy] = ratio(us->area_n, span);
    k[FLYT_UNIT_KPI_capacity] = unlimited ? NAN : ratio(area_cap, span);
    k[FLYT_UNIT_KPI_utilisation] = unlimited ? NAN
                                   : load    ? ratio(us->area_hours, area_cap)
                                             : ratio(us->area_n, area_cap);
    k[FLYT_UNIT_KPI_hours_used] = load ? ratio(us->area_hours, span) : NAN;
    k[FLYT_UNIT_KPI_admissions] = (double)us->admissions;
    k[FLYT_UNIT_KPI_admissions_from_home] = (double)us->admissions_home;
    k[FLYT_UNIT_KPI_admission_cfs_mean] = ratio((double)us->cfs_sum, (double)us->admissions);
    k[FLYT_UNIT_KPI_los_mean] = k[FLYT_UNIT_KPI_los_median] = NAN;
    const double *oc = &o->carry[(size_t)u * OPEN_CARRY];
    size_t n_stay = open_slice(o, OPEN_STAY, u, NULL);
    bool stays = flyt__kinds[x->kind]->stays && !x->hospital;
    k[FLYT_UNIT_KPI_stays_open] = stays ? (double)n_stay : NAN;
    k[FLYT_UNIT_KPI_stays_open_share] =
            stays ? ratio((double)n_stay, (double)n_stay + (double)us->los.n) : NAN;
    /* each unit's samples freed as soon as read: a network's units never
     * hold theirs all at once with a sort's buffer on top */
    if (flyt__quantile_used(&us->los) || n_stay)
        flyt__quantile_kpis_open(&us->los, o->t, n_stay, us->carry_los + oc[CARRY_STAY],
                                 &k[FLYT_UNIT_KPI_los_mean], &k[FLYT_UNIT_KPI_los_median], NULL,
                                 NULL);
    flyt__quantile_free(&us->los);
    double open_sum;
    size_t n_wait = open_slice(o, OPEN_WAIT, u, &open_sum);
    k[FLYT_UNIT_KPI_waits_open] = (double)n_wait;
    k[FLYT_UNIT_KPI_waits_open_share] = ratio((double)n_wait, (double)(n_wait + us->waits));
    k[FLYT_UNIT_KPI_wait_mean] =
            little(us->wait_sum, us->waits, open_sum, n_wait, us->carry_wait + oc[CARRY_WAIT]);
    k[FLYT_UNIT_KPI_wait_p90] = NAN;
    k[FLYT_UNIT_KPI_wait_within_target] = ratio((double)us->within, (double)us->waits);
    if (flyt__quantile_used(&us->wait) || n_wait) {
        struct quantile *q = &us->wait;
        double mean, median, max;
        flyt__quantile_kpis_open(q, o->t, n_wait, 0, &mean, &median, &k[FLYT_UNIT_KPI_wait_p90],
                                 &max);
        /* a wait still open past the target has missed it; one open
         * shorter may yet make it: Kaplan-Meier's share at the target */
        if (n_wait)
            k[FLYT_UNIT_KPI_wait_within_target] =
                    1.0 - flyt__km_survival(q, o->t, n_wait, m->s->wait_target_days);
    }
    flyt__quantile_free(&us->wait);
    const double *os = &o->origin_sum[(size_t)u * 3];
    const uint64_t *on = &o->origin_n[(size_t)u * 3];
    static const int origin_kpi[3] = { FLYT_UNIT_KPI_wait_mean_hospital,
                                       FLYT_UNIT_KPI_wait_mean_bed, FLYT_UNIT_KPI_wait_mean_home };
    for (int c = 0; c < 3; c++)
        k[origin_kpi[c]] = little(us->by_origin_sum[c], us->by_origin_n[c], os[c], on[c],
                                  us->carry_origin[c] + oc[CARRY_ORIGIN + c]);
    k[FLYT_UNIT_KPI_ukp_wait_mean] = little(us->ukp_wait_sum, us->ukp_wait_n, o->ukp_to_sum[u],
                                            o->ukp_to_n[u], us->carry_ukp + oc[CARRY_UKP_TO]);
    k[FLYT_UNIT_KPI_blocked_days] = x->hospital ? site_ukp_area(m, u) : us->area_blocked;
    k[FLYT_UNIT_KPI_deaths] = (double)us->deaths;
    k[FLYT_UNIT_KPI_deaths_waiting] = (double)us->deaths_waiting;
    k[FLYT_UNIT_KPI_overflow_bed_days] = x->kind == FLYT_UNIT_BEDS ? us->area_over : NAN;
    k[FLYT_UNIT_KPI_days_over_capacity] =
            x->kind == FLYT_UNIT_BEDS ? ratio((double)us->days_over, (double)us->days) : NAN;
}

/* Allocated once per account, at its first follow-up. */
static int follow_push(struct account *a, double t, int died)
{
    if (!a->fu && !(a->fu = calloc(1, sizeof *a->fu)))
        return -1;
    struct follow_bins *b = a->fu;
    b->n++;
    if (!(t < (double)FLYT_FOLLOW_DAYS)) {
        b->beyond++; /* at risk the whole year: a death after it is not counted */
        return 0;
    }
    size_t day = t > 0 ? (size_t)t : 0;
    if (died)
        b->died[day]++;
    else
        b->censored[day]++;
    return 0;
}

static int follow_merge(struct account *tot, const struct follow_bins *b)
{
    if (!b)
        return 0;
    if (!tot->fu && !(tot->fu = calloc(1, sizeof *tot->fu)))
        return -1;
    for (size_t d = 0; d < FLYT_FOLLOW_DAYS; d++) {
        tot->fu->died[d] += b->died[d];
        tot->fu->censored[d] += b->censored[d];
    }
    tot->fu->n += b->n;
    tot->fu->beyond += b->beyond;
    return 0;
}

void flyt__follow_end(struct model *m, struct patient *p, bool died)
{
    if (p->t_ukp1 < 0)
        return;
    if (follow_push(flyt__acct(m, p), flyt__now(m) - p->t_ukp1, died) != 0)
        m->failed = true;
    p->t_ukp1 = -1;
}

/* Those still followed at t_stop, censored there. */
static int follow_open(struct model *m, double t_stop)
{
    for (uint32_t id = 0; id < m->n_pool; id++) {
        struct patient *p = &m->p[id];
        if (p->state != PS_FREE && p->t_ukp1 >= 0 &&
            follow_push(&m->acct[p->home], t_stop - p->t_ukp1, 0) != 0)
            return -1;
    }
    return 0;
}

/* 1 - the Kaplan-Meier survival over the year, on whole days: a day's
 * deaths come before its censorings (a patient censored that day counts
 * as at risk on it, as Kaplan-Meier does at tied times); NaN with none.
 * Past the longest follow-up the survival stays at its last value: with a
 * measured window of a year nobody is followed much longer than a year,
 * so the estimate rests on the few followed to the end. */
static double km_dead_by_year(const struct follow_bins *b)
{
    if (!b || b->n == 0)
        return NAN;
    double s = 1.0;
    uint64_t at_risk = b->n;
    for (size_t d = 0; d < FLYT_FOLLOW_DAYS && at_risk > 0; d++) {
        s *= 1.0 - (double)b->died[d] / (double)at_risk;
        at_risk -= b->died[d] + b->censored[d];
    }
    return 1.0 - s;
}

/* Going home is decided with the decision, so a wait still open in
 * decision may yet be one: each counts in Little's law with the share of
 * decided waits that went home (the destination does not depend on how
 * long the decision takes). */
static double home_wait_mean(const struct account *a, const struct open_acc *o)
{
    uint64_t decided = a->ukp_waits.n - a->wait_complex_n;
    if (o->deciding_n == 0 || decided == 0)
        return ratio(a->wait_home_sum, (double)a->wait_home_n);
    double share = (double)a->wait_home_n / (double)decided;
    double n = (double)a->wait_home_n + share * (double)o->deciding_n;
    return n > 0 ? (a->wait_home_sum + a->carry_home +
                    share * (o->deciding_sum + o->carry_deciding)) /
                           n
                 : NAN;
}

/* The open UKP waits of municipality home (any when home < 0), copied to
 * o->t; their count. */
static size_t open_ukp(struct open_set *o, int home)
{
    if (home >= 0)
        return open_slice(o, OPEN_UKP, home, NULL);
    size_t k = 0;
    for (size_t i = 0; i < o->n; i++)
        if (o->ep[i].fam == OPEN_UKP)
            o->t[k++] = o->ep[i].t;
    return k;
}

/* The scenario-wide KPIs of one account (a municipality's, or all of
 * them merged) into k; home: whose open waits (-1 all). */
static void account_kpis(struct model *m, struct account *a, const struct open_acc *oa,
                         struct open_set *o, int home, double span, double *k)
{
    k[FLYT_KPI_arrivals] = (double)a->arrivals_window;
    k[FLYT_KPI_ukp_patients] = (double)a->ukp_waits.n;
    size_t n_ukp = open_ukp(o, home);
    k[FLYT_KPI_ukp_waits_open] = (double)n_ukp;
    k[FLYT_KPI_ukp_open_share] = ratio((double)n_ukp, (double)(n_ukp + a->ukp_waits.n));
    if (a->ukp_waits.n || n_ukp)
        flyt__quantile_kpis_open(&a->ukp_waits, o->t, n_ukp, a->carry_ukp + oa->carry_ukp,
                                 &k[FLYT_KPI_ukp_wait_mean], &k[FLYT_KPI_ukp_wait_median],
                                 &k[FLYT_KPI_ukp_wait_p90], &k[FLYT_KPI_ukp_wait_max]);
    else
        flyt__quantile_kpis(&a->ukp_waits, &k[FLYT_KPI_ukp_wait_mean], &k[FLYT_KPI_ukp_wait_median],
                            &k[FLYT_KPI_ukp_wait_p90], &k[FLYT_KPI_ukp_wait_max]);
    k[FLYT_KPI_ukp_wait_mean_home] = home_wait_mean(a, oa);
    k[FLYT_KPI_ukp_wait_mean_complex] =
            little(a->wait_complex_sum, a->wait_complex_n, oa->complex_sum, oa->complex_n,
                   a->carry_complex + oa->carry_complex);
    k[FLYT_KPI_ukp_waiting_at_end] = a->n_ukp;
    k[FLYT_KPI_ukp_days_per_year] = ratio(a->area_ukp * 365.0, span);
    k[FLYT_KPI_ukp_cost_per_year] = k[FLYT_KPI_ukp_days_per_year] * m->s->ukp_day_cost;
    /* the open waits whose place is decided count; those still in
     * decision are left out, as where they go does not depend on how long
     * the decision takes */
    k[FLYT_KPI_share_direct_home] =
            ratio((double)(a->wait_home_n + a->ukp_to_caseload + oa->known_home_n),
                  (double)(a->ukp_waits.n + oa->known_n));
    k[FLYT_KPI_not_ready_returns] = (double)a->not_ready_returns;
    k[FLYT_KPI_occ_hospital_treatment] = ratio(a->area_treat, span);
    k[FLYT_KPI_occ_ukp] = ratio(a->area_ukp, span);
    k[FLYT_KPI_readmission_rate] = ratio((double)a->readmit_num, (double)a->readmit_den);
    k[FLYT_KPI_deaths] = (double)a->deaths;
    k[FLYT_KPI_deaths_waiting_hospital] = (double)a->deaths_waiting;
    k[FLYT_KPI_deaths_blocked] = (double)a->deaths_blocked;
    k[FLYT_KPI_cfs_levels_gained] = (double)a->cfs_gained;
    k[FLYT_KPI_destination_changed] = ratio((double)a->dest_changed, (double)a->decisions);
    k[FLYT_KPI_patients_initial] = (double)a->n_initial;
    k[FLYT_KPI_patients_in] = (double)a->n_in;
    k[FLYT_KPI_patients_out] = (double)a->n_out;
    k[FLYT_KPI_patients_at_end] = (double)a->in_system;
    k[FLYT_KPI_ukp_paid_days_per_year] = flyt__pay_per_year(m, a->pay_days);
    k[FLYT_KPI_ukp_payment_per_year] = flyt__pay_per_year(m, a->pay_nok);
    k[FLYT_KPI_ukp_dead_365] = km_dead_by_year(a->fu);
}

/* The region's account: its municipalities' summed (in their order) and
 * their waits merged. */
static int merge_accounts(struct model *m, const struct open_set *o, struct account *tot,
                          struct open_acc *ot)
{
    memset(tot, 0, sizeof *tot);
    memset(ot, 0, sizeof *ot);
    for (int i = 0; i < m->n_acc; i++) {
        const struct account *a = &m->acct[i];
        const struct open_acc *oa = &o->acc[i];
        tot->n_treat += a->n_treat;
        tot->n_ukp += a->n_ukp;
        tot->area_treat += a->area_treat;
        tot->area_ukp += a->area_ukp;
        if (flyt__quantile_merge(&tot->ukp_waits, &a->ukp_waits) != 0)
            return -1;
        if (follow_merge(tot, a->fu) != 0)
            return -1;
#define ADD(f) tot->f += a->f
        ADD(wait_home_sum);
        ADD(wait_complex_sum);
        ADD(carry_ukp);
        ADD(carry_complex);
        ADD(carry_home);
        ADD(wait_home_n);
        ADD(wait_complex_n);
        ADD(arrivals_window);
        ADD(readmit_num);
        ADD(readmit_den);
        ADD(not_ready_returns);
        ADD(deaths_waiting);
        ADD(deaths_blocked);
        ADD(cfs_gained);
        ADD(decisions);
        ADD(dest_changed);
        ADD(n_initial);
        ADD(n_in);
        ADD(n_out);
        ADD(in_system);
        ADD(deaths);
        ADD(ukp_to_caseload);
        ADD(pay_days);
        ADD(pay_nok);
#undef ADD
        ot->complex_sum += oa->complex_sum;
        ot->complex_n += oa->complex_n;
        ot->deciding_sum += oa->deciding_sum;
        ot->carry_deciding += oa->carry_deciding;
        ot->deciding_n += oa->deciding_n;
        ot->known_n += oa->known_n;
        ot->known_home_n += oa->known_home_n;
        ot->carry_ukp += oa->carry_ukp;
        ot->carry_complex += oa->carry_complex;
    }
    return 0;
}

/* A region's per-municipality figures: every KPI, and each site's UKP
 * bed-days by home. */
static int region_kpis(struct model *m, struct open_set *o, double span, double t_stop)
{
    struct flyt_result *out = m->out;
    out->n_munis = (unsigned)m->n_acc;
    out->n_sites = (unsigned)m->n_sites;
    out->muni_kpi = calloc((size_t)m->n_acc * FLYT_N_KPI, sizeof(double));
    out->site_ukp_days =
            calloc((size_t)m->n_acc * (size_t)(m->n_sites ? m->n_sites : 1), sizeof(double));
    if (!out->muni_kpi || !out->site_ukp_days)
        return -1;
    for (int a = 0; a < m->n_acc; a++) {
        flyt__acct_touch(m, &m->acct[a], t_stop);
        account_kpis(m, &m->acct[a], &o->acc[a], o, a, span,
                     flyt_result_muni_kpi(out, (unsigned)a));
        for (int j = 0; j < m->n_sites; j++) {
            struct site_acc *sa = &m->site_acc[(size_t)a * (size_t)m->n_sites + (size_t)j];
            double lo = sa->t_last > m->t_warm ? sa->t_last : m->t_warm;
            double hi = t_stop < m->t_end ? t_stop : m->t_end;
            if (hi > lo)
                sa->area += (double)sa->n * (hi - lo);
            sa->t_last = t_stop;
            out->site_ukp_days[(size_t)a * (size_t)m->n_sites + (size_t)j] =
                    ratio(sa->area * 365.0, span);
        }
    }
    return 0;
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
    struct open_set o;
    if (collect_open(m, &o, t_stop) != 0) {
        open_free(&o);
        m->failed = true;
        return;
    }
    flyt__pay_open(m, t_stop);
    if (follow_open(m, t_stop) != 0) {
        open_free(&o);
        m->failed = true;
        return;
    }
    if (m->s->n_munis == 0) {
        account_kpis(m, &m->acct[0], &o.acc[0], &o, 0, span, m->out->kpi);
    } else {
        struct account tot;
        struct open_acc ot;
        if (region_kpis(m, &o, span, t_stop) != 0 || merge_accounts(m, &o, &tot, &ot) != 0) {
            flyt__quantile_free(&tot.ukp_waits);
            free(tot.fu);
            open_free(&o);
            m->failed = true;
            return;
        }
        account_kpis(m, &tot, &ot, &o, -1, span, m->out->kpi);
        flyt__quantile_free(&tot.ukp_waits);
        free(tot.fu);
    }
    /* the region's figures need the site areas the unit figures read */
    for (int u = 0; u < m->s->n_units; u++)
        unit_kpis(m, u, span, t_stop, &o);
    open_free(&o);
    flyt__coord_finish(m);
    flyt__cost_kpis(m, t_stop);
}
