"""test_path_bytes.py - a path with a NUL (raw, or %00 once decoded) or a byte outside the id alphabet is 400:
/v1/intents/alias%00x read, wrote and deleted 'alias', and a %00 cut query values short."""
from common import Results, Server, intent, raw, snapshot

r = Results("path_bytes")
s = Server()
try:
    alice = s.party("alice")
    r.equal("alice's intent 'alias'", 201, s.call("PUT", "/v1/intents/alias", alice, intent())[0])
    before = snapshot(s.db)
    for method in ("GET", "PUT", "DELETE"):
        for path in ("/v1/intents/alias%00x", "/v1/intents/alias%00", "/v1/notices%00x", "/v1/intents/ali%C3%A9s",
                     "/v1/intents/alias%0a", "/v1/intents/al%20ias", "/v1/notices?after=1%00junk",
                     "/v1/intents?area=36,37,37,38%00&from=2033-01-01T00:00:00Z&to=2033-01-02T00:00:00Z"):
            status, headers, doc = s.call(method, path, alice, intent() if method == "PUT" else None)
            r.equal(f"{method} {path}: 400", 400, status)
            r.equal(f"{method} {path}: problem+json", "application/problem+json", headers.get("content-type"))
    r.equal("nothing changed", before, snapshot(s.db))
    status, _, doc = s.call("GET", "/v1/intents/alias", alice)
    r.equal("'alias' is still there at version 1", (200, 1), (status, doc.get("version")))
    # a raw NUL byte in the request line, which libmicrohttpd hands on as the end of the path
    for method in (b"GET", b"DELETE"):
        status, headers, body, _ = raw(s, method + b" /v1/intents/alias\x00x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                                       + alice.encode() + b"\r\n\r\n")
        r.equal(f"raw NUL in a {method.decode()} path: 400", 400, status)
        r.equal(f"raw NUL in a {method.decode()} path: problem+json", "application/problem+json", headers.get("content-type"))
    status, _, _, _ = raw(s, b"GET /v1/notices?after=1\x00x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + alice.encode() + b"\r\n\r\n")
    r.equal("raw NUL in the query: 400", 400, status)
    r.equal("'alias' survived the DELETEs", 200, s.call("GET", "/v1/intents/alias", alice)[0])
    r.equal("a plain path still works", 200, s.call("GET", "/v1/notices?after=0", alice)[0])
    r.equal("as does a decoded letter", 200, s.call("GET", "/v1/intents/%61lias", alice)[0])
finally:
    s.stop()
    s.cleanup()
r.finish()
