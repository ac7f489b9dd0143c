"""test_cli_json.py - --json on the commands that lacked it (issue 17): audit verify (a store, its
archive, receipts, one segment) and who-saw, store stats, backup and restore, serve / deconflictd.
Every document parses, holds what the text says (both outputs compared), keeps the exit status, and a
damaged store's verify lists each problem with its kind and record; a command that cannot do what
was asked writes no document and says why on standard error, as check and party do."""
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import SERVER, Results, Server, circle, volume  # noqa: E402

CLI = os.environ["DC_CLI"]
T0, T1 = "2025-03-01T08:00:00Z", "2025-03-01T09:00:00Z"
RETAIN = ("--retain", "all=1s", "--archive-period", "3s", "--archive-batch", "40", "--establish-seconds", "2")

r = Results("cli_json")
check, equal = r.check, r.equal


def run(*args, program=CLI):
    out = subprocess.run([program, *args], capture_output=True, text=True, timeout=300)
    check(f"{' '.join(args)[:70]}: no sanitizer report", "Sanitizer" not in out.stderr, out.stderr[-600:])
    return out


def doc_of(what, out):
    try:
        return json.loads(out.stdout)
    except ValueError as e:
        check(f"{what} is one JSON document", False, f"{e}: {out.stdout[:300]!r} {out.stderr[:300]!r}")
        return {}


def both(*args):
    """The text and the --json run of one command: (text, doc, text result, json result)."""
    text, js = run(*args), run(*args, "--json")
    equal(f"{' '.join(args[:2])}: --json keeps the exit status", text.returncode, js.returncode)
    return text, doc_of(" ".join(args[:2]) + " --json", js), js


def refused(what, out, code):
    """A command that could not do it: its exit status, no document, the reason on stderr."""
    equal(f"{what} exits {code}", code, out.returncode)
    check(f"{what}: nothing on standard output", out.stdout == "", out.stdout[:300])
    check(f"{what}: the reason on standard error", out.stderr.strip() != "", out.stderr)


def report(aircraft, t, east_deg):
    return {"aircraft": aircraft, "time": f"2025-01-01T10:{t // 60:02d}:{t % 60:02d}Z",
            "position": f"36.0N {37.0 + east_deg:.5f}E", "altitude": 5000, "ground_speed": 200, "track": 90}


def oldest_live(db):
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT min(seq) FROM audit").fetchone()[0]
    finally:
        con.close()


def segment_count(db):
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT count(*) FROM archive_segments").fetchone()[0]
    finally:
        con.close()


# ---- a store with notices, a read through a grant, alerts, receipts, and an archive ----
s = Server(extra_args=RETAIN)
receipts = []
try:
    north, south, cell = s.party("north"), s.party("south"), s.party("cell")
    receipts.append(s.call("POST", "/v1/grants", north, {"grantee": "cell", "kind": "intent"})[2]["receipt"])
    status, _, doc = s.call("PUT", "/v1/zones/north-box", north, {"public": False, "volumes": [volume(
        ["35.9N 37.33E", "35.9N 37.45E", "36.1N 37.45E", "36.1N 37.33E"], 0, 20000, "2025-01-01T00:00:00Z",
        "2025-01-02T00:00:00Z")]})
    receipts.append(doc["receipt"])
    for i in range(3):
        receipts.append(s.call("PUT", f"/v1/intents/n{i}", north, {"priority": 1, "volumes": [
            circle(f"35.{5 + i}N 36.{i}E", 3000, 0, 4000, T0, T1)]})[2]["receipt"])
        s.call("PUT", f"/v1/intents/s{i}", south, {"priority": 5, "volumes": [
            circle(f"35.{5 + i}N 36.{i}E", 2500, 1000, 5000, T0, T1)]})
    s.call("GET", "/v1/intents/n1", cell)  # a read through the grant: who-saw names cell
    deg_per_10s = 2000 / (111320 * 0.809)
    for k in range(12):  # south's aircraft into north's zone: alerts
        s.call("POST", "/v1/tracks", south, [report("S1", 10 * k, 0.3 + k * deg_per_10s)])
        time.sleep(0.1)
    deadline = time.time() + 90  # the archiver shares two cores with the tests
    while time.time() < deadline and (segment_count(s.db) < 1 or oldest_live(s.db) <= receipts[-1]["seq"]):
        time.sleep(0.5)
    # later writes stay live with a long retention (the server restarted on the same store)
