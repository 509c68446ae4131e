#!/usr/bin/env python3
"""A 3-step session with one JSON capture: incarne's client CPU per step beside wrk running
the same session with a Lua script (docs/scenario.md "What sessions, cookies and data cost per
hit"), against one private nginx, in one run.

    bench/scenario_session.py                                # build-bench/ (release), 5 runs
    INCARNE=build-rel/src/incarne bench/scenario_session.py --runs 5 --duration 3 --conns 10

The service is nginx (no Python service to be the bottleneck), three locations:

  POST /login     200 {"access_token":"<$request_id: 32 random hex digits>"}, JSON
  GET  /cart      200 {"ok":true} when "Authorization: Bearer <32 hex digits>", else 401
  POST /checkout  the same check

The clients, each pinned to CPU 0 with nginx's worker on CPU 1 (--no-pin: neither), --conns
connections for --duration seconds, interleaved --runs times:

  incarne  jsonline ammo, one session "s" of three steps (login → cart → checkout); a rule
           on login: status = [200], capture token = { json = "$.access_token" }; a rule on
           cart|checkout: status = [200]; the closed model (instances = --conns, one worker)
  wrk      /usr/bin/wrk (LuaJIT) -t conns -c conns with bench/scenario_session.lua:
           response() parses the token out of the login reply with string.match, request()
           sets the header on the next two steps. wrk's Lua state is per thread, so one
           connection per thread is what makes each connection run whole sessions in order
  wrk-1t   the same script with -t 1 -c conns, for reference: wrk's cheapest form (no thread
           per connection), but then the connections share one session state — their
           steps interleave, so this is not the same session (401s show it)

Counted from each tool's own output (incarne: `report --json`, the step tags' hits and the
session records with net_code 0; wrk: the script's done() sums) and from nginx's access log
(its lines of the run, by location and status). CPU per step = user+sys of the client
process ÷ the steps nginx logged. Printed: per run, and the medians with min–max, and
incarne / wrk (the goal ≤ 0.5) and incarne / wrk-1t. Nothing here asserts a figure
(docs/design.md §11).
"""

import argparse
import collections
import json
import os
import re
import shutil
import statistics
import tempfile

import benchlib

HERE = os.path.dirname(os.path.abspath(__file__))
LUA = os.path.join(HERE, "scenario_session.lua")
WRK = "/usr/bin/wrk"

_AUTH = ('if ($http_authorization !~ "^Bearer [0-9a-f]{32}$") { return 401; } '
         "return 200 '{\"ok\":true}';")
NGINX_CONF = "\n".join([
    "location = /login { default_type application/json; "
    "return 200 '{\"access_token\":\"$request_id\"}'; }",
    "location = /cart { default_type application/json; " + _AUTH + " }",
    "location = /checkout { default_type application/json; " + _AUTH + " }",
])
STEPS = ("login", "cart", "checkout")


def ammo_text(host):
    json_ct = {"Content-Type": "application/json"}
    auth = {"Authorization": "Bearer ${token}"}
    recs = [
        {"tag": "login", "method": "POST", "uri": "/login", "host": host, "headers": json_ct,
         "body": '{"user":"u1","password":"p1"}', "scenario": "s", "step": 1},
        {"tag": "cart", "uri": "/cart", "host": host, "headers": auth, "scenario": "s",
         "step": 2},
        {"tag": "checkout", "method": "POST", "uri": "/checkout", "host": host,
         "headers": dict(auth, **json_ct), "body": '{"items":1}', "scenario": "s", "step": 3},
    ]
    return "".join(json.dumps(r) + "\n" for r in recs)


def plan_text(port, ammo_path, conns, duration):
    return f"""
[target]
address = "127.0.0.1:{port}"
nib = "http"
[ammo]
file = "{ammo_path}"
format = "jsonline"
[load]
model = "instances"
schedule = "const({conns}, {duration}s)"
[workers]
threads = 1
[results]
hits = "errors"
html = false

[[rules]]
tag = "login"
status = [200]
capture = {{ token = {{ json = "$.access_token" }} }}

[[rules]]
tag = "cart|checkout"
status = [200]
"""


def nginx_counts(lines):
    """{(uri, status): n} of access log lines, and the steps: 200s on the three locations."""
    c = collections.Counter((ln[2], ln[3]) for ln in lines if len(ln) >= 4)
    return c, sum(c[("/" + s, "200")] for s in STEPS)


