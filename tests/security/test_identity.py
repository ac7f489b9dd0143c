"""test_identity.py - an object is (kind, owner, id): reusing another party's id never switches
deconfliction off, whatever the kinds; four parties racing the same ids get at most one each;
conflict keys cannot be recomputed from a guessed id."""
import hashlib
import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "integration"))
from harness import Results, Server, circle, volume  # noqa: E402

T0, T1 = "2031-03-01T10:00:00Z", "2031-03-01T11:00:00Z"
BOX = [{"lat": 40.0, "lng": 30.0}, {"lat": 40.0, "lng": 30.2}, {"lat": 40.2, "lng": 30.2}, {"lat": 40.2, "lng": 30.0}]


def body(kind, priority=5):
    if kind == "site":
        return {"label": "unit", "location": "40.1N 30.1E", "radius": 300, "time_start": T0, "time_end": T1}
    b = {"volumes": [volume(BOX, 0, 3000, T0, T1)]}
    if kind == "zone":
        b.update({"admitted": [], "public": False})
    else:
        b["priority"] = priority
    if kind == "hazard":
        b["hazard_kind"] = "live_fire"
    return b


r = Results("security_identity")
s = Server()
try:
    a, b = s.party("alpha"), s.party("bravo")
    # (stored kind by alpha, submitted kind by bravo, what must happen to bravo's submission)
    pairs = [("intent", "intent", 409), ("site", "hazard", 409), ("zone", "intent", 409),
             ("intent", "hazard", 409), ("intent", "zone", 201)]
    for n, (stored, submitted, expected) in enumerate(pairs):
        oid = f"patrol-{n}"
        status, _, _ = s.call("PUT", f"/v1/{stored}s/{oid}", a, body(stored))
        r.equal(f"alpha's {stored} {oid} is stored", 201, status)
        status, _, doc = s.call("PUT", f"/v1/{submitted}s/other-{n}", b, body(submitted))
        r.equal(f"bravo's {submitted} under a fresh id meets alpha's {stored}", expected, status)
        if status == 201:
            s.call("DELETE", f"/v1/{submitted}s/other-{n}", b)
        status, _, doc = s.call("PUT", f"/v1/{submitted}s/{oid}", b, body(submitted))
        r.equal(f"bravo's {submitted} under alpha's id {oid}: decided the same ({stored}/{submitted})",
                expected, status)
        notices = doc.get("notices", []) if isinstance(doc, dict) else []
        r.check(f"and bravo is told of alpha's {stored}",
                any(x["counterpart"]["party"] == "alpha" for x in notices), str(doc)[:300])
        if expected == 201:
            got = s.call("GET", "/v1/notices", a)[2]["items"]
            r.check("a zone under alpha's id still tells alpha its intent must replan",
                    any(x["object"]["id"] == oid and x["action"] == "replan" for x in got), str(got)[-300:])
        for kind in (stored, submitted):
            s.call("DELETE", f"/v1/{kind}s/{oid}", a)
            s.call("DELETE", f"/v1/{kind}s/{oid}", b)

    # conflict keys are keyed: the unkeyed hash of kind/owner/id@version is not it
    s.call("PUT", "/v1/intents/keyed", a, body("intent"))
    status, _, doc = s.call("PUT", "/v1/intents/probe", b, body("intent"))
    key = doc["notices"][0]["conflict_key"]
    plain = hashlib.blake2b(b"intent/alpha/keyed@1", digest_size=16).hexdigest()
    r.check("the conflict key is not the unkeyed hash of the object's name", key != plain and len(key) == 32, key)
    r.equal("an accepted equal-priority conflict is named by that key", 201,
            s.call("PUT", "/v1/intents/probe", b, dict(body("intent"), accept_conflicts=[key]))[0])
    s.call("DELETE", "/v1/intents/probe", b)
    s.call("DELETE", "/v1/intents/keyed", a)
finally:
    s.stop()
    s.cleanup()

# Four honest parties using the same ids in the same box, racing: at most one accepted per id.
s = Server(extra_args=("--threads", "4"))
try:
    keys = [s.party(f"p{i}") for i in range(4)]
    races = int(os.environ.get("DC_RACES", "1000"))
    accepted = [0] * races
    lock = threading.Lock()

    def racer(key, start, stop):
        for i in range(start, stop):
            t0 = f"2031-04-{1 + i // 40:02d}T{(i % 40) // 2:02d}:{30 * (i % 2):02d}:00Z"
            t1 = f"2031-04-{1 + i // 40:02d}T{(i % 40) // 2:02d}:{30 * (i % 2) + 20:02d}:00Z"
            status, _, _ = s.call("PUT", f"/v1/intents/m-{i}", key,
                                  {"priority": 5, "volumes": [circle("41.0N 31.0E", 2000, 0, 1000, t0, t1)]})
            if status == 201:
                with lock:
                    accepted[i] += 1

    threads = [threading.Thread(target=racer, args=(k, 0, races)) for k in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    r.equal(f"{races} races of four parties on the same ids: at most one accepted each", 0,
            sum(1 for n in accepted if n > 1))
    r.check("and one is accepted in each race", sum(accepted) == races, f"{sum(accepted)} of {races}")
finally:
    s.stop()
    s.cleanup()
r.finish()
