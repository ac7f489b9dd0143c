"""test_storage_trust.py - a store that cannot be trusted is refused at start, never served: 0-byte,
truncated, bytes flipped mid-file, a -wal flipped or deleted after acknowledged writes, a head
that diverges; files private under umask 000; receipts proved in the chain, a removed or altered
one named; a backup taken while writing, restored and verified."""
import hashlib
import json
import os
import shutil
import sqlite3
import threading
import time

from harness import Results, Server, circle, cli, start_once

T0, T1 = "2025-03-01T08:00:00Z", "2025-03-01T09:00:00Z"
REFUSED = 3  # deconflictd's exit status for a refused store (docs/RELIABILITY.md)

r = Results("storage_trust")
work = None


def mode(path):
    return oct(os.stat(path).st_mode & 0o777)


def put_intents(s, key, prefix, count, receipts, day=1):
    """Intents of one party, each in its own place; another party's on another day (no conflict)."""
    t0, t1 = f"2025-03-{day:02d}T08:00:00Z", f"2025-03-{day:02d}T09:00:00Z"
    for i in range(count):
        status, _, doc = s.call("PUT", f"/v1/intents/{prefix}{i}", key, {
            "priority": 1, "volumes": [circle(f"3{i % 10}.{i // 10 % 10}N 2{i % 7}.{i % 9}E", 500, 0, 1000, t0, t1)]})
        if status in (200, 201):
            receipts.append(doc)
        else:
            raise RuntimeError(f"PUT {prefix}{i}: {status} {doc}")


def copy_store(src, dst):
    for suffix in ("", "-wal", "-shm", ".key", ".head"):
        if os.path.exists(src + suffix):
            shutil.copy(src + suffix, dst + suffix)


def refused(what, db, operator_key, words, extra=()):
    outcome, log = start_once(db, operator_key, extra)
    r.check(f"{what}: refused with exit {REFUSED}", outcome == REFUSED, f"{outcome}\n{log[-1500:]}")
    r.check(f"{what}: the message says why", all(w in log for w in words), f"{words}\n{log[-1500:]}")
    print(f"{what}: {log.strip().splitlines()[-1] if log.strip() else ''}", flush=True)
    return log


def head_records(path):
    data = open(path, "rb").read()
    return [(int.from_bytes(data[i + 8:i + 16], "little"), data[i + 16:i + 48]) for i in range(0, len(data) - 63, 64)]


# ---- one server under umask 000: modes, receipts, a backup while it writes, a refused restore ----
s = Server(umask=0)
receipts = []
try:
    work = s.dir
    a = s.party("alpha")
    put_intents(s, a, "a", 20, receipts)
    for suffix in ("", "-wal", "-shm", ".key", ".head"):
        r.equal(f"umask 000: deconflict.db{suffix} is 0600", "0o600", mode(s.db + suffix))
    r.equal("umask 000: the operator key is 0600", "0o600", mode(os.path.join(s.dir, "operator.key")))
    con = sqlite3.connect(f"file:{s.db}?mode=ro", uri=True)
    r.equal("the signing key's secret is not in the database", b"", con.execute("SELECT secret_key FROM server_key").fetchone()[0])
    con.close()
    heads = head_records(s.db + ".head")
    r.equal("the head file names the last receipt", receipts[-1]["receipt"]["seq"], heads[-1][0] if heads else None)
    r.equal("the head's hash is the receipt's", receipts[-1]["receipt"]["hash"], heads[-1][1].hex() if heads else None)

    # a backup while another client keeps writing
    backup = os.path.join(s.dir, "backup.db")
    during = []
    writer = threading.Thread(target=put_intents, args=(s, a, "w", 40, during))
    writer.start()
    out = cli("store", "backup", s.db, backup)
    writer.join()
    r.check("backup while writing succeeds", out.returncode == 0, out.stdout + out.stderr)
    print(out.stdout.strip(), flush=True)
    r.check("the writes went on during the backup", len(during) == 40, len(during))
    for suffix in ("", ".key", ".head"):
        r.equal(f"the backup{suffix} is 0600", "0o600", mode(backup + suffix) if os.path.exists(backup + suffix) else None)
    out = cli("store", "backup", s.db, backup)
    r.check("a backup never overwrites", out.returncode == 1 and "exists" in out.stderr, out.stderr)
    out = cli("store", "restore", backup, s.db)
    r.check("a restore is refused while the server has the store open", out.returncode == 1 and "stop it first" in out.stderr,
            out.stdout + out.stderr)
    status, _, _ = s.call("GET", "/v1/intents/a0", a)
    r.equal("the refused restore left the server serving", 200, status)
    put_intents(s, a, "after", 1, during)  # published after the backup: a restore gives it up
finally:
    s.stop()
receipts += during

# ---- receipts: every one in the chain; one whose record was removed or altered is named ----
file_a, file_b = os.path.join(work, "alpha-receipts.json"), os.path.join(work, "alpha-answers.jsonl")
before_backup = os.path.join(work, "before-backup.json")
json.dump([doc["receipt"] for doc in receipts[:20]], open(before_backup, "w"))
json.dump([doc["receipt"] for doc in receipts[:30]], open(file_a, "w"))
with open(file_b, "w") as f:
    for doc in receipts[30:]:
        f.write(json.dumps(doc) + "\n")
