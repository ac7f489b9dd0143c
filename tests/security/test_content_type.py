"""test_content_type.py - a request with a body must say it is JSON (or NDJSON for position reports): any other
Content-Type, or none, is 415 problem+json and changes nothing."""
import json

from common import Results, Server, intent, raw, snapshot

r = Results("content_type")
s = Server()
try:
    alice = s.party("alice")
    before = snapshot(s.db)
    body = json.dumps(intent()).encode()
    refused = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
               "application/json; charset=latin-1", "application/jsonx", "application/json-patch+json",
               "application/x-ndjson", "text/json", "application/json; charset=utf-8; x=y", ""]
    for ctype in refused:
        status, headers, doc = s.call("PUT", "/v1/intents/ct", alice, raw=body, headers={"Content-Type": ctype})
        r.equal(f"PUT with Content-Type {ctype!r}: 415", 415, status)
        r.equal(f"PUT with Content-Type {ctype!r}: problem+json", "application/problem+json", headers.get("content-type"))
        r.equal(f"PUT with Content-Type {ctype!r}: type", "/problems/unsupported-media-type", doc.get("type") if isinstance(doc, dict) else doc)
    status, headers, _, _ = raw(s, b"PUT /v1/intents/ct HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + alice.encode()
                                + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    r.equal("a body with no Content-Type at all: 415", 415, status)
    status, _, _, _ = raw(s, b"PUT /v1/intents/ct HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + alice.encode()
                          + b"\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
    r.equal("a chunked body as text/plain: 415", 415, status)
    for method, path, doc in [("POST", "/v1/parties", {"name": "mallory"}), ("POST", "/v1/grants", {"grantee": "x", "kind": "intent"}),
                              ("POST", "/v1/messages", {"to": "x", "text": "t", "coordinates": ["10N 10E"]}),
                              ("PUT", "/v1/parties/me", {"notation": "dms"})]:
        key = s.operator if path == "/v1/parties" else alice
        status, _, _ = s.call(method, path, key, raw=json.dumps(doc).encode(), headers={"Content-Type": "text/plain"})
        r.equal(f"{method} {path} as text/plain: 415", 415, status)
    report = json.dumps({"aircraft": "AC1", "time": "2033-01-01T10:00:00Z", "position": "36.05N 37.05E", "altitude": 1000})
    status, _, _ = s.call("POST", "/v1/tracks", alice, raw=report.encode(), headers={"Content-Type": "text/csv"})
    r.equal("position reports as text/csv: 415", 415, status)
    r.equal("nothing changed", before, snapshot(s.db))
    for ctype in ("application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8",
                  "application/json; charset=\"utf-8\""):
        status, _, _ = s.call("PUT", "/v1/intents/ct", alice, raw=body, headers={"Content-Type": ctype})
        r.check(f"PUT as {ctype!r} is read", status in (200, 201), str(status))
        s.call("DELETE", "/v1/intents/ct", alice)
    status, _, doc = s.call("POST", "/v1/tracks", alice, raw=(report + "\n" + report.replace("10:00:00", "10:00:05")).encode(),
                            headers={"Content-Type": "application/x-ndjson"})
    r.equal("position reports as application/x-ndjson", (200, 2), (status, doc.get("received") if isinstance(doc, dict) else doc))
    r.equal("a GET with no body needs no Content-Type", 200, s.call("GET", "/v1/notices", alice)[0])
finally:
    s.stop()
    s.cleanup()
r.finish()
