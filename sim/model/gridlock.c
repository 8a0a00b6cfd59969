/* Gridlock: patients waiting for places that can never free up. Without
 * this check such a replication ran to its horizon and its figures looked
 * like those of a saturated unit, while in truth nothing could move any
 * more (issue 16).
 *
 * As in Ciw's deadlock detection, the question is one of a wait-for graph:
 * a patient blocked in a bed of unit A and queued for unit B makes A wait
 * for B. A set S of units is in gridlock when no unit of S can ever admit
 * again, which holds when, for every unit of S,
 *   - beds: the most beds it will have open from today on (the capacity
 *     schedule included, past the horizon too: a horizon that falls in a
 *     summer closure is no closure for good) are no more than its occupants blocked
 *     and queued for a unit of S: those never leave, so even if every other
 *     occupant does, no bed frees;
 *   - caseload: closed for good (no hours open from today on), and no
 *     applicant asks for no hours; or, with a strict FIFO queue, its head
 *     asks for more hours than the caseload will ever open: nobody
 *     behind it is ever admitted. Under first fit such an applicant is
 *     passed by and stuck alone: a draw from an unbounded distribution of
 *     hours, not a state of the network, so it is not counted.
 * The largest such S is a fixed point: start from every unit that could
 * be in it and drop units until none is dropped. A gridlock needs someone
 * queued for a unit of S. The hospital admits every emergency (above its
 * capacity if need be) and unlimited units are never full, so neither is
 * ever in S; their patients who wait for a unit of S are among those
 * stuck.
 *
 * What can still free a place is thereby covered: a stay that is running
 * (not blocked) may end, a blocked patient queued outside S may be admitted
 * there, and a schedule that opens more beds later keeps the unit out of
 * S. Blocked patients have no hazard (they leave a bed only for the place
 * they wait for).
 *
 * The check runs once a simulated day (at 00:00, after the capacity
 * change): one comparison per unit, and the fixed point only on a day when
 * some unit that someone waits for is full of blocked patients or closed
 * for good. */
#include "model/model.h"

#include <stdio.h>
#include <stdlib.h>

/* The hours an applicant asks of a caseload (caseload_room's reading). */
static double request(const struct patient *p)
{
    return p->state == PS_CLIENT_WAIT ? p->next_hours : p->hc_hours;
}

static int n_classes(const struct model *m, int u)
{
    return m->s->units[u].n_classes > 0 ? m->s->units[u].n_classes : 1;
}

/* Whether no applicant fits in a caseload closed for good (one who asks
 * for no hours would); the first that fits ends the walk. */
static bool caseload_closed(const struct model *m, int u)
{
    const struct unit_state *us = &m->u[u];
    for (int c = 0; c < n_classes(m, u); c++)
        for (uint32_t k = us->q[c].head; k != NIL; k = m->p[k].q_next)
            if (request(&m->p[k]) <= 1e-9)
                return false;
    return true;
}

/* A strict FIFO caseload whose head asks for more than it will ever open. */
static bool head_never_fits(const struct model *m, int u, size_t day)
{
    if (m->s->units[u].queue == FLYT_QUEUE_FIRST_FIT || m->u[u].queued == 0)
        return false;
    uint32_t head = flyt__queue_next(m, u);
    return head != NIL && request(&m->p[head]) > flyt__capacity_ahead(m, u, day) + 1e-9;
}

/* Whether unit u may be in a gridlock at all: beds that its blocked
 * occupants alone fill for good, a caseload closed for good or stopped
 * by its head. */
static bool may_lock(const struct model *m, int u, size_t day)
{
    const struct flyt_unit *x = &m->s->units[u];
    if (x->hospital)
        return false;
    switch (x->kind) {
    case FLYT_UNIT_BEDS:
        return flyt__capacity_ahead(m, u, day) <= (double)m->u[u].n_blocked;
    case FLYT_UNIT_CASELOAD:
        return m->u[u].queued > 0 &&
               ((flyt__capacity_ahead(m, u, day) <= 0 && caseload_closed(m, u)) ||
                head_never_fits(m, u, day));
    default:
        return false;
    }
}

#define SEVERAL (-2)

/* The candidate set, by unit. */
struct lock {
    bool *in;
    long *stuck;    /* blocked occupants queued for a unit in the set */
    int *waits_for; /* the unit they wait for; -1 none, SEVERAL */
    double *ahead;  /* the most it will have open from today on */
};

/* Counts, for every beds unit in the set, its blocked occupants queued for
 * units in the set. */
static void count_stuck(const struct model *m, struct lock *g)
{
    int n = m->s->n_units;
    for (int k = 0; k < m->n_cu; k++) {
        g->stuck[m->cu[k]] = 0;
        g->waits_for[m->cu[k]] = -1;
    }
    for (int j = 0; j < m->n_cu; j++) {
        int v = m->cu[j];
        if (!g->in[v] || m->u[v].queued == 0)
            continue;
        for (int c = 0; c < n_classes(m, v); c++)
            for (uint32_t k = m->u[v].q[c].head; k != NIL; k = m->p[k].q_next) {
                const struct patient *p = &m->p[k];
                int o = p->unit;
                if (p->state != PS_BLOCKED || o >= n || !g->in[o] ||
                    m->s->units[o].kind != FLYT_UNIT_BEDS)
                    continue;
                g->stuck[o]++;
                g->waits_for[o] = g->waits_for[o] == -1 || g->waits_for[o] == v ? v : SEVERAL;
            }
    }
}

