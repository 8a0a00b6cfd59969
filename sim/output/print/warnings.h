/* Internal to the output module: warnings printed under the summary table. */
#ifndef FLYT_OUTPUT_WARNINGS_H
#define FLYT_OUTPUT_WARNINGS_H

#include "flyt/result.h"
#include "flyt/scenario.h"

#include <stdio.h>

/* A unit used at or above this mean share is close enough to saturation
 * that its queue may not settle within the horizon. */
#define FLYT_UNSTABLE_UTIL 0.98

/* One "warning: ..." line per unit that looks unstable; returns how many. */
int flyt__summary_print_warnings(FILE *out, const struct flyt_scenario *s,
                                 const struct flyt_summary *sum);

#endif
