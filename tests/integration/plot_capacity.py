#!/usr/bin/env python3
"""`incarne plot` of the verdicts, drawn by headless Chromium (docs/results.md §11):

- a usl run against `incarne sink --usl-sigma 0.05 --usl-kappa 0.002 --service 10ms` (4 levels
  of 2.5 s): the page has the USL chart (`#chart-usl`, class `chart`) with one point per
  measured level, and a step table whose figures equal summary.json's `usl.measured`, each
  level with its verdict;
- a find-max run against `incarne sink --capacity 8 --service 2ms` (at most 6 steps of 3 s):
  its directory has no aggregates of its own, yet plot draws `#chart-find-max` with one point
  per step and a step table equal to summary.json's `find_max.steps`, and says the rate found;
- a dummy-nib run stopped by autostop (`limit(2s)`, exit 3): the page shows the verdict
  (`#autostop-0`) and carries `report --json`'s `autostop` object verbatim.
Every page sets body data-rendered="true". Screenshots are kept in the build directory
(plot-usl.png, plot-find-max.png).

  tests/integration/plot_capacity.py build/src/incarne
"""
import json
import os
import re

from engine_common import Sink, binary, check, fail, report, run, tmpdir, write
from plot_common import build_root, chrome, load

incarne = binary()
d = tmpdir()


def page_data(page):
    """The page's inline data block (the JSON the charts are drawn from)."""
    with open(page, encoding="utf-8") as f:
        text = f.read()
    check("://" not in text, "%s holds no network address" % os.path.basename(page))
    m = re.search(r'<script type="application/json" id="incarne-data">(.*?)</script>', text,
                  re.S)
    check(m is not None, "the page has its data block")
    return json.loads(m.group(1))


def plot(run_dir):
    p = run(incarne, ["plot", run_dir])
    check(p.returncode == 0, "incarne plot %s exits 0 (%s)" % (run_dir, p.stderr))
    page = os.path.join(run_dir, "report.html")
    dom = load(page)
    check(not dom.errors, "no drawing error (%s)" % "".join(dom.errors))
    check(dom.body.get("data-rendered") == "true", "body data-rendered=\"true\"")
    return page, dom


def same_rows(table, want, keys, what):
    rows = [r for r in table if r]  # the header row has no cells
    check(len(rows) == len(want), "%s: one table row per step (%d = %d)"
          % (what, len(rows), len(want)))
    for row, w in zip(rows, want):
        for k in keys:
            if float(row[k]) != float(w[k]):
                fail("%s: %s shows %s, summary.json says %s" % (what, k, row[k], w[k]))
        check(row.get("verdict", "") != "", "%s: step %s has a verdict" % (what, w[keys[0]]))


def summary(run_dir):
    with open(os.path.join(run_dir, "summary.json"), encoding="utf-8") as f:
        return json.load(f)


plan_head = """
[target]
address = "%s"
[ammo]
uris = ["/"]
[workers]
threads = 1
[load]
"""

# usl: 4 levels, each 500 ms of warmup and 2 s judged.
with Sink(incarne,
          extra=["--usl-sigma", "0.05", "--usl-kappa", "0.002", "--service", "10ms"]) as s:
    plan = write(os.path.join(d, "usl.toml"), plan_head % s.address + """model = "usl"
[load.usl]
instances = "1,4,8,16"
step_duration = "2s"
warmup = "500ms"
""")
    usl_dir = os.path.join(d, "usl")
    p = run(incarne, ["run", plan, "--out", usl_dir], timeout=60)
    check(p.returncode == 0, "the usl run exits 0 (%s)" % p.stderr[-800:])
u = summary(usl_dir)["usl"]
check(len(u["levels"]) == len(u["measured"]), "summary.json's usl has a verdict per level")
page, dom = plot(usl_dir)
chart = dom.charts.get("chart-usl")
check(chart is not None, "the usl page has #chart-usl (charts: %s)" % sorted(dom.charts))
check(int(chart["data-points"]) == len(u["measured"]),
      "the USL chart has one point per measured level (%s = %d)"
      % (chart["data-points"], len(u["measured"])))
check(len(dom.charts) == 10, "the time charts are there too (%d charts)" % len(dom.charts))
same_rows(dom.steps.get("steps-usl", []), u["measured"],
          ["n", "x", "fitted_x", "seconds", "errors"], "usl levels")
