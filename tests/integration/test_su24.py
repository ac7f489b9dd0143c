"""test_su24.py - the published Su-24 situation over HTTP: the route reaches the coalition under a grant, never Turkey."""
import json
import os

from harness import BORDERS, Results, Server, circle, cli, zone_body_from_geojson

T0, T1 = "2015-11-24T07:00:00Z", "2015-11-24T08:00:00Z"
# A strike package's route south of the Turkey-Syria border near Yayladagi, flown at 5,600 m.
ROUTE = {"priority": 5, "route": {
    "waypoints": [{"position": "35.70N 35.95E", "altitude": 5600, "time": "2015-11-24T07:10:00Z"},
                  {"position": "35.78N 36.05E", "altitude": 5600, "time": "2015-11-24T07:16:00Z"},
                  {"position": "35.75N 36.20E", "altitude": 5600, "time": "2015-11-24T07:22:00Z"}],
    "buffers": {"lateral": 1000, "vertical": 150, "time": 60}}}

r = Results("su24")
s = Server()
try:
    ru, tr, us = s.party("russia"), s.party("turkey"), s.party("us")
    status, _, doc = s.call("PUT", "/v1/zones/turkey-airspace", tr, zone_body_from_geojson(os.path.join(BORDERS, "turkey.geojson")))
    r.equal("Turkey's Natural Earth airspace is stored", 201, status)
    status, _, _ = s.call("POST", "/v1/grants", ru, {"grantee": "us", "kind": "intent"})
    r.equal("Russia grants its intents to the US", 201, status)

    TURKEY_VIEW = [("GET", "/v1/intents/strike-1"), ("GET", "/v1/intents"), ("GET", "/v1/notices"),
                   ("GET", "/v1/intents?area=35,35,37,37&from=2015-11-24T00:00:00Z&to=2015-11-25T00:00:00Z"),
                   ("GET", "/v1/audit?object=intent/russia/strike-1"), ("GET", "/v1/hazards"), ("GET", "/v1/zones"),
                   ("DELETE", "/v1/intents/strike-1"), ("GET", "/v1/intents/strike-2")]
    before = [s.call(m, p, tr)[::2] for m, p in TURKEY_VIEW]

    status, _, doc = s.call("PUT", "/v1/intents/strike-1", ru, ROUTE)
    r.equal("the route south of the border is accepted", 201, status)
    r.equal("read-back of each waypoint", 3, len(doc.get("readback", [])))
    r.equal("read-back in the sender's notation", "35.7000000N 35.9500000E", doc["readback"][0]["readback"])

    # Points both border sources agree on (shared/data README): Natural Earth 10m is the source here.
    for point, inside in [("35.93N 36.05E", True), ("35.90N 36.03E", True), ("35.85N 36.00E", False), ("35.86N 36.05E", False)]:
        status, _, doc = s.call("PUT", "/v1/intents/probe", ru, {"volumes": [circle(point, 50, 5000, 6000, T0, T1)]})
        r.equal(f"{point} {'inside' if inside else 'outside'} Turkey (Natural Earth)", 409 if inside else 201, status)
        if inside:
            r.equal(f"{point}: the zone is named in the notice", "zone", doc["notices"][0]["reason"])
        else:
            s.call("DELETE", "/v1/intents/probe", ru)

    # The US reads the route under the grant; Turkey never does.
    status, _, doc = s.call("GET", "/v1/intents/strike-1", us)
    r.equal("the US reads the route", 200, status)
    r.check("the US sees the waypoints", "route" in doc and len(doc["route"]["waypoints"]) == 3)
    status, _, doc = s.call("GET", "/v1/intents", us)
    r.check("the US lists the route", any(i["id"] == "strike-1" for i in doc["items"]))

    # Everything Turkey can ask answers exactly as before the route existed.
    after = [s.call(m, p, tr)[::2] for m, p in TURKEY_VIEW]
    r.equal("Turkey gets 404 for the route", 404, after[0][0])
    for (m, p), b, a in zip(TURKEY_VIEW, before, after):
        r.equal(f"Turkey's {m} {p} is the same with and without the route", b, a)
    # A Turkish flight far from the route: no notice about the Russian one either.
    status, _, doc = s.call("PUT", "/v1/intents/patrol", tr, {"volumes": [circle("37.5N 36.5E", 5000, 0, 9000, T0, T1)]})
    r.equal("a Turkish patrol elsewhere is accepted", 201, status)
    r.equal("and told of no conflict", [], doc["notices"])
finally:
    s.stop()

out = cli("audit", "who-saw", "intent/russia/strike-1", "--db", s.db)
r.equal("who-saw names exactly the US", "parties: us", out.stdout.strip().splitlines()[-1])
out = cli("audit", "verify", "--db", s.db)
r.equal("the audit chain verifies", 0, out.returncode)
r.check("verify says OK", ": OK (0 problems)" in out.stdout, out.stdout)
s.cleanup()
r.finish()
