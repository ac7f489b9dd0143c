"""test_redteam_tiling_audit.py - red team, fixed: When a new site meets a tiling
(>= 20 hazards of one party around it), the party is told once that "some" of its hazards must
replan, "not which, since that is what a tiling is laid to learn" (docs/SECURITY.md 3). But the
site owner's notice about each hazard over the keep-out is audited under that hazard's ref, and a
party reads every audit record of its own objects: GET /v1/audit?object=hazard/<self>/<id> names
exactly the hazards over the keep-out, with no refusal counted and no probing alert."""
import json

from common import Results, Server, circle

T0, T1 = "2031-05-01T08:00:00Z", "2031-05-01T09:00:00Z"
r = Results("security_redteam_tiling_audit")
s = Server()
try:
    a, b = s.party("alpha"), s.party("bravo")
    ids = []
    for i in range(7):
        for j in range(7):
            lat, lon = 36.34 + 0.01 * i, 37.49 + 0.01 * j
            ids.append(f"t{i}{j}")
            s.call("PUT", f"/v1/hazards/t{i}{j}", a, {"priority": 1, "hazard_kind": "live_fire", "volumes": [
                circle(f"{lat:.4f}N {lon:.4f}E", 400, 0, 3000, T0, T1)]})
    r.equal("bravo's post", 201, s.call("PUT", "/v1/sites/post", b, {
        "label": "post", "location": "36.37N 37.52E", "radius": 300, "time_start": T0, "time_end": T1})[0])
    notes = s.call("GET", "/v1/notices", a)[2]["items"]
    r.check("alpha is told only that some of its hazards must replan",
            [n.get("disclosed") for n in notes] == ["party"], str(notes)[:300])
    told = {h: [x["detail"] for x in s.call("GET", f"/v1/audit?object=hazard/alpha/{h}", a)[2]["items"]
                if x["action"] == "notice" and x["recipients"] == "bravo"] for h in ids}
    # bravo is told of the tiling as a whole: every hazard of it near the site carries the same
    # record, so none stands out as the one over the site
    r.check("the audit of alpha's own hazards does not single out those over bravo's site",
            len({json.dumps(d, sort_keys=True) for d in told.values()}) == 1, str(told)[:400])
finally:
    s.stop()
    s.cleanup()
r.finish()
