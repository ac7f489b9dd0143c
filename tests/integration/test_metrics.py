"""test_metrics.py - /metrics has the families an operator watches (issue 17, API): requests by
class and their duration with event streams counted apart (a stream held open is not a slow
request), streams open and opened, alerts and notices delivered, position reports by verdict,
live tracks, objects and the store; and it is the operator's alone."""
import http.client
import re
import time

from harness import Results, Server, circle

T0, T1 = "2032-05-01T00:00:00Z", "2032-05-01T06:00:00Z"


def scrape(s):
    status, headers, text = s.call("GET", "/metrics", s.operator)
    values = {}
    for line in text.splitlines():
        m = re.match(r"^([a-z_]+(?:\{[^}]*\})?) ([0-9.e+-]+)$", line)
        if m:
            values[m.group(1)] = float(m.group(2))
    return status, headers, text, values


r = Results("metrics")
s = Server(["--quiet"])
try:
    a, b = s.party("alpha"), s.party("bravo")
    status, headers, text, before = scrape(s)
    r.equal("/metrics answers the operator in Prometheus' text format", (200, True),
            (status, headers.get("content-type", "").startswith("text/plain")))
    for family in ["deconflict_requests_total", "deconflict_request_duration_seconds", "deconflict_streams_open",
                   "deconflict_streams_total", "deconflict_stream_seconds_total", "deconflict_alerts_total",
                   "deconflict_notices_total", "deconflict_track_reports_total", "deconflict_tracks_live",
                   "deconflict_objects", "deconflict_store_bytes"]:
        r.check(f"family {family} is there, typed", f"# TYPE {family} " in text, family)
    status, _, doc = s.call("GET", "/metrics", a)
    r.equal("a party may not read them", (403, "/problems/forbidden"), (status, doc.get("type")))

    # notices: bravo's intent over alpha's is refused (one notice to bravo in the answer, none
    # stored), alpha's over bravo's at a higher priority makes bravo replan (a stored notice)
    s.call("PUT", "/v1/intents/low", b, {"priority": 1, "volumes": [circle("30.0N 30.0E", 900, 0, 300, T0, T1)]})
    status, _, _ = s.call("PUT", "/v1/intents/high", a, {"priority": 5, "volumes": [circle("30.0N 30.0E", 900, 0, 300, T0, T1)]})
    r.equal("alpha's higher-priority intent over bravo's is accepted", 201, status)
    # reports: two accepted, one of them repeated (a duplicate)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    rep = {"aircraft": "AB1234", "time": now, "position": {"lat": 30.0, "lng": 30.0}, "altitude": 100}
    s.call("POST", "/v1/tracks", a, [rep, dict(rep)])
    # a stream held open two seconds
    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
    conn.request("GET", "/v1/alerts/stream", headers={"Authorization": "Bearer " + a})
    resp = conn.getresponse()
    r.equal("the alert stream opens", 200, resp.status)
    time.sleep(0.5)
    _, _, _, during = scrape(s)
    r.equal("one alert stream open while it is", 1, during.get('deconflict_streams_open{kind="alerts"}'))
    time.sleep(1.5)
    conn.close()
    deadline = time.time() + 50  # a closed stream is found when a write to it fails: 1-2 heartbeats (15 s)
    while time.time() < deadline:
        _, _, _, after = scrape(s)
        if after.get('deconflict_streams_open{kind="alerts"}') == 0:
            break
        time.sleep(0.5)
    r.equal("none open once it is closed", 0, after.get('deconflict_streams_open{kind="alerts"}'))
    r.equal("one opened", 1, after.get('deconflict_streams_total{kind="alerts"}'))
    r.check("its time is counted among streams (at least 2 s)",
            after.get('deconflict_stream_seconds_total{kind="alerts"}', 0) >= 1.9, str(after.get('deconflict_stream_seconds_total{kind="alerts"}')))
    slow = sum(v for k, v in after.items() if k.startswith("deconflict_request_duration_seconds_bucket")
               and ('le="+Inf"' in k)) - sum(v for k, v in after.items()
                                              if k.startswith("deconflict_request_duration_seconds_bucket") and 'le="1"' in k)
    r.equal("... and not among requests' durations (none over 1 s)", 0, slow)
    r.check("notices stored are counted", after.get("deconflict_notices_total", 0) >= 1, str(after.get("deconflict_notices_total")))
    r.equal("reports by verdict: one accepted", 1, after.get('deconflict_track_reports_total{verdict="accepted"}'))
    r.equal("... one duplicate", 1, after.get('deconflict_track_reports_total{verdict="duplicate"}'))
    r.equal("one live track", 1, after.get("deconflict_tracks_live"))
    r.equal("objects by kind: two intents", 2, after.get('deconflict_objects{kind="intent"}'))
    r.check("requests by class grew", after.get('deconflict_requests_total{class="2xx"}', 0)
            > before.get('deconflict_requests_total{class="2xx"}', 0), "")
    r.check("no site is ever counted", 'kind="site"' not in text, "")
finally:
    s.stop()
    s.cleanup()
r.finish()
