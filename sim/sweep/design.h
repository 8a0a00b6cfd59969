/*
 * Internal to the sweep module: the points of a sweep, shared by the file
 * reader (grid and list points, copied from the file) and the designs
 * (Sobol and Latin hypercube points, drawn in design.c).
 */
#ifndef FLYT_SWEEP_DESIGN_H
#define FLYT_SWEEP_DESIGN_H

#include "flyt/sweep.h"

#include <stdbool.h>
#include <stddef.h>

/* A float as --set reads it back: the shortest of %.15g..%.17g that gives
 * x again, with a decimal point kept (an integer key given 2.0 is an error
 * in a sweep file, and must stay one on the command line). */
void flyt__sweep_format_float(char *buf, size_t len, double x);

/* Point point's value of parameter param (text copied). false: out of
 * memory. */
bool flyt__sweep_set_value(struct flyt_sweep *sw, size_t point, size_t param, const char *text,
                           double num);

/* Fills every value of a Sobol or Latin hypercube sweep whose n_points are
 * allocated and whose ranges are read. false: out of memory. */
bool flyt__sweep_design_fill(struct flyt_sweep *sw);

#endif