finally:
    s.stop()
s = Server(keep_dir=s.dir, extra_args=("--retain", "all=forever"))
try:
    receipts.append(s.call("PUT", "/v1/intents/n9", s.party("late"), {"priority": 1, "volumes": [
        circle("34.0N 35.0E", 1000, 0, 1000, T0, T1)]})[2]["receipt"])
    s.call("GET", "/v1/intents/n1", cell)
finally:
    s.stop()
db, work = s.db, s.dir
check("the store has archive segments", segment_count(db) >= 1, segment_count(db))
receipt_file = os.path.join(work, "receipts.json")
json.dump(receipts, open(receipt_file, "w"))

SUMMARY = re.compile(r"audit verify: (\d+) records \((\d+) signed; (\d+) in (\d+) archive segments\), (\d+) objects,"
                     r" key (\w+), head (\w+): (OK|FAILED) \((\d+) problems\)")


def same_verify(what, text, doc):
    """The --json document says what the text says: every figure, every FAIL line and note."""
    m = SUMMARY.search(text.stdout)
    check(f"{what}: the text has its summary", m is not None, text.stdout[-400:])
    if m is None or not doc:
        return
    records, signed, archived, segments, objects, key, head, verdict, problems = m.groups()
    equal(f"{what}: the figures", (int(records), int(signed), int(archived), int(segments), int(objects), key, head,
                                   verdict == "OK", int(problems)),
          (doc.get("records"), doc.get("signatures"), doc.get("archived_records"), doc.get("segments"),
           doc.get("objects"), doc.get("public_key"), doc.get("head"), doc.get("ok"), doc.get("problem_count")))
    fails = [line[5:] for line in text.stdout.splitlines() if line.startswith("FAIL ")]
    equal(f"{what}: every FAIL line is a problem, in order", fails, [p["detail"] for p in doc.get("problems", [])])
    notes = [line[6:] for line in text.stdout.splitlines() if line.startswith("note: ")]
    equal(f"{what}: every note", notes, [n["detail"] for n in doc.get("notes", [])])
    for p in doc.get("problems", []):
        check(f"{what}: a problem has a kind and a detail", isinstance(p.get("kind"), str) and p.get("detail"), p)


# ---- audit verify: a sound store ----
text, doc, js = both("audit", "verify", "--db", db)
equal("verify: a sound store exits 0", 0, text.returncode)
same_verify("verify", text, doc)
check("verify --json: ok, no problems, the archive walked", doc.get("ok") is True and doc.get("problems") == []
      and doc.get("segments", 0) >= 1 and doc.get("archived_records", 0) > 0 and doc.get("signatures", 0) > 0, doc)
equal("verify --json: no receipts given, none checked", (0, []), (doc.get("receipts_checked"), doc.get("receipts")))

text, doc, js = both("audit", "verify", "--db", db, "--receipts", receipt_file)
same_verify("verify --receipts", text, doc)
issued = re.findall(r"^receipt (.+) \(seq (\d+)\): in (.+), as issued$", text.stdout, re.M)
equal("verify --receipts: every receipt checked", len(receipts), doc.get("receipts_checked"))
equal("verify --receipts: each as the text names it (label, seq, where)",
      sorted((label, int(seq), where) for label, seq, where in issued),
      sorted((x["receipt"], x["seq"], x["in"]) for x in doc.get("receipts", []) if x["as_issued"]))
check("verify --receipts: some found in the archive, some in the store",
      {x["in"] == "the store" for x in doc.get("receipts", [])} == {True, False}, doc.get("receipts"))

# ---- audit verify: damaged stores (as tests/integration/test_tamper.py changes them) ----
con = sqlite3.connect(db)
live = [row[0] for row in con.execute("SELECT seq FROM audit ORDER BY seq")]
con.close()
check("several audit records stay live", len(live) >= 3, live)


def damaged(name, sql, *params):
    path = os.path.join(work, name)
    shutil.copy(db, path)
    shutil.copy(db + ".key", path + ".key")
    con = sqlite3.connect(path)
    con.execute(sql, params)
    con.commit()
    con.close()
    return path


