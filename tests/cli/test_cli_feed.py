"""test_cli_feed.py - `deconflict feed` end to end (issue 16, "A real feed"): a loopback TCP server in
this test replays recorded tracks of ../shared/data/tracks as SBS-1 lines (as dump1090/readsb serve
them on port 30003); the feed posts them to a real deconflictd, whose GET /v1/tracks then shows each
aircraft where the recording has it. The source drops mid-way and is reconnected; malformed lines are
counted, not fatal; --sensor posts sensor updates without identity (the server refuses any); a 429 is
waited out; readsb's aircraft.json is read; a wrong key or a server that is down is a clear message
and exit 1."""
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

SOURCE = os.environ["DC_SOURCE_DIR"]
CLI = os.environ["DC_CLI"]
TRACKS = os.path.join(SOURCE, "..", "shared", "data", "tracks")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import Results, Server, free_port  # noqa: E402

r = Results("cli_feed")
check, equal = r.check, r.equal
FT, KT = 0.3048, 1852.0 / 3600.0


def parse_t(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def recording(name, rows_max=None):
    """The rows of a recorded file, with times moved so that its last row is a minute ago."""
    rows = list(csv.DictReader(open(os.path.join(TRACKS, name))))[:rows_max]
    shift = datetime.now(timezone.utc) - timedelta(seconds=60) - parse_t(rows[-1]["time_utc"])
    for row in rows:
        row["t"] = (parse_t(row["time_utc"]) + shift).replace(microsecond=0)
    return rows


def sbs(row, n):
    """A row as dump1090 writes it: MSG,4 (velocity) then MSG,3 (position), MSG,1 now and then."""
    d, t = row["t"].strftime("%Y/%m/%d"), row["t"].strftime("%H:%M:%S.000")
    head = f"{row['icao24']},1,{d},{t},{d},{t}"
    out = []
    if n % 10 == 0:
        out.append(f"MSG,1,1,1,{head},{row['callsign']},,,,,,,,,,,0")
    if row["groundspeed_kt"] and row["track_deg"]:
        out.append(f"MSG,4,1,1,{head},,,{row['groundspeed_kt']},{row['track_deg']},,,0,,,,,0")
    out.append(f"MSG,3,1,1,{head},,{row['alt_ft']},,,{row['lat']},{row['lon']},,,0,0,0,0")
    return out


MALFORMED = [
    "MSG,3,1,1,ZZZZZZ,1,2024/01/01,00:00:00.000,2024/01/01,00:00:00.000,,1000,,,10.0,10.0,,,0,0,0,0",
    "hello, this is no SBS",
    "MSG,3,1,1,4CA123,1,2024/01/01,00:00:00.000,2024/01/01,00:00:00.000,,1000,,,999.0,10.0,,,0,0,0,0",
    "MSG,9,1,1,4CA123",
    "MSG,3,1,1,4CA123,1,yesterday,noon,,,,1000,,,10.0,10.0,,,0,0,0,0",
    "MSG,3,1,1,4CA123,1,2024/01/01,00:00:00.000,2024/01/01,00:00:00.000,,nan,,,10.0,10.0,,,0,0,0,0",
]
IGNORED = ["STA,,5,179,400AE7,10103,2008/11/28,14:58:51.153,2008/11/28,14:58:51.153,RM",
           "MSG,8,1,1,738043,1,2008/11/28,14:58:51.153,2008/11/28,14:58:51.153,,,,,,,,,,,,0"]


class Replay(threading.Thread):
    """A loopback SBS server: connection i is sent parts[i], then closed (the last part's connection
    stays open, as a receiver's does)."""

    def __init__(self, parts):
        super().__init__(daemon=True)
        self.parts, self.served = parts, 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        self.keep = []

    def run(self):
        for i, part in enumerate(self.parts):
            conn, _ = self.sock.accept()
            conn.sendall("".join(line + "\r\n" for line in part).encode())
            self.served = i + 1
            if i + 1 < len(self.parts):
                conn.close()
            else:
                self.keep.append(conn)


def feed(server, keyfile, source, *extra):
    return subprocess.Popen([CLI, "feed", "--server", f"http://127.0.0.1:{server.port}", "--key-file", keyfile,
                             "--json", "--stats", "0.5", *extra, source],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc, until, timeout=40):
    """Read the feed's JSON lines until `until(line)` holds (or the time is out), then SIGTERM it:
    (exit status, its last JSON line, standard error)."""
    lines, deadline = [], time.time() + timeout
    while time.time() < deadline:
        text = proc.stdout.readline()
        if not text:
            break
        lines.append(json.loads(text))
        if until(lines[-1]):
            break
    proc.send_signal(signal.SIGTERM)
    rest, err = proc.communicate(timeout=30)
    lines += [json.loads(x) for x in rest.splitlines() if x.strip()]
    check("the feed: no sanitizer report", "Sanitizer" not in err, err[-800:])
    return proc.returncode, lines[-1] if lines else {}, err


def keyfile(server, party):
    path = os.path.join(server.dir, party + ".key")
    with open(path, "w") as f:
        f.write(server.party(party) + "\n")
    return path


srv = Server(extra_args=("--quiet",))
try:
    # Two recorded aircraft, each moved to end a minute ago, interleaved by time as a receiver
    # hears them; the stream drops after its first half and the rest comes on the next connection.
    elal, thy = recording("elal747.csv"), recording("noisy_spoofing.csv", 1200)
    rows = sorted(elal + thy, key=lambda row: row["t"])
    lines = [line for n, row in enumerate(rows) for line in sbs(row, n)]
    half = len(lines) // 2
    parts = [lines[:half] + MALFORMED[:3] + IGNORED, MALFORMED[3:] + lines[half:]]
    replay = Replay(parts)
    replay.start()
    key = keyfile(srv, "receiver")
    proc = feed(srv, key, f"sbs://127.0.0.1:{replay.port}", "--clock", "message")
    code, last, err = finish(proc, lambda j: j["source"]["connections"] == 2 and j["received"]["reports"] == len(rows)
                             and j["waiting"] == 0 and j["posted"] + j["flagged"] == len(rows))
    equal("SBS: the feed stops cleanly on SIGTERM", 0, code)
    check("SBS: the last stats line says final", last.get("final") is True, str(last))
    equal("SBS: the source dropped mid-way and was reconnected", 2, last["source"]["connections"])
    check("SBS: reconnecting is said", "reconnected to sbs://" in err, err[-600:])
    equal("SBS: every malformed line counted", len(MALFORMED), last["received"]["malformed"])
    equal("SBS: one report a position", len(rows), last["received"]["reports"])
    equal("SBS: every report posted (accepted or flagged by the server)", len(rows), last["posted"] + last["flagged"])
    equal("SBS: nothing refused or dropped", (0, 0, 0), (last["refused"], last["dropped"], last["unsent"]))
    check("SBS: stats on standard error", "deconflict feed: stopped after" in err and "posted" in err, err[-600:])

    status, _, doc = srv.call("GET", "/v1/tracks", srv.keys["receiver"])
    equal("GET /v1/tracks: 200", 200, status)
    tracks = {t["aircraft"]: t for t in doc["items"]}
    equal("GET /v1/tracks: both aircraft", ["4BAAC6", "738043"], sorted(tracks))
    for icao, recorded in (("738043", elal), ("4BAAC6", thy)):
        t = tracks.get(icao)
        if t is None:
            continue
        at = {row["t"]: row for row in recorded}
        row = at.get(parse_t(t["time"]))
        check(f"{icao}: the track's time is a recorded one", row is not None, t["time"])
        if row is None:
            continue
        check(f"{icao}: at the recorded position", abs(t["position"]["lat"] - float(row["lat"])) < 1e-6
              and abs(t["position"]["lng"] - float(row["lon"])) < 1e-6, f"{t['position']} vs {row}")
        check(f"{icao}: the altitude in metres", abs(t["altitude_m"] - float(row["alt_ft"]) * FT) < 0.01,
              f"{t['altitude_m']} vs {row['alt_ft']} ft")
        if row["groundspeed_kt"] and "ground_speed_mps" in t:
            check(f"{icao}: the ground speed in m/s", abs(t["ground_speed_mps"] - float(row["groundspeed_kt"]) * KT)
                  < 0.01, f"{t['ground_speed_mps']} vs {row['groundspeed_kt']} kt")
    equal("738043: its last recorded report is its track", elal[-1]["t"], parse_t(tracks["738043"]["time"]))

    # --sensor: the same picture as a radar's: sensor track updates, the address as the track number;
    # the server refuses any update with an identity member, so "nothing refused" is "none was sent".
    replay = Replay([lines])
    replay.start()
    radar = keyfile(srv, "radar")
    proc = feed(srv, radar, f"sbs://127.0.0.1:{replay.port}", "--clock", "message", "--sensor", "--accuracy", "50")
    code, last, err = finish(proc, lambda j: j["received"]["reports"] == len(rows) and j["waiting"] == 0
                             and j["posted"] + j["flagged"] == len(rows))
    equal("--sensor: stops cleanly", 0, code)
    check("--sensor: says what it posts", "posting sensor track updates as radar" in err, err[:400])
    equal("--sensor: every update posted, none refused", (len(rows), 0),
          (last["posted"] + last["flagged"], last["refused"]))
    status, _, doc = srv.call("GET", "/v1/tracks", srv.keys["radar"])
    equal("--sensor: no position report of the radar's own", [], doc["items"])
    status, _, doc = srv.call("GET", "/v1/alerts", srv.keys["radar"])
    sensed = {a["sensor"]["track"] for a in doc["items"] if a.get("kind") == "sensor"}
    check("--sensor: the radar's alerts name its own track numbers", sensed <= {"738043", "4BAAC6"} and sensed,
          json.dumps(doc)[:600])

    # readsb's aircraft.json, read once: an aircraft with a position, one without, a non-ICAO one.
    now = time.time()
    path = os.path.join(srv.dir, "aircraft.json")
    with open(path, "w") as f:
        json.dump({"now": now, "messages": 1, "aircraft": [
            {"hex": "3c6444", "flight": "DLH4AB  ", "alt_baro": 36000, "gs": 450.0, "track": 90.0,
             "lat": 50.1, "lon": 8.6, "seen_pos": 1.5, "seen": 0.2},
            {"hex": "3c6445", "alt_baro": 12000, "seen": 3},
            {"hex": "~2a0001", "alt_baro": 1000, "lat": 50.0, "lon": 8.0, "seen_pos": 1},
            {"hex": "not-hex", "lat": 1.0, "lon": 1.0, "alt_baro": 100}]}, f)
    out = subprocess.run([CLI, "feed", "--server", f"http://127.0.0.1:{srv.port}", "--key-file", key, "--json",
                          "--once", path], capture_output=True, text=True, timeout=60)
    equal("aircraft.json --once: exit 0", 0, out.returncode)
    last = json.loads(out.stdout.splitlines()[-1]) if out.stdout.strip() else {}
    equal("aircraft.json: 4 entries, 1 report, 1 malformed, 2 ignored", (4, 1, 1, 2),
          (last["received"]["lines"], last["received"]["reports"], last["received"]["malformed"],
           last["received"]["ignored"]))
    status, _, doc = srv.call("GET", "/v1/tracks", srv.keys["receiver"])
    t = {x["aircraft"]: x for x in doc["items"]}.get("3C6444")
    check("aircraft.json: the aircraft is a track", t is not None, json.dumps(doc)[:400])
    if t:
        check("aircraft.json: at its position, feet to metres", abs(t["position"]["lat"] - 50.1) < 1e-9
              and abs(t["altitude_m"] - 36000 * FT) < 0.01, json.dumps(t))
        check("aircraft.json: dated now - seen_pos", abs(parse_t(t["time"]).timestamp() - (now - 1.5)) < 0.01, t["time"])

    # A wrong key, and a server that is not there: a clear line, exit 1, at once.
    bad = os.path.join(srv.dir, "bad.key")
    with open(bad, "w") as f:
        f.write("dk_" + "0" * 40 + "\n")
    out = subprocess.run([CLI, "feed", "--server", f"http://127.0.0.1:{srv.port}", "--key-file", bad, "--json", path],
                         capture_output=True, text=True, timeout=60)
    equal("a wrong key: exit 1", 1, out.returncode)
    equal("a wrong key: no JSON document", "", out.stdout)
    check("a wrong key: said", "does not know this key" in out.stderr, out.stderr)
    down = free_port()
    out = subprocess.run([CLI, "feed", "--server", f"http://127.0.0.1:{down}", "--key-file", key, "sbs://127.0.0.1:1"],
                         capture_output=True, text=True, timeout=60)
    equal("a server that is down: exit 1", 1, out.returncode)
    check("a server that is down: said", f"cannot reach http://127.0.0.1:{down}" in out.stderr
          and "is deconflictd running there" in out.stderr, out.stderr)
    out = subprocess.run([CLI, "feed", "--server", f"http://127.0.0.1:{srv.port}", "--key-file", key, "sbs://nohost"],
                         capture_output=True, text=True, timeout=60)
    equal("sbs:// without a port: a usage error", 2, out.returncode)
    srv.stop()
finally:
    srv.cleanup()


class Trickle(threading.Thread):
    """One connection: `first` at once, `rest` when `go` is set; then it stays open."""

    def __init__(self, first, rest):
        super().__init__(daemon=True)
        self.first, self.rest, self.go, self.keep = first, rest, threading.Event(), []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]

    def run(self):
        conn, _ = self.sock.accept()
        self.keep.append(conn)
        conn.sendall("".join(line + "\r\n" for line in self.first).encode())
        self.go.wait(60)
        conn.sendall("".join(line + "\r\n" for line in self.rest).encode())


