"""test_cluster.py - several deconflictd instances over one PostgreSQL database (issue 15).

Real instances (the build under test), each on its own loopback port, all given the same database
and the same --key-file, as a deployment runs them behind HAProxy. Each check below is named and
prints its figures:
  1 racing conflicting pairs through two instances: never both accepted
  2 alerts raised through one instance reach SSE streams on the others (p99 <= 1 s)
  3 a loss of separation between aircraft reported to two different instances
  4 kill -9 of the monitor's leader: another leads within 5 s, no acknowledged report lost,
    alerts published after the takeover
  5 kill -9 of an instance under a 3-client write load, 10 rounds: no acknowledged write lost
  6 PostgreSQL restarted: the instances come back by themselves within 5 s; audit verify
  7 a streaming standby promoted, the instances on a multi-host URI: they follow it; audit verify
Checks 1-5 use a fresh database in the CTest fixture's cluster (DC_TEST_PG_URI_FILE, fixture
postgres_cluster); 6 and 7 stop, kill and promote PostgreSQL, so they run on a cluster of their
own (scripts/pg_cluster.sh in a temporary directory, removed afterwards), started at the outset
so that its initdb overlaps checks 1-5. Run alone (no fixture), the test starts one more cluster
of its own for 1-5."""
import datetime
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import harness
from harness import CLI, SERVER, SOURCE, Results, Server, circle, free_port, sanitizer_report, volume

PG_CLUSTER = os.path.join(SOURCE, "scripts", "pg_cluster.sh")
# write limits out of the way: what is measured is the store, not the fair-use buckets
INSTANCE_ARGS = ("--rate-writes", "1000000/1000000", "--rate-reports", "1000000/1000000",
                 "--new-aircraft-per-minute", "100000", "--new-aircraft-alert", "100000",
                 "--establish-seconds", "2", "--connections-per-address", "0")
ONLY = {int(x) for x in os.environ.get("DC_CLUSTER_CHECKS", "1,2,3,4,5,6,7").split(",")}

r = Results("cluster")


def check(what, ok, detail=""):
    """A named check: printed whatever its outcome, with its figures."""
    print(f"{'ok  ' if ok else 'FAIL'} {what}{': ' + str(detail) if detail != '' else ''}", flush=True)
    r.passed += 1 if ok else 0
    r.failed += 0 if ok else 1


def iso(t):
    """A UTC time (seconds since the epoch) as the API writes it, to the microsecond."""
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text):
    return datetime.datetime.strptime(text.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z"
                                      if "." in text else "%Y-%m-%dT%H:%M:%S%z").timestamp()


def slot(base, i, seconds=10):
    """The i-th slot of `seconds` after `base` (a datetime): (start, end) as the API writes them."""
    start = base + datetime.timedelta(seconds=i * seconds)
    end = start + datetime.timedelta(seconds=seconds)
    return start.strftime("%Y-%m-%dT%H:%M:%SZ"), end.strftime("%Y-%m-%dT%H:%M:%SZ")


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


def report(aircraft, t, lat, lng, alt=5000, speed=100, track=90):
    # real time: the monitor measures staleness and plausibility against what it was sent last
    return {"aircraft": aircraft, "time": iso(t), "position": f"{lat:.6f}N {lng:.6f}E", "altitude": alt,
            "ground_speed": speed, "track": track}


class Instance(Server):
    """One deconflictd of a deployment: the deployment's database, key file and operator key, its own
    port (kept across restarts) and a log per run."""

    def __init__(self, dep, name):
        self.dep, self.name, self.port, self.runs = dep, name, free_port(), 0
        self.keys = {}
        self.start()

    def start(self, timeout=90):
        self.runs += 1
        self.log_path = os.path.join(self.dep.dir, f"{self.name}-run{self.runs}.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [SERVER, "--listen", f"127.0.0.1:{self.port}", "--db", self.dep.uri, "--key-file", self.dep.key_file,
             "--operator-key-file", self.dep.operator_file, *INSTANCE_ARGS],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while self.health()[0] != 200:
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"{self.name} did not start:\n" + open(self.log_path).read()[-4000:])
            time.sleep(0.05)
        with open(self.dep.operator_file) as f:
            self.operator = f.read().strip()

    def health(self, timeout=2.0):
        """(status, document), or (None, None) when nothing answers."""
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
            conn.request("GET", "/v1/health")
            resp = conn.getresponse()
            body = resp.read()
            conn.close()
            try:
                return resp.status, json.loads(body)
            except ValueError:
                return resp.status, None
        except (OSError, http.client.HTTPException):
            return None, None

    def monitor(self):
        status, doc = self.health()
        return doc.get("monitor") if status == 200 and doc else None

    def try_call(self, method, path, key=None, body=None, timeout=30):
        """A request that may meet a dead instance: (status, body), or (None, the error)."""
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
            data = json.dumps(body).encode() if body is not None else None
            headers = {"Authorization": "Bearer " + key} if key else {}
            if data is not None:
                headers["Content-Type"] = "application/json"
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            text = resp.read().decode("utf-8", "replace")
            conn.close()
            try:
                return resp.status, json.loads(text) if text else None
            except ValueError:
                return resp.status, text
        except (OSError, http.client.HTTPException) as e:
            return None, repr(e)

    def alive(self):
        return self.proc.poll() is None


