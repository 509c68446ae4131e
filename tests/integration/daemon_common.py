"""Helpers of the daemon's integration tests (daemon_*.py): a daemon configuration in a
temporary folder, queuing jobs the way the spool protocol asks (write under a dot-name, then
rename), waiting for files, starting and stopping `incarne daemon`.

Every test takes the incarne binary as argv[1]; exit 77 means "skipped" (reason printed).
"""
import json
import os
import signal
import subprocess
import time

from engine_common import check, fail, tmpdir, write

DUMMY_PLAN = """
[target]
nib = "dummy"
[target.dummy]
latency = "%(latency)s"
[load]
schedule = "%(schedule)s"
instances = 1000
[workers]
threads = 1
"""


def dummy_plan(schedule="const(200, 1s)", latency="1ms"):
    return DUMMY_PLAN % {"schedule": schedule, "latency": latency}


class Setup:
    """A daemon configuration under a fresh temporary folder."""

    def __init__(self, extra="", metrics=True):
        self.dir = tmpdir()
        self.spool = os.path.join(self.dir, "spool")
        self.runs = os.path.join(self.dir, "runs")
        self.status = os.path.join(self.dir, "status.json")
        self.metrics = os.path.join(self.dir, "incarne.prom") if metrics else ""
        self.config = os.path.join(self.dir, "incarned.toml")
        self.write_config(extra)

    def write_config(self, extra="", path=None):
        text = 'spool = "%s"\nruns = "%s"\nstatus = "%s"\nmetrics = "%s"\n%s' % (
            self.spool, self.runs, self.status, self.metrics, extra)
        tmp = (path or self.config) + ".tmp"
        write(tmp, text)
        os.rename(tmp, path or self.config)

    def queue(self, name, text, mode=0o644):
        """Queues a job by rename(2) from a dot-name, as docs/daemon.md asks."""
        os.makedirs(self.spool, exist_ok=True)
        tmp = os.path.join(self.spool, "." + name + ".part")
        write(tmp, text)
        os.chmod(tmp, mode)
        os.rename(tmp, os.path.join(self.spool, name))

    def path(self, *parts):
        return os.path.join(self.spool, *parts)

    def result(self, name):
        stem = name.rsplit(".", 1)[0]
        with open(self.path("done", stem + ".result.json")) as f:
            return json.load(f)

    def why(self, name):
        stem = name.rsplit(".", 1)[0]
        with open(self.path("rejected", stem + ".why")) as f:
            return f.read()


def start_daemon(incarne, setup, args=(), env=None, **kw):
    e = dict(os.environ)
    e.pop("NOTIFY_SOCKET", None)
    if env:
        e.update(env)
    return subprocess.Popen([incarne, "daemon", "--config", setup.config] + list(args),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=e,
                            **kw)


def wait_for(cond, what, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.02)
    fail("timed out waiting for " + what)


def stop_daemon(proc, timeout=60):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def read_json(path):
    with open(path) as f:
        return json.load(f)


__all__ = ["Setup", "check", "dummy_plan", "fail", "read_json", "start_daemon", "stop_daemon",
           "wait_for", "write"]
