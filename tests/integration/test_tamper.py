"""test_tamper.py - change any single byte of an audit row or an object row: `audit verify` reports it, every time."""
import os
import random
import shutil
import sqlite3

from harness import Results, Server, circle, cli, volume

T0, T1 = "2025-03-01T08:00:00Z", "2025-03-01T09:00:00Z"
TRIALS_SQL, TRIALS_FILE = 240, 60

r = Results("tamper")
s = Server()
try:
    a, b, c = s.party("north"), s.party("south"), s.party("cell")
    s.call("POST", "/v1/grants", a, {"grantee": "cell", "kind": "intent"})
    s.call("PUT", "/v1/zones/north-line", a, {"volumes": [volume(["36.0N 37.0E", "36.0N 37.2E", "36.2N 37.2E", "36.2N 37.0E"], 0, 9000, T0, T1)]})
    for i in range(6):
        s.call("PUT", f"/v1/intents/n{i}", a, {"priority": 2, "volumes": [circle(f"35.{5 + i}N 36.{i}E", 3000, 0, 4000, T0, T1)]})
        s.call("PUT", f"/v1/intents/s{i}", b, {"priority": 1 + i % 3, "volumes": [circle(f"35.{5 + i}N 36.{i}E", 2500, 1000, 5000, T0, T1)]})
    s.call("PUT", "/v1/hazards/h1", b, {"priority": 4, "hazard_kind": "strike", "route": {
        "waypoints": [{"position": "35.5N 36.0E", "altitude": 3000, "time": T0},
                      {"position": "35.6N 36.3E", "altitude": 3000, "time": T1}],
        "buffers": {"lateral": 500, "vertical": 100, "time": 30}}})
    s.call("GET", "/v1/intents/n1", c)
    # last: south's aircraft flies into north's zone; its alerts are chained unsigned under one checkpoint
    reports = [{"aircraft": "SAC1", "time": f"2025-03-01T08:10:{sec:02d}Z", "position": f"36.1N {36.95 + sec * 0.0022:.4f}E",
                "altitude": 3000, "ground_speed": 200, "track": 90} for sec in range(0, 60, 10)]
    status, _, doc = s.call("POST", "/v1/tracks", b, reports)
    r.check("the track batch raises alerts", status == 200 and doc.get("alerts", 0) >= 2, doc)
finally:
    s.stop()

base = s.db
out = cli("audit", "verify", "--db", base)
r.equal("the untouched store verifies", 0, out.returncode)
print(out.stdout.strip(), flush=True)
con = sqlite3.connect(base)
rows = con.execute("SELECT seq, action, signature FROM audit ORDER BY seq").fetchall()
con.close()
unsigned = [seq for seq, action, sig in rows if sig in (b"", bytes(64))]  # stored as no bytes
r.check("alerts are chained unsigned", unsigned and all(a == "alert" for seq, a, sig in rows if seq in unsigned), unsigned)
r.check("the chain ends on a signed checkpoint", len(rows[-1][2]) == 64 and rows[-1][2] != bytes(64) and rows[-1][1] == "alert", rows[-1][:2])
# a chain whose last signature is removed leaves its tail vouched for by nobody
shutil.copy(base, os.path.join(s.dir, "uncovered.db"))
con = sqlite3.connect(os.path.join(s.dir, "uncovered.db"))
con.execute("UPDATE audit SET signature = ? WHERE seq = ?", (bytes(64), rows[-1][0]))
con.commit()
con.close()
out = cli("audit", "verify", "--db", os.path.join(s.dir, "uncovered.db"))
r.check("removing the last checkpoint's signature is reported",
        out.returncode == 1 and "no signed record follows" in out.stdout, out.stdout)

con = sqlite3.connect(base)
audit_rows = con.execute("SELECT count(*) FROM audit").fetchone()[0]
object_rows = con.execute("SELECT count(*) FROM objects").fetchone()[0]
columns = {t: [row[1] for row in con.execute(f"PRAGMA table_info({t})")] for t in ("audit", "objects")}
con.close()
print(f"tamper: {audit_rows} audit rows, {object_rows} object rows", flush=True)

