#!/usr/bin/python3
"""Keep-alive CPU per hit and peak RSS of several incarne binaries (or settings), run
interleaved against one private nginx: the before/after comparison docs/engine.md asks for
("ratios of runs interleaved in one invocation"). Reuses scripts/bench-peers' nginx, plan and
measurement (client CPU = user+sys of incarne ÷ requests nginx counted; RSS = peak).

  bench/engine_ab.py --conns "20 200 2000" --runs 3 --duration 4 \\
      before=/tmp/incarne-old after=build-rel/src/incarne
  # a label may carry environment settings for its runs: NAME=BINARY:VAR=VALUE,VAR=VALUE

Prints one line per run to stderr and a markdown table of medians (min–max) per binary and
connection count, with the RSS slope per connection between the smallest and each count, and
the `receives out of buffers` count from incarne.log.
"""
import argparse
import importlib.machinery
import importlib.util
import os
import re
import tempfile

import benchlib

HERE = os.path.dirname(os.path.abspath(__file__))
loader = importlib.machinery.SourceFileLoader(
    "bench_peers", os.path.join(HERE, "..", "scripts", "bench-peers"))
spec = importlib.util.spec_from_loader("bench_peers", loader)
bp = importlib.util.module_from_spec(spec)
loader.exec_module(bp)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("binaries", nargs="+", help="NAME=PATH[:VAR=VALUE,...]")
    ap.add_argument("--conns", default="200")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--duration", type=int, default=4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--hits", default="errors")
    ap.add_argument("--nginx-cpu", type=int, default=None)
    args = ap.parse_args()
    bins = benchlib.parse_binaries(args.binaries)
    counts = [int(c) for c in args.conns.split()]
    bp.raise_nofile(max(counts) + 2048)
    os.environ["NGINX_WORKER_CONNECTIONS"] = str(max(counts) + 1024)
    nginx = bp.Nginx(args.nginx_cpu)
    tmp = tempfile.mkdtemp(prefix="engine-ab-")

    def run(name, path, conns, rep):
        tag = f"{name}-{conns}-{rep}"
        res = bp.measure(lambda: bp.run_incarne(path, tmp, nginx, conns, args.duration, False,
                                                args, tag, "", "", "60s"), nginx)
        log = open(os.path.join(tmp, tag, "incarne.log")).read()
        m = re.search(r"(\d+) receives out of buffers", log)
        res["nobufs"] = int(m.group(1)) if m else None
        m = re.search(r"(\d+) passes", log)
        res["passes"] = int(m.group(1)) if m else None
        return res

    try:
        results = benchlib.interleaved(
            counts, args.runs, bins, run,
            lambda res: f"{res['rps']:.0f} req/s, {bp.fmt(res['us_per_hit'], '.3f')} µs/hit, "
                        f"{res['rss_mb']:.2f} MB, nobufs {res['nobufs']}, "
                        f"errors {res.get('errors')}")
    finally:
        nginx.stop()

    def med(name, conns, key):
        return benchlib.median_range(results[(name, conns)], key)

    print("| binary | conns | req/s | client CPU µs/hit | ÷ first binary | peak RSS MiB | "
          "RSS KiB/conn over the first count | receives out of buffers | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for conns in counts:
        base = med(bins[0][0], conns, "us_per_hit")[0]
        for name, _, _ in bins:
            cpu, lo, hi = med(name, conns, "us_per_hit")
            rss = med(name, conns, "rss_mb")[0]
            rss0 = med(name, counts[0], "rss_mb")[0]
            slope = ((rss - rss0) * 1024 / (conns - counts[0])) if conns != counts[0] else None
            print(f"| {name} | {conns} | {med(name, conns, 'rps')[0]:.0f} | {cpu:.3f} "
                  f"({lo:.3f}–{hi:.3f}) | {cpu / base:.3f} | {rss:.2f} | "
                  f"{bp.fmt(slope, '.2f')} | {med(name, conns, 'nobufs')[0]} | "
                  f"{med(name, conns, 'errors')[0]} |")


if __name__ == "__main__":
    main()
