"""test_cli_server.py - the deconflict command against a real deconflictd on a loopback port (issue 17):
the server says where its operator key is; `party add|list|show|revoke --server` with the operator key
from a file or DC_OPERATOR_KEY; `load SCENARIO --server` loads a scenario as its parties would; a wrong
key, a server that is not there, a bad URL or a malformed scenario is a clear message, a non-zero exit,
and changes nothing."""
import json
import os
import stat
import subprocess
import sys
import time

SOURCE = os.environ["DC_SOURCE_DIR"]
CLI = os.environ["DC_CLI"]
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import Results, Server, free_port  # noqa: E402

r = Results("cli_server")
check, equal = r.check, r.equal
srv = Server()
URL = f"http://127.0.0.1:{srv.port}"
KEYFILE = os.path.join(srv.dir, "operator.key")


def run(*args, stdin=None, env=None):
    e = dict(os.environ, **(env or {}))
    e.pop("DC_OPERATOR_KEY", None) if env is None or "DC_OPERATOR_KEY" not in env else None
    out = subprocess.run([CLI, *args], input=stdin, capture_output=True, text=True, timeout=300, cwd=srv.dir, env=e)
    check(f"{' '.join(args)[:60]}: no sanitizer report", "Sanitizer" not in out.stderr, out.stderr[-600:])
    return out


def parses(what, text):
    try:
        return json.loads(text)
    except ValueError as e:
        check(f"{what} is JSON", False, f"{e}: {text[:300]!r}")
        return None


def party_exists(name):
    return srv.call("GET", f"/v1/parties/{name}", srv.operator)[0] == 200


