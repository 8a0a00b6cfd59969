/* Internal to the output module: coordinator roles in the summaries. */
#ifndef FLYT_OUTPUT_ROLES_PRINT_H
#define FLYT_OUTPUT_ROLES_PRINT_H

#include "flyt/result.h"
#include "flyt/scenario.h"

#include <stdio.h>

void flyt__roles_print_table(FILE *out, const struct flyt_scenario *s,
                             const struct flyt_summary *sum);
/* Appends ",\n \"roles\": {...}" inside the summary object. */
void flyt__roles_print_json(FILE *out, const struct flyt_scenario *s,
                            const struct flyt_summary *sum);

#endif
