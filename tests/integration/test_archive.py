"""test_archive.py - retention with archive: rows leave the live store for signed segments; `audit verify`
walks archive and store as one chain (and re-links every record), receipts issued before archiving still
verify, who-saw answers across both, the API keeps serving; a segment altered, dropped, reordered, cut short
or a record removed or duplicated is reported; a server killed in the middle of archiving loses nothing and
duplicates nothing."""
import gzip
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time

from harness import SERVER, Results, Server, circle, cli, free_port, volume

T0, T1 = "2025-03-01T08:00:00Z", "2025-03-01T09:00:00Z"
RETAIN = ("--retain", "all=1s", "--archive-period", "3s", "--archive-batch", "40", "--establish-seconds", "2")

r = Results("archive")


def report(aircraft, t, east_deg):
    return {"aircraft": aircraft, "time": f"2025-01-01T10:{t // 60:02d}:{t % 60:02d}Z",
            "position": f"36.0N {37.0 + east_deg:.5f}E", "altitude": 5000, "ground_speed": 200, "track": 90}


def segments(db):
    """Committed segments as the store lists them: (number, file, bytes, closed)."""
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT number, file, bytes, closed FROM archive_segments ORDER BY number").fetchall()
    finally:
        con.close()


def archived_lines(db):
    """Every line of every segment, as far as the store committed each (Python's own reading)."""
    out = []
    for number, name, size, _ in segments(db):
        with open(os.path.join(db + ".archive", name), "rb") as f:
            data = f.read(size)
        out += [json.loads(line) for line in gzip.decompress(data).decode().splitlines()]
    return out


def verify(db, *extra):
    out = cli("audit", "verify", "--db", db, *extra)
    return out.returncode, out.stdout + out.stderr


def regzip(path, edit):
    """Rewrite a segment with `edit` applied to its list of lines (one gzip member: as a forger would)."""
    lines = gzip.decompress(open(path, "rb").read()).decode().splitlines()
    lines = edit(lines)
    open(path, "wb").write(gzip.compress(("\n".join(lines) + "\n").encode()))


