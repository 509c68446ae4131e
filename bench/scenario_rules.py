#!/usr/bin/env python3
"""What [[rules]] and templates cost per hit (docs/scenario.md "Cost"), against one private
nginx, in one run.

    bench/scenario_rules.py                                  # build-bench/ (release), 5 runs
    INCARNE=build-rel/src/incarne bench/scenario_rules.py --runs 5 --duration 3
    INCARNE_MAIN=/path/to/main/incarne bench/scenario_rules.py   # + "no rules" of another build

Variants, each the instances model at --conns connections for --duration seconds with one
worker, interleaved --runs times (the box is noisy: medians of the runs, with their min–max),
incarne pinned to CPU 0 and nginx's worker to CPU 1 (--no-pin: neither):

  none        GET / ("ok"), no [[rules]] (the plan incarne always ran)
  main        the same plan with INCARNE_MAIN (the binary before rules existed), when given
  status      one rule on every tag: status = ["2xx"] (a bit test per hit)
  none-1k     GET /1k.bin (1024 bytes of 'x'), no rules
  body-1k     the same, one rule: body = '[a-w]{3}|x\\z' — the whole reply is kept in the
              slot's scan buffer and the regex scans all of it before it matches at the end
              (no literal to skip ahead with)
  none-1kj    GET /1k.json (nginx: 1024 bytes of JSON ending in "ok":true}), no rules
  lit-1kj     the same, one rule: body = '"ok":true' — a typical assert: RE2 skips to each
              '"' with memchr, so the scan of the 1000 bytes before the match is cheap
  plain-2var  jsonline ammo: GET /login (nginx: {"access_token":"<32 hex>","user":"u42"}),
              whose rule captures token and user ($.access_token, $.user), then three
              GET /?user=u42 with "Authorization: Bearer <the token>" written out
  tmpl-2var   the same, the three written GET /?user=${user} with "Authorization: Bearer
              ${token}": the same bytes on the wire, assembled per hit from two variables

It prints client CPU µs per hit (user+sys of incarne ÷ its hits), req/s, and the ratios the
scenario work promises: none/main ≤ 1.01, status/none ≤ 1.05, body-1k/none-1k and
lit-1kj/none-1kj ≤ 1.15, tmpl-2var/plain-2var ≤ 1.10 (3 of 4 hits templated; the
per-templated-hit ratio, the excess ÷ 0.75, is printed beside it) — each of the medians, as
the median of the runs' pairs (the two variants ran one after the other) and of the minima
(a shared box's noise only adds).
--rate N runs the open model at N hits/s instead (it was noisier on the shared box). An
instance's first templated hits before its first login fail with net_code 2 (a variable not
set yet): ~150 per run of some 30,000 hits, in the errors column.
Nothing here asserts a figure (docs/design.md §11).
"""

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time

import benchlib

TOKEN = "0123456789abcdef0123456789abcdef"
USER = "u42"
# 1024 bytes of JSON whose last field is what a typical body assert looks for.
JSON_1K = '{"pad":"' + "x" * (1024 - 20) + '","ok":true}'
NGINX_CONF = ("location = /login { default_type application/json; "
              f"return 200 '{{\"access_token\":\"{TOKEN}\",\"user\":\"{USER}\"}}'; }}\n"
              f"location = /1k.json {{ default_type application/json; return 200 '{JSON_1K}'; }}")

RULES = {
    "none": "",
    "main": "",
    "status": '\n[[rules]]\nstatus = ["2xx"]\n',
    "none-1k": "",
    "body-1k": "\n[[rules]]\nbody = '[a-w]{3}|x\\z'\n",
    "none-1kj": "",
    "lit-1kj": "\n[[rules]]\nbody = '\"ok\":true'\n",
}
CAPTURE = """
[[rules]]
tag = "login"
status = [200]
capture = { token = { json = "$.access_token" }, user = { json = "$.user" } }
"""


def two_var_ammo(templated):
    login = {"tag": "login", "uri": "/login", "host": "127.0.0.1"}
    use = {"tag": "use", "uri": "/?user=" + ("${user}" if templated else USER),
           "host": "127.0.0.1",
           "headers": {"Authorization": "Bearer " + ("${token}" if templated else TOKEN)}}
    return "".join(json.dumps(r) + "\n" for r in (login, use, use, use))


def plan_text(port, variant, args, ammo_path):
    if variant.endswith("2var"):
        ammo = f'[ammo]\nfile = "{ammo_path}"\nformat = "jsonline"\n'
        rules = CAPTURE
    else:
        uri = {"1k": "/1k.bin", "kj": "/1k.json"}.get(variant[-2:], "/")
        ammo = f'[ammo]\nuris = ["{uri}"]\nheaders = ["Host: 127.0.0.1"]\n'
        rules = RULES[variant]
    if args.rate:
        load = (f'model = "rps"\nschedule = "const({args.rate}, {args.duration}s)"\n'
                f"instances = {args.conns}")
    else:
        load = f'model = "instances"\nschedule = "const({args.conns}, {args.duration}s)"'
    return f"""
[target]
address = "127.0.0.1:{port}"
nib = "http"
{ammo}
[load]
{load}
[workers]
threads = 1
[results]
hits = "errors"
html = false
""" + rules


