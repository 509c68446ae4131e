"""Headless Chromium for the `incarne plot` tests (plot_chromium.py, plot_capacity.py): load a
page from a file URL with every network path closed and read what the DOM says."""
import html.parser
import os
import shutil
import subprocess
import sys
import tempfile

from engine_common import SKIP, fail

chromium = shutil.which("chromium") or shutil.which("chromium-browser")
if chromium is None:
    print("SKIP: chromium is not installed (scripts/install-deps)")
    sys.exit(SKIP)
build_root = os.environ.get("INCARNE_BUILD_ROOT", tempfile.gettempdir())


def chrome(url_path, extra):
    """Runs headless Chromium on a file with every network path closed; returns stdout."""
    profile = tempfile.mkdtemp(prefix="incarne-plot-chromium-")
    try:
        p = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-extensions", "--user-data-dir=" + profile,
             # Any request that escaped the page's CSP would fail here, not reach a network.
             "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND",
             "--virtual-time-budget=5000", "--window-size=1440,1800"] + extra +
            ["file://" + os.path.abspath(url_path)],
            capture_output=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if p.returncode != 0:
        fail("chromium exited %d: %s" % (p.returncode, p.stderr.decode(errors="replace")[-2000:]))
    return p.stdout.decode(errors="replace")


class Dom(html.parser.HTMLParser):
    """What the tests read from the dumped DOM: body attributes, charts, table cells, the
    step tables of capacity runs (table.steps) and the verdict banners (.verdict)."""

    def __init__(self):
        super().__init__()
        self.body = {}
        self.charts = {}
        self.rows = []  # (run, tag, {key: text})
        self.steps = {}  # table id -> [{key: text}]
        self.verdicts = {}  # id -> text
        self.errors = []
        self._cell = None
        self._steps = None
        self._verdict = None
        self._err = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = (a.get("class") or "").split()
        if tag == "body":
            self.body = a
        if "chart" in classes:
            self.charts[a.get("id")] = a
        if tag == "table" and "steps" in classes:
            self._steps = a.get("id")
            self.steps[self._steps] = []
        if tag == "tr" and self._steps is not None:
            self.steps[self._steps].append({})
        if tag == "tr" and "data-run" in a:
            self.rows.append((a["data-run"], a["data-tag"], {}))
        if tag == "td" and "data-k" in a and (self.rows or self._steps is not None):
            self._cell = a["data-k"]
        if "verdict" in classes:
            self._verdict = a.get("id")
            self.verdicts[self._verdict] = ""
        if a.get("id") == "plot-error":
            self._err = True

    def handle_data(self, data):
        if self._cell is not None:
            row = self.steps[self._steps][-1] if self._steps is not None else self.rows[-1][2]
            row[self._cell] = row.get(self._cell, "") + data
        if self._verdict is not None:
            self.verdicts[self._verdict] += data
        if self._err:
            self.errors.append(data)

    def handle_endtag(self, tag):
        if tag == "td":
            self._cell = None
        if tag == "table":
            self._steps = None
        if tag == "div":
            self._verdict = None
        if tag == "p":
            self._err = False


def load(page):
    d = Dom()
    d.feed(chrome(page, ["--dump-dom"]))
    return d
