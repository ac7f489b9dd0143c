"""test_fake_aircraft.py - invented aircraft do not reveal real ones: a burst of new aircraft is
limited and reported to the operator; a track tells its owner of another party's aircraft only
once established, and then coarsely; every such disclosure is audited under the disclosed track."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "integration"))
from harness import Results, Server, cli  # noqa: E402

ESTABLISH_S = 3  # the default is 30 s; 3 keeps the test short, the rule is the same


def report(aircraft, t, lat, lon, speed=200, track=90):
    return {"aircraft": aircraft, "time": f"2025-07-01T10:{t // 60:02d}:{t % 60:02d}Z",
            "position": f"{lat:.6f}N {lon:.6f}E", "altitude": 5000, "ground_speed": speed, "track": track}


def all_alerts(s, key):
    """Every alert of a party, page after page."""
    items, since = [], 0
    while True:
        page = s.call("GET", f"/v1/alerts?since={since}", key)[2]["items"]
        if not page:
            return items
        items += page
        since = page[-1]["id"]


def a1_at(t):
    return 36.0, 37.0 + 200 * t / (111320 * 0.809)


r = Results("security_fake_aircraft")
# the new-aircraft defaults: the operator is told past 50 in a minute, more than 200 are refused
s = Server(extra_args=("--establish-seconds", str(ESTABLISH_S)))
try:
    a, b = s.party("alpha"), s.party("bravo")
    t = 0
    for k in range(4):  # alpha's real aircraft, established over 3.3 s of receipt
        t = 5 * k
        r.equal(f"alpha's report {k}", 200, s.call("POST", "/v1/tracks", a, [report("A1", t, *a1_at(t))])[0])
        time.sleep(1.1)
    # bravo invents 121 aircraft in one batch, all around alpha's aircraft
    lat, lon = a1_at(t)
    fakes = [report(f"F{i}", t, lat + ((i % 11) - 5) * 0.004, lon + ((i // 11) - 5) * 0.005) for i in range(121)]
    first_batch = time.monotonic()
    status, _, doc = s.call("POST", "/v1/tracks", b, fakes)
    r.equal("the batch is answered", 200, status)
    r.equal("121 new aircraft are taken (the limit is 200 a minute)", (121, 0), (doc["accepted"], len(doc["flagged"])))
    got = all_alerts(s, b)
    r.check("bravo's invented aircraft tell it nothing of alpha's", not any(
        x.get("other", {}).get("party") == "alpha" for x in got), str(got)[:300])
    r.check("no position of alpha's aircraft reaches bravo", f"{lat:.4f}" not in str(got), "")
    op = all_alerts(s, s.operator)
    r.check("the operator is alerted to the burst, naming bravo",
            any(x["kind"] == "new_aircraft" and x["party"] == "bravo" and x["new_aircraft"] == 51 for x in op), str(op)[:300])
    more = [report(f"G{i}", t, lat - 0.2 - (i % 11) * 0.004, lon + ((i // 11) - 5) * 0.005) for i in range(100)]
    status, _, doc = s.call("POST", "/v1/tracks", b, more)
    # 200 a minute, refilled as time passes: 79 left, and 3.3 more for each second since the
    # first batch (a loaded machine makes those seconds many: the bound follows them)
    refill = int((time.monotonic() - first_batch) * 200 / 60) + 1
    taken, refused = doc.get("accepted", 0), len(doc.get("flagged", []))
    r.check("past 200 new aircraft a minute the rest are refused",
            taken + refused == 100 and 79 <= taken <= 79 + refill and (refused > 0 or 79 + refill >= 100),
            (taken, refused, refill))
    r.check("each refusal says why", all(f["reason"] == "too_many_new_aircraft" for f in doc["flagged"]), str(doc)[:300])
    who = cli("audit", "who-saw", "track/alpha/A1", "--db", s.db).stdout.strip().splitlines()[-1]
    r.check("who-saw on alpha's aircraft: not bravo, yet", "bravo" not in who, who)
    burst = cli("audit", "who-saw", "party/bravo", "--db", s.db).stdout.strip().splitlines()[-1]
    r.check("the burst alert is audited: the operator was told about bravo", "operator" in burst, burst)
    # alpha, whose track is established, is told of the invented aircraft near it
    mine = all_alerts(s, a)
    r.check("alpha is warned of aircraft near its own", any(x["kind"] == "separation" for x in mine), str(mine)[:200])

    # bravo flies one of them plausibly until established: it then learns alpha's aircraft, coarsely
    for k in range(1, 5):
        t2 = t + 5 * k
        la, lo = a1_at(t2)
        s.call("POST", "/v1/tracks", a, [report("A1", t2, la, lo)])
        s.call("POST", "/v1/tracks", b, [report("F60", t2, la + 0.004, lo + 0.002)])
        time.sleep(1.1)
    got = all_alerts(s, b)
    sep = [x for x in got if x["kind"] == "separation" and x["other"]["party"] == "alpha"]
    r.check("an established track is warned of alpha's aircraft", bool(sep), str(got)[:300])
    r.check("coarsened: relative position on a 500 m grid, 100 ft in height",
            sep and all(abs(x["other"]["relative"]["east_m"]) % 500 == 0 and abs(x["other"]["relative"]["north_m"]) % 500 == 0
                        and abs(round(x["other"]["relative"]["up_m"] / 30.48) * 30.48 - x["other"]["relative"]["up_m"]) < 1e-6
                        for x in sep), str(sep)[:300])
    who = cli("audit", "who-saw", "track/alpha/A1", "--db", s.db).stdout.strip().splitlines()[-1]
    r.check("who-saw on alpha's aircraft names bravo", "bravo" in who, who)
    # a report dated a day ahead would make every other party's reports stale: refused
    status, _, doc = s.call("POST", "/v1/tracks", b, [dict(report("F60", 0, 36.0, 37.5), time="2099-01-01T00:00:00Z")])
    r.equal("a report from the future is refused", (200, 0, "in_the_future"),
            (status, doc.get("accepted"), (doc.get("flagged") or [{}])[0].get("reason")))
    op = all_alerts(s, s.operator)
    r.check("and the operator told of bravo's clock", any(x["kind"] == "implausible_clock" and x["party"] == "bravo"
                                                       for x in op), str(op)[-300:])
    la, lo = a1_at(t + 25)
    status, _, doc = s.call("POST", "/v1/tracks", a, [report("A1", t + 25, la, lo)])
    r.equal("and alpha's next report is still taken", (200, 1), (status, doc.get("accepted")))
finally:
    s.stop()
    s.cleanup()
r.finish()
