"""test_track_stream.py - GET /v1/tracks/stream: a snapshot of the caller's live tracks, then batches of
changes; only the caller's own aircraft (as GET /v1/tracks), nothing said when only others report, bounded
batches, a bounded number of streams, and no cursor to forge."""
import http.client
import json
import threading
import time

from harness import Results, Server


class TrackStream(threading.Thread):
    """An SSE client of the track stream: collects (event name, data) until stopped; keeps every raw byte."""

    def __init__(self, port, key, headers=None):
        super().__init__(daemon=True)
        self.port, self.key, self.extra = port, key, dict(headers or {})
        self.events, self.raw, self.ready, self.alive = [], b"", threading.Event(), True
        self.status = self.ctype = self.body = None

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Authorization": "Bearer " + self.key, **self.extra}
        conn.request("GET", "/v1/tracks/stream", headers=headers)
        resp = conn.getresponse()
        self.status, self.ctype = resp.status, resp.getheader("Content-Type")
        if resp.status != 200:
            self.body = json.loads(resp.read().decode())
            self.ready.set()
            conn.close()
            return
        self.ready.set()
        name, data = None, None
        while self.alive:
            try:
                line = resp.readline()
            except OSError:
                break
            if not line:
                break
            self.raw += line
            line = line.decode().rstrip("\n")
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                data = json.loads(line[6:])
            elif line == "" and data is not None:
                self.events.append((name, data))
                name, data = None, None
        conn.close()

    def aircraft(self):
        return {t["aircraft"] for _, d in self.events for t in d["tracks"]}

    def wait_for(self, predicate, timeout=5.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if predicate(self):
                return True
            time.sleep(0.05)
        return predicate(self)


def at(t):
    return f"2025-01-01T10:{t // 60:02d}:{t % 60:02d}Z"


def report(aircraft, t, lat, lng, alt=5000):
    return {"aircraft": aircraft, "time": at(t), "position": f"{lat:.5f}N {lng:.5f}E", "altitude": alt,
            "ground_speed": 150, "track": 90}


def opened(port, key, headers=None):
    st = TrackStream(port, key, headers)
    st.start()
    st.ready.wait(10)
    return st


r = Results("track_stream")
s = Server(extra_args=("--new-aircraft-per-minute", "10000", "--new-aircraft-alert", "10000"))
streams = []
try:
    red, blue = s.party("red"), s.party("blue")
    status, _, doc = s.call("GET", "/v1/tracks/stream")
    r.equal("no key: 401", 401, status)
    status, _, doc = s.call("GET", "/v1/tracks/stream", s.operator)
    r.equal("the operator has no tracks to stream: 403", 403, status)
    for cursor in ("7", "garbage\u00e9", "99999999999999999999999", ""):
        status, headers, doc = s.call("GET", "/v1/tracks/stream", red, headers={"Last-Event-ID": cursor.encode("utf-8").decode("latin-1")})
        r.check(f"a Last-Event-ID ({cursor!r}) is a 400 problem, not a stream",
                status == 400 and headers.get("content-type", "").startswith("application/problem+json"), (status, doc))

    rs, bs = opened(s.port, red), opened(s.port, blue)
    streams += [rs, bs]
    r.equal("the stream opens as text/event-stream", (200, "text/event-stream"), (rs.status, rs.ctype))
    r.check("each opens with a snapshot, empty here", all(st.wait_for(lambda x: len(x.events) >= 1) for st in (rs, bs)))
    r.equal("an empty snapshot says so", ("tracks", {"tracks": [], "gone": [], "snapshot": True, "more": False}),
            rs.events[0] if rs.events else None)

    # red's two aircraft, blue's one: each stream carries its own and only its own
    s.call("POST", "/v1/tracks", red, [report("R1", 0, 36.0, 37.0), report("R2", 0, 36.1, 37.0)])
    s.call("POST", "/v1/tracks", blue, [report("B1", 0, 36.0, 37.01)])  # 900 m from R1: alerts flow too
    r.check("red's changes arrive within 1.5 s", rs.wait_for(lambda x: x.aircraft() >= {"R1", "R2"}, 1.5), rs.events)
    r.check("blue's within 1.5 s", bs.wait_for(lambda x: "B1" in x.aircraft(), 1.5), bs.events)
    first = [t for _, d in rs.events for t in d["tracks"] if t["aircraft"] == "R1"][0]
    listed = [t for t in s.call("GET", "/v1/tracks", red)[2]["items"] if t["aircraft"] == "R1"][0]
    r.equal("a streamed track is the track GET /v1/tracks lists", listed, first)
    red_count = len(rs.events)
    blue_before = len(bs.events)
    # red reports on, for three ticks; blue is told nothing at all (not even an empty batch)
    for k in range(1, 7):
        s.call("POST", "/v1/tracks", red, [report("R1", k * 5, 36.0, 37.0 + 0.005 * k), report("R2", k * 5, 36.1, 37.0)])
        time.sleep(0.25)
    time.sleep(0.8)
    r.equal("only red's reports: blue's stream stays silent", blue_before, len(bs.events))
    r.check("red's reports came in batches, at most one a tick (2 s of reports: <= 6 batches)",
            0 < len(rs.events) - red_count <= 6, len(rs.events) - red_count)
    r.equal("red never sees blue's aircraft", {"R1", "R2"}, rs.aircraft())
    r.equal("blue never sees red's aircraft (no grant makes another's track a party's)", {"B1"}, bs.aircraft())
    r.check("no change number (which counts every party's reports) reaches a client",
            all(set(d) == {"tracks", "gone", "snapshot", "more"} for _, d in rs.events + bs.events), rs.events[:2])
    r.check("nor any id line", b"\nid:" not in rs.raw and not rs.raw.startswith(b"id:"))

    # a snapshot larger than a batch comes in batches of 2,000, each marked, the last with more false
    s.call("POST", "/v1/tracks", blue, [report(f"M{i:05d}", 40, 30.0 + (i // 100) * 0.05, 30.0 + (i % 100) * 0.05)
                                        for i in range(4500)])
    big = opened(s.port, blue)
    streams.append(big)
    r.check("a new stream's snapshot of 4,501 tracks arrives", big.wait_for(lambda x: len(x.aircraft()) >= 4501, 10),
            len(big.aircraft()))
    shape = [(len(d["tracks"]), d["snapshot"], d["more"]) for _, d in big.events[:3]]
    r.equal("in batches of at most 2,000, each a part of the snapshot", [(2000, True, True), (2000, True, True), (501, True, False)], shape)
    r.check("the older stream got the 4,500 as changes, never as a snapshot",
            bs.wait_for(lambda x: len(x.aircraft()) >= 4501, 10) and not any(d["snapshot"] for _, d in bs.events[1:]))

    # a party holds at most four track streams; a fifth is 429, another party's are not counted
    for _ in range(2):
        streams.append(opened(s.port, blue))
    fifth = opened(s.port, blue)
    streams.append(fifth)
    r.equal("blue's fifth track stream: 429 with Retry-After", 429, fifth.status)
    r.check("as a problem", isinstance(fifth.body, dict) and fifth.body.get("status") == 429, fifth.body)
    third = opened(s.port, red)
    streams.append(third)
    r.equal("red's second stream still opens", 200, third.status)

    # tracks time out 120 s of report time after their last report: they are said to be gone
    s.call("POST", "/v1/tracks", red, [report("R3", 200, 36.5, 37.5)])
    r.check("R1 and R2 are gone from red's stream once timed out",
            rs.wait_for(lambda x: {"R1", "R2"} <= {g for _, d in x.events for g in d["gone"]}, 3),
            [d for _, d in rs.events[-3:]])
    r.check("and R3 arrives", "R3" in rs.aircraft())
    later = opened(s.port, red)
    streams.append(later)
    r.check("a fresh snapshot holds only the live ones", later.wait_for(
        lambda x: {t["aircraft"] for _, d in x.events if d["snapshot"] for t in d["tracks"]} == {"R3"}, 3), later.events)
    r.check("and never names in `gone` what it never showed",
            all(not d["gone"] for _, d in later.events if d["snapshot"]), later.events)
finally:
    for st in streams:
        st.alive = False
    s.stop()
    s.cleanup()
r.finish()