deg_per_10s = 2000 / (111320 * 0.809)
s = Server(extra_args=RETAIN)
receipts = []
try:
    north, south, cell = s.party("north"), s.party("south"), s.party("cell")
    status, _, doc = s.call("POST", "/v1/grants", north, {"grantee": "cell", "kind": "intent"})
    receipts.append(doc["receipt"])
    status, _, doc = s.call("PUT", "/v1/zones/north-box", north, {"public": False, "volumes": [volume(
        ["35.9N 37.33E", "35.9N 37.45E", "36.1N 37.45E", "36.1N 37.33E"], 0, 20000, "2025-01-01T00:00:00Z",
        "2025-01-02T00:00:00Z")]})
    r.equal("north's zone", 201, status)
    receipts.append(doc["receipt"])
    # conflicting intents: notices to both sides, audited
    for i in range(4):  # south's intents outrank north's: accepted, and north is told to replan
        status, _, doc = s.call("PUT", f"/v1/intents/n{i}", north, {"priority": 1, "volumes": [
            circle(f"35.{5 + i}N 36.{i}E", 3000, 0, 4000, T0, T1)]})
        receipts.append(doc["receipt"])
        status, _, _ = s.call("PUT", f"/v1/intents/s{i}", south, {"priority": 5, "volumes": [
            circle(f"35.{5 + i}N 36.{i}E", 2500, 1000, 5000, T0, T1)]})
        r.equal(f"south's intent s{i}", 201, status)
    r.check("north is told of south's intents", len(s.call("GET", "/v1/notices", north)[2]["items"]) > 0)
    s.call("GET", "/v1/intents/n1", cell)  # a read through a grant: audited, who-saw names cell
    # an intent that ends: archived as an object once its retention is over
    status, _, doc = s.call("PUT", "/v1/intents/done", north, {"state": "ended", "volumes": [circle("34.0N 35.0E", 1000, 0, 1000, T0, T1)]})
    r.equal("an ended intent", 201, status)
    # a direct-line message, acknowledged
    status, _, sent = s.call("POST", "/v1/messages", north, {"to": "south", "text": "hold", "coordinates": ["36.1N 37.1E"]})
    shown = s.call("GET", "/v1/messages", south)[2]["items"][0]["coordinates"][0]
    right = hashlib.blake2b(shown["readback"].encode(), digest_size=32).hexdigest()
    r.equal("the message is acknowledged", 200, s.call("POST", f"/v1/messages/{sent['id']}/ack", south, {"digest": right})[0])
    # south's aircraft flies into north's zone: alerts to both, repetitions, one audit record each
    for k in range(30):
        status, _, doc = s.call("POST", "/v1/tracks", south, [report("S1", 10 * k, k * deg_per_10s)])
        time.sleep(0.1)
    early = s.call("GET", "/v1/alerts?since=0", north)[2]["items"]
    time.sleep(5)  # every row is now past its second of retention
    deadline = time.time() + 90  # a loaded machine: the archiver shares two cores with the tests
    while time.time() < deadline:
        con = sqlite3.connect(s.db)
        left = con.execute("SELECT (SELECT count(*) FROM alert_log) + (SELECT count(*) FROM notices) +"
                           " (SELECT count(*) FROM objects WHERE state = 'ended')").fetchone()[0]
        con.close()
        if left <= 1 and len(segments(s.db)) >= 2:
            break
        time.sleep(0.5)
    con = sqlite3.connect(s.db)
    live = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("audit", "alert_log", "alert_inbox", "notices", "messages")}
    ended = con.execute("SELECT count(*) FROM objects WHERE state = 'ended'").fetchone()[0]
    con.close()
    print(f"archive: live after retention {live}, {len(segments(s.db))} segments", flush=True)
    r.equal("the audit chain's head stays live, the rest is archived", 1, live["audit"])
    r.equal("every alert is archived, with its recipients' copies", (0, 0), (live["alert_log"], live["alert_inbox"]))
    r.equal("notices and the acknowledged message leave but the newest (ids never go back)", (1, 1), (live["notices"], live["messages"]))
    r.equal("the ended intent is archived", 0, ended)
    r.check("several segments, one per period", len(segments(s.db)) >= 2, segments(s.db))
    r.check("the alerts the API gave before are gone from it", s.call("GET", "/v1/alerts?since=0", north)[2]["items"] == [] and early)
    # the API goes on: new alerts get new ids, after every archived one
    last_early = max(a["id"] for a in early)
    for k in range(4):  # another of south's aircraft, inside north's zone
        s.call("POST", "/v1/tracks", south, [report("s2", 300 + 10 * k, 0.38 + k * 0.001)])
    fresh = s.call("GET", f"/v1/alerts?since={last_early}", north)[2]["items"]
    r.check("new alerts after archiving carry ids past the archived ones", fresh and min(a["id"] for a in fresh) > last_early, fresh)
    status, _, metrics = s.call("GET", "/metrics", s.operator)
    r.check("/metrics shows the store by kind, the oldest row kept and the archive",
            'deconflict_store_bytes{kind="alerts"}' in metrics and "deconflict_store_oldest_seconds" in metrics and
            "deconflict_archive_segments" in metrics and 'deconflict_archived_rows_total{kind="audit"}' in metrics, metrics[-600:])
finally:
    s.stop()

# more records with a long retention: who-saw must answer from the archive and the store together
s = Server(keep_dir=s.dir, extra_args=("--retain", "all=forever"))
try:
    status, _, doc = s.call("GET", "/v1/intents/n1", cell)
    r.equal("cell reads north's intent again after the restart", 200, status)
finally:
    s.stop()
