#!/usr/bin/env python3
"""seeds.py - write the seed corpora of the fuzz targets (fuzz/corpus/<target>/) from the
project's tests and examples: the bad-request catalogue, the example scenarios and tracks, the
shared data, and a few well-formed bodies of each kind. Run from the repository root; files are
named by content, so running it again adds nothing twice."""
import hashlib, json, os, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "data")


def put(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(ROOT, "fuzz", "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)


def read(*path, limit=None):
    with open(os.path.join(*path), "rb") as f:
        data = f.read()
    return data if limit is None else data[:limit]


T0, T1 = "2031-09-01T10:00:00Z", "2031-09-01T11:00:00+01:30"
SQUARE = [{"lat": 40.0, "lng": 29.0}, "40.0N 29.1E", {"lat": 40.1, "lng": 29.1}, "40 06 00N 029 00 00E"]


def volume(vertices=SQUARE, lo=0, hi=3000):
    return {"outline_polygon": {"vertices": vertices}, "altitude_lower": lo,
            "altitude_upper": {"value": hi, "units": "FT", "reference": "W84"},
            "time_start": T0, "time_end": T1}


def circle(center="35TPF 12345 67890", radius=1000):
    return {"outline_circle": {"center": center, "radius": radius}, "altitude_lower": 0,
            "altitude_upper": 1000, "time_start": {"value": T0, "format": "RFC3339"}, "time_end": T1}


ROUTE = {"waypoints": [{"position": "40N 29E", "altitude": 1000, "time": T0},
                       {"position": {"lat": 40.2, "lng": 29.3}, "altitude": {"value": 5000, "units": "FT"},
                        "time": "2031-09-01T10:20:00Z"},
                       {"position": "35T 0583959 4428236", "altitude": 1500, "time": T1}],
         "buffers": {"lateral": 500, "vertical": 100, "time": 60}}

BODIES = {  # kind index as fuzz_submission selects it: intent, hazard, site, zone
    0: [{"priority": 3, "volumes": [volume(), circle()]},
        {"route": ROUTE, "state": "activated", "accept_conflicts": ["0123456789abcdef0123456789abcdef"]},
        {"version": 1, "priority": 100, "state": "ended", "volumes": [circle("36.37N 37.52E", 50)]}],
    1: [{"hazard_kind": "strike", "priority": 5, "volumes": [circle("37SCA6750026200")], "from_message": 1},
        {"hazard_kind": "live_fire", "route": ROUTE}],
    2: [{"label": "unit", "location": "36 22 12N 037 31 12E", "radius": 500, "time_start": T0, "time_end": T1},
        {"outline_polygon": {"vertices": SQUARE}, "radius": 0, "time_start": T0, "time_end": T1},
        {"outline_polygon": {"vertices": SQUARE}, "radius": {"value": 300, "units": "FT"},
         "time_start": T0, "time_end": T1, "version": 2}],
    3: [{"volumes": [volume()], "public": False, "admitted": ["alice", "bob.b-1_x"]},
        {"volumes": [volume(), volume([{"lat": -10, "lng": 179.9}, {"lat": -10, "lng": -179.9},
                                        {"lat": -9.9, "lng": -179.9}, {"lat": -10, "lng": 179.9}])]}],
}
KIND_OF_PATH = {"intents": 0, "hazards": 1, "sites": 2, "zones": 3}


def report(aircraft="4B1805", t=T0, **extra):
    r = {"aircraft": aircraft, "time": t, "position": {"lat": 36.1, "lng": 36.2}, "altitude": 3000}
    r.update(extra)
    return r


REPORTS = [
    [report()],
    [report(callsign="THY1", ground_speed=200, track=359.9, vertical_rate=-5,
            intent="g-route"),
     report("ABC", "2031-09-01T10:00:10.5Z", position="36 06N 036 12E",
            ground_speed={"value": 400, "units": "KT"}, track=0,
            vertical_rate={"value": 1500, "units": "FT/MIN"}, altitude={"value": 9000, "units": "FT"})],
]


def catalogue():
    doc = json.load(open(os.path.join(ROOT, "tests", "data", "api_bad_requests.json")))
    return doc["cases"]


def case_body(case):
    if "raw" in case:
        return case["raw"].encode("utf-8", "surrogateescape") if isinstance(case["raw"], str) else bytes(case["raw"])
    if "body" in case:
        return json.dumps(case["body"]).encode()
    return None


def main():
    for kind, bodies in BODIES.items():
        for b in bodies:
            put("submission", bytes([kind]) + json.dumps(b).encode())
    for case in catalogue():
        body = case_body(case)
        path = case.get("path", "")
        parts = path.split("?")[0].split("/")
        if body is not None and case.get("method") == "PUT" and len(parts) > 2 and parts[2] in KIND_OF_PATH:
            put("submission", bytes([KIND_OF_PATH[parts[2]]]) + body)
        if body is not None and path.startswith("/v1/tracks"):
            put("reports", body)
    for batch in REPORTS:
        put("reports", json.dumps(batch))
        put("reports", "\r\n".join(json.dumps(r) for r in batch) + "\n")


def lines(path, n):
    with open(path) as f:
        return "".join(f.readline() for _ in range(n))


BORDER_SQUARE = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"name": "Turkey", "ADMIN": "Turkey"},
     "geometry": {"type": "Polygon", "coordinates": [[[35.8, 35.8], [36.4, 35.8], [36.4, 36.2], [35.8, 36.2], [35.8, 35.8]],
                                                     [[36.0, 36.0], [36.1, 36.0], [36.1, 36.1], [36.0, 36.0]]]}},
    {"type": "Feature", "properties": {"name": "Syria"},
     "geometry": {"type": "MultiPolygon", "coordinates": [[[[35.0, 35.0], [35.5, 35.0], [35.5, 35.5], [35.0, 35.0]]]]}}]}


