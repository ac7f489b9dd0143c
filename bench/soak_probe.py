"""soak_probe.py - what bench/soak.sh records each minute: the live store's size (file, log, by kind), the
archive, the server's memory, and the latency of a small request made 20 times a second throughout.

usage: python3 bench/soak_probe.py PORT KEY OPERATOR_KEY DB PID MINUTES
The small request is GET /v1/alerts?since=<far ahead>: it takes the store's lock like any read, returns
nothing, and so measures how long a request waits for the lock (the position batches' and the archiver's).
"""
import http.client
import os
import re
import sys
import time


def metrics(port, key):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/metrics", headers={"Authorization": "Bearer " + key})
    text = conn.getresponse().read().decode()
    conn.close()
    out = {}
    for line in text.splitlines():
        m = re.match(r'^(\w+)(?:\{(\w+)="(\w+)"\})? (\S+)$', line)
        if m:
            out[(m.group(1), m.group(3))] = float(m.group(4))
    return out


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0


def size(path):
    return os.path.getsize(path) if os.path.exists(path) else 0


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))] if values else 0


def main(port, key, operator, db, pid, minutes):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": "Bearer " + key}
    print("minute | live file + log MB | alerts MB | audit MB | free MB | archive MB (segments) | rows archived |"
          " RSS MB | small GET p50 / p99 / max ms | archiver's lock: share, longest ms", flush=True)
    start = time.time()
    locked_before = 0.0
    for minute in range(1, minutes + 1):
        lat = []
        while time.time() < start + 60 * minute:
            t = time.perf_counter()
            conn.request("GET", "/v1/alerts?since=999999999999", headers=headers)
            conn.getresponse().read()
            lat.append((time.perf_counter() - t) * 1000)
            time.sleep(max(0.0, 0.05 - (time.perf_counter() - t)))
        m = metrics(port, operator)
        archived = sum(v for (name, kind), v in m.items() if name == "deconflict_archived_rows_total")
        archive_dir = db + ".archive"
        archive = sum(size(os.path.join(archive_dir, f)) for f in os.listdir(archive_dir)) if os.path.isdir(archive_dir) else 0
        segments = len(os.listdir(archive_dir)) if os.path.isdir(archive_dir) else 0
        print(f"{minute:6d} | {(size(db) + size(db + '-wal')) / 1e6:18.1f} |"
              f" {m.get(('deconflict_store_bytes', 'alerts'), 0) / 1e6:9.1f} |"
              f" {m.get(('deconflict_store_bytes', 'audit'), 0) / 1e6:8.1f} |"
              f" {m.get(('deconflict_store_file_bytes', 'free'), 0) / 1e6:7.1f} |"
              f" {archive / 1e6:10.1f} ({segments:2d})       | {archived:13.0f} |"
              f" {rss_mb(pid):6.0f} | {pct(lat, 50):.2f} / {pct(lat, 99):.2f} / {max(lat):.1f} |"
              f" {(m.get(('deconflict_archive_lock_seconds_total', None), 0) - locked_before) / 60 * 100:.1f} %,"
              f" {m.get(('deconflict_archive_lock_max_seconds', None), 0) * 1000:.0f}", flush=True)
        locked_before = m.get(('deconflict_archive_lock_seconds_total', None), 0)
    conn.close()


if __name__ == "__main__":
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]))
