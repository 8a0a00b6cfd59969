/* The model's side of tracing: an event record from a patient's state, and
 * a replication run with a trace attached. The run goes through the same
 * begin/end steps as flyt_model_run, so its figures are the same. */
#include "model/model.h"

static uint16_t exit_reason(const struct patient *p)
{
    switch (p->state) {
    case PS_COMPLEX:
        return FLYT_TRACE_EXIT_SPECIAL_PLACEMENT;
    case PS_CLIENT:
    case PS_CLIENT_WAIT:
        return FLYT_TRACE_EXIT_SERVICES_ENDED;
    default:
        return FLYT_TRACE_EXIT_HOME;
    }
}

void flyt__trace_emit(struct model *m, uint32_t id, enum flyt_trace_kind k, int detail)
{
    const struct patient *p = &m->p[id];
    struct flyt_trace_event ev = {
        .t = flyt_engine_now(m->eng),
        .patient = p->key,
        .slot = id,
        .kind = (uint8_t)k,
        .detail = (uint16_t)(k == FLYT_TRACE_EXIT ? exit_reason(p) : detail),
        .age_band = p->age_band,
        .cfs = p->cfs,
        .complex = p->complex,
        .group = p->group,
    };
    m->trace->event(m->trace->ctx, &ev);
}

/* Patients placed at time 0 were put there before the trace was attached:
 * they are announced here, with the time their stay began. */
static void announce_initial(struct model *m)
{
    for (uint32_t id = 0; id < m->n_pool; id++) {
        const struct patient *p = &m->p[id];
        if (p->state != PS_STAY && p->state != PS_CLIENT)
            continue;
        int unit = p->unit;
        struct flyt_trace_event ev = {
            .t = p->t_state,
            .patient = p->key,
            .slot = id,
            .kind = FLYT_TRACE_INITIAL,
            .detail = (uint16_t)unit,
            .age_band = p->age_band,
            .cfs = p->cfs,
            .complex = p->complex,
            .group = p->group,
        };
        m->trace->event(m->trace->ctx, &ev);
    }
}

int flyt_model_run_traced(const struct flyt_scenario *s, unsigned replication,
                          struct flyt_result *out, const struct flyt_trace *trace)
{
    if (!trace)
        return flyt_model_run(s, replication, out);
    struct model m;
    int rc = flyt__model_begin(&m, s, replication, out, NULL, NULL);
    if (rc == 0 && !m.failed) {
        m.trace = trace;
        announce_initial(&m);
        flyt__run_engine(&m, m.t_end);
        m.trace = NULL;
    }
    return flyt__model_end(&m, rc);
}