class Deployment:
    """N instances over the database `uri`, started one after the other (the first creates the key
    files the others read)."""

    def __init__(self, uri, n, tag, keys_dir=None):
        self.uri, self.dir = uri, tempfile.mkdtemp(prefix=f"dc-cluster-{tag}-")
        # the database names its signing key: a later deployment over it is given the same file
        self.key_file = os.path.join(keys_dir or self.dir, "server.key")
        self.operator_file = os.path.join(keys_dir or self.dir, "operator.key")
        self.instances = []
        for k in range(n):
            self.instances.append(Instance(self, f"{tag}{k + 1}"))
        self.operator = self.instances[0].operator
        self.problems = []

    def party(self, name):
        status, doc = self.instances[0].try_call("POST", "/v1/parties", self.operator, {"name": name})
        assert status == 201, (status, doc)
        return doc["key"]

    def leaders(self):
        return [i for i in self.instances if i.alive() and i.monitor() == "leader"]

    def wait_one_leader(self, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            lead = self.leaders()
            if len(lead) == 1:
                return lead[0]
            time.sleep(0.05)
        return None

    def stop(self):
        """Stop every instance still running, each of which must exit 0 with no sanitizer report;
        the logs of killed runs must hold no sanitizer report either."""
        for inst in self.instances:
            if inst.alive():
                try:
                    inst.stop()
                except RuntimeError as e:
                    self.problems.append(f"{inst.name}: {str(e)[-3000:]}")
            elif not inst.log.closed:
                inst.log.close()
        for name in sorted(os.listdir(self.dir)):
            if name.endswith(".log") and sanitizer_report(open(os.path.join(self.dir, name)).read()):
                self.problems.append(f"{name}: sanitizer report")
        return self.problems

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def audit_verify(uri, public_key):
    """deconflict audit verify over the URI, the key pinned as /v1/health gives it: (exit code, what it
    found in a line, or all it printed when that is not its JSON document)."""
    out = subprocess.run([CLI, "audit", "verify", "--db", uri, "--public-key", public_key, "--json"],
                         capture_output=True, text=True, timeout=600)
    try:
        doc = json.loads(out.stdout)
        said = (f"{'OK' if doc['ok'] else 'FAILED'}: {doc['records']} records ({doc['signatures']} signed),"
                f" {doc['objects']} objects, {doc['problem_count']} problems {doc['problems'][:5] or ''}")
    except (ValueError, KeyError):
        said = (out.stdout + out.stderr).strip()[-2000:]
    return out.returncode, said


def pg_cluster(*args, timeout=300):
    out = subprocess.run(["bash", PG_CLUSTER, *args], capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"pg_cluster.sh {' '.join(args)}: {out.stderr.strip()}")
    return out.stdout.strip()


def run_threads(targets):
    threads = [threading.Thread(target=t, daemon=True) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


# ---- 1: racing conflicting pairs through two instances ----

def check_race(dep, pairs=1000, lanes=4):
    a, b = dep.instances[0], dep.instances[1]
    red, blue = dep.party("race-red"), dep.party("race-blue")
    base = datetime.datetime(2031, 1, 1, tzinfo=datetime.timezone.utc)
    outcome = {}

    def racer(inst, name, key, lane, barrier):
        for i in range(lane, pairs, lanes):
            t0, t1 = slot(base, i, 600)  # a pair's own slot: pairs never interact
            body = {"priority": 1, "volumes": [circle("10.0N 10.0E", 2000, 0, 1000, t0, t1)]}
            barrier.wait()
            outcome[(name, i)] = inst.try_call("PUT", f"/v1/intents/{name}-{i}", key, body)[0]

    targets = []
    for lane in range(lanes):
        barrier = threading.Barrier(2)
        targets.append(lambda lane=lane, bar=barrier: racer(a, "red", red, lane, bar))
        targets.append(lambda lane=lane, bar=barrier: racer(b, "blue", blue, lane, bar))
    started = time.time()
    run_threads(targets)
    took = time.time() - started
    both = sum(1 for i in range(pairs) if outcome[("red", i)] == 201 and outcome[("blue", i)] == 201)
    one = sum(1 for i in range(pairs) if sorted([outcome[("red", i)], outcome[("blue", i)]]) == [201, 409])
    other = {(outcome[("red", i)], outcome[("blue", i)]) for i in range(pairs)} - {(201, 409), (409, 201)}
    red_won = sum(1 for i in range(pairs) if outcome[("red", i)] == 201)
    print(f"race: {pairs} pairs through {a.name} (red) and {b.name} (blue) in {took:.1f} s, {lanes} racing lanes:"
          f" both accepted {both}, exactly one {one} (red {red_won}, blue {one - red_won}), other outcomes {other or 'none'}",
          flush=True)
    check("1 racing pairs through two instances: none with both accepted", both == 0, f"{both} of {pairs}")
    check("1 racing pairs: exactly one accepted and one refused (409) in every pair", one == pairs, f"{one} of {pairs}")
    # what the store holds, read through the third instance: exactly the accepted ones
    c = dep.instances[2]
    held = 0
    for key in (red, blue):
        path = "/v1/intents?limit=1000"
        while path:
            status, doc = c.try_call("GET", path, key)
            held += len(doc["items"]) if status == 200 else 0
            path = doc.get("next") if status == 200 else None
    check("1 the intents stored (read through a third instance) are the accepted ones", held == pairs,
          f"{held} stored, {pairs} accepted")


# ---- 2: SSE delivery across instances ----

class Stream(threading.Thread):
    """An alert stream: each event with the time it arrived."""

    def __init__(self, inst, key):
        super().__init__(daemon=True)
        self.inst, self.key, self.events, self.ready, self.status = inst, key, [], threading.Event(), None

    def run(self):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.inst.port, timeout=120)
            conn.request("GET", "/v1/alerts/stream", headers={"Authorization": "Bearer " + self.key})
            resp = conn.getresponse()
            self.status = resp.status
        finally:
            self.ready.set()
        data = None
        while True:
            try:
                line = resp.fp.readline()
            except OSError:
                break
            if not line:
                break
            line = line.decode().rstrip("\n")
            if line.startswith("data: "):
                data = json.loads(line[6:])
            elif line == "" and data is not None:
                self.events.append((time.time(), data))
                data = None


def check_sse(dep, events=60):
    lead = dep.wait_one_leader()
    followers = [i for i in dep.instances if i is not lead]
    # reports go to a follower A; red's stream is on the other follower B, blue's on the leader C:
    # both paths cross instances, and the first crosses two (A's log append, the leader's publication)
    a, b, c = followers[0], followers[1], lead
    red, blue = dep.party("sse-red"), dep.party("sse-blue")
    status, _ = a.try_call("PUT", "/v1/zones/sse-box", blue, {"public": False, "volumes": [volume(
        ["20.0N 20.0E", "20.0N 20.2E", "20.2N 20.2E", "20.2N 20.0E"], 0, 20000,
        "2020-01-01T00:00:00Z", "2040-01-01T00:00:00Z")]})
    check("2 blue's zone, written through A", status == 201, status)
    # the zone reaches every picture through the store's notifications; a first aircraft shows it has
    deadline = time.time() + 10
    while time.time() < deadline:
        status, doc = a.try_call("POST", "/v1/tracks", red, [report("SSEWARM", time.time(), 20.1, 20.1)])
        if status == 200 and doc.get("alerts", 0) > 0:
            break
        time.sleep(0.2)
    streams = {"red on B": Stream(b, red), "blue on C (the leader)": Stream(c, blue)}
    for st in streams.values():
        st.start()
        st.ready.wait(10)
    check("2 the streams open", all(st.status == 200 for st in streams.values()),
          {n: st.status for n, st in streams.items()})
    time.sleep(0.5)  # the warm-up's alerts are sent at once on a new stream: let them pass
    sent = {}
    for k in range(events):
        name = f"SSE{k:03d}"
        sent[name] = time.time()
        status, doc = a.try_call("POST", "/v1/tracks", red, [report(name, time.time(), 20.05 + 0.001 * k, 20.1)])
        if status != 200:
            print(f"sse: report {name} answered {status} {doc}", flush=True)
        time.sleep(0.05)
    time.sleep(2.0)
    for label, st in streams.items():
        first = {}
        for at, ev in st.events:
            aircraft = ev.get("track", {}).get("aircraft")
            if aircraft in sent and aircraft not in first:
                first[aircraft] = at - sent[aircraft]
        lat = list(first.values())
        p50, p99, worst = percentile(lat, 50), percentile(lat, 99), max(lat) if lat else float("nan")
        print(f"sse: {label}: {len(lat)} of {events} alerts raised through A received; latency p50 {p50 * 1000:.0f} ms,"
              f" p99 {p99 * 1000:.0f} ms, max {worst * 1000:.0f} ms", flush=True)
        check(f"2 SSE across instances, {label}: every alert received", len(lat) == events, f"{len(lat)} of {events}")
        check(f"2 SSE across instances, {label}: p99 (event on the stream - request sent to A) <= 1 s",
              len(lat) >= 50 and p99 <= 1.0, f"p99 {p99 * 1000:.0f} ms over {len(lat)}")
    return streams


# ---- 3: a loss of separation between aircraft reported to two different instances ----

def check_separation(dep):
    a, b = dep.instances[0], dep.instances[1]
    red, blue = dep.party("sep-red"), dep.party("sep-blue")
    # head on at the same altitude, 12 km apart, closing at 400 m/s: a loss of separation (9,260 m)
    # within seconds, seen only by a picture that holds both aircraft
    lat, west, east = 30.0, 30.0, 30.0 + 12000 / (111320 * 0.866)
    start = time.time()
    answers = []
    for k in range(16):
        t = time.time()
        d = (t - start) * 200 / (111320 * 0.866)
        answers.append(a.try_call("POST", "/v1/tracks", red, [report("SEPR", t, lat, west + d, speed=200, track=90)]))
        answers.append(b.try_call("POST", "/v1/tracks", blue, [report("SEPB", t, lat, east - d, speed=200, track=270)]))
        time.sleep(0.25)  # --establish-seconds 2: each track is told of the other once established
    check("3 red's reports to A and blue's to B are accepted", all(s == 200 for s, _ in answers),
          [a for a in answers if a[0] != 200][:2])
    time.sleep(1.0)
    seen = {}
    for inst in dep.instances:
        for party, key, other in (("red", red, "sep-blue"), ("blue", blue, "sep-red")):
            status, doc = inst.try_call("GET", "/v1/alerts?since=0", key)
            seen[(inst.name, party)] = status == 200 and any(
                x["kind"] == "separation" and x.get("other", {}).get("party") == other for x in doc["items"])
    print(f"separation: alert found {seen}", flush=True)
    check("3 red (reported to A) is told of the loss of separation with blue's aircraft (reported to B), on every instance",
          all(v for (n, p), v in seen.items() if p == "red"))
    check("3 blue is told of it too, on every instance", all(v for (n, p), v in seen.items() if p == "blue"))


# ---- 4: the monitor's leader killed ----

def check_takeover(dep):
    red, blue = dep.party("lead-red"), dep.party("lead-blue")
    status, _ = dep.instances[0].try_call("PUT", "/v1/zones/lead-box", blue, {"public": False, "volumes": [volume(
        ["40.0N 40.0E", "40.0N 40.2E", "40.2N 40.2E", "40.2N 40.0E"], 0, 20000,
        "2020-01-01T00:00:00Z", "2040-01-01T00:00:00Z")]})
    check("4 blue's zone", status == 201, status)
    lead = dep.wait_one_leader()
    check("4 exactly one instance says it leads", lead is not None, [i.monitor() for i in dep.instances])
    if lead is None:
        return
    # 12 aircraft, 4 through each instance (the leader too), reported until the moment of the kill
    acked, unanswered, lock = {}, {}, threading.Lock()
    planes = [(f"L{k:02d}", dep.instances[k % len(dep.instances)]) for k in range(12)]
    start, stop = time.time(), threading.Event()

    def fly(name, inst, n):
        lat = 41.0 + 0.05 * n
        while not stop.is_set():
            t = time.time()
            rep = report(name, t, lat, 41.0 + (t - start) * 100 / (111320 * 0.75))
            status, _ = inst.try_call("POST", "/v1/tracks", red, [rep])
            if status == 200:
                with lock:
                    acked[name] = rep
            else:
                # cut off by the kill: it may or may not have reached the log before
                unanswered[name] = rep
                if inst.alive():
                    with lock:
                        print(f"takeover: {name} through {inst.name} answered {status}", flush=True)
                return
            time.sleep(0.05)

    flyers = [threading.Thread(target=fly, args=(name, inst, n), daemon=True) for n, (name, inst) in enumerate(planes)]
    for t in flyers:
        t.start()
    time.sleep(3.0)
    survivors = [i for i in dep.instances if i is not lead]
    with lock:
        lead.proc.send_signal(signal.SIGKILL)
        killed_at = time.time()
        stop.set()
        before = len(acked)
    lead.proc.wait()
    for t in flyers:
        t.join()
    # what was acknowledged: before the kill, and what was in flight to a survivor then
    last = dict(acked)
    new = None
    while time.time() - killed_at < 15 and new is None:
        for inst in survivors:
            if inst.monitor() == "leader":
                new = inst
                break
        else:
            time.sleep(0.05)
    took = time.time() - killed_at
    print(f"takeover: {lead.name} (leader) killed; {new.name if new else 'no instance'} leads {took:.2f} s later;"
          f" {len(last)} aircraft reported ({before} acknowledged before the kill, {len(unanswered)} requests"
          f" unanswered, cut off by it)", flush=True)
    check("4 another instance says \"leader\" within 5 s of kill -9 of the leader", new is not None and took <= 5.0,
          f"{took:.2f} s")
    check("4 only one leads", len([i for i in survivors if i.monitor() == "leader"]) == 1)
    # every acknowledged report in the picture: each aircraft at its last acknowledged report
    lead.start()  # and the killed instance, restarted, rebuilds its picture from the log

    def wrong(inst):
        status, doc = inst.try_call("GET", "/v1/tracks?limit=1000", red)
        if status != 200:
            return {"status": status}
        have = {t["aircraft"]: t for t in doc["items"]}
        def at(t, rep):
            lat, lng = (float(x[:-1]) for x in rep["position"].split())
            return t is not None and abs(parse_time(t["time"]) - parse_time(rep["time"])) < 1e-3 and \
                abs(t["position"]["lat"] - lat) < 1e-6 and abs(t["position"]["lng"] - lng) < 1e-6

        bad = {}
        for name, rep in last.items():
            t = have.get(name)
            # at its last acknowledged report, or at the one after it that the kill left unanswered
            if not at(t, rep) and not (name in unanswered and at(t, unanswered[name])):
                bad[name] = (t and (t["time"], t["position"]), rep["time"], rep["position"])
        return bad

    for inst in [*survivors, lead]:
        bad = wrong(inst)
        check(f"4 every report acknowledged before the kill is in {inst.name}'s picture"
              f"{' (the killed leader, restarted)' if inst is lead else ''}", not bad and len(last) == len(planes),
              f"{len(last) - len(bad)} of {len(last)} aircraft at their last acknowledged report" +
              (f"; wrong: {bad}" if bad else ""))
    # an alert raised after the takeover is published: a new aircraft into blue's zone
    t = time.time()
    through = survivors[0] if survivors[0] is not new else survivors[1]
    status, doc = through.try_call("POST", "/v1/tracks", red, [report("LAFTER", t, 40.1, 40.1)])
    deadline, found = time.time() + 5, {}
    while time.time() < deadline and len(found) < 2:
        for party, key in (("red", red), ("blue", blue)):
            st, got = new.try_call("GET", "/v1/alerts?since=0", key)
            if st == 200 and any(x.get("track", {}).get("aircraft") == "LAFTER" for x in got["items"]):
                found[party] = round(time.time() - t, 3)
        time.sleep(0.1)
    check("4 an alert raised by a report after the takeover is published (red and blue)", len(found) == 2,
          f"report answered {status} {doc}; found after {found} s")


# ---- 5: kill -9 of an instance under a 3-client write load, 10 rounds ----

def check_kill_under_load(dep, rounds=10):
    keys = [dep.party(f"load{k}") for k in range(3)]
    base = datetime.datetime(2033, 1, 1, tzinfo=datetime.timezone.utc)
    acked = [{} for _ in keys]       # client -> id -> last acknowledged version
    acked_by = [{} for _ in keys]    # client -> id -> the instance that acknowledged it
    attempted = [{} for _ in keys]   # client -> id -> highest version a write was sent for
    counters = {"sent": 0, "acked": 0, "failed": 0, "resynced": 0}
    lock = threading.Lock()
    next_slot = [0]

    def new_slot():
        with lock:
            next_slot[0] += 1
            return next_slot[0]

    def body(n, version=None, extra=0):
        t0, t1 = slot(base, n, 10)
        doc = {"volumes": [circle("50.0N 50.0E", 500, 0, 1000 + extra, t0, t1)]}
        if version is not None:
            doc["version"] = version
        return doc

    per_round = [0] * rounds
    failures = {}
    slots = [{} for _ in keys]

    def client(c, stop_ev, rnd_no):
        rnd = random.Random(c * 1000 + rnd_no)
        mine = slots[c]  # id -> slot, over all the rounds
        turn = c
        while not stop_ev.is_set():
            insts = [i for i in dep.instances]
            inst = insts[turn % len(insts)]  # round robin over the three
            turn += 1
            if not mine or rnd.random() < 0.5:
                n = new_slot()
                ident, version, doc = f"w{n}", 1, body(n)
                mine[ident] = n
            else:
                ident = rnd.choice(sorted(mine))
                have = acked[c].get(ident)
                if have is None:
                    continue
                version, doc = have + 1, body(mine[ident], have, have)
            with lock:
                counters["sent"] += 1
                attempted[c][ident] = max(attempted[c].get(ident, 0), version)
            status, got = inst.try_call("PUT", f"/v1/intents/{ident}", keys[c], doc, timeout=30)
            if status in (200, 201):
                with lock:
                    counters["acked"] += 1
                    per_round[rnd_no] += 1
                    acked[c][ident] = got["version"]
                    acked_by[c][ident] = inst
            elif status == 409 and version > 1:
                # an earlier write whose answer was lost with its instance did land: read the version
                for other in dep.instances:
                    st, cur = other.try_call("GET", f"/v1/intents/{ident}", keys[c])
                    if st == 200:
                        with lock:
                            counters["resynced"] += 1
                            acked[c][ident] = max(acked[c].get(ident, 0), cur["version"])
                        break
            else:
                with lock:
                    counters["failed"] += 1
                    what = status if status is None else f"{status} {got.get('type') if isinstance(got, dict) else got}"
                    failures[what] = failures.get(what, 0) + 1
                if status is None:
                    time.sleep(0.02)

    started = time.time()
    restart_times = []
    for rnd_no in range(rounds):
        stop_ev = threading.Event()
        clients = [threading.Thread(target=client, args=(c, stop_ev, rnd_no), daemon=True) for c in range(3)]
        for t in clients:
            t.start()
        time.sleep(1.0)
        victim = dep.instances[rnd_no % len(dep.instances)]
        victim.proc.send_signal(signal.SIGKILL)
        victim.proc.wait()
        time.sleep(0.5)
        t = time.time()
        victim.start()
        restart_times.append(time.time() - t)
        time.sleep(0.3)
        stop_ev.set()
        for th in clients:
            th.join()
    took = time.time() - started
    # every acknowledged write, read through an instance other than the one that took it
    lost, landed_unacked, checked = [], 0, 0
    for c, key in enumerate(keys):
        for ident, version in acked[c].items():
            took_it = acked_by[c].get(ident)
            reader = next(i for i in dep.instances if i is not took_it)
            status, doc = reader.try_call("GET", f"/v1/intents/{ident}", key)
            checked += 1
            if status != 200 or doc["version"] < version:
                lost.append((f"load{c}", ident, version, status, doc.get("version") if status == 200 else doc))
            elif doc["version"] > version:
                landed_unacked += 1
                if doc["version"] > attempted[c][ident]:
                    lost.append((f"load{c}", ident, version, "a version nobody sent", doc["version"]))
    print(f"kill under load: {rounds} rounds in {took:.1f} s (an instance killed and restarted each round, restart"
          f" {min(restart_times):.1f}-{max(restart_times):.1f} s); writes sent {counters['sent']}, acknowledged"
          f" {counters['acked']}, failed or unanswered {counters['failed']}; objects {checked}, each read back through"
          f" an instance other than the one that acknowledged its last write: lost {len(lost)}, an unacknowledged write that landed (in flight at a kill) {landed_unacked};"
          f" the failures: {failures}", flush=True)
    check("5 kill -9 under a 3-client write load, 10 rounds: 0 acknowledged writes lost", not lost and checked > 0,
          f"{len(lost)} lost of {checked}" + (f": {lost[:5]}" if lost else ""))
    check("5 the load went on through the kills (writes acknowledged in every round)", min(per_round) > 10,
          f"acknowledged per round: {per_round}")


# ---- 6: PostgreSQL restarted ----

def put_until_accepted(inst, key, ident, body, since, limit):
    """PUT until 2xx or `limit` seconds after `since`: the seconds it took, or None."""
    while time.time() - since < limit:
        status, _ = inst.try_call("PUT", f"/v1/intents/{ident}", key, body, timeout=5)
        if status in (200, 201):
            return time.time() - since
        time.sleep(0.05)
    return None


def health_until_ok(inst, since, limit):
    while time.time() - since < limit:
        if inst.health(timeout=2)[0] == 200:
            return time.time() - since
        time.sleep(0.05)
    return None


def concurrent_writes(dep, keys, base, per_client, place, tag):
    """One client per instance, `per_client` PUTs each: the counts acknowledged."""
    ok = [0] * len(dep.instances)

    def client(c):
        for j in range(per_client):
            t0, t1 = slot(base, c * per_client + j, 10)
            status, _ = dep.instances[c].try_call("PUT", f"/v1/intents/{tag}{c}-{j}", keys[c],
                                                  {"volumes": [circle(place, 500, 0, 1000, t0, t1)]})
            ok[c] += status == 201

    run_threads([lambda c=c: client(c) for c in range(len(dep.instances))])
    return ok


def recovery(dep, key, base, place, tag, since, limit=5.0):
    """Per instance: seconds until /v1/health 200 and until a write is accepted, measured from `since`."""
    out = {}

    def one(k, inst):
        t0, t1 = slot(base, 10000 + k, 10)
        out[inst.name] = (health_until_ok(inst, since, limit + 5),
                          put_until_accepted(inst, key, f"{tag}-{inst.name}", {"volumes": [circle(place, 500, 0, 1000, t0, t1)]},
                                             since, limit + 5))

    run_threads([lambda k=k, inst=inst: one(k, inst) for k, inst in enumerate(dep.instances)])
    return out


def fmt(x):
    return "never" if x is None else f"{x:.2f} s"


def check_pg_restart(own_dir, dep):
    keys = [dep.party(f"pgr{k}") for k in range(3)]
    base = datetime.datetime(2034, 1, 1, tzinfo=datetime.timezone.utc)
    before = concurrent_writes(dep, keys, base, 20, "60.0N 60.0E", "before")
    check("6 writes through three instances before the restart", before == [20, 20, 20], before)
    pg_cluster("restart", own_dir)
    back = time.time()  # pg_ctl start -w returned: PostgreSQL accepts connections again
    got = recovery(dep, keys[0], base, "60.0N 60.0E", "after-restart", back)
    print("pg restart: " + ", ".join(f"{n}: health 200 after {fmt(h)}, a write accepted after {fmt(w)}"
                                     for n, (h, w) in sorted(got.items())) + " (from PostgreSQL back)", flush=True)
    check("6 after a PostgreSQL restart every instance answers /v1/health 200 and accepts a write within 5 s, by itself",
          all(h is not None and w is not None and h <= 5 and w <= 5 for h, w in got.values()),
          {n: (fmt(h), fmt(w)) for n, (h, w) in got.items()})
    check("6 no instance was restarted", all(i.runs == 1 and i.alive() for i in dep.instances))
    after = concurrent_writes(dep, keys, base + datetime.timedelta(days=1), 40, "60.0N 60.0E", "after")
    check("6 concurrent writes through three instances after the restart", after == [40, 40, 40], after)
    lead = dep.wait_one_leader()
    check("6 one instance leads the monitor again", lead is not None, [i.monitor() for i in dep.instances])
    public_key = dep.instances[0].health()[1]["audit_public_key"]
    code, out = audit_verify(dep.uri, public_key)
    check("6 deconflict audit verify passes after concurrent writes through three instances", code == 0, out)
    return public_key


# ---- 7: a streaming standby promoted ----

def check_standby(own_dir, standby_dir, keys_dir, public_key):
    pg_cluster("standby", own_dir, standby_dir)
    with open(os.path.join(standby_dir, "failover_uri")) as f:
        failover = f.read().strip()
    dep = Deployment(failover, 3, "sb", keys_dir)
    try:
        keys = [dep.party(f"sb{k}") for k in range(3)]
        base = datetime.datetime(2035, 1, 1, tzinfo=datetime.timezone.utc)
        before = concurrent_writes(dep, keys, base, 20, "62.0N 62.0E", "before")
        check("7 writes through three instances on the multi-host URI", before == [20, 20, 20], before)
        # the standby has replayed them before the primary goes (synchronous commit is local only)
        deadline = time.time() + 30
        probe = subprocess.run(["psql", "-X", "-At", open(os.path.join(own_dir, "uri")).read().strip(), "-c",
                                "SELECT pg_current_wal_lsn()"], capture_output=True, text=True).stdout.strip()
        while time.time() < deadline:
            replayed = subprocess.run(["psql", "-X", "-At", open(os.path.join(standby_dir, "uri")).read().strip(), "-c",
                                       f"SELECT pg_last_wal_replay_lsn() >= '{probe}'::pg_lsn"],
                                      capture_output=True, text=True).stdout.strip()
            if replayed == "t":
                break
            time.sleep(0.1)
        pg_cluster("kill", own_dir)
        killed = time.time()
        down = {}
        while time.time() - killed < 10 and len(down) < len(dep.instances):
            for inst in dep.instances:
                if inst.name not in down and inst.health(timeout=3)[0] == 503:
                    down[inst.name] = round(time.time() - killed, 2)
            time.sleep(0.05)
        check("7 with the primary killed, each instance's /v1/health answers 503", len(down) == len(dep.instances), down)
        pg_cluster("promote", standby_dir)
        promoted = time.time()
        got = recovery(dep, keys[0], base, "62.0N 62.0E", "after-promote", promoted, limit=10)
        print("standby: primary killed, standby promoted; " + ", ".join(
            f"{n}: health 200 after {fmt(h)}, a write accepted after {fmt(w)}" for n, (h, w) in sorted(got.items())) +
              " (from the promotion)", flush=True)
        check("7 after the standby's promotion every instance accepts writes again, by itself (within 10 s)",
              all(w is not None and w <= 10 for _, w in got.values()), {n: fmt(w) for n, (_, w) in got.items()})
        # streaming replication is asynchronous: only what the standby had replayed survives a crash
        # of the primary, which is why the kill waited for it; all of that is served after the promotion
        missing = [(c, j) for c in range(3) for j in range(20)
                   if dep.instances[(c + 1) % 3].try_call("GET", f"/v1/intents/before{c}-{j}", keys[c])[0] != 200]
        check("7 every write acknowledged before the kill is read back after the promotion", not missing,
              f"{60 - len(missing)} of 60")
        after = concurrent_writes(dep, keys, base + datetime.timedelta(days=1), 20, "62.0N 62.0E", "after")
        check("7 concurrent writes through three instances on the promoted standby", after == [20, 20, 20], after)
        lead = dep.wait_one_leader()
        check("7 one instance leads the monitor on the promoted standby", lead is not None,
              [i.monitor() for i in dep.instances])
        code, out = audit_verify(failover, public_key)
        check("7 deconflict audit verify (over the multi-host URI) passes on the promoted standby", code == 0, out)
    finally:
        problems = dep.stop()
        check("7 the instances stop cleanly, no sanitizer report", not problems, "\n".join(problems))
        dep.cleanup()


# ---- the run ----

own_parent = tempfile.mkdtemp(prefix="dc-cluster-pg-")
own_dir, standby_dir, fixture_dir = (os.path.join(own_parent, n) for n in ("primary", "standby", "fixture"))
# the cluster for 6 and 7 starts now, beside checks 1-5
own_start = subprocess.Popen(["bash", PG_CLUSTER, "start", own_dir], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True) if ONLY & {6, 7} else None
started_fixture = False
test_started = time.time()
try:
    if ONLY & {1, 2, 3, 4, 5}:
        if not os.environ.get("DC_TEST_PG_URI_FILE"):
            # run alone: a cluster of our own stands for the fixture's
            pg_cluster("start", fixture_dir)
            started_fixture = True
            os.environ["DC_TEST_PG_URI_FILE"] = os.path.join(fixture_dir, "uri")
        uri = harness.pg_store(os.path.join(own_parent, "main.pg"))
        dep = Deployment(uri, 3, "i")
        print(f"cluster: 3 instances ({', '.join(f'{i.name} :{i.port}' for i in dep.instances)}) over one database,"
              f" {dep.uri}", flush=True)
        try:
            for number, fn in ((1, check_race), (2, check_sse), (3, check_separation), (4, check_takeover),
                               (5, check_kill_under_load)):
                if number in ONLY:
                    t = time.time()
                    fn(dep)
                    print(f"-- check {number} took {time.time() - t:.1f} s", flush=True)
            if ONLY & {5}:
                public_key = dep.instances[0].health()[1]["audit_public_key"]
                code, out = audit_verify(dep.uri, public_key)
                check("5 deconflict audit verify passes after the kills", code == 0, out)
        finally:
            problems = dep.stop()
            check("the instances stop cleanly, no sanitizer report in any run's log", not problems, "\n".join(problems))
            dep.cleanup()
            harness.pg_drop(uri)
    if own_start is not None:
        out, _ = own_start.communicate(timeout=300)
        check("6 a PostgreSQL cluster of this test's own (pg_cluster.sh start)", own_start.returncode == 0, out[-2000:])
        own_uri = out.strip().splitlines()[-1]
        keys_dir = os.path.join(own_parent, "keys")
        os.makedirs(keys_dir)
        dep = Deployment(own_uri, 3, "r", keys_dir)
        try:
            t = time.time()
            public_key = check_pg_restart(own_dir, dep)
            print(f"-- check 6 took {time.time() - t:.1f} s", flush=True)
        finally:
            problems = dep.stop()
            check("6 the instances stop cleanly, no sanitizer report", not problems, "\n".join(problems))
            dep.cleanup()
        if 7 in ONLY:
            t = time.time()
            check_standby(own_dir, standby_dir, keys_dir, public_key)
            print(f"-- check 7 took {time.time() - t:.1f} s", flush=True)
finally:
    if own_start is not None and own_start.poll() is None:
        own_start.wait()
    for d in (standby_dir, own_dir, fixture_dir if started_fixture else None):
        if d and os.path.exists(d):
            try:
                pg_cluster("stop", d)
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                print(f"cleanup: {e}", flush=True)
    shutil.rmtree(own_parent, ignore_errors=True)
    print(f"cluster: the whole test took {time.time() - test_started:.0f} s", flush=True)
r.finish()