def wait_line(proc, until, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        text = proc.stdout.readline()
        if not text:
            return None
        j = json.loads(text)
        if until(j):
            return j
    return None


# The server goes away mid-run (SIGKILL) and comes back on the same port and store: the feed keeps
# reading its source meanwhile, sends again with back-off, and every report arrives.
import harness  # noqa: E402

first = Server(extra_args=("--quiet",))
again = None
try:
    elal = recording("elal747.csv")
    lines = [line for n, row in enumerate(elal) for line in sbs(row, n)]
    cut = len(elal) // 2
    head = [line for n, row in enumerate(elal[:cut]) for line in sbs(row, n)]
    source = Trickle(head, lines[len(head):])
    source.start()
    proc = feed(first, keyfile(first, "steady"), f"sbs://127.0.0.1:{source.port}", "--clock", "message")
    ok = wait_line(proc, lambda j: j["posted"] + j["flagged"] == cut)
    check("outage: the first half posted", ok is not None)
    first.kill()
    source.go.set()
    ok = wait_line(proc, lambda j: j["server_errors"] > 0 and j["received"]["reports"] == len(elal))
    check("outage: the source is still read while the server is down", ok is not None and ok["waiting"] > 0, str(ok))
    saved = harness.free_port
    harness.free_port = lambda: first.port
    try:
        again = Server(extra_args=("--quiet",), keep_dir=first.dir, db=first.db)
    finally:
        harness.free_port = saved
    code, last, err = finish(proc, lambda j: j["posted"] + j["flagged"] == len(elal) and j["waiting"] == 0)
    equal("outage: stops cleanly", 0, code)
    equal("outage: every report posted once the server is back, none dropped", (len(elal), 0, 0),
          (last["posted"] + last["flagged"], last["dropped"], last["refused"]))
    check("outage: said, and said when it ended", "trying again with back-off" in err and "answers again" in err,
          err[-800:])
    status, _, doc = again.call("GET", "/v1/tracks", first.keys["steady"])
    equal("outage: the newest report is the track", [elal[-1]["t"]], [parse_t(t["time"]) for t in doc["items"]])

    # The key revoked mid-run: the feed stops by itself, says why, exit 1.
    source = Trickle(head, lines[len(head):])
    source.start()
    proc = feed(again, keyfile(again, "revoked"), f"sbs://127.0.0.1:{source.port}", "--clock", "message")
    ok = wait_line(proc, lambda j: j["posted"] + j["flagged"] == cut)
    status, _, _ = again.call("DELETE", "/v1/parties/revoked/key", again.operator)
    equal("the key is revoked", 200, status)
    source.go.set()
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    equal("a key revoked mid-run: the feed exits 1 by itself", 1, proc.returncode)
    check("a key revoked mid-run: said", "refuses the key: 401" in err, err[-600:])
    again.stop()
finally:
    first.cleanup()

# The server's fair-use limit: a 429 is waited out (its Retry-After), and nothing is lost.
slow = Server(extra_args=("--quiet", "--rate-reports", "400/600"))
try:
    elal = recording("elal747.csv")
    lines = [line for n, row in enumerate(elal) for line in sbs(row, n)]
    replay = Replay([lines])
    replay.start()
    proc = feed(slow, keyfile(slow, "busy"), f"sbs://127.0.0.1:{replay.port}", "--clock", "message")
    code, last, err = finish(proc, lambda j: j["received"]["reports"] == len(elal) and j["waiting"] == 0
                             and j["posted"] + j["flagged"] == len(elal))
    equal("429: stops cleanly", 0, code)
    check("429: the server said 429 and the feed waited", last["rate_limited"] > 0, str(last))
    equal("429: every report posted in the end, none refused or dropped", (len(elal), 0, 0),
          (last["posted"] + last["flagged"], last["refused"], last["dropped"]))

    # A queue smaller than the backlog: the oldest reports are dropped and counted, the newest arrive.
    replay = Replay([lines])
    replay.start()
    proc = feed(slow, keyfile(slow, "small"), f"sbs://127.0.0.1:{replay.port}", "--clock", "message",
                "--queue", "500")
    code, last, err = finish(proc, lambda j: j["received"]["reports"] == len(elal) and j["waiting"] == 0
                             and j["posted"] + j["flagged"] + j["dropped"] == len(elal))
    equal("--queue 500: stops cleanly", 0, code)
    check("--queue 500: the oldest dropped and counted", last["dropped"] > 0, str(last))
    equal("--queue 500: every report posted or dropped", len(elal),
          last["posted"] + last["flagged"] + last["dropped"] + last["unsent"])
    status, _, doc = slow.call("GET", "/v1/tracks", slow.keys["small"])
    equal("--queue 500: the newest report arrived", [elal[-1]["t"]], [parse_t(t["time"]) for t in doc["items"]])
    slow.stop()
finally:
    slow.cleanup()
r.finish()