db = s.db
code, out = verify(db)
print(out.strip().splitlines()[-1], flush=True)
r.equal("archive and store verify as one chain", 0, code)
r.check("the verification walked the archive", " in " in out and "archive segments" in out and "OK" in out, out)
code, out = verify(db, *sum((["--receipt", f"{x['seq']}:{x['hash']}:{x['signature']}"] for x in receipts), []))
r.equal("receipts issued before archiving still verify", (0, len(receipts)), (code, out.count("as issued")))
r.check("and they were found in the archive", "in segment" in out, out)
forged = dict(receipts[1], hash="00" * 32)
code, out = verify(db, "--receipt", f"{forged['seq']}:{forged['hash']}")
r.check("a receipt the chain does not hold is reported", code == 1 and "not the one receipted" in out, out)
who = cli("audit", "who-saw", "intent/north/n1", "--db", db).stdout
parties = who.strip().splitlines()[-1]
r.check("who-saw names the notice's recipient (archived) and the reader (archived and live)",
        parties.startswith("parties:") and set(parties.split()[1:]) == {"south", "cell"}, who)
con = sqlite3.connect(db)
live_reads = con.execute("SELECT count(*) FROM audit WHERE object = 'intent/north/n1' AND action = 'read'").fetchone()[0]
con.close()
r.equal("one of cell's reads is in the live store", 1, live_reads)
r.equal("who-saw lists the archived read and the live one", 2,
        sum(1 for line in who.splitlines() if " cell " in line and " read " in line))
who = cli("audit", "who-saw", "track/south/S1", "--db", db).stdout
r.check("who-saw names who was told of the aircraft (its owner is not a disclosure): the zone's", who.strip().endswith("north"), who[-300:])
lines = archived_lines(db)
seqs = [l["audit"]["seq"] for l in lines if "audit" in l]
con = sqlite3.connect(db)
live_seqs = [x for (x,) in con.execute("SELECT seq FROM audit ORDER BY seq")]
con.close()
r.equal("the archive and the store hold every audit record once, in order", list(range(1, len(seqs) + len(live_seqs) + 1)), seqs + live_seqs)
for path in sorted(os.listdir(db + ".archive")):
    out = cli("audit", "verify", "--segment", os.path.join(db + ".archive", path))
    r.check(f"{path} verifies on its own", out.returncode == 0 and "OK" in out.stdout, out.stdout)
stats = cli("store", "stats", "--db", db).stdout
r.check("store stats shows kinds, oldest rows, the archive and growth",
        "alerts" in stats and "oldest kept" in stats and "segments" in stats and "growth over the last" in stats, stats)


# ---- tampering with the archive ----
def trial(name, change, expect):
    work = os.path.join(s.dir, "trial-" + name)
    shutil.copytree(s.dir, work, ignore=shutil.ignore_patterns("trial-*"))
    wdb = os.path.join(work, "deconflict.db")
    change(wdb, os.path.join(work, "deconflict.db.archive"))
    code, out = verify(wdb)
    r.check(f"{name}: reported ({expect})", code == 1 and "FAILED" in out and expect in out, out[-1500:])
    return out


segs = segments(db)
names = [name for _, name, _, _ in segs]


def alter_line(wdb, adir):
    def edit(lines):
        for i, line in enumerate(lines):
            if '"audit"' in line and '"notice"' in line:
                lines[i] = line.replace('"recipients":"south"', '"recipients":"nobody"')
                return lines
        raise AssertionError("no notice record to alter")
    target = next(n for n in names if any('"action":"notice"' in l for l in gzip.decompress(open(os.path.join(adir, n), "rb").read()).decode().splitlines()))
    regzip(os.path.join(adir, target), edit)


trial("a line altered", alter_line, "not the ones it signed")
trial("a segment dropped", lambda wdb, adir: os.remove(os.path.join(adir, names[1])), "is missing")
def drop_last(wdb, adir):
    """The newest segments gone, from the last one holding audit records on (those after it may
    hold alerts only, which the chain does not cover), and the store's notes of them too: only
    the chain shows it."""
    def holds_audit(name):
        text = gzip.decompress(open(os.path.join(adir, name), "rb").read()).decode()
        return any('"audit"' in line for line in text.splitlines())
    last = max(i for i, name in enumerate(names) if holds_audit(name))
    for name in names[last:]:
        os.remove(os.path.join(adir, name))
    con = sqlite3.connect(wdb)
    con.execute("DELETE FROM archive_segments WHERE number >= ?", (segs[last][0],))
    con.commit()
    con.close()