def run_one(exe, tmp, port, variant, args):
    d = tempfile.mkdtemp(prefix=variant + "-", dir=tmp)
    ammo_path = os.path.join(d, "ammo.jsonl")
    with open(ammo_path, "w") as f:
        f.write(two_var_ammo(variant.startswith("tmpl")))
    plan = os.path.join(d, "plan.toml")
    with open(plan, "w") as f:
        f.write(plan_text(port, variant, args, ammo_path))
    run_dir = os.path.join(d, "run")
    t0 = time.monotonic()
    cpu, rc, _, err = benchlib.run_measured([exe, "run", plan, "--out", run_dir],
                                            cpu=None if args.no_pin else 0,
                                            timeout=args.duration + 120)
    wall = time.monotonic() - t0
    if rc != 0:
        benchlib.die("scenario_rules", f"{variant}: incarne exited {rc}: {err[-500:]}")
    rep = json.loads(benchlib.sh([exe, "report", run_dir, "--json"]).stdout)
    hits = rep["hits"]
    errors = rep["overall"].get("errors", 0)
    shutil.rmtree(d, ignore_errors=True)
    return {"us_per_hit": cpu * 1e6 / max(hits, 1), "rps": hits / wall, "errors": errors}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--duration", type=int, default=3)
    ap.add_argument("--conns", type=int, default=50)
    ap.add_argument("--rate", type=int, default=0,
                    help="the open model at this many hits/s (--conns instances) instead")
    ap.add_argument("--no-pin", action="store_true", help="pin neither incarne nor nginx")
    ap.add_argument("--only", default="", help="comma-separated variants (default: all)")
    args = ap.parse_args()
    exe = benchlib.ensure_incarne("scenario_rules")
    main_exe = os.environ.get("INCARNE_MAIN")
    variants = (["none"] + (["main"] if main_exe else []) + ["status", "none-1k", "body-1k",
                                                              "none-1kj", "lit-1kj",
                                                              "plain-2var", "tmpl-2var"])
    if args.only:
        variants = [v for v in variants if v in args.only.split(",")]
    ng = benchlib.Nginx(extra_conf=NGINX_CONF, cpu=None if args.no_pin else 1)
    tmp = tempfile.mkdtemp(prefix="incarne-scenario-bench-")
    results = {v: [] for v in variants}
    loads = [benchlib.load_average()]
    try:
        for i in range(args.runs):
            # Each pair compared stays adjacent in time; odd runs go backwards so that no
            # variant always runs first.
            for v in variants if i % 2 == 0 else variants[::-1]:
                res = run_one(main_exe if v == "main" else exe, tmp, ng.port, v, args)
                results[v].append(res)
                print(f"run {i + 1} {v:10s} {res['us_per_hit']:7.2f} µs/hit "
                      f"{res['rps']:9.0f} req/s errors {res['errors']}", flush=True)
            loads.append(benchlib.load_average())
    finally:
        ng.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    med = {}
    how = f"{args.rate}/s over " if args.rate else ""
    print(f"\nincarne {exe}, {how}{args.conns} connections, {args.duration} s, {args.runs} runs "
          f"(median, min–max); load average {loads[0]} … {loads[-1]}")
    for v in variants:
        xs = [r["us_per_hit"] for r in results[v]]
        med[v] = statistics.median(xs)
        print(f"  {v:10s} {benchlib.summary(xs)} µs/hit  "
              f"{statistics.median(r['rps'] for r in results[v]):9.0f} req/s")
    print("ratios of CPU per hit: of the medians; the median (min–max) of each run's pair "
          "(run one after the other); of the minima (the noise of a shared box only adds)")

    def ratio(a, b, goal, share=1.0):
        if a not in med or b not in med:
            return
        pairs = [x["us_per_hit"] / y["us_per_hit"] for x, y in zip(results[a], results[b])]
        lo = min(r["us_per_hit"] for r in results[a]) / min(r["us_per_hit"] for r in results[b])
        r = med[a] / med[b]
        line = (f"  {a + ' / ' + b:22s} {r:.3f}; pairs {statistics.median(pairs):.3f} "
                f"({min(pairs):.3f}–{max(pairs):.3f}); minima {lo:.3f}   (goal ≤ {goal})")
        if share != 1.0:
            line += f"; per templated hit (÷ {share}) {1 + (r - 1) / share:.3f}"
        print(line)

    ratio("none", "main", 1.01)
    ratio("status", "none", 1.05)
    ratio("body-1k", "none-1k", 1.15)
    ratio("lit-1kj", "none-1kj", 1.15)
    ratio("tmpl-2var", "plain-2var", 1.10, share=0.75)

if __name__ == "__main__":
    main()
