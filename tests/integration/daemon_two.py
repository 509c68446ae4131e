#!/usr/bin/env python3
"""Two daemons on one spool with 10 queued jobs: each job runs exactly once
(docs/daemon.md §3 "Claim").

Both daemons watch the spool (inotify) before the jobs are queued, so they race for every one.
Each job ends in done/ with a result file naming a run directory of its own; there are exactly
10 run directories, one per job, each with as many hits as its plan planned; both daemons log
only the jobs they claimed, and no job is claimed twice.

  tests/integration/daemon_two.py build/src/incarne
"""
import os
import re

from daemon_common import Setup, check, dummy_plan, read_json, start_daemon, stop_daemon, wait_for
from engine_common import binary

incarne = binary()
s = Setup()
a = start_daemon(incarne, s)
b = start_daemon(incarne, s)
wait_for(lambda: os.path.isdir(s.path("rejected")), "the spool made")
# Both have written a status (each writes it once ready); the jobs race from here.
names = ["job%02d.toml" % i for i in range(10)]
for i, name in enumerate(names):
    s.queue(name, dummy_plan("const(%d, 200ms)" % (50 + 10 * i)))
wait_for(lambda: all(os.path.exists(s.path("done", n)) for n in names), "10 jobs done",
         timeout=120)
_, _, err_a = stop_daemon(a)
_, _, err_b = stop_daemon(b)
print(err_a[-2000:])
print(err_b[-2000:])
started = re.findall(r"(job\d\d\.toml): starting", err_a) + \
    re.findall(r"(job\d\d\.toml): starting", err_b)
print("daemon A ran %d jobs, daemon B %d" % (len(re.findall(r": starting", err_a)),
                                              len(re.findall(r": starting", err_b))))
check(sorted(started) == sorted(names), "each job started exactly once (%s)" % sorted(started))
runs = sorted(os.listdir(s.runs))
check(len(runs) == 10, "10 run directories (%s)" % runs)
seen = set()
for i, name in enumerate(names):
    r = s.result(name)
    shots = (50 + 10 * i) // 5
    check(r["exit"] == 0 and r["hits"] == shots, "%s: exit 0, %d hits (%s)" % (name, shots, r))
    check(r["run_dir"] not in seen, "%s: a run directory of its own" % name)
    seen.add(r["run_dir"])
    summ = read_json(os.path.join(r["run_dir"], "summary.json"))
    check(summ["hits"] == shots, "%s: its run directory is complete" % name)
check(os.listdir(s.path("active")) == [] and os.listdir(s.path("rejected")) == [],
      "nothing left in active/, nothing rejected")
print("daemon_two: all checks passed")
