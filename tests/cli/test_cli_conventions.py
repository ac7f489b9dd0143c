"""test_cli_conventions.py - the deconflict command follows its users' conventions (issue 17): --version
on both programs, a help word, -h/--help before any parsing, --json that parses, - for standard input,
defaults that work from any directory, and output without "1 conflicts", "in 0 s", "nan" or mixed
precision in a column; bad input is a clear message and a non-zero exit."""
import json
import os
import re
import subprocess
import sys
import tempfile

CLI = os.environ["DC_CLI"]
SERVER = os.environ["DC_SERVER"]
SOURCE = os.environ["DC_SOURCE_DIR"]
SU24 = os.path.join(SOURCE, "examples/su24-2015")
ALBAB = os.path.join(SOURCE, "examples/al-bab-2017-02/scenario.geojson")
TRACK = os.path.join(SU24, "track-turkey-account.csv")
TURKEY = os.path.join(SOURCE, "build/borders/turkey.geojson")
ELSEWHERE = tempfile.mkdtemp(prefix="dc-cli-")  # never the repository: defaults must not need it
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import Results  # noqa: E402

r = Results("cli_conventions")
check, equal = r.check, r.equal


def run(*args, stdin=None, env=None, program=CLI):
    out = subprocess.run([program, *args], input=stdin, capture_output=True, text=True, timeout=300,
                         cwd=ELSEWHERE, env=dict(os.environ, **(env or {})))
    check(f"{' '.join(args)[:60]}: no sanitizer report", "Sanitizer" not in out.stderr, out.stderr[-600:])
    return out


def parses(what, text):
    try:
        return json.loads(text)
    except ValueError as e:
        check(f"{what} is JSON", False, f"{e}: {text[:300]!r}")
        return None


# --version: the project's version (CMakeLists.txt) on both programs
version = re.search(r"project\(deconflict VERSION (\S+)", open(os.path.join(SOURCE, "CMakeLists.txt")).read()).group(1)
for program, name in ((CLI, "deconflict"), (SERVER, "deconflictd")):
    out = run("--version", program=program)
    equal(f"{name} --version exits 0", 0, out.returncode)
    check(f"{name} --version names the program and version {version}",
          out.stdout.startswith(f"{name} {version}"), out.stdout)
equal("deconflict serve --version", run("serve", "--version").stdout.split()[1], version)
equal("deconflict version", run("version").stdout, run("--version").stdout)

# help: the word, and -h/--help on every command before any other parsing
commands = ["coord", "check", "monitor", "replay", "serve", "load", "feed", "audit", "party", "store", "airspace"]
out = run("help")
equal("help exits 0", 0, out.returncode)
for c in commands:
    check(f"help lists {c}", re.search(rf"^  {c} ", out.stdout, re.M) is not None, out.stdout)
for c in commands:
    want = run(c, "--help")
    equal(f"{c} --help exits 0", 0, want.returncode)
    check(f"{c} --help prints its usage", want.stdout.startswith("usage:"), want.stdout[:200])
    for form in (["help", c], [c, "-h"], [c, "--json", "-h"], [c, "bogus", "--help"]):
        got = run(*form)
        equal(f"{' '.join(form)} exits 0", 0, got.returncode)
        equal(f"{' '.join(form)} is {c}'s help", want.stdout, got.stdout)
out = run("help", "nosuch")
check("help of an unknown command exits 2 naming it", out.returncode == 2 and "unknown command 'nosuch'" in out.stderr,
      out.stderr)
out = run("coord", "-h")
check("coord -h is help, not a coordinate", "Notations" in out.stdout and out.stderr == "", out.stderr)
out = run("party", "add", "-h", "--server", "http://127.0.0.1:1")
check("party add -h is help (nothing sent)", out.returncode == 0 and "--server" in out.stdout, out.stderr)

# unknown flags and commands: a usage error naming them
for args in (["nosuch"], ["coord", "--nosuch", "1", "2"], ["check", "--nosuch", ALBAB], ["monitor", "--nosuch", TRACK],
             ["replay", "--nosuch"], ["load", "--nosuch", ALBAB, "--server", "http://127.0.0.1:1"],
             ["party", "list", "--nosuch", "--server", "http://127.0.0.1:1"],
             ["feed", "--nosuch", "sbs://127.0.0.1:1", "--server", "http://127.0.0.1:1"],
             ["airspace", "--nosuch", "-", "-"]):
    out = run(*args)
    equal(f"{' '.join(args)} exits 2", 2, out.returncode)
    check(f"{' '.join(args)} names what is wrong", "nosuch" in out.stderr, out.stderr[:300])