out = cli("audit", "verify", "--db", s.db, "--receipts", file_a, file_b)
r.check("every receipt is in the chain", out.returncode == 0 and out.stdout.count("as issued") == len(receipts),
        out.stdout[-2000:] + out.stderr)
removed, altered = receipts[7]["receipt"]["seq"], receipts[40]["receipt"]["seq"]
tampered = os.path.join(work, "tampered.db")
copy_store(s.db, tampered)
con = sqlite3.connect(tampered)
con.execute("DELETE FROM audit WHERE seq = ?", (removed,))
con.execute("UPDATE audit SET time = time + 1 WHERE seq = ?", (altered,))
con.commit()
con.close()
out = cli("audit", "verify", "--db", tampered, "--receipts", file_a, file_b)
r.check("verify fails", out.returncode == 1, out.stdout[-2000:])
r.check("the removed record's receipt is named", f"{file_a} #8 (seq {removed}): no record of that seq" in out.stdout, out.stdout[-3000:])
r.check("the altered record's receipt is named", f"{file_b} line 11 (seq {altered}): the chain's record {altered} (in the store) was altered" in out.stdout, out.stdout[-3000:])
forged = dict(receipts[3]["receipt"], signature="00" * 64)
json.dump(forged, open(os.path.join(work, "forged.json"), "w"))
out = cli("audit", "verify", "--db", s.db, "--receipts", os.path.join(work, "forged.json"))
r.check("a receipt with a forged signature is reported", out.returncode == 1 and "signature is not the server key's" in out.stdout, out.stdout[-1000:])
open(os.path.join(work, "junk.json"), "w").write('{"seq": "x"}')
out = cli("audit", "verify", "--db", s.db, "--receipts", os.path.join(work, "junk.json"))
r.check("a file that is no receipt is a usage error", out.returncode == 2 and "not a receipt" in out.stderr, out.stderr)

# ---- damaged stores: each refused at start with its message ----
op_key = os.path.join(work, "operator.key")
base = s.db  # stopped cleanly: checkpointed, no -wal
case = os.path.join(work, "case")
os.mkdir(case)

empty = os.path.join(case, "empty.db")
open(empty, "wb").close()
refused("0-byte file", empty, op_key, ["empty (0-byte)"])

