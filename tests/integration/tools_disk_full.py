#!/usr/bin/env python3
"""`convert -o` onto a full filesystem fails with exit 1 and leaves the old file as it was, and
nothing else behind (a 64 KiB tmpfs mounted here; exit 77 when mounting is not permitted).

  tests/integration/tools_disk_full.py build/src/incarne
"""
import os

from engine_common import binary, check, fail, run, small_tmpfs, tmpdir, write

incarne = binary()
d = tmpdir()
mnt = small_tmpfs(d, "64k")
plan = write(os.path.join(d, "plan.toml"), """
[target]
nib = "dummy"
[load]
schedule = "const(3000, 1s)"
[results]
dir = "unused"
""")
out = os.path.join(d, "run")
p = run(incarne, ["run", plan, "--out", out])
if p.returncode != 0:
    fail("incarne run failed: %s" % p.stderr[-2000:])
old = write(os.path.join(mnt, "phout.txt"), "x" * 8192)
p = run(incarne, ["convert", out, "--to", "phout", "-o", old])
check(p.returncode == 1, "convert onto a full filesystem exits 1 (%d: %s)"
      % (p.returncode, p.stderr.strip()))
check("phout.txt" in p.stderr, "the message names the output")
check(os.path.exists(old) and open(old).read() == "x" * 8192, "the old file is as it was")
check(os.listdir(mnt) == ["phout.txt"], "nothing else is left (%s)" % os.listdir(mnt))
print("PASS")
