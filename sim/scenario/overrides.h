/* Internal: applies --set key.path=value overrides to a parsed tree. */
#ifndef FLYT_SCENARIO_OVERRIDES_H
#define FLYT_SCENARIO_OVERRIDES_H

#include "scenario/reader.h"

/* Returns 0, or -1 after reporting errors (as "--set:N") in rd->diag. */
int flyt__apply_sets(struct reader *rd, const char *const *sets, int n_sets);

#endif