out = run("check", os.path.join(ELSEWHERE, "missing.geojson"))
check("check of a missing file exits 2 saying it cannot be read",
      out.returncode == 2 and "cannot read" in out.stderr and "missing.geojson" in out.stderr, out.stderr)

# airspace: - for the land, --json for what was done, the airspace in OUT
land = json.dumps({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "Isle"},
                  "geometry": {"type": "Polygon", "coordinates": [[[10, 40], [10.2, 40], [10.2, 40.2], [10, 40.2], [10, 40]]]}}]})
out_file = os.path.join(ELSEWHERE, "airspace.geojson")
out = run("airspace", "--json", "-", out_file, stdin=land)
doc = parses("airspace --json", out.stdout)
check("airspace --json - OUT: the account, and OUT written", out.returncode == 0 and doc and doc["countries"] == 1
      and doc["with_sea"] == 1 and json.load(open(out_file))["features"][0]["properties"]["extent"] == "airspace", out.stderr)
out = run("airspace", "--json", "-", "-", stdin=land)
check("airspace --json with OUT - is a usage error", out.returncode == 2 and "OUT must be a file" in out.stderr, out.stderr)
out = run("airspace", "-", "-", stdin="{not json")
check("airspace of bad JSON exits 1 naming standard input", out.returncode == 1 and "standard input" in out.stderr, out.stderr)

# coord --json: one-shot, refused, and standard input (-) as an array with line numbers
out = run("coord", "--json", "33.3", "44.4")
doc = parses("coord --json", out.stdout)
check("coord --json has every form", doc and doc["forms"]["mgrs"] == "38SMB4414084706" and doc["notation"] == "dd", out.stdout)
out = run("coord", "--json", "120", "33")
doc = parses("coord --json refused", out.stdout)
check("coord --json refused: exit 1, error with status", out.returncode == 1 and doc and doc["error"]["status"] == "AMBIGUOUS",
      out.stdout)
out = run("coord", "--json", "--to", "mgrs2", "-", stdin="33.3 44.4\n33 61 N 44 E\n")
doc = parses("coord --json -", out.stdout)
check("coord --json - : an array, line numbers, the one form asked, the bad line's error",
      doc and [d["line"] for d in doc] == [1, 2] and doc[0]["forms"] == {"mgrs": "38SMB4484"} and "error" in doc[1]
      and out.returncode == 1 and "line 2:" in out.stderr, out.stdout)
equal("coord - reads standard input like no TEXT", run("coord", "--to", "dms", stdin="33.3 44.4\n").stdout,
      run("coord", "--to", "dms", "-", stdin="33.3 44.4\n").stdout)

# check: - and --json, "1 refused"
text = open(ALBAB).read()
by_file, by_stdin = run("check", ALBAB), run("check", "-", stdin=text)
equal("check - prints what check FILE prints", by_file.stdout, by_stdin.stdout)
equal("check - exit status (1: something refused)", 1, by_stdin.returncode)
check("check says '1 accepted, 1 refused'", "\n1 accepted, 1 refused, 0 failed" in by_file.stdout, by_file.stdout)
check("check tells the refused owner why", "told russia: refused because of a site of turkey" in by_file.stdout,
      by_file.stdout)
doc = parses("check --json -", run("check", "--json", "-", stdin=text).stdout)
refusals = [s for s in (doc or {}).get("steps", []) if s["status"] == 409]
check("check --json - : the refusal and its notice", doc and doc["refused"] == 1 and len(refusals) == 1 and
      refusals[0]["path"] == "/v1/hazards/albab-strike" and len(refusals[0]["response"]["notices"]) == 1, doc)
out = run("check", "-", stdin="{not json")
check("check - of bad JSON exits 2 naming standard input", out.returncode == 2 and "standard input" in out.stderr, out.stderr)

