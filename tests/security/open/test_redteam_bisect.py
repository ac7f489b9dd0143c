"""test_redteam_bisect.py - RED TEAM (fails until fixed). The quantisation and the daily budget
shape only the boxes a notice shows; whether a probe conflicts at all is decided on the exact
geometry and answered by the status (409 vs 201) and by the notice's presence, past the budget
too. Bisecting with thin probes (lower priority: refused, nothing stored; accepted ones deleted)
recovers another party's volume edges to the centimetre, its ceiling to the centimetre and its
time bounds to the second, after the budget is spent, in ~70 requests (well under a second)."""
import datetime

import os, sys
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from common import Results, Server, volume

T0, T1 = "2031-05-01T08:00:00Z", "2031-05-01T09:00:00Z"
ROUTE = {"priority": 5, "route": {"waypoints": [
    {"position": "36.0N 36.0E", "altitude": 2000, "time": "2031-05-01T08:00:00Z"},
    {"position": "36.0N 39.33E", "altitude": 2000, "time": "2031-05-01T08:50:00Z"}],
    "buffers": {"lateral": 5000, "vertical": 1000, "time": 300}}}
BASE = datetime.datetime(2031, 5, 1, 7, 0, 0)
r = Results("security_redteam_bisect")
s = Server()
n = [0]


def fmt(sec):
    return (BASE + datetime.timedelta(seconds=sec)).strftime("%Y-%m-%dT%H:%M:%SZ")


def conflicts(key, lat0, lat1, lon0=37.5, lon1=37.5001, alt=(0, 20000), t=(T0, T1)):
    """Whether a probe box conflicts with anything of alpha's: 409 (refused) or 201 (then deleted)."""
    n[0] += 1
    body = {"priority": 0, "volumes": [volume([{"lat": lat0, "lng": lon0}, {"lat": lat0, "lng": lon1},
                                                {"lat": lat1, "lng": lon1}, {"lat": lat1, "lng": lon0}],
                                               alt[0], alt[1], t[0], t[1])]}
    status, _, _ = s.call("PUT", f"/v1/intents/p{n[0]}", key, body)
    if status == 201:
        s.call("DELETE", f"/v1/intents/p{n[0]}", key)
    return status == 409


def bisect(pred, lo, hi, steps):
    """pred(lo) is True, pred(hi) False; returns the boundary."""
    for _ in range(steps):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if pred(mid) else (lo, mid)
    return lo, hi


try:
    a, b = s.party("alpha"), s.party("bravo")
    r.equal("alpha's corridor", 201, s.call("PUT", "/v1/intents/corridor", a, ROUTE)[0])
    limits = []
    for k in range(3):  # spend bravo's day of budget on alpha's corridor
        n[0] += 1
        doc = s.call("PUT", f"/v1/intents/p{n[0]}", b, {"priority": 0, "volumes": [volume(
            [{"lat": 35.8, "lng": 36.5 + 0.3 * k}, {"lat": 35.8, "lng": 36.75 + 0.3 * k},
             {"lat": 36.2, "lng": 36.75 + 0.3 * k}, {"lat": 36.2, "lng": 36.5 + 0.3 * k}], 0, 20000, T0, T1)]})[2]
        limits += [x.get("disclosure_limit") for x in doc.get("notices", [])]
    r.check("bravo's budget on the corridor is spent", "budget_spent" in limits, str(limits))
    lo, hi = bisect(lambda lat: conflicts(b, lat, 36.3), 36.0, 36.3, 30)
    r.check(f"bravo cannot find the corridor's northern edge to better than 500 m (found {lo:.7f}..{hi:.7f})",
            (hi - lo) * 110950 > 500, (lo, hi))
    lo, hi = bisect(lambda z: conflicts(b, 35.9, 36.1, alt=(z, 20000)), 0, 20000, 20)
    r.check(f"nor its ceiling to better than 100 m (found {lo:.2f}..{hi:.2f})", hi - lo > 100, (lo, hi))
    # conflicts iff a probe over [07:00, x) reaches the corridor's start there
    lo, hi = bisect(lambda x: not conflicts(b, 35.9, 36.1, t=(fmt(0), fmt(int(x)))), 1, 7200, 14)
    r.check(f"nor when it begins to better than a minute (found {fmt(int(lo))}..{fmt(int(hi))})",
            int(hi) - int(lo) >= 60, (lo, hi))
finally:
    s.stop()
    s.cleanup()
r.finish()
