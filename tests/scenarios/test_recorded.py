"""test_recorded.py - recorded files as users have them: any order, a snapshot, standard input, and
which zones admit the recorded party (`deconflict monitor`)."""
import csv
import io
import json
import os
import subprocess
import sys
import tempfile

CLI = os.environ["DC_CLI"]
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import Results  # noqa: E402

r = Results("recorded")
check = r.check
HEADER = "time_utc,icao24,callsign,lat,lon,alt_ft,groundspeed_kt,track_deg"
tmp = tempfile.mkdtemp(prefix="dc-recorded-")


def stamp(s):
    return f"2024-01-01T10:{s // 60:02d}:{s % 60:02d}Z"


def write(name, rows):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(HEADER + "\n" + "".join(",".join(str(c) for c in row) + "\n" for row in rows))
    return path


def monitor(*args, stdin=None):
    out = subprocess.run([CLI, "monitor", "--json", *args], capture_output=True, text=True, timeout=300,
                         input=stdin)
    check(f"monitor {' '.join(args)} exits 0", out.returncode == 0, out.stderr[-400:])
    return json.loads(out.stdout) if out.returncode == 0 else {"alerts": [], "flagged": [], "crossings": []}


# Two aircraft head-on at FL300, 40 km apart, closing at 2 x 230 m/s: separation is lost about
# 67 s after the first report. Exported aircraft by aircraft, as many tools write files.
a, b = [], []
for s in range(0, 121, 5):
    a.append([stamp(s), "aaa001", "AAA1", 45.0, round(10.0 + 230 * s / 78700, 6), 30000, 447, 90])
    b.append([stamp(s), "bbb002", "BBB2", 45.0, round(10.5 - 230 * s / 78700, 6), 30000, 447, 270])
by_aircraft = write("by_aircraft.csv", a + b)
rows = sorted(a + b, key=lambda row: row[0])
by_time = write("by_time.csv", rows)
unsorted = monitor(by_aircraft)
sorted_doc = monitor(by_time)
check("a file ordered aircraft by aircraft flags no report", unsorted["flagged"] == [], str(unsorted["flagged"][:3]))


def key(alerts):
    return [(x["time"], x["kind"], x["level"], x["aircraft"], x.get("other_aircraft"), x["repetition"]) for x in alerts]


check("the same alerts as the same file sorted", key(unsorted["alerts"]) == key(sorted_doc["alerts"]),
      f"{key(unsorted['alerts'])} vs {key(sorted_doc['alerts'])}")
losses = [x for x in unsorted["alerts"] if x["kind"] == "separation" and x["level"] == "loss"]
check("the loss of separation between the two aircraft is reported to both",
      {x["aircraft"] for x in losses} == {"aaa001", "bbb002"}, str(key(unsorted["alerts"])))

# Standard input reads as the file.
with open(by_aircraft) as f:
    piped = monitor("-", stdin=f.read())
check("- reads standard input: the same alerts", key(piped["alerts"]) == key(unsorted["alerts"]))

# One snapshot of five aircraft: two of them 3 km apart at one level, the others far.
snap = [[stamp(0), "c1", "C1", 46.0, 8.0, 35000, 450, 0],
        [stamp(0), "c2", "C2", 46.027, 8.0, 35000, 450, 180],
        [stamp(0), "c3", "C3", 47.0, 9.0, 35000, 450, 0],
        [stamp(0), "c4", "C4", 46.0, 8.0, 20000, 450, 0],
        [stamp(0), "c5", "C5", 44.0, 6.0, 35000, 450, 90]]
doc = monitor(write("snapshot.csv", snap))
pairs = {frozenset((x["aircraft"], x["other_aircraft"])) for x in doc["alerts"] if x["kind"] == "separation"}
check("a snapshot file gives its separation (c1, c2) and no other", pairs == {frozenset(("c1", "c2"))}, str(pairs))

# Which zones admit the recorded party: a zone around the departure admits it by default.
zone = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"kind": "zone", "owner": "home", "id": "home-fir"},
        "geometry": {"type": "Polygon", "coordinates": [[[9.5, 44.5], [10.3, 44.5], [10.3, 45.5], [9.5, 45.5], [9.5, 44.5]]]}},
        {"type": "Feature", "properties": {"kind": "zone", "owner": "other", "id": "other-fir"},
        "geometry": {"type": "Polygon", "coordinates": [[[10.3, 44.5], [11.0, 44.5], [11.0, 45.5], [10.3, 45.5], [10.3, 44.5]]]}}]}
zpath = os.path.join(tmp, "zones.geojson")
json.dump(zone, open(zpath, "w"))


def incursions(doc):
    return sorted({x["zone_owner"] for x in doc["alerts"] if x["kind"] == "zone" and x["level"] == "incursion"})


# from inside "home", across "other", to the open sea east of both
long = [[stamp(s), "aaa001", "AAA1", 45.0, round(10.0 + 230 * s / 78700, 6), 30000, 447, 90] for s in range(0, 601, 5)]
a = long
d_default = monitor("--zones", zpath, write("a.csv", a))
check("default: the departure's zone admits the recorded party, the overflown one does not",
      incursions(d_default) == ["other"], str(incursions(d_default)))
d_none = monitor("--zones", zpath, "--admit", "none", write("a.csv", a))
check("--admit none: the departure's zone is an incursion too", incursions(d_none) == ["home", "other"], str(incursions(d_none)))
d_list = monitor("--zones", zpath, "--admit", "home,other-fir", write("a.csv", a))
check("--admit by owner and by id: no incursion", incursions(d_list) == [], str(incursions(d_list)))
d_all = monitor("--zones", zpath, "--admit", "all", write("a.csv", a))
check("--admit all: no zone alert at all", [x for x in d_all["alerts"] if x["kind"] == "zone"] == [])
r.finish()
