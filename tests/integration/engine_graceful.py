#!/usr/bin/env python3
"""Taurus' stop file: with GRACEFUL=<path> in the environment, `incarne run` stops as on the
first SIGTERM once a file appears at <path> (docs/taurus.md): firing stops, hits in flight
finish, everything is flushed, exit 0, long before the schedule's end. Without the file
appearing the run is not disturbed by the variable.

  tests/integration/engine_graceful.py build/src/incarne
"""
import os
import subprocess
import time

from engine_common import binary, check, records, report, tmpdir, write

incarne = binary()
d = tmpdir()


def wait_for(cond, what, timeout=30):
    deadline = time.time() + timeout
    while not cond():
        if time.time() > deadline:
            check(False, "waiting for " + what)
        time.sleep(0.05)


def stats_lines(out):
    try:
        with open(os.path.join(out, "stats.jsonl")) as f:
            return sum(1 for line in f if line.strip())
    except FileNotFoundError:
        return 0


plan = write(os.path.join(d, "long.toml"), """
[target]
nib = "dummy"
[target.dummy]
latency = "100ms"
[load]
schedule = "const(1000, 60s)"
instances = 100000
""")
out = os.path.join(d, "long")
stop_file = os.path.join(d, "artifacts", "graceful")
os.makedirs(os.path.dirname(stop_file))
env = dict(os.environ, GRACEFUL=stop_file)
proc = subprocess.Popen([incarne, "run", plan, "--out", out], stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, text=True, env=env)
# Firing for a while: two seconds of stats written, and the file still absent.
wait_for(lambda: stats_lines(out) >= 2 or proc.poll() is not None, "two seconds of stats")
check(proc.poll() is None, "still running while $GRACEFUL does not exist")
t0 = time.time()
write(stop_file, "")
stdout, stderr = proc.communicate(timeout=60)
took = time.time() - t0
print(stderr[-1500:])
check(proc.returncode == 0, "$GRACEFUL: exit 0 (got %d)" % proc.returncode)
check(took < 20, "stopped promptly (%.1f s after the file appeared)" % took)
check(os.path.isfile(os.path.join(out, "summary.json")), "summary.json written")
recs = records(incarne, out)
rep = report(incarne, out)
check(len(recs) >= 1000, "records readable (%d)" % len(recs))
check(rep["hits"] == len(recs), "summary hits = records (%d)" % rep["hits"])
check(rep.get("sent") == len(recs), "every fired shot has its record (sent %s)" % rep.get("sent"))
check(all(r["net_code"] == 0 for r in recs), "hits in flight finished normally (no ECANCELED)")
check(max(r["planned_ns"] for r in recs) < 30 * 10**9, "firing stopped long before 60 s")
with open(os.path.join(out, "incarne.log")) as f:
    log = f.read()
check("$GRACEFUL" in log, "incarne.log tells about the stop file")
check("$GRACEFUL" in stderr, "stderr tells about the stop file")
print("PASS")
