"""test_disclosure.py - what notices reveal of another party's object: only where it overlaps the
viewer's own volumes, on the published 500 m / 1 min grid, within the daily budget per (viewer,
object); over-large probes and refusals reveal no more; the owner is told it is being mapped."""
import json
import math
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "integration"))
from harness import Results, Server, circle, cli, volume  # noqa: E402

T0, T1 = "2031-05-01T08:00:00Z", "2031-05-01T09:00:00Z"
BUDGET_KM2 = 400.0
# Alpha's route: a corridor 300 km long (36.0 E to 39.33 E at 36 N), 10 km wide, 1,000-3,000 m.
ROUTE = {"priority": 5, "route": {"waypoints": [
    {"position": "36.0N 36.0E", "altitude": 2000, "time": "2031-05-01T08:00:00Z"},
    {"position": "36.0N 39.33E", "altitude": 2000, "time": "2031-05-01T08:50:00Z"}],
    "buffers": {"lateral": 5000, "vertical": 1000, "time": 300}}}
MARKERS = ("39.33",)  # the corridor's far end: nowhere in bravo's own input


def box_area_km2(ring):
    lons = [p[0] for p in ring]
    lats = [p[1] for p in ring]
    mid = math.radians((min(lats) + max(lats)) / 2)
    return (max(lats) - min(lats)) * 111.32 * (max(lons) - min(lons)) * 111.32 * math.cos(mid)


def learned_km2(notices):
    total = 0.0
    for n in notices:
        for poly in (n.get("overlap") or {}).get("coordinates", []):
            total += box_area_km2(poly[0])
    return total


def on_grid(notices):
    for n in notices:
        for poly in (n.get("overlap") or {}).get("coordinates", []):
            for lon, lat in poly[0]:
                if abs(lat * 200 - round(lat * 200)) > 1e-6:
                    return False
        for t in (n.get("time_start"), n.get("time_end")):
            if t and not t.endswith(":00Z"):
                return False
    return True


