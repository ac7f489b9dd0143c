"""test_sensor.py - sensor tracks identified against the parties' own reports (`deconflict monitor --sensor`):
a recorded file's aircraft identified from a noisy sensor copy, an unknown aircraft unidentified and escalated,
and the Su-24 of 2015 disputed before entry."""
import csv
import json
import math
import os
import random
import subprocess
import sys
import tempfile

SOURCE = os.environ["DC_SOURCE_DIR"]
CLI = os.environ["DC_CLI"]
WORLD = os.path.join(os.environ["DC_BORDERS"], "world.geojson")
TRACKS = os.path.join(SOURCE, "..", "shared", "data", "tracks")
SU24 = os.path.join(SOURCE, "examples", "su24-2015")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import Results  # noqa: E402

r = Results("sensor")
check = r.check
tmp = tempfile.mkdtemp(prefix="dc-sensor-")
HEADER = ["time_utc", "icao24", "callsign", "lat", "lon", "alt_ft", "groundspeed_kt", "track_deg"]


def monitor(*args):
    out = subprocess.run([CLI, "monitor", "--json", *args], capture_output=True, text=True, timeout=600)
    check(f"monitor {' '.join(os.path.basename(a) for a in args)} exits 0", out.returncode == 0, out.stderr[-400:])
    return json.loads(out.stdout) if out.returncode == 0 else {"alerts": []}


def write(name, rows):
    path = os.path.join(tmp, name)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(rows)
    return path


def moved(lat, lon, east, north):
    return lat + north / 111195.0, lon + east / (111195.0 * math.cos(math.radians(lat)))


# El Al 1747 and a second cooperating aircraft of another party 5 NM to its side at the same level: the
# sensor sees both every 4 s with noise of its stated accuracy (150 m, 1 sigma per axis), no identity.
SIGMA = 150.0
rng = random.Random(16)
rows = list(csv.DictReader(open(os.path.join(TRACKS, "elal747.csv"))))
rows = [x for x in rows if x["groundspeed_kt"] and float(x["groundspeed_kt"]) > 150][:600]
coop_a, coop_b, sensed = [], [], []
for i, x in enumerate(rows):
    lat, lon = float(x["lat"]), float(x["lon"])
    blat, blon = moved(lat, lon, 9260, 0)
    coop_a.append([x["time_utc"], "738043", "ELY1747", f"{lat:.6f}", f"{lon:.6f}", x["alt_ft"], x["groundspeed_kt"], x["track_deg"]])
    coop_b.append([x["time_utc"], "4ca123", "OTHER1", f"{blat:.6f}", f"{blon:.6f}", x["alt_ft"], x["groundspeed_kt"], x["track_deg"]])
    if i % 4 == 0:
        for tn, (la, lo) in (("T100", (lat, lon)), ("T200", (blat, blon))):
            nla, nlo = moved(la, lo, rng.gauss(0, SIGMA), rng.gauss(0, SIGMA))
            sensed.append([x["time_utc"], tn, "", f"{nla:.6f}", f"{nlo:.6f}", x["alt_ft"], x["groundspeed_kt"], x["track_deg"]])
# the second aircraft is another party's: one file each, merged by the monitor as recorded (one party here)
doc = monitor("--party", "recorded", "--sensor", write("sensor.csv", sensed), "--sensor-party", "radar",
              "--sensor-accuracy", str(SIGMA), write("coop.csv", coop_a + coop_b))
truth = {"T100": "738043", "T200": "4ca123"}
told = [a for a in doc["alerts"] if a["kind"] == "sensor" and a["party"] == "radar"]
wrong = [a for a in told if a["sensor"]["state"] == "identified" and a["other_aircraft"] != truth[a["sensor"]["track"]]]
check("0 wrong identities", wrong == [], str(wrong[:2]))
# the state of each sensor track over time: identified as the right aircraft after confirmation (M of N)
state = {}
ok = total = 0
told_at = {}
for a in told:
    told_at.setdefault(a["time"], []).append(a)
for x in sensed:
    for a in told_at.pop(x[0], []):
        state[a["sensor"]["track"]] = (a["sensor"]["state"], a["other_aircraft"])
    total += 1
    ok += state.get(x[1]) == ("identified", truth[x[1]])
print(f"sensor copy at {SIGMA:.0f} m: {ok} of {total} updates identified rightly", flush=True)
check(">= 99 % of the sensor's updates identified (the first M of N of each track aside)", ok >= 0.99 * (total - 2 * 3), f"{ok}/{total}")

