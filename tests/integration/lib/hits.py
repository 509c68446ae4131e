#!/usr/bin/env python3
"""Reads a run directory through incarne's own tools, for integration tests.

    hits.py report INCARNE RUN_DIR              # prints `incarne report --json` compactly
    hits.py get INCARNE RUN_DIR overall.proto_codes.200    # one value of the report (0 if absent)
    hits.py count INCARNE RUN_DIR 'net_code == 0 and flags & 1'   # records matching (jsonl)
    hits.py stat INCARNE RUN_DIR max|min|sum FIELD ['predicate']  # over matching records

Record fields are those of `incarne convert --to jsonl` (planned_ns, start_ns, flags,
connect_us, wait_us, service_us, net_code, proto_code, size_in, size_out, ...).
"""
import json
import subprocess
import sys


def report(exe, run_dir):
    r = subprocess.run([exe, "report", run_dir, "--json"], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"hits.py: incarne report failed ({r.returncode}): {r.stderr}")
    return json.loads(r.stdout)


def records(exe, run_dir):
    r = subprocess.run([exe, "convert", run_dir, "--to", "jsonl"], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"hits.py: incarne convert failed ({r.returncode}): {r.stderr}")
    for line in r.stdout.splitlines():
        if line.strip():
            yield json.loads(line)


def main():
    cmd, exe, run_dir = sys.argv[1:4]
    if cmd == "report":
        print(json.dumps(report(exe, run_dir), sort_keys=True))
    elif cmd == "get":
        v = report(exe, run_dir)
        for k in sys.argv[4].split("."):
            v = v.get(k, 0) if isinstance(v, dict) else 0
        print(v)
    elif cmd == "count":
        pred = compile(sys.argv[4], "predicate", "eval")
        print(sum(1 for rec in records(exe, run_dir) if eval(pred, {}, rec)))
    elif cmd == "stat":
        op, field = sys.argv[4], sys.argv[5]
        pred = compile(sys.argv[6] if len(sys.argv) > 6 else "True", "predicate", "eval")
        vals = [rec[field] for rec in records(exe, run_dir) if eval(pred, {}, rec)]
        if not vals:
            print("nan")
        else:
            print({"max": max, "min": min, "sum": sum}[op](vals))
    else:
        sys.exit(f"hits.py: unknown command {cmd}")


if __name__ == "__main__":
    main()
