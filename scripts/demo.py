#!/usr/bin/env python3
"""demo.py - start deconflictd under ./var, load the published scenarios through the HTTP API as the parties would,
and tell the story: what was refused and why, what each party was told, the replay, where to look next.

With DEMO_STORE set (make cluster: scripts/cluster.sh), the servers are already running over that store, reached
at DEMO_PORT: the demo starts none and tells the same story through them."""
import csv
import datetime
import hashlib
import http.client
import json
import os
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build/release")
VAR = os.environ.get("DEMO_VAR", os.path.join(ROOT, "var"))
PORT = int(os.environ.get("DEMO_PORT", "8080"))
URL = f"http://127.0.0.1:{PORT}"
STORE = os.environ.get("DEMO_STORE")
DB = STORE or os.path.join(VAR, "deconflict.db")
BOLD, DIM, END = ("\033[1m", "\033[2m", "\033[0m") if sys.stdout.isatty() else ("", "", "")


def call(method, path, key=None, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = "Bearer " + key
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    resp = conn.getresponse()
    text = resp.read().decode()
    conn.close()
    try:
        return resp.status, json.loads(text)
    except ValueError:
        return resp.status, text


def stop_previous():
    pid_file = os.path.join(VAR, "deconflictd.pid")
    if os.path.exists(pid_file):
        try:
            pid = int(open(pid_file).read())
            os.kill(pid, signal.SIGTERM)
            for _ in range(100):
                os.kill(pid, 0)
                time.sleep(0.05)
        except (ValueError, ProcessLookupError, PermissionError):
            pass
        os.remove(pid_file)
    # a fresh demo is a new store: its head and signing key go with it (a store missing beside
    # its head file is refused at start, as a lost store)
    for name in ("deconflict.db", "deconflict.db-wal", "deconflict.db-shm", "deconflict.db.head",
                 "deconflict.db.key", "keys.json"):
        if os.path.exists(os.path.join(VAR, name)):
            os.remove(os.path.join(VAR, name))


def start():
    os.makedirs(VAR, exist_ok=True)
    log = open(os.path.join(VAR, "deconflictd.log"), "w")
    proc = subprocess.Popen([os.path.join(BUILD, "deconflictd"), "--listen", f"127.0.0.1:{PORT}",
                             "--db", os.path.join(VAR, "deconflict.db"),
                             "--operator-key-file", os.path.join(VAR, "operator.key"),
                             "--web", os.path.join(ROOT, "web/dist")],
                            stdout=log, stderr=log, start_new_session=True)
    open(os.path.join(VAR, "deconflictd.pid"), "w").write(str(proc.pid))
    for _ in range(200):
        try:
            if call("GET", "/v1/health")[0] == 200:
                return proc
        except OSError:
            time.sleep(0.05)
    sys.exit(f"deconflictd did not start; see {VAR}/deconflictd.log")


keys = {}


def say(text=""):
    print(text, flush=True)


def reports_of(path):
    out = []
    for row in csv.DictReader(open(path)):
        # an aircraft is its ICAO address or, without one (the Su-24's accounts give none), its callsign
        r = {"aircraft": row["icao24"] or row["callsign"], "time": row["time_utc"],
             "position": {"lat": float(row["lat"]), "lng": float(row["lon"])},
             "altitude": {"value": float(row["alt_ft"]), "units": "FT"}}
        if row["callsign"]:
            r["callsign"] = row["callsign"]
        if row["groundspeed_kt"] and row["track_deg"]:
            r["ground_speed"] = {"value": float(row["groundspeed_kt"]), "units": "KT"}
            r["track"] = float(row["track_deg"]) % 360
        out.append(r)
    return out


def show_rescue(rescue):
    """The hour after the shoot-down: Russia's search and rescue over a coalition hazard."""
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    t0, t1 = now.strftime("%Y-%m-%dT%H:%M:%SZ"), (now + datetime.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    say(f"   the rescue ({rescue['note']}):")
    g = rescue["grant"]
    status, _ = call("PUT", f"/v1/parties/{g['party']}/emergency", operator,
                     {"max_area_km2": g["max_area_km2"], "max_validity_s": g["max_validity_s"]})
    say(f"   the operator lets {g['party']} declare emergencies up to {g['max_area_km2']} km2, {g['max_validity_s']} s: {status}")
    h = rescue["hazard"]
    vol = {"outline_circle": {"center": h["center"], "radius": h["radius"]}, "altitude_lower": 0,
           "altitude_upper": h["altitude_upper"], "time_start": t0, "time_end": t1}
    status, _ = call("PUT", f"/v1/hazards/{h['id']}", keys[h["owner"]],
                     {"priority": 5, "hazard_kind": h["hazard_kind"], "volumes": [vol]})
    say(f"   {h['owner']} submits hazard {h['id']} ({h['hazard_kind']}): {status}")
    e = rescue["emergency"]
    body = {"kind": e["kind"], "validity_s": e["validity_s"], "alert_distance_m": e["alert_distance_m"],
            "last_known_position": e["last_known_position"],
            "volumes": [{"outline_circle": {"center": e["center"], "radius": e["radius"]}, "altitude_lower": 0,
                         "altitude_upper": e["altitude_upper"], "time_start": t0, "time_end": t1}]}
    status, doc = call("PUT", f"/v1/emergencies/{e['id']}", keys[e["party"]], body)
    say(f"   {e['party']} declares emergency {e['id']} ({e['kind']}, valid {e['validity_s']} s, renewable): "
        f"{'accepted' if status == 201 else status}")
    for n in doc.get("notices", []) if isinstance(doc, dict) else []:
        say(f"      told {e['party']}: {n['action']} ({n['counterpart']['kind']} of {n['counterpart']['party']})")
    status, hz = call("GET", f"/v1/hazards/{h['id']}", keys[h["owner"]])
    say(f"   {h['owner']}'s hazard {h['id']} is now {hz.get('state')} (held by {hz.get('suspended_by')})")
    for pname, key in keys.items():
        got = [a for a in call("GET", "/v1/alerts", key)[1]["items"] if a["kind"] == "emergency"]
        for a in got:
            crew = " with the crew's last known position" if "last_known_position" in a else ""
            say(f"   {pname} is alerted: emergency {a['emergency']['id']} of {a['emergency']['party']}{crew}")


def sensed_of(path, sensor):
    """A sensor's updates from a recorded track: its own track number, no identity."""
    out = []
    for r in reports_of(path):
        u = {"track_number": sensor["track_number"], "time": r["time"], "position": r["position"],
             "altitude": r["altitude"], "accuracy": sensor["accuracy_m"]}
        if "ground_speed" in r:
            u["ground_speed"], u["track"] = r["ground_speed"], r["track"]
        out.append(u)
    return out


def show_radar(folder, meta):
    """The party's own reports and the other party's radar, 10 s at a time as they would arrive: who is told."""
    t, sensor = meta["tracks"][0], meta["sensors"][0]
    reports, sensed = reports_of(os.path.join(folder, t["file"])), sensed_of(os.path.join(folder, sensor["file"]), sensor)
    accepted = taken = 0
    for k in range(0, max(len(reports), len(sensed)), 5):
        accepted += call("POST", "/v1/tracks", keys[t["party"]], reports[k:k + 5])[1].get("accepted", 0) if reports[k:k + 5] else 0
        taken += call("POST", "/v1/sensor-tracks", keys[sensor["party"]], sensed[k:k + 5])[1].get("accepted", 0) if sensed[k:k + 5] else 0
    say(f"   {t['party']} reports {len(reports)} positions ({t['label']}): {accepted} accepted")
    say(f"   {sensor['party']} posts {len(sensed)} sensor updates ({sensor['label']}): {taken} taken")
    party, owner = t["party"], sensor["party"]
    told = {p: call("GET", "/v1/alerts?limit=1000", keys[p])[1]["items"] for p in (party, owner)}
    entry = next((a for a in told[owner] if a["kind"] == "zone" and a["level"] == "incursion"), None)
    for a in told[owner]:
        if a["kind"] == "sensor":
            who = a.get("identified", {}).get("party")
            say(f"   {a['time']}  {owner} is told: its track {a['sensor']['track']} is {a['sensor']['state']}"
                + (f", a cooperating aircraft of {who} (its name only under {who}'s grant)" if who else ""))
    for a in told[party]:
        if a["kind"] == "sensor" and a["sensor"]["state"] == "disputed":
            say(f"   {a['time']}  {party} is told: {owner}'s radar sees {a['track']['aircraft']} {a['apart_m']:.0f} m or more "
                f"from where {party} reports it (the radar's picture to {a['track']['resolution_m']:.0f} m)")
    warned = [a for a in told[party] if a["kind"] == "zone" and "sensor" in a and a["level"] in ("advisory", "warning")]
    for a in warned[:1] + [a for a in warned if a["level"] == "warning"][:1]:
        say(f"   {a['time']}  {party} is warned ({a['level']}): {owner}'s radar predicts entry into {a['zone']['owner']}'s "
            f"{a['zone']['id']} in {a['time_to_event_s']:.0f} s - the warning that was not heard in 2015")
    zone_alerts = [a for a in told[owner] if a["kind"] == "zone"]
    for a in [a for a in zone_alerts if a["level"] == "warning"][:1] + [a for a in zone_alerts if a["level"] == "incursion"][:1]:
        say(f"   {a['time']}  {owner} is alerted: {a['level']} in its zone {a['zone']['id']}, "
            f"{a['track']['party']}'s aircraft (seen by its radar)")
    if entry is None:
        say(f"   {owner}'s radar never sees it enter")
    status, doc = call("GET", f"/v1/audit?object=dispute/server/{owner}/{sensor['track_number']}", operator)
    for rec in doc.get("items", []) if status == 200 else []:
        d = rec["detail"]
        say(f"   the audit holds the dispute (seq {rec['seq']}, the operator's to read): {owner}'s radar at "
            f"{d['sensor']['position']['lat']:.4f}, {d['sensor']['position']['lng']:.4f} (accuracy {d['sensor']['accuracy_m']:.0f} m), "
            f"{party}'s report at {d['reported']['position']['lat']:.4f}, {d['reported']['position']['lng']:.4f}: "
            f"{d['apart_m']:.0f} m apart")


def load(name):
    folder = os.path.join(ROOT, "examples", name)
    sc = json.load(open(os.path.join(folder, "scenario.geojson")))
    meta = sc.get("deconflict", {})
    say(f"\n{BOLD}== {sc['title']}{END}")
    for fact in meta.get("facts", []):
        say(f"   fact:          {fact}")
    for line in meta.get("approximations", []):
        say(f"   approximation: {line}")
    # parties, their airspace, grants, messages and every object: `deconflict load`, as an operator
    # would load a scenario into a running server
    out = subprocess.run([os.path.join(BUILD, "deconflict"), "load", folder, "--server", URL,
                          "--operator-key-file", os.path.join(VAR, "operator.key"),
                          "--keys", os.path.join(VAR, "keys.json")], capture_output=True, text=True)
    lines = out.stdout.splitlines()
    for line in lines[1:]:  # the title was said above
        say(line if line.startswith(" ") else "   " + line)
    if out.returncode not in (0, 1) or not lines or not lines[-1].endswith(" 0 failed"):
        sys.exit(f"deconflict load {name} failed ({out.returncode}):\n{out.stdout}{out.stderr}")
    keys.update(json.load(open(os.path.join(VAR, "keys.json"))))
    refused = [line.split()[3][:-1] for line in lines if line.endswith(": REFUSED")]
    for rd in meta.get("reads", []):
        status, _ = call("GET", rd["path"], keys[rd["party"]])
        say(f"   {rd['party']} asks for {rd['path']}: {status}{' (shared under the grant; audited)' if status == 200 else ' (not shared with it)'}")
    if meta.get("sensors"):
        show_radar(folder, meta)
    for t in meta.get("tracks", []) if not meta.get("sensors") else []:
        reports = reports_of(os.path.join(folder, t["file"]))
        status, doc = call("POST", "/v1/tracks", keys[t["party"]], reports)
        say(f"   {t['party']} reports {len(reports)} positions ({t['label']}): {doc.get('accepted')} accepted, "
            f"{doc.get('alerts')} alerts raised")
    for pname, key in keys.items():
        notes = call("GET", "/v1/notices", key)[1]["items"]
        alerts = call("GET", "/v1/alerts", key)[1]["items"]
        levels = sorted({a["level"] for a in alerts})
        say(f"   {pname} has been told: {len(notes)} notices, {len(alerts)} alerts {levels if levels else ''}")
    rescue = meta.get("rescue")
    if rescue:
        show_rescue(rescue)
    rp = meta.get("replay")
    if rp:
        say(f"   the dispute replayed: both accounts against {' and '.join(b['name'] for b in rp['borders'])},")
        say(f"   radar error {rp['sigma_m']} m per axis ({rp['sigma_basis']}):")
        svg = os.path.join(VAR, f"{name}.svg")
        report = os.path.join(VAR, f"{name}-report.html")
        args = [os.path.join(BUILD, "deconflict"), "replay", "--svg", svg, "--report", report, "--sigma", str(rp["sigma_m"])]
        for tf in rp["tracks"]:
            args += ["--tracks", os.path.join(folder, tf)]
        for b in rp["borders"]:
            args += ["--zone", os.path.join(ROOT, b["file"]), "--name", b["name"]]
            args += ["--licence", b["licence"]] if "licence" in b else []
        out = subprocess.run(args, capture_output=True, text=True)
        for line in (out.stdout + out.stderr).splitlines():
            say("      " + line)
        say(f"   drawn: {svg}")
        # the same replay through the server: a signed record both sides can check
        body = {"tracks": [{"name": tf, "csv": open(os.path.join(folder, tf)).read()} for tf in rp["tracks"]],
                "borders": [dict({"file": os.path.basename(b["file"]), "geojson": open(os.path.join(ROOT, b["file"])).read(),
                                  "name": b["name"]}, **({"licence": b["licence"]} if "licence" in b else {}))
                            for b in rp["borders"]],
                "sigma_m": rp["sigma_m"], "share_with": ["russia"]}
        status, doc = call("POST", "/v1/replays", keys["turkey"], body)
        if status == 201:
            seen = call("GET", f"/v1/audit?object={doc['object']}", keys["russia"])[1]["items"]
            mine = next((x.split()[-1] for x in out.stdout.splitlines() if x.startswith("result sha256")), "?")
            say(f"   turkey runs it on the server: {doc['object']}, receipt seq {doc['receipt']['seq']} (signed), shared with russia;")
            say(f"   russia reads the record ({len(seen)}): result digest {seen[0]['detail']['result_sha256'][:16]}... "
                f"{'the same as' if seen and seen[0]['detail']['result_sha256'] == mine else 'NOT the same as'} the report's")
        else:
            say(f"   the server's replay failed: {status} {doc}")
    return refused


if STORE is None:
    stop_previous()
    server = start()
    say(f"{BOLD}Deconflict demo{END}: deconflictd on {URL} (store {VAR}/deconflict.db, log {VAR}/deconflictd.log, "
        f"operator key {VAR}/operator.key)")
else:
    say(f"{BOLD}Deconflict demo{END}: {URL} (store {STORE}, operator key {VAR}/operator.key)")
operator = open(os.path.join(VAR, "operator.key")).read().strip()
for scenario in ("su24-2015", "al-bab-2017-02", "direct-line-2017-01"):
    load(scenario)
who = subprocess.run([os.path.join(BUILD, "deconflict"), "audit", "who-saw", "intent/russia/su24-strike-package",
                      "--db", DB], capture_output=True, text=True).stdout.strip().splitlines()
say(f"\n{BOLD}Who saw the Russian flight plan?{END} {who[-1] if who else '?'} (the coalition, under its grant; never Turkey)")
verify = subprocess.run([os.path.join(BUILD, "deconflict"), "audit", "verify", "--db", DB],
                        capture_output=True, text=True).stdout.strip()
say(f"{BOLD}Audit chain:{END} {verify.splitlines()[-1] if verify else '?'}")
os.chmod(os.path.join(VAR, "keys.json"), 0o600)
operator_file = os.path.join(VAR, "operator.key")
say(f"\n{BOLD}Look next{END}")
say(f"   server:       {URL}/  (the operations picture: sign in with a party key below)")
say(f"   operator key: {operator_file}  (deconflictd says where at start: "
    f"{VAR}/{'deconflictd.log' if STORE is None else 'deconflictd-*.log'})")
say(f"   party keys:   {VAR}/keys.json")
for pname, key in keys.items():
    say(f"      {pname:10s} {key}")
say(f"   parties:      deconflict party list --db {DB}")
say(f"                 deconflict party add NAME --server {URL} --operator-key-file {operator_file}")
say(f"   a scenario:   deconflict load examples/su24-2015 --server {URL} --operator-key-file {operator_file} "
    f"--keys {VAR}/keys.json")
say(f"   try:  curl -s -H \"Authorization: Bearer {keys.get('coalition', '<key>')}\" {URL}/v1/intents")
say(f"   API:  docs/openapi.yaml; health {URL}/v1/health")
if STORE is None:
    say("   stop: make demo-stop   (or kill $(cat var/deconflictd.pid)); make demo again starts afresh")
else:
    say("   stop: make cluster-stop; make cluster again starts afresh")
