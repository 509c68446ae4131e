#!/usr/bin/env python3
"""The daemon's cost (docs/daemon.md "Performance"): the same plan through `incarne daemon
--once` and through `incarne run`, CPU (user+sys of the process and its threads) per hit,
interleaved, median of N; and the CPU the daemon's once-a-second work (status file, metrics
file, STATUS=) costs while idle, from /proc/PID/schedstat (ns on CPU of its one thread).

  bench/daemon_bench.py build/src/incarne                      # 3 runs, const(20000, 5s)
  bench/daemon_bench.py build/src/incarne --runs 5 --schedule 'const(50000, 5s)' --idle 20

Prints one line per run and the medians with their ratio (target: daemon / run <= 1.02, and
status + metrics <= 1 ms CPU per second). The plan uses the dummy nib (no network, 50 us
simulated replies, one worker), so the figure is the launcher's and the daemon's own cost.
"""
import argparse
import atexit
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

PLAN = """
[target]
nib = "dummy"
[target.dummy]
latency = "50us"
[load]
schedule = "%s"
instances = 1000
[workers]
threads = 1
[results]
html = false
hits = "errors"
"""


def child_cpu(fn):
    """CPU seconds (user+sys) of the children that fn runs and waits for."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    fn()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def config(d, metrics=True):
    """The status and metrics files go to a tmpfs (/dev/shm) when there is one, as they go to
    /run under systemd; a rename on a journaling file system costs more than the rest."""
    path = os.path.join(d, "incarned.toml")
    state = d
    if os.access("/dev/shm", os.W_OK):
        state = tempfile.mkdtemp(prefix="incarne-daemon-bench-", dir="/dev/shm")
        atexit.register(shutil.rmtree, state, True)
    with open(path, "w") as f:
        f.write('spool = "%s/spool"\nruns = "%s/runs"\nstatus = "%s/status.json"\n'
                'metrics = "%s"\n' % (d, d, state, (state + "/incarne.prom") if metrics else ""))
    return path


def one_run(incarne, schedule, d):
    plan = os.path.join(d, "plan.toml")
    with open(plan, "w") as f:
        f.write(PLAN % schedule)
    out = os.path.join(d, "run")
    cpu = child_cpu(lambda: subprocess.run([incarne, "run", plan, "--out", out], check=True,
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    with open(os.path.join(out, "summary.json")) as f:
        hits = json.load(f)["hits"]
    return cpu, hits


def one_daemon(incarne, schedule, d):
    cfg = config(d)
    os.makedirs(os.path.join(d, "spool"))
    tmp = os.path.join(d, "spool", ".job.part")
    with open(tmp, "w") as f:
        f.write(PLAN % schedule)
    os.rename(tmp, os.path.join(d, "spool", "job.toml"))
    cpu = child_cpu(lambda: subprocess.run([incarne, "daemon", "--config", cfg, "--once"],
                                           check=True, stdout=subprocess.DEVNULL,
                                           stderr=subprocess.DEVNULL))
    with open(os.path.join(d, "spool", "done", "job.result.json")) as f:
        hits = json.load(f)["hits"]
    return cpu, hits


def idle_cost(incarne, seconds):
    d = tempfile.mkdtemp(prefix="incarne-daemon-bench-")
    try:
        cfg = config(d)
        p = subprocess.Popen([incarne, "daemon", "--config", cfg], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        status = os.path.join(d, "status.json")
        deadline = time.time() + 30
        while not os.path.exists(status) and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(1.5)  # past start-up

        def on_cpu():
            with open("/proc/%d/schedstat" % p.pid) as f:
                return int(f.read().split()[0])

        t0, c0 = time.monotonic(), on_cpu()
        time.sleep(seconds)
        t1, c1 = time.monotonic(), on_cpu()
        p.terminate()
        p.wait(timeout=30)
        return (c1 - c0) / 1e6 / (t1 - t0)  # ms of CPU per second
    finally:
        shutil.rmtree(d, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("incarne")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--schedule", default="const(20000, 5s)")
    ap.add_argument("--idle", type=float, default=10, help="seconds of idle daemon to measure")
    ap.add_argument("--idle-only", action="store_true", help="only the idle daemon's cost")
    a = ap.parse_args()
    incarne = os.path.abspath(a.incarne)
    if a.idle_only:
        print("idle daemon: %.3f ms CPU per second" % idle_cost(incarne, a.idle))
        return 0
    per_hit = {"run": [], "daemon": []}
    for i in range(a.runs):
        for kind, fn in (("run", one_run), ("daemon", one_daemon)):
            d = tempfile.mkdtemp(prefix="incarne-daemon-bench-")
            try:
                cpu, hits = fn(incarne, a.schedule, d)
            finally:
                shutil.rmtree(d, ignore_errors=True)
            per_hit[kind].append(cpu / hits * 1e9)
            print("run %d %-6s %8d hits  %.3f s CPU  %.0f ns CPU/hit" % (
                i + 1, kind, hits, cpu, cpu / hits * 1e9), flush=True)
    m_run = statistics.median(per_hit["run"])
    m_daemon = statistics.median(per_hit["daemon"])
    print("median CPU/hit: incarne run %.0f ns, daemon %.0f ns, ratio daemon/run %.3f "
          "(target <= 1.02)" % (m_run, m_daemon, m_daemon / m_run))
    ms = idle_cost(incarne, a.idle)
    print("idle daemon (status + metrics + STATUS= once a second): %.3f ms CPU per second "
          "(target <= 1 ms)" % ms)
    print("load average: %s" % " ".join(open("/proc/loadavg").read().split()[:3]))


if __name__ == "__main__":
    sys.exit(main())
