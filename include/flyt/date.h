/*
 * flyt dates: the proleptic Gregorian calendar as day numbers, so that the
 * loader (dates in scenario files) and the model (weekdays, ISO weeks of
 * recurring closures) count days the same way.
 */
#ifndef FLYT_DATE_H
#define FLYT_DATE_H

/* Days since 1970-01-01 (negative before). */
int flyt_days_from_civil(int y, int m, int d);
void flyt_civil_from_days(int days, int *y, int *m, int *d);

/* Monday = 0 ... Sunday = 6. */
int flyt_weekday(int days);

/* ISO 8601 week number (1..53): weeks start on Monday, and week 1 holds the
 * year's first Thursday. */
int flyt_iso_week(int days);

#endif
