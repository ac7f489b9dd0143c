"""test_sites.py - protected sites (Al-Bab), the direct line with read-back, and the probing alert."""
import hashlib
import json

from harness import Results, Server, circle, cli

T0, T1 = "2017-02-09T06:00:00Z", "2017-02-09T12:00:00Z"
SITE = {"label": "Turkish unit, Al-Bab", "location": "36.37N 37.52E", "radius": 500, "time_start": "2017-02-09T00:00:00Z",
        "time_end": "2017-02-10T00:00:00Z"}
# The strike area as Russia sent it: MGRS of a point 300 m from the site, 1 km radius.
STRIKE = {"priority": 5, "hazard_kind": "strike", "volumes": [circle("37SCA6750026200", 1000, 0, 3000, T0, T1)]}
r = Results("sites")


def russia_view(s, ru, site_id):
    """Every endpoint Russia can call, as (path, status, body)."""
    out = []
    for path in ["/v1/intents", "/v1/hazards", "/v1/zones", "/v1/sites", f"/v1/sites/{site_id}", "/v1/alerts",
                 f"/v1/audit?object=site/turkey/{site_id}", "/v1/messages", "/v1/hazards/strike-1",
                 "/v1/intents?area=36,37,37,38&from=2017-02-09T00:00:00Z&to=2017-02-10T00:00:00Z"]:
        status, _, body = s.call("GET", path, ru)
        out.append((path, status, json.dumps(body, sort_keys=True)))
    return out


views, refusals = {}, {}
for with_site in (True, False):
    s = Server()
    try:
        ru, tr, us = s.party("russia"), s.party("turkey"), s.party("coalition")
        if with_site:
            status, _, doc = s.call("PUT", "/v1/sites/albab-unit", tr, SITE)
            r.equal("Turkey's site is stored", 201, status)
            r.equal("read back to Turkey", "36.3700000N 37.5200000E", doc["readback"][0]["readback"])
        status, _, doc = s.call("PUT", "/v1/hazards/strike-1", ru, STRIKE)
        refusals[with_site] = (status, doc)
        if not with_site:
            s.call("DELETE", "/v1/hazards/strike-1", ru)  # the same state for the comparison below
        views[with_site] = russia_view(s, ru, "albab-unit")
        if with_site:
            r.equal("the strike over the site is refused", 409, status)
            notice = doc["notices"][0]
            r.equal("Russia is told: a protected site of Turkey, in this window", ("turkey", "site", "protected_site"),
                    (notice["counterpart"]["party"], notice["counterpart"]["kind"], notice["reason"]))
            text = json.dumps(doc)
            r.check("the refusal names neither the site's position nor its radius",
                    not any(x in text for x in ("36.3700000", "37.5200000", "36.37N", "\": 500", "500.0", "overlap", "albab")), text)
            status, _, notes = s.call("GET", "/v1/notices", tr)
            hazard_notes = [n for n in notes["items"] if n["counterpart"]["kind"] == "hazard"]
            # the hazard where it threatens the site's keep-out, on the published 500 m grid
            vs = hazard_notes[0]["hazard_volumes"] if hazard_notes else []
            lats = [p["lat"] for v in vs for p in v["outline_polygon"]["vertices"]]
            lngs = [p["lng"] for v in vs for p in v["outline_polygon"]["vertices"]]
            r.check("Turkey is told where the hazard threatens its site, and when", bool(vs) and
                    min(lats) <= 36.37 <= max(lats) and min(lngs) <= 37.52 <= max(lngs) and
                    vs[0]["time_start"] == T0, str(notes)[:300])
            r.check("on the 500 m grid", all(abs(x * 200 - round(x * 200)) < 1e-6 for x in lats + lngs), str(vs)[:300])
            r.equal("Turkey's site is Turkey's alone", 404, s.call("GET", "/v1/sites/albab-unit", us)[0])
            status, _, grant = s.call("POST", "/v1/grants", tr, {"grantee": "coalition", "kind": "intent"})
            r.equal("an intent grant does not show sites", 404, s.call("GET", "/v1/sites/albab-unit", us)[0])
            s.call("POST", "/v1/grants", tr, {"grantee": "coalition", "kind": "site"})
            r.equal("a grant naming sites does", 200, s.call("GET", "/v1/sites/albab-unit", us)[0])
    finally:
        s.stop()
    if with_site:
        who_hazard = cli("audit", "who-saw", "hazard/russia/strike-1", "--db", s.db).stdout.strip().splitlines()[-1]
        who_site = cli("audit", "who-saw", "site/turkey/albab-unit", "--db", s.db).stdout.strip().splitlines()[-1]
        r.equal("who-saw the hazard: Turkey", "parties: turkey", who_hazard)
        r.equal("who-saw the site: Russia (that it exists, not where), and the coalition through its grant",
                "parties: russia coalition", who_site)
        r.equal("the chain verifies", 0, cli("audit", "verify", "--db", s.db).returncode)
    s.cleanup()
