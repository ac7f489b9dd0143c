"""test_replay.py - replays of the Su-24 accounts and of El Al 1747, and the SVG seen in a browser."""
import json
import os
import subprocess
import sys
import tempfile
import zlib

SOURCE = os.environ["DC_SOURCE_DIR"]
CLI = os.environ["DC_CLI"]
BORDERS = os.environ["DC_BORDERS"]
WORLD = os.path.join(BORDERS, "world.geojson")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import Results  # noqa: E402

r = Results("replay")
check = r.check


def run(*args):
    out = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=600)
    check(f"{args[0]} exits 0", out.returncode == 0, out.stderr[-400:])
    return out.stdout


tmp = tempfile.mkdtemp(prefix="dc-replay-")
svg = os.path.join(tmp, "su24.svg")
su24 = os.path.join(SOURCE, "examples", "su24-2015")
doc = json.loads(run("replay", "--json", "--country", "Turkey", "--borders", WORLD, "--svg", svg,
                     "--tracks", os.path.join(su24, "track-turkey-account.csv"),
                     "--tracks", os.path.join(su24, "track-russia-account.csv")))
print(run("replay", "--country", "Turkey", "--borders", WORLD, "--tracks", os.path.join(su24, "track-turkey-account.csv"),
          "--tracks", os.path.join(su24, "track-russia-account.csv")), flush=True)
turkey, russia = doc["tracks"]
check("the border is Natural Earth 10m", "Natural Earth 10m" in doc["zone"]["source"], doc["zone"]["source"])
check("Turkey's account crosses once", len(turkey["crossings"]) == 1, str(turkey["crossings"]))
c = turkey["crossings"][0]
check("inside for 17 +- 2 s", abs(c["duration_s"] - 17) <= 2, str(c["duration_s"]))
check("2.2 +- 0.4 km flown inside", abs(c["distance_inside_m"] - 2200) <= 400, str(c["distance_inside_m"]))
check("an advisory at least 60 s before", (c["advisory_lead_s"] or 0) >= 60, str(c))
check("Russia's account never enters", russia["crossings"] == [], str(russia["crossings"]))

# One answer: replay's crossing times for El Al 1747 are the monitor's.
elal = os.path.join(SOURCE, "..", "shared", "data", "tracks", "elal747.csv")
monitor = json.loads(run("monitor", "--json", "--zones", WORLD, elal))
for country in ("greece", "israel"):
    replay = json.loads(run("replay", "--json", "--country", country, "--borders", WORLD, "--tracks", elal))
    entries = [x["entry"] for x in replay["tracks"][0]["crossings"]]
    expected = [x["time"] for x in monitor["crossings"] if x["entering"] and x["zone_owner"] == country]
    check(f"El Al 1747 into {country}: replay and monitor agree", entries == expected and entries, f"{entries} {expected}")
    print(f"elal747 into {country}: {entries}", flush=True)

# The SVG in a real browser: headless Chromium's screenshot is not blank.
png = os.path.join(tmp, "su24.png")
shot = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                       "--disable-background-networking", "--disable-component-update", "--disable-sync",
                       f"--user-data-dir={tmp}/profile", f"--screenshot={png}", "--window-size=1200,800",
                       "file://" + svg], capture_output=True, text=True, timeout=120)
check("chromium took a screenshot", os.path.exists(png), shot.stderr[-300:])
if os.path.exists(png):
    data = open(png, "rb").read()
    idat, pos = b"", 8
    while pos < len(data):
        n = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        if kind == b"IDAT":
            idat += data[pos + 8:pos + 8 + n]
        pos += 12 + n
    raw = zlib.decompress(idat)
    distinct = len(set(raw[i:i + 3] for i in range(1, min(len(raw), 2_000_000), 97)))
    check("the screenshot shows a drawing, not a blank page", distinct > 20, f"{distinct} distinct samples")
    print(f"replay svg: {svg}, screenshot {png} ({len(data)} bytes, {distinct} distinct colour samples)", flush=True)
text = open(svg).read()
for part in ("turkey airspace", "km</text>", ">N</text>", "Natural Earth", "never enters"):
    check(f"the SVG has its {part!r}", part in text)
r.finish()
