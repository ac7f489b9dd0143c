"""test_time_range.py - a time is accepted only if its UTC instant can be written back (1970..9999):
"9999-12-31T23:59:59-23:59" (the year 10000 in UTC) was stored as "" and put uninitialised bytes in notices."""
import re

from common import T0, T1, SQ, Results, Server, circle, intent, snapshot, volume

RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$")
r = Results("time_range")
s = Server()
try:
    alice, bob = s.party("alice"), s.party("bob")
    # bob's accepted intent, so that alice's submission conflicts and notices are written
    r.equal("bob's intent", 201, s.call("PUT", "/v1/intents/b1", bob, intent(priority=5))[0])
    before = snapshot(s.db)
    attacks = [
        ("time_end in the year 10000 once its offset is applied", "/v1/intents/a1",
         intent(t1="9999-12-31T23:59:59-23:59"), "/volumes/0/time_end"),
        ("time_start before 1970 once its offset is applied", "/v1/intents/a2",
         intent(t0="1970-01-01T00:30:00+01:00"), "/volumes/0/time_start"),
        ("a hazard's window into the year 10000", "/v1/hazards/h1",
         {"priority": 1, "hazard_kind": "strike", "volumes": [circle("36.05N 37.05E", 500, 0, 1000, T0, "9999-12-31T23:59:59-00:01")]},
         "/volumes/0/time_end"),
        ("a zone's window into the year 10000", "/v1/zones/z1",
         {"volumes": [volume(SQ, 0, 1000, T0, "9999-12-31T23:59:59-12:00")]}, "/volumes/0/time_end"),
        ("a site's validity into the year 10000", "/v1/sites/s1",
         {"label": "x", "location": "36.05N 37.05E", "radius": 100, "time_start": T0, "time_end": "9999-12-31T23:30:00-01:00"},
         "/time_end"),
        ("a route's time buffer past 9999-12-31", "/v1/intents/a3",
         {"priority": 1, "route": {"waypoints": [
             {"position": "36.0N 37.0E", "altitude": 1000, "time": "9999-12-31T22:00:00Z"},
             {"position": "36.1N 37.1E", "altitude": 1000, "time": "9999-12-31T23:00:00Z"}],
             "buffers": {"lateral": 500, "vertical": 100, "time": 7200}}}, "/route/buffers/time"),
        ("a route's time buffer before 1970", "/v1/intents/a4",
         {"priority": 1, "route": {"waypoints": [
             {"position": "36.0N 37.0E", "altitude": 1000, "time": "1970-01-01T00:10:00Z"},
             {"position": "36.1N 37.1E", "altitude": 1000, "time": "1970-01-01T01:00:00Z"}],
             "buffers": {"lateral": 500, "vertical": 100, "time": 3600}}}, "/route/buffers/time"),
    ]
    for what, path, body, pointer in attacks:
        status, headers, doc = s.call("PUT", path, alice, body)
        r.equal(f"{what}: 400", 400, status)
        r.equal(f"{what}: problem+json", "application/problem+json", headers.get("content-type"))
        r.equal(f"{what}: pointer", pointer, doc.get("pointer") if isinstance(doc, dict) else doc)
        r.equal(f"{what}: type", "/problems/range", doc.get("type") if isinstance(doc, dict) else doc)
    status, _, doc = s.call("POST", "/v1/tracks", alice, [{"aircraft": "AC1", "time": "9999-12-31T23:59:59-23:59",
                                                          "position": "36.05N 37.05E", "altitude": 1000}])
    r.equal("a position report in the year 10000", (400, "/0/time"), (status, doc.get("pointer")))
    r.equal("nothing was stored by any of them", before, snapshot(s.db))
    bob_notices = s.call("GET", "/v1/notices", bob)[2]["items"]
    r.equal("bob was told nothing", [], bob_notices)

    # the last writable instant is accepted and read back as written
    status, _, doc = s.call("PUT", "/v1/intents/edge", alice, intent(t0="9999-12-31T22:00:00Z", t1="9999-12-31T23:59:59+00:00",
                                                                     vertices=["10N 10E", "10N 10.1E", "10.1N 10.1E"]))
    r.equal("9999-12-31T23:59:59Z is accepted", 201, status)
    r.equal("and read back as written", "9999-12-31T23:59:59Z", doc["volumes"][0]["time_end"] if status == 201 else None)
    # a conflict accepted by priority: every time in every notice is RFC 3339
    status, _, doc = s.call("PUT", "/v1/intents/a5", alice, intent(priority=7, t1="2033-01-01T12:00:00+01:00"))
    r.equal("a conflicting intent of higher priority is accepted", 201, status)
    times = [n[k] for who in (alice, bob) for n in s.call("GET", "/v1/notices", who)[2]["items"]
             for k in ("time_start", "time_end", "created") if k in n]
    r.check("notices were written", len(times) >= 4, str(times))
    r.check("every time in every notice is RFC 3339", all(isinstance(t, str) and RFC3339.match(t) for t in times), str(times))
finally:
    s.stop()
    s.cleanup()
r.finish()
