/* Date-times of record files (docs/records.md, "Dates and times"). */
#include "records/rec_time.h"

#include "flyt/date.h"

#include <stdio.h>

static bool civil(int y, int m, int d, int *days)
{
    if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31)
        return false;
    int ry, rm, rd;
    *days = flyt_days_from_civil(y, m, d);
    flyt_civil_from_days(*days, &ry, &rm, &rd);
    return ry == y && rm == m && rd == d;
}

/* "HH:MM" or "HH:MM:SS" and nothing after: seconds of the day. */
static bool clock_time(const char *v, double *sec)
{
    int h, mi, s = 0, n = 0;
    if (sscanf(v, "%2d:%2d%n", &h, &mi, &n) != 2)
        return false;
    if (v[n] == ':') {
        int k = 0;
        if (sscanf(v + n + 1, "%2d%n", &s, &k) != 1 || k != 2)
            return false;
        n += 1 + k;
    }
    if (v[n] != '\0' || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59)
        return false;
    *sec = h * 3600.0 + mi * 60.0 + s;
    return true;
}

static bool digits(const char *v, int n)
{
    for (int i = 0; i < n; i++)
        if (v[i] < '0' || v[i] > '9')
            return false;
    return true;
}

bool flyt__rec_parse_time(const char *v, double *days, enum rec_fmt *fmt)
{
    int y, m, d, day;
    const char *rest;
    bool iso;
    if (digits(v, 4) && v[4] == '-' && digits(v + 5, 2) && v[7] == '-' && digits(v + 8, 2)) {
        y = (v[0] - '0') * 1000 + (v[1] - '0') * 100 + (v[2] - '0') * 10 + (v[3] - '0');
        m = (v[5] - '0') * 10 + (v[6] - '0');
        d = (v[8] - '0') * 10 + (v[9] - '0');
        rest = v + 10;
        iso = true;
    } else if (digits(v, 2) && v[2] == '.' && digits(v + 3, 2) && v[5] == '.' && digits(v + 6, 4)) {
        d = (v[0] - '0') * 10 + (v[1] - '0');
        m = (v[3] - '0') * 10 + (v[4] - '0');
        y = (v[6] - '0') * 1000 + (v[7] - '0') * 100 + (v[8] - '0') * 10 + (v[9] - '0');
        rest = v + 10;
        iso = false;
    } else {
        return false;
    }
    if (!civil(y, m, d, &day))
        return false;
    double sec = 0;
    if (*rest == '\0') {
        *fmt = iso ? REC_FMT_ISO_DATE : REC_FMT_DMY_DATE;
    } else if (*rest == ' ' && clock_time(rest + 1, &sec)) {
        *fmt = iso ? REC_FMT_ISO_SPACE : REC_FMT_DMY_TIME;
    } else if (iso && (*rest == 'T' || *rest == 't') && clock_time(rest + 1, &sec)) {
        *fmt = REC_FMT_ISO_T;
    } else {
        return false;
    }
    *days = day + sec / 86400.0;
    return true;
}

const char *flyt__rec_fmt_name(enum rec_fmt f)
{
    switch (f) {
    case REC_FMT_ISO_DATE:
        return "YYYY-MM-DD";
    case REC_FMT_ISO_SPACE:
        return "YYYY-MM-DD HH:MM";
    case REC_FMT_ISO_T:
        return "YYYY-MM-DDTHH:MM";
    case REC_FMT_DMY_DATE:
        return "DD.MM.YYYY";
    case REC_FMT_DMY_TIME:
        return "DD.MM.YYYY HH:MM";
    default:
        return "?";
    }
}

static bool is_date(enum rec_fmt f)
{
    return f == REC_FMT_ISO_DATE || f == REC_FMT_DMY_DATE;
}

static bool is_iso(enum rec_fmt f)
{
    return f == REC_FMT_ISO_DATE || f == REC_FMT_ISO_SPACE || f == REC_FMT_ISO_T;
}

bool flyt__rec_fmt_fits(struct rec_fmt_track *tr, enum rec_fmt f, uint32_t line)
{
    if (tr->fmt == REC_FMT_NONE || tr->fmt == f) {
        if (tr->fmt == REC_FMT_NONE) {
            tr->fmt = f;
            tr->line = line;
        }
        return true;
    }
    if (is_iso(f) != is_iso(tr->fmt))
        return false;
    if (is_date(f))
        return true; /* a date alone beside date-times of its order */
    if (is_date(tr->fmt)) {
        tr->fmt = f; /* the first date-time fixes the form */
        tr->line = line;
        return true;
    }
    return false;
}
