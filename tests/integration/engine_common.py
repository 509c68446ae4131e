"""Helpers of the engine's integration tests (engine_*.py): run incarne, read a run back
through incarne's own tools, start the built-in sink on a free loopback port.

Every test takes the incarne binary as argv[1]; exit 77 means "skipped" (reason printed).
"""
import atexit
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

SKIP = 77


def binary():
    if len(sys.argv) < 2:
        print("usage: %s INCARNE" % sys.argv[0], file=sys.stderr)
        sys.exit(2)
    return os.path.abspath(sys.argv[1])


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
    print("ok: " + msg)


def tmpdir():
    return tempfile.mkdtemp(prefix="incarne-engine-test-")


def small_tmpfs(parent, size):
    """A tmpfs of `size` (e.g. "8m") mounted at parent/small for this test and unmounted when
    it exits; exits 77 (skip) where mounting is not permitted."""
    mnt = os.path.join(parent, "small")
    os.mkdir(mnt)
    m = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", mnt],
                       capture_output=True, text=True)
    if m.returncode != 0:
        print("SKIP: cannot mount a tmpfs here: %s" % m.stderr.strip())
        sys.exit(SKIP)
    atexit.register(lambda: subprocess.run(["umount", mnt], capture_output=True))
    return mnt


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def run(incarne, args, timeout=120, **kw):
    """Runs incarne with args; returns CompletedProcess (text)."""
    return subprocess.run([incarne] + args, capture_output=True, text=True, timeout=timeout, **kw)


def records(incarne, run_dir):
    """Every hit of a run as dicts, through `incarne convert --to jsonl`."""
    p = run(incarne, ["convert", run_dir, "--to", "jsonl"])
    if p.returncode != 0:
        fail("convert failed: %s" % p.stderr)
    return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


def report(incarne, run_dir):
    p = run(incarne, ["report", run_dir, "--json"])
    if p.returncode != 0:
        fail("report failed: %s" % p.stderr)
    return json.loads(p.stdout)


def stats_seconds(run_dir):
    with open(os.path.join(run_dir, "stats.jsonl")) as f:
        return [json.loads(line) for line in f if line.strip()]


def schedule_ns(incarne, expr, model="rps"):
    p = run(incarne, ["schedule", expr, "--model", model, "--unit", "ns"])
    if p.returncode != 0:
        fail("schedule failed: %s" % p.stderr)
    return [int(x) for x in p.stdout.split()]


def max_concurrency(recs):
    ev = []
    for r in recs:
        ev.append((r["start_ns"], 1))
        ev.append((r["done_ns"], -1))
    ev.sort(key=lambda e: (e[0], e[1]))
    cur = best = 0
    for _, d in ev:
        cur += d
        best = max(best, cur)
    return best


class Sink:
    """`incarne sink` on 127.0.0.1, port chosen by the kernel; `extra`: more sink options (a
    capacity mode, docs/capacity.md)."""

    def __init__(self, incarne, body_size=None, extra=()):
        args = [incarne, "sink", "--listen", "127.0.0.1:0"] + list(extra)
        if body_size is not None:
            args += ["--body-size", str(body_size)]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("listening on "):
            self.stop()
            fail("sink did not start: %r %s" % (line, self.proc.stderr.read()))
        self.address = line.split()[-1]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def rss_anon_kb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None
