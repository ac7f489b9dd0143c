"""test_redteam_zone_probe.py - red team, fixed: Zones are never refused and a
zone as the viewer's object is exempt from the `mapping` alert (notices.c: `mine->kind !=
DC_KIND_ZONE`): a party probing another's intent with small, short zones (created and deleted)
spends its whole budget and keeps learning windows without the owner or the operator ever being
told it is being mapped."""
from common import Results, Server, volume

T0, T1 = "2031-05-01T08:00:00Z", "2031-05-01T09:00:00Z"
ROUTE = {"priority": 5, "route": {"waypoints": [
    {"position": "36.0N 36.0E", "altitude": 2000, "time": "2031-05-01T08:00:00Z"},
    {"position": "36.0N 39.33E", "altitude": 2000, "time": "2031-05-01T08:50:00Z"}],
    "buffers": {"lateral": 5000, "vertical": 1000, "time": 300}}}
r = Results("security_redteam_zone_probe")
s = Server()
try:
    a, b = s.party("alpha"), s.party("bravo")
    r.equal("alpha's corridor", 201, s.call("PUT", "/v1/intents/corridor", a, ROUTE)[0])
    limits = []
    for k in range(12):
        lon0 = 36.1 + 0.27 * k
        doc = s.call("PUT", f"/v1/zones/z{k}", b, {"public": False, "admitted": [], "volumes": [volume(
            [{"lat": 35.8, "lng": lon0}, {"lat": 35.8, "lng": lon0 + 0.25}, {"lat": 36.2, "lng": lon0 + 0.25},
             {"lat": 36.2, "lng": lon0}], 0, 20000, T0, T1)]})[2]
        limits += [x.get("disclosure_limit") for x in doc.get("notices", [])]
        s.call("DELETE", f"/v1/zones/z{k}", b)
    r.check("bravo's zones spent its budget on alpha's corridor", "budget_spent" in limits, str(limits))
    r.check("alpha is alerted that bravo is mapping its intent",
            any(x["kind"] == "mapping" for x in s.call("GET", "/v1/alerts", a)[2]["items"]), "")
    r.check("and so is the operator",
            any(x["kind"] == "mapping" for x in s.call("GET", "/v1/alerts", s.operator)[2]["items"]), "")
finally:
    s.stop()
    s.cleanup()
r.finish()
