/* store_check.h - a store checked before it is served; backed up and restored while verified */
#ifndef DECONFLICT_STORE_CHECK_H
#define DECONFLICT_STORE_CHECK_H

#include "deconflict/status.h"

#include <stdint.h>

typedef enum dc_check_level {
    DC_CHECK_QUICK, /* SQLite's quick_check within a time limit, the chain's tail, the head */
    DC_CHECK_FULL,  /* integrity_check and the store's whole chain, without a limit */
    DC_CHECK_NONE,  /* the files' sizes and the head only */
} dc_check_level;

/* What a check found, for the log. */
typedef struct dc_store_check_report {
    int new_store;         /* no file yet: a new store will be created */
    int complete;          /* the SQLite check ran to its end (else it ran out of time) */
    double seconds;        /* that check's time */
    int64_t pages;         /* pages of the database file */
    int64_t chain_checked; /* audit records whose hash, link and signature were checked */
    int64_t chain_last;    /* the newest audit record's seq (0: none) */
    int64_t head_seq;      /* the published head (0: no head file) */
    int head_torn;         /* the head file's last record was torn by a crash and skipped */
    char notes[512];       /* what was tightened or could not be checked, "" when nothing */
} dc_store_check_report;

/* Check the store at `location` (a file path) before serving it, without changing its rows (a
 * file found readable by others is made private and noted). Refused, DC_STORE with the reason
 * in err:
 *   - no file, but a head file says the store published records (the store was lost);
 *   - an empty (0-byte) file: this server never leaves one (a new store is one page at once);
 *   - not an SQLite database, or a file shorter than its header's page count (truncated);
 *   - quick_check (DC_CHECK_QUICK, stopped after `seconds`, noted then) or integrity_check
 *     (DC_CHECK_FULL) finding a problem, or SQLite unable to read it; rtreecheck() finding the
 *     spatial index's nodes inconsistent (both levels);
 *   - a record of the chain's tail (quick: the newest 1,000; full: every one in the store)
 *     whose hash, link or signature does not hold;
 *   - a chain that does not contain the head last published (<location>.head): shorter
 * (acknowledged records lost, e.g. with the -wal) or different at that seq. DC_INVALID for a bad
 * argument, DC_NOMEM. */
dc_status dc_store_check(const char *location, dc_check_level level, double seconds,
                         dc_store_check_report *out, dc_error *err);

/* Copy the store at `location` to `out` with SQLite's online backup API (a consistent snapshot
 * while a server writes to it), as a 0600 file: written to out.tmp, checked with integrity_check,
 * synced and renamed into place. The signing key file goes beside it (out.key) and the copy's
 * head (out.head). *last_seq is the copy's newest audit record. DC_STORE with the reason in err
 * (nothing left at `out` then), DC_CONFLICT when `out` exists, DC_NOMEM. */
dc_status dc_store_backup(const char *location, const char *out, int64_t *last_seq, dc_error *err);

/* First step of a restore: `backup` copied to `staged` (0600) and checked with integrity_check.
 * The caller verifies the staged store's audit chain before installing it. DC_STORE, DC_NOMEM. */
dc_status dc_store_restore_stage(const char *backup, const char *staged, dc_error *err);

/* Second step: put the staged copy in place of the store at `location`, atomically (rename), with
 * its signing key (backup.key, when `location`.key is missing or another key) and a head file
 * naming its newest record. Refused, DC_BUSY, while any process has `location` open (a
 * server); DC_FORBIDDEN when the staged store's public key matches no key file available;
 * DC_STORE. *previous_head is the head the replaced store had published (0: none), so that the
 * caller can say what the restore gave up. */
dc_status dc_store_restore_install(const char *staged, const char *backup, const char *location,
                                   int64_t *previous_head, int64_t *restored_head, dc_error *err);

#endif
