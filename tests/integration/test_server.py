"""test_server.py - the server's own behaviour: request log, idle timeout, SIGTERM finishing requests in flight."""
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time

from harness import SERVER, Results, Server, circle, cli, free_port, sanitizer_report

r = Results("server")

# Idle connections are closed after --timeout seconds.
s = Server(extra_args=("--timeout", "1"))
try:
    key = s.party("alice")
    sock = socket.create_connection(("127.0.0.1", s.port))
    sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n")  # never finished
    sock.settimeout(10)
    start = time.time()
    try:
        data = sock.recv(100)
    except socket.timeout:
        data = None
    waited = time.time() - start
    # --timeout 1: closed (nothing sent, or a 408) after about a second, not at once, not at 10 s
    r.check("a half-sent request is dropped after the 1 s timeout",
            data is not None and (data == b"" or data.startswith(b"HTTP/1.1 408")) and 0.5 <= waited <= 3.0,
            f"{data!r} after {waited:.2f} s")
    sock.close()
    status, _, _ = s.call("PUT", "/v1/intents/logged", key, {"volumes": [circle("10N 10E", 100, 0, 10, "2034-01-01T00:00:00Z", "2034-01-01T01:00:00Z")]})
    r.equal("a PUT", 201, status)
finally:
    s.stop()
log = open(s.log_path).read()
r.check("one log line per request: method, path, party, status, microseconds",
        any(line.startswith("PUT /v1/intents/logged party=alice status=201 us=") for line in log.splitlines()), log[-500:])
r.check("the shutdown is logged", "finishing requests in flight" in log and "stopped" in log)
s.cleanup()

# SIGTERM while clients are writing: every answered request is whole, every acknowledged write is
# in the store, and the chain verifies.
s = Server()
key = s.party("bob")
acknowledged, broken = [], []
stop = threading.Event()
stopping = threading.Event()  # set just before SIGTERM: from then on a refused connection is expected


def writer(n):
    i = 0
    while not stop.is_set():
        i += 1
        oid = f"w{n}-{i}"
        try:
            status, _, doc = s.call("PUT", f"/v1/intents/{oid}", key, {"volumes": [
                circle(f"{10 + n}N {10 + i % 50 * 0.02:.2f}E", 100, 0, 10, "2034-01-01T00:00:00Z", "2034-01-01T01:00:00Z")]})
        except Exception as e:  # noqa: BLE001 - every failure is judged below
            # once stopping, a connection refused or closed before an answer is expected; anything
            # else (a half answer that does not parse), or any failure before, is a defect
            if not (stopping.is_set() and isinstance(e, OSError)):
                broken.append(repr(e))
            return
        if status == 201:
            acknowledged.append(oid)
        elif not isinstance(doc, dict):
            broken.append((status, doc))


threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
for t in threads:
    t.start()
time.sleep(1.5)
stopping.set()
s.proc.send_signal(signal.SIGTERM)
code = s.proc.wait(timeout=30)
stop.set()
for t in threads:
    t.join()
r.equal("deconflictd exits 0 on SIGTERM", 0, code)
s.log.close()
r.check("with no sanitizer report", not sanitizer_report(open(s.log_path).read()), open(s.log_path).read()[-2000:])
r.equal("no half answers", [], broken)
con = sqlite3.connect(s.db)
stored = {i for (i,) in con.execute("SELECT id FROM objects WHERE owner = 'bob'")}
con.close()
r.check("writes were acknowledged before the stop", len(acknowledged) > 10, str(len(acknowledged)))
r.equal("every acknowledged write is stored", [], [a for a in acknowledged if a not in stored])
out = cli("audit", "verify", "--db", s.db)
r.equal("the chain verifies after the stop", 0, out.returncode)
s.cleanup()

# Configuration from the environment when no flag is given (in a directory of this run's own:
# other checkouts may run this test at the same time).
port = free_port()
env_dir = tempfile.mkdtemp(prefix="dc-env-test-")
env_key = os.path.join(env_dir, "operator.key")
env = dict(os.environ, DECONFLICT_LISTEN=f"127.0.0.1:{port}", DECONFLICT_DB=os.path.join(env_dir, "store.db"),
           DECONFLICT_OPERATOR_KEY_FILE=env_key)
proc = subprocess.Popen([SERVER, "--quiet"], env=env, stderr=subprocess.PIPE, text=True)
up = False
for _ in range(600):
    try:
        socket.create_connection(("127.0.0.1", port)).close()
        up = True
        break
    except OSError:
        time.sleep(0.05)
r.check("DECONFLICT_LISTEN is honoured", up)
r.check("DECONFLICT_OPERATOR_KEY_FILE is created", os.path.exists(env_key))
proc.send_signal(signal.SIGTERM)
_, err = proc.communicate(timeout=30)
r.equal("and stops cleanly on SIGTERM", (0, False), (proc.returncode, sanitizer_report(err)))
bad = subprocess.run([SERVER, "--listen", "nonsense"], capture_output=True, text=True, timeout=30)
r.check("a bad --listen is refused clearly", bad.returncode != 0 and "--listen is HOST:PORT" in bad.stderr, bad.stderr)
shutil.rmtree(env_dir, ignore_errors=True)
r.finish()
