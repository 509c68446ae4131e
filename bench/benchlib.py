"""What the system benchmarks in bench/ share: a private nginx on loopback
(tests/integration/lib/nginx.sh), a release build of incarne, and the client CPU of a run.

    import benchlib
    ng = benchlib.Nginx(extra_conf="location = /x { return 200 'x'; }", access_log=True, cpu=1)
    cpu_s, proc = benchlib.run_measured([exe, "run", plan], cpu=0, timeout=60)
    ng.stop()

Nothing here asserts a figure (docs/design.md §11).
"""

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NGINX_SH = os.path.join(ROOT, "tests", "integration", "lib", "nginx.sh")


def sh(cmd, **kw):
    return subprocess.run(cmd, check=False, text=True, capture_output=True, **kw)


def die(who, msg):
    sys.exit(f"{who}: {msg}")


class Nginx:
    """nginx.sh's nginx_start --v4: one worker on 127.0.0.1:port, optionally pinned to `cpu`,
    with `extra_conf` in its server block and its access log at self.access_log."""

    def __init__(self, extra_conf="", access_log=False, cpu=None):
        env = dict(os.environ, NGINX_NO_TRAP="1", NGINX_EXTRA_CONF=extra_conf,
                   NGINX_ACCESS_LOG="1" if access_log else "0")
        if cpu is not None:
            env["NGINX_WORKER_CPU"] = str(cpu)
        script = (f'. "{NGINX_SH}"; nginx_start --v4 >&2 || exit 77; '
                  'echo "$NGINX_PORT $NGINX_PID $NGINX_WORKER_PID $NGINX_DIR"')
        r = subprocess.run(["bash", "-c", script], env=env, text=True, capture_output=True)
        if r.returncode != 0:
            die("bench", f"nginx did not start: {r.stderr.strip()}")
        port, pid, wpid, d = r.stdout.split()
        self.port, self.pid, self.wpid, self.dir = int(port), int(pid), int(wpid), d
        self.access_log = os.path.join(d, "access.log") if access_log else None

    def log_size(self):
        """Where the access log ends now: give it to log_since() after a run."""
        return os.path.getsize(self.access_log) if os.path.exists(self.access_log) else 0

    def log_since(self, offset):
        """The access log lines written after offset, split (nginx.sh's format: addr method
        uri status request_length content_length). nginx writes a line when a request ends,
        so read this after the client has exited."""
        with open(self.access_log, "rb") as f:
            f.seek(offset)
            return [ln.split() for ln in f.read().decode(errors="replace").splitlines()]

    def stop(self):
        script = (f'. "{NGINX_SH}"; NGINX_PID={self.pid}; NGINX_WORKER_PID={self.wpid}; '
                  f'NGINX_DIR="{self.dir}"; nginx_stop')
        subprocess.run(["bash", "-c", script])


def ensure_incarne(who):
    """$INCARNE, or build-bench/src/incarne (a release build of this checkout, made here)."""
    exe = os.environ.get("INCARNE")
    if exe:
        return exe
    bdir = os.path.join(ROOT, "build-bench")
    if not os.path.exists(os.path.join(bdir, "build.ninja")):
        r = sh(["meson", "setup", bdir, "--buildtype=release", "-Ddeveloper_mode=false",
                "-Dtests=disabled", "-Dfuzzing=disabled", "-Dbenchmarks=disabled"], cwd=ROOT,
               env=dict(os.environ, CXX=os.environ.get("CXX", "clang++")))
        if r.returncode != 0:
            die(who, "meson setup failed:\n" + r.stdout + r.stderr)
    r = sh(["ninja", "-C", bdir, "-j2", "src/incarne"], cwd=ROOT)
    if r.returncode != 0:
        die(who, "build failed:\n" + r.stdout[-3000:])
    return os.path.join(bdir, "src", "incarne")


def run_measured(argv, cpu=None, timeout=None):
    """Runs argv (pinned to `cpu` with taskset when given; killed after `timeout` seconds) and
    returns (CPU seconds: user+sys of the process and its threads from wait4, exit status,
    stdout, stderr)."""
    if cpu is not None:
        argv = ["taskset", "-c", str(cpu)] + argv  # taskset execs: the pid stays argv's
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        p = subprocess.Popen(argv, stdout=out, stderr=err, text=True)
        # A run that hangs is killed at `timeout` (its status then says so).
        timer = threading.Timer(timeout, p.kill) if timeout else None
        if timer:
            timer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            if timer:
                timer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return ru.ru_utime + ru.ru_stime, p.returncode, out.read(), err.read()


def parse_binaries(specs):
    """The A/B scripts' binaries: NAME=PATH[:VAR=VALUE,...] → [(name, absolute path, env)]."""
    bins = []
    for b in specs:
        name, _, rest = b.partition("=")
        path, _, env = rest.partition(":")
        bins.append((name, os.path.abspath(path), dict(kv.split("=", 1) for kv in env.split(",")
                                                       if kv)))
    return bins


def with_env(env, fn):
    """fn() with os.environ updated by env, restored afterwards."""
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return fn()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def interleaved(points, runs, bins, run, describe):
    """The A/B loop: for each point (a connection count, a rate), `runs` rounds of every
    binary in turn, each with its environment (with_env), 1 s apart. run(name, path, point,
    rep) returns a result; describe(result) is printed to stderr per run. Returns
    {(name, point): [results]}."""
    results = {}
    for point in points:
        for rep in range(runs):
            for name, path, env in bins:
                res = with_env(env, lambda: run(name, path, point, rep))
                results.setdefault((name, point), []).append(res)
                print(f"  {name} {point} run {rep + 1}: {describe(res)}", file=sys.stderr)
                time.sleep(1)
    return results


def median_range(rows, key):
    """(median, min, max) of rows' `key` values that are not None; (None,) * 3 if none."""
    vals = [r[key] for r in rows if r.get(key) is not None]
    return (statistics.median(vals), min(vals), max(vals)) if vals else (None,) * 3


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def summary(xs):
    """'median (min–max)' of xs."""
    return f"{statistics.median(xs):7.2f} ({min(xs):.2f}–{max(xs):.2f})"
