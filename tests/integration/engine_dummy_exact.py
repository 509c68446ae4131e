#!/usr/bin/env python3
"""The dummy nib at const(20000, 3s): exactly 60000 records, none missing or duplicated, the
planned times exactly the schedule's (`incarne schedule` is the oracle), every hit ok, and
each second's fired count within 0.5% of the planned one.

  tests/integration/engine_dummy_exact.py build/src/incarne
"""
import os

from engine_common import (binary, check, fail, records, report, run, schedule_ns,
                           stats_seconds, tmpdir, write)

incarne = binary()
d = tmpdir()
plan = write(os.path.join(d, "plan.toml"), """
[target]
nib = "dummy"
[load]
schedule = "const(20000, 3s)"
instances = 1000
[results]
dir = "unused"
""")
out = os.path.join(d, "run")
p = run(incarne, ["run", plan, "--out", out])
print(p.stderr[-2000:])
check(p.returncode == 0, "incarne run exits 0 (got %d)" % p.returncode)
for f in ["plan.toml", "hits", "stats.jsonl", "summary.json", "incarne.log"]:
    check(os.path.isfile(os.path.join(out, f)), "run directory has " + f)

expected = schedule_ns(incarne, "const(20000, 3s)")
check(len(expected) == 60000, "the schedule has 60000 shots")
recs = records(incarne, out)
check(len(recs) == 60000, "60000 records (got %d)" % len(recs))
planned = sorted(r["planned_ns"] for r in recs)
check(len(set(planned)) == 60000, "no planned time twice")
check(planned == expected, "planned times are exactly the schedule's")
check(all(r["net_code"] == 0 for r in recs), "every hit ok")
check(all(r["start_ns"] >= r["planned_ns"] for r in recs), "no hit starts before it is due")
workers = {r["worker"] for r in recs}
print("workers:", sorted(workers))

rep = report(incarne, out)
check(rep["hits"] == 60000, "report: 60000 hits")
check(rep.get("planned") == 60000 and rep.get("sent") == 60000,
      "report: planned = sent = 60000 (%s/%s)" % (rep.get("planned"), rep.get("sent")))

secs = [s for s in stats_seconds(out) if s["second"] < 3]
check(len(secs) == 3, "three full seconds in stats.jsonl")
for s in secs:
    dev = abs(s["sent"] - s["planned"]) / s["planned"]
    print("second %d: planned %d sent %d done %d" % (s["second"], s["planned"], s["sent"],
                                                    s["overall"]["hits"]))
    check(s["planned"] == 20000, "second %d: 20000 planned" % s["second"])
    check(dev <= 0.005, "second %d: fired within 0.5%% of planned (%.3f%%)"
          % (s["second"], dev * 100))
print("PASS")
