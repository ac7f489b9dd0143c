/* codec_internal.h - what the decoders of src/api share (codec.c: members, coordinates,
 * lengths, times; codec_volume4d.c: volumes and routes) */
#ifndef DECONFLICT_CODEC_INTERNAL_H
#define DECONFLICT_CODEC_INTERNAL_H

#include "api_internal.h"

struct decoder {
    dc_geom *geom;
    dc_error *err;
    json_t *readbacks; /* NULL: no read-backs (position reports need none) */
};

/* The JSON pointer of `member` under `base` (formatted for every field of every report, so no
 * snprintf: it was a sixth of the time of a batch of position reports). Truncates to fit. */
void dc__codec_pointer_to(char *out, size_t size, const char *base, const char *member);
/* The failure `status` at `pointer`, its message formatted into d->err; returns `status`. */
dc_status dc__codec_fail(struct decoder *d, dc_status status, const char *pointer, const char *fmt,
                         ...) __attribute__((format(printf, 4, 5)));
/* Members not in `allowed` (NULL ended) are refused: a misspelt field must not quietly become a
 * default. DC_OK or DC_INVALID. */
dc_status dc__codec_only_members(struct decoder *d, json_t *obj, const char *pointer,
                                 const char *const *allowed);
/* An object with only the `allowed` members; anything else is refused with the form expected
 * (`shape`). DC_OK or DC_INVALID. */
dc_status dc__codec_members_of(struct decoder *d, json_t *v, const char *pointer, const char *shape,
                               const char *const *allowed);
/* A coordinate: a string in any notation dc_coord_parse accepts, or {"lat", "lng"} in decimal
 * degrees, read back into d->readbacks when it is not NULL. DC_OK or the coordinate's refusal. */
dc_status dc__codec_decode_point(struct decoder *d, json_t *v, const char *pointer, dc_point *out);
/* A length in metres: a number, or {"value", "units": "M"|"FT", "reference": "W84"}. */
dc_status dc__codec_decode_metres(struct decoder *d, json_t *v, const char *pointer, double *out);
/* An RFC 3339 UTC time, or {"value", "format": "RFC3339"} as ASTM F3548 writes it. */
dc_status dc__codec_decode_time(struct decoder *d, json_t *v, const char *pointer, dc_time_us *out);
/* One volume (flat, or ASTM F3548's Volume4D) at `pointer` (codec_volume4d.c). */
dc_status dc__codec_decode_volume(struct decoder *d, json_t *v, const char *pointer,
                                  dc_volume *out);
/* A route's waypoints and buffers swept into *vols (*count, dc_free them), with the route as the
 * body will echo it in *echo (codec_volume4d.c). */
dc_status dc__codec_decode_route(struct decoder *d, json_t *route, dc_volume **vols, size_t *count,
                                 json_t **echo);

#endif
