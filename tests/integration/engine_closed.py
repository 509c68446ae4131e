#!/usr/bin/env python3
"""The closed (instances) model on the dummy nib with 1 ms replies.

const(8, 3s): never more than 8 hits in flight, each instance fires its next hit as soon as
the previous one finished (so about 8 × 1000 hits/s; printed, and checked only loosely —
performance lives in the benchmarks), planned = start. line(1, 8, 2s) const(8, 1s): at no
time more hits in flight than instances started by then (`incarne schedule --model
instances` is the oracle).

  tests/integration/engine_closed.py build/src/incarne
"""
import bisect
import os

from engine_common import (binary, check, max_concurrency, records, run, schedule_ns, tmpdir,
                           write)

incarne = binary()
d = tmpdir()


def plan(name, schedule):
    return write(os.path.join(d, name + ".toml"), """
[target]
nib = "dummy"
[target.dummy]
latency = "1ms"
[load]
model = "instances"
schedule = "%s"
[results]
dir = "unused"
""" % schedule)


out = os.path.join(d, "const")
p = run(incarne, ["run", plan("const", "const(8, 3s)"), "--out", out])
check(p.returncode == 0, "const(8, 3s): exit 0 (%d) %s" % (p.returncode, p.stderr[-500:]))
recs = records(incarne, out)
conc = max_concurrency(recs)
rate = len(recs) / 3.0
print("const(8, 3s): %d hits, %.0f hits/s, max in flight %d" % (len(recs), rate, conc))
check(conc <= 8, "never more than 8 in flight")
check(conc == 8, "all 8 instances ran")
check(rate <= 8 * 1000 * 1.01, "at most one hit per instance per ms")
check(rate >= 8 * 1000 * 0.25, "instances refire right after a reply (loose bound)")
check(all(r["planned_ns"] == r["start_ns"] for r in recs), "closed model: planned = start")
check(all(r["done_ns"] - r["start_ns"] >= 1000000 for r in recs), "every reply took >= 1 ms")
check(all(r["start_ns"] < 3 * 10**9 for r in recs), "no hit starts after the schedule ends")

expr = "line(1, 8, 2s) const(8, 1s)"
starts = schedule_ns(incarne, expr, model="instances")
check(len(starts) == 8, "the ramp starts 8 instances")
out = os.path.join(d, "line")
p = run(incarne, ["run", plan("line", expr), "--out", out])
check(p.returncode == 0, "ramp: exit 0 (%s)" % p.stderr[-500:])
recs = records(incarne, out)
ev = sorted([(r["start_ns"], 1) for r in recs] + [(r["done_ns"], -1) for r in recs],
            key=lambda e: (e[0], e[1]))
cur = 0
worst = 0
for t, delta in ev:
    cur += delta
    allowed = bisect.bisect_right(starts, t)
    worst = max(worst, cur - allowed)
check(worst <= 0, "in flight never exceeds the instances started so far")
first = min(r["start_ns"] for r in recs)
check(first >= starts[0], "the first hit is not before the first instance start")
late = [r for r in recs if r["start_ns"] >= starts[-1]]
check(max_concurrency(late) == 8, "after the ramp all 8 instances run")
print("PASS")
