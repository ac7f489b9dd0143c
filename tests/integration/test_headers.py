"""test_headers.py - every answer carries the security headers: each route of docs/openapi.yaml by each method, with
and without a key, its refusals (401, 403, 404, 405, 413, 415, early 400 and 414), the alert stream, and every file of
the operations picture with its type and the page's Content-Security-Policy; /favicon.ico is served."""
import os
import socket

import yaml
from harness import SOURCE, Results, Server, raw_exchange, volume

DIST = os.path.join(SOURCE, "web", "dist")
API_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
COMMON = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "x-frame-options": "DENY",
          "cross-origin-resource-policy": "same-origin"}
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".json": "application/json", ".geojson": "application/geo+json", ".png": "image/png", ".ico": "image/x-icon",
         ".svg": "image/svg+xml"}
T0, T1 = "2033-01-01T10:00:00Z", "2033-01-01T11:00:00Z"
SQ = ["36.0N 37.0E", "36.0N 37.1E", "36.1N 37.1E", "36.1N 37.0E"]

r = Results("headers")


def api_headers(what, status, headers):
    for name, value in COMMON.items():
        r.equal(f"{what} ({status}): {name}", value, headers.get(name))
    r.equal(f"{what} ({status}): Content-Security-Policy", API_POLICY, headers.get("content-security-policy"))
    r.equal(f"{what} ({status}): Cache-Control", "no-store", headers.get("cache-control"))
    r.check(f"{what} ({status}): a Content-Type", bool(headers.get("content-type")), str(headers))


def directives(policy):
    out = {}
    for part in (policy or "").split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def page_headers(what, headers):
    for name, value in COMMON.items():
        r.equal(f"{what}: {name}", value, headers.get(name))
    d = directives(headers.get("content-security-policy"))
    for name, value in (("default-src", ["'self'"]), ("script-src", ["'self'"]), ("style-src", ["'self'"]),
                        ("connect-src", ["'self'"]), ("img-src", ["'self'"]), ("frame-ancestors", ["'none'"]),
                        ("object-src", ["'none'"]), ("base-uri", ["'none'"]), ("form-action", ["'none'"]),
                        ("require-trusted-types-for", ["'script'"]), ("trusted-types", ["default"])):
        r.equal(f"{what}: CSP {name}", value, d.get(name))
    policy = headers.get("content-security-policy", "")
    r.check(f"{what}: no inline script or style, no eval", all(w not in policy for w in (
        "unsafe-inline", "unsafe-eval", "unsafe-hashes", "data:", "blob:", "*")), policy)
    r.equal(f"{what}: Cache-Control", "no-cache", headers.get("cache-control"))


