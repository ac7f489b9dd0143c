"""test_race.py - two parties race conflicting PUTs, 1,000 pairs: never both accepted."""
import datetime
import threading

from harness import Results, Server, circle

PAIRS = 1000
r = Results("race")
# the race is between two writers at full speed, not against the fair-use buckets
s = Server(extra_args=("--rate-writes", "100000/100000"))
try:
    a, b = s.party("red"), s.party("blue")
    barrier = threading.Barrier(2)
    outcome = {}

    def racer(name, key):
        for i in range(PAIRS):
            start = datetime.datetime(2031, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(hours=i)
            t0, t1 = start.strftime("%Y-%m-%dT%H:%M:%SZ"), (start + datetime.timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
            vol = circle("36.0N 37.0E", 2000, 0, 1000, t0, t1)
            barrier.wait()
            status, _, _ = s.call("PUT", f"/v1/intents/{name}-{i}", key, {"priority": 1, "volumes": [vol]})
            outcome[(name, i)] = status

    threads = [threading.Thread(target=racer, args=("red", a)), threading.Thread(target=racer, args=("blue", b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    both, neither, one = 0, 0, 0
    for i in range(PAIRS):
        pair = sorted([outcome[("red", i)], outcome[("blue", i)]])
        if pair == [201, 201]:
            both += 1
        elif pair == [201, 409]:
            one += 1
        else:
            neither += 1
    r.equal("pairs where both were accepted", 0, both)
    r.equal("pairs with exactly one accepted, one refused", PAIRS, one)
    status, _, doc = s.call("GET", f"/v1/intents?limit={PAIRS}", a)
    mine = len(doc["items"])
    status, _, doc = s.call("GET", f"/v1/intents?limit={PAIRS}", b)
    r.equal("stored intents equal accepted PUTs", PAIRS, mine + len(doc["items"]))
    print(f"race: {PAIRS} pairs, red won {mine}, blue won {PAIRS - mine}", flush=True)
finally:
    s.stop()
    s.cleanup()
r.finish()
