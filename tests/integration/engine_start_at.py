#!/usr/bin/env python3
"""--start-at is bounded, and a run can be stopped at every moment of it.

1. An origin far in the past (--start-at 1: a unit mistake), one that overflows 64-bit ns,
   and one more than a day ahead are refused with exit 2, the figures, and no run directory
   (on the commit before the bounds, --start-at 1 fired, then grew memory ~200 MB/s forever).
2. While the run waits for a future origin the live line counts down, and SIGINT ends the
   wait at once: exit 0, nothing fired, a complete run directory.
3. An origin 55 s in the past with 10 instances busy 1 s each: a backlog of late shots that
   never clears; SIGTERM stops it promptly (exit 0), the hits in flight finish, and the
   report counts fewer shots sent than planned.

  tests/integration/engine_start_at.py build/src/incarne
"""
import os
import re
import signal
import subprocess
import time

from engine_common import binary, check, report, run, tmpdir, write

incarne = binary()
d = tmpdir()
plan = write(os.path.join(d, "plan.toml"), """
[target]
nib = "dummy"
[target.dummy]
latency = "1s"
[load]
schedule = "const(100, 120s)"
instances = 10
[results]
dir = "unused"
""")

# ---- 1. refused, nothing written
now = int(time.time())
for value, says in [("1", "in the past"), ("9300000000", "64-bit"),
                    (str(now + 2 * 86400), "ahead"), (str(now - 600), "in the past")]:
    out = os.path.join(d, "refused")
    p = run(incarne, ["run", plan, "--out", out, "--start-at", value], timeout=30)
    check(p.returncode == 2, "--start-at %s: exit 2 (got %d: %s)" % (value, p.returncode,
                                                                  p.stderr.strip()))
    check(says in p.stderr, "--start-at %s: says '%s' (%s)" % (value, says, p.stderr.strip()))
    check(not os.path.exists(out), "--start-at %s: no run directory" % value)


def wait_for(pred, what, limit=30):
    deadline = time.time() + limit
    while not pred():
        if time.time() > deadline:
            raise SystemExit("FAIL: timed out waiting for " + what)
        time.sleep(0.05)


# ---- 2. SIGINT during the wait before the origin
out = os.path.join(d, "waiting")
errf = open(os.path.join(d, "waiting.err"), "w+")
proc = subprocess.Popen([incarne, "run", plan, "--out", out, "--start-at", str(now + 120)],
                        stdout=subprocess.PIPE, stderr=errf, text=True)


def err_text():
    errf.flush()
    with open(errf.name) as f:
        return f.read()


wait_for(lambda: "waiting for the origin" in err_text(), "the countdown")
m = re.search(r"starts in (?:(\d+)m)?(?:(\d+)s)?", err_text())
left = int(m.group(1) or 0) * 60 + int(m.group(2) or 0)
check(90 <= left <= 120, "the countdown names the time left (%s)" % m.group(0))
t0 = time.time()
proc.send_signal(signal.SIGINT)
proc.communicate(timeout=30)
took = time.time() - t0
check(proc.returncode == 0, "SIGINT while waiting: exit 0 (got %d)" % proc.returncode)
check(took < 5, "SIGINT while waiting: stopped at once (%.1f s)" % took)
check("\r" not in err_text() and "\033" not in err_text(),
      "stderr is not a terminal: plain lines")
rep = report(incarne, out)
check(rep["hits"] == 0 and rep.get("sent", 0) == 0, "nothing fired (%s hits)" % rep["hits"])

# ---- 3. SIGTERM during a backlog of late shots
out = os.path.join(d, "backlog")
proc = subprocess.Popen([incarne, "run", plan, "--out", out, "--start-at", str(time.time() - 55)],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
wait_for(lambda: os.path.exists(os.path.join(out, "stats.jsonl")), "the run to start")
time.sleep(1.5)
t0 = time.time()
proc.send_signal(signal.SIGTERM)
stdout, stderr = proc.communicate(timeout=60)
took = time.time() - t0
check(proc.returncode == 0, "SIGTERM in a backlog: exit 0 (got %d)" % proc.returncode)
check(took < 10, "SIGTERM in a backlog: stopped promptly (%.1f s)" % took)
rep = report(incarne, out)
check(rep["hits"] >= 10, "hits in flight finished (%d)" % rep["hits"])
check(rep["sent"] == rep["hits"], "every sent shot has its record (%d)" % rep["sent"])
check(rep["planned"] > rep["sent"] + 1000,
      "the backlog shows as planned %d > sent %d" % (rep["planned"], rep["sent"]))
print("PASS")
