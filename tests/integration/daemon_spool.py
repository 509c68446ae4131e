#!/usr/bin/env python3
"""The spool protocol of `incarne daemon --once` (docs/daemon.md §3, §4).

- Two plans queued run in order (mtime), both end in done/ with result files, their run
  directories are complete (summary.json agrees with the result file).
- A plan aimed at 10.0.0.1 (outside the default allowlist) is rejected with a why naming
  target.address and the allowlist, and no connect(2) is made at all (strace -f), no run
  directory is created. A malformed plan's why is `incarne check`'s message (file:line:col).
- A symlink, a group-writable and a foreign-owned control file are refused.
- Names that are not jobs (dotfiles, *.tmp, ammo) are left alone.

  tests/integration/daemon_spool.py build/src/incarne
"""
import os
import shutil
import subprocess
import sys

from daemon_common import Setup, check, dummy_plan, read_json, start_daemon, stop_daemon
from engine_common import SKIP, Sink, binary, report, run

incarne = binary()


def run_once(setup, prefix=()):
    cmd = list(prefix) + [incarne, "daemon", "--config", setup.config, "--once"]
    env = dict(os.environ)
    if prefix:  # LeakSanitizer cannot run under ptrace (sanitized builds)
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    print(p.stderr[-3000:])
    return p


# ---- two plans in order ----------------------------------------------------------------------
s = Setup()
s.queue("first.toml", dummy_plan("const(100, 1s)"))
os.utime(s.path("first.toml"), (1000000000, 1000000000))  # older: runs first
s.queue("second.toml", dummy_plan("const(150, 1s)"))
os.makedirs(s.spool, exist_ok=True)
for ignored in (".hidden.toml", "later.toml.tmp", "ammo.txt"):
    with open(s.path(ignored), "w") as f:
        f.write("not a job\n")
p = run_once(s)
check(p.returncode == 0, "--once drains the queue and exits 0 (got %d)" % p.returncode)
check(p.stderr.find("first.toml: starting") < p.stderr.find("second.toml: starting"),
      "the older job ran first")
for name, shots in (("first.toml", 100), ("second.toml", 150)):
    check(os.path.isfile(s.path("done", name)), "%s moved to done/" % name)
    r = read_json(s.path("done", name.replace(".toml", ".result.json")))
    check(set(r) >= {"run_dir", "exit", "hits", "errors", "started", "ended"},
          "%s: result file has run_dir, exit, hits, errors, started, ended" % name)
    check(r["exit"] == 0 and r["hits"] == shots and r["errors"] == 0,
          "%s: exit 0, %d hits (%s)" % (name, shots, r))
    check(r["run_dir"].startswith(s.runs + "/" + name[:-5] + "-"), "run dir runs/NAME-{time}")
    check(r["started"] <= r["ended"], "started <= ended")
    summ = read_json(os.path.join(r["run_dir"], "summary.json"))
    check(summ["hits"] == shots, "%s: summary.json agrees (%d hits)" % (name, summ["hits"]))
    rep = report(incarne, r["run_dir"])
    check(rep["hits"] == shots, "%s: incarne report reads the run" % name)
for ignored in (".hidden.toml", "later.toml.tmp", "ammo.txt"):
    check(os.path.isfile(s.path(ignored)), "%s left alone" % ignored)
check(os.listdir(s.path("active")) == [], "active/ is empty after the run")
check(len(os.listdir(s.runs)) == 2, "two run directories")

# ---- retention: keep_runs = 1 keeps the newest run directory only ---------------------------
s = Setup(extra="[retention]\nkeep_runs = 1\n")
s.queue("old.toml", dummy_plan("const(10, 100ms)"))
os.utime(s.path("old.toml"), (1000000000, 1000000000))
s.queue("new.toml", dummy_plan("const(10, 100ms)"))
p = run_once(s)
check(p.returncode == 0, "exit 0")
kept = os.listdir(s.runs)
check(len(kept) == 1 and os.path.join(s.runs, kept[0]) == s.result("new.toml")["run_dir"],
      "retention keep_runs = 1: only the newest run directory is left (%s)" % kept)
check("retention: removed " + s.result("old.toml")["run_dir"] in p.stderr,
      "the removal is logged")

# ---- rejected before anything is sent ------------------------------------------------------
s = Setup()
s.queue("far.toml", """
[target]
address = "10.0.0.1:80"
nib = "http"
timeout = "1s"
[ammo]
uris = ["/"]
[load]
schedule = "const(10, 1s)"
""")
bad_text = "[load]\nschedule = \"const(10, 1s)\"\ninstances = \"ten\"\n"
s.queue("bad.toml", bad_text)
with open(os.path.join(s.dir, "bad.toml"), "w") as f:
    f.write(bad_text)
