/* Internal to the output module: warnings printed under the summary table. */
#ifndef FLYT_OUTPUT_WARNINGS_H
#define FLYT_OUTPUT_WARNINGS_H

#include "flyt/result.h"
#include "flyt/scenario.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* A unit used at or above this mean share is close enough to saturation
 * that its queue may not settle within the horizon. */
#define FLYT_UNSTABLE_UTIL 0.98

/* Whether n replications are too few for the t-interval's normal
 * approximation (FLYT_FEW_REPLICATIONS), and the note under a table that
 * says so; nothing when they are enough, or too few for any interval. */
bool flyt__few_replications(size_t n);
void flyt__few_replications_note(FILE *out, size_t n);
/* The figures whose replication values are clearly skewed for their count
 * (flyt_stat_skewed), named in a note; how many. */
int flyt__skewed_note(FILE *out, const struct flyt_scenario *s, const struct flyt_summary *sum);

/* One "warning: ..." line per unit that looks unstable; returns how many. */
int flyt__summary_print_warnings(FILE *out, const struct flyt_scenario *s,
                                 const struct flyt_summary *sum);

#endif
