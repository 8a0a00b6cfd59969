/*
 * Internal to the output module: number and string formatting shared by the
 * terminal tables and the JSON summaries, so `flyt run` and `flyt compare`
 * print figures the same way.
 */
#ifndef FLYT_OUTPUT_PRINT_UTIL_H
#define FLYT_OUTPUT_PRINT_UTIL_H

#include <stddef.h>
#include <stdio.h>

/* x in buf (len bytes) with four significant digits, no exponent for
 * everyday magnitudes; "-" when not finite. Returns buf. */
const char *flyt__fmt_num(char *buf, size_t len, double x);

/* "[mean - half, mean + half]", or "-" when either is not finite. */
const char *flyt__fmt_ci(char *buf, size_t len, double mean, double half);
/* "[lo, hi]", or "-" when either end is undefined: a KPI's interval, which
 * need not be symmetric about its mean. */
const char *flyt__fmt_interval(char *buf, size_t len, double lo, double hi);

/* flyt run/compare -r auto's count and precision reached, under the table
 * and as JSON's "replications_auto" member (", " first); nothing for NULL. */
struct flyt_precision_report;
void flyt__precision_print_table(FILE *out, const struct flyt_precision_report *p);
void flyt__precision_print_json(FILE *out, const struct flyt_precision_report *p);

/* A JSON string literal (NULL prints as ""). */
void flyt__json_str(FILE *out, const char *str);

/* A JSON number that round-trips the double; null when not finite. */
void flyt__json_num(FILE *out, double x);

#endif
