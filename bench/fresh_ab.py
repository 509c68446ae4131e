#!/usr/bin/python3
"""The open model with a connection per hit: client CPU per hit and timings of several incarne
binaries (or settings), run interleaved against one private nginx on loopback — the
before/after comparison for the fresh-connection path (docs/engine.md "Fresh connections").
Reuses scripts/bench-peers' nginx and measurement (client CPU = user+sys of incarne ÷
requests nginx counted).

  bench/fresh_ab.py --rates "500 5000" --runs 3 --duration 4 \\
      before=/tmp/incarne-old after=build-bench/src/incarne
  # a label may carry environment settings for its runs: NAME=BINARY:VAR=VALUE,VAR=VALUE

Each run: `model = "rps"`, `const(RATE, DURATION)`, 200 instances, one worker, preconnect
off, every request saying `Connection: close` (--spelling max1: `max_requests_per_connection
= 1` instead, where incarne adds the header). Prints one line per run to stderr and a
markdown table of medians (min–max) per binary and rate: CPU µs/hit, service p50 (done −
start), connect phase mean, lag p99.
"""
import argparse
import importlib.machinery
import importlib.util
import json
import os
import statistics
import sys
import tempfile

import benchlib

HERE = os.path.dirname(os.path.abspath(__file__))
loader = importlib.machinery.SourceFileLoader(
    "bench_peers", os.path.join(HERE, "..", "scripts", "bench-peers"))
spec = importlib.util.spec_from_loader("bench_peers", loader)
bp = importlib.util.module_from_spec(spec)
loader.exec_module(bp)


def run_one(exe, nginx, tmp, tag, rate, args):
    extra_http = "preconnect = false\n"
    if args.spelling == "max1":
        extra_http += "max_requests_per_connection = 1\n"
    plan, run_dir = bp.incarne_plan(tmp, tag, nginx.port, "rps", f"const({rate}, {args.duration}s)",
                                    200, args.spelling == "ammo", "all", 1,
                                    target_extra=f"[target.http]\n{extra_http}")
    before = nginx.requests()
    out, err, cpu, rss, wall = bp.timed([exe, "run", plan, "--out", run_dir], args.duration + 60)
    reqs = nginx.requests() - before - 1
    rep = json.loads(bp.sh([exe, "report", run_dir, "--json"]).stdout)
    o = rep["overall"]
    conn = []
    for line in bp.sh([exe, "convert", run_dir, "--to", "jsonl"]).stdout.splitlines():
        h = json.loads(line)
        if h["net_code"] == 0:
            conn.append(h["connect_us"])
    return {
        "us_per_hit": cpu * 1e6 / reqs if reqs > 0 else None,
        "service_p50": o["service_us"]["p50"],
        "connect_mean": statistics.mean(conn) if conn else None,
        "lag_p99": o["lag_us"]["p99"],
        "errors": o.get("errors", 0),
        "hits": rep["hits"],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("binaries", nargs="+", help="NAME=PATH[:VAR=VALUE,...]")
    ap.add_argument("--rates", default="500 5000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--duration", type=int, default=4)
    ap.add_argument("--spelling", choices=["ammo", "max1"], default="ammo")
    ap.add_argument("--nginx-cpu", type=int, default=None)
    args = ap.parse_args()
    bins = benchlib.parse_binaries(args.binaries)
    rates = [int(r) for r in args.rates.split()]
    nginx = bp.Nginx(args.nginx_cpu)
    tmp = tempfile.mkdtemp(prefix="fresh-ab-")
    try:
        print(f"load average before: {benchlib.load_average()}", file=sys.stderr)
        results = benchlib.interleaved(
            rates, args.runs, bins,
            lambda name, path, rate, rep: run_one(path, nginx, tmp, f"{name}-{rate}-{rep}",
                                                  rate, args),
            lambda res: f"{bp.fmt(res['us_per_hit'], '.2f')} µs/hit, service p50 "
                        f"{res['service_p50']:.0f} µs, connect mean "
                        f"{bp.fmt(res['connect_mean'], '.0f')} µs, lag p99 "
                        f"{res['lag_p99']:.0f} µs, errors {res['errors']}")
        print(f"load average after: {benchlib.load_average()}", file=sys.stderr)
    finally:
        nginx.stop()

    def med(name, rate, key):
        return benchlib.median_range(results[(name, rate)], key)

    print("| binary | rate | client CPU µs/hit | ÷ first binary | service p50 µs | "
          "connect mean µs | lag p99 µs | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for rate in rates:
        base = med(bins[0][0], rate, "us_per_hit")[0]
        for name, _, _ in bins:
            cpu, lo, hi = med(name, rate, "us_per_hit")
            print(f"| {name} | {rate} | {bp.fmt(cpu, '.2f')} ({bp.fmt(lo, '.2f')}–"
                  f"{bp.fmt(hi, '.2f')}) | {bp.fmt(cpu / base if cpu and base else None, '.3f')} | "
                  f"{med(name, rate, 'service_p50')[0]:.0f} | "
                  f"{bp.fmt(med(name, rate, 'connect_mean')[0], '.0f')} | "
                  f"{med(name, rate, 'lag_p99')[0]:.0f} | {med(name, rate, 'errors')[0]} |")


if __name__ == "__main__":
    main()
