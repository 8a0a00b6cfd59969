/* Day numbers after Howard Hinnant's public-domain civil-date algorithms:
 * exact for any Gregorian date, with no tables and no time zones. */
#include "flyt/date.h"

int flyt_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400;
    int yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void flyt_civil_from_days(int days, int *y, int *m, int *d)
{
    int z = days + 719468;
    int era = (z >= 0 ? z : z - 146096) / 146097;
    int doe = z - era * 146097;
    int yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

int flyt_weekday(int days)
{
    /* 1970-01-01 was a Thursday (3 with Monday = 0). */
    return ((days % 7) + 7 + 3) % 7;
}

int flyt_iso_week(int days)
{
    int thursday = days - flyt_weekday(days) + 3;
    int y, m, d;
    flyt_civil_from_days(thursday, &y, &m, &d);
    return (thursday - flyt_days_from_civil(y, 1, 1)) / 7 + 1;
}
