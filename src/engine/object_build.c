/* object_build.c - the rules of an object's parts, whatever decoder read them (object_build.h) */
#include "deconflict/object_build.h"

#include <math.h>
#include <string.h>

/* The field of a volume rule's failure as the site's part it came from. */
static dc_status relay(dc_error *err, dc_status rc, const dc_error *inner, const char *place)
{
    const char *field = strncmp(inner->field, "time", 4) == 0 ? inner->field : place;
    return dc_error_set(err, rc, field, DC_NO_POSITION, "%s", inner->message);
}

static dc_status outline_site(dc_geom *geom, const dc_site_parts *p, dc_volume *out, dc_error *err)
{
    dc_error inner;
    dc_error_clear(&inner);
    dc_volume outline, grown;
    dc_status rc =
        dc_volume_init_polygon(geom, p->outline, p->outline_count, DC_ALTITUDE_MIN_M,
                               DC_ALTITUDE_MAX_M, p->time_start, p->time_end, &outline, &inner);
    if (rc != DC_OK)
        return inner.status == DC_OK ? rc : relay(err, rc, &inner, "outline");
    rc = p->radius_m > 0 ? dc_volume_buffer(geom, &outline, p->radius_m, &grown, &inner)
                         : dc_volume_copy(&outline, &grown);
    dc_volume_clear(&outline);
    if (rc != DC_OK)
        return inner.status == DC_OK ? rc : relay(err, rc, &inner, "outline");
    *out = grown;
    return DC_OK;
}

dc_status dc_site_build(dc_geom *geom, const dc_site_parts *p, dc_volume *out, dc_error *err)
{
    if ((p->location == NULL) == (p->outline == NULL))
        return dc_error_set(err, DC_INVALID, "location", DC_NO_POSITION,
                            "exactly one of a location and an outline");
    if (!isfinite(p->radius_m) || p->radius_m < 0 || p->radius_m > DC_SITE_RADIUS_MAX_M ||
        (p->location != NULL && p->radius_m <= 0))
        return dc_error_set(err, DC_RANGE, "radius", DC_NO_POSITION,
                            "metres within 0..%.0f (more than 0 around a point)",
                            DC_SITE_RADIUS_MAX_M);
    if (p->outline != NULL)
        return outline_site(geom, p, out, err);
    dc_error inner;
    dc_error_clear(&inner);
    dc_volume circle;
    dc_status rc =
        dc_volume_init_circle(*p->location, p->radius_m, DC_ALTITUDE_MIN_M, DC_ALTITUDE_MAX_M,
                              p->time_start, p->time_end, &circle, &inner);
    if (rc != DC_OK)
        return relay(err, rc, &inner, "radius");
    *out = circle;
    return DC_OK;
}

dc_status dc_priority_check(long long priority, dc_error *err)
{
    if (priority < DC_PRIORITY_MIN || priority > DC_PRIORITY_MAX)
        return dc_error_set(err, DC_RANGE, "priority", DC_NO_POSITION, "an integer within %d..%d",
                            DC_PRIORITY_MIN, DC_PRIORITY_MAX);
    return DC_OK;
}