def run_incarne(exe, tmp, ng, args, pin):
    d = tempfile.mkdtemp(prefix="incarne-", dir=tmp)
    ammo = os.path.join(d, "session.jsonl")
    with open(ammo, "w") as f:
        f.write(ammo_text(f"127.0.0.1:{ng.port}"))
    plan = os.path.join(d, "plan.toml")
    with open(plan, "w") as f:
        f.write(plan_text(ng.port, ammo, args.conns, args.duration))
    out = os.path.join(d, "run")
    at = ng.log_size()
    cpu, rc, _, err = benchlib.run_measured([exe, "run", plan, "--out", out], cpu=pin,
                                            timeout=args.duration + 120)
    if rc != 0:
        benchlib.die("scenario_session", f"incarne exited {rc}: {err[-500:]}")
    tags = json.loads(benchlib.sh([exe, "report", out, "--json"]).stdout)["tags"]
    own_steps = sum(tags.get(s, {}).get("hits", 0) for s in STEPS)
    sessions = tags.get("s", {}).get("net_codes", {}).get("0", 0)
    failed = sum(tags.get(s, {}).get("errors", 0) for s in STEPS)
    shutil.rmtree(d, ignore_errors=True)
    return cpu, own_steps, sessions, failed, nginx_counts(ng.log_since(at))


def run_wrk(ng, args, pin, threads):
    at = ng.log_size()
    argv = [WRK, "-t", str(threads), "-c", str(args.conns), "-d", f"{args.duration}s",
            "-s", LUA, f"http://127.0.0.1:{ng.port}"]
    cpu, rc, out, err = benchlib.run_measured(argv, cpu=pin, timeout=args.duration + 60)
    m = re.search(r"sessions (\d+) steps (\d+) failed (\d+)", out)
    if rc != 0 or not m:
        benchlib.die("scenario_session", f"wrk exited {rc}: {out[-500:]} {err[-500:]}")
    sessions, own_steps, failed = (int(x) for x in m.groups())
    return cpu, own_steps, sessions, failed, nginx_counts(ng.log_since(at))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--duration", type=int, default=3)
    ap.add_argument("--conns", type=int, default=10)
    ap.add_argument("--no-pin", action="store_true", help="pin neither the clients nor nginx")
    args = ap.parse_args()
    exe = benchlib.ensure_incarne("scenario_session")
    if not os.access(WRK, os.X_OK):
        benchlib.die("scenario_session", f"{WRK} is not installed (apt-get install wrk)")
    pin = None if args.no_pin else 0
    ng = benchlib.Nginx(extra_conf=NGINX_CONF, access_log=True, cpu=None if args.no_pin else 1)
    tmp = tempfile.mkdtemp(prefix="incarne-session-bench-")
    per_step = {"incarne": [], "wrk": [], "wrk-1t": []}
    rate = {k: [] for k in per_step}
    loads = [benchlib.load_average()]
    try:
        for i in range(args.runs):
            tools = (("incarne", lambda: run_incarne(exe, tmp, ng, args, pin)),
                     ("wrk", lambda: run_wrk(ng, args, pin, args.conns)),
                     ("wrk-1t", lambda: run_wrk(ng, args, pin, 1)))
            for name, fn in tools if i % 2 == 0 else tools[::-1]:  # none always first
                cpu, own, sessions, failed, (by_loc, steps) = fn()
                per_step[name].append(cpu * 1e6 / max(steps, 1))
                rate[name].append(steps / args.duration)
                other = {f"{u} {s}": n for (u, s), n in sorted(by_loc.items())
                         if s != "200"}
                print(f"run {i + 1} {name:7s} {per_step[name][-1]:7.2f} µs/step  "
                      f"nginx: {steps} steps ({by_loc[('/login', '200')]} logins, "
                      f"{by_loc[('/checkout', '200')]} checkouts) not 200: {other or 0}; "
                      f"{name}: {own} steps, {sessions} sessions, {failed} failed",
                      flush=True)
            loads.append(benchlib.load_average())
    finally:
        ng.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"\n{args.conns} connections, {args.duration} s, {args.runs} runs (median, min–max); "
          f"load average {loads[0]} … {loads[-1]}; incarne {exe}")
    for name in per_step:
        print(f"  {name:7s} {benchlib.summary(per_step[name])} µs CPU/step  "
              f"{statistics.median(rate[name]):9.0f} steps/s")
    inc = statistics.median(per_step["incarne"])
    print(f"incarne / wrk CPU per step: {inc / statistics.median(per_step['wrk']):.3f}   "
          f"(goal ≤ 0.5); incarne / wrk-1t: {inc / statistics.median(per_step['wrk-1t']):.3f}")


if __name__ == "__main__":
    main()
