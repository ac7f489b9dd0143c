/* ident.h - the grammar of identifiers that other parties see: aircraft, callsigns, object ids */
#ifndef DECONFLICT_IDENT_H
#define DECONFLICT_IDENT_H

#include "deconflict/engine.h"
#include "deconflict/status.h"

/* An aircraft or callsign as stored: at most 8 characters and the terminator. */
#define DC_AIRCRAFT_MAX 9

/* An aircraft as position reports name it: its ICAO 24-bit address, 6 hex digits, or without one
 * its callsign, 1 to 8 of A-Z 0-9 (ICAO Doc 4444 item 7 writes at most 7; ADS-B carries 8). The
 * two share one alphabet, so the grammar is theirs together: 1 to 8 of A-Z a-z 0-9. Letters are
 * written to `out` in upper case, because feeds send addresses in either case and one aircraft
 * must be one track. Nothing else is accepted: a name another party's page shows must not be
 * able to carry markup, spaces or look-alike characters.
 * DC_OK, or DC_INVALID with `out` empty (`text` NULL, empty, too long, or another byte). */
dc_status dc_ident_aircraft(const char *text, char out[DC_AIRCRAFT_MAX], dc_error *err);

/* A callsign: 1 to 8 of A-Z 0-9, letters in either case, written upper case to `out`.
 * DC_OK, or DC_INVALID with `out` empty. */
dc_status dc_ident_callsign(const char *text, char out[DC_AIRCRAFT_MAX], dc_error *err);

/* An object id (intent, hazard, site, zone): 1 to DC_ID_MAX - 1 (63) of A-Z a-z 0-9 . _ -, not
 * made only of dots ("." and ".." are path steps that a client may resolve away). Case is kept:
 * ids are the owner's to choose, and UUIDs are written in either case.
 * DC_OK, or DC_INVALID. */
dc_status dc_ident_object_id(const char *text, dc_error *err);

#endif
