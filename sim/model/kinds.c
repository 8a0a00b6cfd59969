/* The unit kinds, one row each: to add a kind, write its file (the
 * functions of struct flyt__unit_kind, model.h) and add its row here, with
 * its name in the scenario module (enum flyt_unit_kind, read_units.c). */
#include "model/model.h"

const struct flyt__unit_kind *const flyt__kinds[FLYT_N_UNIT_KINDS] = {
    [FLYT_UNIT_BEDS] = &flyt__kind_beds,
    [FLYT_UNIT_CASELOAD] = &flyt__kind_caseload,
    [FLYT_UNIT_UNLIMITED] = &flyt__kind_unlimited,
};
