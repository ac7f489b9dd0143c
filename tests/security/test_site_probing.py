"""test_site_probing.py - no sequence of hazards locates a protected site better than its
protection radius: a 1,000-hazard sweep in ~10 s and a binary search both miss it by more than
its radius; the site's owner and the operator are alerted; past the limit a refusal names only
the party; the tracker survives a restart; a tiling laid before the site is reported and told
nothing of where the site is."""
import math
import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "integration"))
from harness import Results, Server, circle  # noqa: E402

T0, T1 = "2031-06-01T06:00:00Z", "2031-06-01T12:00:00Z"
SITE_LAT, SITE_LON, RADIUS = 36.3712, 37.5234, 500
SITE = {"label": "unit", "location": f"{SITE_LAT}N {SITE_LON}E", "radius": RADIUS,
        "time_start": "2031-06-01T00:00:00Z", "time_end": "2031-06-02T00:00:00Z"}
M_LAT = 110950.0
M_LON = 111320.0 * math.cos(math.radians(SITE_LAT))


def error_m(lat, lon):
    return math.hypot((lat - SITE_LAT) * M_LAT, (lon - SITE_LON) * M_LON)


def hazard(lat, lon, radius):
    return {"priority": 1, "hazard_kind": "live_fire",
            "volumes": [circle(f"{lat:.6f}N {lon:.6f}E", radius, 0, 1000, T0, T1)]}


