#!/usr/bin/env python3
"""feed.py - `deconflict feed` end to end: AIRCRAFT aircraft reporting once a second for SECONDS
seconds, served at once as SBS-1 lines on a loopback port (MSG,4 then MSG,3 each), posted by the feed
to a deconflictd; against a simple reference in the same run: the same reports posted by this script
straight to POST /v1/tracks in batches of 500 on a fresh server (no parsing, no queue, one thread).
Prints the wall time until every report is answered, reports a second, and the feed's own CPU.
usage: DC_SERVER=build/release/deconflictd DC_CLI=build/release/deconflict \
       python3 bench/feed.py [AIRCRAFT] [SECONDS]"""
import http.client
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration"))
from harness import CLI, Server  # noqa: E402

AIRCRAFT = int(sys.argv[1]) if len(sys.argv) > 1 else 100
SECONDS = int(sys.argv[2]) if len(sys.argv) > 2 else 600
ARGS = ("--quiet", "--rate-reports", "1000000/10000000", "--new-aircraft-per-minute", "100000")
t0 = (datetime.now(timezone.utc) - timedelta(seconds=SECONDS + 120)).replace(microsecond=0)
lines, reports = [], []
for s in range(SECONDS):
    t = t0 + timedelta(seconds=s)
    d, tod, iso = t.strftime("%Y/%m/%d"), t.strftime("%H:%M:%S.000"), t.strftime("%Y-%m-%dT%H:%M:%SZ")
    for a in range(AIRCRAFT):
        hexid, lat, lon = f"{0x400000 + a:06X}", 40 + a * 0.05, 10 + s * 0.0024
        lines.append(f"MSG,4,1,1,{hexid},1,{d},{tod},{d},{tod},,,400,90,,,0,,,,,0")
        lines.append(f"MSG,3,1,1,{hexid},1,{d},{tod},{d},{tod},,30000,,,{lat:.6f},{lon:.6f},,,0,0,0,0")
        reports.append({"aircraft": hexid, "time": iso, "position": {"lat": round(lat, 6), "lng": round(lon, 6)},
                        "altitude": 30000 * 0.3048, "ground_speed": 400 * 1852 / 3600, "track": 90.0})
data = "".join(line + "\r\n" for line in lines).encode()
total = len(reports)


def run_feed():
    srv = Server(extra_args=ARGS)
    try:
        key = os.path.join(srv.dir, "k")
        open(key, "w").write(srv.party("alice"))
        ls = socket.socket()
        ls.bind(("127.0.0.1", 0))
        ls.listen(1)

        def serve():
            conn, _ = ls.accept()
            conn.sendall(data)
            time.sleep(600)
        threading.Thread(target=serve, daemon=True).start()
        start = time.time()
        p = subprocess.Popen([CLI, "feed", "--server", f"http://127.0.0.1:{srv.port}", "--key-file", key, "--json",
                              "--stats", "0.1", "--queue", str(total), "--clock", "message",
                              f"sbs://127.0.0.1:{ls.getsockname()[1]}"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while True:
            j = json.loads(p.stdout.readline())
            if j["posted"] + j["flagged"] + j["dropped"] + j["refused"] >= total:
                break
        wall = time.time() - start
        p.send_signal(signal.SIGTERM)
        p.communicate()
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)  # the feed's: the server is not reaped yet
        srv.stop()
        return wall, ru.ru_utime + ru.ru_stime, j
    finally:
        srv.cleanup()


def run_reference():
    srv = Server(extra_args=ARGS)
    try:
        key = srv.party("alice")
        conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=300)
        start, accepted = time.time(), 0
        for i in range(0, total, 500):
            conn.request("POST", "/v1/tracks", json.dumps(reports[i:i + 500]),
                         {"Authorization": "Bearer " + key, "Content-Type": "application/json"})
            accepted += json.loads(conn.getresponse().read())["accepted"]
        wall = time.time() - start
        srv.stop()
        return wall, accepted
    finally:
        srv.cleanup()


wall, cpu, j = run_feed()
ref_wall, ref_accepted = run_reference()
print(f"{total} reports ({len(lines)} SBS lines), {AIRCRAFT} aircraft x {SECONDS} s")
print(f"  feed:      {wall:6.2f} s, {total / wall:8.0f} reports/s; feed CPU {cpu:.2f} s "
      f"({cpu / total * 1e6:.1f} us a report); posted {j['posted']}, flagged {j['flagged']}, dropped {j['dropped']}")
print(f"  reference: {ref_wall:6.2f} s, {total / ref_wall:8.0f} reports/s; accepted {ref_accepted}")
