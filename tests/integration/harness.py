"""harness.py - start the real deconflictd on a loopback port and talk HTTP to it (stdlib only).

With DC_TEST_BACKEND=postgres (the _pg copies of the suites, tests/CMakeLists.txt), each server's
store is a fresh database in the cluster whose admin URI is in DC_TEST_PG_URI_FILE, instead of a
SQLite file: the same tests, the other backend."""
import atexit
import http.client
import itertools
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse

SOURCE = os.environ.get("DC_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SERVER = os.environ.get("DC_SERVER", os.path.join(SOURCE, "build/asan/deconflictd"))
CLI = os.environ.get("DC_CLI", os.path.join(SOURCE, "build/asan/deconflict"))
BORDERS = os.environ.get("DC_BORDERS", os.path.join(SOURCE, "build/borders"))
BACKEND = os.environ.get("DC_TEST_BACKEND", "sqlite")
PSQL = shutil.which("psql") or "/usr/bin/psql"
_pg_counter = itertools.count()
_pg_made = set()  # the databases this process created and has not dropped yet


def _pg_admin_uri():
    path = os.environ.get("DC_TEST_PG_URI_FILE")
    if not path or not os.path.exists(path):
        raise RuntimeError(f"DC_TEST_BACKEND=postgres needs DC_TEST_PG_URI_FILE, the URI of a running cluster "
                           f"(the CTest fixture postgres_cluster writes it): {path!r}")
    with open(path) as f:
        return f.read().strip()


def _psql(sql):
    out = subprocess.run([PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", _pg_admin_uri(), "-c", sql],
                         capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise RuntimeError(f"psql {sql!r} failed: {out.stderr.strip()}")


def pg_store(marker):
    """The PostgreSQL database that stands for a store under the postgres backend, created on
    first use and named in the file `marker` (beside where the SQLite file would be): a server
    restarted on the same store gets the same database. Returns its URI."""
    if os.path.exists(marker):
        with open(marker) as f:
            return f.read().strip()
    # the pid and a counter keep one run's databases apart, the random part other runs' leftovers
    name = f"dc_{os.getpid()}_{next(_pg_counter)}_{secrets.token_hex(4)}"
    _psql(f'CREATE DATABASE "{name}"')
    _pg_made.add(name)
    uri = urllib.parse.urlsplit(_pg_admin_uri())._replace(path="/" + name).geturl()
    with open(marker, "w") as f:
        f.write(uri + "\n")
    return uri


def pg_drop(uri):
    """Drop the database of `uri` (made by pg_store), whoever is still connected to it."""
    name = urllib.parse.urlsplit(uri).path.lstrip("/")
    _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _pg_made.discard(name)


@atexit.register
def _pg_drop_left():
    """A test that failed before its cleanup() leaves no database behind."""
    for name in sorted(_pg_made):
        try:
            _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except (RuntimeError, OSError, subprocess.TimeoutExpired):
            pass


def store_digest(db):
    """A digest of every row of every table of a store (read-only): two equal digests mean a
    request changed nothing. Every table, so that a table added later is never left out, but
    the store's size samples: the server writes one a minute on its own clock, the first soon
    after it starts, whatever the requests."""
    import hashlib
    import sqlite3
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    h = hashlib.sha256()
    tables = [t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                        " AND name != 'size_samples' ORDER BY name")]
    for table in tables:
        h.update(table.encode())
        for row in con.execute(f'SELECT * FROM "{table}" ORDER BY 1'):
            h.update(repr(row).encode())
    con.close()
    return h.hexdigest()


def sanitizer_report(log):
    """Whether a log holds an AddressSanitizer, LeakSanitizer or UBSan report."""
    return any(m in log for m in ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer"))


def raw_exchange(port, request, timeout=10):
    """Send `request` (bytes) on a fresh socket and read until the server closes it or stops
    answering: the whole answer as bytes, whatever the server did with the connection."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.sendall(request)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    sock.close()
    return data


def stop_detached(pid, log_path, timeout=30):
    """Stop a deconflictd this test did not start (the demo's): SIGTERM, wait until it is gone, and
    return a problem (str) unless its log shows a clean stop and no sanitizer report; None if all
    is well. Its exit code is not ours to read, so the log's last words stand for it."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return f"deconflictd {pid} had already died"
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        return f"deconflictd {pid} did not stop on SIGTERM"
    time.sleep(0.2)  # its last words reach the log as it exits
    log = open(log_path).read()
    if sanitizer_report(log):
        return "sanitizer report:\n" + log[-4000:]
    if "deconflictd: stopped" not in log:
        return "no clean stop in the log:\n" + log[-2000:]
    return None


RECORD_DIR = os.environ.get("DC_API_RECORD_DIR")
_recording = {"started": False}


def record_exchange(method, path, status, headers, body):
    """With DC_API_RECORD_DIR set (ctest sets it), every answer the tests receive is kept, one
    JSON line each, for api_conformance to check against docs/openapi.yaml: the API is what the
    document says, on every response of the suites, not only on the ones a test looks at."""
    if not RECORD_DIR:
        return
    os.makedirs(RECORD_DIR, exist_ok=True)
    name = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    if BACKEND == "postgres":
        name += "_pg"  # its own file: the SQLite run of the same test may be writing the other
    line = json.dumps({"test": name, "method": method, "path": path, "status": status,
                       "content_type": headers.get("content-type", ""), "body": body})
    # this run's answers only: the file starts again with the test
    with open(os.path.join(RECORD_DIR, f"{name}.jsonl"), "a" if _recording["started"] else "w") as f:
        f.write(line + "\n")
    _recording["started"] = True


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One deconflictd with its own store in a temporary directory."""

    def __init__(self, extra_args=(), keep_dir=None, umask=None, db=None):
        self.dir = keep_dir or tempfile.mkdtemp(prefix="dc-it-")
        self.db = db or os.path.join(self.dir, "deconflict.db")
        store = ["--db", self.db]
        if BACKEND == "postgres" and db is None:
            # the key is not in the database: every instance of a deployment is given the same file
            self.db = pg_store(os.path.join(self.dir, "deconflict.pg"))
            store = ["--db", self.db, "--key-file", os.path.join(self.dir, "server.key")]
            SIGNING_KEYS[self.db] = os.path.join(self.dir, "server.key")
        self.port = free_port()
        self.log_path = os.path.join(self.dir, "server.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [SERVER, "--listen", f"127.0.0.1:{self.port}", *store,
             "--operator-key-file", os.path.join(self.dir, "operator.key"), *extra_args],
            stdout=self.log, stderr=self.log, **({} if umask is None else {"umask": umask}))
        deadline = time.time() + 20
        while True:
            try:
                status, _, _ = self.call("GET", "/v1/health")
                if status == 200:
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("deconflictd did not start:\n" + open(self.log_path).read())
            time.sleep(0.05)
        with open(os.path.join(self.dir, "operator.key")) as f:
            self.operator = f.read().strip()
        self.keys = {}

    def call(self, method, path, key=None, body=None, raw=None, headers=None):
        """Returns (status, headers dict, parsed JSON or text)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        h = dict(headers or {})
        if key is not None:
            h["Authorization"] = "Bearer " + key
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if data is not None:
            h.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=data, headers=h)
        resp = conn.getresponse()
        text = resp.read().decode("utf-8", "replace")
        conn.close()
        ctype = resp.getheader("Content-Type", "")
        parsed = json.loads(text) if "json" in ctype and text else text
        headers = {k.lower(): v for k, v in resp.getheaders()}
        record_exchange(method, path, resp.status, headers, parsed)
        return resp.status, headers, parsed

    def party(self, name, notation=None):
        body = {"name": name}
        if notation:
            body["notation"] = notation
        status, _, doc = self.call("POST", "/v1/parties", self.operator, body)
        assert status == 201, (status, doc)
        self.keys[name] = doc["key"]
        return doc["key"]

    def stop(self):
        """Stop the server and fail unless it exited 0 with a clean sanitizer log, however it ended:
        a server that died on its own (SIGABRT from a sanitizer, a crash) fails here too."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise RuntimeError("deconflictd did not stop on SIGTERM")
        code = self.proc.returncode
        if not self.log.closed:
            self.log.close()
        log = open(self.log_path).read()
        if code != 0 or sanitizer_report(log):
            raise RuntimeError(f"deconflictd exited {code}:\n{log[-4000:]}")

    def kill(self):
        """SIGKILL, as a power cut would stop it: nothing flushed, nothing checkpointed."""
        self.proc.kill()
        self.proc.wait()
        if not self.log.closed:
            self.log.close()

    def cleanup(self):
        if self.db.startswith("postgresql://"):
            pg_drop(self.db)
        shutil.rmtree(self.dir, ignore_errors=True)


def start_once(db, operator_key, extra_args=(), timeout=120):
    """Start deconflictd on `db` and see what it does: ("served", log) once it answers (it is then
    stopped cleanly), or (exit code, log) when it refuses to start."""
    port = free_port()
    store = ["--db", db]
    if BACKEND == "postgres" and not db.startswith("postgresql://"):
        # the store at the path `db` is a database named beside it, its key where SQLite's would be
        store = ["--db", pg_store(db + ".pg"), "--key-file", db + ".key"]
    proc = subprocess.Popen([SERVER, "--listen", f"127.0.0.1:{port}", *store, "--operator-key-file",
                             operator_key, *extra_args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.time() + timeout
    while proc.poll() is None and time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/v1/health")
            if conn.getresponse().status == 200:
                proc.send_signal(signal.SIGTERM)
                log = proc.communicate(timeout=30)[0].decode("utf-8", "replace")
                return "served", log
        except OSError:
            time.sleep(0.05)
    if proc.poll() is None:
        proc.kill()
    log = proc.communicate()[0].decode("utf-8", "replace")
    return proc.returncode, log


# A PostgreSQL store's signing key is a file beside its servers, not in it: the CLI is given the
# one of the store it opens (DECONFLICT_KEY_FILE), as an operator would be.
SIGNING_KEYS = {}


def cli(*args):
    env = None
    if "--db" in args and args.index("--db") + 1 < len(args) and args[args.index("--db") + 1] in SIGNING_KEYS:
        env = dict(os.environ, DECONFLICT_KEY_FILE=SIGNING_KEYS[args[args.index("--db") + 1]])
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=300, env=env)


class Results:
    """A tiny runner: each check counts; the closing line is 'N passed, M failed'."""

    def __init__(self, name):
        self.name, self.passed, self.failed = name, 0, 0

    def check(self, what, ok, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {what} {detail}", flush=True)

    def equal(self, what, expected, actual):
        self.check(what, expected == actual, f"\n  expected: {expected!r}\n  actual:   {actual!r}")

    def finish(self):
        print(f"{self.name}: {self.passed} passed, {self.failed} failed", flush=True)
        sys.exit(0 if self.failed == 0 and self.passed > 0 else 1)


def volume(vertices, lo, hi, t0, t1):
    return {"outline_polygon": {"vertices": vertices}, "altitude_lower": lo, "altitude_upper": hi,
            "time_start": t0, "time_end": t1}


def circle(center, radius, lo, hi, t0, t1):
    return {"outline_circle": {"center": center, "radius": radius}, "altitude_lower": lo,
            "altitude_upper": hi, "time_start": t0, "time_end": t1}


def zone_body_from_geojson(path):
    """A scenario zone file (web/borders.mjs) as a PUT /v1/zones body."""
    fc = json.load(open(path))
    props = fc["features"][0]["properties"]
    vols = []
    for poly in fc["features"][0]["geometry"]["coordinates"]:
        ring = [{"lat": lat, "lng": lon} for lon, lat in poly[0]]
        vols.append(volume(ring, props["altitude_lower"], props["altitude_upper"],
                           props["time_start"], props["time_end"]))
    return {"volumes": vols, "admitted": props["admitted"], "public": True}
