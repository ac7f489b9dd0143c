"""test_reserved_names.py - party names that would pass for the operator, the server, /v1/parties/me or a path
step ("Operator", "SERVER", ".", "..") are refused in any case, through the API and the CLI."""
from common import Results, Server, cli, snapshot

r = Results("reserved_names")
s = Server()
try:
    before = snapshot(s.db)
    for name in ("Operator", "OPERATOR", "operator", "oPeRaToR", "SERVER", "Server", "server", "me", "Me", "ME",
                 ".", "..", "...", "." * 63):
        status, headers, doc = s.call("POST", "/v1/parties", s.operator, {"name": name})
        r.equal(f"party name {name!r}: 400", (400, "/name"), (status, doc.get("pointer") if isinstance(doc, dict) else doc))
        r.equal(f"party name {name!r}: problem+json", "application/problem+json", headers.get("content-type"))
        out = cli("party", "create", name, "--db", s.db)
        r.check(f"deconflict party create {name!r} is refused", out.returncode == 1 and "reserved" in out.stderr, out.stderr)
    r.equal("no party was made", before, snapshot(s.db))
    for name in ("operators", "me2", ".x", "a..b", "serverless", "op"):
        r.equal(f"party name {name!r} is free", 201, s.call("POST", "/v1/parties", s.operator, {"name": name})[0])
    # a party named like a reserved one could be told apart from the operator nowhere: in the audit
    # log "operator" is the actor of every party change
    status, _, doc = s.call("GET", "/v1/audit?object=party/op", s.operator)
    r.check("the operator is the actor of a party's creation", any(i["actor"] == "operator" and i["action"] == "party.create"
                                                                   for i in doc.get("items", [])), str(doc)[:300])
finally:
    s.stop()
    s.cleanup()
r.finish()
