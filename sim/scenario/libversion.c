/* The libconfig version for provenance; here because only the scenario
 * module includes <libconfig.h>. */
#include "flyt/scenario.h"

#include <libconfig.h>

#define STR_(x) #x
#define STR(x)  STR_(x)

const char *flyt_scenario_libconfig_version(void)
{
    return STR(LIBCONFIG_VER_MAJOR) "." STR(LIBCONFIG_VER_MINOR) "." STR(LIBCONFIG_VER_REVISION);
}
