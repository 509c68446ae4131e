#!/usr/bin/env python3
"""`incarne plot` drawn by a real browser: a few-second dummy-nib run with three tags (and a
second one keeping sample:10 of the raw hits) is plotted alone and overlaid; headless
Chromium loads each page from a file URL with networking disabled, and the DOM it dumps
must say that every chart drew (body data-rendered="true", 9 `.chart` elements, the rps
chart's points = the run's seconds) and hold, in the summary table, exactly the figures of
`incarne report --json`. Bad input: no aggregates (exit 2), a truncated aggregates file and
an empty run (a page that says what is missing). Screenshots, light and dark, are kept in
the build directory (plot-light.png, plot-dark.png) for a person to look at.

  tests/integration/plot_chromium.py build/src/incarne
"""
import os

from engine_common import binary, check, fail, report, run, tmpdir, write
from plot_common import build_root, chrome, load

CHARTS = 9  # rps, latency ×2, lag, in flight, proto codes, net codes, bytes, spectrum

incarne = binary()
def get(obj, path):
    head, _, rest = path.partition(".")
    return obj[head] if not rest else obj[head][rest]


def same(text, value):
    """A table cell shows the JSON number verbatim (as JavaScript prints it)."""
    return float(text) == float(value)


def check_table(dom, run_name, rep):
    rows = [r for r in dom.rows if r[0] == run_name]
    want = [("", rep["overall"])] + sorted(rep["tags"].items())
    check(sorted(r[1] for r in rows[1:]) == sorted(t for t, _ in want[1:]),
          "%s: one summary row per tag of the report" % run_name)
    cells = 0
    for (_, tag, got), (_, stats) in zip([rows[0]] + sorted(rows[1:], key=lambda r: r[1]),
                                         want):
        for key, text in got.items():
            if not same(text, get(stats, key)):
                fail("%s tag %r: %s shows %s, report --json says %s"
                     % (run_name, tag, key, text, get(stats, key)))
            cells += 1
    check(cells >= 20 * len(want), "%s: %d table figures equal report --json" % (run_name, cells))


def check_page(page, runs_and_reports):
    with open(page, encoding="utf-8") as f:
        text = f.read()
    check("://" not in text, "%s holds no network address" % os.path.basename(page))
    check("default-src 'none'" in text, "the page's CSP forbids every remote source")
    dom = load(page)
    check(not dom.errors, "no drawing error (%s)" % "".join(dom.errors))
    check(dom.body.get("data-rendered") == "true", "body data-rendered=\"true\"")
    check(len(dom.charts) == CHARTS, "%d .chart elements (got %d)" % (CHARTS, len(dom.charts)))
    seconds = max(rep["seconds"] for _, rep in runs_and_reports)
    points = int(dom.charts["chart-rps"].get("data-points", "-1"))
    check(points == seconds, "the rps chart has one point per second (%d = %d)"
          % (points, seconds))
    for name, rep in runs_and_reports:
        check_table(dom, name, rep)
    return dom


d = tmpdir()
plan = write(os.path.join(d, "plan.toml"), """
[target]
nib = "dummy"
[target.dummy]
latency = "2ms"
[ammo]
uris = ["/index", "/api/a", "/api/b"]
autocases = "uri"
[load]
schedule = "line(10, 300, 2s) const(300, 2s)"
instances = 50
[results]
dir = "unused"
""")
runs = {}
for name, extra in [("full", []), ("sampled", ["--set", 'results.hits="sample:10"'])]:
    out = os.path.join(d, name)
    p = run(incarne, ["run", plan, "--out", out] + extra, timeout=60)
    check(p.returncode == 0, "incarne run %s exits 0 (%s)" % (name, p.stderr[-500:]))
    runs[name] = (out, report(incarne, out))
    check(len(runs[name][1]["tags"]) == 3, "%s: three tags" % name)

# One run, default output RUN_DIR/report.html.
full_dir, full_rep = runs["full"]
p = run(incarne, ["plot", full_dir])
check(p.returncode == 0, "incarne plot exits 0 (%s)" % p.stderr)
page = os.path.join(full_dir, "report.html")
check(os.path.getsize(page) < 2 << 20, "the page is under 2 MB")
check_page(page, [("full", full_rep)])
for scheme, flags in [("light", ["--blink-settings=preferredColorScheme=1"]),
                      ("dark", ["--force-dark-mode", "--blink-settings=preferredColorScheme=0"])]:
    shot = os.path.join(build_root, "plot-%s.png" % scheme)
    chrome(page, flags + ["--screenshot=" + shot])
    check(os.path.getsize(shot) > 10000, "screenshot " + shot)

# Overlay: the full and the sampled run (legend and table rows name each run).
cmp_page = os.path.join(d, "cmp.html")
p = run(incarne, ["plot", full_dir, runs["sampled"][0], "-o", cmp_page])
check(p.returncode == 0, "incarne plot A B -o exits 0 (%s)" % p.stderr)
check_page(cmp_page, [("full", full_rep), ("sampled", runs["sampled"][1])])

# Bad input.
empty = os.path.join(d, "not-a-run")
os.mkdir(empty)
p = run(incarne, ["plot", empty])
check(p.returncode == 2 and "aggregates" in p.stderr and empty in p.stderr,
      "a directory without aggregates: exit 2 naming the file (%r)" % p.stderr)
check(not os.path.exists(os.path.join(empty, "report.html")), "and nothing written")
p = run(incarne, ["plot", full_dir, runs["sampled"][0]])
check(p.returncode == 2, "several runs without -o: exit 2")

with open(os.path.join(full_dir, "aggregates"), "rb") as f:
    agg = f.read()
trunc = os.path.join(d, "truncated")
os.mkdir(trunc)
with open(os.path.join(trunc, "aggregates"), "wb") as f:
    f.write(agg[:len(agg) - 7])
p = run(incarne, ["plot", trunc])
check(p.returncode == 0, "a truncated aggregates file still gives a page (%s)" % p.stderr)
dom = load(os.path.join(trunc, "report.html"))
check(dom.body.get("data-rendered") == "true", "truncated: the page draws")
with open(os.path.join(trunc, "report.html"), encoding="utf-8") as f:
    check("truncated last block" in f.read(), "truncated: the page says so")

nothing = os.path.join(d, "empty-run")
os.mkdir(nothing)
with open(os.path.join(nothing, "aggregates"), "wb") as f:
    f.write(agg[:4096])  # the run header only: no second was recorded
p = run(incarne, ["plot", nothing])
check(p.returncode == 0, "an empty run gives a page (%s)" % p.stderr)
dom = load(os.path.join(nothing, "report.html"))
check(dom.body.get("data-rendered") == "true", "empty run: the page draws (no blank page)")
with open(os.path.join(nothing, "report.html"), encoding="utf-8") as f:
    check("no second was recorded" in f.read(), "empty run: the page says nothing was recorded")
print("PASS")
