"""test_standard_forms.py - the forms other tools write and read (issue 17, API): ASTM F3548's
Volume4D ({"volume": Volume3D, "time_start": Time, "time_end": Time}, with its nested altitudes,
radius and time objects) is accepted as the standard writes it and decides exactly as the flat
form does; its limits hold in that form too. `Accept: application/geo+json` answers objects and
tracks as GeoJSON (RFC 7946) holding exactly what the JSON answer holds, no more for another party;
an Accept that admits neither is 406."""
import json
import math
import time

from harness import Results, Server, circle

T0, T1 = "2032-04-01T00:00:00Z", "2032-04-01T06:00:00Z"


def f3548_circle(lat, lng, radius_m, lo_ft, hi_ft):
    return {"volume": {"outline_circle": {"center": {"lat": lat, "lng": lng},
                                          "radius": {"value": radius_m, "units": "M"}},
                       "outline_polygon": None,
                       "altitude_lower": {"value": lo_ft, "reference": "W84", "units": "FT"},
                       "altitude_upper": {"value": hi_ft, "reference": "W84", "units": "FT"}},
            "time_start": {"value": T0, "format": "RFC3339"},
            "time_end": {"value": T1, "format": "RFC3339"}}


def f3548_polygon(vertices, lo_m, hi_m):
    return {"volume": {"outline_polygon": {"vertices": [{"lat": a, "lng": b} for a, b in vertices]},
                       "altitude_lower": {"value": lo_m, "reference": "W84", "units": "M"},
                       "altitude_upper": {"value": hi_m, "reference": "W84", "units": "M"}},
            "time_start": {"value": T0, "format": "RFC3339"},
            "time_end": {"value": T1, "format": "RFC3339"}}


def distance_m(lat1, lng1, lat2, lng2):
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


def signed_area(ring):
    return sum(x0 * y1 - x1 * y0 for (x0, y0, *_), (x1, y1, *_) in zip(ring, ring[1:])) / 2


