#!/usr/bin/env python3
"""Stopping, reloading and crashing `incarne daemon` (docs/daemon.md §1, §3).

- spool/STOP during a run: the run ends within target.timeout + 1 s, the job lands in done/
  with exit 0, STOP is removed, the daemon goes on (idle).
- SIGHUP with a good config (a new cap applies to the next job) and with a bad one (logged,
  the old one kept: the next job still runs).
- SIGTERM mid-run: graceful stop of the run (done/, exit 0), then the daemon exits 0.
- kill -9 mid-run, then a restart: the job goes to rejected/ with why "interrupted" naming
  the partial run directory, it is not run again, and `incarne report` reads that directory.

  tests/integration/daemon_stop.py build/src/incarne
"""
import os
import signal
import time

from daemon_common import (Setup, check, dummy_plan, read_json, start_daemon, stop_daemon,
                           wait_for)
from engine_common import binary, run

incarne = binary()


def status(s):
    try:
        return read_json(s.status)
    except (OSError, ValueError):
        return {}


def running_second(s, name, second=0):
    st = status(s)
    cur = st.get("current") or {}
    return st.get("state") == "running" and cur.get("name") == name and \
        cur.get("last_second", {}).get("second", -1) >= second


LONG = dummy_plan("const(200, 60s)", latency="300ms").replace(
    "[target]\n", "[target]\ntimeout = \"2s\"\n")

# ---- STOP, then SIGHUP good and bad --------------------------------------------------------
s = Setup()
d = start_daemon(incarne, s)
s.queue("long.toml", LONG)
wait_for(lambda: running_second(s, "long.toml"), "long.toml running")
t0 = time.time()
with open(s.path("STOP"), "w"):
    pass
wait_for(lambda: os.path.exists(s.path("done", "long.toml")), "long.toml done", timeout=10)
took = time.time() - t0
check(took < 2 + 1, "STOP ended the run within target.timeout + 1 s (%.2f s)" % took)
r = s.result("long.toml")
check(r["exit"] == 0 and r["hits"] > 0, "stopped run: exit 0 with results (%s)" % r)
check(not os.path.exists(s.path("STOP")), "STOP removed")
check(d.poll() is None, "the daemon goes on after STOP")

# A good new config: a cap that refuses the next job.
s.write_config("[allow]\nmax_instances = 10\n")
# The signal is pending on the daemon's signalfd before the job's rename; an idle daemon
# reads the configuration before it scans the spool again.
d.send_signal(signal.SIGHUP)
s.queue("capped.toml", dummy_plan())
wait_for(lambda: os.path.exists(s.path("rejected", "capped.toml")) or
         os.path.exists(s.path("done", "capped.toml")), "capped.toml handled")
check(os.path.exists(s.path("rejected", "capped.toml")) and
      "max_instances = 10" in s.why("capped.toml"), "SIGHUP: the new cap applies")
# A bad new config: logged, the old one (with the cap) kept.
s.write_config("[allow]\nmax_instances = \"many\"\n")
d.send_signal(signal.SIGHUP)
s.queue("capped2.toml", dummy_plan())
wait_for(lambda: os.path.exists(s.path("rejected", "capped2.toml")) or
         os.path.exists(s.path("done", "capped2.toml")), "capped2.toml handled")
check(os.path.exists(s.path("rejected", "capped2.toml")),
      "SIGHUP with a bad config: the old config (with its cap) is kept")
s.write_config("")
d.send_signal(signal.SIGHUP)
s.queue("small.toml", dummy_plan())
wait_for(lambda: os.path.exists(s.path("done", "small.toml")), "small.toml done")
code, out, err = stop_daemon(d)
print(err[-3000:])
check("refused, the old one stays" in err and "max_instances" in err,
      "the bad config was logged with its error")
check(code == 0, "SIGTERM when idle: exit 0")

# ---- SIGTERM mid-run -------------------------------------------------------------------------
s = Setup()
d = start_daemon(incarne, s)
s.queue("long.toml", LONG)
wait_for(lambda: running_second(s, "long.toml"), "long.toml running")
t0 = time.time()
code, out, err = stop_daemon(d)
print(err[-1500:])
check(code == 0, "SIGTERM mid-run: exit 0 (got %d)" % code)
check(time.time() - t0 < 2 + 2, "stopped within target.timeout + 2 s")
r = s.result("long.toml")
check(r["exit"] == 0 and r["hits"] > 0, "the run was stopped gracefully into done/ (%s)" % r)
check(status(s).get("state") == "stopped", "the last status says stopped")

# ---- kill -9 mid-run, restart ----------------------------------------------------------------
s = Setup()
d = start_daemon(incarne, s)
s.queue("crash.toml", LONG)
wait_for(lambda: running_second(s, "crash.toml", 1), "crash.toml running")
run_dir = status(s)["current"]["run_dir"]
d.send_signal(signal.SIGKILL)
d.communicate(timeout=30)
check(os.path.exists(s.path("active", "crash.toml")), "after kill -9 the job is in active/")
d = start_daemon(incarne, s, ["--once"])
out, err = d.communicate(timeout=60)
code = d.returncode
print(err[-1500:])
check(code == 0, "restart --once: exit 0")
why = s.why("crash.toml")
print(why)
check("interrupted" in why and run_dir in why, "why: interrupted, naming the run directory")
check(not os.path.exists(s.path("done", "crash.toml")), "not run again")
check(len(os.listdir(s.runs)) == 1, "no second run directory")
rep = run(incarne, ["report", run_dir, "--json"])
check(rep.returncode == 0, "incarne report reads the partial run (%s)" % rep.stderr.strip())
check("incomplete run" in rep.stderr, "and says it is incomplete")
print("daemon_stop: all checks passed")
