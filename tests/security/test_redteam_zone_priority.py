"""test_redteam_zone_priority.py - red team, fixed: Any party may declare a zone
anywhere, and a zone wins "whatever the priority": a party whose ceiling the operator set to 0
makes another party's priority-100 intent replan and has every new intent there refused. The
priority ceiling (docs/SECURITY.md 1, "Priorities are granted") is bypassed through the zone kind,
which has no priority, no ceiling and no check of who may restrict which airspace."""
from common import Results, Server, volume

T0, T1 = "2031-05-01T08:00:00Z", "2031-05-01T09:00:00Z"
SQ = [{"lat": 36.0, "lng": 37.0}, {"lat": 36.0, "lng": 37.1}, {"lat": 36.1, "lng": 37.1}, {"lat": 36.1, "lng": 37.0}]
WIDE = [{"lat": 35.9, "lng": 36.9}, {"lat": 35.9, "lng": 37.2}, {"lat": 36.2, "lng": 37.2}, {"lat": 36.2, "lng": 36.9}]
r = Results("security_redteam_zone_priority")
s = Server()
try:
    a, b = s.party("alpha"), s.party("bravo")
    r.equal("alpha may claim priority 100", 200, s.call("PUT", "/v1/parties/alpha", s.operator, {"priority_ceiling": 100})[0])
    r.equal("bravo may claim nothing above 0", 200, s.call("PUT", "/v1/parties/bravo", s.operator, {"priority_ceiling": 0})[0])
    r.equal("alpha's priority-100 medevac", 201, s.call("PUT", "/v1/intents/medevac", a,
                                                       {"priority": 100, "volumes": [volume(SQ, 0, 3000, T0, T1)]})[0])
    r.equal("bravo's priority 1 is refused by its ceiling", 403, s.call("PUT", "/v1/intents/x", b,
                                                                      {"priority": 1, "volumes": [volume(SQ, 0, 3000, T0, T1)]})[0])
    status, _, doc = s.call("PUT", "/v1/zones/mine", b, {"public": False, "admitted": [], "volumes": [
        volume(WIDE, 0, 20000, T0, T1)]})
    replans = [n for n in s.call("GET", "/v1/notices", a)[2]["items"] if n.get("action") == "replan"]
    r.check("bravo (ceiling 0) cannot make alpha's priority-100 intent replan", status != 201 or not replans,
            (status, replans))
    status, _, doc = s.call("PUT", "/v1/intents/medevac2", a, {"priority": 100, "volumes": [volume(SQ, 0, 3000, T0, T1)]})
    r.equal("nor have alpha's next priority-100 intent there refused", 201, status)
finally:
    s.stop()
    s.cleanup()
r.finish()
