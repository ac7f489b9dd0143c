"""test_su24_sensor.py - the Su-24 of 24 November 2015 through the real server: Russia reports Russia's
account (POST /v1/tracks), Turkey's radar follows Turkey's account (POST /v1/sensor-tracks). The track is
disputed before entry, Russia is warned with the time to entry, Turkey is alerted, and the audit holds both
positions; Turkey never learns the aircraft's name without Russia's grant."""
import csv
import json
import os
import sys

from harness import BORDERS, SOURCE, Results, Server, zone_body_from_geojson

SU24 = os.path.join(SOURCE, "examples", "su24-2015")
ACCURACY = 300.0  # Turkey's radar, stated: metres, 1 sigma
VERBOSE = "-v" in sys.argv


def rows(name):
    return list(csv.DictReader(open(os.path.join(SU24, name))))


def position(x):
    return {"lat": float(x["lat"]), "lng": float(x["lon"])}


def report(x):
    return {"aircraft": "SU24RU", "callsign": x["callsign"], "time": x["time_utc"], "position": position(x),
            "altitude": float(x["alt_ft"]) * 0.3048, "ground_speed": {"value": float(x["groundspeed_kt"]), "units": "KT"},
            "track": float(x["track_deg"])}


def sensed(x):
    return {"track_number": "T4701", "time": x["time_utc"], "position": position(x), "altitude": float(x["alt_ft"]) * 0.3048,
            "ground_speed": {"value": float(x["groundspeed_kt"]), "units": "KT"}, "track": float(x["track_deg"]),
            "accuracy": ACCURACY}


def ndjson(items):
    return "\n".join(json.dumps(i) for i in items).encode()


def run(s, ru, tr):
    """Both accounts in time order, 10 s a batch: Russia's reports, then what Turkey's radar saw."""
    russia, turkey = rows("track-russia-account.csv"), rows("track-turkey-account.csv")
    entry = None
    for start in range(0, len(russia), 5):
        status, _, doc = s.call("POST", "/v1/tracks", ru, raw=ndjson(report(x) for x in russia[start:start + 5]),
                                headers={"Content-Type": "application/x-ndjson"})
        assert status == 200, (status, doc)
        status, _, doc = s.call("POST", "/v1/sensor-tracks", tr, raw=ndjson(sensed(x) for x in turkey[start:start + 5]),
                                headers={"Content-Type": "application/x-ndjson"})
        assert status == 200 and doc["accepted"] == len(turkey[start:start + 5]), (status, doc)
    return entry


def alerts(s, key):
    status, _, doc = s.call("GET", "/v1/alerts?limit=1000", key)
    assert status == 200, (status, doc)
    return doc["items"]


def show(who, items):
    print(f"{who}:", flush=True)
    for a in items:
        extra = ""
        if a["kind"] == "sensor":
            ident = a.get("identified", {})
            extra = f" {a['sensor']['state']} {ident.get('party', '')}" + (f" ({ident['aircraft']})" if ident.get("aircraft") else "") + \
                (f", reported {a['apart_m']:.0f} m away" if "apart_m" in a else "")
        elif a["kind"] == "zone":
            extra = f" {a['zone']['owner']}/{a['zone']['id']} in {a['time_to_event_s']:.0f} s" + (" (sensor)" if "sensor" in a else "")
        print(f"  {a['time']} {a['kind']} {a['level']}{extra}", flush=True)


