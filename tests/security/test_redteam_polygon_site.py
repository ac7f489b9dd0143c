"""test_redteam_polygon_site.py - red team, fixed: The keep-out disc is displaced by
1.5-2.5 x max(radius, 500 m) from the site's *bounding centre*, whatever the polygon's size. For a
polygon site larger than that (a camp, radius 0), the disc's centre - which four bisections of
refused hazards trace exactly - lies inside the protected polygon itself: ~100 hazards locate a
9 x 11 km camp to within ~1.5 km of its centre, and a strike at the traced centre hits it."""
import math

from common import Results, Server, volume

T0, T1 = "2031-05-01T08:00:00Z", "2031-05-01T09:00:00Z"
CAMP = (36.37, 37.52)
HALF = 0.05
r = Results("security_redteam_polygon_site")
s = Server()
n = [0]


def refused(key, lat0, lat1, lon0, lon1):
    n[0] += 1
    body = {"priority": 1, "hazard_kind": "live_fire", "volumes": [volume(
        [{"lat": lat0, "lng": lon0}, {"lat": lat0, "lng": lon1}, {"lat": lat1, "lng": lon1}, {"lat": lat1, "lng": lon0}],
        0, 3000, T0, T1)]}
    status, _, _ = s.call("PUT", f"/v1/hazards/h{n[0]}", key, body)
    if status == 201:
        s.call("DELETE", f"/v1/hazards/h{n[0]}", key)
    return status == 409


def edge(pred, lo, hi):
    """pred is False at lo and True at hi."""
    for _ in range(24):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if pred(mid) else (mid, hi)
    return (lo + hi) / 2


try:
    a, b = s.party("alpha"), s.party("bravo")
    square = [{"lat": CAMP[0] - HALF, "lng": CAMP[1] - HALF}, {"lat": CAMP[0] - HALF, "lng": CAMP[1] + HALF},
              {"lat": CAMP[0] + HALF, "lng": CAMP[1] + HALF}, {"lat": CAMP[0] + HALF, "lng": CAMP[1] - HALF}]
    r.equal("bravo's camp, a polygon site", 201, s.call("PUT", "/v1/sites/camp", b, {
        "label": "camp", "outline_polygon": {"vertices": square}, "radius": 0, "time_start": T0, "time_end": T1})[0])
    west = edge(lambda x: refused(a, 35.0, 38.0, 36.0, x), 36.0, 39.0)
    east = edge(lambda x: not refused(a, 35.0, 38.0, x, 39.0), 36.0, 39.0)
    south = edge(lambda y: refused(a, 35.0, y, 36.0, 39.0), 35.0, 38.0)
    north = edge(lambda y: not refused(a, y, 38.0, 36.0, 39.0), 35.0, 38.0)
    lat, lon = (south + north) / 2, (west + east) / 2
    inside = abs(lat - CAMP[0]) < HALF and abs(lon - CAMP[1]) < HALF
    miss = math.hypot((lat - CAMP[0]) * 110950, (lon - CAMP[1]) * 111320 * math.cos(math.radians(CAMP[0])))
    r.check(f"the traced keep-out centre ({lat:.5f}, {lon:.5f}; {n[0]} hazards, {miss:.0f} m from the camp's centre)"
            " does not lie inside the camp", not inside, (lat, lon))
finally:
    s.stop()
    s.cleanup()
r.finish()
