"""test_replays.py - POST /v1/replays on the real server: Turkey replays both Su-24 accounts against
two borders and shares the signed record with Russia, which checks the digests and re-runs the
replay on its own copy of the files; a third party cannot read the record; bad input is refused."""
import hashlib
import json
import os
import shutil
import subprocess
import tempfile

from harness import BORDERS, CLI, SOURCE, Results, Server

r = Results("replays")
SU24 = os.path.join(SOURCE, "examples", "su24-2015")
OSM = os.path.join(SOURCE, "..", "shared", "data", "borders", "turkey-osm-geomaps-10m.geojson")
NE = os.path.join(BORDERS, "turkey.geojson")
TRACKS = ["track-turkey-account.csv", "track-russia-account.csv"]


def text(path):
    return open(path, "rb").read().decode("utf-8")


body = {
    "tracks": [{"name": t, "csv": text(os.path.join(SU24, t))} for t in TRACKS],
    "borders": [{"file": "turkey.geojson", "geojson": text(NE), "name": "Turkey (Natural Earth 10m)"},
                {"file": os.path.basename(OSM), "geojson": text(OSM), "name": "Turkey (OSM)",
                 "licence": "ODbL 1.0, (c) OpenStreetMap contributors"}],
    "sigma_m": 200, "samples": 300, "seed": 5, "share_with": ["russia"],
}