r = Results("security_disclosure")
s = Server()
try:
    a, b, op = s.party("alpha"), s.party("bravo"), s.operator
    status, _, doc = s.call("PUT", "/v1/intents/corridor", a, ROUTE)
    r.equal("alpha's 300 km route corridor", 201, status)
    # 1. A 1,400 km circle for a whole day at priority 0: refused, and it learns only a window.
    probe = {"priority": 0, "volumes": [circle("36.0N 37.5E", 1400000, 0, 20000,
                                               "2031-05-01T00:00:00Z", "2031-05-02T00:00:00Z")]}
    status, _, doc = s.call("PUT", "/v1/intents/sweep", b, probe)
    r.equal("the 1,400 km circle is refused", 409, status)
    notices = doc.get("notices", [])
    r.check("it is told of alpha's intent", any(n["counterpart"]["party"] == "alpha" for n in notices), str(doc)[:300])
    r.check("but only its window: no geometry, no altitude",
            all(n.get("disclosed") == "window" and "overlap" not in n and "altitude_lower" not in n for n in notices),
            json.dumps(notices)[:400])
    r.check("area learned <= the budget", learned_km2(notices) <= BUDGET_KM2, learned_km2(notices))
    text = json.dumps(doc)
    r.check("no coordinate of the corridor in the refusal", not any(m in text for m in MARKERS), text[:300])
    r.equal("nothing stored for bravo: no object", 404, s.call("GET", "/v1/intents/sweep", b)[0])
    r.equal("nothing stored for bravo: no notice", [], s.call("GET", "/v1/notices", b)[2]["items"])
    alerts = s.call("GET", "/v1/alerts", a)[2]["items"]
    r.check("alpha is alerted that bravo is mapping its intent",
            any(x["kind"] == "mapping" and x["party"] == "bravo" and x["object"]["id"] == "corridor" for x in alerts),
            str(alerts))
    op_alerts = s.call("GET", "/v1/alerts", op)[2]["items"]
    r.check("and so is the operator", any(x["kind"] == "mapping" and x["party"] == "bravo" for x in op_alerts), str(op_alerts))
    who = cli("audit", "who-saw", "intent/alpha/corridor", "--db", s.db).stdout.strip().splitlines()[-1]
    r.check("who-saw on alpha's intent names bravo", "bravo" in who, who)

    # 2. A private zone (public: false, 404 to bravo) answers the same way.
    zone = {"public": False, "admitted": [], "volumes": [volume(
        [{"lat": 35.5, "lng": 36.5}, {"lat": 35.5, "lng": 37.5}, {"lat": 36.5, "lng": 37.5}, {"lat": 36.5, "lng": 36.5}],
        0, 20000, "2031-01-01T00:00:00Z", "2032-01-01T00:00:00Z")]}
    r.equal("alpha's private zone", 201, s.call("PUT", "/v1/zones/private", a, zone)[0])
    r.equal("is 404 to bravo", 404, s.call("GET", "/v1/zones/private", b)[0])
    status, _, doc = s.call("PUT", "/v1/intents/sweep2", b, probe)
    zn = [n for n in doc.get("notices", []) if n["counterpart"]["kind"] == "zone"]
    r.check("the big circle learns the zone's window only", zn and all("overlap" not in n for n in zn), str(zn)[:300])

    # 3. Small probes along the corridor: each learns its overlap on the grid, until the budget.
    told = []
    for k in range(40):
        lon = 36.1 + 0.08 * k
        status, _, doc = s.call("PUT", f"/v1/intents/small-{k}", b, {"priority": 0, "volumes": [
            circle(f"36.0N {lon:.3f}E", 4000, 0, 5000, T0, T1)]})
        told += [n for n in doc.get("notices", []) if n["counterpart"]["party"] == "alpha"
                 and n["counterpart"]["kind"] == "intent"]
    geometry = [n for n in told if n.get("disclosed") == "geometry"]
    r.check("the first small probes learn an overlap", len(geometry) >= 3, len(geometry))
    r.check("on the published grid (500 m, whole minutes)", on_grid(told), json.dumps(told[:1]))
    r.check(f"all they learned together <= {BUDGET_KM2} km2", learned_km2(told) <= BUDGET_KM2, learned_km2(told))
    r.check("past the budget only the window", told and told[-1].get("disclosed") == "window"
            and told[-1].get("disclosure_limit") == "budget_spent", told[-1] if told else None)
    # 4. A site of 8 x 8 degrees does not return bravo's hazard volumes.
    s.call("PUT", "/v1/hazards/fire", b, {"priority": 1, "hazard_kind": "live_fire", "volumes": [
        volume([{"lat": 30.0, "lng": 30.0}, {"lat": 30.0, "lng": 30.3}, {"lat": 30.3, "lng": 30.3}], 0, 3000, T0, T1)]})
    big = {"label": "everything", "outline_polygon": {"vertices": [
        {"lat": 26.0, "lng": 26.0}, {"lat": 26.0, "lng": 34.0}, {"lat": 34.0, "lng": 34.0}, {"lat": 34.0, "lng": 26.0}]},
        "radius": 100, "time_start": T0, "time_end": T1}
    status, _, doc = s.call("PUT", "/v1/sites/everything", a, big)
    text = json.dumps(doc)
    r.check("an 8 x 8 degree site learns no hazard volume", "hazard_volumes" not in text and "30.3" not in text, text[:400])
finally:
    s.stop()
    s.cleanup()

# 5. A refused submission reveals no more than the same submission accepted.
shown = {}
for priority in (4, 6):  # below alpha's 5: refused; above: accepted (alpha replans)
    s = Server()
    try:
        a, b = s.party("alpha"), s.party("bravo")
        s.call("PUT", "/v1/intents/corridor", a, ROUTE)
        status, _, doc = s.call("PUT", "/v1/intents/crossing", b, {"priority": priority, "volumes": [
            circle("36.0N 37.0E", 8000, 0, 5000, T0, T1)]})
        shown[priority] = (status, [{k: v for k, v in n.items() if k not in ("action", "reason", "id", "conflict_key")}
                                    for n in doc["notices"]])
    finally:
        s.stop()
        s.cleanup()
r.equal("refused, then accepted", (409, 201), (shown[4][0], shown[6][0]))
r.equal("what bravo learns is the same either way", shown[6][1], shown[4][1])
r.finish()
