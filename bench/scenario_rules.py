#!/usr/bin/env python3
"""What [[rules]] cost per hit (docs/scenario.md "Cost"), against one private nginx, in one run.

    bench/scenario_rules.py                                  # build-bench/ (release), 3 runs
    INCARNE=build/src/incarne bench/scenario_rules.py --runs 3 --duration 5
    INCARNE_MAIN=/path/to/main/incarne bench/scenario_rules.py   # + "no rules" of another build

Variants, each the instances model at --conns connections for --duration seconds, interleaved
--runs times (the box is noisy: medians of the runs, with their min–max):

  none        no [[rules]] (the plan incarne always ran)
  main        the same plan with INCARNE_MAIN (the binary before rules existed), when given
  status      one rule on every tag: status = ["2xx"] (a bit test per hit)
  body-1k     GET /1k.bin (1024 bytes of 'x'), one rule: body = '[a-w]{3}|x\\z' — the whole
              reply is kept in the slot's scan buffer and the regex scans all of it before
              it matches at the end (no literal to skip ahead with); against none-1k (the
              same request, no rules)

It prints client CPU µs per hit (user+sys of incarne ÷ its hits), req/s, and the ratios the
scenario work promises: none/main ≤ 1.01, status/none ≤ 1.05, body-1k/none-1k ≤ 1.15.
Templated requests (≤ 1.10) are not measured: templates are not built yet. Nothing here
asserts a figure (docs/design.md §11).
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

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NGINX_SH = os.path.join(ROOT, "tests", "integration", "lib", "nginx.sh")


def sh(cmd, **kw):
    return subprocess.run(cmd, check=False, text=True, capture_output=True, **kw)


def nginx_start():
    env = dict(os.environ, NGINX_NO_TRAP="1")
    script = (f'. "{NGINX_SH}"; nginx_start --v4 >&2 || exit 77; '
              'echo "$NGINX_PORT $NGINX_PID $NGINX_WORKER_PID $NGINX_DIR"')
    r = subprocess.run(["bash", "-c", script], env=env, text=True, capture_output=True)
    if r.returncode != 0:
        sys.exit(f"scenario_rules: nginx did not start: {r.stderr.strip()}")
    port, pid, wpid, d = r.stdout.split()
    return int(port), int(pid), int(wpid), d


def nginx_stop(pid, wpid, d):
    script = (f'. "{NGINX_SH}"; NGINX_PID={pid}; NGINX_WORKER_PID={wpid}; '
              f'NGINX_DIR="{d}"; nginx_stop')
    subprocess.run(["bash", "-c", script])


def ensure_incarne():
    exe = os.environ.get("INCARNE")
    if exe:
        return exe
    bdir = os.path.join(ROOT, "build-bench")
    if not os.path.exists(os.path.join(bdir, "build.ninja")):
        r = sh(["meson", "setup", bdir, "--buildtype=release", "-Ddeveloper_mode=false",
                "-Dtests=disabled", "-Dfuzzing=disabled", "-Dbenchmarks=disabled"], cwd=ROOT,
               env=dict(os.environ, CXX=os.environ.get("CXX", "clang++")))
        if r.returncode != 0:
            sys.exit("scenario_rules: meson setup failed:\n" + r.stdout + r.stderr)
    r = sh(["ninja", "-C", bdir, "-j2", "src/incarne"], cwd=ROOT)
    if r.returncode != 0:
        sys.exit("scenario_rules: build failed:\n" + r.stdout[-3000:])
    return os.path.join(bdir, "src", "incarne")


RULES = {
    "none": "",
    "main": "",
    "status": '\n[[rules]]\nstatus = ["2xx"]\n',
    "none-1k": "",
    "body-1k": "\n[[rules]]\nbody = '[a-w]{3}|x\\z'\n",
}


def plan_text(port, uri, conns, duration, rules):
    return f"""
[target]
address = "127.0.0.1:{port}"
nib = "http"
[ammo]
uris = ["{uri}"]
headers = ["Host: 127.0.0.1"]
[load]
model = "instances"
schedule = "const({conns}, {duration}s)"
[workers]
threads = 1
[results]
hits = "errors"
html = false
""" + rules


def run_one(exe, tmp, port, variant, conns, duration):
    uri = "/1k.bin" if variant.endswith("1k") else "/"
    d = tempfile.mkdtemp(prefix=variant + "-", dir=tmp)
    plan = os.path.join(d, "plan.toml")
    with open(plan, "w") as f:
        f.write(plan_text(port, uri, conns, duration, RULES[variant]))
    run_dir = os.path.join(d, "run")
    t0 = time.monotonic()
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        r = subprocess.run(["/usr/bin/time", "-f", "%U %S", "-o", tf.name, exe, "run", plan,
                            "--out", run_dir], text=True, capture_output=True,
                           timeout=duration + 120)
        u, s = tf.read().split()[-2:]
    wall = time.monotonic() - t0
    if r.returncode != 0:
        sys.exit(f"scenario_rules: {variant}: incarne exited {r.returncode}: {r.stderr[-500:]}")
    rep = json.loads(sh([exe, "report", run_dir, "--json"]).stdout)
    hits = rep["hits"]
    errors = rep["overall"].get("errors", 0)
    shutil.rmtree(d, ignore_errors=True)
    return {"us_per_hit": (float(u) + float(s)) * 1e6 / max(hits, 1), "rps": hits / wall,
            "errors": errors}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--conns", type=int, default=50)
    args = ap.parse_args()
    exe = ensure_incarne()
    main_exe = os.environ.get("INCARNE_MAIN")
    variants = ["none"] + (["main"] if main_exe else []) + ["status", "none-1k", "body-1k"]
    port, pid, wpid, nd = nginx_start()
    tmp = tempfile.mkdtemp(prefix="incarne-scenario-bench-")
    results = {v: [] for v in variants}
    try:
        for i in range(args.runs):
            for v in variants:
                res = run_one(main_exe if v == "main" else exe, tmp, port, v, args.conns,
                              args.duration)
                results[v].append(res)
                print(f"run {i + 1} {v:8s} {res['us_per_hit']:7.2f} µs/hit "
                      f"{res['rps']:9.0f} req/s errors {res['errors']}", flush=True)
    finally:
        nginx_stop(pid, wpid, nd)
        shutil.rmtree(tmp, ignore_errors=True)

    med = {}
    print(f"\nincarne {exe}, {args.conns} connections, {args.duration} s, {args.runs} runs "
          "(median, min–max)")
    for v in variants:
        xs = [r["us_per_hit"] for r in results[v]]
        med[v] = statistics.median(xs)
        print(f"  {v:8s} {med[v]:7.2f} µs/hit ({min(xs):.2f}–{max(xs):.2f})  "
              f"{statistics.median(r['rps'] for r in results[v]):9.0f} req/s")
    print("ratios (CPU per hit):")
    if "main" in med:
        print(f"  none / main       {med['none'] / med['main']:.3f}   (goal ≤ 1.01)")
    print(f"  status / none     {med['status'] / med['none']:.3f}   (goal ≤ 1.05)")
    print(f"  body-1k / none-1k {med['body-1k'] / med['none-1k']:.3f}   (goal ≤ 1.15)")


if __name__ == "__main__":
    main()
