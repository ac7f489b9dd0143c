"""test_emergency.py - emergencies (issue 22): accepted over any conflict, hazards held and released,
everyone near told and nobody beyond, the operator's grant, expiry by itself, the audit, and an
emergency that must not become a way to find other parties."""
import datetime
import json
import time

from harness import Results, Server, circle, cli

r = Results("emergency")
NOW = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def t(hours):
    return (NOW + datetime.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


T0, T1 = t(-1), t(3)
LAT, LNG = 35.90, 36.10          # the search area's centre, north of Latakia
M_PER_DEG_LAT = 110950.0          # at 35.9 N, within 0.1 %


def north(metres):
    return {"lat": LAT + metres / M_PER_DEG_LAT, "lng": LNG}


def hazard(center, radius):
    return {"priority": 5, "hazard_kind": "live_fire", "volumes": [circle(center, radius, 0, 6000, T0, T1)]}


SAR = {"kind": "search_and_rescue", "validity_s": 600, "alert_distance_m": 10000,
       "volumes": [circle({"lat": LAT, "lng": LNG}, 5000, 0, 3000, T0, T1)]}


def alerts(s, key):
    return [a for a in s.call("GET", "/v1/alerts", key)[2]["items"] if a["kind"] == "emergency"]


def notices(s, key):
    return s.call("GET", "/v1/notices", key)[2]["items"]


s = Server()
try:
    ru, co, tr, near, far = (s.party(n) for n in ("russia", "coalition", "turkey", "near", "far"))
    op = s.operator
    # --- without the operator's grant: refused, and said why ---
    status, _, doc = s.call("PUT", "/v1/emergencies/sar-1", ru, SAR)
    r.equal("a party without the grant is refused", 403, status)
    r.check("the refusal says the operator grants emergencies", "operator" in doc.get("detail", ""), doc)
    r.equal("nothing was declared", 404, s.call("GET", "/v1/intents/sar-1", ru)[0])
    status, _, doc = s.call("PUT", "/v1/parties/russia/emergency", ru, {"max_area_km2": 500, "max_validity_s": 600})
    r.equal("a party cannot grant itself emergencies", 403, status)
    for bad in ({"max_area_km2": -1, "max_validity_s": 600}, {"max_area_km2": 500, "max_validity_s": 10 ** 9},
                {"max_area_km2": 500}, {"max_area_km2": "big", "max_validity_s": 600}):
        r.equal(f"a bad grant is refused: {bad}", 400, s.call("PUT", "/v1/parties/russia/emergency", op, bad)[0])
    status, _, grant = s.call("PUT", "/v1/parties/russia/emergency", op, {"max_area_km2": 500, "max_validity_s": 600})
    r.equal("the operator grants Russia emergencies", 200, status)
    r.check("the grant has its receipt", "receipt" in grant, grant)

    # --- what is in force before: others' hazards and intents, a zone, parties near and far ---
    r.equal("the coalition's live fire over the area", 201, s.call("PUT", "/v1/hazards/fire-1", co, hazard(north(1000), 3000))[0])
    r.equal("Turkey's patrol through the area", 201, s.call("PUT", "/v1/intents/patrol", tr, {
        "priority": 5, "volumes": [circle(north(-4000), 1000, 0, 3000, T0, T1)]})[0])
    # the emergency's edge is 5 km from the centre, plus 10 km: 15 km. Near's hazard reaches
    # 14.6 km; far's stops at 15.4 km: 400 m beyond the stated distance
    r.equal("near's hazard within the distance", 201, s.call("PUT", "/v1/hazards/range", near, hazard(north(15600), 1000))[0])
    r.equal("far's hazard just beyond it", 201, s.call("PUT", "/v1/hazards/range", far, hazard(north(-16400), 1000))[0])
    before_far = s.call("GET", "/v1/alerts", far)[2]["items"]

    # --- the grant is a limit: larger or longer is refused ---
    big = dict(SAR, volumes=[circle({"lat": LAT, "lng": LNG}, 13000, 0, 3000, T0, T1)])
    status, _, doc = s.call("PUT", "/v1/emergencies/sar-1", ru, big)
    r.equal("larger than granted is refused", 403, status)
    r.check("... naming the grant", "grant" in doc.get("detail", ""), doc)
    status, _, doc = s.call("PUT", "/v1/emergencies/sar-1", ru, dict(SAR, validity_s=601))
    r.equal("longer than granted is refused", 403, status)
    r.equal("no fire was held by refused declarations", "accepted", s.call("GET", "/v1/hazards/fire-1", co)[2]["state"])
    for bad, why in ((dict(SAR, kind="parade"), "an unknown kind"), (dict(SAR, priority=100), "a priority"),
                     (dict(SAR, validity_s=0), "no validity"), (dict(SAR, alert_distance_m=-5), "a negative distance"),
                     ({k: v for k, v in SAR.items() if k != "validity_s"}, "a missing validity")):
        r.equal(f"{why} is refused", 400, s.call("PUT", "/v1/emergencies/sar-x", ru, bad)[0])

    # --- the declaration: accepted over every conflict ---
    status, _, doc = s.call("PUT", "/v1/emergencies/sar-1", ru, SAR)
    r.equal("the search and rescue is accepted over the fire and the patrol", 201, status)
    actions = sorted((n["counterpart"]["party"], n["action"]) for n in doc.get("notices", []))
    r.equal("Russia is told who must hold and who must replan, nothing more",
            [("coalition", "counterpart_must_hold"), ("turkey", "counterpart_must_replan")], actions)
    r.check("the declaration has a receipt and an expiry", "receipt" in doc and doc["declaration"]["expires"], doc)
    fire = s.call("GET", "/v1/hazards/fire-1", co)[2]
    r.equal("the coalition's fire is suspended (a typed state)", ("suspended", "intent/russia/sar-1"),
            (fire["state"], fire.get("suspended_by")))
    hold = [n for n in notices(s, co) if n["action"] == "hold"]
    r.check("the coalition is told to hold, with the window", len(hold) == 1 and hold[0]["time_start"] and
            hold[0]["time_end"] and hold[0]["emergency"] == "search_and_rescue", hold)
    replan = [n for n in notices(s, tr) if n["action"] == "replan"]
    r.check("Turkey's patrol must replan", len(replan) == 1 and replan[0]["reason"] == "emergency", replan)

    # --- everyone near is told at once, nobody beyond ---
    for name, key in (("coalition", co), ("turkey", tr), ("near", near)):
        got = alerts(s, key)
        r.check(f"{name} has the emergency alert", len(got) == 1 and got[0]["emergency"] ==
                {"party": "russia", "id": "sar-1", "kind": "search_and_rescue"} and got[0]["area"]["type"] ==
                "MultiPolygon", got)
    r.equal("far, 400 m beyond the stated distance, is told nothing", before_far, s.call("GET", "/v1/alerts", far)[2]["items"])
    r.equal("the declarer gets no alert of its own", [], alerts(s, ru))

    # --- nothing new over it ---
    status, _, doc = s.call("PUT", "/v1/hazards/fire-2", co, hazard(north(0), 1000))
    r.equal("a new hazard over the emergency is refused", 409, status)
    r.equal("... because of the emergency", ["emergency"], [n["reason"] for n in doc["notices"]])
    status, _, doc = s.call("PUT", "/v1/hazards/fire-1", co, dict(hazard(north(1000), 3000), version=1))
    r.equal("the suspended hazard cannot be rewritten back into force", 409, status)
    status, _, doc = s.call("PUT", "/v1/intents/sar-1", ru, {"priority": 1, "volumes": SAR["volumes"]})
    r.equal("the emergency cannot be rewritten as an ordinary intent", 409, status)

    # --- not an oracle: Russia learns no party that is not in conflict with its area ---
    seen = json.dumps([doc, s.call("GET", "/v1/alerts", ru)[2], notices(s, ru),
                       s.call("GET", "/v1/audit?object=intent/russia/sar-1", ru)[2],
                       s.call("GET", "/v1/emergencies", ru)[2]])
    r.check("near is never named to Russia", '"near"' not in seen and "near," not in seen and ",near" not in seen, seen[:400])
    audit_ru = s.call("GET", "/v1/audit?object=intent/russia/sar-1", ru)[2]["items"]
    r.check("Russia's audit of its emergency names no recipient of an alert",
            all(a["recipients"] in ("", "russia") for a in audit_ru if a["action"] != "notice"), audit_ru)
    r.equal("the audit of near's alert is near's", 1, len([a for a in s.call(
        "GET", "/v1/audit?object=emergency/near/russia/sar-1", near)[2]["items"] if a["action"] == "alert"]))
    r.equal("... and not Russia's", [], s.call("GET", "/v1/audit?object=emergency/near/russia/sar-1", ru)[2]["items"])

    # --- the audit: declaration, suspension ---
    audit_op = s.call("GET", "/v1/audit?object=intent/russia/sar-1", op)[2]["items"]
    r.check("the declaration is audited", any(a["action"] == "emergency.declare" and a["actor"] == "russia"
                                               for a in audit_op), audit_op)
    audit_fire = s.call("GET", "/v1/audit?object=hazard/coalition/fire-1", co)[2]["items"]
    r.check("the suspension is audited under the hazard", any(a["action"] == "hazard.suspend" and
            a["detail"]["emergency"] == "intent/russia/sar-1" for a in audit_fire), audit_fire)

    # --- renewal: within the grant only ---
    status, _, doc = s.call("POST", "/v1/emergencies/sar-1/renew", ru, {"validity_s": 300})
    r.equal("renewed", (200, 1), (status, doc.get("renewals")))
    r.equal("renewal past the grant is refused", 403, s.call("POST", "/v1/emergencies/sar-1/renew", ru, {"validity_s": 900})[0])
    r.equal("another party cannot renew it", 404, s.call("POST", "/v1/emergencies/sar-1/renew", co, {})[0])
    r.equal("another party cannot end it", 404, s.call("DELETE", "/v1/emergencies/sar-1", co)[0])

    # --- the end: the hazard is released with a notice ---
    status, _, doc = s.call("DELETE", "/v1/emergencies/sar-1", ru)
    r.equal("ended", (200, "ended"), (status, doc.get("state")))
    r.equal("the fire is back in force", "accepted", s.call("GET", "/v1/hazards/fire-1", co)[2]["state"])
    r.check("the coalition is told it is released", any(n["action"] == "released" for n in notices(s, co)), notices(s, co))
    r.equal("the emergency's intent has ended", "ended", s.call("GET", "/v1/intents/sar-1", ru)[2]["state"])
    r.equal("ending it twice is 404", 404, s.call("DELETE", "/v1/emergencies/sar-1", ru)[0])

    # --- expiry by itself, with a short validity ---
    status, _, doc = s.call("PUT", "/v1/emergencies/sar-2", ru, dict(SAR, validity_s=2))
    r.equal("a short declaration", 201, status)
    r.equal("holds the fire again", "suspended", s.call("GET", "/v1/hazards/fire-1", co)[2]["state"])
    deadline = time.time() + 15
    while time.time() < deadline and s.call("GET", "/v1/hazards/fire-1", co)[2]["state"] != "accepted":
        time.sleep(0.25)
    r.equal("unrenewed, it expired and the fire is released", "accepted", s.call("GET", "/v1/hazards/fire-1", co)[2]["state"])
    listed = {e["id"]: e["state"] for e in s.call("GET", "/v1/emergencies", ru)[2]["items"]}
    r.equal("the declarations as Russia lists them", {"sar-1": "ended", "sar-2": "expired"}, listed)
    audit_op = s.call("GET", "/v1/audit?object=intent/russia/sar-2", op)[2]["items"]
    r.check("the expiry is audited, by the server", any(a["action"] == "emergency.expire" and a["actor"] == "server"
                                                         for a in audit_op), audit_op)
    audit_fire = s.call("GET", "/v1/audit?object=hazard/coalition/fire-1", op)[2]["items"]
    r.equal("two suspensions and two releases of the fire are audited", (2, 2),
            (sum(a["action"] == "hazard.suspend" for a in audit_fire), sum(a["action"] == "hazard.release" for a in audit_fire)))

    # --- a zone stays a zone ---
    zone = {"volumes": [circle(north(-20000), 8000, 0, 20000, T0, T1)], "admitted": []}
    r.equal("Turkey's restricted area", 201, s.call("PUT", "/v1/zones/tr-area", tr, zone)[0])
    status, _, doc = s.call("PUT", "/v1/emergencies/medevac", ru, {
        "kind": "medical_evacuation", "validity_s": 300, "alert_distance_m": 0,
        "volumes": [circle(north(-20000), 3000, 0, 3000, T0, T1)]})
    r.equal("a medical evacuation inside Turkey's area is accepted", 201, status)
    told = [n for n in notices(s, tr) if n["action"] == "emergency_declared"]
    r.check("Turkey is told, and entry is not granted", len(told) == 1 and told[0]["entry"] == "not_granted", told)
    s.call("DELETE", "/v1/emergencies/medevac", ru)

    # --- a downed crew: a protected site no hazard may cover, its position to those near it ---
    crew_body = dict(SAR, last_known_position={"position": "35.9000N 36.1000E", "radius_m": 300})
    status, _, doc = s.call("PUT", "/v1/emergencies/sar-3", ru, crew_body)
    r.equal("declared with the crew's last position", 201, status)
    status, _, doc = s.call("PUT", "/v1/hazards/over-crew", near, hazard({"lat": 35.9, "lng": 36.1}, 200))
    r.equal("a hazard over the crew is refused", 409, status)
    crew_alerts = [a for a in alerts(s, co) if a["emergency"]["id"] == "sar-3"]
    r.check("the coalition, whose hazard is near the crew, learns the exact position",
            len(crew_alerts) == 1 and abs(crew_alerts[0]["last_known_position"]["lat"] - 35.9) < 1e-9, crew_alerts)
    near_alerts = [a for a in alerts(s, near) if a["emergency"]["id"] == "sar-3"]
    r.check("near, 15 km off, is alerted without it", len(near_alerts) == 1 and
            "last_known_position" not in near_alerts[0], near_alerts)

    # --- a live track heading into the area: escalating alerts to its owner, never to the declarer ---
    pilot = s.party("pilot")

    def position(metres):
        p = north(metres)
        return f"{p['lat']:.6f}N {p['lng']:.6f}E"

    def report(metres, dt):
        when = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=30 - dt)).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {"aircraft": "P1", "time": when, "position": position(metres), "altitude": 1000,
                "ground_speed": 100, "track": 0}

    for k, metres in enumerate((-9000, -8000, -7000)):
        r.equal(f"pilot's report {k}", 200, s.call("POST", "/v1/tracks", pilot, [report(metres, 10 * k)])[0])
    got = [a for a in s.call("GET", "/v1/alerts", pilot)[2]["items"] if a["kind"] == "emergency_area"]
    r.check("the pilot is told it is about to enter the emergency area", bool(got) and got[-1]["level"] in
            ("advisory", "warning") and got[-1]["emergency"]["party"] == "russia", got)
    r.equal("pilot's report inside", 200, s.call("POST", "/v1/tracks", pilot, [report(-1000, 29)])[0])
    got = [a for a in s.call("GET", "/v1/alerts", pilot)[2]["items"] if a["kind"] == "emergency_area"]
    r.check("inside it: incursion", any(a["level"] == "incursion" for a in got), got)
    r.equal("Russia is told nothing of the pilot", [],
            [a for a in s.call("GET", "/v1/alerts", ru)[2]["items"] if a.get("track", {}).get("party") == "pilot"])

    # --- visible to the operator: counts per party ---
    for i in range(3):
        s.call("PUT", f"/v1/emergencies/spam-{i}", ru, dict(SAR, validity_s=60))
    s.call("PUT", "/v1/emergencies/nogrant", co, SAR)
    metrics = s.call("GET", "/metrics", op)[2]
    r.check("declarations per party in /metrics",
            'deconflict_emergencies_total{party="russia",event="declared"} 7' in metrics, metrics[-800:])
    # Russia's refusals: no grant, larger, longer, a renewal past the grant
    r.check("refusals per party in /metrics",
            'deconflict_emergencies_total{party="coalition",event="refused"} 1' in metrics, metrics[-800:])
    status, _, view = s.call("GET", "/v1/parties/russia/emergency", op)
    r.equal("the operator sees Russia's grant and counts", (500.0, 600, 7, 4),
            (view["max_area_km2"], view["max_validity_s"], view["counts"]["declared"], view["counts"]["refused"]))
    r.equal("a party cannot read it", 403, s.call("GET", "/v1/parties/russia/emergency", ru)[0])
    r.equal("/metrics is the operator's", 403, s.call("GET", "/metrics", ru)[0])
    r.equal("the operator lists every declaration", 7,
            len(s.call("GET", "/v1/emergencies", op)[2]["items"]))

    # --- the operator's command line: the same grant, shown with the counts ---
    out = cli("party", "emergency", "coalition", "--area-km2", "50", "--validity-s", "120", "--db", s.db)
    r.check("deconflict party emergency grants", out.returncode == 0 and "at most 50 km2" in out.stdout, out.stdout + out.stderr)
    out = cli("party", "emergency", "coalition", "--area-km2", "50", "--validity-s", "999999", "--db", s.db)
    r.equal("past the longest validity is refused", 1, out.returncode)
    out = cli("party", "emergency", "coalition", "--area-km2", "-1", "--validity-s", "60", "--db", s.db)
    r.equal("a negative area is a usage error", 2, out.returncode)
    out = cli("party", "show", "russia", "--db", s.db)
    r.check("deconflict party show has Russia's counts", "emergencies declared by russia: 7" in out.stdout and
            "emergencies refused by russia: 4" in out.stdout, out.stdout)
    status, _, doc = s.call("PUT", "/v1/emergencies/co-1", co, dict(SAR, validity_s=120, volumes=[
        circle(north(-40000), 3000, 0, 3000, T0, T1)]))
    r.equal("the coalition, granted from the command line, declares", 201, status)