# monitor: - and --json; one precision in the time column; no "in 0 s", no "nan"
csv = open(TRACK).read()
by_file, by_stdin = run("monitor", "--zones", TURKEY, TRACK), run("monitor", "--zones", TURKEY, "-", stdin=csv)
equal("monitor - exits 0", 0, by_stdin.returncode)
equal("monitor - prints what monitor FILE prints", by_file.stdout, by_stdin.stdout)
lines = [ln for ln in by_file.stdout.splitlines() if ln.startswith("2015-")]
check("monitor prints crossings and alerts", len(lines) >= 5, by_file.stdout)
stamps = {len(ln.split()[0]) for ln in lines}
check("one timestamp precision in the column (tenths of a second)",
      stamps == {len("2015-11-24T07:24:05.0Z")} and all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\dZ  ", ln) for ln in lines),
      by_file.stdout)
check("no alert 'in 0 s'", " in 0 s" not in by_file.stdout, by_file.stdout)
check("the incursion says the aircraft is inside", "incursion zone turkey/turkey-airspace, inside now" in by_file.stdout,
      by_file.stdout)
check("no nan", "nan" not in by_file.stdout.lower())
check("the crossing keeps its tenth", "07:24:21.8Z  SU24TR   leaves turkey" in by_file.stdout, by_file.stdout)
doc = parses("monitor --json -", run("monitor", "--json", "--zones", TURKEY, "-", stdin=csv).stdout)
check("monitor --json - : the file is standard input, exact times kept",
      doc and doc["file"] == "-" and doc["reports"] == 196 and doc["crossings"][0]["time"].startswith("2015-11-24T07:24:04.96"))

# replay: from any directory (its default borders are not relative to the working directory), - for a track
out = run("replay", "--tracks", TRACK, "--country", "turkey")
check("replay --country from another directory exits 0", out.returncode == 0, out.stderr)
check("replay --country finds Natural Earth's Turkey", "border 1: Turkey - Natural Earth 10m" in out.stdout, out.stdout)
check("replay output has no nan", "nan" not in out.stdout.lower(), out.stdout)
out = run("replay", "--tracks", TRACK, "--country", "turkey", env={"DECONFLICT_BORDERS": os.path.join(ELSEWHERE, "none")})
check("replay without any borders: exit 2 and what to do",
      out.returncode == 2 and "--borders FILE" in out.stderr and "make borders" in out.stderr, out.stderr)
by_file = run("replay", "--json", "--tracks", TRACK, "--zone", TURKEY)
by_stdin = run("replay", "--json", "--tracks", "-", "--zone", TURKEY, stdin=csv)
a, b = parses("replay --json", by_file.stdout), parses("replay --json --tracks -", by_stdin.stdout)
check("replay --tracks - measures the same track, digest of the same bytes",
      a and b and a["results"] == b["results"] and a["tracks"][0]["sha256"] == b["tracks"][0]["sha256"], by_stdin.stderr)
out = run("replay", "--tracks", "-", "--tracks", "-", "--zone", TURKEY, stdin=csv)
check("replay reads standard input once", out.returncode == 2 and "once" in out.stderr, out.stderr)

# party --json on the store file
db = os.path.join(ELSEWHERE, "p.db")
out = run("party", "add", "alice", "--db", db, "--json")
doc = parses("party add --db --json", out.stdout)
check("party add --db --json: the party and its key", out.returncode == 0 and doc and doc["name"] == "alice"
      and doc["issued_key"].startswith("dck_") and doc["key"] == "active", out.stderr)
run("party", "create", "bob", "--db", db, "--notation", "mgrs")
out = run("party", "list", "--db", db)
check("party list --db lists both", out.returncode == 0 and re.search(r"^alice .*key active", out.stdout, re.M)
      and re.search(r"^bob .*notation mgrs", out.stdout, re.M), out.stdout + out.stderr)
run("party", "revoke", "bob", "--db", db)
doc = parses("party list --db --json", run("party", "list", "--db", db, "--json").stdout)
check("party list --db --json: names and key states", doc and [(p["name"], p["key"]) for p in doc["items"]]
      == [("alice", "active"), ("bob", "revoked")], doc)
doc = parses("party show --json", run("party", "show", "alice", "--db", db, "--json").stdout)
check("party show --db --json", doc and doc["priority_ceiling"] == 10)
out = run("party", "list")
check("party without --server or --db: exit 2 saying so", out.returncode == 2 and "--server URL" in out.stderr, out.stderr)

r.finish()