def stream_headers(server, key, path="/v1/alerts/stream"):
    """The head of an event stream (which stays open), as a dict in lower case."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    sock.close()
    lines = data.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    return int(lines[0].split()[1]), {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}


def raw_status(server, request):
    data = raw_exchange(server.port, request)
    lines = data.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    return int(lines[0].split()[1]), {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}


if not os.path.isfile(os.path.join(DIST, "index.html")):
    r.check("web/dist is built (node web/build.mjs BUILD/deconflict)", False, DIST)
    r.finish()
s = Server(extra_args=("--web", DIST))
try:
    alice, bob = s.party("alice"), s.party("bob")
    s.call("PUT", "/v1/intents/hdr-1", alice, {"priority": 1, "volumes": [volume(SQ, 0, 1000, T0, T1)]})
    s.call("POST", "/v1/messages", bob, {"to": "alice", "text": "hi", "coordinates": ["36.05N 37.05E"]})
    spec = yaml.safe_load(open(os.path.join(SOURCE, "docs/openapi.yaml")))
    operator_routes = {"/v1/parties", "/v1/parties/{name}", "/v1/parties/{name}/key", "/metrics"}
    calls = 0
    for route, item in spec["paths"].items():
        path = route.replace("{id}", "hdr-1" if "messages" not in route else "1").replace("{name}", "bob")
        if route == "/v1/audit":
            path += "?object=intent/alice/hdr-1"
        if route == "/v1/coordinates":
            path += "?lat=36.1&lng=37.1"
        for method in ("get", "put", "post", "delete"):
            if method not in item:
                continue
            if route in ("/v1/alerts/stream", "/v1/tracks/stream"):
                status, headers = stream_headers(s, alice, route)
                r.equal(f"the stream {route} opens", 200, status)
                r.equal(f"the stream {route}'s type", "text/event-stream", headers.get("content-type"))
                api_headers(f"GET {route}", status, headers)
                continue
            key = s.operator if route in operator_routes else alice
            body = {} if method in ("put", "post") else None
            for who, k in (("no key", None), ("a key", key)):
                if route == "/v1/parties/{name}/key" and k is not None:
                    continue  # rotating or revoking bob's key is no header matter; without a key it is refused
                status, headers, _ = s.call(method.upper(), path, k, body=body)
                api_headers(f"{method.upper()} {path} with {who}", status, headers)
                calls += 1
    r.check("every route of openapi.yaml was asked, with and without a key", calls >= 60, str(calls))

    # refusals made before or around the handlers
    for what, method, path, key, extra in (
            ("an unknown route", "GET", "/v1/nothing", alice, {}),
            ("a method not allowed", "PATCH", "/v1/intents/hdr-1", alice, {}),
            ("an id with markup", "GET", "/v1/intents/%3Cb%3E", alice, {}),
            ("an operator-only route", "GET", "/metrics", alice, {}),
            ("a body that is not JSON", "POST", "/v1/tracks", alice, {"raw": b"a,b", "headers": {"Content-Type": "text/csv"}}),
            ("a body over the limit", "PUT", "/v1/intents/big", alice, {"raw": b"{" + b" " * (1 << 21) + b"}"})):
        status, headers, _ = s.call(method, path, key, body=None, raw=extra.get("raw"), headers=extra.get("headers"))
        r.check(f"{what}: refused", status >= 400, str(status))
        api_headers(what, status, headers)
    status, headers = raw_status(s, b"GET /v1/intents/a%00b HTTP/1.1\r\nHost: x\r\n\r\n")
    r.equal("a NUL in the URL: 400", 400, status)
    api_headers("a NUL in the URL", status, headers)
    status, headers = raw_status(s, b"GET /v1/" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    r.equal("a long target: 414", 414, status)
    api_headers("a long target", status, headers)

    # every file of the operations picture, with its type and the page's policy
    files = []
    for folder, _, names in os.walk(DIST):
        files += [os.path.relpath(os.path.join(folder, n), DIST) for n in names]
    r.check("the picture has its page, scripts, styles, data and icon", {"index.html", "app.js", "policy.js", "style.css",
                                                                         "favicon.ico"} <= set(files), str(files))
    for f in sorted(files):
        ext = os.path.splitext(f)[1]
        status, headers, _ = s.call("GET", "/" + f.replace(os.sep, "/"))
        r.equal(f"/{f}: 200", 200, status)
        r.equal(f"/{f}: its type", TYPES.get(ext, "(an extension the test does not know)"), headers.get("content-type"))
        page_headers(f"/{f}", headers)
    status, headers, text = s.call("GET", "/")
    r.equal("/ is the page", (200, "text/html; charset=utf-8"), (status, headers.get("content-type")))
    r.check("/ is index.html", "<title>Deconflict" in text, text[:200])
    page_headers("/", headers)
    sock = socket.create_connection(("127.0.0.1", s.port), timeout=10)
    sock.sendall(b"GET /favicon.ico HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    sock.close()
    head, _, icon = data.partition(b"\r\n\r\n")
    r.check("/favicon.ico without a key: 200", head.startswith(b"HTTP/1.1 200"), head[:40])
    r.check("/favicon.ico is an icon", b"image/x-icon" in head and icon[:4] == b"\x00\x00\x01\x00", head.decode("latin-1"))
    for path in ("/nothing.js", "/vendor", "/vendor/", "/vendor/images", "/a..b"):
        status, headers, doc = s.call("GET", path)
        r.equal(f"{path}: 404, not 401", (404, "application/problem+json"), (status, headers.get("content-type")))
        api_headers(path, status, headers)
finally:
    s.stop()
    s.cleanup()
r.finish()
