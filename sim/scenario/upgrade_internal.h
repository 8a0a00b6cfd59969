/* Internal to the scenario module: the two text rewrites of flyt upgrade
 * (upgrade.c for scenarios, upgrade_spec.c for sweep and calibration
 * specs) and the driver that picks one (upgrade_file.c). */
#ifndef FLYT_SCENARIO_UPGRADE_INTERNAL_H
#define FLYT_SCENARIO_UPGRADE_INTERNAL_H

#include "flyt/scenario.h"
#include "scenario/cfgtext.h"

/* The converted text (malloc'd), or NULL when out of memory. */
char *flyt__upgrade_scenario_text(const struct ct_doc *doc);

/* Same for a spec: the scenario keys and KPI names in its `key`, `keys`,
 * `set` and `kpi` strings. Keys without a counterpart are left as they are
 * and named in notes (FILE:LINE: note: ... lines). */
char *flyt__upgrade_spec_text(const struct ct_doc *doc, const char *name, struct ct_buf *notes);

/* The line of byte offset i of text. */
int flyt__upgrade_line(const char *text, size_t i);

#endif
