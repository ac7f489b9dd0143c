"""test_replay.py - the Su-24 dispute replayed: both accounts x Natural Earth and OSM borders, the
probability under a stated radar error, Russia's closest approach against GeodSolve, the report and
its digests; El Al 1747 against the monitor; the SVG seen in a browser."""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zlib

SOURCE = os.environ["DC_SOURCE_DIR"]
CLI = os.environ["DC_CLI"]
BORDERS = os.environ["DC_BORDERS"]
WORLD = os.path.join(BORDERS, "world.geojson")
SHARED = os.path.join(SOURCE, "..", "shared", "data")
OSM = os.path.join(SHARED, "borders", "turkey-osm-geomaps-10m.geojson")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import Results  # noqa: E402

r = Results("replay")
check = r.check


def run(*args, expect=0):
    out = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=600)
    check(f"{' '.join(args[:3])}... exits {expect}", out.returncode == expect, out.stderr[-400:])
    return out


tmp = tempfile.mkdtemp(prefix="dc-replay-")
svg = os.path.join(tmp, "su24.svg")
html = os.path.join(tmp, "su24.html")
su24 = os.path.join(SOURCE, "examples", "su24-2015")
TURKEY = os.path.join(su24, "track-turkey-account.csv")
RUSSIA = os.path.join(su24, "track-russia-account.csv")
both_borders = ["--country", "Turkey", "--borders", WORLD, "--zone", OSM, "--name", "Turkey (OSM)"]
tracks = ["--tracks", TURKEY, "--tracks", RUSSIA]

doc = json.loads(run("replay", "--json", *both_borders, *tracks, "--svg", svg).stdout)
print(run("replay", *both_borders, *tracks, "--sigma", "150").stdout, flush=True)
ne, osm = doc["borders"]
check("border 1 is Natural Earth 10m, public domain", "Natural Earth 10m" in ne["source"] and "public domain" in ne["licence"], str(ne))
check("border 2 is OpenStreetMap, a plain FeatureCollection", "OpenStreetMap" in osm["source"] and osm["name"] == "Turkey (OSM)", str(osm))
check("the OSM border has its holes", osm["rings"] > 127, str(osm["rings"]))
res = {(x["track"], x["border"]): x for x in doc["results"]}
check("a table of track x border", sorted(res) == [(0, 0), (0, 1), (1, 0), (1, 1)], str(sorted(res)))

c = res[0, 0]["crossings"]
check("Turkey's account crosses Natural Earth once", len(c) == 1, str(c))
c = c[0]
check("NE: inside 16.8 +- 0.2 s", abs(c["duration_s"] - 16.8) <= 0.2, str(c["duration_s"]))
check("NE: 183 +- 5 m deep", abs(c["max_depth_m"] - 183) <= 5, str(c["max_depth_m"]))
check("NE: 2.19 +- 0.03 km flown inside", abs(c["distance_inside_m"] - 2190) <= 30, str(c["distance_inside_m"]))
check("NE: an advisory at least 60 s before", (c["advisory_lead_s"] or 0) >= 60, str(c))
c = res[0, 1]["crossings"]
check("Turkey's account crosses OSM once", len(c) == 1, str(c))
c = c[0]
check("OSM: inside 18.2 +- 0.2 s", abs(c["duration_s"] - 18.2) <= 0.2, str(c["duration_s"]))
check("OSM: 763 +- 10 m deep", abs(c["max_depth_m"] - 763) <= 10, str(c["max_depth_m"]))
check("OSM: 2.37 +- 0.03 km flown inside", abs(c["distance_inside_m"] - 2370) <= 30, str(c["distance_inside_m"]))
for b in (0, 1):
    check(f"Russia's account never enters border {b + 1}", res[1, b]["crossings"] == [], str(res[1, b]))
    check(f"a crossing has no closest approach, a miss has one (border {b + 1})",
          res[0, b]["closest_approach"] is None and res[1, b]["closest_approach"] is not None)


# Russia's closest approach against GeographicLib's GeodSolve: the distance between the two points
# it names, and no nearer pair among a dense sampling of the path and of the border's edges.
def geodsolve(pairs):
    text = "".join(f"{a[0]:.9f} {a[1]:.9f} {b[0]:.9f} {b[1]:.9f}\n" for a, b in pairs)
    out = subprocess.run(["GeodSolve", "-i", "-p", "6"], input=text, capture_output=True, text=True, timeout=300)
    return [float(line.split()[2]) for line in out.stdout.splitlines()]


def reports(path):
    rows = [line.split(",") for line in open(path).read().strip().splitlines()[1:]]
    return [(int(row[0][11:13]) * 3600 + int(row[0][14:16]) * 60 + int(row[0][17:19]), float(row[3]), float(row[4])) for row in rows]


def rings_near(path, centre, reach_deg, select=None):
    g = json.load(open(path))
    feats = g["features"] if g["type"] == "FeatureCollection" else [g]
    out = []
    for f in feats:
        if select and f["properties"].get("owner") != select:
            continue
        geom = f["geometry"]
        polys = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        for poly in polys:
            for ring in poly:
                if any(abs(p[1] - centre[0]) < reach_deg and abs(p[0] - centre[1]) < reach_deg for p in ring):
                    out.append(ring)
    return out


