/* libFuzzer target: the scenario loader on arbitrary bytes. Anything may
 * come back (a scenario or errors); it must not crash, hang or leak. */
#include "fuzz.h"

#include "flyt/scenario.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    if (!text)
        return 0;
    struct flyt_diag diag;
    flyt_diag_init(&diag);
    struct flyt_scenario *s =
            flyt_scenario_load_string(text, "fuzz.cfg", FUZZ_INCLUDE_DIR, NULL, 0, &diag);
    /* Either a scenario or at least one message, never neither. */
    if (!s && diag.n_errors == 0)
        abort();
    flyt_scenario_free(s);
    flyt_diag_free(&diag);
    free(text);
    return 0;
}