altered = damaged("altered.db", "UPDATE audit SET detail = detail || ' ' WHERE seq = ?", live[1])
archive = ("--archive", db + ".archive")
text, doc, js = both("audit", "verify", "--db", altered, *archive)
equal("verify: an altered record exits 1", 1, text.returncode)
same_verify("verify altered", text, doc)
check("verify --json: the altered record is a record_hash problem with its seq", doc.get("ok") is False and any(
    p["kind"] == "record_hash" and p.get("seq") == live[1] for p in doc.get("problems", [])), doc.get("problems"))

removed = damaged("removed.db", "DELETE FROM audit WHERE seq = ?", live[1])
text, doc, js = both("audit", "verify", "--db", removed, *archive, "--receipts", receipt_file)
same_verify("verify removed", text, doc)
kinds = {(p["kind"], p.get("seq")) for p in doc.get("problems", [])}
check("verify --json: a removed record is named (missing, the next one's link)",
      ("records_missing", live[2]) in kinds and ("record_link", live[2]) in kinds, kinds)
check("verify --json: a segment problem carries no segment in the store", all(
    "segment" not in p for p in doc.get("problems", []) if p["kind"].startswith("record")), doc.get("problems"))
unsigned = damaged("unsigned.db", "UPDATE audit SET signature = ? WHERE seq = ?", bytes(64), live[-1])
text, doc, js = both("audit", "verify", "--db", unsigned, *archive)
same_verify("verify unsigned", text, doc)
check("verify --json: a tail nobody signed is records_unsigned", any(
    p["kind"] == "records_unsigned" for p in doc.get("problems", [])), doc.get("problems"))

# a segment altered on disk: its problems name the segment
copy_dir = os.path.join(work, "archive-copy")
shutil.copytree(db + ".archive", copy_dir)
first = sorted(f for f in os.listdir(copy_dir) if f.startswith("segment"))[0]
os.remove(os.path.join(copy_dir, first))
text, doc, js = both("audit", "verify", "--db", db, "--archive", copy_dir)
same_verify("verify missing segment", text, doc)
check("verify --json: a missing segment is segment_missing, segment 1",
      any(p["kind"] == "segment_missing" and p.get("segment") == 1 for p in doc.get("problems", [])), doc.get("problems"))

# one segment on its own
seg = os.path.join(db + ".archive", first)
text, doc, js = both("audit", "verify", "--segment", seg)
equal("verify --segment: exit 0", 0, text.returncode)
m = re.search(r"segment (\d+), (closed|open): (\d+) lines; audit records (\d+) to (\d+) \(chained from (\w+) to (\w+)\);"
              r" (\d+) alerts, (\d+) notices, (\d+) messages, (\d+) objects; signed by (\w+)", text.stdout)
check("verify --segment: its summary", m is not None, text.stdout)
if m and doc:
    equal("verify --segment --json: the figures of the text",
          (int(m[1]), m[2] == "closed", int(m[3]), int(m[4]), int(m[5]), m[6], m[7], int(m[8]), int(m[9]), int(m[10]),
           int(m[11]), m[12], True),
          (doc.get("segment"), doc.get("closed"), doc.get("lines"), doc.get("first_record"), doc.get("last_record"),
           doc.get("chained_from"), doc.get("chained_to"), doc["rows"]["alerts"], doc["rows"]["notices"],
           doc["rows"]["messages"], doc["rows"]["objects"], doc.get("signed_by"), doc.get("ok")))

# errors: no store, a bad key: exit 2, no document
refused("verify --json of no store", run("audit", "verify", "--db", os.path.join(work, "none.db"), "--json"), 2)
check("verify of no store creates none", not os.path.exists(os.path.join(work, "none.db")))
refused("verify --json --public-key bad", run("audit", "verify", "--db", db, "--public-key", "zz", "--json"), 2)
refused("verify --json --segment missing", run("audit", "verify", "--segment", os.path.join(work, "x.gz"), "--json"), 2)

