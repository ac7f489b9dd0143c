"""test_sensor_tracks.py - POST /v1/sensor-tracks attacked by its caller (DESIGN.md rules 3 and 8): a sensor's
owner never learns another party's aircraft, callsign or intent without that party's grant, cannot put an
identity on a sensor track or touch another party's track, and learns nothing by posting invented sensor tracks
beyond "a cooperating aircraft of party X" near the point it names; the party told of a dispute learns the
sensor's picture only on the disclosure grid; the dispute's record in the audit is the operator's to read."""
import json
import math

from common import Results, Server, cli, snapshot

T = "2025-01-01T10:{:02d}:{:02d}Z"
LAT, LON = 36.0, 37.0
SPEED, TRACK = 200.0, 90.0


def at(s):
    return T.format(s // 60, s % 60)


def east_of(lon, metres):
    return lon + metres / (111195.0 * math.cos(math.radians(LAT)))


def coop(s, aircraft="A1B2C3"):
    """blue's aircraft flying east at 200 m/s, at LAT, starting at LON."""
    return {"aircraft": aircraft, "callsign": "BLUE11", "intent": "patrol-1", "time": at(s),
            "position": {"lat": LAT, "lng": east_of(LON, SPEED * s)}, "altitude": 6000, "ground_speed": SPEED, "track": TRACK}


def sensed(s, number, east=0.0, north=0.0, accuracy=150, speed=SPEED, track=TRACK):
    return {"track_number": number, "time": at(s), "position": {"lat": LAT + north / 111195.0, "lng": east_of(LON, SPEED * s + east)},
            "altitude": 6000, "ground_speed": speed, "track": track, "accuracy": accuracy}


def alerts(s, key):
    return s.call("GET", "/v1/alerts?limit=1000", key)[2]["items"]


def sensor_alerts(s, key, number):
    return [a for a in alerts(s, key) if a["kind"] == "sensor" and a["sensor"]["track"] == number]


r = Results("sensor_tracks")
s = Server()
try:
    blue, red, green = s.party("blue"), s.party("red"), s.party("green")
    status, _, doc = s.call("PUT", "/v1/intents/patrol-1", blue, {"priority": 1, "volumes": [
        {"outline_circle": {"center": "36N 37.2E", "radius": 40000}, "altitude_lower": 0, "altitude_upper": 9000,
         "time_start": "2025-01-01T09:00:00Z", "time_end": "2025-01-01T12:00:00Z"}]})
    r.equal("blue's intent", 201, status)

    # --- no identity can be put on a sensor track, and a refused batch changes nothing
    before = snapshot(s.db)
    for member, value in (("aircraft", "A1B2C3"), ("callsign", "BLUE11"), ("party", "blue"), ("intent", "patrol-1"),
                          ("icao24", "a1b2c3"), ("identity", "blue")):
        status, _, doc = s.call("POST", "/v1/sensor-tracks", red, [sensed(0, "R1"), dict(sensed(2, "R1"), **{member: value})])
        r.equal(f"a sensor update with {member!r}: 400 naming it", (400, f"/1/{member}"), (status, doc.get("pointer")))
    for bad, pointer in (({"accuracy": 5001}, "/0/accuracy"), ({"accuracy": 0}, "/0/accuracy"), ({"accuracy": "1"}, "/0/accuracy"),
                         ({"track_number": "<b>x</b>"}, "/0/track_number"), ({"track_number": "ABCDEFGHI"}, "/0/track_number"),
                         ({"ground_speed": 1e5}, "/0/ground_speed"), ({"track": 360}, "/0/track")):
        status, _, doc = s.call("POST", "/v1/sensor-tracks", red, [dict(sensed(0, "R1"), **bad)])
        r.equal(f"{bad}: 400 at {pointer}", (400, pointer), (status, doc.get("pointer")))
    missing = sensed(0, "R1")
    del missing["accuracy"]
    r.equal("the stated accuracy is required", (400, "/0/accuracy"), s.call("POST", "/v1/sensor-tracks", red, [missing])[::2][0:1] +
            (s.call("POST", "/v1/sensor-tracks", red, [missing])[2].get("pointer"),))
    r.equal("a refused batch changes nothing", before, snapshot(s.db))
    r.equal("an empty batch is refused", 400, s.call("POST", "/v1/sensor-tracks", red, [])[0])
    r.equal("without a key: 401", 401, s.call("POST", "/v1/sensor-tracks", None, [sensed(0, "R1")])[0])
    r.equal("the operator posts no sensor tracks", 403, s.call("POST", "/v1/sensor-tracks", s.operator, [sensed(0, "R1")])[0])

    # --- probing where nobody flies: the answers red gets before blue's aircraft exists ...
    far = [(e, n) for e in (-60000, 60000) for n in (-40000, 40000)]

    def probe(prefix, t0):
        out = []
        for k, (e, n) in enumerate(far):
            number = f"{prefix}{k}"
            status, _, doc = s.call("POST", "/v1/sensor-tracks", red, [sensed(t0 + 2 * i, number, e, n) for i in range(5)])
            out.append((status, doc.get("states"), doc.get("flagged")))
        return out
    blank = probe("P", 0)

    # blue flies; its track is established and believed
    for t in range(0, 40, 2):
        assert s.call("POST", "/v1/tracks", blue, [coop(t)])[0] == 200
    # ... are the same answers with blue's aircraft 25 km or more away (beyond both gates)
    again = probe("Q", 30)
    r.equal("invented sensor tracks far from blue's aircraft answer as if blue flew nowhere",
            [(a, {k.replace("P", "Q"): v for k, v in b.items()}, c) for a, b, c in blank], again)
    told = [a for a in alerts(s, red) if a["kind"] == "sensor"]
    r.check("and red is told only 'unidentified' of them", told and all(a["sensor"]["state"] == "unidentified" and "identified" not in a
                                                                       for a in told), str(told[:2]))

    # --- a sensor track on blue's aircraft, no grant: "a cooperating aircraft of party blue", nothing more
    status, _, doc = s.call("POST", "/v1/sensor-tracks", red, [sensed(t, "R7", 100, -80) for t in range(30, 40, 2)])
    r.equal("red's sensor track on blue's aircraft is identified", (200, "identified"), (status, doc["states"].get("R7")))
    r.check("the answer names nobody", "blue" not in json.dumps(doc) and "A1B2C3" not in json.dumps(doc), json.dumps(doc))
    got = sensor_alerts(s, red, "R7")
    r.equal("red is told: a cooperating aircraft of party blue", [{"party": "blue"}], [a.get("identified") for a in got])
    everything = json.dumps(alerts(s, red))
    for secret in ("A1B2C3", "BLUE11", "patrol-1"):
        r.check(f"red never reads {secret} without blue's grant", secret not in everything)
    status, _, doc = s.call("GET", "/v1/audit?object=track/blue/A1B2C3", red)
    r.check("the audit shows red that it was told about blue's track, without its name or position",
            status == 200 and doc["items"] and all(i["detail"].keys() <= {"kind", "level", "repetition", "alerts"} for i in doc["items"]),
            str(doc)[:400])
    out = cli("audit", "who-saw", "track/blue/A1B2C3", "--db", s.db)
    r.check("who-saw on blue's track names red", "red" in out.stdout.strip().splitlines()[-1], out.stdout + out.stderr)

    # --- a wide stated accuracy cannot widen the gate past the published limit: 5 km x 4 = 20 km
    status, _, doc = s.call("POST", "/v1/sensor-tracks", red, [sensed(t, "R8", 0, 21000, accuracy=5000, track=270) for t in range(40, 50, 2)])
    r.equal("a sensor track 21 km from blue's aircraft moving otherwise is unidentified, at the widest accuracy",
            (200, "unidentified"), (status, doc["states"].get("R8")))

    # --- a sensor track number is the sensor's own: naming it like blue's aircraft touches nothing of blue's
    blue_tracks = s.call("GET", "/v1/tracks", blue)[2]
    status, _, doc = s.call("POST", "/v1/sensor-tracks", red, [sensed(t, "A1B2C3", 90000, 0) for t in range(40, 50, 2)])
    r.equal("a sensor track named A1B2C3 far away", (200, "unidentified"), (status, doc["states"].get("A1B2C3")))
    r.equal("blue's tracks are as they were", blue_tracks, s.call("GET", "/v1/tracks", blue)[2])
    r.check("blue is told nothing of red's sensor track of that name",
            not [a for a in alerts(s, blue) if a["kind"] == "sensor" and a["sensor"]["track"] == "A1B2C3"])

    # --- a dispute: red's picture 3 km beside blue's report, moving alike
    status, _, doc = s.call("POST", "/v1/sensor-tracks", red, [sensed(t, "R9", 0, 3000, accuracy=100) for t in range(50, 60, 2)])
    for t in range(40, 60, 2):
        s.call("POST", "/v1/tracks", blue, [coop(t)])
    status, _, doc = s.call("POST", "/v1/sensor-tracks", red, [sensed(t, "R9", 0, 3000, accuracy=100) for t in range(60, 70, 2)])
    r.equal("red's sensor track beside blue's report is disputed", (200, "disputed"), (status, doc["states"].get("R9")))
    mine = sensor_alerts(s, red, "R9")
    r.check("red learns 'disputed by blue', not where blue reports it",
            mine and mine[-1]["identified"] == {"party": "blue"} and "reported" not in mine[-1] and "apart_m" not in mine[-1], str(mine))
    theirs = sensor_alerts(s, blue, "R9")
    r.check("blue is told, with red's picture on the disclosure grid (500 m) and its own report beside it",
            theirs and theirs[-1]["track"]["resolution_m"] == 500 and theirs[-1]["track"]["aircraft"] == "A1B2C3"
            and "reported" in theirs[-1] and theirs[-1]["apart_m"] % 500 == 0, str(theirs))
    for who, key in (("red", red), ("blue", blue), ("green", green)):
        r.equal(f"{who} cannot read the dispute's record", [], s.call("GET", "/v1/audit?object=dispute/server/red/R9", key)[2].get("items"))
    records = s.call("GET", "/v1/audit?object=dispute/server/red/R9", s.operator)[2].get("items", [])
    r.check("the operator reads it with both positions", len(records) == 1 and records[0]["detail"]["reported"]["aircraft"] == "A1B2C3",
            str(records))
    r.check("green, a bystander, is told nothing", not [a for a in alerts(s, green) if a["kind"] == "sensor"])

    # --- out of order and future updates are flagged, not counted
    status, _, doc = s.call("POST", "/v1/sensor-tracks", red, [sensed(60, "R9"), {**sensed(0, "R9"), "time": "2099-01-01T00:00:00Z"}])
    r.equal("an older update and one dated in the future are flagged", (200, 0, ["out_of_order", "in_the_future"]),
            (status, doc["accepted"], [f["reason"] for f in doc["flagged"]]))

    # --- with blue's intent grant, red learns the aircraft, its callsign and the intent it flies
    r.equal("blue grants red its intents", 201, s.call("POST", "/v1/grants", blue, {"grantee": "red", "kind": "intent"})[0])
    status, _, doc = s.call("POST", "/v1/sensor-tracks", red, [sensed(t, "R10", 50, 50) for t in range(60, 70, 2)])
    got = sensor_alerts(s, red, "R10")
    r.equal("under the grant: aircraft, callsign and intent", [{"party": "blue", "aircraft": "A1B2C3", "callsign": "BLUE11",
                                                                "intent": "patrol-1"}], [a.get("identified") for a in got])
    r.equal("green, without a grant, still learns only the party", [{"party": "blue"}],
            [a.get("identified") for a in (s.call("POST", "/v1/sensor-tracks", green, [sensed(t, "G1", 50, 50) for t in range(60, 70, 2)]),
                                           sensor_alerts(s, green, "G1"))[1]])

    # --- charged to the reports' fair-use bucket
    out = cli("party", "limits", "red", "--reports", "0.01/20", "--db", s.db)
    r.equal("red's reports limited to 20", 0, out.returncode)
    status, _, doc = s.call("POST", "/v1/sensor-tracks", red, [sensed(80 + i, "R11") for i in range(21)])
    r.check("a batch larger than the bucket: 422", status == 422, (status, doc))
    r.equal("a batch of 20 fits", 200, s.call("POST", "/v1/sensor-tracks", red, [sensed(80 + i, "R11") for i in range(20)])[0])
    r.equal("then 429", 429, s.call("POST", "/v1/sensor-tracks", red, [sensed(120, "R11")])[0])
finally:
    s.stop()
s.cleanup()
r.finish()
