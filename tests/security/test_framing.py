"""test_framing.py - a body framed two ways (two Content-Lengths, Content-Length with Transfer-Encoding, a repeated
or unknown Transfer-Encoding) is 400 problem+json and the connection is closed: what follows cannot be trusted to
be the request the sender meant (request smuggling)."""
import json

from common import Results, Server, intent, raw, snapshot

r = Results("framing")
s = Server()
try:
    alice = s.party("alice")
    auth = b"Authorization: Bearer " + alice.encode() + b"\r\n"
    body = json.dumps(intent()).encode()
    smuggled = (b"PUT /v1/intents/smuggled HTTP/1.1\r\nHost: x\r\n" + auth + b"Content-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n" % len(body) + body)
    before = snapshot(s.db)
    cases = [
        ("two different Content-Lengths", b"Content-Length: %d\r\nContent-Length: %d\r\n" % (len(body), len(body) + len(smuggled))),
        ("the same Content-Length twice", b"Content-Length: %d\r\nContent-Length: %d\r\n" % (len(body), len(body))),
        ("Content-Length and Transfer-Encoding", b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n" % len(body)),
        ("Transfer-Encoding and Content-Length", b"Transfer-Encoding: chunked\r\nContent-Length: %d\r\n" % len(body)),
        ("Transfer-Encoding twice", b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"),
        ("a transfer coding other than chunked", b"Transfer-Encoding: gzip\r\n"),
        ("chunked, then another coding", b"Transfer-Encoding: chunked, gzip\r\n"),
        ("two Content-Types", b"Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body)),
    ]
    for what, framing in cases:
        head = b"PUT /v1/intents/framed HTTP/1.1\r\nHost: x\r\n" + auth + b"Content-Type: application/json\r\n" + framing + b"\r\n"
        status, headers, doc, closed = raw(s, head + body + smuggled)
        r.equal(f"{what}: 400", 400, status)
        r.equal(f"{what}: problem+json", "application/problem+json", headers.get("content-type"))
        r.check(f"{what}: the connection is closed", closed)
    r.equal("neither the framed nor the smuggled request changed anything", before, snapshot(s.db))
    r.equal("no smuggled intent", 404, s.call("GET", "/v1/intents/smuggled", alice)[0])
    # one Content-Length, or chunked alone, is read
    head = b"PUT /v1/intents/framed HTTP/1.1\r\nHost: x\r\n" + auth + b"Content-Type: application/json\r\n"
    status, _, _, _ = raw(s, head + b"Transfer-Encoding: chunked\r\n\r\n%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
    r.equal("a chunked body alone is read", 201, status)
    status, _, _, _ = raw(s, b"GET /v1/notices HTTP/1.1\r\nHost: x\r\n" + auth + b"\r\n")
    r.equal("a request without a body needs no framing", 200, status)
finally:
    s.stop()
    s.cleanup()
r.finish()
