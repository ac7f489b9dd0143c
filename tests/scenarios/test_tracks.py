"""test_tracks.py - the recorded ADS-B tracks of ../shared/data through `deconflict monitor` against Natural Earth."""
import csv
import json
import os
import subprocess
import sys
from datetime import datetime

SOURCE = os.environ["DC_SOURCE_DIR"]
CLI = os.environ["DC_CLI"]
WORLD = os.path.join(os.environ["DC_BORDERS"], "world.geojson")
TRACKS = os.path.join(SOURCE, "..", "shared", "data", "tracks")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import Results  # noqa: E402

r = Results("tracks")
check = r.check


def run(name):
    out = subprocess.run([CLI, "monitor", "--json", "--zones", WORLD, "--party", "recorded", "--admit", "none",
                          os.path.join(TRACKS, name)],
                         capture_output=True, text=True, timeout=600)
    check(f"{name}: monitor exits 0", out.returncode == 0, out.stderr[-500:])
    return json.loads(out.stdout) if out.returncode == 0 else None


def t(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


# El Al 1747, Rome to Tel Aviv: every border crossing, and the advisory that preceded each entry.
doc = run("elal747.csv")
rows = list(csv.DictReader(open(os.path.join(TRACKS, "elal747.csv"))))
tracks = [(t(r["time_utc"]), float(r["track_deg"])) for r in rows if r["track_deg"]]
print("elal747.csv against Natural Earth 10m: crossings", flush=True)
inside = []
entries = 0
SEA = "(sea or no country)"
exits_at = {c["time"]: c["zone_owner"] for c in doc["crossings"] if not c["entering"]}
entries_at = {c["time"] for c in doc["crossings"] if c["entering"]}
for c in doc["crossings"]:
    if c["entering"]:
        frm = exits_at.get(c["time"]) or (inside[-1] if inside else SEA)
        inside = [z for z in inside if z != exits_at.get(c["time"])] + [c["zone_owner"]]
        to = c["zone_owner"]
    else:
        inside = [z for z in inside if z != c["zone_owner"]]
        if c["time"] in entries_at:
            continue  # a land border: printed with the entry on the other side
        frm, to = c["zone_owner"], inside[-1] if inside else SEA
    line = f"  {c['time']}  {frm} -> {to}"
    if c["entering"]:
        entries += 1
        entry = t(c["time"])
        # the first advisory for this zone in the 10 minutes before the entry
        warned = [a for a in doc["alerts"] if a["kind"] == "zone" and a["zone_owner"] == c["zone_owner"]
                  and a["level"] in ("advisory", "warning") and entry - 600 <= t(a["time"]) <= entry]
        lead = entry - t(warned[0]["time"]) if warned else None
        # straight flight: the track angle changed by less than 5 degrees over the 5 minutes before entry
        window = [trk for (ts, trk) in tracks if entry - 300 <= ts <= entry]
        straight = bool(window) and max(abs((a - window[0] + 180) % 360 - 180) for a in window) < 5
        line += f"   first advisory {lead:.0f} s before" if lead is not None else "   no advisory"
        line += "" if straight else " (turning)"
        if straight:
            check(f"advisory at least 60 s before entering {c['zone_owner']} at {c['time']}", lead is not None and lead >= 60,
                  f"lead {lead}")
    print(line, flush=True)
check("El Al 1747 crosses into several countries", entries >= 4, str(entries))
for country in ("greece", "israel"):
    check(f"El Al 1747 enters {country}", any(c["entering"] and c["zone_owner"] == country for c in doc["crossings"]))

# Gaps, outliers and spoofing are flagged with their reasons, never trusted, never a crash.
for name, expect in [("inflight_refuelling.csv", {"implausible_altitude": 1}), ("noisy_spoofing.csv", {})]:
    doc = run(name)
    counts = {k: v for k, v in doc["verdicts"].items() if v}
    print(f"{name}: {doc['reports']} reports: {counts}", flush=True)
    for reason, n in expect.items():
        check(f"{name}: {n} {reason}", counts.get(reason) == n, str(counts))
    if name == "noisy_spoofing.csv":
        check("spoofed jumps are flagged", counts.get("implausible_jump", 0) > 100, str(counts))
    if name == "inflight_refuelling.csv":
        glitch = [f for f in doc["flagged"] if f["reason"] == "implausible_altitude"]
        check("the 107,700 ft glitch is the altitude flagged", bool(glitch) and glitch[0]["time"] == "2020-06-30T21:44:45Z", str(glitch))
r.finish()
