"""test_rules.py - rules stated at their boundaries over HTTP: activated and nonconforming intents
block as accepted ones do; every read of another party's object through a list is audited; the
probing alert comes with the (limit + 1)th refusal over a site, not before."""
from harness import Results, Server, circle

T0, T1 = "2031-09-01T10:00:00Z", "2031-09-01T11:00:00Z"
r = Results("rules")
s = Server(extra_args=("--probe-limit", "3"))
try:
    a, b = s.party("alpha"), s.party("bravo")
    for n, state in enumerate(("accepted", "activated")):
        status, _, doc = s.call("PUT", f"/v1/intents/{state}", a, {"priority": 5, "state": state, "volumes": [
            circle(f"{40 + n}N 30E", 3000, 0, 3000, T0, T1)]})
        r.equal(f"alpha's {state} intent", (201, state), (status, doc.get("state")))
        status, _, doc = s.call("PUT", f"/v1/intents/over-{state}", b, {"priority": 5, "volumes": [
            circle(f"{40 + n}N 30E", 3000, 0, 3000, T0, T1)]})
        r.equal(f"an {state} intent blocks an equal-priority one", 409, status)
    proposed = s.call("PUT", "/v1/intents/proposed", a, {"priority": 5, "state": "proposed", "volumes": [
        circle("43N 30E", 3000, 0, 3000, T0, T1)]})
    if proposed[0] == 201:
        r.equal("a proposed one does not", 201, s.call("PUT", "/v1/intents/over-proposed", b, {
            "priority": 5, "volumes": [circle("43N 30E", 3000, 0, 3000, T0, T1)]})[0])

    # reads through a grant, by a list: one audit record per object read
    r.equal("a grant", 201, s.call("POST", "/v1/grants", a, {"grantee": "bravo", "kind": "intent"})[0])
    before = s.call("GET", "/v1/audit?object=intent/alpha/accepted", a)[2]["items"]
    status, _, doc = s.call("GET", "/v1/intents", b)
    r.check("bravo lists alpha's intents", status == 200 and any(i["id"] == "accepted" for i in doc["items"]), str(doc)[:200])
    after = s.call("GET", "/v1/audit?object=intent/alpha/accepted", a)[2]["items"]
    reads = [x for x in after[len(before):] if x["action"] == "read" and x["actor"] == "bravo"]
    r.equal("the list's read of alpha's intent is audited, naming bravo", 1, len(reads))
    status, _, doc = s.call("GET", "/v1/intents?area=39,29,42,31&from=2031-09-01T00:00:00Z&to=2031-09-02T00:00:00Z", b)
    again = s.call("GET", "/v1/audit?object=intent/alpha/activated", a)[2]["items"]
    r.check("and so is an area search's", any(x["action"] == "read" and x["actor"] == "bravo" for x in again), str(again)[-300:])

    # probing: --probe-limit 3 alerts with the 4th refusal over one site, not the 3rd
    site = {"label": "unit", "location": "45N 30E", "radius": 300, "time_start": T0, "time_end": T1}
    r.equal("alpha's site", 201, s.call("PUT", "/v1/sites/unit", a, site)[0])
    for k in range(1, 5):
        status, _, _ = s.call("PUT", f"/v1/hazards/h{k}", b, {"priority": 1, "hazard_kind": "live_fire", "volumes": [
            circle("45N 30E", 2000, 0, 1000, T0, T1)]})
        r.equal(f"hazard {k} over the site is refused", 409, status)
        alerts = [x for x in s.call("GET", "/v1/alerts", s.operator)[2]["items"] if x["kind"] == "probing"]
        owner = [x for x in s.call("GET", "/v1/alerts", a)[2]["items"] if x["kind"] == "probing"]
        r.equal(f"after {k} refusals: probing alerts to the operator and the site's owner", (int(k > 3), int(k > 3)),
                (len(alerts), len(owner)))
finally:
    s.stop()
    s.cleanup()
r.finish()
