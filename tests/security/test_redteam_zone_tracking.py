"""test_redteam_zone_tracking.py - red team, fixed:  Any party may declare a zone
anywhere, admitting nobody; every other party's aircraft inside it then reaches the zone's owner
as an incursion alert carrying its exact position and altitude, from its first report (no
establishment) and repeated while it stays. This bypasses the 500 m / 100 ft coarsening and the
established-track rule of docs/SECURITY.md section 4 for every aircraft in a whole region."""
from common import Results, Server, volume

r = Results("security_redteam_zone_tracking")
s = Server()
try:
    a, b = s.party("alpha"), s.party("bravo")
    # bravo, a hostile party, "restricts" 2 x 2 degrees where it guesses alpha flies
    zone = {"public": False, "admitted": [], "volumes": [volume(
        [{"lat": 35.0, "lng": 36.0}, {"lat": 35.0, "lng": 38.0}, {"lat": 37.0, "lng": 38.0}, {"lat": 37.0, "lng": 36.0}],
        0, 20000, "2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z")]}
    r.equal("bravo's zone over alpha's airspace is stored", 201, s.call("PUT", "/v1/zones/net", b, zone)[0])
    rep = {"aircraft": "A1", "time": "2025-07-01T10:00:00Z", "position": "36.123457N 37.012345E",
           "altitude": 4321.5, "ground_speed": 150, "track": 90}
    r.equal("alpha's one report is taken", 1, s.call("POST", "/v1/tracks", a, [rep])[2]["accepted"])
    got = s.call("GET", "/v1/alerts", b)[2]["items"]
    about_alpha = [x for x in got if x.get("track", {}).get("party") == "alpha"]
    exact = [x for x in about_alpha if abs(x["track"]["position"]["lat"] - 36.123457) < 1e-4
             and abs(x["track"]["position"]["lng"] - 37.012345) < 1e-4]
    r.check("bravo does not learn alpha's aircraft position to better than 500 m", not exact, str(about_alpha)[:400])
    r.check("nor its altitude to the metre", not any(x["track"].get("altitude_m") == 4321.5 for x in about_alpha),
            str(about_alpha)[:200])
    # a zone's owner is told of an incursion from the first report (a state must know at once);
    # what it learns is the cell, not the point (docs/SECURITY.md section 4)
    r.check("it learns the cell on the 500 m grid", all(x["track"].get("resolution_m") == 500 for x in about_alpha),
            str(about_alpha)[:200])
finally:
    s.stop()
    s.cleanup()
r.finish()