r = Results("security_site_probing")
# a sweep of 1,000 writes and their withdrawals: not held to the default write rate (fair use is
# it_fair's), or how many are refused for probing would follow the machine's speed
s = Server(extra_args=("--threads", "4", "--rate-writes", "1000/100000"))
try:
    tr, ru = s.party("turkey"), s.party("russia")
    r.equal("turkey's site", 201, s.call("PUT", "/v1/sites/unit", tr, SITE)[0])
    # 1,000 small hazards on a grid 6 km across, centred on the site (the best prior a prober could
    # have), posted by 4 threads; each refused one is withdrawn from nothing, accepted ones removed.
    n, half = 32, 3000.0
    cells = [(SITE_LAT + (-half + 2 * half * i / (n - 1)) / M_LAT, SITE_LON + (-half + 2 * half * j / (n - 1)) / M_LON)
             for i in range(n) for j in range(n)][:1000]
    refused, lock, count = [], threading.Lock(), [0]

    def sweep(part):
        for k, (lat, lon) in part:
            status, _, doc = s.call("PUT", f"/v1/hazards/g{k}", ru, hazard(lat, lon, 60))
            with lock:
                count[0] += 1
                if status == 409:
                    refused.append((lat, lon, doc))
            if status == 201:
                s.call("DELETE", f"/v1/hazards/g{k}", ru)

    started = time.time()
    indexed = list(enumerate(cells))
    threads = [threading.Thread(target=sweep, args=(indexed[t::4],)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    took = time.time() - started
    print(f"sweep: {count[0]} hazards in {took:.1f} s, {len(refused)} refused", flush=True)
    r.check("the sweep is refused somewhere", len(refused) > 0, len(refused))
    lat = sum(x[0] for x in refused) / len(refused)
    lon = sum(x[1] for x in refused) / len(refused)
    err = error_m(lat, lon)
    print(f"sweep: the refusals' centroid misses the site by {err:.0f} m (radius {RADIUS} m)", flush=True)
    r.check("the centroid of refusals misses the site by at least its radius", err >= RADIUS, err)
    # the midpoint of the refused extent, as another estimator
    mid = ((min(x[0] for x in refused) + max(x[0] for x in refused)) / 2,
           (min(x[1] for x in refused) + max(x[1] for x in refused)) / 2)
    r.check("so does the middle of the refused extent", error_m(*mid) >= RADIUS, error_m(*mid))
    alerts = s.call("GET", "/v1/alerts", tr)[2]["items"]
    r.check("the site's owner is alerted to probing by russia",
            any(a["kind"] == "probing" and a["party"] == "russia" for a in alerts), str(alerts)[:300])
    op = s.call("GET", "/v1/alerts", s.operator)[2]["items"]
    r.check("and the operator", any(a["kind"] == "probing" and a["party"] == "russia" for a in op), str(op)[:300])
    late = [x[2] for x in refused[-50:]]
    r.check("past the limit a refusal names the party and nothing else",
            all(all("time_start" not in nn and nn.get("disclosed") == "party" for nn in d["notices"]) for d in late),
            str(late[-1])[:300])
    r.check("nothing in any refusal places the site", all("overlap" not in str(x[2]) and "37.52" not in str(x[2]).replace(
        f"{x[1]:.6f}", "") for x in refused), "")

    # A binary search for the refusal's edge along four directions, from far outside.
    def refused_at(lat, lon, k):
        status, _, _ = s.call("PUT", f"/v1/hazards/b{k}", ru, hazard(lat, lon, 10))
        if status == 201:
            s.call("DELETE", f"/v1/hazards/b{k}", ru)
        return status == 409

    edges, k = [], 0
    for dlat, dlon in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        near, far = 0.0, 8000.0  # metres from the site along the direction: near refused, far not
        if not refused_at(SITE_LAT, SITE_LON, k):
            continue
        for _ in range(20):
            k += 1
            m = (near + far) / 2
            if refused_at(SITE_LAT + dlat * m / M_LAT, SITE_LON + dlon * m / M_LON, k):
                near = m
            else:
                far = m
        edges.append((dlat * near, dlon * near))
    if len(edges) == 4:
        north, south, east, west = edges[0][0], edges[1][0], edges[2][1], edges[3][1]
        est = (SITE_LAT + (north + south) / 2 / M_LAT, SITE_LON + (east + west) / 2 / M_LON)
        print(f"binary search: edges N {north:.0f} S {south:.0f} E {east:.0f} W {west:.0f} m; "
              f"misses the site by {error_m(*est):.0f} m", flush=True)
        r.check("a binary search for the edge misses the site by at least its radius", error_m(*est) >= RADIUS,
                error_m(*est))
    else:
        r.check("the binary search learns nothing from the site's own position", True)
finally:
    s.stop()

# The tracker is in the store: after a restart the prober is still past its limit.
s2 = Server(keep_dir=s.dir)
try:
    ru = s2.keys.get("russia") or ru
    status, _, doc = s2.call("PUT", "/v1/hazards/after", ru, hazard(SITE_LAT, SITE_LON, 60))
    r.check("after a restart a refusal still names only the party", status == 409 and all(
        "time_start" not in nn for nn in doc["notices"]), str(doc)[:300])
finally:
    s2.stop()
    s2.cleanup()

# A tiling of small hazards laid before the site exists.
s = Server()
try:
    tr, ru = s.party("turkey"), s.party("russia")
    k = 0
    for i in range(20):
        for j in range(20):
            k += 1
            lat = SITE_LAT + (-4000 + 400 * i) / M_LAT
            lon = SITE_LON + (-4000 + 400 * j) / M_LON
            status, _, _ = s.call("PUT", f"/v1/hazards/t{k}", ru, hazard(lat, lon, 200))
    r.equal("400 small hazards accepted before any site", 400, len(s.call("GET", "/v1/hazards?limit=1000", ru)[2]["items"]))
    r.equal("turkey's site", 201, s.call("PUT", "/v1/sites/unit", tr, SITE)[0])
    alerts = s.call("GET", "/v1/alerts", tr)[2]["items"]
    r.check("the site's owner is alerted to the tiling", any(a["kind"] == "tiling" and a["party"] == "russia"
                                                              for a in alerts), str(alerts)[:300])
    op = s.call("GET", "/v1/alerts", s.operator)[2]["items"]
    r.check("and the operator", any(a["kind"] == "tiling" for a in op), str(op)[:300])
    notes = s.call("GET", "/v1/notices", ru)[2]["items"]
    named = [nn for nn in notes if nn["counterpart"]["kind"] == "site" and "id" in nn["object"]]
    r.equal("no hazard of the tiling is named as the one over the site", [], named)
    r.check("russia is told only that some of its hazards near a site of turkey must replan",
            len(notes) == 1 and notes[0]["counterpart"]["party"] == "turkey", str(notes)[:300])
finally:
    s.stop()
    s.cleanup()
r.finish()