# ---- audit who-saw ----
text, doc, js = both("audit", "who-saw", "intent/north/n1", "--db", db)
equal("who-saw: exit 0", 0, text.returncode)
lines = text.stdout.strip().splitlines()
parties = lines[-1].split(":", 1)[1].split()
equal("who-saw --json: the parties of the text", parties, doc.get("parties"))
check("who-saw --json: cell (through its grant) and south (notices) saw it, never north itself",
      {"cell", "south"} <= set(doc.get("parties", [])) and "north" not in doc.get("parties", []), doc.get("parties"))
equal("who-saw --json: the object and its owner", ("intent/north/n1", "north"), (doc.get("object"), doc.get("owner")))
text_seqs = [int(x) for x in re.findall(r"seq (\d+)", "\n".join(lines[:-1]))]
equal("who-saw --json: every disclosure of the text, in order", text_seqs, [d["seq"] for d in doc.get("disclosures", [])])
equal("who-saw --json: each one's time and recipients as the text gives them",
      [tuple(line.split()[:2]) for line in lines[:-1]],
      [(d["time"], ",".join(d["recipients"])) for d in doc.get("disclosures", [])])
check("who-saw --json: a read through the grant, from the archive and after it",
      sum(1 for d in doc.get("disclosures", []) if d["action"] == "read" and d["recipients"] == ["cell"]) >= 2,
      doc.get("disclosures"))
text, doc, js = both("audit", "who-saw", "intent/north/nosuch", "--db", db)
equal("who-saw --json of an object nobody saw", ([], []), (doc.get("parties"), doc.get("disclosures")))
text, doc, js = both("audit", "who-saw", "party/cell", "--db", db)
check("who-saw --json party/cell: the operator's key issue, by whom",
      any(d["action"].startswith("party.") and d.get("actor") for d in doc.get("disclosures", [])), doc)
refused("who-saw --json of no store", run("audit", "who-saw", "intent/north/n1", "--db", os.path.join(work, "none.db"), "--json"), 2)


# ---- store stats ----
def size_text(n):
    units, u, n = ["B", "kB", "MB", "GB", "TB"], 0, float(n)
    while n >= 1000 and u < 4:
        n, u = n / 1000, u + 1
    return f"{n:.0f} {units[u]}" if u == 0 else f"{n:.1f} {units[u]}"


text, doc, js = both("store", "stats", "--db", db)
equal("store stats: exit 0", 0, text.returncode)
m = re.search(r"live store (.+): (.+) \((.+) of it free pages\), write-ahead log (.+)\n", text.stdout)
f = doc.get("store_file_bytes", {})
check("store stats --json: the file, its free pages and its log as the text rounds them", m is not None and (
    m[1], m[2], m[3], m[4]) == (db, size_text(f.get("file", -1)), size_text(f.get("free", -1)), size_text(f.get("wal", -1))),
      (m and m.groups(), f))
for kind, rows, size, oldest in re.findall(r"^  (\w+) +(\d+) +([\d.]+ \w?B)  (\S+)", text.stdout, re.M):
    equal(f"store stats --json: {kind}'s rows, bytes and oldest", (int(rows), size, None if oldest == "-" else oldest),
          (doc["store_rows"][kind], size_text(doc["store_bytes"][kind]), doc["store_oldest"][kind]))
    check(f"store stats --json: {kind}'s age in seconds", (oldest == "-") == (doc["store_oldest_seconds"][kind] is None))
m = re.search(r"^  other +([\d.]+ \w?B)$", text.stdout, re.M)
check("store stats --json: the other pages", m and m[1] == size_text(doc["store_bytes"]["other"]), text.stdout)
m = re.search(r"archive (.+): (\d+) segments \((\d+) open\), (.+); rows: (\d+) audit, (\d+) alerts, (\d+) notices,"
              r" (\d+) messages, (\d+) objects", text.stdout)
a = doc.get("archive_rows", {})
check("store stats --json: the archive as the text says it", m is not None and (
    m[1], int(m[2]), int(m[3]), m[4], int(m[5]), int(m[6]), int(m[7]), int(m[8]), int(m[9])) == (
    doc.get("archive"), doc.get("archive_segments"), doc.get("archive_open_segments"), size_text(doc.get("archive_bytes")),
    a.get("audit"), a.get("alerts"), a.get("notices"), a.get("messages"), a.get("objects")), (m and m.groups(), doc))
