"""test_redteam_zone_squat.py - red team, fixed: "An object is (kind, owner, id)
everywhere: another party's id never matches yours" (DESIGN.md rule 3). Yet PUT refuses a new
object whose id another party's object *visible to the submitter* already has (403 "belongs to
another party"): a hostile party squats ids by publishing zones (or granting its objects of a
kind) under the ids its counterpart will use, e.g. its sovereign airspace's name."""
from common import Results, Server, volume

T0, T1 = "2031-05-01T08:00:00Z", "2031-05-01T09:00:00Z"
r = Results("security_redteam_zone_squat")
s = Server()
try:
    a, b = s.party("alpha"), s.party("bravo")
    r.equal("bravo publishes a tiny zone named TR-sovereign far away", 201, s.call("PUT", "/v1/zones/TR-sovereign", b, {
        "public": True, "admitted": [], "volumes": [volume(
            [{"lat": 10.0, "lng": 10.0}, {"lat": 10.0, "lng": 10.1}, {"lat": 10.1, "lng": 10.1}], 0, 20000, T0, T1)]})[0])
    status, _, doc = s.call("PUT", "/v1/zones/TR-sovereign", a, {"public": True, "admitted": [], "volumes": [volume(
        [{"lat": 36.0, "lng": 36.0}, {"lat": 36.0, "lng": 36.5}, {"lat": 36.5, "lng": 36.5}], 0, 20000, T0, T1)]})
    r.equal("alpha still declares its own zone TR-sovereign", 201, status)
    r.equal("bravo grants alpha its intents", 201,
            s.call("POST", "/v1/grants", b, {"grantee": "alpha", "kind": "intent"})[0])
    s.call("PUT", "/v1/intents/medevac-1", b, {"priority": 1, "volumes": [volume(
        [{"lat": 10.0, "lng": 10.0}, {"lat": 10.0, "lng": 10.1}, {"lat": 10.1, "lng": 10.1}], 0, 100, T0, T1)]})
    status, _, doc = s.call("PUT", "/v1/intents/medevac-1", a, {"priority": 1, "volumes": [volume(
        [{"lat": 36.0, "lng": 36.0}, {"lat": 36.0, "lng": 36.5}, {"lat": 36.5, "lng": 36.5}], 0, 3000, T0, T1)]})
    r.equal("and its own intent medevac-1", 201, status)
finally:
    s.stop()
    s.cleanup()
r.finish()
