"""test_identifiers.py - names other parties see keep to their grammar and come back normalised (an aircraft in
either case is one track, written upper case); free texts with markup are kept byte for byte and come back as JSON
strings, never as anything a browser would render (the refusals are in tests/data/api_bad_requests.json)."""
import json

from common import T0, T1, Results, Server, intent, snapshot

LABEL = '<img src=x onerror="alert(document.cookie)"><script>alert(1)</script> & "quoted" \'too\' \u202e'
TEXT = "</q><svg onload=alert(1)>\n<b>bold?</b> {{7*7}} ${7*7} javascript:alert(1)"

r = Results("security_identifiers")
s = Server()
try:
    alice, bob = s.party("alice"), s.party("bob")

    def report(aircraft, sec, **kw):
        return dict({"aircraft": aircraft, "time": f"2025-07-01T10:00:{sec:02d}Z", "position": f"36.1N {37 + sec * 0.002:.4f}E",
                     "altitude": 3000}, **kw)

    status, _, doc = s.call("POST", "/v1/tracks", alice, [report("4baac6", 0, callsign="thy9bp"), report("4BAAC6", 10),
                                                          report("ely1747", 0)])
    r.equal("lower- and upper-case reports are taken", (200, 3), (status, doc.get("accepted")))
    status, _, doc = s.call("GET", "/v1/tracks", alice)
    names = sorted(t["aircraft"] for t in doc.get("items", []))
    r.equal("4baac6 and 4BAAC6 are one track, written upper case; a callsign likewise", ["4BAAC6", "ELY1747"], names)
    r.equal("every name read back fits the grammar", True,
            all(n.isascii() and n.isalnum() and n.upper() == n and 1 <= len(n) <= 8 for n in names))
    status, _, doc = s.call("POST", "/v1/tracks", alice, [report("abcdefgh", 20), report("12345678", 20)])
    r.equal("8 characters are an aircraft's most", (200, 2), (status, doc.get("accepted")))

    # an id of any case is kept as its owner wrote it, and ids with dots among other bytes are fine
    for oid in ("3F2504E0-4f89-11D3-9A0C-0305E82C3301", "a..b", ".x", "x.", "_-_"):
        status, _, doc = s.call("PUT", f"/v1/intents/{oid}", alice, intent(t0=T0, t1=T1, vertices=[
            "10.0N 10.0E", "10.0N 10.1E", "10.1N 10.1E", "10.1N 10.0E"]))
        r.equal(f"intent id {oid!r} is taken as given", (201, oid), (status, doc.get("id")))
        s.call("DELETE", f"/v1/intents/{oid}", alice)

    # free texts: stored as given, returned as JSON strings with the API's headers
    site = {"label": LABEL, "location": "36.5N 38.5E", "radius": 500, "time_start": T0, "time_end": T1}
    status, headers, doc = s.call("PUT", "/v1/sites/s1", bob, site)
    r.equal("a site label with markup is taken", 201, status)
    r.equal("and returned byte for byte", LABEL, s.call("GET", "/v1/sites/s1", bob)[2].get("label"))
    status, _, doc = s.call("POST", "/v1/messages", bob, {"to": "alice", "text": TEXT, "coordinates": ["36.05N 37.05E"]})
    r.equal("a message text with markup is taken", 201, status)
    status, headers, doc = s.call("GET", "/v1/messages", alice)
    got = [m["text"] for m in doc.get("items", []) if m["from"] == "bob"]
    r.equal("the recipient reads it byte for byte", [TEXT], got)
    r.equal("as JSON", "application/json", headers.get("content-type"))
    r.equal("that a browser must not sniff", "nosniff", headers.get("x-content-type-options"))
    r.check("nor run, if opened on its own", "default-src 'none'" in headers.get("content-security-policy", ""),
            headers.get("content-security-policy"))

    # a refused name changes nothing: the batch is refused whole
    before = snapshot(s.db)
    status, _, doc = s.call("POST", "/v1/tracks", bob, [report("B0B001", 0), report("<b>x</b>", 0)])
    r.equal("a batch with one bad name is refused, naming it", (400, "/1/aircraft"), (status, doc.get("pointer")))
    r.check("the refusal does not echo the name", "<b>" not in json.dumps(doc), json.dumps(doc))
    r.equal("and stores nothing", before, snapshot(s.db))
finally:
    s.stop()
    s.cleanup()
r.finish()
