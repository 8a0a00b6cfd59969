/*
 * flyt upgrade: an old scenario (units as three named groups) in the
 * network form (units as a list, issue 14), and the scenario keys and KPI
 * names in sweep and calibration specs to match.
 *
 * The conversion rewrites text: everything it does not have to change
 * stays byte for byte, comments move with the setting they stand above or
 * beside, and values keep their spelling (125 stays an integer, 0.70 keeps
 * its zero). What changes, and why, is in docs/scenario-reference.md
 * ("Converting an old scenario"). Only the main file is rewritten; @include
 * lines stay as they are (a note says so).
 */
#ifndef FLYT_UPGRADE_H
#define FLYT_UPGRADE_H

#include "flyt/scenario.h"

#include <stdbool.h>
#include <stddef.h>

enum {
    FLYT_UPGRADE_ALREADY_NEW = 1u << 0, /* units is a list: text is the input unchanged */
    FLYT_UPGRADE_INCLUDE = 1u << 1,     /* @include lines left as they are */
    FLYT_UPGRADE_SPEC = 1u << 2,        /* a sweep or calibration spec */
};

/* Options of flyt_upgrade_file. */
enum {
    /* syntax only: convert a scenario the loader refuses (a test fixture
     * that is wrong on purpose) */
    FLYT_UPGRADE_NO_CHECK = 1u << 0,
};

struct flyt_upgrade {
    char *text;     /* the converted file; owned */
    unsigned flags; /* FLYT_UPGRADE_* */
    char *notes;    /* "FILE:LINE: note: ..." lines for the user, or NULL; owned */
};

void flyt_upgrade_free(struct flyt_upgrade *u);

/* Converts the file at path. A scenario's conversion is then loaded as
 * flyt validate loads it (errors name "PATH (converted)" and the converted
 * text's lines), unless opts has FLYT_UPGRADE_NO_CHECK; a spec (a file
 * with `parameters` or `targets` and no `units`) is only parsed.
 * Returns 0, or -1 with every reason in diag as FILE:LINE: error:
 * messages; out->notes may be set then too (the @include notes, which
 * may explain the errors): call flyt_upgrade_free either way. */
int flyt_upgrade_file(const char *path, unsigned opts, struct flyt_upgrade *out,
                      struct flyt_diag *diag);

/* The text rewrite alone, without loading: spec selects the spec
 * rewrite. name is used in notes and errors. */
int flyt_upgrade_text(const char *text, const char *name, bool spec, struct flyt_upgrade *out,
                      struct flyt_diag *diag);

/* A scenario key path (as --set, sweep and calibration specs name it) in
 * the network form: 1 and the new path in buf, 0 when it is unchanged,
 * -1 when it has no counterpart (decision.admissions_on_weekends) or buf
 * is too small. */
int flyt_upgrade_key(const char *key, char *buf, size_t len);

/* A KPI's name in the network form, or NULL when it is unchanged. */
const char *flyt_upgrade_kpi(const char *kpi);

/* For tests: every value of the file's libconfig tree (after @include) as
 * "path<TAB>type<TAB>value" lines, list elements as [i]. 0, or -1 with
 * the reasons in diag. */
int flyt_upgrade_dump(const char *path, char **out, struct flyt_diag *diag);

#endif
