/*
 * Editing a scenario's text in place: values replaced or added by key path,
 * each with a comment, while every other line, comment and layout of the
 * file stays as it was. flyt fit writes its estimates into a base scenario
 * this way, so the sources of the values it did not estimate survive.
 */
#ifndef FLYT_SCENARIO_EDIT_H
#define FLYT_SCENARIO_EDIT_H

#include <stddef.h>

struct flyt_scenario_edit {
    /* key path as --set writes it: groups by name, list elements by their
     * id ("units.short_term.los_days", "municipalities.oslo.population") */
    const char *path;
    /* the new value as libconfig text; it may span lines (each line after
     * the first is indented like the key's line) */
    const char *value;
    /* a one-line comment after the value, replacing one that was there
     * (it described the old value); NULL keeps none */
    const char *comment;
};

/* The text with each edit applied in order. A key that is absent is added
 * at the end of its group (missing groups on the way are created). Returns
 * a malloc'd text, or NULL with a message in err: the text does not parse,
 * a path runs through a value or into a list element that does not exist. */
char *flyt_scenario_edit_text(const char *text, const struct flyt_scenario_edit *edits, int n,
                              char *err, size_t errlen);

#endif
