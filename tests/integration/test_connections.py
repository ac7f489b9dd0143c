"""test_connections.py - one address holding 1,000 half-sent requests cannot shut others out:
the per-address limit refuses most of them, the header deadline closes the rest even while they
trickle a byte a second, and 127.0.0.1 is served as usual throughout (issue 13, part 2)."""
import resource
import socket
import threading
import time

from harness import Results, Server

HOLDERS = 1000
PER_ADDRESS = 32
HEADER_TIMEOUT = 3

soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4096)), hard))

r = Results("connections")
s = Server(["--connections-per-address", str(PER_ADDRESS), "--header-timeout", str(HEADER_TIMEOUT),
            "--timeout", "30", "--quiet"])
holders = []
try:
    key = s.party("alpha")
    stop = threading.Event()

    def hold():
        """Open HOLDERS connections from 127.0.0.2, each with half a request line."""
        for _ in range(HOLDERS):
            c = socket.socket()
            c.settimeout(5)
            try:
                c.bind(("127.0.0.2", 0))
                c.connect(("127.0.0.1", s.port))
                c.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x")
                holders.append(c)
            except OSError:
                c.close()

    def trickle():
        """A byte a second on every connection still open: the idle timeout never fires."""
        while not stop.is_set():
            for c in list(holders):
                try:
                    c.send(b"x")
                except OSError:
                    pass
            stop.wait(1)

    opener = threading.Thread(target=hold)
    opener.start()
    opener.join()
    trickler = threading.Thread(target=trickle)
    trickler.start()
    # 127.0.0.1 meanwhile: every request answered, quickly
    times, statuses = [], []
    for _ in range(60):
        t = time.monotonic()
        status, _, _ = s.call("GET", "/v1/parties/me", key)
        times.append(time.monotonic() - t)
        statuses.append(status)
    times.sort()
    r.equal("127.0.0.1 is answered every time while 127.0.0.2 holds its connections",
            [200] * 60, statuses)
    p99 = times[int(len(times) * 0.99) - 1]
    r.check("127.0.0.1's p99 stays under 0.5 s", p99 < 0.5, f"p99 {p99:.3f} s")
    # of the 1,000, the server kept at most PER_ADDRESS: the others were closed at once
    open_now = 0
    for c in holders:
        try:
            c.setblocking(False)
            data = c.recv(1)
            if data == b"":
                continue
        except BlockingIOError:
            open_now += 1
        except OSError:
            pass
    r.check(f"at most {PER_ADDRESS} of 127.0.0.2's connections were kept",
            open_now <= PER_ADDRESS, f"{open_now} open")
    # past the header deadline, the trickling ones are gone too, although never idle
    time.sleep(HEADER_TIMEOUT + 2)
    still = 0
    for c in holders:
        try:
            data = c.recv(1)
            still += data != b""
        except BlockingIOError:
            still += 1
        except OSError:
            pass
    r.equal("connections left open past the header deadline, though never idle", 0, still)
    stop.set()
    trickler.join()
    status, _, _ = s.call("GET", "/v1/parties/me", key)
    r.equal("and the server answers after", 200, status)
    print(f"connections: {len(holders)} opened from 127.0.0.2, {open_now} kept, "
          f"127.0.0.1 p99 {p99 * 1000:.1f} ms", flush=True)
finally:
    for c in holders:
        c.close()
    s.stop()
    s.cleanup()
r.finish()
