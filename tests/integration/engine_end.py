#!/usr/bin/env python3
"""The end of a run: every planned shot is fired unless a stop is asked for.

One instance busy 30 ms per hit cannot keep up with 100 shots/s, so shots go out later and
later (overload "delay"). A load.duration equal to the schedule's length cuts nothing: every
planned shot is still fired, late (on the commit before, the hard stop at exactly the
schedule's length cut the late ones — 1–4 under bzt, most of them here). A load.duration
shorter than the schedule is a stop: firing ends there, shots planned after it are not
planned, and what was due but not fired shows as planned > sent. Neither adds an empty second
after the end.

  tests/integration/engine_end.py build/src/incarne
"""
import os

from engine_common import binary, check, report, run, stats_seconds, tmpdir, write

incarne = binary()
d = tmpdir()
plan = write(os.path.join(d, "plan.toml"), """
[target]
nib = "dummy"
[target.dummy]
latency = "30ms"
[load]
schedule = "const(100, 2s)"
instances = 1
[results]
dir = "unused"
""")

out = os.path.join(d, "same-length")
p = run(incarne, ["run", plan, "--out", out, "--set", "load.duration=2s"], timeout=60)
check(p.returncode == 0, "duration = length: exit 0 (%s)" % p.stderr[-300:])
rep = report(incarne, out)
check(rep["planned"] == 200, "duration = length: 200 planned (%d)" % rep["planned"])
check(rep["sent"] == 200, "duration = length: every late shot fired (sent %d)" % rep["sent"])
check(rep["hits"] == 200, "duration = length: 200 hits (%d)" % rep["hits"])
check("/ 2s" in p.stderr and "ETA" in p.stderr, "the live line shows elapsed / planned and ETA")
check("unsent" in p.stderr, "the live line shows the late shots as unsent while they wait")

out = os.path.join(d, "cut")
p = run(incarne, ["run", plan, "--out", out, "--set", "load.duration=1s"], timeout=60)
check(p.returncode == 0, "duration < length: exit 0 (%s)" % p.stderr[-300:])
rep = report(incarne, out)
check(rep["planned"] == 100, "duration < length: only shots before the stop are planned (%d)"
      % rep["planned"])
check(20 <= rep["sent"] < 60, "duration < length: firing stopped at 1 s (sent %d)" % rep["sent"])
check("%d planned shots were not fired" % (rep["planned"] - rep["sent"]) in p.stderr,
      "the shots never fired are stated (%s)" % p.stderr.strip().splitlines()[-1])
secs = stats_seconds(out)
# Second 1 only holds the completions of the hits in flight at 1 s (30 ms), if any.
shown = [(s["second"], s["overall"]["hits"]) for s in secs]
check(shown[0][0] == 0 and all(sec == 1 and hits > 0 for sec, hits in shown[1:]),
      "no empty second after the stop (%s)" % shown)
print("PASS")