rng = random.Random(20151124)
work = os.path.join(s.dir, "trial.db")


def one_byte_changed(value):
    """The value with exactly one byte of its stored form changed."""
    if isinstance(value, int):
        raw = bytearray(value.to_bytes(8, "little", signed=True))
        i = rng.randrange(8 if abs(value) > 255 else 1)
        raw[i] ^= 1 << rng.randrange(8)
        return int.from_bytes(raw, "little", signed=True)
    if isinstance(value, bytes):
        raw = bytearray(value)
        i = rng.randrange(len(raw))
        raw[i] ^= 1 << rng.randrange(8)
        return bytes(raw)
    raw = bytearray(value.encode())
    ascii_positions = [i for i, ch in enumerate(raw) if 32 <= ch < 127] or [0]
    i = rng.choice(ascii_positions)
    raw[i] = rng.choice([ch for ch in range(33, 127) if ch != raw[i]])
    return raw.decode()


detected, trials = 0, 0
for trial in range(TRIALS_SQL):
    shutil.copy(base, work)
    table = "audit" if trial % 2 == 0 else "objects"
    key = "seq" if table == "audit" else "row"
    con = sqlite3.connect(work)
    keys = [k for (k,) in con.execute(f"SELECT {key} FROM {table}")]
    row = rng.choice(keys)
    column = rng.choice(columns[table])
    value = con.execute(f"SELECT {column} FROM {table} WHERE {key} = ?", (row,)).fetchone()[0]
    if value in ("", b""):
        con.close()
        continue  # an empty value has no byte to change
    changed = one_byte_changed(value)
    try:
        con.execute(f"UPDATE {table} SET {column} = ? WHERE {key} = ?", (changed, row))
        con.commit()
    except sqlite3.IntegrityError:
        con.close()
        continue  # e.g. a primary key collision: not a single-byte change the file could hold
    con.close()
    trials += 1
    out = cli("audit", "verify", "--db", work)
    if out.returncode == 1 and "FAILED" in out.stdout:
        detected += 1
    else:
        print(f"MISSED {table}.{column} row {row}: {value!r:.80} -> {changed!r:.80}\n{out.stdout}{out.stderr}", flush=True)

# Raw edits of the file itself: a byte inside a live row's text, found by its content.
# SQLite may keep stale copies of a row in free pages; an edit there changes no row, so
# only edits that change what the database holds count as trials.
def live_texts(path):
    con = sqlite3.connect(path)
    try:
        return sorted(d for (d,) in con.execute("SELECT detail FROM audit")) + \
               sorted(b for (b,) in con.execute("SELECT body FROM objects"))
    except sqlite3.DatabaseError:
        return None
    finally:
        con.close()


original = live_texts(base)
blob = open(base, "rb").read()
file_trials = 0
for trial in range(TRIALS_FILE):
    text = rng.choice(original).encode()
    start = rng.randrange(max(1, len(text) - 24))
    needle = text[start:start + 24]
    at = blob.find(needle)
    while at >= 0:
        data = bytearray(blob)
        i = at + rng.randrange(len(needle))
        data[i] = rng.choice([ch for ch in b"abcdefghijklmnopqrstuvwxyz0123456789" if ch != data[i]])
        open(work, "wb").write(bytes(data))
        for suffix in ("-wal", "-shm"):
            if os.path.exists(work + suffix):
                os.remove(work + suffix)
        if live_texts(work) != original:
            break
        at = blob.find(needle, at + 1)
    if at < 0:
        continue  # every copy was dead space, or the text spans pages: pick another
    file_trials += 1
    out = cli("audit", "verify", "--db", work)
    if out.returncode == 1 and "FAILED" in out.stdout:
        detected += 1
    else:
        print(f"MISSED a byte at {i} in the file ({needle!r})\n{out.stdout}{out.stderr}", flush=True)

total = trials + file_trials
print(f"tamper: {detected} of {total} single-byte changes detected ({trials} through SQL, {file_trials} in the file)", flush=True)
r.check("enough trials ran", trials >= TRIALS_SQL * 0.8 and file_trials >= TRIALS_FILE * 0.5)
r.equal("every change detected", total, detected)
s.cleanup()
r.finish()
