/* Date-times of record files: the formats a file may use, and the rule
 * that one file keeps to one of them. */
#ifndef FLYT_REC_TIME_H
#define FLYT_REC_TIME_H

#include <stdbool.h>
#include <stdint.h>

enum rec_fmt {
    REC_FMT_NONE,
    REC_FMT_ISO_DATE,  /* YYYY-MM-DD */
    REC_FMT_ISO_SPACE, /* YYYY-MM-DD HH:MM[:SS] */
    REC_FMT_ISO_T,     /* YYYY-MM-DDTHH:MM[:SS] */
    REC_FMT_DMY_DATE,  /* DD.MM.YYYY */
    REC_FMT_DMY_TIME,  /* DD.MM.YYYY HH:MM[:SS] */
};

/* v as days since 1970-01-01 (the time of day as the fraction) and its
 * format; false when v is not a date-time of one of the formats. */
bool flyt__rec_parse_time(const char *v, double *days, enum rec_fmt *fmt);

/* How a format is written, for messages ("YYYY-MM-DD HH:MM"). */
const char *flyt__rec_fmt_name(enum rec_fmt f);

/* One file's formats so far: a date alone goes with either date-time of
 * its own order, so the file's format is the first date-time seen (or the
 * first date while there is none). */
struct rec_fmt_track {
    enum rec_fmt fmt;
    uint32_t line;
    bool reported; /* a file is told once */
};

/* Whether f fits the file's formats so far (and notes it). */
bool flyt__rec_fmt_fits(struct rec_fmt_track *tr, enum rec_fmt f, uint32_t line);

#endif