m = re.search(r"newest: (\S+), (closed|open), audit records up to (\d+)", text.stdout)
n = doc.get("archive_newest") or {}
check("store stats --json: the newest segment", m and (m[1], m[2] == "closed", int(m[3])) == (
    n.get("file"), n.get("closed"), n.get("audit_records_to")), (m and m.groups(), n))
growth = re.findall(r"growth over the last (\w+): live store ([-+])(.+)/s, with the archive (.+)/s", text.stdout)
g = doc.get("store_growth_bytes_per_second", {})
equal("store stats --json: growth over a minute, an hour, a day",
      [(p, sign, live, total) for p, sign, live, total in growth],
      [(p, "-" if g[p]["live"] < 0 else "+", size_text(abs(g[p]["live"])), size_text(g[p]["total"]))
       for p in ("minute", "hour", "day")])
check("store stats --json: metric names (/metrics)", all(k in doc for k in (
    "store_bytes", "store_file_bytes", "store_rows", "store_oldest_seconds", "archive_segments", "archive_bytes",
    "archive_rows", "store_growth_bytes_per_second")), list(doc))
refused("store stats --json of no store", run("store", "stats", "--db", os.path.join(work, "none.db"), "--json"), 2)

# ---- store backup and restore ----
out_text, out_json = os.path.join(work, "b-text.db"), os.path.join(work, "b-json.db")
text = run("store", "backup", db, out_text)
js = run("store", "backup", db, out_json, "--json")
doc = doc_of("store backup --json", js)
equal("store backup: exit 0 both", (0, 0), (text.returncode, js.returncode))
m = re.search(r"backup of (.+) at (.+): integrity_check ok, audit records to (\d+)", text.stdout)
check("store backup --json: what the text says", m and (m[1], int(m[3])) == (doc.get("store"), doc.get("audit_records_to"))
      and doc.get("integrity_check") == "ok", (text.stdout, doc))
equal("store backup --json: the paths written and the copy's bytes",
      (out_json, os.path.getsize(out_json), out_json + ".key", out_json + ".head"),
      (doc.get("backup"), doc.get("bytes"), doc.get("key"), doc.get("head")))
check("store backup --json: the key and head are there", os.path.exists(doc.get("key", "")) and os.path.exists(doc.get("head", "")))
refused("store backup --json over an existing file", run("store", "backup", db, out_json, "--json"), 1)

to_text, to_json = os.path.join(work, "r-text", "d.db"), os.path.join(work, "r-json", "d.db")
os.makedirs(os.path.dirname(to_text))
os.makedirs(os.path.dirname(to_json))
text = run("store", "restore", out_text, to_text, *archive)
js = run("store", "restore", out_json, to_json, *archive, "--json")
doc = doc_of("store restore --json", js)
equal("store restore: exit 0 both", (0, 0), (text.returncode, js.returncode), )
m = re.search(r"restored (.+) from (.+): audit records to (\d+)", text.stdout)
check("store restore --json: what the text says", m and int(m[3]) == doc.get("audit_records_to"), (text.stdout, doc))
equal("store restore --json: paths, bytes, checks",
      (to_json, out_json, os.path.getsize(to_json), "ok", True, 0),
      (doc.get("store"), doc.get("backup"), doc.get("bytes"), doc.get("integrity_check"),
       (doc.get("verify") or {}).get("ok"), doc.get("given_up")))
check("store restore --json: the verify of the text's summary",
      SUMMARY.search(text.stdout) and int(SUMMARY.search(text.stdout)[1]) == doc["verify"]["records"], text.stdout)
check("store restore --json: the restored store verifies", run("audit", "verify", "--db", to_json, *archive).returncode == 0)
# a backup that does not verify: refused, its problems on standard error, nothing restored
bad = os.path.join(work, "bad-backup.db")
shutil.copy(damaged("row.db", "UPDATE objects SET priority = priority + 1 WHERE row = (SELECT max(row) FROM objects)"), bad)
shutil.copy(db + ".key", bad + ".key")
target = os.path.join(work, "r-bad", "d.db")
os.makedirs(os.path.dirname(target))
js = run("store", "restore", bad, target, *archive, "--json")
refused("store restore --json of a damaged backup", js, 1)
check("store restore --json: the problem and the refusal on standard error",
      "does not verify" in js.stderr and "FAIL object" in js.stderr and not os.path.exists(target), js.stderr)
