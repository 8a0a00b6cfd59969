/* The unit kind "unlimited": stays and outcomes like beds (kind_beds.c),
 * but never full, so never a queue. */
#include "model/model.h"

static bool unlimited_room(const struct model *m, int u, const struct patient *p)
{
    (void)m;
    (void)u;
    (void)p;
    return true;
}

const struct flyt__unit_kind flyt__kind_unlimited = {
    .stays = true,
    .has_room = unlimited_room,
    .enter = flyt__start_stay,
    .release = flyt__release_bed,
    .register_handlers = NULL, /* the stay's end is the beds kind's handler */
};
