"""test_bad_input.py - the bad-request catalogue: each gets its status and problem type, and the store is unchanged."""
import copy
import math
import hashlib
import json
import os

from harness import SOURCE, Results, Server, raw_exchange, store_digest, volume

T0, T1 = "2033-01-01T10:00:00Z", "2033-01-01T11:00:00Z"
SQ = ["36.0N 37.0E", "36.0N 37.1E", "36.1N 37.1E", "36.1N 37.0E"]
catalogue = json.load(open(os.path.join(SOURCE, "tests/data/api_bad_requests.json")))["cases"]


def snapshot(db):
    """A digest of everything the store holds."""
    return store_digest(db)


def wire(server, request):
    """The whole request as bytes on a socket: (status, headers, parsed body) of the answer."""
    data = raw_exchange(server.port, request)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    text = body.decode("utf-8", "replace")
    status = int(lines[0].split()[1]) if lines[0].startswith("HTTP/") else None  # None: no answer at all
    return status, headers, json.loads(text) if "json" in headers.get("content-type", "") else text


def make(spec):
    kind, n = spec.split(":")
    n = int(n)
    base = {"priority": 1, "volumes": [volume(SQ, 0, 1000, T0, T1)]}
    if kind == "vertices":
        base["volumes"][0]["outline_polygon"]["vertices"] = [{"lat": 36.0, "lng": 37.0}] * n
    elif kind == "volumes":
        base["volumes"] = [copy.deepcopy(base["volumes"][0]) for _ in range(n)]
    elif kind == "total":
        ring = ["%.5f,%.5f" % (36.0 + 0.01 * math.sin(2 * math.pi * i / 953),
                               37.0 + 0.01 * math.cos(2 * math.pi * i / 953)) for i in range(953)]
        base["volumes"] = [volume(ring, 0, 1000, T0, T1) for _ in range(n)]
    elif kind == "legs":
        base = {"priority": 1, "route": {
            "waypoints": [{"position": {"lat": 36.0, "lng": 37.0 + 0.001 * i}, "altitude": 100,
                           "time": T0} for i in range(n)],
            "buffers": {"lateral": 100, "vertical": 50, "time": 10}}}
    elif kind == "bytes":
        text = json.dumps(base)
        return (text[:-1] + " " * (n - len(text)) + "}").encode()
    return json.dumps(base).encode()


r = Results("bad_input")
s = Server()
try:
    keys = {"alice": s.party("alice"), "bob": s.party("bob"), "operator": s.operator, "none": None}
    status, _, _ = s.call("PUT", "/v1/intents/existing", keys["alice"], {"priority": 1, "volumes": [volume(SQ, 0, 1000, T0, T1)]})
    r.equal("the fixture intent exists", 201, status)
    # message 1: bob to alice, confirmed, for hazards that cite it
    status, _, sent = s.call("POST", "/v1/messages", keys["bob"], {"to": "alice", "text": "here", "coordinates": ["36.05N 37.05E"]})
    shown = s.call("GET", "/v1/messages", keys["alice"])[2]["items"][0]["coordinates"][0]["readback"]
    digest = hashlib.blake2b(shown.encode(), digest_size=32).hexdigest()
    status, _, _ = s.call("POST", f"/v1/messages/{sent['id']}/ack", keys["alice"], {"digest": digest})
    r.equal("the fixture message 1 is confirmed", (1, 200), (sent["id"], status))
    before = snapshot(s.db)
    r.check("the catalogue has at least 60 requests", len(catalogue) >= 60, str(len(catalogue)))
    for case in catalogue:
        raw = None
        if "make" in case:
            raw = make(case["make"])
        elif "raw" in case:
            raw = case["raw"].encode("utf-8", "surrogateescape")
        if "wire" in case:
            status, headers, doc = wire(s, case["wire"].replace("{key}", keys[case["key"]]).encode("latin-1"))
        else:
            status, headers, doc = s.call(case["method"], case["path"], keys[case["key"]],
                                          body=case.get("body"), raw=raw, headers=case.get("headers"))
        what = case["name"]
        r.equal(f"{what}: status", case["status"], status)
        r.equal(f"{what}: problem+json", "application/problem+json", headers.get("content-type"))
        if isinstance(doc, dict):
            r.equal(f"{what}: type", case["type"], doc.get("type"))
            r.check(f"{what}: a detail", isinstance(doc.get("detail"), str) and doc["detail"], str(doc))
            if "pointer" in case:
                r.equal(f"{what}: pointer", case["pointer"], doc.get("pointer"))
        r.equal(f"{what}: nothing changed in the store", before, snapshot(s.db))
    print(f"bad_input: {len(catalogue)} bad requests", flush=True)
finally:
    s.stop()
    s.cleanup()
r.finish()
