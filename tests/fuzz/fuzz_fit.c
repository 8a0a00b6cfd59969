/* libFuzzer target: flyt fit on arbitrary records. The input is a stays
 * file, optionally followed by a line "%%" and a discharge-ready file; the
 * records are read against scenarios/validation/fit-roundtrip.cfg with the
 * unit ids as codes. It must not crash, hang or leak; a reader that refuses
 * must say why; and whenever records are accepted and fitted, the fitted
 * scenario must load: flyt fit never writes a file that does not validate. */
#include "fuzz.h"

#include "flyt/fit.h"
#include "flyt/records.h"
#include "flyt/scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#ifndef FUZZ_SOURCE_DIR
#define FUZZ_SOURCE_DIR "."
#endif

static const struct flyt_scenario *scenario(void)
{
    static struct flyt_scenario *s;
    if (!s) {
        struct flyt_diag diag;
        flyt_diag_init(&diag);
        s = flyt_scenario_load(FUZZ_SOURCE_DIR "/scenarios/validation/fit-roundtrip.cfg", NULL, 0,
                               &diag);
        flyt_diag_free(&diag);
        if (!s)
            abort();
    }
    return s;
}

static bool put(const char *path, const uint8_t *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    bool ok = fwrite(d, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

static const uint8_t *split(const uint8_t *d, size_t n, size_t *first)
{
    for (size_t i = 0; i + 4 <= n; i++)
        if (d[i] == '\n' && d[i + 1] == '%' && d[i + 2] == '%' && d[i + 3] == '\n') {
            *first = i + 1;
            return d + i + 4;
        }
    *first = n;
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct flyt_scenario *s = scenario();
    char stays[64], ready[64];
    snprintf(stays, sizeof stays, "/tmp/fuzz-fit-%d-stays.csv", (int)getpid());
    snprintf(ready, sizeof ready, "/tmp/fuzz-fit-%d-ready.csv", (int)getpid());
    size_t first;
    const uint8_t *rest = split(data, size, &first);
    const char *paths[2] = { stays, ready };
    int n_paths = rest ? 2 : 1;
    if (!put(stays, data, first) || (rest && !put(ready, rest, size - (size_t)(rest - data))))
        return 0;
    FILE *err = tmpfile();
    if (!err)
        abort();
    struct flyt_records_options o = { 0 };
    struct flyt_records rec;
    int rc = flyt_records_read(paths, n_paths, &o, s, &rec, err);
    unlink(stays);
    unlink(ready);
    if (rc != 0 && ftell(err) == 0)
        abort(); /* refused without a word */
    if (rc == 0) {
        struct flyt_fit_options fo = {
            .min_records = 3, .n_boot = 0, .seed = 1, .gof_alpha = 0.01
        };
        struct flyt_fit f;
        int frc = flyt_fit_estimate(&rec, s, &fo, &f, err);
        if (frc == 0) {
            char msg[512];
            char *text = flyt_fit_scenario_text(&f, s->text, NULL, msg, sizeof msg);
            if (!text)
                abort();
            struct flyt_diag d;
            flyt_diag_init(&d);
            struct flyt_scenario *fitted =
                    flyt_scenario_load_string(text, "fitted.cfg", NULL, NULL, 0, &d);
            if (!fitted) {
                fputs(text, stderr);
                fputs(d.text ? d.text : "", stderr);
                abort(); /* flyt fit would have written a file that does not load */
            }
            flyt_scenario_free(fitted);
            flyt_diag_free(&d);
            free(text);
        } else if (frc != 2) {
            abort();
        }
        flyt_fit_free(&f);
        flyt_records_free(&rec);
    }
    fclose(err);
    return 0;
}