try:
    # said once it listens: the first answer to /v1/health can come before the line is written
    deadline = time.time() + 20
    while "operator key" not in open(srv.log_path).read() and time.time() < deadline:
        time.sleep(0.05)
    log = open(srv.log_path).read()
    check("deconflictd says where its operator key is", f"operator key created in {os.path.realpath(KEYFILE)}" in log, log)

    # party add: the key file, or DC_OPERATOR_KEY; the key printed works
    out = run("party", "add", "alice", "--server", URL, "--operator-key-file", KEYFILE)
    equal("party add exits 0", 0, out.returncode)
    key = next((ln.split()[1] for ln in out.stdout.splitlines() if ln.startswith("key: ")), None)
    check("party add prints the key once", key is not None and key.startswith("dck_"), out.stdout)
    equal("the printed key is alice's", 200, srv.call("GET", "/v1/parties/me", key)[0])
    out = run("party", "add", "bob", "--notation", "mgrs", "--priority-ceiling", "20", "--server", URL + "/", "--json",
              env={"DC_OPERATOR_KEY": srv.operator})
    doc = parses("party add --json", out.stdout)
    check("party add --json with DC_OPERATOR_KEY: the party, its notation, ceiling and key",
          out.returncode == 0 and doc and doc["name"] == "bob" and doc["notation"] == "mgrs"
          and doc["priority_ceiling"] == 20 and doc["key"].startswith("dck_"), out.stderr)
    out = run("party", "add", "alice", "--server", URL, "--operator-key-file", KEYFILE)
    check("adding an existing party: exit 1 with the server's reason", out.returncode == 1 and "409" in out.stderr, out.stderr)

    # show and list
    out = run("party", "show", "bob", "--server", URL, "--operator-key-file", KEYFILE, "--json")
    doc = parses("party show --server --json", out.stdout)
    check("party show --server --json", doc and doc["name"] == "bob" and doc["key"] == "active", out.stderr)
    out = run("party", "list", "--server", URL, "--operator-key-file", KEYFILE, "--json")
    check("party list --server works (GET /v1/parties)", out.returncode == 0, out.stderr)
    doc = parses("party list --server --json", out.stdout)
    check("party list --server names both", doc and {"alice", "bob"} <= {p["name"] for p in doc["items"]}, out.stdout)
    out = run("party", "list", "--db", srv.db, "--json")
    doc = parses("party list --db --json", out.stdout)
    check("party list --db on the running server's store names both",
          doc and [p["name"] for p in doc["items"]] == ["alice", "bob"], out.stdout + out.stderr)

    # revoke: the key stops working
    out = run("party", "revoke", "alice", "--server", URL, "--operator-key-file", KEYFILE)
    check("party revoke exits 0 and says so", out.returncode == 0 and "revoked" in out.stdout, out.stderr)
    equal("a revoked key is refused", 401, srv.call("GET", "/v1/parties/me", key)[0])
    out = run("party", "revoke", "nobody", "--server", URL, "--operator-key-file", KEYFILE)
    check("revoking no such party: exit 1, 404", out.returncode == 1 and "404" in out.stderr, out.stderr)

    # bad input: a clear message, non-zero, nothing changed
    wrong = os.path.join(srv.dir, "wrong.key")
    open(wrong, "w").write("dck_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n")
    out = run("party", "add", "carol", "--server", URL, "--operator-key-file", wrong)
    check("a wrong operator key: exit 1, 401 said", out.returncode == 1 and "401" in out.stderr and "key" in out.stderr,
          out.stderr)
    out = run("party", "add", "carol", "--server", URL, "--operator-key-file", os.path.join(srv.dir, "none.key"))
    check("a missing key file: exit 2 naming it", out.returncode == 2 and "none.key" in out.stderr, out.stderr)
    out = run("party", "add", "carol", "--server", URL)
    check("no operator key at all: exit 2 saying where it comes from",
          out.returncode == 2 and "--operator-key-file" in out.stderr and "DC_OPERATOR_KEY" in out.stderr, out.stderr)
    out = run("party", "add", "carol", "--server", f"http://127.0.0.1:{free_port()}", "--operator-key-file", KEYFILE)
    check("no server there: exit 1, cannot reach", out.returncode == 1 and "cannot reach" in out.stderr, out.stderr)
    out = run("party", "add", "carol", "--server", "127.0.0.1:8080", "--operator-key-file", KEYFILE)
    check("a server that is no URL: exit 2", out.returncode == 2 and "http://" in out.stderr, out.stderr)
    out = run("party", "ceiling", "bob", "30", "--server", URL, "--operator-key-file", KEYFILE)
    check("a change only the store file makes: exit 2 saying so", out.returncode == 2 and "--db" in out.stderr, out.stderr)
    check("carol was never created", not party_exists("carol"))

    # load: a malformed scenario sends nothing
    bad = json.load(open(os.path.join(SOURCE, "examples/al-bab-2017-02/scenario.geojson")))
    bad["features"][1]["properties"]["time_end"] = "tomorrow"
    bad["deconflict"]["parties"]["newcomer"] = {"notation": "dd"}
    out = run("load", "-", "--server", URL, "--operator-key-file", KEYFILE, stdin=json.dumps(bad))
    check("load of a malformed scenario: exit 2, the member named, nothing sent",
          out.returncode == 2 and "/features/1/" in out.stderr and "time_end" in out.stderr
          and "nothing was sent" in out.stderr,
          out.stderr)
    check("... and no party was created", not party_exists("newcomer"))
    out = run("load", os.path.join(SOURCE, "examples/su24-2015"), "--server", f"http://127.0.0.1:{free_port()}",
              "--operator-key-file", KEYFILE)
    check("load with no server there: exit 1, cannot reach", out.returncode == 1 and "cannot reach" in out.stderr, out.stderr)

    # load su24 from a directory, keys to a file
    keys = os.path.join(srv.dir, "keys.json")
    out = run("load", os.path.join(SOURCE, "examples/su24-2015"), "--server", URL, "--operator-key-file", KEYFILE,
              "--keys", keys)
    equal("load su24 exits 1 (one intent refused, as the scenario has it)", 1, out.returncode)
    for line in ("   party russia: created", "turkey declares its airspace (Natural Earth 10m",
                 "russia shares its intents with coalition: 201", "russia submits intent su24-strike-package: accepted",
                 "russia submits intent su24-through-salient: REFUSED",
                 "told russia: refused because of a zone of turkey (zone)", "4 accepted, 1 refused, 0 failed"):
        check(f"load su24 says {line!r}", line in out.stdout, out.stdout + out.stderr)
    saved = json.load(open(keys))
    equal("the keys file holds the four new parties", ["coalition", "russia", "syria", "turkey"], sorted(saved))
    equal("the keys file is private", 0o600, stat.S_IMODE(os.stat(keys).st_mode))
    check("no key printed when they go to the file", "dck_" not in out.stdout)
    equal("russia's intent is on the server", 200, srv.call("GET", "/v1/intents/su24-strike-package", saved["russia"])[0])
    equal("shared with the coalition under the grant", 200,
          srv.call("GET", "/v1/intents/su24-strike-package", saved["coalition"])[0])
    equal("not with turkey", 404, srv.call("GET", "/v1/intents/su24-strike-package", saved["turkey"])[0])
    equal("russia's notation as the scenario says", "dd", srv.call("GET", "/v1/parties/me", saved["russia"])[2]["notation"])

    # load from standard input with --json, the parties' keys from the file (no operator key needed)
    text = open(os.path.join(SOURCE, "examples/direct-line-2017-01/scenario.geojson")).read()
    out = run("load", "-", "--server", URL, "--keys", keys, "--json", stdin=text)
    doc = parses("load --json", out.stdout)
    check("load - --json: exit 0, both accepted, none created", out.returncode == 0 and doc and doc["accepted"] == 2
          and doc["refused"] == 0 and doc["failed"] == 0 and doc["parties_created"] == [], out.stderr)
    ack = [s for s in (doc or {}).get("steps", []) if s["path"].endswith("/ack")]
    check("the message was read back and acknowledged by russia", len(ack) == 1 and ack[0]["status"] == 200
          and ack[0]["party"] == "russia", ack)
    hz = [s for s in (doc or {}).get("steps", []) if s["path"] == "/v1/hazards/jan22-strike"]
    check("the hazard was accepted", len(hz) == 1 and hz[0]["status"] == 201, hz)
    check("no key in the --json record", "dck_" not in out.stdout)
    status, _, audit = srv.call("GET", "/v1/audit?object=hazard/russia/jan22-strike", saved["russia"])
    check("the hazard names the message its coordinates came from",
          status == 200 and any("from_message" in (a.get("detail") or {}) for a in audit["items"]), audit)

    # a keys file without a party the server has: refused, with what to do
    json.dump({"turkey": saved["turkey"]}, open(keys, "w"))
    out = run("load", os.path.join(SOURCE, "examples/al-bab-2017-02/scenario.geojson"), "--server", URL,
              "--operator-key-file", KEYFILE, "--keys", keys)
    check("a party on the server without a key in --keys: exit 1, party rotate suggested",
          out.returncode == 1 and "exists on the server" in out.stderr and "party rotate russia" in out.stderr, out.stderr)
    json.dump({"russia": saved["turkey"], "turkey": saved["turkey"]}, open(keys, "w"))
    out = run("load", os.path.join(SOURCE, "examples/al-bab-2017-02/scenario.geojson"), "--server", URL, "--keys", keys)
    check("another party's key in --keys: exit 1, said, nothing submitted in the wrong name",
          out.returncode == 1 and "the key for russia" in out.stderr and "is turkey's" in out.stderr
          and "submits" not in out.stdout, out.stdout + out.stderr)
    json.dump({"russia": "dck_" + "B" * 43, "turkey": saved["turkey"]}, open(keys, "w"))
    out = run("load", os.path.join(SOURCE, "examples/al-bab-2017-02/scenario.geojson"), "--server", URL, "--keys", keys)
    check("a key in --keys the server does not know: exit 1, 401 said",
          out.returncode == 1 and "party russia" in out.stderr and "401" in out.stderr, out.stdout + out.stderr)
finally:
    try:
        srv.stop()
        check("the server stops cleanly", True)
    except RuntimeError as e:
        check("the server stops cleanly", False, str(e))
    srv.cleanup()
r.finish()