finally:
    s.stop()
# every row the emergencies changed (suspended, released, ended) is held to its audited digest
out = cli("audit", "verify", "--db", s.db)
r.check("the audit chain and every row verify", out.returncode == 0 and ": OK (0 problems)" in out.stdout, out.stdout[-600:])
s.cleanup()

# A held hazard keeps its place: nothing may be accepted beside the emergency, where the hazard
# reaches past it, that would conflict with the hazard once it is released.
s = Server()
try:
    ru, co, tr = (s.party(n) for n in ("russia", "coalition", "turkey"))
    s.call("PUT", "/v1/parties/russia/emergency", s.operator, {"max_area_km2": 500, "max_validity_s": 600})
    # the fire reaches from 3 km to 9 km north; the search area to 5 km
    r.equal("a fire straddling the search area's edge", 201, s.call("PUT", "/v1/hazards/edge", co, hazard(north(6000), 3000))[0])
    r.equal("the search area is declared over it", 201, s.call("PUT", "/v1/emergencies/sar-2", ru, SAR)[0])
    r.equal("the fire is held", "suspended", s.call("GET", "/v1/hazards/edge", co)[2]["state"])
    patrol = {"priority": 5, "volumes": [circle(north(8000), 500, 0, 3000, T0, T1)]}
    status, _, doc = s.call("PUT", "/v1/intents/beside", tr, patrol)
    r.equal("an intent in the held fire, outside the search area, is refused", 409, status)
    r.equal("the emergency ends", 200, s.call("DELETE", "/v1/emergencies/sar-2", ru)[0])
    r.equal("the fire is back in force", "accepted", s.call("GET", "/v1/hazards/edge", co)[2]["state"])
    r.equal("and the refused intent was never stored", 404, s.call("GET", "/v1/intents/beside", tr)[0])
finally:
    s.stop()
s.cleanup()
r.finish()
