/* admit.c - which zones admit a party, said after the zones were loaded (a recorded flight's
 * route, chosen by the user of `deconflict monitor`) */
#include "monitor_internal.h"

#include <string.h>

static dc_status admit_one(struct zone *z, const char *party)
{
    if (strcmp(z->owner, party) == 0)
        return DC_OK;
    for (size_t i = 0; i < z->admitted_count; i++)
        if (strcmp(z->admitted[i], party) == 0)
            return DC_OK;
    char(*grown)[DC_ID_MAX] = dc_realloc(z->admitted, (z->admitted_count + 1) * sizeof *grown);
    if (grown == NULL)
        return DC_NOMEM;
    z->admitted = grown;
    dc_copy_text(z->admitted[z->admitted_count++], DC_ID_MAX, party);
    return DC_OK;
}

dc_status dc_monitor_admit(dc_monitor *m, const char *zone, const char *party, size_t *matched)
{
    size_t n = 0;
    for (size_t i = 0; i < m->zone_count; i++) {
        struct zone *z = &m->zones[i];
        if (!z->active || z->emergency ||
            (zone != NULL && strcmp(z->id, zone) != 0 && strcmp(z->owner, zone) != 0))
            continue;
        if (admit_one(z, party) != DC_OK)
            return DC_NOMEM;
        n++;
    }
    if (matched != NULL)
        *matched = n;
    return DC_OK;
}
