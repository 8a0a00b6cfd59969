/* The patient pool (a free list, so freed slots are reused and the pool is
 * as large as the most patients ever present at once) and the waiting
 * queues (intrusive doubly-linked lists, so a patient who dies or is
 * readmitted leaves a queue in O(1) and no ghost stays behind). */
#include "model/model.h"

#include <stdlib.h>
#include <string.h>

static int grow_pool(struct model *m)
{
    uint32_t cap = m->cap_pool ? m->cap_pool * 2 : 1024;
    struct patient *p = realloc(m->p, sizeof *p * cap);
    if (!p)
        return -1;
    m->p = p;
    m->cap_pool = cap;
    return 0;
}

uint32_t flyt__patient_new(struct model *m, enum flyt_stream_class cls, uint64_t index)
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
        .queue_unit = N_UNITS,
        .t_unit = -1,
        .t_discharge = -1,
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
    flyt_stream_seed_at(&p->rng, m->stream_prefix[cls], index);
    m->in_system++;
    return id;
}

void flyt__patient_leave(struct model *m, uint32_t id)
{
    struct patient *p = &m->p[id];
    flyt__trace(m, id, FLYT_TRACE_EXIT, 0);
    if (p->queue_unit != N_UNITS)
        flyt__queue_remove(m, id);
    flyt__coord_withdraw(m, id);
    p->state = PS_FREE;
    p->gen++; /* pending events for this slot are now stale */
    p->q_next = m->free_head;
    m->free_head = id;
    m->in_system--;
    m->n_out++;
}

void flyt__queue_push(struct model *m, enum unit u, enum flyt_origin o, uint32_t id)
{
    struct queue *q = &m->q[u][o];
    struct patient *p = &m->p[id];
    p->queue_unit = (uint8_t)u;
    p->queue_origin = (uint8_t)o;
    p->t_queue = flyt_engine_now(m->eng);
    p->qseq = m->qseq++;
    flyt__trace(m, id, FLYT_TRACE_APPLY, (int)u);
    p->q_next = NIL;
    p->q_prev = q->tail;
    if (q->tail != NIL)
        m->p[q->tail].q_next = id;
    else
        q->head = id;
    q->tail = id;
    q->len++;
}

void flyt__queue_remove(struct model *m, uint32_t id)
{
    struct patient *p = &m->p[id];
    struct queue *q = &m->q[p->queue_unit][p->queue_origin];
    if (p->q_prev != NIL)
        m->p[p->q_prev].q_next = p->q_next;
    else
        q->head = p->q_next;
    if (p->q_next != NIL)
        m->p[p->q_next].q_prev = p->q_prev;
    else
        q->tail = p->q_prev;
    q->len--;
    p->q_prev = p->q_next = NIL;
    p->queue_unit = N_UNITS;
}

/* The patient to place next: FIFO takes the longest-waiting across origins;
 * priority takes the first origin in the scenario's order that has anyone.
 * Only the nursing home has a choice of discipline. */
uint32_t flyt__queue_next(const struct model *m, enum unit u)
{
    if (u == U_NURSING_HOME && m->s->nh_queue == FLYT_NHQ_PRIORITY) {
        for (int i = 0; i < FLYT_N_ORIGIN; i++) {
            uint32_t h = m->q[u][m->s->nh_priority[i]].head;
            if (h != NIL)
                return h;
        }
        return NIL;
    }
    uint32_t best = NIL;
    for (int o = 0; o < FLYT_N_ORIGIN; o++) {
        uint32_t h = m->q[u][o].head;
        if (h != NIL && (best == NIL || m->p[h].qseq < m->p[best].qseq))
            best = h;
    }
    return best;
}
