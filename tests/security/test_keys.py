"""test_keys.py - the operator rotates and revokes a party's key, through the API and the CLI: the old key is
refused (401) from the next request on, every change is audited and named by who-saw; a party cannot do it to
itself or another, nor can anyone without the operator key."""
from common import Results, Server, cli, intent, snapshot

r = Results("keys")
s = Server()


def me(key):
    return s.call("GET", "/v1/parties/me", key)[0]


try:
    alice, bob = s.party("alice"), s.party("bob")
    r.equal("alice's intent", 201, s.call("PUT", "/v1/intents/a1", alice, intent())[0])
    # rotation through the API
    status, headers, doc = s.call("POST", "/v1/parties/alice/key", s.operator)
    r.equal("the operator rotates alice's key", 200, status)
    new = doc.get("key", "")
    r.check("a new key, shown once", new.startswith("dck_") and new != alice, str(doc))
    r.equal("the old key is refused at once", 401, me(alice))
    r.equal("a write with the old key too", 401, s.call("PUT", "/v1/intents/a2", alice, intent())[0])
    r.equal("the new key works", 200, me(new))
    r.equal("and still owns alice's objects", 200, s.call("GET", "/v1/intents/a1", new)[0])
    r.check("the operator's view never shows the key", "key" not in s.call("GET", "/v1/parties/alice", s.operator)[2]
            or s.call("GET", "/v1/parties/alice", s.operator)[2]["key"] == "active")
    # revocation through the API
    status, _, doc = s.call("DELETE", "/v1/parties/alice/key", s.operator)
    r.equal("the operator revokes alice's key", (200, "revoked"), (status, doc.get("key")))
    r.equal("the revoked key is refused at once", 401, me(new))
    r.equal("its objects stay", 1, len(__import__("sqlite3").connect(s.db).execute("SELECT 1 FROM objects WHERE owner='alice'").fetchall()))
    before = snapshot(s.db)
    status, headers, doc = s.call("DELETE", "/v1/parties/alice/key", s.operator)
    r.equal("revoking twice: 409, nothing changed", (409, "application/problem+json"), (status, headers.get("content-type")))
    r.equal("the second revocation changed nothing", before, snapshot(s.db))
    status, _, doc = s.call("POST", "/v1/parties/alice/key", s.operator)
    r.equal("a new key after revocation works", (200, 200), (status, me(doc.get("key"))))
    alice = doc.get("key")
    # who may
    before = snapshot(s.db)
    for method in ("POST", "DELETE"):
        r.equal(f"{method} own key as a party: 403", 403, s.call(method, "/v1/parties/alice/key", alice)[0])
        r.equal(f"{method} another's key as a party: 403", 403, s.call(method, "/v1/parties/bob/key", alice)[0])
        r.equal(f"{method} a key without a key: 401", 401, s.call(method, "/v1/parties/alice/key", None)[0])
        r.equal(f"{method} a key with a revoked key: 401", 401, s.call(method, "/v1/parties/alice/key", new)[0])
        r.equal(f"{method} the key of nobody: 404", 404, s.call(method, "/v1/parties/nobody/key", s.operator)[0])
        r.equal(f"{method} with a body that is not empty: 400", 400, s.call(method, "/v1/parties/bob/key", s.operator, {"key": "dck_x"})[0])
        r.equal(f"{method} with a bad party name: 400", 400, s.call(method, "/v1/parties/b%21b/key", s.operator)[0])
    r.equal("none of that changed anything", before, snapshot(s.db))
    r.equal("bob's key still works", 200, me(bob))
    # audited
    status, _, doc = s.call("GET", "/v1/audit?object=party/alice", s.operator)
    actions = [(i["actor"], i["action"]) for i in doc["items"]]
    r.equal("every key change is audited", [("operator", "party.create"), ("operator", "party.key_rotate"), ("operator", "party.key_revoke"),
                                            ("operator", "party.key_rotate")], actions)
    # the CLI on the store of the running server
    out = cli("party", "create", "carol", "--db", s.db, "--priority-ceiling", "20", "--notation", "mgrs")
    r.equal("deconflict party create", 0, out.returncode)
    carol = next((line.split()[1] for line in out.stdout.splitlines() if line.startswith("key: ")), "")
    status, _, doc = s.call("GET", "/v1/parties/me", carol)
    r.equal("the running server knows carol at once, with her ceiling and notation", (200, 20, "mgrs"),
            (status, doc.get("priority_ceiling"), doc.get("notation")))
    out = cli("party", "rotate", "carol", "--db", s.db)
    r.equal("deconflict party rotate", 0, out.returncode)
    carol2 = next((line.split()[1] for line in out.stdout.splitlines() if line.startswith("key: ")), "")
    r.equal("the old key is refused at once", (401, 200), (me(carol), me(carol2)))
    out = cli("party", "ceiling", "carol", "30", "--db", s.db)
    r.equal("deconflict party ceiling", (0, 30), (out.returncode, s.call("GET", "/v1/parties/me", carol2)[2].get("priority_ceiling")))
    out = cli("party", "revoke", "carol", "--db", s.db)
    r.equal("deconflict party revoke", (0, 401), (out.returncode, me(carol2)))
    out = cli("party", "show", "carol", "--db", s.db)
    r.check("deconflict party show", out.returncode == 0 and "priority ceiling 30" in out.stdout and "key revoked" in out.stdout, out.stdout)
    before = snapshot(s.db)
    for args, code in ((("revoke", "carol"), 1), (("rotate", "nobody"), 1), (("ceiling", "carol", "101"), 2),
                       (("ceiling", "carol", "-1"), 2), (("ceiling", "carol"), 2), (("create", "carol"), 1), (("frobnicate", "carol"), 2)):
        out = cli("party", *args, "--db", s.db)
        r.equal(f"deconflict party {' '.join(args)}: exit {code}", code, out.returncode)
    r.equal("the refused commands changed nothing", before, snapshot(s.db))
    out = cli("audit", "who-saw", "party/carol", "--db", s.db)
    r.check("who-saw names every change to carol", all(a in out.stdout for a in ("party.create", "party.key_rotate", "party.priority_ceiling",
                                                                                  "party.key_revoke")), out.stdout)
    out = cli("audit", "verify", "--db", s.db)
    r.equal("the chain verifies with the CLI's records in it", 0, out.returncode)
finally:
    s.stop()
    s.cleanup()
r.finish()