r = Results("standard_forms")
s = Server(["--quiet"])
try:
    a, b, c = s.party("alpha"), s.party("bravo"), s.party("charlie")

    # --- F3548 Volume4D, as the standard writes it ---
    status, _, doc = s.call("PUT", "/v1/intents/std", a, {"volumes": [f3548_circle(20.0, 20.0, 1000, 0, 1000)]})
    r.equal("an F3548 Volume4D circle is accepted", 201, status)
    v = doc.get("volumes", [{}])[0]
    r.check("its altitude in feet is stored in metres", abs(v.get("altitude_upper", 0) - 304.8) < 1e-6, str(v))
    r.equal("its radius is kept", 1000, round(v.get("outline_circle", {}).get("radius", 0)))
    poly = [(20.5, 20.5), (20.5, 20.6), (20.6, 20.6), (20.6, 20.5)]
    status, _, doc = s.call("PUT", "/v1/intents/stdpoly", a, {"volumes": [f3548_polygon(poly, 0, 300)]})
    r.equal("an F3548 Volume4D polygon is accepted", 201, status)
    # the same decision as the flat form: bravo's flat circle over alpha's F3548 one is refused,
    # and bravo's F3548 circle over alpha's flat one likewise
    status, _, _ = s.call("PUT", "/v1/intents/flat-over-std", b, {"volumes": [circle("20.0N 20.0E", 500, 0, 100, T0, T1)]})
    r.equal("a flat intent over an F3548 one conflicts", 409, status)
    s.call("PUT", "/v1/intents/flat", a, {"volumes": [circle("21.0N 21.0E", 500, 0, 100, T0, T1)]})
    status, _, _ = s.call("PUT", "/v1/intents/std-over-flat", b, {"volumes": [f3548_circle(21.0, 21.0, 500, 0, 300)]})
    r.equal("an F3548 intent over a flat one conflicts", 409, status)
    status, _, _ = s.call("PUT", "/v1/intents/std-clear", b, {"volumes": [f3548_circle(22.0, 22.0, 500, 0, 300)]})
    r.equal("an F3548 intent over nothing is accepted", 201, status)
    # what it refuses, with the pointer into the nested form
    bad = [
        ("a reference other than W84", lambda v: v["volume"]["altitude_lower"].update(reference="SFC"),
         "/volumes/0/volume/altitude_lower"),
        ("units other than M or FT", lambda v: v["volume"]["altitude_upper"].update(units="KM"),
         "/volumes/0/volume/altitude_upper"),
        ("a time format other than RFC3339", lambda v: v["time_start"].update(format="ISO8601"),
         "/volumes/0/time_start"),
        ("an unknown member of the Volume3D", lambda v: v["volume"].update(outline_ellipse={}), "/volumes/0/volume"),
        ("an unknown member of the Volume4D", lambda v: v.update(altitude_lower=0), "/volumes/0"),
        ("both outlines", lambda v: v["volume"].update(outline_polygon={"vertices": []}), "/volumes/0/volume"),
        ("no outline", lambda v: v["volume"].pop("outline_circle"), "/volumes/0/volume"),
        ("an inverted time window", lambda v: v["time_end"].update(value="2032-03-01T00:00:00Z"),
         "/volumes/0/time_end"),
        ("a latitude out of range", lambda v: v["volume"]["outline_circle"]["center"].update(lat=91),
         "/volumes/0/volume/outline_circle/center"),
    ]
    for what, spoil, pointer in bad:
        vol = f3548_circle(23.0, 23.0, 500, 0, 300)
        spoil(vol)
        status, _, doc = s.call("PUT", "/v1/intents/spoilt", c, {"volumes": [vol]})
        r.check(f"F3548 with {what}: 400 at {pointer}", status == 400 and doc.get("pointer", "").startswith(pointer),
                f"{status} {doc}")
    status, _, _ = s.call("GET", "/v1/intents/spoilt", c)
    r.equal("none of them was stored", 404, status)
    # the published limits hold in the nested form (not only in the flat one)
    big = [(24.0 + 0.4 * math.sin(2 * math.pi * i / 1500), 24.0 + 0.4 * math.cos(2 * math.pi * i / 1500))
           for i in range(1500)]
    status, _, doc = s.call("PUT", "/v1/intents/big", c, {"volumes": [f3548_polygon(big, 0, 300)]})
    r.equal("a 1,500-vertex F3548 outline is over the 1,000 limit: 422 at its pointer",
            (422, "/problems/limit", "/volumes/0/volume/outline_polygon/vertices"),
            (status, doc.get("type"), doc.get("pointer")))

    # --- GeoJSON ---
    geo = {"Accept": "application/geo+json"}
    status, headers, fc = s.call("GET", "/v1/intents", a, headers=geo)
    r.equal("alpha's intents as GeoJSON: a FeatureCollection", (200, "application/geo+json", "FeatureCollection"),
            (status, headers.get("content-type"), fc.get("type") if isinstance(fc, dict) else fc))
    _, _, plain = s.call("GET", "/v1/intents", a)
    r.equal("the same objects as the JSON answer", sorted(i["id"] for i in plain["items"]),
            sorted(f["properties"]["id"] for f in fc["features"]))
    r.equal("each feature's properties are the JSON item", sorted(plain["items"], key=lambda i: i["id"]),
            sorted((f["properties"] for f in fc["features"]), key=lambda i: i["id"]))
    std = next(f for f in fc["features"] if f["properties"]["id"] == "std")
    ring = std["geometry"]["coordinates"][0][0]
    r.equal("a circle is a MultiPolygon of one closed ring", ("MultiPolygon", ring[0]), (std["geometry"]["type"], ring[-1]))
    off = max(abs(distance_m(20.0, 20.0, lat, lng) - 1000) for lng, lat in ring)
    r.check("its points lie on the circle (within 0.5 %)", off < 5, f"{off:.2f} m")
    r.check("its ring is counter-clockwise (RFC 7946 3.1.6)", signed_area(ring) > 0, str(signed_area(ring)))
    sq = next(f for f in fc["features"] if f["properties"]["id"] == "stdpoly")
    r.equal("a polygon's ring is its vertices, closed, as [lng, lat]",
            {(round(lng, 6), round(lat, 6)) for lng, lat in sq["geometry"]["coordinates"][0][0]},
            {(lng, lat) for lat, lng in poly})
    status, headers, one = s.call("GET", "/v1/intents/std", a, headers=geo)
    r.equal("one object as GeoJSON: a Feature with its ETag", ("Feature", "std", '"1"'),
            (one.get("type"), one.get("id"), headers.get("etag")))
    # disclosure: bravo has no grant; the GeoJSON shows it no more than the JSON does
    status, _, bfc = s.call("GET", "/v1/intents", b, headers=geo)
    r.equal("bravo's GeoJSON list holds only its own intents",
            {"std-clear"}, {f["properties"]["id"] for f in bfc["features"]})
    status, _, doc = s.call("GET", "/v1/intents/std", b, headers=geo)
    r.equal("alpha's intent as GeoJSON to bravo: 404 problem+json", (404, "/problems/not-found"), (status, doc.get("type")))
    status, _, doc = s.call("POST", "/v1/grants", a, {"grantee": "bravo", "kind": "intent"})
    r.equal("alpha grants bravo its intents", 201, status)
    status, _, bfc = s.call("GET", "/v1/intents", b, headers=geo)
    r.check("with a grant, bravo's GeoJSON list holds alpha's intents",
            {"std", "stdpoly", "flat"} <= {f["properties"]["id"] for f in bfc["features"]}, str(status))
    # pages: the next link survives as a foreign member
    status, _, page = s.call("GET", "/v1/intents?limit=1", a, headers=geo)
    r.check("a page of GeoJSON keeps its next link", len(page.get("features", [])) == 1 and "next" in page, str(page)[:200])
    # tracks
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    status, _, doc = s.call("POST", "/v1/tracks", a, [{"aircraft": "ABC123", "time": now, "altitude": 900,
                                                       "position": {"lat": 20.1, "lng": 20.2}}])
    r.equal("alpha reports one aircraft", 200, status)
    status, headers, tfc = s.call("GET", "/v1/tracks", a, headers=geo)
    feats = tfc.get("features", []) if isinstance(tfc, dict) else []
    r.check("tracks as GeoJSON: Points [lng, lat, altitude]",
            status == 200 and any(f["geometry"] == {"type": "Point", "coordinates": [20.2, 20.1, 900]} for f in feats),
            f"{status} {str(tfc)[:300]}")
    status, _, tfc = s.call("GET", "/v1/tracks", b, headers=geo)
    r.equal("bravo sees none of alpha's aircraft as GeoJSON", [], tfc.get("features"))
    # negotiation
    for accept, expected in [("application/json", "application/json"), ("*/*", "application/json"),
                             ("application/geo+json, application/json;q=0.5", "application/geo+json"),
                             ("application/json, application/geo+json;q=0.1", "application/json"),
                             ("application/*, application/geo+json", "application/geo+json")]:
        status, headers, _ = s.call("GET", "/v1/intents", a, headers={"Accept": accept})
        r.equal(f"Accept {accept!r}", (200, expected), (status, headers.get("content-type")))
    for accept in ["text/html", "application/xml", "application/json;q=0"]:
        status, headers, doc = s.call("GET", "/v1/intents", a, headers={"Accept": accept})
        r.equal(f"Accept {accept!r}: 406 not-acceptable", (406, "/problems/not-acceptable"), (status, doc.get("type")))
finally:
    s.stop()
    s.cleanup()
r.finish()
