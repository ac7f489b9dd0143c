"""test_from_message.py - a hazard taken from a direct-line message is recorded as such in its audit record, and
must lie where the message said: each volume covers one of its coordinates, or is centred within max(50 m, the
coordinate's MGRS square) of one. Before, any hazard anywhere could cite a confirmed message."""
import hashlib

from common import Results, Server, circle, snapshot

T0, T1 = "2017-01-22T06:00:00Z", "2017-01-22T12:00:00Z"
r = Results("from_message")
s = Server()


def confirmed_message(sender, recipient, coordinates):
    status, _, sent = s.call("POST", "/v1/messages", sender, {"to": "russia", "text": "target", "coordinates": coordinates})
    mid = sent["id"]
    box = s.call("GET", "/v1/messages", recipient)[2]["items"]
    shown = [c["readback"] for c in next(m for m in box if m["id"] == mid)["coordinates"]]
    digest = hashlib.blake2b("\n".join(shown).encode(), digest_size=32).hexdigest()
    status, _, _ = s.call("POST", f"/v1/messages/{mid}/ack", recipient, {"digest": digest})
    assert status == 200
    return mid


def hazard(mid, *volumes):
    return {"priority": 5, "hazard_kind": "strike", "from_message": mid, "volumes": list(volumes)}


try:
    us, ru = s.party("coalition"), s.party("russia")
    # 37SCA6723226005: a 1 m square at about 36.37 N 37.52 E (so 50 m is the tolerance)
    fine = confirmed_message(us, ru, ["37SCA6723226005"])
    coarse = confirmed_message(us, ru, ["37SCA6722"])  # a 1 km square
    before = snapshot(s.db)
    # (name, volumes, accepted?)
    cases = [
        ("5 km away", fine, [circle("37SCA6723231005", 1000, 0, 3000, T0, T1)], False),
        ("70 m away and 10 m wide", fine, [circle("37SCA6723226075", 10, 0, 3000, T0, T1)], False),
        ("the second of two volumes astray", fine, [circle("37SCA6723226005", 300, 0, 3000, T0, T1),
                                                   circle("37SCA6723236005", 300, 0, 3000, T0, T1)], False),
        ("1.6 km from a 1 km square's centre", coarse, [circle("37SCA6700021000", 10, 0, 3000, T0, T1)], False),
    ]
    for what, mid, volumes, _ in cases:
        status, headers, doc = s.call("PUT", "/v1/hazards/astray", ru, hazard(mid, *volumes))
        r.equal(f"a hazard {what}: 400", (400, "/from_message"), (status, doc.get("pointer") if isinstance(doc, dict) else doc))
        r.equal(f"a hazard {what}: problem+json", "application/problem+json", headers.get("content-type"))
    r.equal("nothing was written", before, snapshot(s.db))
    accepted = [
        ("covering the coordinate", fine, [circle("37SCA6723226005", 300, 0, 3000, T0, T1)]),
        ("covering it from 800 m off-centre", fine, [circle("37SCA6723226805", 1000, 0, 3000, T0, T1)]),
        ("10 m wide, centred 40 m away", fine, [circle("37SCA6723226045", 10, 0, 3000, T0, T1)]),
        ("10 m wide, 700 m from a 1 km square's centre", coarse, [circle("37SCA6720022000", 10, 0, 3000, T0, T1)]),
    ]
    for i, (what, mid, volumes) in enumerate(accepted):
        status, _, doc = s.call("PUT", f"/v1/hazards/h{i}", ru, hazard(mid, *volumes))
        r.equal(f"a hazard {what}: accepted", 201, status)
        status, _, audit = s.call("GET", f"/v1/audit?object=hazard/russia/h{i}", ru)
        writes = [item for item in audit.get("items", []) if item["action"] == "hazard.put"]
        r.equal(f"a hazard {what}: its write records the message", [mid], [w["detail"].get("from_message") for w in writes])
    s.call("PUT", "/v1/hazards/plain", ru, {"priority": 1, "hazard_kind": "strike", "volumes": [circle("10N 10E", 100, 0, 100, T0, T1)]})
    status, _, audit = s.call("GET", "/v1/audit?object=hazard/russia/plain", ru)
    r.equal("a hazard from no message records none", [None], [i["detail"].get("from_message") for i in audit["items"] if i["action"] == "hazard.put"])
finally:
    s.stop()
    s.cleanup()
r.finish()