def replays():
    su24 = os.path.join(ROOT, "examples", "su24-2015")
    tracks = [{"name": "russia.csv", "csv": lines(os.path.join(su24, "track-russia-account.csv"), 12)},
              {"name": "turkey.csv", "csv": lines(os.path.join(su24, "track-turkey-account.csv"), 6)}]
    border = {"file": "border.geojson", "geojson": json.dumps(BORDER_SQUARE), "select": "Turkey",
              "name": "Turkey (square)", "licence": "CC0"}
    put("replay", json.dumps({"tracks": tracks[:1], "borders": [border]}))
    put("replay", json.dumps({"tracks": tracks, "borders": [border, dict(border, select="Syria")],
                              "sigma_m": 30, "samples": 10, "seed": 7, "share_with": ["bob"]}))
    put("replay", json.dumps({"tracks": tracks[:1], "borders": [{"file": "p.geojson", "geojson": json.dumps(
        BORDER_SQUARE["features"][0]["geometry"])}]}))
    for name in ("track-russia-account.csv", "track-turkey-account.csv"):
        put("csv", lines(os.path.join(su24, name), 40))


def scenarios():
    for d in sorted(os.listdir(os.path.join(ROOT, "examples"))):
        p = os.path.join(ROOT, "examples", d, "scenario.geojson")
        if os.path.exists(p):
            put("scenario", json.dumps(json.load(open(p)), separators=(",", ":")))
    put("scenario", read(ROOT, "tests", "data", "scenarios", "check-basic.geojson"))


def http(method, path, key, body=b"", headers=()):
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogateescape")
    head = f"{method} {path}\n"
    if key:
        head += f"Authorization: Bearer {key}\n"
    for h in headers:
        head += h + "\n"
    return head.encode("utf-8", "surrogateescape") + b"\n" + body


def requests():
    keys = {"alice": "alpha", "bob": "bravo", "carol": "charlie", "operator": "operator"}
    for case in catalogue():
        body = case_body(case)
        if body is None or "method" not in case or "wire" in case:
            continue
        put("request", http(case["method"], case["path"], keys.get(case.get("key"), case.get("key")), body))
    j = json.dumps
    for kind, bodies in BODIES.items():
        coll = ["intents", "hazards", "sites", "zones"][kind]
        for i, b in enumerate(bodies):
            put("request", http("PUT", f"/v1/{coll}/fz-{i}", "charlie", j(b)))
    for m, p, k, b in [
        ("GET", "/v1/health", None, ""), ("GET", "/metrics", "operator", ""),
        ("POST", "/v1/parties", "operator", j({"name": "delta", "notation": "dms", "priority_ceiling": 20})),
        ("GET", "/v1/parties/alpha", "operator", ""), ("PUT", "/v1/parties/bravo", "operator", j({"priority_ceiling": 50})),
        ("POST", "/v1/parties/charlie/key", "operator", ""), ("DELETE", "/v1/parties/charlie/key", "operator", ""),
        ("GET", "/v1/parties/me", "alpha", ""), ("PUT", "/v1/parties/me", "alpha", j({"notation": "utm"})),
        ("GET", "/v1/coordinates?lat=36.37&lng=37.52", "bravo", ""),
        ("GET", "/v1/intents?area=39,28,42,31&from=2031-09-01T00:00:00Z&to=2031-09-02T00:00:00%2B01:00", "charlie", ""),
        ("GET", "/v1/intents/existing", "charlie", ""), ("GET", "/v1/zones", "bravo", ""),
        ("DELETE", "/v1/intents/existing", "alpha", ""), ("GET", "/v1/sites/unit", "alpha", ""),
        ("GET", "/v1/notices?after=0", "alpha", ""), ("GET", "/v1/alerts?after=1", "alpha", ""),
        ("GET", "/v1/alerts/stream", "alpha", ""), ("GET", "/v1/audit?object=intent/alpha/existing", "operator", ""),
        ("GET", "/v1/messages", "alpha", ""), ("POST", "/v1/messages/1/ack", "alpha", j({"readback": "37SCA6750026200"})),
        ("POST", "/v1/messages", "alpha", j({"to": "bravo", "text": "at", "coordinates": ["36 22 12N 037 31 12E", "40N 29E"]})),
        ("POST", "/v1/grants", "bravo", j({"grantee": "alpha", "kind": "hazard"})),
        ("DELETE", "/v1/grants", "alpha", j({"grantee": "charlie", "kind": "intent"})),
        ("GET", "/v1/tracks", "alpha", ""),
    ]:
        put("request", http(m, p, k, b))
    put("request", http("GET", "/v1/alerts/stream", "alpha", "", ["Last-Event-ID: 3"]))
    for batch in REPORTS:
        put("request", http("POST", "/v1/tracks", "bravo", j(batch)))
        put("request", http("POST", "/v1/tracks", "bravo", "\n".join(j(r) for r in batch)))
    put("request", http("PUT", "/v1/hazards/over-unit", "bravo", j(
        {"hazard_kind": "strike", "volumes": [circle("36.37N 37.52E", 800)] , "from_message": 1})))
    put("request", http("PUT", "/v1/intents/crossing", "bravo", j(
        {"priority": 5, "volumes": [circle("40N 29E", 2500)]})))
    for f in os.listdir(os.path.join(ROOT, "fuzz", "corpus", "replay")):
        put("request", http("POST", "/v1/replays", "alpha", read(ROOT, "fuzz", "corpus", "replay", f)))


if __name__ == "__main__":
    requests()
    replays()
    scenarios()
    sys.exit(main())