out = trial("the last segment dropped, and its row in the store", drop_last, "does not chain to the record before it")
r.check("... and the records it held are named missing", "are missing before the store's record" in out, out[-800:])


def swap(wdb, adir):
    a, b = os.path.join(adir, names[0]), os.path.join(adir, names[1])
    os.rename(a, a + ".tmp")
    os.rename(b, a)
    os.rename(a + ".tmp", b)


trial("two segments swapped", swap, "renamed or put out of order")


def cut(wdb, adir):
    path = os.path.join(adir, names[0])
    data = open(path, "rb").read()
    open(path, "wb").write(data[: len(data) // 2])


trial("a segment cut short", cut, "cut short")


def duplicate_line(wdb, adir):
    def edit(lines):
        i = next(i for i, l in enumerate(lines) if '"audit"' in l)
        return lines[: i + 1] + [lines[i]] + lines[i + 1:]
    regzip(os.path.join(adir, names[0]), edit)


out = trial("an archived record duplicated", duplicate_line, "is repeated or out of order")
r.check("... and its copy does not chain", "does not chain to the record before it" in out, out[-800:])
# a forger who re-signs nothing cannot make a segment verify on its own either
work = os.path.join(s.dir, "trial-alone")
os.makedirs(work)
shutil.copy(os.path.join(db + ".archive", names[0]), work)
regzip(os.path.join(work, names[0]), lambda lines: lines[:1] + lines[2:])
out = cli("audit", "verify", "--segment", os.path.join(work, names[0]))
r.check("a segment with a line removed fails on its own", out.returncode == 1 and "FAILED" in out.stdout, out.stdout)


# ---- re-linking the live chain: a record removed, a record duplicated (each keeps a valid hash and
# signature, and the checkpoints after it still verify; only the links show it) ----
def live_removed(wdb, adir):
    con = sqlite3.connect(wdb)
    seq = con.execute("SELECT max(seq) FROM audit").fetchone()[0] - 1
    con.execute("DELETE FROM audit WHERE seq = ?", (seq,))
    con.commit()
    con.close()
    live_removed.seq = seq


def live_duplicated(wdb, adir):
    con = sqlite3.connect(wdb)
    cols = [c[1] for c in con.execute("PRAGMA table_info(audit)")]
    con.executescript("CREATE TABLE copy AS SELECT * FROM audit; DROP TABLE audit;"
                      f"CREATE TABLE audit({', '.join(cols)}); INSERT INTO audit SELECT * FROM copy;"
                      "INSERT INTO audit SELECT * FROM copy WHERE seq = (SELECT max(seq) - 1 FROM copy); DROP TABLE copy;"
                      "CREATE INDEX audit_by_run_object ON audit(seq >> 16, object, seq);")
    con.close()


s2 = Server(keep_dir=s.dir, extra_args=("--retain", "all=forever"))
try:
    for i in range(4):  # signed writes in the live store to remove from and duplicate
        s2.call("GET", "/v1/intents/n2", cell)
finally:
    s2.stop()
out = trial("a live record removed", live_removed, "does not chain to the record before it")
r.check("... naming the record after the gap", f"record {live_removed.seq + 1} in the store does not chain" in out, out[-800:])
out = trial("a live record duplicated", live_duplicated, "is repeated or out of order")
r.check("... and its copy does not chain", "in the store does not chain to the record before it" in out, out[-800:])


# ---- killed in the middle of archiving: nothing lost, nothing duplicated ----
def counts(db_path):
    con = sqlite3.connect(db_path)
    res = {"audit": [x for (x,) in con.execute("SELECT seq FROM audit")],
           "alerts": [x for (x,) in con.execute("SELECT id FROM alert_log")]}
    con.close()
    for line in archived_lines(db_path):
        if "audit" in line:
            res["audit"].append(line["audit"]["seq"])
        if "alert" in line:
            res["alerts"].append(line["alert"]["id"])
    return res


k = Server(extra_args=("--retain", "all=forever", "--establish-seconds", "2"))
try:
    red, blue = k.party("red"), k.party("blue")
    k.call("PUT", "/v1/zones/blue-box", blue, {"public": False, "volumes": [volume(
        ["35.9N 37.33E", "35.9N 37.45E", "36.1N 37.45E", "36.1N 37.33E"], 0, 20000, "2025-01-01T00:00:00Z",
        "2025-01-02T00:00:00Z")]})
    for k_ in range(60):
        batch = [report(f"r{j}", 10 * k_, k_ * deg_per_10s + 0.002 * j) for j in range(40)]
        k.call("POST", "/v1/tracks", red, batch)
finally:
    k.stop()
before = counts(k.db)
print(f"archive: {len(before['audit'])} audit records and {len(before['alerts'])} alerts before the kills", flush=True)
kills, interrupted = 0, 0
for attempt in range(12):
    proc = subprocess.Popen([SERVER, "--listen", f"127.0.0.1:{free_port()}", "--db", k.db,
                             "--operator-key-file", os.path.join(k.dir, "operator.key"), "--quiet",
                             "--retain", "all=1s", "--archive-batch", "25", "--archive-period", "2s"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.4 + 0.1 * attempt)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    kills += 1
    now = counts(k.db)
    con = sqlite3.connect(k.db)
    live_alerts = con.execute("SELECT count(*) FROM alert_log").fetchone()[0]
    con.close()
    tails = sum(os.path.getsize(os.path.join(k.db + ".archive", name)) > size for _, name, size, _ in segments(k.db)
                if os.path.exists(os.path.join(k.db + ".archive", name)))
    # killed while rows were still due: part archived, part live (and perhaps an append uncommitted)
    interrupted += live_alerts > 0 and len(now["alerts"]) > live_alerts
    r.equal(f"kill {kills}: every audit record once", sorted(before["audit"]), sorted(now["audit"]))
    r.equal(f"kill {kills}: every alert once", sorted(before["alerts"]), sorted(now["alerts"]))
    if tails:
        print(f"archive: kill {kills} left an append uncommitted", flush=True)
    if live_alerts == 0:
        break
print(f"archive: {kills} kills, {interrupted} in the middle of archiving", flush=True)
r.check("kills fell in the middle of archiving", interrupted >= 2, interrupted)
# a last run finishes the job from where the kills left it
f = Server(keep_dir=k.dir, extra_args=("--retain", "all=1s", "--archive-batch", "25", "--archive-period", "2s"))
try:
    # as long as the archiver makes progress (a loaded machine slows it, it does not stop it)
    progress_by, fewest = time.time() + 60, None
    while time.time() < progress_by:
        con = sqlite3.connect(k.db)
        left = con.execute("SELECT count(*) FROM alert_log WHERE episode != 0 OR until IS NULL").fetchone()[0]
        con.close()
        if left == 0:
            break
        if fewest is None or left < fewest:
            progress_by, fewest = time.time() + 60, left
        time.sleep(0.5)
finally:
    f.stop()
after = counts(k.db)
r.equal("after the kills and a clean run: every audit record once", sorted(before["audit"]), sorted(after["audit"]))
r.equal("... every alert once", sorted(before["alerts"]), sorted(after["alerts"]))
con = sqlite3.connect(k.db)
held = con.execute("SELECT count(*), sum(episode = 0 AND until IS NOT NULL) FROM alert_log").fetchone()
con.close()
r.check("what stays live of the alerts is first alerts of episodes still open (their repetitions refer to them)",
        held[0] == (held[1] or 0), held)
code, out = verify(k.db)
r.equal(f"after {kills} kills the chain verifies across archive and store", 0, code)
if code:
    print(out[-2000:])
s.cleanup()
k.cleanup()
r.finish()
