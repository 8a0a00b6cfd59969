/* libFuzzer target: --set overrides on the embedded default scenario. The
 * input is split at newlines into one override per line. */
#include "fuzz.h"

#include "flyt/scenario.h"

#include <stdlib.h>
#include <string.h>

#define MAX_SETS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    const char *sets[MAX_SETS];
    int n = 0;
    for (char *p = text; p && n < MAX_SETS;) {
        sets[n++] = p;
        p = strchr(p, '\n');
        if (p)
            *p++ = '\0';
    }
    struct flyt_diag diag;
    flyt_diag_init(&diag);
    struct flyt_scenario *s =
            flyt_scenario_load_string(flyt_default_scenario, "<embedded>", NULL, sets, n, &diag);
    if (!s && diag.n_errors == 0)
        abort();
    flyt_scenario_free(s);
    flyt_diag_free(&diag);
    free(text);
    return 0;
}
