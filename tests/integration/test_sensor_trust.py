"""test_sensor_trust.py - through the real server (POST /v1/tracks and POST /v1/sensor-tracks): a spoof that a
party's radar contradicts is never believed however consistent it is, and the first true report, where the radar
sees the aircraft, re-acquires the track at once; the same spoof of an aircraft no radar sees is believed through
consistent reports alone (what the radar prevents). Issue 16, docs/SENSORS.md "Positions not believed"."""
import math
import time

from harness import Results, Server

METRES_PER_DEG = 111195.0
SPOOF_EAST_M = 8000.0  # beside the course: near enough to be taken for it without a sensor


def at(t, east_m, lon0):
    """Northbound at 250 m/s from 36 N, `east_m` east of the meridian lon0, at second t."""
    lat = 36.0 + 250.0 * t / METRES_PER_DEG
    lon = lon0 + east_m / (METRES_PER_DEG * math.cos(math.radians(lat)))
    return {"lat": round(lat, 7), "lng": round(lon, 7)}


def stamp(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1735725600 + t))  # 2025-01-01T10:00:00Z + t


def report(aircraft, t, lon0, spoofed):
    return {"aircraft": aircraft, "time": stamp(t), "position": at(t, SPOOF_EAST_M if spoofed else 0, lon0),
            "altitude": 9000, "ground_speed": 250, "track": 0}


def sensed(t):
    p = at(t, 40, 37.0)  # the radar's own error: 40 m
    return {"track_number": "R1", "time": stamp(t), "position": p, "altitude": 9000, "ground_speed": 250, "track": 0,
            "accuracy": 100}


r = Results("sensor_trust")
s = Server()
try:
    blue, radar = s.party("blue"), s.party("radar")
    flags = {"B1": {}, "B2": {}}
    states = []
    for start in range(0, 200, 5):
        ts = range(start, start + 5)
        status, _, doc = s.call("POST", "/v1/sensor-tracks", radar, [sensed(t) for t in ts])
        assert status == 200 and doc["accepted"] == 5, (status, doc)
        states.append((start, doc["states"].get("R1")))
        # B1 is seen by the radar (on 37 E); B2, on 40 E, by nobody; both spoofed from 30 s to 119 s
        batch = [report("B1", t, 37.0, 30 <= t < 120) for t in ts] + [report("B2", t, 40.0, 30 <= t < 120) for t in ts]
        status, _, doc = s.call("POST", "/v1/tracks", blue, batch)
        assert status == 200, (status, doc)
        for f in doc.get("flagged", []):
            flags[f["aircraft"]][ts[f["index"] % 5]] = f["reason"]
    r.check("the radar identifies B1 and keeps it identified through the spoof",
            all(state == "identified" for start, state in states if start >= 5), str(states))
    spoof = range(30, 120)
    r.equal("every spoofed report of B1 is flagged: the radar contradicts it", [], [t for t in spoof if t not in flags["B1"]])
    r.equal("the jump first, then unreliable", ("implausible_jump", "position_unreliable"), (flags["B1"].get(30), flags["B1"].get(31)))
    r.equal("B1's first true report, where the radar sees it, is believed at once", None, flags["B1"].get(120))
    r.equal("no report of B1 after the spoof is flagged", [], [t for t in range(120, 200) if t in flags["B1"]])
    believed_b2 = [t for t in spoof if t not in flags["B2"]]
    r.check("without a radar the same spoof of B2 is believed through consistent reports alone",
            believed_b2 and believed_b2[0] < 60, str(sorted(flags["B2"].items())[:3]))
    status, _, doc = s.call("GET", "/v1/alerts?limit=1000", blue)
    told = [(a["track"]["aircraft"], a["level"]) for a in doc["items"] if a["kind"] == "position_unreliable"]
    r.equal("blue is told of B1's episode once: unreliable, then clear", [("B1", "warning"), ("B1", "clear")],
            [x for x in told if x[0] == "B1"])
    r.check("no zone alert", all(a["kind"] != "zone" for a in doc["items"]))
finally:
    s.stop()
r.finish()
