"""store_bytes.py - bytes the live store spends per alert and per audit record (SQLite dbstat).

usage: python3 bench/store_bytes.py DB
Counts every page of each table and its indexes (a page is counted whole: what the file holds).
An alert is one raised alert, however many recipients it went to (its audit record names them).
"""
import sqlite3
import sys


def main(path):
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    tables = {}
    for name, tbl in con.execute("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')"):
        tables[name] = tbl
    size = {}
    for name, pgsize in con.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
        size[tables.get(name, name)] = size.get(tables.get(name, name), 0) + pgsize
    alert_tables = [t for t in size if t in ("alerts", "alert_log", "alert_inbox", "alert_episodes")]
    alert_bytes = sum(size[t] for t in alert_tables)
    alerts = con.execute("SELECT count(*) FROM audit WHERE action = 'alert'").fetchone()[0]
    audit_rows = con.execute("SELECT count(*) FROM audit").fetchone()[0]
    page = con.execute("PRAGMA page_size").fetchone()[0]
    pages = con.execute("PRAGMA page_count").fetchone()[0]
    free = con.execute("PRAGMA freelist_count").fetchone()[0]
    print(f"file {pages * page / 1e6:.1f} MB ({free * page / 1e6:.1f} MB free pages)")
    for t in sorted(size, key=lambda t: -size[t]):
        print(f"  {t:<20} {size[t] / 1e6:9.2f} MB")
    if alerts:
        print(f"alerts raised: {alerts}, alert storage {alert_bytes / 1e6:.1f} MB ({' + '.join(alert_tables)}): "
              f"{alert_bytes / alerts:.0f} bytes per alert")
    if audit_rows:
        print(f"audit records: {audit_rows}, {size.get('audit', 0) / 1e6:.1f} MB with its index: "
              f"{size.get('audit', 0) / audit_rows:.0f} bytes per audit record")


if __name__ == "__main__":
    main(sys.argv[1])
