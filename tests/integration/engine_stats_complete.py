#!/usr/bin/env python3
"""No hit is ever missing from the stats: the dummy nib flat out (instances model, no rate
limit) through result rings of 64 records, far too small for the raw records.

- instances, results.hits = "all": the workers wait for ring room (a stall, reported as
  ring_wait_ms), so every hit is in stats.jsonl, the summary AND the hits file;
- instances, results.hits = "errors": no raw record at all, the stats count every hit;
- rps at 200 000/s, results.hits = "all": raw records are lost (ring_dropped, counted), the
  stats still count every shot fired.
In each: stats.jsonl's hits summed == summary.json hits == the shots the workers fired
(incarne.log "workers done: N shots fired").

  tests/integration/engine_stats_complete.py build/src/incarne
"""
import os
import re

from engine_common import binary, check, report, run, stats_seconds, tmpdir, write

incarne = binary()
d = tmpdir()
env = dict(os.environ, INCARNE_RING_RECORDS="64")


def plan(name, load, hits):
    return write(os.path.join(d, name + ".toml"), """
[target]
nib = "dummy"
[load]
%s
[workers]
threads = 2
[results]
dir = "unused"
hits = "%s"
html = false
""" % (load, hits))


def fired_of(run_dir):
    with open(os.path.join(run_dir, "incarne.log")) as f:
        m = re.search(r"workers done: (\d+) shots fired", f.read())
    check(m is not None, "incarne.log says how many shots the workers fired")
    return int(m.group(1))


def case(name, load, hits):
    out = os.path.join(d, name)
    p = run(incarne, ["run", plan(name, load, hits), "--out", out], env=env)
    check(p.returncode == 0, "%s: exit 0 (%d) %s" % (name, p.returncode, p.stderr[-800:]))
    fired = fired_of(out)
    secs = stats_seconds(out)
    in_seconds = sum(s["overall"]["hits"] for s in secs)
    rep = report(incarne, out)
    print("%s: fired %d, stats.jsonl %d, summary %d, ring_dropped %d, ring_wait_ms %.3f, "
          "hits written %d" % (name, fired, in_seconds, rep["hits"], rep["ring_dropped"],
                               rep["ring_wait_ms"], rep["hits_kept"]["written"]))
    check(fired > 0, "%s: the workers fired" % name)
    check(in_seconds == fired, "%s: stats.jsonl counts every hit fired (%d of %d)"
          % (name, in_seconds, fired))
    check(rep["hits"] == fired, "%s: the summary counts every hit fired" % name)
    check(all("ring_wait_ms" in s for s in secs), "%s: every second reports ring_wait_ms" % name)
    return fired, rep


# Closed model, every raw record kept: the worker waits, nothing is lost anywhere.
fired, rep = case("closed-all", 'model = "instances"\nschedule = "const(4, 1s)"', "all")
check(rep["ring_dropped"] == 0, "closed-all: no raw record lost (%d)" % rep["ring_dropped"])
check(rep["hits_kept"]["written"] == fired, "closed-all: every raw record in the hits file")
check(rep["ring_wait_ms"] > 0, "closed-all: the stall is reported (ring_wait_ms)")

# Closed model, only errors kept (none): the rings carry nothing, the stats everything.
fired, rep = case("closed-errors", 'model = "instances"\nschedule = "const(4, 1s)"', "errors")
check(rep["hits_kept"]["written"] == 0, "closed-errors: no raw record (no error)")

# Open model, far more raw records than the ring holds: they are lost, counted; hits are not.
fired, rep = case("open-all", 'schedule = "const(200000, 1s)"\ninstances = 1000', "all")
check(rep["ring_dropped"] + rep["hits_kept"]["written"] == fired,
      "open-all: raw records written + lost = hits (%d + %d vs %d)"
      % (rep["hits_kept"]["written"], rep["ring_dropped"], fired))
print("PASS")