truncated = os.path.join(case, "truncated.db")
copy_store(base, truncated)
size = os.path.getsize(truncated)
with open(truncated, "r+b") as f:
    f.truncate(size // 2 // 4096 * 4096)
refused("truncated file", truncated, op_key, ["truncated"])

# bytes flipped in the b-tree page nearest the middle of the file
flipped = os.path.join(case, "flipped.db")
copy_store(base, flipped)
data = bytearray(open(flipped, "rb").read())
pages = len(data) // 4096
order = sorted(range(1, pages), key=lambda p: abs(p - pages // 2))
page = next(p for p in order if data[p * 4096] in (2, 5, 10, 13))
for i in range(1, 9):
    data[page * 4096 + i] ^= 0xA5
open(flipped, "wb").write(bytes(data))
# (quick_check finds it, or SQLite already cannot read the page at open: which one depends on
# what the page holds, and that moves with the schema)
refused(f"bytes flipped mid-file (page {page} of {pages})", flipped, op_key, ["damaged"])

# a head that diverges: the last record rewritten with another hash (its checksum made to hold)
diverged = os.path.join(case, "diverged.db")
copy_store(base, diverged)
raw = bytearray(open(diverged + ".head", "rb").read())
last = len(raw) - 64
raw[last + 16] ^= 1
raw[last + 48:last + 64] = hashlib.blake2b(bytes(raw[last:last + 48]), digest_size=16).digest()
open(diverged + ".head", "wb").write(bytes(raw))
refused("a head the chain diverges from", diverged, op_key, ["diverges"])

missing = os.path.join(case, "missing.db")
shutil.copy(base + ".head", missing + ".head")
refused("store missing beside its head", missing, op_key, ["missing", "published"])

nokey = os.path.join(case, "nokey.db")
copy_store(base, nokey)
os.remove(nokey + ".key")
outcome, log = start_once(nokey, op_key)
r.check("a missing key file stops the start, named", outcome == 1 and "nokey.db.key" in log and "missing" in log, log[-800:])

# after acknowledged writes, killed (nothing checkpointed): the -wal holds them
def killed_store(name, writes):
    d = os.path.join(case, name)
    os.mkdir(d)
    db = os.path.join(d, "deconflict.db")
    copy_store(base, db)
    k = Server(keep_dir=d, db=db)
    key = k.party(f"p{name}")
    acked = []
    put_intents(k, key, "k", writes, acked, day=2 + len(os.listdir(case)))
    k.kill()
    return db, acked

db, acked = killed_store("control", 25)
outcome, log = start_once(db, op_key)
r.equal("killed with no damage: served", "served", outcome)
json.dump([doc["receipt"] for doc in acked], open(os.path.join(case, "control.json"), "w"))
out = cli("audit", "verify", "--db", db, "--receipts", os.path.join(case, "control.json"))
lost = out.stdout.count("no record of that seq")
r.check("killed with no damage: every acknowledged write verifies", out.returncode == 0 and lost == 0, out.stdout[-1500:])
print(f"kill -9 after {len(acked)} acknowledged writes: {lost} lost", flush=True)

db, acked = killed_store("walflip", 25)
wal = open(db + "-wal", "rb").read()
r.check("the killed server left its writes in the -wal", len(wal) > 100000, len(wal))
at = len(wal) // 10
flip = bytearray(wal)
flip[at] ^= 0xFF
open(db + "-wal", "wb").write(bytes(flip))
refused(f"-wal byte flipped at 10 % ({at} of {len(wal)})", db, op_key, ["behind the head", "acknowledged"])
r.check("the refused store's -wal is kept as found", open(db + "-wal", "rb").read() == bytes(flip))

db, acked = killed_store("walgone", 25)
os.remove(db + "-wal")
os.remove(db + "-shm")
refused("-wal deleted after acknowledged writes", db, op_key, ["behind the head", f"record {acked[-1]['receipt']['seq']}"])

# ---- restore: the damaged store replaced by the backup, verified, served ----
with open(base, "r+b") as f:
    f.truncate(os.path.getsize(base) // 2 // 4096 * 4096)
refused("the live store truncated", base, op_key, ["truncated"])
bad_backup = os.path.join(work, "bad-backup.db")
copy_store(flipped, bad_backup)
out = cli("store", "restore", bad_backup, base)
r.check("a damaged backup is not restored", out.returncode == 1 and "nothing changed" in out.stderr, out.stdout[-800:] + out.stderr)
out = cli("store", "restore", backup, base)
r.check("the backup is restored", out.returncode == 0 and "given up" in out.stdout, out.stdout[-1500:] + out.stderr)
print(out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr, flush=True)
r.equal("the restored store is 0600", "0o600", mode(base))
outcome, log = start_once(base, op_key)
r.equal("the restored store is served", "served", outcome)
out = cli("audit", "verify", "--db", base, "--receipts", before_backup)
r.check("the restored store verifies, with the receipts before the backup", out.returncode == 0, out.stdout[-1500:])

# ---- a store from before key files: its secret moves out, the chain goes on under the same key ----
legacy = os.path.join(case, "legacy")
os.mkdir(legacy)
ldb = os.path.join(legacy, "deconflict.db")
copy_store(backup, ldb)
sk = bytes.fromhex(open(ldb + ".key").read().split()[1])
os.remove(ldb + ".key")
con = sqlite3.connect(ldb)
con.execute("UPDATE server_key SET secret_key = ?", (sk,))
con.commit()
con.close()
os.chmod(ldb, 0o644)  # looser files found at start are made private, and the log says so
os.chmod(ldb + ".head", 0o664)
# under umask 000 again, archiving at once: segments are private too, and verify reads across them
k = Server(keep_dir=legacy, db=ldb, umask=0, extra_args=("--retain", "all=1s", "--archive-period", "2s"))
try:
    key = k.party("late")
    r.equal("migrated: the key file is 0600", "0o600", mode(ldb + ".key"))
    r.equal("migrated: the same key", sk.hex(), open(ldb + ".key").read().split()[1])
    r.equal("a 0644 store is made 0600 at start", "0o600", mode(ldb))
    r.equal("a 0664 head file is made 0600 at start", "0o600", mode(ldb + ".head"))
    log = open(k.log_path).read()
    r.check("the log says what was tightened", "was mode 644, made 0600" in log and "was mode 664" in log, log[:1500])
    archive = ldb + ".archive"
    deadline = time.time() + 60
    while time.time() < deadline and not (os.path.isdir(archive) and os.listdir(archive)):
        time.sleep(0.5)
    segments = os.listdir(archive) if os.path.isdir(archive) else []
    r.check("a segment was archived", segments, segments)
    r.equal("umask 000: the archive directory is 0700", "0o700", mode(archive) if segments else None)
    r.check("umask 000: every segment is 0600", segments and all(mode(os.path.join(archive, f)) == "0o600" for f in segments),
            [(f, mode(os.path.join(archive, f))) for f in segments])
finally:
    k.stop()
raw = b"".join(open(ldb + suffix, "rb").read() for suffix in ("", "-wal") if os.path.exists(ldb + suffix))
r.check("migrated: the secret's bytes are nowhere in the store's files", sk not in raw)
out = cli("audit", "verify", "--db", ldb, "--receipts", before_backup)
r.check("migrated: the chain verifies across the move, the archive and the store, receipts included",
        out.returncode == 0 and "archive segments" in out.stdout and out.stdout.count("as issued") == 20, out.stdout[-1500:])

s.cleanup()
r.finish()
