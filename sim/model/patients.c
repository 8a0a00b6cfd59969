/* The patient pool (a free list, so freed slots are reused and the pool is
 * as large as the most patients ever present at once) and the waiting
 * queues (intrusive doubly-linked lists, so a patient who dies or is
 * readmitted leaves a queue in O(1) and no ghost stays behind). */
#include "flyt/mem.h"
#include "model/model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int grow_pool(struct model *m)
{
    uint32_t cap = m->cap_pool ? m->cap_pool * 2 : 1024;
    struct patient *p = flyt_realloc_huge(m->p, sizeof *p * m->cap_pool, sizeof *p * cap);
    if (!p)
        return -1;
    m->p = p;
    m->cap_pool = cap;
    return 0;
}

uint32_t flyt__patient_new(struct model *m, int home, enum flyt_stream_class cls, uint64_t index)
{
    uint32_t id;
    if (m->free_head != NIL) {
        id = m->free_head;
        m->free_head = m->p[id].q_next;
    } else {
        if (m->n_pool == m->cap_pool && grow_pool(m) != 0)
            return NIL;
        id = m->n_pool++;
        m->p[id].gen = 0;
    }
    struct patient *p = &m->p[id];
    /* Copied from a template rather than cleared and set: ten wide moves,
     * where clearing took a string instruction with a start-up cost on
     * every arrival. The template is not const, or the compiler would see
     * its zeros and turn the copy back into clearing. Never written. */
    static struct patient blank = {
        .q_prev = NIL,
        .q_next = NIL,
        .queue_unit = NO_UNIT,
        .unit = NO_UNIT,
        .t_unit = -1,
        .t_discharge = -1,
        .t_ukp1 = -1,
        .t_die = INFINITY,
        .c_prev = NIL,
        .c_next = NIL,
        .role = NO_ROLE,
        .ukp_role = NO_ROLE,
        .st_role = NO_ROLE,
    };
    uint32_t gen = p->gen + 1;
    memcpy(p, &blank, sizeof *p);
    p->gen = gen;
    p->key = ((uint64_t)cls << 44) | index;
    p->home = (uint16_t)home;
    flyt_stream_seed_at(&p->rng, m->ms[home].prefix[cls], index);
    m->in_system++;
    m->acct[home].in_system++;
    return id;
}

void flyt__patient_leave(struct model *m, uint32_t id)
{
    struct patient *p = &m->p[id];
    flyt__trace(m, id, FLYT_TRACE_EXIT, 0);
    flyt__follow_end(m, p, false);
    if (p->queue_unit != NO_UNIT)
        flyt__queue_remove(m, id);
    flyt__coord_withdraw(m, id);
    p->state = PS_FREE;
    p->gen++; /* pending events for this slot are now stale */
    p->q_next = m->free_head;
    m->free_head = id;
    m->in_system--;
    m->acct[p->home].in_system--;
    m->acct[p->home].n_out++;
}

int flyt__queues_init(struct model *m)
{
    for (int u = 0; u < m->s->n_units; u++) {
        int n = m->s->units[u].n_classes > 0 ? m->s->units[u].n_classes : 1;
        m->u[u].q = malloc(sizeof *m->u[u].q * (size_t)n);
        if (!m->u[u].q)
            return -1;
        for (int c = 0; c < n; c++)
            m->u[u].q[c] = (struct queue){ NIL, NIL, 0 };
    }
    return 0;
}

void flyt__queues_free(struct model *m)
{
    for (int u = 0; m->u && u < m->s->n_units; u++)
        free(m->u[u].q);
}

/* The class an applicant joins: by where it waits, or by its group. */
static int class_of(const struct flyt_unit *x, const struct patient *p)
{
    switch (x->queue) {
    case FLYT_QUEUE_PRIORITY:
        return x->origin_class[p->unit];
    case FLYT_QUEUE_GROUP_PRIORITY:
        return x->group_class[p->group];
    default:
        return 0;
    }
}

void flyt__queue_push(struct model *m, int u, uint32_t id)
{
    struct patient *p = &m->p[id];
    int c = class_of(&m->s->units[u], p);
    struct queue *q = &m->u[u].q[c];
    p->queue_unit = (uint16_t)u;
    p->queue_class = (uint16_t)c;
    p->t_queue = flyt_engine_now(m->eng);
    p->qseq = m->qseq++;
    flyt__trace(m, id, FLYT_TRACE_APPLY, u);
    p->q_next = NIL;
    p->q_prev = q->tail;
    if (q->tail != NIL)
        m->p[q->tail].q_next = id;
    else
        q->head = id;
    q->tail = id;
    q->len++;
    m->u[u].queued++;
}

void flyt__queue_remove(struct model *m, uint32_t id)
{
    struct patient *p = &m->p[id];
    struct unit_state *us = &m->u[p->queue_unit];
    struct queue *q = &us->q[p->queue_class];
    if (p->q_prev != NIL)
        m->p[p->q_prev].q_next = p->q_next;
    else
        q->head = p->q_next;
    if (p->q_next != NIL)
        m->p[p->q_next].q_prev = p->q_prev;
    else
        q->tail = p->q_prev;
    q->len--;
    us->queued--;
    p->q_prev = p->q_next = NIL;
    p->queue_unit = NO_UNIT;
}

/* The patient to place next: the head of the first class that has anyone
 * (one class under FIFO, where push order is arrival order). */
uint32_t flyt__queue_next(const struct model *m, int u)
{
    const struct unit_state *us = &m->u[u];
    int n = m->s->units[u].n_classes;
    for (int c = 0; c < n; c++)
        if (us->q[c].head != NIL)
            return us->q[c].head;
    return NIL;
}
