"""test_alerts.py - live tracks over the server: each party's SSE stream carries exactly its own alerts."""
import http.client
import json
import threading
import time

from harness import Results, Server, volume


class Stream(threading.Thread):
    """An SSE client: collects (id, event) until stopped."""

    def __init__(self, port, key, last_event_id=None):
        super().__init__(daemon=True)
        self.port, self.key, self.last = port, key, last_event_id
        self.events, self.ready, self.alive = [], threading.Event(), True

    def run(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Authorization": "Bearer " + self.key}
        if self.last is not None:
            headers["Last-Event-ID"] = str(self.last)
        conn.request("GET", "/v1/alerts/stream", headers=headers)
        resp = conn.getresponse()
        self.status, self.ctype = resp.status, resp.getheader("Content-Type")
        self.ready.set()
        ident, data = None, None
        while self.alive:
            try:
                line = resp.fp.readline()
            except OSError:
                break
            if not line:
                break
            line = line.decode().rstrip("\n")
            if line.startswith("id: "):
                ident = int(line[4:])
            elif line.startswith("data: "):
                data = json.loads(line[6:])
            elif line == "" and data is not None:
                self.events.append((ident, data))
                ident, data = None, None
        conn.close()


def report(aircraft, t, east_deg, alt=5000, speed=200, track=90):
    return {"aircraft": aircraft, "time": f"2025-01-01T10:{t // 60:02d}:{t % 60:02d}Z",
            "position": f"36.0N {37.0 + east_deg:.5f}E", "altitude": alt, "ground_speed": speed, "track": track}


r = Results("alerts")
# A track is told of other parties' aircraft once established: 3 plausible reports over
# --establish-seconds of receipt (30 by default; 2 here, with the reports paced below).
s = Server(extra_args=("--establish-seconds", "2"))
try:
    red, blue, green = s.party("red"), s.party("blue"), s.party("green")
    # blue's restricted zone 30-40 km east of red's start
    status, _, _ = s.call("PUT", "/v1/zones/blue-box", blue, {"public": False, "volumes": [volume(
        ["35.9N 37.33E", "35.9N 37.45E", "36.1N 37.45E", "36.1N 37.33E"], 0, 20000, "2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z")]})
    r.equal("blue's zone", 201, status)
    streams = {name: Stream(s.port, key) for name, key in (("red", red), ("blue", blue), ("green", green))}
    for st in streams.values():
        st.start()
        st.ready.wait(10)
        r.equal("stream opens as text/event-stream", (200, "text/event-stream"), (st.status, st.ctype))
    # red r1 flies east at 200 m/s; blue b1 flies west toward it, both at 5,000 m
    deg_per_10s = 2000 / (111320 * 0.809)
    sent_at = time.time()
    for k in range(0, 25):
        t = 10 * k
        status, _, doc = s.call("POST", "/v1/tracks", red, [report("R1", t, k * deg_per_10s)])
        r.equal(f"red's report at {t} s", 200, status)
        status, _, doc = s.call("POST", "/v1/tracks", blue, [report("B1", t, 0.8 - k * deg_per_10s, track=270)])
        time.sleep(0.25)
    # NDJSON batches work too
    status, _, doc = s.call("POST", "/v1/tracks", green, raw=(json.dumps(report("G1", 230, 5.0)) + "\n" +
                                                              json.dumps(report("G1", 240, 5.0 + deg_per_10s)) + "\n").encode(),
                            headers={"Content-Type": "application/x-ndjson"})
    r.equal("an NDJSON batch", (200, 2), (status, doc.get("accepted")))
    time.sleep(1.5)
    for st in streams.values():
        st.alive = False
    stored = {}
    for name, key in (("red", red), ("blue", blue), ("green", green)):
        status, _, doc = s.call("GET", "/v1/alerts?since=0", key)
        stored[name] = {a["id"]: a for a in doc["items"]}
    for name, st in streams.items():
        got = {i: e for i, e in st.events}
        r.equal(f"{name}'s stream carries exactly its stored alerts", sorted(stored[name]), sorted(got))
    red_alerts, blue_alerts = list(stored["red"].values()), list(stored["blue"].values())
    r.check("red is warned of the loss of separation with blue's aircraft",
            any(a["kind"] == "separation" and a["other"]["party"] == "blue" for a in red_alerts))
    r.check("blue is warned of the loss of separation with red's aircraft",
            any(a["kind"] == "separation" and a["other"]["party"] == "red" for a in blue_alerts))
    r.check("red is told its aircraft nears blue's zone (advisory first)",
            [a["level"] for a in red_alerts if a["kind"] == "zone"][:1] == ["advisory"])
    r.check("red's aircraft enters blue's zone", any(a["kind"] == "zone" and a["level"] == "incursion" for a in red_alerts))
    blue_zone = [a for a in blue_alerts if a["kind"] == "zone"]
    r.check("blue is told of the warning and incursion in its zone", {a["level"] for a in blue_zone} >= {"warning", "incursion"})
    r.check("blue is never told red's advisories", all(a["level"] in ("warning", "incursion") for a in blue_zone))
    r.check("blue learns identity and position, not red's predicted entry",
            all("entry" not in a and a["track"]["aircraft"] == "R1" for a in blue_zone))
    r.check("all of red's alerts are about red's aircraft", all(a["track"]["party"] == "red" for a in red_alerts))
    r.equal("green, far away, is told nothing", [], list(stored["green"]))
    tracks = {name: [t["aircraft"] for t in s.call("GET", "/v1/tracks", key)[2]["items"]]
              for name, key in (("red", red), ("blue", blue), ("green", green))}
    r.equal("each party lists only its own live tracks", {"red": ["R1"], "blue": ["B1"], "green": ["G1"]}, tracks)
    # resume after a given event
    first = min(stored["red"])
    again = Stream(s.port, red, last_event_id=first)
    again.start()
    time.sleep(1.0)
    again.alive = False
    r.equal("Last-Event-ID resumes after that event", sorted(i for i in stored["red"] if i > first),
            sorted(i for i, _ in again.events))
    # implausible reports are flagged, not trusted
    status, _, doc = s.call("POST", "/v1/tracks", red, [report("R1", 300, 10.0)])
    r.equal("a jump of 900 km in 50 s is flagged", [{"index": 0, "aircraft": "R1", "reason": "implausible_jump"}],
            doc.get("flagged"))
    status, _, doc = s.call("POST", "/v1/tracks", red, [report("R1", 305, 1.0, speed=1200)])
    r.equal("a ground speed of 1,200 m/s (above Mach 3) is flagged",
            [{"index": 0, "aircraft": "R1", "reason": "implausible_speed"}], doc.get("flagged"))
    status, _, doc = s.call("POST", "/v1/tracks", red, [dict(report("R1", 310, 1.0), colour="red")])
    r.equal("an unknown field refuses the batch", (400, "/0/colour"), (status, doc.get("pointer")))
    # conformance: a report naming an intent and flying outside all its volumes
    status, _, _ = s.call("PUT", "/v1/intents/g-route", green, {"volumes": [volume(
        ["38.0N 40.0E", "38.0N 40.2E", "38.2N 40.2E", "38.2N 40.0E"], 0, 6000, "2025-01-01T09:00:00Z", "2025-01-01T12:00:00Z")]})
    r.equal("green's intent", 201, status)
    inside = dict(report("G2", 400, 0), position="38.1N 40.1E", intent="g-route")
    status, _, doc = s.call("POST", "/v1/tracks", green, [inside])
    r.equal("a report inside the intent raises nothing", (200, 0), (status, doc.get("alerts")))
    r.equal("the intent is still accepted", "accepted", s.call("GET", "/v1/intents/g-route", green)[2].get("state"))
    # 17.5 km on, 100 s later (a plausible 175 m/s: a report the monitor would not trust says nothing)
    outside = dict(report("G2", 500, 0), position="38.1N 40.3E", intent="g-route")
    status, _, doc = s.call("POST", "/v1/tracks", green, [outside])
    r.equal("a report 9 km outside the intent raises one alert", (200, 1), (status, doc.get("alerts")))
    got = s.call("GET", "/v1/intents/g-route", green)[2]
    r.equal("the intent becomes nonconforming, version 2", ("nonconforming", 2), (got.get("state"), got.get("version")))
    conf = [a for a in s.call("GET", "/v1/alerts?since=0", green)[2]["items"] if a["kind"] == "conformance"]
    r.equal("green is told its aircraft left its intent", [("nonconforming", "G2", "g-route")],
            [(a["level"], a["track"]["aircraft"], a["intent"]["id"]) for a in conf])
    status, _, doc = s.call("POST", "/v1/tracks", green, [dict(outside, time=report("G2", 510, 0)["time"])])
    r.equal("staying outside does not repeat the alert", 0, doc.get("alerts"))
    status, _, doc = s.call("POST", "/v1/tracks", red, [dict(report("R9", 400, 3.3), position="38.6N 41.0E", intent="g-route")])
    r.equal("naming another party's intent changes nothing of it", ("nonconforming", 2, 0),
            (got.get("state"), s.call("GET", "/v1/intents/g-route", green)[2].get("version"), doc.get("alerts")))
    status, _, _ = s.call("PUT", "/v1/intents/g-done", green, {"state": "ended", "volumes": [volume(
        ["38.0N 40.0E", "38.0N 40.2E", "38.2N 40.2E", "38.2N 40.0E"], 0, 6000, "2025-01-01T09:00:00Z", "2025-01-01T12:00:00Z")]})
    status, _, doc = s.call("POST", "/v1/tracks", green, [dict(report("G3", 400, 0), position="39.5N 42.5E", intent="g-done")])
    r.equal("an ended intent is not made nonconforming", (0, "ended"),
            (doc.get("alerts"), s.call("GET", "/v1/intents/g-done", green)[2].get("state")))
    r.check("the state change is audited", any(i["action"] == "intent.put" for i in
                                                s.call("GET", "/v1/audit?object=intent/green/g-route", green)[2]["items"]))
    r.equal("alerts are audited", True, any(i["action"] == "alert" for i in
                                              s.call("GET", "/v1/audit?object=track/red/R1", red)[2]["items"]))
    # one audit record per alert names everyone told, with the id of each one's copy
    told = [i for i in s.call("GET", "/v1/audit?object=track/red/R1", blue)[2]["items"] if i["action"] == "alert"]
    both = [i for i in told if i["recipients"] == "red,blue"]
    r.check("an alert in blue's zone is one record naming red and blue", len(both) > 0, [i["recipients"] for i in told])
    copies = [json.loads(i["detail"])["alerts"] if isinstance(i["detail"], str) else i["detail"]["alerts"] for i in both]
    r.check("the record names red's copy and blue's copy of the alert",
            all(len(c) == 2 and c[0] in stored["red"] and c[1] in stored["blue"] for c in copies), copies)
    # a restarted server watches the intents being flown that its store holds
    status, _, _ = s.call("PUT", "/v1/intents/g-later", green, {"volumes": [volume(
        ["38.0N 40.0E", "38.0N 40.2E", "38.2N 40.2E", "38.2N 40.0E"], 0, 6000, "2025-01-01T09:00:00Z", "2025-01-01T12:00:00Z")]})
    r.equal("another intent of green's", 201, status)
    s.stop()
    s = Server(keep_dir=s.dir, extra_args=("--establish-seconds", "2"))
    status, _, doc = s.call("POST", "/v1/tracks", green, [dict(report("G4", 600, 0), position="38.1N 40.5E", intent="g-later")])
    # (over a shared store the restarted server has its picture back from the report log, so the
    # other aircraft near G4 may raise traffic alerts too: the conformance alert is counted alone)
    g4 = [a for a in s.call("GET", "/v1/alerts?since=0", green)[2]["items"]
          if a["kind"] == "conformance" and a["track"]["aircraft"] == "G4"]
    r.equal("after a restart, a report outside an intent still raises its alert", (200, True, 1),
            (status, doc.get("alerts", 0) >= 1, len(g4)))
    r.equal("and the intent becomes nonconforming", "nonconforming",
            s.call("GET", "/v1/intents/g-later", green)[2].get("state"))
finally:
    s.stop()
    s.cleanup()
r.finish()