/* One unit of the message; terse when the whole message would not fit. */
static int describe(const struct model *m, const struct lock *g, int u, bool terse, char *buf,
                    size_t len)
{
    const char *id = m->s->units[u].id;
    if (m->s->units[u].kind == FLYT_UNIT_CASELOAD && g->ahead[u] > 0) {
        uint32_t head = flyt__queue_next(m, u);
        double h = head != NIL ? request(&m->p[head]) : 0;
        return terse ? snprintf(buf, len, "%s (head asks %.4g h)", id, h)
                     : snprintf(buf, len,
                                "%s (strict FIFO, head asks %.4g h/week > %.4g ever open)", id, h,
                                g->ahead[u]);
    }
    if (m->s->units[u].kind == FLYT_UNIT_CASELOAD)
        return terse ? snprintf(buf, len, "%s (closed)", id)
                     : snprintf(buf, len, "%s (0 hours, never reopens)", id);
    if (g->ahead[u] <= 0)
        return terse ? snprintf(buf, len, "%s (closed)", id)
                     : snprintf(buf, len, "%s (0 beds, never reopens)", id);
    int w = g->waits_for[u];
    if (terse)
        return w >= 0 ? snprintf(buf, len, "%s (full, waits for %s)", id, m->s->units[w].id)
                      : snprintf(buf, len, "%s (full)", id);
    return w >= 0 ? snprintf(buf, len, "%s (%g beds, all held by patients waiting for %s)", id,
                             m->u[u].cap, m->s->units[w].id)
                  : snprintf(buf, len, "%s (%g beds, all held by blocked patients)", id,
                             m->u[u].cap);
}

/* Whether the unit is worth naming: someone waits for it, or its beds are
 * held by patients who can never move. */
static bool named(const struct model *m, const struct lock *g, int u)
{
    return g->in[u] && (m->u[u].queued > 0 || g->stuck[u] > 0);
}

/* The message, as full as the result's status_detail holds: every unit in
 * full, else every unit tersely, else as many as fit and a count of the
 * rest. */
static void message(const struct model *m, const struct lock *g, size_t day,
                    unsigned long long waiting, char *out, size_t outlen)
{
    int to_name = 0;
    for (int u = 0; u < m->s->n_units; u++)
        to_name += named(m, g, u);
    char part[160];
    for (int terse = 0; terse < 2; terse++) {
        int len = snprintf(out, outlen,
                           terse ? "gridlock on day %zu: %llu patient%s stuck in "
                                 : "gridlock on day %zu: %llu patient%s can never move: ",
                           day, waiting, waiting == 1 ? "" : "s");
        int shown = 0;
        for (int u = 0; u < m->s->n_units && shown < to_name; u++) {
            if (!named(m, g, u))
                continue;
            int n = describe(m, g, u, terse, part, sizeof part);
            /* ", " and, unless it is the last, room for " and 9999 more
             * units"; tersely, the first is named even when cut short */
            size_t need = (size_t)len + 2 + (size_t)n + (shown + 1 < to_name ? 20 : 0);
            if ((need >= outlen && !(terse && shown == 0)) || (size_t)len >= outlen)
                break;
            len += snprintf(out + len, outlen - (size_t)len, "%s%s", shown ? ", " : "", part);
            shown++;
        }
        if (shown == to_name)
            return;
        if (terse && (size_t)len < outlen)
            snprintf(out + len, outlen - (size_t)len, " and %d more unit%s", to_name - shown,
                     to_name - shown == 1 ? "" : "s");
    }
}

static void free_lock(struct lock *g)
{
    free(g->in);
    free(g->ahead);
    free(g->stuck);
    free(g->waits_for);
}

static bool settle(struct model *m, size_t day)
{
    int n = m->s->n_units;
    struct lock g = {
        .in = calloc((size_t)n, sizeof *g.in),
        .ahead = calloc((size_t)n, sizeof *g.ahead),
        .stuck = calloc((size_t)n, sizeof *g.stuck),
        .waits_for = calloc((size_t)n, sizeof *g.waits_for),
    };
    if (!g.in || !g.ahead || !g.stuck || !g.waits_for) {
        free_lock(&g);
        m->failed = true;
        flyt_engine_stop(m->eng);
        return false;
    }
    /* the catchment on the calendar: a lock is within one (its patients
     * wait for its units only), and the others are checked in their runs */
    for (int k = 0; k < m->n_cu; k++) {
        int u = m->cu[k];
        g.in[u] = may_lock(m, u, day);
        g.ahead[u] = g.in[u] ? flyt__capacity_ahead(m, u, day) : 0;
    }
    for (bool dropped = true; dropped;) {
        dropped = false;
        count_stuck(m, &g);
        for (int k = 0; k < m->n_cu; k++) {
            int u = m->cu[k];
            if (g.in[u] && m->s->units[u].kind == FLYT_UNIT_BEDS &&
                g.ahead[u] > (double)g.stuck[u]) {
                g.in[u] = false;
                dropped = true;
            }
        }
    }
    unsigned long long waiting = 0;
    for (int k = 0; k < m->n_cu; k++)
        if (g.in[m->cu[k]])
            waiting += m->u[m->cu[k]].queued;
    if (waiting > 0) {
        m->out->status = FLYT_RUN_GRIDLOCK;
        message(m, &g, day, waiting, m->out->status_detail, sizeof m->out->status_detail);
        flyt_engine_stop(m->eng);
    }
    free_lock(&g);
    return waiting > 0;
}

bool flyt__gridlock_check(struct model *m, size_t day)
{
    /* the catchment on the calendar: another's units are at their end (or
     * not yet begun) and were checked in their own run */
    for (int k = 0; k < m->n_cu; k++) {
        int u = m->cu[k];
        if (m->u[u].queued > 0 && may_lock(m, u, day))
            return settle(m, day);
    }
    return false;
}