# one the staging's own check refuses (an altered record): the same, in its words
js = run("store", "restore", altered, target, *archive, "--json")
refused("store restore --json of a backup with an altered record", js, 1)
check("store restore --json: the record named", "record" in js.stderr and "nothing changed" in js.stderr, js.stderr)


# ---- serve --json / deconflictd --json ----
def start(program, *args):
    d = os.path.join(work, f"serve-{len(os.listdir(work))}")
    os.makedirs(d)
    proc = subprocess.Popen([program, *args, "--listen", "127.0.0.1:0", "--db", os.path.join(d, "s.db"),
                             "--operator-key-file", os.path.join(d, "op.key"), "--threads", "3", "--quiet", "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=d)
    return d, proc


for program, args in ((SERVER, ()), (CLI, ("serve",))):
    name = " ".join([os.path.basename(program), *args])
    d, proc = start(program, *args)
    try:
        line = proc.stdout.readline()  # written once listening, before anything is served
        try:
            facts = json.loads(line)
        except ValueError:
            facts = {}
            check(f"{name} --json: one JSON line", False, repr(line))
        import urllib.request
        ok = False
        try:
            ok = urllib.request.urlopen(facts.get("url", "http://127.0.0.1:1") + "/v1/health", timeout=10).status == 200
        except OSError as e:
            print(e)
        check(f"{name} --json: the port it chose answers at url", ok and facts.get("port", 0) > 0, facts)
        equal(f"{name} --json: store, threads, the key's absolute path, created",
              (os.path.join(d, "s.db"), 3, os.path.join(d, "op.key"), "created", True),
              (os.path.join(d, facts.get("store", "")), facts.get("threads"), facts.get("operator_key_file"),
               facts.get("operator_key"), facts.get("store_check", {}).get("new_store")))
    finally:
        proc.send_signal(signal.SIGTERM)
        rest, err = proc.communicate(timeout=60)
    equal(f"{name} --json: exit 0 on SIGTERM", 0, proc.returncode)
    equal(f"{name} --json: nothing else on standard output", "", rest)
    m = re.search(r"listening on 127\.0\.0\.1:0 \(port (\d+)\), store .*, 3 threads", err)
    check(f"{name}: the text says the port chosen, as --json does", m and int(m[1]) == facts.get("port"), err[:400])
    check(f"{name}: the text names the key file --json names", f"operator key created in {facts.get('operator_key_file')}" in err, err[:600])
    check(f"{name}: no sanitizer report", "Sanitizer" not in err, err[-600:])
# a second start reads the key and checks the store
proc = subprocess.Popen([SERVER, "--listen", "127.0.0.1:0", "--db", os.path.join(d, "s.db"), "--operator-key-file",
                         os.path.join(d, "op.key"), "--quiet", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
try:
    facts = json.loads(proc.stdout.readline() or "{}")
finally:
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
check("deconflictd --json on a store: the key read, the store's check", facts.get("operator_key") == "read" and
      facts.get("store_check", {}).get("new_store") is False and facts["store_check"].get("level") == "quick_check", facts)
refused("deconflictd --json with a bad flag", run("--json", "--threads", "0", program=SERVER), 2)
refused("deconflictd --json on an address it cannot listen on", run(
    "--json", "--listen", "192.0.2.1:0", "--db", os.path.join(work, "n.db"), "--operator-key-file",
    os.path.join(work, "k"), program=SERVER), 1)
broken = os.path.join(work, "broken.db")
open(broken, "wb").write(b"not a store" * 100)
refused("deconflictd --json on a damaged store", run("--json", "--db", broken, "--listen", "127.0.0.1:0",
                                                      "--operator-key-file", os.path.join(work, "k"), program=SERVER), 3)

# ---- help says it: every command's help names --json ----
for c in ["coord", "check", "monitor", "replay", "serve", "load", "feed", "audit", "party", "store"]:
    check(f"{c} --help names --json", "--json" in run(c, "--help").stdout)

print(f"cli_json: {r.passed} passed, {r.failed} failed", flush=True)
shutil.rmtree(work, ignore_errors=True)
sys.exit(1 if r.failed else 0)