s = Server()
try:
    turkey, russia, nato = s.party("turkey"), s.party("russia"), s.party("nato")
    status, _, doc = s.call("POST", "/v1/replays", turkey, body)
    r.equal("Turkey's replay is computed and recorded", 201, status)
    obj, digest = doc.get("object", ""), doc.get("result_sha256")
    r.check("the record is about Turkey's own replay", obj.startswith("replay/turkey/") and digest and digest.startswith(obj[14:]), obj)
    res = {(x["track"], x["border"]): x for x in doc["result"]["results"]}
    c = res[0, 1]["crossings"][0]
    r.check("the server finds the OSM crossing the command line finds (18.2 s, 763 m)",
            abs(c["duration_s"] - 18.2) < 0.2 and abs(c["max_depth_m"] - 763) < 10, str(c))
    r.check("and Russia's closest approach to Natural Earth", res[1, 0]["closest_approach"]["distance_m"] > 1900, str(res[1, 0]))
    r.equal("the document carries its digest", digest, doc["result"]["result_sha256"])
    receipt = doc["receipt"]
    r.check("with a signed receipt", len(receipt["hash"]) == 64 and len(receipt["signature"]) == 128 and receipt["signature"] != "0" * 128, str(receipt))

    # Russia, told of it, reads the record: the digests of the inputs and of the result.
    status, _, seen = s.call("GET", f"/v1/audit?object={obj}", russia)
    items = seen.get("items", [])
    r.check("Russia reads the shared record", status == 200 and len(items) == 1, str(seen))
    if items:
        rec = items[0]
        r.equal("the record is the receipt's", receipt["hash"], rec["hash"])
        r.equal("the record names who ran it and who was told", ("turkey", "replay", "russia"), (rec["actor"], rec["action"], rec["recipients"]))
        r.equal("the record's result digest", digest, rec["detail"]["result_sha256"])
        r.equal("the record's track digests are the files'", [hashlib.sha256(open(os.path.join(SU24, t), "rb").read()).hexdigest() for t in TRACKS], rec["detail"]["tracks"])
        r.equal("the record's border digests are the files'", [hashlib.sha256(open(p, "rb").read()).hexdigest() for p in (NE, OSM)], rec["detail"]["borders"])
        r.check("the record keeps digests, not the tracks", "SU24" not in json.dumps(rec))

    # Russia re-runs the replay on its own copy of the files and gets the same digest.
    mine = tempfile.mkdtemp(prefix="dc-russia-")
    for p in [os.path.join(SU24, t) for t in TRACKS] + [NE, OSM]:
        shutil.copy(p, mine)
    out = subprocess.run([CLI, "replay", "--json", "--tracks", TRACKS[0], "--tracks", TRACKS[1],
                          "--zone", "turkey.geojson", "--name", "Turkey (Natural Earth 10m)",
                          "--zone", os.path.basename(OSM), "--name", "Turkey (OSM)",
                          "--licence", "ODbL 1.0, (c) OpenStreetMap contributors",
                          "--sigma", "200", "--samples", "300", "--seed", "5"],
                         cwd=mine, capture_output=True, text=True, timeout=600)
    r.check("Russia's re-run gives the server's digest", out.returncode == 0 and json.loads(out.stdout)["result_sha256"] == digest, out.stderr[-300:])
    shutil.rmtree(mine, ignore_errors=True)

    # A third party learns nothing of it, however it asks.
    for q in (obj, obj.upper(), obj + "x", "replay/turkey", f"replay/nato/{obj[14:]}"):
        status, _, seen = s.call("GET", f"/v1/audit?object={q}", nato)
        r.check(f"NATO reads nothing of {q}", status == 200 and seen.get("items") == [], str(seen)[:300])
    status, _, seen = s.call("GET", f"/v1/audit?object={obj}", s.operator)
    r.check("the operator reads it", status == 200 and len(seen.get("items", [])) == 1)
    r.equal("replays are not listed", 405, s.call("GET", "/v1/replays", nato)[0])
    r.equal("no key, no replay", 401, s.call("POST", "/v1/replays", None, body)[0])
    r.equal("the operator runs no replay", 403, s.call("POST", "/v1/replays", s.operator, body)[0])

    # NATO's own replay is its own: recorded under its name, and sharing with an unknown party
    # records nothing.
    mine_body = dict(body, share_with=["atlantis"], samples=50)
    status, _, doc = s.call("POST", "/v1/replays", nato, mine_body)
    r.equal("sharing with no such party is refused", (404, "/share_with"), (status, doc.get("pointer")))
    mine_body["share_with"] = []
    status, _, doc = s.call("POST", "/v1/replays", nato, mine_body)
    r.check("NATO's replay is recorded under NATO", status == 201 and doc["object"].startswith("replay/nato/"), str(doc)[:300])
    status, _, seen = s.call("GET", f"/v1/audit?object={doc.get('object')}", nato)
    r.equal("once", 1, len(seen.get("items", [])))
    status, _, seen = s.call("GET", f"/v1/audit?object={doc.get('object')}", turkey)
    r.equal("Turkey, not told, reads nothing of NATO's", [], seen.get("items"))

    # Bad input: the member at fault.
    def refused(what, change, pointer, status_expected=400):
        b = json.loads(json.dumps(body))
        change(b)
        status, headers, doc = s.call("POST", "/v1/replays", turkey, b)
        got = doc.get("pointer") if isinstance(doc, dict) else None
        r.equal(f"{what}: refused at {pointer}", (status_expected, pointer), (status, got))
        r.equal(f"{what}: problem+json", "application/problem+json", headers.get("content-type"))
        return doc

    refused("an unknown member", lambda b: b.update(colour="red"), "")
    refused("no tracks", lambda b: b.update(tracks=[]), "/tracks")
    refused("a CSV without its header", lambda b: b["tracks"][0].update(csv="a,b\n"), "/tracks/0/csv")
    refused("a border that is not GeoJSON", lambda b: b["borders"][1].update(geojson="{"), "/borders/1/geojson")
    d = refused("a ring that does not close", lambda b: b["borders"][0].update(
        geojson='{"type":"Polygon","coordinates":[[[36,35],[37,35],[37,36],[36,36]]]}'), "/borders/0/geojson/coordinates/0")
    r.check("... saying so", "must end where it begins" in d.get("detail", ""), str(d))
    refused("a selection naming nothing", lambda b: b["borders"][0].update(select="Atlantis"), "/borders/0/geojson")
    refused("too many draws", lambda b: b.update(samples=10 ** 6), "/samples")
    refused("a negative sigma", lambda b: b.update(sigma_m=-1), "/sigma_m")
    # a recording a day long inside Turkey, drawn 300 times against two borders, four copies: each
    # measurement minutes of a request thread (130 s for one in a Release build); each stops at
    # its share of the request's work limit
    day = ("time_utc,icao24,callsign,lat,lon,alt_ft,groundspeed_kt,track_deg\n"
           "2015-11-24T07:00:00Z,,LONG,39.9,32.8,19000,250,300\n"
           "2015-11-25T07:00:00Z,,LONG,39.0,35.0,19000,250,300\n")
    import time as clock
    started = clock.monotonic()
    d = refused("a replay past the work limit", lambda b: b.update(tracks=[{"name": f"day-{i}.csv", "csv": day} for i in range(4)]),
                "/samples", 422)
    took = clock.monotonic() - started
    print(f"replays: the day-long replay refused after {took:.1f} s", flush=True)
    r.check("... soon, saying how to ask for less", took < 30 and "fewer samples" in d.get("detail", ""), (took, d))
    r.equal("... as a limit", "/problems/limit", d.get("type"))
    refused("a share that is no name", lambda b: b.update(share_with=["a,b"]), "/share_with/0")
finally:
    s.stop()

verify = subprocess.run([CLI, "audit", "verify", "--db", s.db], capture_output=True, text=True, timeout=120)
r.check("the audit chain with the replay records verifies", verify.returncode == 0 and "OK" in verify.stdout, verify.stdout + verify.stderr)
s.cleanup()

# A replay writes a signed record and may take seconds of a request thread: it spends the party's
# write bucket like any write, so a party cannot keep every worker busy with replays.
s = Server(extra_args=("--rate-writes", "0.01/2"))
try:
    turkey = s.party("turkey")
    small = dict(body, tracks=body["tracks"][:1], borders=body["borders"][:1], samples=10, share_with=[])
    got = [s.call("POST", "/v1/replays", turkey, small) for _ in range(3)]
    r.equal("two replays fit a burst of two writes, the third waits", [201, 201, 429], [g[0] for g in got])
    r.check("... told when to retry", int(got[2][1].get("retry-after", "0")) >= 1, got[2][1])
    r.equal("... as a rate limit", "application/problem+json", got[2][1].get("content-type"))
finally:
    s.stop()
s.cleanup()
r.finish()
