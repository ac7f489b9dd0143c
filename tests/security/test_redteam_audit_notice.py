"""test_redteam_audit_notice.py - red team, fixed: When a submission is accepted over
another party's object (higher priority, or equal priority naming the conflict key it was just
shown), the counterpart's notice is charged to the counterpart's ledger, not the submitter's, and
its audit record is filed under the submitter's own object, whose owner reads every record of it
(GET /v1/audit?object=intent/<self>/<id>) - the detail holds the overlap boxes shown. With a new
probe id each time, the counterpart's ledger is always fresh: the submitter keeps reading the
geometry of the other party's object after its own budget is spent, with no further alert."""
import json

from common import Results, Server, volume

T0, T1 = "2031-05-01T08:00:00Z", "2031-05-01T09:00:00Z"
ROUTE = {"priority": 5, "route": {"waypoints": [
    {"position": "36.0N 36.0E", "altitude": 2000, "time": "2031-05-01T08:00:00Z"},
    {"position": "36.0N 39.33E", "altitude": 2000, "time": "2031-05-01T08:50:00Z"}],
    "buffers": {"lateral": 5000, "vertical": 1000, "time": 300}}}


def box(lon0, lon1, priority):
    return {"priority": priority, "volumes": [volume(
        [{"lat": 35.8, "lng": lon0}, {"lat": 35.8, "lng": lon1}, {"lat": 36.2, "lng": lon1}, {"lat": 36.2, "lng": lon0}],
        0, 20000, T0, T1)]}


r = Results("security_redteam_audit_notice")
s = Server()
try:
    a, b = s.party("alpha"), s.party("bravo")
    r.equal("alpha's corridor at priority 5", 201, s.call("PUT", "/v1/intents/corridor", a, ROUTE)[0])
    limits = []
    for k in range(3):
        doc = s.call("PUT", f"/v1/intents/spend{k}", b, box(36.5 + 0.3 * k, 36.75 + 0.3 * k, 0))[2]
        limits += [x.get("disclosure_limit") for x in doc.get("notices", [])]
    r.check("bravo's budget on alpha's corridor is spent", "budget_spent" in limits, str(limits))
    leaked = []
    for k in range(6):
        lon0 = 37.5 + 0.25 * k
        doc = s.call("PUT", f"/v1/intents/q{k}", b, box(lon0, lon0 + 0.25, 5))[2]
        keys = [x["conflict_key"] for x in doc.get("notices", []) if x["counterpart"]["party"] == "alpha"]
        body = dict(box(lon0, lon0 + 0.25, 5), accept_conflicts=keys)
        status, _, doc = s.call("PUT", f"/v1/intents/q{k}", b, body)
        r.check("bravo's own notice past the budget shows only the window",
                all(x.get("disclosed") == "window" for x in doc.get("notices", [])), json.dumps(doc.get("notices"))[:200])
        audit = s.call("GET", f"/v1/audit?object=intent/bravo/q{k}", b)[2]["items"]
        leaked += [x["detail"]["overlap"] for x in audit
                   if x["action"] == "notice" and x["recipients"] == "alpha" and "overlap" in x["detail"]]
    r.check("bravo reads no overlap of alpha's corridor from the audit of its own objects", not leaked,
            json.dumps(leaked)[:400])
finally:
    s.stop()
    s.cleanup()
r.finish()