for b, (path, select) in enumerate(((WORLD, "turkey"), (OSM, None))):
    ca = res[1, b]["closest_approach"]
    got = geodsolve([(ca["aircraft"], ca["border"])])[0]
    check(f"closest approach {b + 1}: GeodSolve agrees on the distance between its points ({got:.2f} m)",
          abs(got - ca["distance_m"]) <= 0.2, f"{got} {ca}")
    t_ca = int(ca["time"][11:13]) * 3600 + int(ca["time"][14:16]) * 60 + float(ca["time"][17:-1])
    path_pts = []
    rep = reports(RUSSIA)
    for (t0, la0, lo0), (t1, la1, lo1) in zip(rep, rep[1:]):
        for k in range(20):
            t = t0 + (t1 - t0) * k / 20
            if abs(t - t_ca) <= 8:
                f = k / 20
                path_pts.append((la0 + (la1 - la0) * f, lo0 + (lo1 - lo0) * f))
    edge_pts = []
    for ring in rings_near(path, ca["border"], 0.03, select):
        for p, q in zip(ring, ring[1:]):
            if min(abs(p[1] - ca["border"][0]) + abs(p[0] - ca["border"][1]), abs(q[1] - ca["border"][0]) + abs(q[0] - ca["border"][1])) > 0.03:
                continue
            edge_pts += [(p[1] + (q[1] - p[1]) * k / 25, p[0] + (q[0] - p[0]) * k / 25) for k in range(26)]
    brute = min(geodsolve([(a, e) for a in path_pts for e in edge_pts]))
    check(f"closest approach {b + 1}: no sampled pair is nearer than {ca['distance_m']} m (GeodSolve: {brute:.2f} m)",
          brute >= ca["distance_m"] - 0.2 and brute <= ca["distance_m"] + 2.0, f"{brute} {len(path_pts)}x{len(edge_pts)}")
    print(f"russia's closest approach to border {b + 1}: {ca}; GeodSolve brute force over {len(path_pts)}x{len(edge_pts)} points: {brute:.2f} m", flush=True)

# Uncertainty: stated, reproducible from the seed, and sensible.
un = json.loads(run("replay", "--json", *both_borders, *tracks, "--sigma", "150", "--samples", "1000", "--seed", "7").stdout)
un2 = json.loads(run("replay", "--json", *both_borders, *tracks, "--sigma", "150", "--samples", "1000", "--seed", "7").stdout)
check("the same seed gives the same result digest", un["result_sha256"] == un2["result_sha256"])
check("the method is in the document", un["method"]["monte_carlo"]["samples"] == 1000 and un["method"]["monte_carlo"]["seed"] == 7
      and un["method"]["sigma_m"] == 150, str(un["method"]))
ures = {(x["track"], x["border"]): x["uncertainty"] for x in un["results"]}
check("Turkey's account x NE at 150 m: inside at all with P in 0.8..0.97", 0.8 <= ures[0, 0]["p_inside"] <= 0.97, str(ures[0, 0]))
check("Turkey's account x OSM at 150 m: P > 0.99", ures[0, 1]["p_inside"] > 0.99, str(ures[0, 1]))
check("Russia's account x NE at 150 m: P < 0.01 (2 km off)", ures[1, 0]["p_inside"] < 0.01, str(ures[1, 0]))
d = ures[0, 0]["duration_s"]
check("the duration interval holds the recorded 16.8 s", d["lo"] < 16.8 < d["hi"], str(d))
check("the depth interval holds the recorded 183 m", ures[0, 0]["depth_m"]["lo"] < 183 < ures[0, 0]["depth_m"]["hi"], str(ures[0, 0]["depth_m"]))
other = json.loads(run("replay", "--json", *both_borders, *tracks, "--sigma", "150", "--samples", "1000", "--seed", "8").stdout)
check("another seed, another digest", other["result_sha256"] != un["result_sha256"])

# The report: self-contained, and its digests are the files' and reproducible.
work = os.path.join(tmp, "work")
os.makedirs(work)
for f in (TURKEY, RUSSIA, OSM):
    shutil.copy(f, work)
args = ["--zone", os.path.join(work, os.path.basename(OSM)), "--licence", "ODbL 1.0",
        "--tracks", os.path.join(work, "track-turkey-account.csv"), "--tracks", os.path.join(work, "track-russia-account.csv"),
        "--sigma", "150", "--samples", "500"]
out = run("replay", *args, "--report", html).stdout
check("the table ends with the report's path", out.strip().endswith("report: " + html), out[-200:])
page = open(html).read()
for f in ("track-turkey-account.csv", "track-russia-account.csv", os.path.basename(OSM)):
    digest = hashlib.sha256(open(os.path.join(work, f), "rb").read()).hexdigest()
    check(f"the report gives {f}'s SHA-256", digest in page, digest)
