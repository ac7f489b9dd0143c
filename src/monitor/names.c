/* names.c - the names of verdicts, levels and alert kinds, as the API and the CLI print them */
#include "deconflict/monitor.h"

const char *dc_report_verdict_name(dc_report_verdict v)
{
    static const char *const names[] = {
        "accepted",        "duplicate",           "out_of_order",
        "stale",           "implausible_jump",    "implausible_altitude",
        "invalid",         "implausible_speed",   "too_many_new_aircraft",
        "position_frozen", "position_unreliable", "in_the_future"};
    return (unsigned)v < sizeof names / sizeof *names ? names[v] : "unknown";
}

const char *dc_alert_level_name(dc_alert_level l)
{
    static const char *const names[] = {"clear",     "advisory", "warning",
                                        "incursion", "loss",     "nonconforming"};
    return (unsigned)l < sizeof names / sizeof *names ? names[l] : "unknown";
}

const char *dc_alert_kind_name(dc_alert_kind k)
{
    static const char *const names[] = {
        "zone",  "separation", "conformance",         "new_aircraft",
        "clock", "emergency",  "position_unreliable", "sensor"};
    return (unsigned)k < sizeof names / sizeof *names ? names[k] : "unknown";
}
