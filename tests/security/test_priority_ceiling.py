"""test_priority_ceiling.py - a party may claim priorities only up to the ceiling the operator grants it (default
10): above it, 403 problem+json with pointer /priority and nothing changes. Before, any party could submit
priority 100 and make everyone else yield."""
from common import Results, Server, circle, intent, snapshot

T0, T1 = "2033-01-01T10:00:00Z", "2033-01-01T11:00:00Z"
r = Results("priority_ceiling")
s = Server()
try:
    alice, bob = s.party("alice"), s.party("bob")
    r.equal("bob's intent at priority 10 (the default ceiling)", 201, s.call("PUT", "/v1/intents/b1", bob, intent(priority=10))[0])
    r.equal("a party reads its ceiling", (200, 10), (lambda x: (x[0], x[2].get("priority_ceiling")))(s.call("GET", "/v1/parties/me", alice)))
    before = snapshot(s.db)
    for kind, body in (("intent", intent(priority=11)), ("intent", intent(priority=100)),
                       ("hazard", {"priority": 11, "hazard_kind": "strike", "volumes": [circle("36.05N 37.05E", 500, 0, 1000, T0, T1)]})):
        status, headers, doc = s.call("PUT", f"/v1/{kind}s/a1", alice, body)
        r.equal(f"a {kind} at priority {body['priority']}: 403", (403, "/priority"), (status, doc.get("pointer") if isinstance(doc, dict) else doc))
        r.equal(f"a {kind} at priority {body['priority']}: problem+json", "application/problem+json", headers.get("content-type"))
    r.equal("nothing changed, nobody was told", before, snapshot(s.db))
    r.equal("bob has no notice", [], s.call("GET", "/v1/notices", bob)[2]["items"])

    # the operator grants more, at creation or later; each grant is audited
    status, _, doc = s.call("PUT", "/v1/parties/alice", s.operator, {"priority_ceiling": 50})
    r.equal("the operator raises alice's ceiling", (200, 50, 10), (status, doc.get("priority_ceiling"), doc.get("previous_priority_ceiling")))
    r.check("with a receipt", isinstance(doc.get("receipt", {}).get("seq"), int), str(doc))
    r.equal("alice now submits priority 50", 201, s.call("PUT", "/v1/intents/a1", alice, intent(priority=50))[0])
    r.equal("but not 51", 403, s.call("PUT", "/v1/intents/a2", alice, intent(priority=51, vertices=["10N 10E", "10N 10.1E", "10.1N 10.1E"]))[0])
    status, _, doc = s.call("POST", "/v1/parties", s.operator, {"name": "carol", "priority_ceiling": 20})
    r.equal("a party created with a ceiling of 20", (201, 20), (status, doc.get("priority_ceiling")))
    r.equal("which the operator reads", (200, 20), (lambda x: (x[0], x[2].get("priority_ceiling")))(s.call("GET", "/v1/parties/carol", s.operator)))
    # lowered: applies to the next submission, an update of an accepted object included
    r.equal("the operator lowers alice's ceiling to 5", 200, s.call("PUT", "/v1/parties/alice", s.operator, {"priority_ceiling": 5})[0])
    before = snapshot(s.db)
    body = intent(priority=50)
    body["version"] = 1
    status, _, doc = s.call("PUT", "/v1/intents/a1", alice, body)
    r.equal("an update at the old priority is refused", (403, "/priority"), (status, doc.get("pointer")))
    r.equal("and changes nothing", before, snapshot(s.db))
    status, _, doc = s.call("GET", "/v1/audit?object=party/alice", s.operator)
    grants = [(i["actor"], i["detail"].get("previous"), i["detail"].get("priority_ceiling")) for i in doc["items"] if i["action"] == "party.priority_ceiling"]
    r.equal("each change of ceiling is audited, by the operator", [("operator", 10, 50), ("operator", 50, 5)], grants)
    status, _, doc = s.call("GET", "/v1/audit?object=party/alice", alice)
    r.check("alice sees what was granted to her", len([i for i in doc["items"] if i["action"] == "party.priority_ceiling"]) == 2, str(doc)[:300])

    # what the operator may send, and who may send it
    before = snapshot(s.db)
    for bad in ({"priority_ceiling": 101}, {"priority_ceiling": -1}, {"priority_ceiling": "10"}, {"priority_ceiling": 10.5},
                {"priority_ceiling": 4294967306}, {}, {"priority_ceiling": 10, "colour": "red"}, {"name": "x"}):
        status, headers, doc = s.call("PUT", "/v1/parties/alice", s.operator, bad)
        r.equal(f"PUT /v1/parties/alice {bad}: 400", 400, status)
        r.equal(f"PUT /v1/parties/alice {bad}: problem+json", "application/problem+json", headers.get("content-type"))
    r.equal("POST /v1/parties with priority_ceiling 101: 400", (400, "/priority_ceiling"),
            (lambda x: (x[0], x[2].get("pointer")))(s.call("POST", "/v1/parties", s.operator, {"name": "dave", "priority_ceiling": 101})))
    r.equal("a ceiling for a party that does not exist: 404", 404, s.call("PUT", "/v1/parties/nobody", s.operator, {"priority_ceiling": 5})[0])
    r.equal("a party cannot raise its own ceiling", 403, s.call("PUT", "/v1/parties/alice", alice, {"priority_ceiling": 100})[0])
    r.equal("nor another's", 403, s.call("PUT", "/v1/parties/bob", alice, {"priority_ceiling": 0})[0])
    r.equal("nor can anyone without a key", 401, s.call("PUT", "/v1/parties/alice", None, {"priority_ceiling": 100})[0])
    r.equal("none of that changed anything", before, snapshot(s.db))
finally:
    s.stop()
    s.cleanup()
r.finish()
