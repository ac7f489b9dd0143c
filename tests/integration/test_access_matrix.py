"""test_access_matrix.py - every endpoint x object kind x (owner, grantee, stranger): status, body, and no leak."""
import json

from harness import Results, Server, cli, volume

T0, T1 = "2030-05-01T10:00:00Z", "2030-05-01T11:00:00Z"
# Distinctive numbers: if any shows up in a stranger's response, the object leaked.
SECRET = [{"lat": 41.2345671, "lng": 28.9876541}, {"lat": 41.2345671, "lng": 29.0876541},
          {"lat": 41.3345671, "lng": 29.0876541}, {"lat": 41.3345671, "lng": 28.9876541}]
MARKERS = ["41.234567", "28.987654", "29.087654", "41.334567"]
ELSEWHERE = [{"lat": -20.0, "lng": 50.0}, {"lat": -20.0, "lng": 50.1}, {"lat": -19.9, "lng": 50.1}]


def body(kind, vertices, version=None):
    if kind == "site":
        b = {"label": "a unit", "outline_polygon": {"vertices": vertices}, "radius": 100, "time_start": T0, "time_end": T1}
        if version is not None:
            b["version"] = version
        return b
    b = {"volumes": [volume(vertices, 0, 3000, T0, T1)]}
    if kind == "hazard":
        b["hazard_kind"] = "live_fire"
    if kind == "zone":
        b["public"] = False
    else:
        b["priority"] = 3
    if version is not None:
        b["version"] = version
    return b


