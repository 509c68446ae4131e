#!/usr/bin/env python3
"""Stopping a run with signals.

One SIGTERM: firing stops, hits in flight finish (100 ms simulated replies), everything is
flushed, exit 0; the records are readable and agree with the summary and the log.
Two signals: stop at once; still exit 0 and a readable run directory; the hits in flight are
recorded as ECANCELED (125) and the counts stay consistent.

  tests/integration/engine_sigterm.py build/src/incarne
"""
import json
import os
import signal
import subprocess
import time

from engine_common import binary, check, records, report, tmpdir, write

incarne = binary()
d = tmpdir()


def start(name, latency):
    plan = write(os.path.join(d, name + ".toml"), """
[target]
nib = "dummy"
[target.dummy]
latency = "%s"
[load]
schedule = "const(2000, 60s)"
instances = 100000
[results]
dir = "unused"
""" % latency)
    out = os.path.join(d, name)
    proc = subprocess.Popen([incarne, "run", plan, "--out", out], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    # Wait until the run is firing (the run directory line), then a little more.
    deadline = time.time() + 30
    while not os.path.exists(os.path.join(out, "stats.jsonl")) and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(1.5)
    return proc, out


proc, out = start("graceful", "100ms")
t0 = time.time()
proc.send_signal(signal.SIGTERM)
stdout, stderr = proc.communicate(timeout=60)
took = time.time() - t0
print(stderr[-1500:])
check(proc.returncode == 0, "SIGTERM: exit 0 (got %d)" % proc.returncode)
check(took < 20, "stopped promptly (%.1f s)" % took)
check(os.path.isfile(os.path.join(out, "summary.json")), "summary.json written")
recs = records(incarne, out)
rep = report(incarne, out)
check(len(recs) > 1000, "records readable (%d)" % len(recs))
check(rep["hits"] == len(recs), "summary hits = records (%d)" % rep["hits"])
check(rep.get("sent") == len(recs), "every fired shot has its record (sent %s)" % rep.get("sent"))
check(all(r["net_code"] == 0 for r in recs), "hits in flight finished normally")
check(max(r["planned_ns"] for r in recs) < 30 * 10**9, "firing stopped long before 60 s")
with open(os.path.join(out, "incarne.log")) as f:
    log = f.read()
check("SIGTERM" in log, "incarne.log tells about the signal")

proc, out = start("twice", "1h")
proc.send_signal(signal.SIGTERM)
time.sleep(0.3)
proc.send_signal(signal.SIGINT)
stdout, stderr = proc.communicate(timeout=60)
check(proc.returncode == 0, "two signals: exit 0 (got %d)" % proc.returncode)
recs = records(incarne, out)
rep = report(incarne, out)
check(len(recs) > 1000, "records readable after stopping at once (%d)" % len(recs))
check(rep["hits"] == len(recs), "summary agrees with the hits file")
check(rep.get("sent") == len(recs), "counts consistent (sent %s)" % rep.get("sent"))
check(all(r["net_code"] == 125 for r in recs), "hits in flight recorded as ECANCELED")
print("PASS")