strace = shutil.which("strace")
trace = os.path.join(s.dir, "strace.txt")
# The engine connects and sends through io_uring, which strace does not see as connect(2):
# so no io_uring_setup(2) and no AF_INET socket(2) at all is the proof that nothing was sent.
TRACED = "trace=connect,socket,io_uring_setup"
prefix = [strace, "-f", "-qq", "-e", TRACED, "-o", trace] if strace else []
p = run_once(s, prefix)
check(p.returncode == 0, "--once exits 0 after rejecting (got %d)" % p.returncode)
why = s.why("far.toml")
print(why)
check("target.address" in why and "10.0.0.1" in why and "[allow] targets" in why and
      "127.0.0.0/8" in why, "why names target.address, the address and the allowlist")
check(os.path.isfile(s.path("rejected", "far.toml")), "far.toml moved to rejected/")
check(not os.path.exists(s.runs) or os.listdir(s.runs) == [], "no run directory created")
if strace:
    with open(trace) as f:
        calls = [l for l in f if "connect(" in l or "socket(" in l or "io_uring_setup(" in l]
    print("".join(calls))
    check(not any("AF_INET" in l or "io_uring_setup(" in l for l in calls),
          "no connect(), no AF_INET socket and no io_uring ring at all (strace -f)")
    # The same tracing sees a job that runs (so the check above can fail).
    s2 = Setup()
    s2.queue("ok.toml", dummy_plan("const(10, 100ms)"))
    trace2 = os.path.join(s2.dir, "strace.txt")
    run_once(s2, [strace, "-f", "-qq", "-e", TRACED, "-o", trace2])
    with open(trace2) as f:
        check("io_uring_setup(" in f.read(), "control: the same strace sees a real run's ring")
else:
    print("note: strace missing; the no-connect check is skipped")
# The why is what `incarne check` prints for the same text under the same name.
check_p = run(incarne, ["check", os.path.join(s.dir, "bad.toml")])
expected = check_p.stderr.strip().replace("incarne check: ", "", 1).replace(
    os.path.join(s.dir, "bad.toml"), s.path("bad.toml"))
got = s.why("bad.toml").strip()
print(got)
check(got == expected, "malformed plan: why = incarne check's message (%r)" % expected)
check(got.startswith(s.path("bad.toml") + ":3:13: load.instances"), "why has file:line:col")

# ---- unsafe control files ------------------------------------------------------------------
s = Setup()
os.makedirs(s.spool)
target = os.path.join(s.dir, "elsewhere.toml")
with open(target, "w") as f:
    f.write(dummy_plan())
os.symlink(target, s.path("link.toml"))
s.queue("groupw.toml", dummy_plan(), mode=0o664)
s.queue("otherw.toml", dummy_plan(), mode=0o646)
foreign = os.geteuid() == 0
if foreign:
    s.queue("foreign.toml", dummy_plan())
    os.chown(s.path("foreign.toml"), 65534, 65534)
p = run_once(s)
check(p.returncode == 0, "exit 0")
check("symbolic link" in s.why("link.toml"), "symlink refused")
check(os.path.islink(s.path("rejected", "link.toml")), "the symlink itself moved, not followed")
check(os.path.isfile(target), "the symlink's target untouched")
check("writable by its group" in s.why("groupw.toml"), "group-writable refused")
check("writable by others" in s.why("otherw.toml"), "other-writable refused")
if foreign:
    check("owned by uid 65534" in s.why("foreign.toml"), "foreign-owned refused")
else:
    print("note: not root; the foreign-owner case is skipped")
check(not os.path.exists(s.runs) or os.listdir(s.runs) == [], "no run directory created")

# ---- a Tank config, run as `incarne run --tank` -----------------------------------------------
sink = Sink(incarne)
s = Setup()
s.queue("tank.yaml", """phantom:
  address: %s
  load_profile:
    load_type: rps
    schedule: const(50, 1s)
  instances: 10
  threads: 1
  uris:
    - /
""" % sink.address)
s.queue("badtank.yaml", "phantom:\n  address: [127.0.0.1\n  uris: [/]\n")
p = run_once(s)
sink.stop()
check(p.returncode == 0, "exit 0")
r = s.result("tank.yaml")
check(r["exit"] == 0 and r["hits"] == 50 and r["errors"] == 0,
      "tank.yaml ran against the sink: 50 hits, no errors (%s)" % r)
check(os.path.isfile(os.path.join(r["run_dir"], "phout.log")),
      "its run directory has phout.log, as with run --tank")
why = s.why("badtank.yaml")
print(why)
check(why.startswith(s.path("badtank.yaml") + ":"), "a bad Tank config's why names file:line")

# ---- bad configuration -----------------------------------------------------------------------
s = Setup(extra="[allow]\nmax_rsp = 10\n")
p = run_once(s)
check(p.returncode == 2, "unknown config key: exit 2 (got %d)" % p.returncode)
check("%s:6:1: unknown key 'max_rsp' in [allow]" % s.config in p.stderr,
      "the message names file:line:col and the key")
check("did you mean 'max_rps'" in p.stderr, "and suggests the right one")
print("daemon_spool: all checks passed")
