#!/usr/bin/python3
"""What load.pacing does to measured times: the open model against the built-in sink with a
fixed reply delay (`incarne sink --fault slow=1ms`), each quantum in turn, alternated rounds.
The service time (done − start) must not move with the quantum; latency (done − planned)
carries the lag the quantum adds (docs/engine.md "Pacing").

  bench/pacing_sink.py --rate 5000 --pacings "0 250us 1ms" --rounds 3 --duration 4 \\
      [--incarne build-bench/src/incarne]

Prints one line per run to stderr and a markdown table of p50 / p99 in µs per quantum
(median over the rounds of each run's percentile).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--incarne", default=os.path.join(ROOT, "build-bench", "src", "incarne"))
    ap.add_argument("--rate", type=int, default=5000)
    ap.add_argument("--pacings", default="0 250us 1ms")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=int, default=4)
    ap.add_argument("--delay", default="1ms", help="the sink's reply delay")
    ap.add_argument("--instances", type=int, default=200)
    args = ap.parse_args()
    exe = os.path.abspath(args.incarne)
    tmp = tempfile.mkdtemp(prefix="pacing-sink-")
    sink = subprocess.Popen([exe, "sink", "--listen", "127.0.0.1:0", "--fault",
                             f"slow={args.delay}"], stdout=subprocess.PIPE, text=True)
    try:
        line = sink.stdout.readline()
        if not line.startswith("listening on "):
            sys.exit(f"pacing_sink: the sink did not start: {line!r}")
        addr = line.split()[-1]
        with open("/proc/loadavg") as f:
            print(f"load average before: {f.read().split()[0]}", file=sys.stderr)
        res = {}
        for rnd in range(args.rounds):
            for pacing in args.pacings.split():
                name = f"p{pacing}-{rnd}"
                plan = os.path.join(tmp, name + ".toml")
                with open(plan, "w") as f:
                    f.write(f"""[target]
address = "{addr}"
nib = "http"

[ammo]
uris = ["/"]
headers = ["Host: sink"]

[load]
model = "rps"
schedule = "const({args.rate}, {args.duration}s)"
instances = {args.instances}
pacing = "{pacing}"

[workers]
threads = 1

[results]
hits = "errors"
""")
                run_dir = os.path.join(tmp, name)
                subprocess.run([exe, "run", plan, "--out", run_dir], check=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                rep = json.loads(subprocess.run([exe, "report", run_dir, "--json"], check=True,
                                                capture_output=True, text=True).stdout)["overall"]
                row = {k: (rep[k]["p50"], rep[k]["p99"])
                       for k in ("service_us", "latency_us", "lag_us")}
                res.setdefault(pacing, []).append(row)
                print(f"  {pacing} round {rnd + 1}: " + ", ".join(
                    f"{k} {v[0]:.0f}/{v[1]:.0f}" for k, v in row.items()), file=sys.stderr)
                time.sleep(0.5)
        with open("/proc/loadavg") as f:
            print(f"load average after: {f.read().split()[0]}", file=sys.stderr)
    finally:
        sink.terminate()
        sink.wait()
    print(f"| pacing | service p50 / p99 µs | latency p50 / p99 µs | lag p50 / p99 µs |")
    print("|---|---|---|---|")
    for pacing, rows in res.items():
        cells = []
        for k in ("service_us", "latency_us", "lag_us"):
            p50 = statistics.median(r[k][0] for r in rows)
            p99 = statistics.median(r[k][1] for r in rows)
            cells.append(f"{p50:,.0f} / {p99:,.0f}")
        print(f"| {pacing} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
