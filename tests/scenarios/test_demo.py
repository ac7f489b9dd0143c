"""test_demo.py - the demo loads the three scenarios through the API, twice in a row, and tells the story."""
import os
import socket
import subprocess
import sys
import tempfile

SOURCE = os.environ["DC_SOURCE_DIR"]
BUILD = os.path.dirname(os.environ["DC_SERVER"])
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
var = tempfile.mkdtemp(prefix="dc-demo-")
env = dict(os.environ, DEMO_PORT=str(port), DEMO_VAR=var)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import Results, stop_detached  # noqa: E402

r = Results("demo")
check = r.check


for run in (1, 2):
    out = subprocess.run([sys.executable, os.path.join(SOURCE, "scripts/demo.py"), BUILD], env=env,
                         capture_output=True, text=True, timeout=300)
    check(f"demo run {run} exits 0", out.returncode == 0, out.stderr[-800:])
    text = out.stdout
    for expect in ("russia submits intent su24-through-salient: REFUSED", "refused because of a zone of turkey",
                   "turkey asks for /v1/intents/su24-strike-package: 404", "never enters",
                   "russia submits hazard albab-strike: REFUSED", "because of a site of turkey (protected_site)",
                   "russia confirms the read-back", "russia submits hazard jan22-strike: accepted",
                   "Who saw the Russian flight plan? parties: coalition", ": OK (0 problems)",
                   "Turkey (OSM)", "report: ", "shared with russia", "the same as the report's",
                   "russia reports 196 positions (Russia's account of the Su-24 track): 196 accepted",
                   "turkey posts 196 sensor updates", "196 taken", "is disputed, a cooperating aircraft of russia",
                   "russia is told: turkey's radar sees SU24RU", "russia is warned (advisory): turkey's radar predicts entry",
                   "turkey is alerted: incursion in its zone", "the audit holds the dispute",
                   "russia declares emergency su24-crew-sar (search_and_rescue, valid 900 s, renewable): accepted",
                   "coalition-jabal-turkmen-fire is now suspended (held by intent/russia/su24-crew-sar)",
                   "turkey is alerted: emergency su24-crew-sar of russia",
                   "coalition is alerted: emergency su24-crew-sar of russia with the crew's last known position"):
        check(f"run {run} says {expect!r}", expect in text, text[-1500:] if run == 2 else "")
    if run == 2:
        print(text, flush=True)
    # each run's server, stopped here before the next run truncates its log, must stop cleanly
    pid = int(open(os.path.join(var, "deconflictd.pid")).read())
    problem = stop_detached(pid, os.path.join(var, "deconflictd.log"))
    check(f"run {run}'s server stops cleanly, with no sanitizer report", problem is None, problem or "")
r.finish()
