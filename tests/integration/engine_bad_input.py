#!/usr/bin/env python3
"""Bad input is refused before any shot, with the documented exit code, and leaves nothing
behind: a malformed plan, an unknown key, a bad schedule, missing ammo, an unknown nib, a
bad --shard (exit 2), a target name that does not resolve (exit 1), ammo that does not
compile (exit 2, and the run directory it had created is removed again).

  tests/integration/engine_bad_input.py build/src/incarne
"""
import os

from engine_common import binary, check, run, tmpdir, write

incarne = binary()
d = tmpdir()
n = 0


def case(what, text, want, extra=(), files=None):
    global n
    n += 1
    plan = write(os.path.join(d, "plan%d.toml" % n), text)
    out = os.path.join(d, "run%d" % n)
    p = run(incarne, ["run", plan, "--out", out] + list(extra), timeout=60)
    print("%s -> %d: %s" % (what, p.returncode, p.stderr.strip().splitlines()[-1:]))
    check(p.returncode == want, "%s: exit %d (got %d)" % (what, want, p.returncode))
    check(not os.path.exists(out), "%s: no run directory left" % what)
    check(p.stderr.strip() != "", "%s: says why" % what)
    check("run directory" not in p.stderr, "%s: never started" % what)


DUMMY = """
[target]
nib = "dummy"
[load]
schedule = "const(10, 1s)"
"""
case("malformed TOML", "[target\nnib = 'dummy'\n", 2)
case("unknown key", DUMMY + "[load2]\nx = 1\n", 2)
case("bad schedule", DUMMY.replace("const(10, 1s)", "const(10"), 2)
case("unknown nib", DUMMY.replace('"dummy"', '"nosuchnib"'), 2)
case("missing ammo file", DUMMY + '[ammo]\nfile = "%s"\n' % os.path.join(d, "nope.txt"), 2)
case("http without ammo", DUMMY.replace('"dummy"', '"http"'), 2)
case("bad shard", DUMMY, 2, extra=["--shard", "3/2"])
case("bad --set", DUMMY, 2, extra=["--set", "load.instances=-5"])
case("unresolvable target",
     '[target]\nnib = "http"\naddress = "no-such-host.invalid:80"\n'
     '[ammo]\nuris = ["/"]\n[load]\nschedule = "const(10, 1s)"\n', 1)
bad_ammo = write(os.path.join(d, "bad.stpd"), "12 0 x\nshort\n")
case("ammo that does not compile",
     DUMMY + '[ammo]\nfile = "%s"\nformat = "stpd"\n' % bad_ammo, 2)
p = run(incarne, ["run"], timeout=30)
check(p.returncode == 2, "no plan: exit 2 (usage)")
p = run(incarne, ["run", "--help"], timeout=30)
check(p.returncode == 0 and "usage: incarne run" in p.stdout, "--help: usage on stdout, exit 0")
print("PASS")
