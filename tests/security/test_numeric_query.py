"""test_numeric_query.py - a numeric query parameter (or Last-Event-ID) that overflows, or carries a sign or
blanks, is 400: ?after=99999999999999999999999 was read as the largest id and answered 200."""
from common import Results, Server, raw

r = Results("numeric_query")
s = Server()
try:
    alice = s.party("alice")
    bad = ["99999999999999999999999", "9223372036854775808", "18446744073709551616", "%2B5", "%205", "5%20", "-1",
           "0x10", "1e3", "", "%2D0"]
    for value in bad:
        for path, param in (("/v1/notices", "after"), ("/v1/alerts", "since")):
            status, headers, doc = s.call("GET", f"{path}?{param}={value}", alice)
            r.equal(f"{param}={value}: 400", 400, status)
            r.equal(f"{param}={value}: pointer", f"/{param}", doc.get("pointer") if isinstance(doc, dict) else doc)
        if "%20" in value:
            continue  # blanks around a header's value are not part of it (RFC 9110)
        status, headers, body, _ = raw(s, b"GET /v1/alerts/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + alice.encode()
                                       + b"\r\nLast-Event-ID: " + value.replace("%2B", "+").replace("%2D", "-").encode()
                                       + b"\r\n\r\n")
        r.equal(f"Last-Event-ID: {value}: 400", 400, status)
        r.equal(f"Last-Event-ID: {value}: problem+json", "application/problem+json", headers.get("content-type"))
    for value in ("0", "9223372036854775807", "007"):
        r.equal(f"after={value} is an id", 200, s.call("GET", f"/v1/notices?after={value}", alice)[0])
        r.equal(f"since={value} is an id", 200, s.call("GET", f"/v1/alerts?since={value}", alice)[0])
    for lat in ("1e999", "nan", "inf", "-0x5p1000"):
        status, _, doc = s.call("GET", f"/v1/coordinates?lat={lat}&lng=10", alice)
        r.equal(f"lat={lat}: 400", 400, status)
    status, _, doc = s.call("GET", "/v1/intents?area=1e999,0,1,1", alice)
    r.equal("an area of infinite degrees: 400", 400, status)
finally:
    s.stop()
    s.cleanup()
r.finish()