r.equal("without the site the same strike is accepted", 201, refusals[False][0])
for (path, sa, ba), (_, sb, bb) in zip(views[True], views[False]):
    r.equal(f"Russia's {path} is the same with and without the site", (sb, bb), (sa, ba))

# The direct line: coordinates read back in the recipient's notation, confirmed by digest.
s = Server()
try:
    ru, us = s.party("russia"), s.party("coalition")
    r.equal("Russia reads in DMS", 200, s.call("PUT", "/v1/parties/me", ru, {"notation": "dms"})[0])
    s.stop()
    s2 = Server(keep_dir=s.dir)  # restart: the preferred notation is stored
    s = s2
    s.keys = {"russia": ru, "coalition": us}
    status, _, sent = s.call("POST", "/v1/messages", us, {"to": "russia", "text": "Target for 22 Jan, joint strike",
                                                          "coordinates": ["37SCA6723226005"]})
    r.equal("the coalition sends MGRS", 201, status)
    mid = sent["id"]
    status, _, box = s.call("GET", "/v1/messages", ru)
    shown = box["items"][0]["coordinates"][0]
    r.equal("Russia sees the sender's text", "37SCA6723226005", shown["original"])
    r.equal("and its read-back in DMS", "36\u00b022'12.01\"N 037\u00b031'12.00\"E", shown["readback"])
    hazard = {"priority": 5, "hazard_kind": "strike", "from_message": mid,
              "volumes": [circle("37SCA6723226005", 300, 0, 3000, "2017-01-22T06:00:00Z", "2017-01-22T12:00:00Z")]}
    r.equal("an unconfirmed message cannot be used", 409, s.call("PUT", "/v1/hazards/jan22", ru, hazard)[0])
    wrong = hashlib.blake2b("36\u00b022'12.01\"N 037\u00b031'12.10\"E".encode(), digest_size=32).hexdigest()
    status, _, doc = s.call("POST", f"/v1/messages/{mid}/ack", ru, {"digest": wrong})
    r.equal("a wrong digest is refused", (409, "/digest"), (status, doc.get("pointer")))
    right = hashlib.blake2b(shown["readback"].encode(), digest_size=32).hexdigest()
    r.equal("the right digest confirms", 200, s.call("POST", f"/v1/messages/{mid}/ack", ru, {"digest": right})[0])
    status, _, notes = s.call("GET", "/v1/notices", us)
    r.check("the coalition is told of the confirmation", any(n.get("action") == "message_acknowledged" for n in notes["items"]))
    r.equal("after the read-back the hazard is accepted", 201, s.call("PUT", "/v1/hazards/jan22", ru, hazard)[0])
    third = s.party("turkey")
    r.equal("nobody else reads the direct line", [], s.call("GET", "/v1/messages", third)[2]["items"])
    r.equal("nor acknowledges it", 404, s.call("POST", f"/v1/messages/{mid}/ack", third, {"digest": right})[0])
    status, _, doc = s.call("POST", "/v1/messages", us, {"to": "russia", "text": "x", "coordinates": ["120, 33"]})
    r.equal("an ambiguous coordinate is refused at the sender", (400, "/coordinates/0"), (status, doc.get("pointer")))
finally:
    s.stop()
    s.cleanup()

# Probing: hazards swept around a hidden site until the operator is alerted.
s = Server(extra_args=("--probe-limit", "3", "--probe-window", "600"))
try:
    ru, tr = s.party("russia"), s.party("turkey")
    s.call("PUT", "/v1/sites/hidden", tr, dict(SITE, location="36.40N 37.60E", radius=300))
    refused, tries, learned = [], 0, []
    for i in range(-3, 4):
        for j in range(-3, 4):
            tries += 1
            centre = f"{36.40 + 0.01 * i:.2f}N {37.60 + 0.0125 * j:.4f}E"
            status, _, doc = s.call("PUT", f"/v1/hazards/sweep-{tries}", ru, {"priority": 1, "hazard_kind": "live_fire",
                                    "volumes": [circle(centre, 1500, 0, 1000, T0, T1)]})
            if status == 409:
                refused.append(centre)
                learned.append(doc["notices"][0])
            alerts = s.call("GET", "/v1/alerts", s.operator)[2]["items"]
            if alerts:
                break
        if alerts:
            break
    r.check("the operator is alerted to probing", bool(alerts) and alerts[0]["kind"] == "probing" and alerts[0]["party"] == "russia",
            str(alerts))
    print(f"probing: alert after {tries} submissions, {len(refused)} refused; the prober learned only that a site of "
          f"{sorted({n['counterpart']['party'] for n in learned})} lies inside the union of its refused circles "
          f"{refused}", flush=True)
    r.check("what the prober learned: a party and a window, no place", bool(learned) and all(set(n) <= {"object", "counterpart", "action",
            "reason", "time_start", "time_end", "id", "disclosed", "detail"} for n in learned), str(learned))
finally:
    s.stop()
    s.cleanup()
r.finish()
