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

/* A region's catchments: sets of municipalities that share no unit, role
 * or route with the others (docs/region.md, "Catchments"). A replication
 * runs them one after another, each on a calendar of its own, with every
 * figure the same as on one calendar. 1 for a file without municipalities
 * and for a region that runs on one calendar; -1 out of memory. */
int flyt_model_catchments(const struct flyt_scenario *s);

#endif