r = Results("su24_sensor")
s = Server()
try:
    ru, tr = s.party("russia"), s.party("turkey")
    status, _, _ = s.call("PUT", "/v1/zones/turkey-airspace", tr, zone_body_from_geojson(os.path.join(BORDERS, "turkey.geojson")))
    r.equal("Turkey's airspace is stored", 201, status)
    run(s, ru, tr)
    to_tr, to_ru = alerts(s, tr), alerts(s, ru)
    if VERBOSE:
        show("told to Turkey", to_tr)
        show("told to Russia", to_ru)
    entry = next((a["time"] for a in to_tr if a["kind"] == "zone" and a["level"] == "incursion"), None)
    r.check("Turkey's radar sees the aircraft enter Turkey (an incursion alert to Turkey)", entry is not None)
    disputed_tr = [a for a in to_tr if a["kind"] == "sensor" and a["sensor"]["state"] == "disputed"]
    disputed_ru = [a for a in to_ru if a["kind"] == "sensor" and a["sensor"]["state"] == "disputed"]
    r.check("Turkey's sensor track is disputed", len(disputed_tr) >= 1, str([a["sensor"] for a in to_tr if a["kind"] == "sensor"]))
    r.check("the dispute comes before the entry", entry and disputed_tr and disputed_tr[0]["time"] < entry, f"{entry}")
    d = disputed_tr[0] if disputed_tr else {}
    r.equal("Turkey learns whose account disputes its picture: a cooperating aircraft of Russia", {"party": "russia"}, d.get("identified"))
    r.check("Turkey is not told Russia's position", "reported" not in d and "apart_m" not in d, str(d))
    r.check("Turkey is never told the aircraft's name or callsign without Russia's grant",
            "SU24RU" not in json.dumps(to_tr), json.dumps(to_tr)[:600])
    r.check("Russia is told of the dispute", len(disputed_ru) >= 1)
    d = disputed_ru[0] if disputed_ru else {"track": {}}
    r.equal("Russia's copy names its own aircraft", "SU24RU", d["track"].get("aircraft"))
    r.check("Russia's copy holds both positions, beyond the stated accuracy",
            "reported" in d and d.get("apart_m", 0) > 4 * ACCURACY and d["track"].get("resolution_m") == 500, str(d))
    warned = [a for a in to_ru if a["kind"] == "zone" and a["zone"]["owner"] == "turkey" and "sensor" in a
              and a["level"] in ("advisory", "warning") and a["time_to_event_s"] > 0]
    r.check("Russia is warned from Turkey's picture, with the time to entry, before the entry",
            warned and entry and warned[0]["time"] < entry, str([(a["time"], a["time_to_event_s"]) for a in warned]))
    r.check("Turkey (the zone's owner) is alerted: warning then incursion in its zone",
            any(a["kind"] == "zone" and a["level"] == "warning" for a in to_tr) and entry is not None)
    status, _, doc = s.call("GET", "/v1/audit?object=dispute/server/turkey/T4701", s.operator)
    disputes = [i for i in doc.get("items", []) if i["action"] == "sensor.dispute"]
    r.equal("the audit holds one dispute record", 1, len(disputes))
    det = disputes[0]["detail"] if disputes else {}
    r.check("the audit holds both positions to the metre: the sensor's and Russia's report",
            det.get("sensor", {}).get("position") and det.get("reported", {}).get("position")
            and det["sensor"]["position"] != det["reported"]["position"] and det["reported"]["aircraft"] == "SU24RU"
            and det["sensor"]["accuracy_m"] == ACCURACY, str(det))
    for who, key in (("Turkey", tr), ("Russia", ru)):
        status, _, doc = s.call("GET", "/v1/audit?object=dispute/server/turkey/T4701", key)
        r.equal(f"{who} does not read the dispute record (the other's secret to the metre)", [], doc.get("items"))
    # with Russia's intent grant, a sensor track on Russia's own account is identified by name
    r.equal("Russia grants Turkey its intents", 201, s.call("POST", "/v1/grants", ru, {"grantee": "turkey", "kind": "intent"})[0])
    last = rows("track-russia-account.csv")[-5:]
    status, _, doc = s.call("POST", "/v1/sensor-tracks", tr, [dict(sensed(x), track_number="T4702") for x in last])
    r.equal("a second sensor track on Russia's account: identified", (200, "identified"), (status, doc.get("states", {}).get("T4702")))
    named = [a for a in alerts(s, tr) if a["kind"] == "sensor" and a["sensor"]["track"] == "T4702"]
    r.equal("under the grant Turkey learns the aircraft and its callsign",
            [{"party": "russia", "aircraft": "SU24RU", "callsign": "SU24RU", "intent": ""}], [a.get("identified") for a in named])
finally:
    s.stop()
s.cleanup()
r.finish()
