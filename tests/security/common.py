"""common.py - what the security tests share: the integration harness, raw HTTP on a socket, a store digest."""
import hashlib
import os
import socket
import sqlite3
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "integration"))

from harness import SOURCE, Results, Server, circle, cli, volume  # noqa: E402,F401

T0, T1 = "2033-01-01T10:00:00Z", "2033-01-01T11:00:00Z"
SQ = ["36.0N 37.0E", "36.0N 37.1E", "36.1N 37.1E", "36.1N 37.0E"]


def intent(priority=1, t0=T0, t1=T1, vertices=SQ):
    return {"priority": priority, "volumes": [volume(vertices, 0, 1000, t0, t1)]}


def snapshot(db):
    """A digest of everything the store holds."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    h = hashlib.sha256()
    for table in ("parties", "objects", "volume_boxes", "grants", "notices", "alert_log", "alert_inbox", "messages", "audit"):
        for row in con.execute(f"SELECT * FROM {table} ORDER BY 1"):
            h.update(repr(row).encode())
    con.close()
    return h.hexdigest()


def raw(server, data, timeout=5):
    """Send bytes as they are; return (status, headers dict in lower case, body bytes) of the first answer,
    and whether the server then closed the connection."""
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.settimeout(timeout)
    try:
        sock.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass  # refused before it was all sent: the answer is still there to read
    out = b""
    closed = False
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                closed = True
                break
            out += chunk
            head, sep, rest = out.partition(b"\r\n\r\n")
            if sep:
                length = [int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")[1:]
                          if line.lower().startswith(b"content-length:")]
                if length and len(rest) >= length[0]:
                    # the first answer is whole; wait briefly to see whether the connection closes
                    sock.settimeout(0.5)
    except socket.timeout:
        pass
    except ConnectionResetError:
        closed = True
    sock.close()
    head, _, body = out.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and lines[0].startswith("HTTP/") else None
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        body = body[:int(headers["content-length"])]
    return status, headers, body, closed
