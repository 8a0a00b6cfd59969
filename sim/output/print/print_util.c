#include "output/print/print_util.h"

#include <math.h>
#include <string.h>

/* Four significant digits, as below 1000, and the digits grouped by
 * thousands: 73,780,000 NOK/year reads at a glance, 73783632 does not, and
 * its last digits are noise next to its interval anyway. */
const char *flyt__fmt_num(char *buf, size_t len, double x)
{
    if (!isfinite(x)) {
        snprintf(buf, len, "-");
        return buf;
    }
    if (!(fabs(x) >= 1000 && fabs(x) < 1e15)) {
        snprintf(buf, len, "%.4g", x);
        return buf;
    }
    char digits[32];
    double step = pow(10.0, floor(log10(fabs(x))) - 3);
    snprintf(digits, sizeof digits, "%.0f", fabs(round(x / step) * step));
    size_t n = strlen(digits), o = 0;
    if (x < 0 && o + 1 < len)
        buf[o++] = '-';
    for (size_t i = 0; i < n && o + 1 < len; i++) {
        if (i > 0 && (n - i) % 3 == 0 && o + 2 < len)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
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