data = page_data(page)["runs"][0]["capacity"]["usl"]
for k in ["sigma", "kappa", "lambda", "n_max", "x_max"]:
    check(data[k] == u[k], "the chart's %s is summary.json's (%s)" % (k, u[k]))
check("usl-verdict-0" in dom.verdicts and str(u["sigma"]) in dom.verdicts["usl-verdict-0"],
      "the page states the fit (%r)" % dom.verdicts.get("usl-verdict-0"))
chrome(page, ["--screenshot=" + os.path.join(build_root, "plot-usl.png")])

# find-max: 1000, 3000, then 6000 (over the sink's 4,000/s) and bisection to 30 %.
with Sink(incarne, extra=["--capacity", "8", "--service", "2ms"]) as s:
    plan = write(os.path.join(d, "fm.toml"), plan_head % s.address + """model = "find-max"
[load.find_max]
start_rps = 1000
max_rps = 6000
step_duration = "2s"
warmup = "1s"
factor = 3
precision = "30%"
slo = ["quantile(99,50ms)", "http(5xx,1%)", "net(xx,1%)"]
""")
    fm_dir = os.path.join(d, "fm")
    p = run(incarne, ["run", plan, "--out", fm_dir], timeout=60)
    check(p.returncode == 0, "the find-max run exits 0 (%s)" % p.stderr[-800:])
check(not os.path.exists(os.path.join(fm_dir, "aggregates")),
      "a find-max run directory has no aggregates of its own")
f = summary(fm_dir)["find_max"]
page, dom = plot(fm_dir)
chart = dom.charts.get("chart-find-max")
check(chart is not None, "the find-max page has #chart-find-max (charts: %s)" % sorted(dom.charts))
check(int(chart["data-points"]) == len(f["steps"]), "the find-max chart has one point per step "
      "(%s = %d)" % (chart["data-points"], len(f["steps"])))
same_rows(dom.steps.get("steps-find-max", []), f["steps"],
          ["rps", "achieved_rps", "latency_p99_ms", "hits", "errors"], "find-max steps")
# Which steps pass depends on the box (a sanitized build on a loaded one lags): not checked.
print("find-max steps:", [(s["rps"], s["good"]) for s in f["steps"]])
verdict = dom.verdicts.get("find-max-verdict-0", "")
# The verdict says what summary.json says: the rate found, or (a loaded box can fail the
# first step) that there is none.
if f["steps"][0]["good"]:
    check(("%g rps" % f["rps"]) in verdict, "the page states the rate found (%r)" % verdict)
else:
    check("first step failed the SLO" in verdict,
          "the page says the first step failed, as summary.json does (%r)" % verdict)
chrome(page, ["--screenshot=" + os.path.join(build_root, "plot-find-max.png")])

# autostop: limit(2s) stops a 20 s dummy run at about 3.25 s with exit 3.
plan = write(os.path.join(d, "stop.toml"), """
[target]
nib = "dummy"
[ammo]
uris = ["/"]
[load]
schedule = "const(200, 20s)"
[autostop]
criteria = ["limit(2s)"]
""")
stop_dir = os.path.join(d, "stop")
p = run(incarne, ["run", plan, "--out", stop_dir], timeout=60)
check(p.returncode == 3, "the autostop run exits 3 (%d: %s)" % (p.returncode, p.stderr[-500:]))
rep = report(incarne, stop_dir)
check("autostop" in rep, "report --json has the verdict")
with open(os.path.join(stop_dir, "stats.jsonl"), encoding="utf-8") as f:
    lines = [json.loads(line) for line in f]
marked = [line["second"] for line in lines if "autostop" in line]
check(marked == [rep["autostop"]["second"]],
      "stats.jsonl has the verdict on the second it fired at, only (%s)" % marked)
check(lines[marked[0]]["autostop"] == rep["autostop"] if marked else False,
      "stats.jsonl's verdict is report --json's")
page, dom = plot(stop_dir)
check(page_data(page)["runs"][0]["report"]["autostop"] == rep["autostop"],
      "the page's report carries report --json's autostop verbatim")
verdict = dom.verdicts.get("autostop-0", "")
check("AUTOSTOP limit(2s)" in verdict and ("second %d" % rep["autostop"]["second"]) in verdict,
      "the page shows the autostop verdict (%r)" % verdict)
print("PASS")
