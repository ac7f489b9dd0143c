"""test_http_conventions.py - the API follows HTTP's conventions (issue 17, API): a problem's type
names the failure by its HTTP status where the status alone says it, with a matching title, and
resolves to a page that documents it; 405 carries Allow; HEAD answers where GET does, without a
body; a route refuses query parameters it does not read (and one given twice); an object's ETag is
its version, and If-Match / If-None-Match are preconditions on writes (412) and reads (304)."""
import http.client
import json

from harness import Results, Server, circle

T0, T1 = "2032-03-01T00:00:00Z", "2032-03-01T06:00:00Z"
BODY = {"volumes": [circle("10.0N 10.0E", 500, 0, 100, T0, T1)]}


def head(s, path, key):
    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
    conn.request("HEAD", path, headers={"Authorization": "Bearer " + key})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body


r = Results("http_conventions")
s = Server(["--quiet"])
try:
    a, b = s.party("alpha"), s.party("bravo")

    # --- problem types: by the HTTP status where it names the failure, each documented ---
    seen = {}
    cases = [
        ("no key", ("GET", "/v1/notices", None, None), 401, "/problems/unauthorized", "Unauthorized"),
        ("a wrong key", ("GET", "/v1/notices", "dck_nope", None), 401, "/problems/unauthorized", "Unauthorized"),
        ("operator-only route", ("GET", "/metrics", a, None), 403, "/problems/forbidden", "Forbidden"),
        ("no such route", ("GET", "/v1/nothing", a, None), 404, "/problems/not-found", "Not found"),
        ("wrong method", ("PATCH", "/v1/notices", a, None), 405, "/problems/method-not-allowed", "Method not allowed"),
        ("unknown query parameter", ("GET", "/v1/notices?foo=1", a, None), 400, "/problems/invalid", "Invalid input"),
    ]
    for what, (method, path, key, body), status, ptype, title in cases:
        got, headers, doc = s.call(method, path, key, body)
        r.equal(f"{what}: status", status, got)
        r.equal(f"{what}: type", ptype, doc.get("type") if isinstance(doc, dict) else doc)
        r.equal(f"{what}: title", title, doc.get("title") if isinstance(doc, dict) else doc)
        r.equal(f"{what}: problem+json", "application/problem+json", headers.get("content-type"))
        seen[ptype] = True
    status, headers, doc = s.call("PUT", "/v1/intents/x", a, raw=b"{}", headers={"Content-Type": "text/plain"})
    r.equal("a body as text/plain: 415 unsupported-media-type", (415, "/problems/unsupported-media-type"),
            (status, doc.get("type")))
    seen[doc.get("type")] = True
    # every type the server gave resolves, without a key, to its documentation; others do not
    for ptype in list(seen) + ["/problems/precondition-failed", "/problems/rate-limited", "/problems/limit"]:
        status, headers, page = s.call("GET", ptype)
        r.check(f"{ptype} resolves to a page", status == 200 and "text/html" in headers.get("content-type", "")
                and ptype in page, f"{status} {headers.get('content-type')}")
    status, _, index = s.call("GET", "/problems")
    r.check("/problems lists the types", status == 200 and "/problems/unauthorized" in index
            and "/problems/stale" in index, str(status))
    status, _, doc = s.call("GET", "/problems/nope")
    r.equal("an unknown problem type is 404", (404, "/problems/not-found"), (status, doc.get("type")))
    status, _, doc = s.call("GET", "/problems/%3Cscript%3E")
    r.equal("a problem name is never echoed as markup", 400, status)

    # --- 405 with Allow; HEAD where GET is ---
    for method, path, allow in [("PATCH", "/v1/notices", {"GET", "HEAD"}),
                                ("POST", "/v1/intents/x", {"GET", "HEAD", "PUT", "DELETE"}),
                                ("PUT", "/v1/tracks", {"GET", "HEAD", "POST"}),
                                ("GET", "/v1/grants", {"POST", "DELETE"}),
                                ("GET", "/v1/messages/1/ack", {"POST"}),
                                ("DELETE", "/v1/emergencies", {"GET", "HEAD"})]:
        status, headers, _ = s.call(method, path, a)
        given = {m.strip() for m in headers.get("allow", "").split(",") if m.strip()}
        r.equal(f"{method} {path}: 405 with Allow", (405, allow), (status, given))
    s.call("PUT", "/v1/intents/h", a, BODY)
    for path in ["/v1/intents/h", "/v1/intents", "/v1/notices", "/v1/parties/me", "/v1/tracks"]:
        got, gh, gbody = s.call("GET", path, a)
        hs, hh, hbody = head(s, path, a)
        r.equal(f"HEAD {path}: status as GET, no body", (got, b""), (hs, hbody))
        r.equal(f"HEAD {path}: same content type as GET", gh.get("content-type"), hh.get("content-type"))
    hs, hh, hbody = head(s, "/v1/alerts/stream", a)
    r.equal("HEAD of the alert stream: 200 event-stream, no events", (200, "text/event-stream", b""),
            (hs, hh.get("content-type"), hbody))

    # --- query parameters: refused unless the route reads them, never twice ---
    for path in ["/v1/intents?bogus=1", "/v1/intents/h?version=1", "/v1/notices?since=1", "/v1/alerts?after=1",
                 "/v1/audit?from=1", "/v1/messages?after=1", "/v1/tracks?party=x", "/v1/parties/me?x=",
                 "/v1/alerts/stream?after=1", "/v1/coordinates?lat=1&lng=2&notation=dms",
                 "/v1/emergencies?x=1", "/v1/notices?limit=5&limit=6"]:
        status, _, doc = s.call("GET", path, a)
        r.check(f"GET {path}: 400 naming the parameter", status == 400 and doc.get("type") == "/problems/invalid"
                and ("unknown query parameter" in doc.get("detail", "") or "twice" in doc.get("detail", "")),
                f"{status} {doc}")
    status, _, doc = s.call("PUT", "/v1/intents/q?dry_run=1", a, BODY)
    r.equal("a write with an unknown query parameter is refused", 400, status)
    status, _, doc = s.call("GET", "/v1/intents/q", a)
    r.equal("... and changed nothing", 404, status)
    status, _, doc = s.call("GET", "/v1/intents?" + "&".join(f"p{i}=1" for i in range(40)), a)
    r.equal("forty query parameters: 400", 400, status)
    for path in ["/v1/intents?limit=2&area=9,9,11,11", "/v1/notices?after=0&limit=3",
                 "/v1/alerts?since=0", "/v1/coordinates?lat=1&lng=2", "/v1/audit?object=intent/alpha/h"]:
        status, _, doc = s.call("GET", path, a)
        r.equal(f"GET {path}: the parameters it reads are taken", 200, status)

    # --- the operator lists the parties, a page at a time; a party may not ---
    names, path = [], "/v1/parties?limit=1"
    while path:
        status, headers, doc = s.call("GET", path, s.operator)
        r.equal(f"GET {path} by the operator", 200, status)
        names += [p["name"] for p in doc.get("items", [])]
        r.check("a page holds at most its limit", len(doc.get("items", [])) <= 1, str(doc)[:200])
        r.check("no key is ever listed", all(p.get("key") in ("active", "revoked") for p in doc.get("items", [])),
                str(doc)[:200])
        path = doc.get("next")
        if len(names) > 10:
            break
    r.equal("every party, once, by name", ["alpha", "bravo"], names)
    status, _, doc = s.call("GET", "/v1/parties", a)
    r.equal("a party may not list the parties", 403, status)
    status, _, doc = s.call("GET", "/v1/parties?limit=1&cursor=AAAA", s.operator)
    r.equal("a cursor the server did not give: 400", 400, status)

    # --- ETag = version; If-Match / If-None-Match ---
    status, headers, doc = s.call("PUT", "/v1/intents/e", a, BODY, headers={"If-None-Match": "*"})
    r.equal("create with If-None-Match: * -> 201, ETag \"1\"", (201, '"1"'), (status, headers.get("etag")))
    status, headers, doc = s.call("PUT", "/v1/intents/e", a, BODY, headers={"If-None-Match": "*"})
    r.equal("again with If-None-Match: * -> 412", (412, "/problems/precondition-failed", '"1"'),
            (status, doc.get("type"), headers.get("etag")))
    status, headers, doc = s.call("GET", "/v1/intents/e", a)
    r.equal("GET: ETag is the version", ('"1"', 1), (headers.get("etag"), doc.get("version")))
    status, headers, body = s.call("GET", "/v1/intents/e", a, headers={"If-None-Match": '"1"'})
    r.equal("GET with the tag held: 304, ETag, no body", (304, '"1"', ""), (status, headers.get("etag"), body))
    status, headers, doc = s.call("GET", "/v1/intents/e", a, headers={"If-None-Match": '"9", "8"'})
    r.equal("GET with other tags: 200", 200, status)
    status, headers, doc = s.call("PUT", "/v1/intents/e", a, BODY, headers={"If-Match": '"2"'})
    r.equal("update with a stale If-Match -> 412 with the current tag", (412, '"1"'), (status, headers.get("etag")))
    status, headers, doc = s.call("PUT", "/v1/intents/e", a, BODY, headers={"If-Match": 'W/"1"'})
    r.equal("a weak tag never matches strongly -> 412", 412, status)
    for bad in ["1", '"1', '"x"', '"1" junk', ""]:
        status, _, doc = s.call("PUT", "/v1/intents/e", a, BODY, headers={"If-Match": bad})
        r.equal(f"If-Match {bad!r}: 400", 400, status)
    status, headers, doc = s.call("PUT", "/v1/intents/e", a, BODY, headers={"If-Match": '"1"'})
    r.equal("update with If-Match \"1\" and no body version -> 200, ETag \"2\"", (200, '"2"', 2),
            (status, headers.get("etag"), doc.get("version")))
    status, _, doc = s.call("PUT", "/v1/intents/e", a, dict(BODY, version=1), headers={"If-Match": '"2"'})
    r.equal("If-Match holds but the body's version is stale -> 409 stale", (409, "/problems/stale"),
            (status, doc.get("type")))
    status, _, doc = s.call("PUT", "/v1/intents/e", a, BODY)
    r.equal("an update with neither a version nor If-Match is still 409 stale", 409, status)
    status, _, doc = s.call("PUT", "/v1/intents/new", a, BODY, headers={"If-Match": "*"})
    r.equal("If-Match: * on an object that does not exist -> 412", 412, status)
    status, _, doc = s.call("GET", "/v1/intents/new", a)
    r.equal("... and nothing was created", 404, status)
    # another party's object of the same id is another object: its version is not learnt
    status, headers, doc = s.call("PUT", "/v1/intents/e", b, BODY, headers={"If-Match": '"2"'})
    r.check("bravo's If-Match on its own (absent) e: 412 without alpha's tag",
            status == 412 and "etag" not in headers and "version 2" not in doc.get("detail", ""), f"{status} {headers}")
    status, headers, doc = s.call("DELETE", "/v1/intents/e", a, headers={"If-Match": '"1"'})
    r.equal("DELETE with a stale If-Match -> 412", (412, '"2"'), (status, headers.get("etag")))
    status, _, doc = s.call("GET", "/v1/intents/e", a)
    r.equal("... and it is still there", 200, status)
    status, _, doc = s.call("DELETE", "/v1/intents/e", a, headers={"If-Match": '"2"'})
    r.equal("DELETE with the current tag -> 200", 200, status)
finally:
    s.stop()
    s.cleanup()
r.finish()
