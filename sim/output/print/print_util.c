#include "output/print/print_util.h"

#include <math.h>

/* Four significant digits, but never an exponent for everyday magnitudes:
 * a yearly cost of 31 million prints as 31000000, not 3.1e+07. */
const char *flyt__fmt_num(char *buf, size_t len, double x)
{
    if (!isfinite(x))
        snprintf(buf, len, "-");
    else if (fabs(x) >= 1000 && fabs(x) < 1e15)
        snprintf(buf, len, "%.0f", x);
    else
        snprintf(buf, len, "%.4g", x);
    return buf;
}

const char *flyt__fmt_ci(char *buf, size_t len, double mean, double half)
{
    char lo[32], hi[32];
    if (!isfinite(mean) || !isfinite(half))
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "[%s, %s]", flyt__fmt_num(lo, sizeof lo, mean - half),
                 flyt__fmt_num(hi, sizeof hi, mean + half));
    return buf;
}

const char *flyt__fmt_interval(char *buf, size_t len, double lo, double hi)
{
    char a[32], b[32];
    if (!isfinite(lo) || !isfinite(hi))
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "[%s, %s]", flyt__fmt_num(a, sizeof a, lo),
                 flyt__fmt_num(b, sizeof b, hi));
    return buf;
}

void flyt__json_str(FILE *out, const char *str)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)(str ? str : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p == '\t')
            fputs("\\t", out);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

/* %.17g round-trips a double; JSON has no NaN or infinity. */
void flyt__json_num(FILE *out, double x)
{
    if (isfinite(x))
        fprintf(out, "%.17g", x);
    else
        fputs("null", out);
}
