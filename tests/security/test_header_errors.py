"""test_header_errors.py - a long request target and large headers are refused as problem+json (414, 431) while
libmicrohttpd lets the server see them; what libmicrohttpd answers by itself (HTML) is what
docs/SECURITY-INPUT.md says it is."""
import os
import re

from common import SOURCE, Results, Server, raw

r = Results("header_errors")
doc = open(os.path.join(SOURCE, "docs/SECURITY-INPUT.md")).read()
own = doc.split("## Answered by libmicrohttpd itself")[1]
documented = {int(m) for m in re.findall(r"^\| (\d{3}) \|", own, re.M)}
s = Server()
try:
    alice = s.party("alice")
    auth = b"Authorization: Bearer " + alice.encode() + b"\r\n"
    ours = [
        ("a 5,000-byte request target", b"GET /v1/intents/" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n" + auth + b"\r\n", 414),
        ("a 5,000-byte query", b"GET /v1/notices?x=" + b"1" * 5000 + b" HTTP/1.1\r\nHost: x\r\n" + auth + b"\r\n", 414),
        ("20,000 bytes of headers", b"GET /v1/notices HTTP/1.1\r\nHost: x\r\n" + auth + b"X-Pad: " + b"p" * 20000 + b"\r\n\r\n", 431),
        ("400 small headers", b"GET /v1/notices HTTP/1.1\r\nHost: x\r\n" + auth
         + b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 40) for i in range(400)) + b"\r\n", 431),
    ]
    for what, request, expected in ours:
        status, headers, body, closed = raw(s, request)
        r.equal(f"{what}: {expected}", expected, status)
        r.equal(f"{what}: problem+json", "application/problem+json", headers.get("content-type"))
    mhd = [
        ("HTTP/2.0", b"GET /v1/health HTTP/2.0\r\nHost: x\r\n\r\n", 505),
        ("HTTP/x", b"GET /v1/health HTTP/x\r\nHost: x\r\n\r\n", 400),
        ("a header line without a colon", b"GET /v1/health HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", 400),
        ("Content-Length: abc", b"PUT /v1/intents/x HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400),
        ("Content-Length beyond 64 bits", b"PUT /v1/intents/x HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n", 413),
        ("a chunk size that is not hexadecimal", b"PUT /v1/intents/x HTTP/1.1\r\nHost: x\r\n" + auth
         + b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", 400),
        ("a 100,000-byte request target", b"GET /v1/intents/" + b"a" * 100000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        ("100,000 bytes of headers", b"GET /v1/notices HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * 100000 + b"\r\n\r\n", 431),
    ]
    for what, request, expected in mhd:
        status, headers, body, closed = raw(s, request)
        r.equal(f"libmicrohttpd answers {what} with {expected}", expected, status)
        r.check(f"{what}: {expected} is in docs/SECURITY-INPUT.md's list of libmicrohttpd's own answers", expected in documented,
                str(sorted(documented)))
        # for a bad Content-Length, 0.9.75 writes its status line and headers twice before the page
        r.check(f"{what}: as the document says, HTML without a Content-Type",
                "content-type" not in headers and b"<html>" in body and b"problem+json" not in body, repr((headers, body[:80])))
        r.check(f"{what}: and the connection closed", closed)
    r.equal("the server still answers", 200, s.call("GET", "/v1/health")[0])
finally:
    s.stop()
    s.cleanup()
r.finish()
