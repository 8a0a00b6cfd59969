/* Internal to the output module: a region's municipalities in the
 * summaries (docs/region.md). */
#ifndef FLYT_OUTPUT_MUNIS_PRINT_H
#define FLYT_OUTPUT_MUNIS_PRINT_H

#include "flyt/result.h"
#include "flyt/scenario.h"

#include <stdio.h>

/* A table across the municipalities (nothing for a file without any). */
void flyt__munis_print_table(FILE *out, const struct flyt_scenario *s,
                             const struct flyt_summary *sum);
/* Appends ",\n \"municipalities\": {...}, \"hospital_sites\": {...}"
 * inside the summary object. */
void flyt__munis_print_json(FILE *out, const struct flyt_scenario *s,
                            const struct flyt_summary *sum);

#endif
