/*
 * flyt model: the patient-flow model (frail patients between hospital,
 * short-term beds, home care and nursing homes; see README.md and
 * docs/scenario-reference.md) on top of the engine.
 *
 * One call runs one replication of a scenario to its horizon and fills a
 * plain result. The result depends only on (scenario, replication): every
 * random number comes from streams keyed by (seed, replication, patient), so
 * runs are bit-identical whatever thread runs them.
 */
#ifndef FLYT_MODEL_H
#define FLYT_MODEL_H

#include "flyt/result.h"
#include "flyt/scenario.h"

/* Returns 0 when the run completed, 1 when it stopped early (runaway guard;
 * out->status and out->status_detail say why), -1 when out of memory. */
int flyt_model_run(const struct flyt_scenario *s, unsigned replication, struct flyt_result *out);

#endif