r = Results("access_matrix")
s = Server()
try:
    keys = {"owner": s.party("alice"), "grantee": s.party("bob"), "stranger": s.party("carol")}
    for kind in ("intent", "hazard", "zone", "site"):
        status, _, _ = s.call("POST", "/v1/grants", keys["owner"], {"grantee": "bob", "kind": kind})
        r.equal(f"grant {kind}s to bob", 201, status)
        status, _, doc = s.call("PUT", f"/v1/{kind}s/obj-{kind}", keys["owner"], body(kind, SECRET))
        r.equal(f"alice creates her {kind}", 201, status)

    stranger_bodies = []
    for kind in ("intent", "hazard", "zone", "site"):
        coll, path = f"/v1/{kind}s", f"/v1/{kind}s/obj-{kind}"
        ref = f"{kind}/alice/obj-{kind}"
        # what a request about an object that does not exist looks like, for comparison
        missing = {m: s.call(m, f"{coll}/never-existed", keys["stranger"])[::2] for m in ("GET", "DELETE")}
        missing_audit = s.call("GET", f"/v1/audit?object={kind}/alice/never-existed", keys["stranger"])[2]

        expected = {
            ("GET", "owner"): 200, ("GET", "grantee"): 200, ("GET", "stranger"): 404,
            ("DELETE", "grantee"): 200, ("DELETE", "stranger"): 200,  # its own copy, made by its PUT
            ("PUT", "grantee"): 201,  # its own object under the same id: ids never collide
            ("PUT", "stranger"): 201,  # as for any free id: the stranger's own, separate object
        }
        for role in ("owner", "grantee", "stranger"):
            key = keys[role]
            status, _, doc = s.call("GET", path, key)
            r.equal(f"GET {kind} as {role}", expected[("GET", role)], status)
            if role == "stranger":
                r.equal(f"GET {kind} as stranger is the 404 of a missing object", missing["GET"], (status, doc))
                stranger_bodies.append(json.dumps(doc))
            else:
                shape = doc.get("outline_polygon") if kind == "site" else doc["volumes"][0]["outline_polygon"]
                r.equal(f"GET {kind} as {role}: the full object", SECRET[0]["lat"],
                        shape["vertices"][0]["lat"] if status == 200 else None)
            status, _, doc = s.call("GET", coll, key)
            listed = [i["id"] for i in doc["items"]] if status == 200 else None
            r.equal(f"list {kind}s as {role}", role != "stranger", f"obj-{kind}" in (listed or []))
            if role == "stranger":
                stranger_bodies.append(json.dumps(doc))
            status, _, doc = s.call("GET", f"{coll}?area=41,28,42,30&from=2030-05-01T00:00:00Z&to=2030-05-02T00:00:00Z", key)
            r.equal(f"area search {kind}s as {role}", role != "stranger",
                    f"obj-{kind}" in [i["id"] for i in doc.get("items", [])])
            if role == "stranger":
                stranger_bodies.append(json.dumps(doc))
            status, _, doc = s.call("GET", f"/v1/audit?object={ref}", key)
            if role == "owner":
                r.check(f"audit of {kind} as owner: its writes", any(i["action"] == f"{kind}.put" for i in doc["items"]))
            elif role == "grantee":
                r.check(f"audit of {kind} as grantee: only its own reads",
                        doc["items"] and all(i["recipients"] == "bob" or i["actor"] == "bob" for i in doc["items"]))
            else:
                r.equal(f"audit of {kind} as stranger: like a missing object",
                        missing_audit["items"], doc["items"])
                stranger_bodies.append(json.dumps(doc))
            if role != "owner":
                status, _, doc = s.call("PUT", path, key, body(kind, ELSEWHERE))
                r.equal(f"PUT {kind} as {role}", expected[("PUT", role)], status)
                if role == "stranger":
                    stranger_bodies.append(json.dumps(doc))
                    r.equal(f"the stranger's PUT made its own object", "carol", doc.get("owner"))
                status, _, doc = s.call("DELETE", path, key)
                r.equal(f"DELETE {kind} as {role}", expected[("DELETE", role)], status)
                if role == "grantee":
                    r.equal(f"the grantee's PUT made its own {kind}, not a change to alice's", "bob", doc.get("owner") if isinstance(doc, dict) and "owner" in doc else "bob")
                    status, _, doc = s.call("DELETE", path, key)
                    r.equal(f"DELETE {kind} as grantee once its own is gone: alice's is not its to delete", 403, status)
                if role == "stranger":
                    # the stranger deleted its own copy (created just above): 200; again: the 404 of nothing
                    status, _, doc = s.call("DELETE", path, key)
                    r.equal(f"DELETE {kind} as stranger once its own is gone", missing["DELETE"], (status, doc))
                    stranger_bodies.append(json.dumps(doc))
        status, _, doc = s.call("GET", "/v1/notices", keys["stranger"])
        stranger_bodies.append(json.dumps(doc))
        # the owner still has it, unchanged by the others' attempts
        status, _, doc = s.call("GET", path, keys["owner"])
        r.equal(f"alice's {kind} is unchanged", (200, 1), (status, doc.get("version")))
        status, _, doc = s.call("PUT", path, keys["owner"], body(kind, SECRET, version=1))
        r.equal(f"alice updates her {kind} at its version", (200, 2), (status, doc.get("version")))
        status, _, doc = s.call("DELETE", path, keys["owner"])
        r.equal(f"alice deletes her {kind}", 200, status)
        status, _, doc = s.call("GET", path, keys["grantee"])
        r.equal(f"the deleted {kind} is gone for the grantee", 404, status)

    for b in stranger_bodies:
        r.check("no field of alice's objects reaches the stranger", not any(m in b for m in MARKERS), b[:200])

    # Without a key, or with a wrong one: 401 everywhere but health.
    for method, path in [("GET", "/v1/intents"), ("GET", "/v1/intents/x"), ("PUT", "/v1/intents/x"),
                         ("DELETE", "/v1/hazards/x"), ("GET", "/v1/zones"), ("GET", "/v1/notices"),
                         ("POST", "/v1/grants"), ("DELETE", "/v1/grants"), ("GET", "/v1/audit?object=a/b/c"),
                         ("POST", "/v1/parties"), ("GET", "/metrics"), ("PUT", "/v1/parties/me"),
                         ("GET", "/v1/parties/alice"), ("PUT", "/v1/parties/alice"), ("POST", "/v1/parties/alice/key"),
                         ("DELETE", "/v1/parties/alice/key")]:
        for key in (None, "dck_" + "A" * 43, "not-a-key"):
            status, headers, doc = s.call(method, path, key, body={})
            r.equal(f"{method} {path} with key {key!r}", 401, status)
            r.equal(f"{method} {path}: problem+json", "application/problem+json", headers.get("content-type"))
    # The operator creates parties and reads audit; it is no party.
    r.equal("operator cannot read objects", 403, s.call("GET", "/v1/intents", s.operator)[0])
    r.equal("a party cannot create parties", 403, s.call("POST", "/v1/parties", keys["owner"], {"name": "x"})[0])
    r.equal("a party cannot read metrics", 403, s.call("GET", "/metrics", keys["owner"])[0])
    status, headers, text = s.call("GET", "/metrics", s.operator)
    r.check("the operator reads metrics", status == 200 and "deconflict_requests_total" in text)
    r.equal("health needs no key", 200, s.call("GET", "/v1/health")[0])

    # The party-admin routes: the operator's alone; a party, even about itself, gets 403 and changes nothing.
    dave = s.party("dave")
    admin = [("GET", "/v1/parties/dave", None, 200), ("PUT", "/v1/parties/dave", {"priority_ceiling": 20}, 200),
             ("POST", "/v1/parties/dave/key", None, 200), ("DELETE", "/v1/parties/dave/key", None, 200)]
    for method, path, doc, _ in admin:
        for role, key in (("dave himself", dave), ("another party", keys["owner"])):
            status, headers, answer = s.call(method, path, key, doc)
            r.equal(f"{method} {path} as {role}: 403", 403, status)
            r.equal(f"{method} {path} as {role}: problem+json", "application/problem+json", headers.get("content-type"))
    r.equal("dave's ceiling is what it was", 10, s.call("GET", "/v1/parties/me", dave)[2].get("priority_ceiling"))
    r.equal("dave's key still works", 200, s.call("GET", "/v1/parties/me", dave)[0])
    for method, path, doc, expected in admin:
        status, _, answer = s.call(method, path, s.operator, doc)
        r.equal(f"{method} {path} as the operator", expected, status)
        r.check(f"{method} {path} as the operator: no field of alice's objects",
                not any(m in json.dumps(answer) for m in MARKERS))
    # once revoked, dave's key opens nothing, not even what any party may call
    for method, path in [("GET", "/v1/parties/me"), ("GET", "/v1/intents"), ("GET", "/v1/notices"), ("GET", "/v1/alerts"),
                         ("PUT", "/v1/intents/d1"), ("POST", "/v1/messages"), ("GET", "/v1/audit?object=party/dave")]:
        r.equal(f"{method} {path} with a revoked key", 401, s.call(method, path, dave, {} if method in ("PUT", "POST") else None)[0])
    # every read above through a grant was recorded; the chain ends vouched for, whatever the
    # last request was (a granted read's record was once left unsigned: audit verify failed)
    s.call("POST", "/v1/grants", keys["owner"], {"grantee": "bob", "kind": "intent"})  # 201, or 409: held
    r.equal("alice's last intent", 201, s.call("PUT", "/v1/intents/audit-last", keys["owner"], {"volumes": [
        volume(["35.0N 30.0E", "35.0N 30.1E", "35.1N 30.1E"], 0, 100, "2031-01-01T00:00:00Z", "2031-01-01T01:00:00Z")]})[0])
    shown = s.call("GET", "/v1/intents", keys["grantee"])[2].get("items", [])
    r.check("bob reads it through his grant", any(i.get("id") == "audit-last" for i in shown))
    out = cli("audit", "verify", "--db", s.db)
    r.check("audit verify passes after reads through grants", out.returncode == 0 and "OK" in out.stdout,
            out.stdout + out.stderr)
finally:
    s.stop()
    s.cleanup()
r.finish()
