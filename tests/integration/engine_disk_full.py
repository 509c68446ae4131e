#!/usr/bin/env python3
"""Disk full: a run whose run directory is on an 8 MB tmpfs that fills up ends with exit 1
and a message naming the file, and what was written is readable by `report` and `convert`.
Skipped (77) where mounting a tmpfs is not permitted.

  tests/integration/engine_disk_full.py build/src/incarne
"""
import json
import os

from engine_common import binary, check, run, small_tmpfs, tmpdir, write

incarne = binary()
d = tmpdir()
mnt = small_tmpfs(d, "8m")
plan = write(os.path.join(d, "plan.toml"), """
[target]
nib = "dummy"
[target.dummy]
latency = "1ms"
[load]
schedule = "const(50000, 8s)"
instances = 1000
[results]
dir = "unused"
""")
out = os.path.join(mnt, "run")
# 400k records of 64 bytes need ~25 MB: the hits file fills the 8 MB early.
p = run(incarne, ["run", plan, "--out", out], timeout=90)
print(p.stderr[-600:])
check(p.returncode == 1, "disk full: exit 1 (got %d)" % p.returncode)
check(os.path.join(out, "hits") in p.stderr and "No space left" in p.stderr,
      "the message names the file and the reason")
r = run(incarne, ["report", out, "--json"])
check(r.returncode == 0, "report reads it (%s)" % r.stderr.strip())
rep = json.loads(r.stdout)
check(rep["hits"] > 10000, "the aggregates hold the seconds written (%d hits)" % rep["hits"])
c = run(incarne, ["convert", out, "--to", "jsonl"])
check(c.returncode == 0, "convert reads it (%s)" % c.stderr.strip())
lines = c.stdout.count("\n")
check(lines > 10000, "convert gives the records that were written (%d)" % lines)
print("PASS")
