#!/usr/bin/env python3
"""damaged_stores.py - how often a damaged store is refused at start, and whether a served one ever
lost an acknowledged write: random bit flips anywhere in a store file, and random bit flips in the
-wal of a server killed after acknowledged writes (docs/RELIABILITY.md, "Storage you can trust").
usage: DC_SERVER=build/release/deconflictd DC_CLI=build/release/deconflict \
       python3 bench/damaged_stores.py [FILE_TRIALS] [WAL_TRIALS]"""
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
from harness import CLI, Server, circle, start_once  # noqa: E402

FILE_TRIALS = int(sys.argv[1]) if len(sys.argv) > 1 else 200
WAL_TRIALS = int(sys.argv[2]) if len(sys.argv) > 2 else 20
rng = random.Random(20170209)


def cli(*args):
    """The CLI's exit code and output; a damaged store may make it print any bytes."""
    out = subprocess.run([CLI, *args], capture_output=True, timeout=600)
    return out.returncode, out.stdout.decode("utf-8", "replace")


def table_digests(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    con.text_factory = bytes  # a flipped byte may leave text that is not UTF-8
    out = {}
    for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
        try:
            out[t] = hash(tuple(con.execute(f'SELECT * FROM "{t}" ORDER BY 1')))
        except sqlite3.DatabaseError as e:
            out[t] = str(e)
    con.close()
    return out


def changed_tables(db):
    try:
        now = table_digests(db)
    except sqlite3.DatabaseError:
        return "unreadable"
    return [t for t in base_tables if base_tables[t] != now.get(t)]


def write(s, key, prefix, count, day, receipts):
    for i in range(count):
        status, _, doc = s.call("PUT", f"/v1/intents/{prefix}{i}", key, {"priority": 1, "volumes": [
            circle(f"3{i % 10}.{i // 10 % 10}{i // 100}N 2{i % 7}.{i % 9}E", 500, 0, 1000,
                   f"2025-04-{day:02d}T08:00:00Z", f"2025-04-{day:02d}T09:00:00Z")]})
        if status in (200, 201):
            receipts.append(doc["receipt"])


def copy(src, dst):
    for suffix in ("", "-wal", "-shm", ".key", ".head"):
        if suffix in ("-wal", "-shm") and os.path.exists(dst + suffix):
            os.remove(dst + suffix)
        if suffix in ("-wal", "-shm"):
            continue  # the stopped store's log is empty: a copy starts without one
        if os.path.exists(dst + suffix):
            os.remove(dst + suffix)
        if os.path.exists(src + suffix):
            shutil.copy(src + suffix, dst + suffix)


s = Server()
receipts = []
try:
    keys = [s.party(n) for n in ("alpha", "bravo", "charlie")]
    for n, key in enumerate(keys):
        write(s, key, f"p{n}-", 150, 1 + n, receipts)
finally:
    s.stop()
base, op_key = s.db, os.path.join(s.dir, "operator.key")
base_tables = table_digests(base)
size = os.path.getsize(base)
trial_db = os.path.join(s.dir, "trial.db")
counts = {"refused": 0, "refused later (exit 1: rows the server cannot load)": 0, "served, no row changed": 0,
          "  of which integrity_check (--check full) finds an index out of step": 0, "served, rows changed, audit verify reports it": 0,
          "served, rows changed, audit verify misses it": 0}
for t in range(FILE_TRIALS):
    copy(base, trial_db)
    data = bytearray(open(trial_db, "rb").read())
    at = rng.randrange(len(data))
    data[at] ^= 1 << rng.randrange(8)
    open(trial_db, "wb").write(bytes(data))
    # what the flip changed, read before a server writes anything (it notes sizes, archives);
    # the R*Tree's shadow tables are what its rows (volume_boxes) read back from, so a flip in an
    # unused slot of a node changes a blob and no row
    before = changed_tables(trial_db)
    changed = before == "unreadable" or any(not t.startswith("volume_boxes_") for t in before)
    verify = cli("audit", "verify", "--db", trial_db)[0] if changed else 0
    try:
        con = sqlite3.connect(f"file:{trial_db}?mode=ro", uri=True)
        whole = con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        con.close()
    except sqlite3.DatabaseError:
        whole = False
    outcome, log = start_once(trial_db, op_key)
    if outcome == 3:
        counts["refused"] += 1
        continue
    if outcome == 1 and "cannot read" in log:
        counts["refused later (exit 1: rows the server cannot load)"] += 1
        continue
    if outcome != "served":
        print(f"byte {at}: exit {outcome}\n{log[-500:]}")
        continue
    if not changed:
        counts["served, no row changed"] += 1
        if not whole:
            counts["  of which integrity_check (--check full) finds an index out of step"] += 1
    elif verify != 0:
        counts["served, rows changed, audit verify reports it"] += 1
    else:
        counts["served, rows changed, audit verify misses it"] += 1
        print(f"missed: bit at byte {at}, tables changed: {before}")
print(f"one bit flipped at a random offset of a {size}-byte store ({len(receipts)} writes), {FILE_TRIALS} trials:")
for k, v in counts.items():
    print(f"  {k}: {v}")

# a server killed after acknowledged writes; one bit of its -wal flipped at a random offset
wal_counts = {"refused": 0, "served": 0}
acked_total, lost_served = 0, 0
for t in range(WAL_TRIALS):
    d = os.path.join(s.dir, f"wal{t}")
    os.mkdir(d)
    db = os.path.join(d, "deconflict.db")
    copy(base, db)
    k = Server(keep_dir=d, db=db)
    acked = []
    write(k, k.party(f"w{t}"), "w", 20, 10 + t % 15, acked)
    k.kill()
    acked_total += len(acked)
    wal = bytearray(open(db + "-wal", "rb").read())
    at = rng.randrange(32, len(wal))  # past the log's header: a flip there voids the whole log
    wal[at] ^= 1 << rng.randrange(8)
    open(db + "-wal", "wb").write(bytes(wal))
    outcome, log = start_once(db, op_key)
    if outcome == 3:
        wal_counts["refused"] += 1
        continue
    wal_counts["served"] += 1
    path = os.path.join(d, "receipts.json")
    json.dump(acked, open(path, "w"))
    code, text = cli("audit", "verify", "--db", db, "--receipts", path)
    lost = text.count("no record of that seq")
    lost_served += lost
    if lost:
        print(f"served with {lost} acknowledged writes lost (wal byte {at} of {len(wal)})")
print(f"-wal of a server killed after 20 acknowledged writes, one bit flipped at random, {WAL_TRIALS} trials:"
      f" refused {wal_counts['refused']}, served {wal_counts['served']};"
      f" acknowledged writes lost in a served store: {lost_served} of {acked_total}")
s.cleanup()
