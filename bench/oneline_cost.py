#!/usr/bin/python3
"""The one-liner costs nothing: the same load through a plan file and through `incarne run
URL` must spend the same client CPU per hit (docs/cli.md "One-line runs").

    bench/oneline_cost.py bin/incarne [--rate 20000] [--duration 5s] [--runs 3] [--threads 1]

Starts `incarne sink` on loopback, writes the one-liner's plan with --print-plan, then runs
both forms in pairs, --runs pairs, the order swapped from pair to pair. CPU per hit
= user+sys of the incarne process (wait4 rusage) / hits in the run directory's report.
Prints each run, the medians and the minima of CPU per hit of both forms and their ratios
(one-liner / plan file).

Both forms run the same plan (checked: the run directories' plan.toml differ only in the
first line, which names where the plan came from), so all they can differ in is the work
before the first hit. That part is measured on its own, without the noise of a load: CPU of
`incarne run URL ... --print-plan` (CLI11, the builder, loading and formatting the plan) minus
CPU of `incarne --version` (starting the process), minimum of 20 calls each, divided by the
hits of a run and by the plan file's CPU per hit. It counts the one-liner's whole plan load as
extra, although a plan file is loaded too: an upper bound. The exit status judges that bound
(ratio <= 1.02); the interleaved runs are printed beside it, as a check that nothing else
differs, but on a loaded shared VM their medians move by 10-20 % from run to run.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def run_once(argv, out_dir, exe):
    start = time.monotonic()
    p = subprocess.Popen(argv + ["--out", out_dir], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("oneline_cost: %s exited %d" % (" ".join(argv), os.waitstatus_to_exitcode(status)))
    rep = json.loads(subprocess.run([exe, "report", out_dir, "--json"], capture_output=True,
                                    text=True, check=True).stdout)
    hits = rep["hits"]
    ok = rep["overall"]["proto_codes"].get("200", 0)
    return (ru.ru_utime + ru.ru_stime) / hits * 1e6, hits, ok, wall


def cpu_of(argv):
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("oneline_cost: %s failed" % " ".join(argv))
    return ru.ru_utime + ru.ru_stime


def body_of(path):
    with open(path) as f:
        return f.read().split("\n", 1)[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("incarne")
    ap.add_argument("--rate", type=int, default=20000)
    ap.add_argument("--duration", default="5s")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    exe = os.path.abspath(a.incarne)
    work = tempfile.mkdtemp(prefix="incarne-oneline-bench.")
    sink = subprocess.Popen([exe, "sink", "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        addr = sink.stdout.readline().strip().removeprefix("listening on ")
        url = "http://%s/" % addr
        oneline = [exe, "run", url, "-r", str(a.rate), "-d", a.duration, "-t", str(a.threads),
                   "--set", "results.hits=errors", "--set", "results.html=false"]
        plan = os.path.join(work, "plan.toml")
        with open(plan, "w") as f:
            subprocess.run(oneline + ["--print-plan"], stdout=f, check=True)
        by_file = [exe, "run", plan]
        cost = {"plan": [], "oneline": []}
        for i in range(a.runs):
            pair = (("plan", by_file), ("oneline", oneline))
            for name, argv in pair if i % 2 == 0 else pair[::-1]:  # neither always first
                us, hits, ok, wall = run_once(argv, os.path.join(work, "%s%d" % (name, i)), exe)
                cost[name].append(us)
                print("%-8s run %d: %d hits (%d 200), %.2f us CPU/hit, %.1f s" %
                      (name, i + 1, hits, ok, us, wall))
        if body_of(os.path.join(work, "plan0", "plan.toml")) != body_of(
                os.path.join(work, "oneline0", "plan.toml")):
            sys.exit("oneline_cost: the two forms ran different plans")
        build = min(cpu_of(oneline + ["--print-plan"]) for _ in range(20))
        start = min(cpu_of([exe, "--version"]) for _ in range(20))
        hits = a.rate * (int(a.duration.rstrip("s")) if a.duration.endswith("s") else 1)
        extra = max(0.0, build - start) / hits * 1e6
        print("before the first hit: --print-plan %.1f ms CPU, --version %.1f ms; the "
              "one-liner's extra at most %.3f us/hit over %d hits" %
              (build * 1e3, start * 1e3, extra, hits))
        med = {k: statistics.median(v) for k, v in cost.items()}
        low = {k: min(v) for k, v in cost.items()}
        print("median CPU/hit: plan file %.2f us, one-liner %.2f us; ratio %.3f" %
              (med["plan"], med["oneline"], med["oneline"] / med["plan"]))
        print("minimum CPU/hit: plan file %.2f us, one-liner %.2f us; ratio %.3f" %
              (low["plan"], low["oneline"], low["oneline"] / low["plan"]))
        ratio = 1 + extra / med["plan"]
        print("CPU per hit, one-liner / plan file: at most %.4f (the setup bound)" % ratio)
        return 0 if ratio <= 1.02 else 1
    finally:
        sink.terminate()
        sink.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