# An unknown aircraft: the sensor sees it, nobody reports it; it flies into a zone of the sensor's owner.
zone = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"kind": "zone", "owner": "blue", "id": "blue-fir"},
        "geometry": {"type": "Polygon", "coordinates": [[[10.2, 44.5], [11.0, 44.5], [11.0, 45.5], [10.2, 45.5], [10.2, 44.5]]]}}]}
zpath = os.path.join(tmp, "zones.geojson")
json.dump(zone, open(zpath, "w"))
stamp = lambda s: f"2024-01-01T10:{s // 60:02d}:{s % 60:02d}Z"  # noqa: E731
unknown = [[stamp(s), "U7", "", f"{45.0:.6f}", f"{10.0 + 230 * s / 78700:.6f}", 20000, 447, 90] for s in range(0, 300, 4)]
known = [[stamp(s), "abc001", "KNOWN", f"{44.0:.6f}", f"{10.0 + 230 * s / 78700:.6f}", 20000, 447, 90] for s in range(0, 300, 4)]
doc = monitor("--zones", zpath, "--party", "green", "--admit", "none", "--sensor", write("unknown.csv", unknown),
              "--sensor-party", "blue", "--sensor-accuracy", "200", write("known.csv", known))
states = [(a["sensor"]["state"], a["party"]) for a in doc["alerts"] if a["kind"] == "sensor"]
check("the unknown aircraft is unidentified, told to the sensor's owner", ("unidentified", "blue") in states, str(states))
esc = [a for a in doc["alerts"] if a["kind"] == "zone" and a.get("unidentified") and a["zone_owner"] == "blue"]
check("its predicted entry escalates to the zone's owner, marked unidentified",
      any(a["level"] in ("advisory", "warning") and a["time_to_event_s"] > 0 for a in esc) and any(a["level"] == "incursion" for a in esc),
      str([(a["level"], a["time"]) for a in esc]))
check("nobody's identity is put on it", all(a.get("other_party", "") == "" for a in doc["alerts"] if a["kind"] == "sensor"))

# The Su-24, 24 November 2015: Russia reports Russia's account, Turkey's radar follows Turkey's account.
doc = monitor("--zones", WORLD, "--party", "russia", "--sensor", os.path.join(SU24, "track-turkey-account.csv"),
              "--sensor-party", "turkey", "--sensor-accuracy", "300", os.path.join(SU24, "track-russia-account.csv"))
alerts = doc["alerts"]
entry = next((a["time"] for a in alerts if a["kind"] == "zone" and a["zone_owner"] == "turkey" and a["level"] == "incursion"), None)
disputed = [a for a in alerts if a["kind"] == "sensor" and a["sensor"]["state"] == "disputed"]
print("su24-2015 with Turkey's radar:", flush=True)
for a in alerts:
    extra = f" {a['sensor']['state']} {a.get('other_party', '')} {a.get('apart_m', 0):.0f} m apart" if a["kind"] == "sensor" else \
        f" {a.get('zone_owner', '')} in {a['time_to_event_s']:.0f} s"
    print(f"  {a['time']} to {a['party']}: {a['kind']} {a['level']}{extra}", flush=True)
check("Turkey's sensor track is disputed", any(a["party"] == "turkey" for a in disputed), str(disputed[:1]))
check("Russia is told of the dispute", any(a["party"] == "russia" for a in disputed))
check("the dispute comes before the entry Turkey's radar sees", entry is not None and disputed and disputed[0]["time"] < entry, f"{entry}")
d = disputed[0] if disputed else {}
check("the dispute holds both positions, beyond the stated accuracy",
      d and d["position"] != d["other_position"] and d["apart_m"] > 4 * 300, str(d))
warned = [a for a in alerts if a["kind"] == "zone" and a["party"] == "russia" and a["zone_owner"] == "turkey"
          and a["level"] in ("advisory", "warning") and a["time_to_event_s"] > 0]
check("Russia is warned with the time to entry, before the entry", warned and warned[0]["time"] < entry,
      str([(a["time"], a["time_to_event_s"]) for a in warned]))
check("Turkey (the zone's owner) is alerted: a warning or incursion in its zone",
      any(a["kind"] == "zone" and a["zone_owner"] == "turkey" and a["level"] in ("warning", "incursion") for a in alerts))
r.finish()
