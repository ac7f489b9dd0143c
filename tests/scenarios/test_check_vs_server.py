"""test_check_vs_server.py - every scenario of examples/ (and the test scenarios) decided by
`deconflict check` offline and by a real deconflictd through `deconflict load`: every step's
status, every decision and every notice identical (issue 14). Only what differs between two stores
by design is set aside: receipts (signatures), conflict keys (MACs under each server's secret),
keys, ids the store numbers and the time of writing."""
import glob
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import Results, Server  # noqa: E402

SOURCE = os.environ["DC_SOURCE_DIR"]
CLI = os.environ["DC_CLI"]
VOLATILE = {"receipt", "key", "conflict_key", "accept_key", "signature", "hash", "seq", "created",
            "updated", "id_number", "digest", "time", "acknowledged_at", "sent_at"}

r = Results("check_vs_server")


def stable(doc):
    """The document without what two stores must differ in."""
    if isinstance(doc, dict):
        return {k: stable(v) for k, v in doc.items() if k not in VOLATILE}
    if isinstance(doc, list):
        return [stable(v) for v in doc]
    return doc


def steps(doc):
    return [(s["step"], s["method"], s["path"], s.get("party"), s["status"],
             stable(s.get("response"))) for s in doc["steps"]]


scenarios = sorted(glob.glob(os.path.join(SOURCE, "examples", "*", "scenario.geojson")))
scenarios += sorted(glob.glob(os.path.join(SOURCE, "tests", "data", "scenarios", "*.geojson")))
r.check("there are scenarios to compare", len(scenarios) >= 4, scenarios)
for path in scenarios:
    name = os.path.relpath(path, SOURCE)
    offline = subprocess.run([CLI, "check", "--json", path], capture_output=True, text=True, timeout=600)
    r.check(f"{name}: check exits 0 or 1", offline.returncode in (0, 1), offline.stderr[-600:])
    s = Server()
    try:
        keys = os.path.join(s.dir, "keys.json")
        online = subprocess.run([CLI, "load", "--json", path, "--server", f"http://127.0.0.1:{s.port}",
                                 "--operator-key-file", os.path.join(s.dir, "operator.key"), "--keys", keys],
                                capture_output=True, text=True, timeout=600)
    finally:
        s.stop()
        s.cleanup()
    r.equal(f"{name}: the same exit status", online.returncode, offline.returncode)
    try:
        a, b = json.loads(offline.stdout), json.loads(online.stdout)
    except ValueError as e:
        r.check(f"{name}: both print one JSON document", False, f"{e}: {offline.stdout[:200]} {online.stdout[:200]}")
        continue
    r.equal(f"{name}: the same accepted and refused counts", (b["accepted"], b["refused"], b["failed"]),
            (a["accepted"], a["refused"], a["failed"]))
    sa, sb = steps(a), steps(b)
    r.equal(f"{name}: the same number of steps", len(sb), len(sa))
    for x, y in zip(sa, sb):
        r.equal(f"{name}: {x[0]}: the same status, decision and notices", y, x)
    decided = [x for x in sa if x[1] == "PUT" and x[4] in (200, 201, 409)]
    r.check(f"{name}: objects were decided", len(decided) > 0, sa)

# The divergence that opened issue 14: offline, the Su-24 route through the salient was accepted.
su24 = subprocess.run([CLI, "check", os.path.join(SOURCE, "examples", "su24-2015")], capture_output=True,
                      text=True, timeout=600)
r.check("check refuses su24-through-salient as the server does",
        "russia submits intent su24-through-salient: REFUSED" in su24.stdout, su24.stdout[-1500:])
r.check("check says the zone of turkey is why", "refused because of a zone of turkey" in su24.stdout, su24.stdout)
r.finish()
