"""test_audit_forgery.py - an audit record altered by someone who can write the database but holds no
key: its hash recomputed and the next record re-linked to it by hand. Each record's hash covers its
predecessor's, so the forgery shows at the next record however well it was re-linked."""
import hashlib
import sqlite3

from harness import Results, Server, cli, volume

r = Results("audit_forgery")
s = Server()
try:
    red, blue = s.party("red"), s.party("blue")
    zone = {"public": True, "admitted": [], "volumes": [volume(
        ["35.9N 37.3E", "35.9N 37.5E", "36.1N 37.5E", "36.1N 37.3E"], 0, 20000,
        "2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z")]}
    r.equal("blue's zone", 201, s.call("PUT", "/v1/zones/box", blue, zone)[0])
    # five of red's aircraft inside it at once: five alerts, chained unsigned, the last one signed
    reports = [{"aircraft": f"R{i}", "time": "2025-01-01T10:00:00Z", "position": f"36.0N {37.35 + 0.02 * i:.2f}E",
                "altitude": 3000, "ground_speed": 100, "track": 90} for i in range(5)]
    status, _, doc = s.call("POST", "/v1/tracks", red, reports)
    r.check("the alerts are raised", status == 200 and doc.get("alerts", 0) >= 2, str(doc)[:200])
finally:
    s.stop()
r.equal("the store verifies as written", 0, cli("audit", "verify", "--db", s.db).returncode)


def put_field(h, data):
    h.update(len(data).to_bytes(8, "little"))
    h.update(data)


def record_hash(row, prev):
    """BLAKE2b-256 of a record as src/audit/audit.c lays it out."""
    seq, time, actor, action, obj, recipients, detail = row
    h = hashlib.blake2b(digest_size=32)
    put_field(h, b"deconflict-audit-v1")
    for v in (seq, time):
        put_field(h, int(v).to_bytes(8, "little", signed=True))
    for t in (actor, action, obj, recipients, detail):
        put_field(h, t.encode())
    put_field(h, prev)
    return h.digest()


con = sqlite3.connect(s.db)
rows = con.execute("SELECT seq, time, actor, action, object, recipients, detail, prev_hash, hash, signature"
                   " FROM audit ORDER BY seq").fetchall()
unsigned = [i for i, row in enumerate(rows[:-1]) if not row[9] or not any(row[9])]
r.check("an unsigned record with one after it", bool(unsigned), str([(x[0], x[3]) for x in rows]))
if unsigned:
    k = unsigned[0]
    seq, time, actor, action, obj, recipients, detail, prev, old_hash, _ = rows[k]
    r.equal("our recomputation of a record's hash is the server's", bytes(old_hash),
            record_hash((seq, time, actor, action, obj, recipients, detail), bytes(prev)))
    forged = record_hash((seq, time, actor, action, obj, "nobody", detail), bytes(prev))
    con.execute("UPDATE audit SET recipients = 'nobody', hash = ? WHERE seq = ?", (forged, seq))
    con.execute("UPDATE audit SET prev_hash = ? WHERE seq = ?", (forged, rows[k + 1][0]))
    con.commit()
con.close()
out = cli("audit", "verify", "--db", s.db)
r.check("the forged record, re-linked by hand, is reported", out.returncode == 1, out.stdout[-600:])
s.cleanup()
r.finish()