check("the report states the border's source and licence", "OpenStreetMap" in page and "ODbL 1.0" in page)
check("the report states the method and its parameters", "500 draws" in page and "seeded with 1" in page and "&sigma; = 150 m" in page)
check("the report holds its drawing", "<svg" in page and "</svg>" in page)
check("the report loads nothing from elsewhere", not re.search(r'(src|href)="(https?:)?//', page))
embedded = json.loads(re.search(r'<script type="application/json" id="replay-result">\n(.*)\n</script>', page, re.S).group(1))
shown = re.search(r'<code id="result-sha256">([0-9a-f]{64})</code>', page).group(1)
check("the page's digest is its embedded document's", embedded["result_sha256"] == shown)
rerun = re.search(r"<pre>deconflict replay (.*)</pre>", page).group(1).replace("&#39;", "'")
# the other party re-runs the stated command in its own copy of the files and gets the same digest
theirs = os.path.join(tmp, "theirs")
shutil.copytree(work, theirs)
again = subprocess.run(" ".join([CLI, "replay", rerun]), shell=True, cwd=theirs, capture_output=True, text=True, timeout=600)
check("the stated command runs where the files are", again.returncode == 0, again.stderr[-300:])
check("re-running it gives the report's digest", again.returncode == 0 and json.loads(again.stdout)["result_sha256"] == shown)
html2 = os.path.join(tmp, "again.html")
run("replay", *args, "--report", html2)
check("the same inputs write the same report, byte for byte", open(html2).read() == page)
with open(os.path.join(theirs, "track-russia-account.csv"), "a") as f:
    f.write("2015-11-24T07:30:00Z,,SU24RU,35.9,36.0,19000.0,252.1,300.0\n")
changed = subprocess.run(" ".join([CLI, "replay", rerun]), shell=True, cwd=theirs, capture_output=True, text=True, timeout=600)
check("an altered track changes the digest", changed.returncode == 0 and json.loads(changed.stdout)["result_sha256"] != shown)
print(f"report: {html} (result sha256 {shown})", flush=True)

# --zone takes any GeoJSON: a bare MultiPolygon; refusals name the fault.
bare = os.path.join(tmp, "bare.geojson")
json.dump(json.load(open(OSM))["features"][0]["geometry"], open(bare, "w"))
bdoc = json.loads(run("replay", "--json", "--zone", bare, "--tracks", TURKEY).stdout)
check("a bare MultiPolygon is a border named after its file", bdoc["borders"][0]["name"] == "bare", str(bdoc["borders"][0]))
check("... with the same crossing as the FeatureCollection", bdoc["results"][0]["crossings"][0]["entry"] == res[0, 1]["crossings"][0]["entry"])
line = os.path.join(tmp, "line.geojson")
json.dump({"type": "LineString", "coordinates": [[36, 35], [37, 36]]}, open(line, "w"))
out = run("replay", "--zone", line, "--tracks", TURKEY, expect=2)
check("a file without a polygon is refused by name", "no Polygon or MultiPolygon in" in out.stderr, out.stderr)
opened = os.path.join(tmp, "open.geojson")
json.dump({"type": "Polygon", "coordinates": [[[36, 35], [37, 35], [37, 36], [36, 36]]]}, open(opened, "w"))
out = run("replay", "--zone", opened, "--tracks", TURKEY, expect=2)
check("an unclosed ring is refused with its JSON pointer", "must end where it begins at /coordinates/0" in out.stderr, out.stderr)
out = run("replay", "--country", "Atlantis", "--borders", WORLD, "--tracks", TURKEY, expect=2)
check("an unknown country is refused by name", "named Atlantis" in out.stderr, out.stderr)

# One answer: replay's crossing times for El Al 1747 are the monitor's.
elal = os.path.join(SHARED, "tracks", "elal747.csv")
monitor = json.loads(run("monitor", "--json", "--zones", WORLD, elal).stdout)
for country in ("greece", "israel"):
    replay = json.loads(run("replay", "--json", "--country", country, "--borders", WORLD, "--tracks", elal).stdout)
    entries = [x["entry"] for x in replay["results"][0]["crossings"]]
    expected = [x["time"] for x in monitor["crossings"] if x["entering"] and x["zone_owner"] == country]
    check(f"El Al 1747 into {country}: replay and monitor agree", entries == expected and entries, f"{entries} {expected}")
    print(f"elal747 into {country}: {entries}", flush=True)

# The SVG in a real browser: headless Chromium's screenshot is not blank.
png = os.path.join(tmp, "su24.png")
shot = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                       "--disable-background-networking", "--disable-component-update", "--disable-sync",
                       f"--user-data-dir={tmp}/profile", f"--screenshot={png}", "--window-size=1300,900",
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
for part in ("Turkey airspace", "km</text>", ">N</text>", "Natural Earth", "never enters", "Turkey (OSM)", "OpenStreetMap"):
    check(f"the SVG has its {part!r}", part in text)
check("the SVG draws both outlines", text.count('fill-rule="evenodd"') == 2)
r.finish()
