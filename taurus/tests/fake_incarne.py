#!/usr/bin/env python3
"""A stand-in for the incarne binary, for driving the Taurus module under real bzt where
incarne itself is not the subject (tests/test_bzt_e2e.py; docs/taurus.md "Checking the module").

    fake_incarne.py --version
    fake_incarne.py check PLAN.toml [--set K=V]...
    fake_incarne.py run PLAN.toml [--set K=V]... --out DIR

`run` writes DIR/stats.jsonl (the line format of src/results/report.cc SecondJsonLine) once
per second, DIR/phout.log when [results] phout = true, and DIR/summary.json; it runs for
[load] duration or until SIGTERM / the $GRACEFUL file, then exits 0. Per second and tag it
reports FAKE_RPS hits (default 20), 10% of them 503s. FAKE_EXIT=<rc> makes `run` write one
second and exit with that code; FAKE_STDERR=<text> is printed to stderr first.
FAKE_RING_DROPPED=<n> puts n lost records into every stats line (`ring_dropped`) and their
total into summary.json; FAKE_UNSENT=<n> writes `unsent: n` into summary.json.
"""

import json
import os
import signal
import sys
import time

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None


def load_plan(path):
    with open(path, "rb") as fds:
        data = fds.read()
    if tomllib is None:
        return {}
    return tomllib.loads(data.decode("utf-8"))


def duration_s(text):
    text = str(text or "0s")
    assert text.endswith("s"), text
    return float(text[:-1])


def tags_of(ammo_path):
    tags = []
    with open(ammo_path, "rb") as fds:
        data = fds.read()
    pos = 0
    while pos < len(data):
        nl = data.index(b"\n", pos)
        header = data[pos:nl].split()
        pos = nl + 1
        if not header:
            continue
        tags.append(header[1].decode() if len(header) > 1 else "")
        pos += int(header[0])
    return sorted(set(tags)) or [""]


def percentiles(value_us, count):
    keys = ("p50", "p75", "p90", "p95", "p99", "p99.9")
    obj = dict((k, value_us * (1 + i * 0.25)) for i, k in enumerate(keys))
    obj.update({"max": value_us * 3, "min": value_us / 2, "mean": value_us * 1.1,
                "count": count})
    return obj


def stats(hits):
    errors = hits // 10
    return {"hits": hits, "errors": errors, "net_errors": 0, "duration_s": 1.0,
            "rps": float(hits), "bytes_out": 80 * hits, "bytes_in": 200 * hits,
            "latency_us": percentiles(1500.0, hits), "service_us": percentiles(1000.0, hits),
            "lag_us": percentiles(10.0, hits),
            "phases_mean_us": {"connect": 50.0, "send": 5.0, "latency": 900.0, "receive": 45.0},
            "proto_codes": {"200": hits - errors, "503": errors} if errors else {"200": hits},
            "net_codes": {"0": hits}, "net_code_names": {"0": "OK"}}


def run(plan_path, out_dir):
    plan = load_plan(plan_path)
    length = duration_s(plan.get("load", {}).get("duration"))
    ammo = plan.get("ammo", {}).get("file")
    tags = tags_of(ammo) if ammo and plan.get("ammo", {}).get("format") == "phantom" else [""]
    phout = plan.get("results", {}).get("phout", False)
    rps = int(os.environ.get("FAKE_RPS", "20"))
    ring_dropped = int(os.environ.get("FAKE_RING_DROPPED", "0"))
    forced_exit = os.environ.get("FAKE_EXIT")
    if os.environ.get("FAKE_STDERR"):
        sys.stderr.write(os.environ["FAKE_STDERR"] + "\n")
        sys.stderr.flush()
    os.makedirs(out_dir, exist_ok=True)
    stop = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(now=True))
    graceful = os.environ.get("GRACEFUL")
    origin = time.time()
    total = 0
    second = 0
    stats_fd = open(os.path.join(out_dir, "stats.jsonl"), "w")
    phout_fd = open(os.path.join(out_dir, "phout.log"), "w") if phout else None
    while True:
        end = origin + second + 1
        while time.time() < end and not stop["now"]:
            if graceful and os.path.exists(graceful):
                stop["now"] = True
                break
            time.sleep(0.05)
        if stop["now"]:
            break
        per_tag = dict((t, stats(rps)) for t in tags)
        overall = stats(rps * len(tags))
        line = {"second": second, "ts": round(origin + second, 3), "planned": rps * len(tags),
                "sent": rps * len(tags), "inflight_max": 3, "ring_dropped": ring_dropped, "late": 0,
                "overall": overall, "tags": per_tag if tags != [""] else {}}
        stats_fd.write(json.dumps(line) + "\n")
        stats_fd.flush()
        if phout_fd:
            for tag in tags:
                for i in range(rps):
                    code = 503 if i < rps // 10 else 200
                    phout_fd.write("%.3f\t%s\t1000\t50\t5\t900\t45\t1000\t80\t200\t0\t%d\n"
                                   % (origin + second + i / float(rps), tag, code))
            phout_fd.flush()
        total += rps * len(tags)
        second += 1
        if forced_exit is not None:
            return int(forced_exit)
        if second >= length:
            break
    stats_fd.close()
    if phout_fd:
        phout_fd.close()
    unsent = int(os.environ.get("FAKE_UNSENT", "0"))
    summary = {"hits": total, "duration_s": float(second), "planned": total + unsent,
               "sent": total, "ring_dropped": ring_dropped * second}
    if os.environ.get("FAKE_UNSENT"):
        summary["unsent"] = unsent
    with open(os.path.join(out_dir, "summary.json"), "w") as fds:
        json.dump(summary, fds)
    return 0


def main(argv):
    if argv[1:2] == ["--version"]:
        print("incarne 0.0.0-fake")
        return 0
    if len(argv) < 3 or argv[1] not in ("check", "run"):
        sys.stderr.write("usage: fake_incarne.py check|run PLAN.toml [--out DIR]\n")
        return 2
    plan = load_plan(argv[2])
    if tomllib is not None and not plan.get("load", {}).get("schedule"):
        sys.stderr.write("%s: load.schedule missing\n" % argv[2])
        return 2
    if argv[1] == "check":
        with open(argv[2]) as fds:
            sys.stdout.write(fds.read())
        return 0
    out = argv[argv.index("--out") + 1]
    return run(argv[2], out)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
