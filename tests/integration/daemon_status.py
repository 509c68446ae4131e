#!/usr/bin/env python3
"""Health stats of `incarne daemon` (docs/daemon.md §5, §6, §7).

- The status file, read 10 times a second during a run, parses as JSON at every read; its
  last_second figures equal the run's stats.jsonl line of that second, and its running sums
  equal the sums of stats.jsonl up to that second.
- The metrics file passes a strict Prometheus text-format (0.0.4) parser written here, and
  its figures agree with the run.
- A datagram listener on $NOTIFY_SOCKET (an abstract socket, '@name') sees READY=1, then
  STATUS=..., WATCHDOG=1, then STOPPING=1, in that order.
- `incarne status` prints the state for a person; `--json` prints the file.

  tests/integration/daemon_status.py build/src/incarne
"""
import json
import math
import os
import re
import socket
import threading
import time

from daemon_common import Setup, check, dummy_plan, fail, read_json, start_daemon, stop_daemon, \
    wait_for
from engine_common import binary, run, stats_seconds

incarne = binary()

# ---- a strict Prometheus text-format parser ----------------------------------------------------
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
TYPES = {"counter", "gauge", "summary", "histogram", "untyped"}


def parse_value(text, where):
    if text in ("NaN", "+Inf", "-Inf"):
        return float(text.replace("Inf", "inf").replace("NaN", "nan"))
    if not re.fullmatch(r"[-+]?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?)", text):
        fail("%s: bad sample value %r" % (where, text))
    return float(text)


def parse_labels(text, where):
    labels = {}
    i = 0
    while i < len(text):
        m = re.match(LABEL + "=\"", text[i:])
        if not m:
            fail("%s: bad label at %r" % (where, text[i:]))
        name = m.group(0)[:-2]
        i += len(m.group(0))
        value = ""
        while True:
            if i >= len(text):
                fail("%s: unterminated label value" % where)
            c = text[i]
            if c == "\\":
                nxt = text[i + 1:i + 2]
                if nxt not in ("\\", "\"", "n"):
                    fail("%s: bad escape \\%s" % (where, nxt))
                value += {"\\": "\\", "\"": "\"", "n": "\n"}[nxt]
                i += 2
            elif c == "\"":
                i += 1
                break
            elif c == "\n":
                fail("%s: raw newline in a label value" % where)
            else:
                value += c
                i += 1
        if name in labels:
            fail("%s: duplicate label %s" % (where, name))
        labels[name] = value
        if i < len(text):
            if text[i] != ",":
                fail("%s: expected ',' between labels" % where)
            i += 1
    return labels


def parse_prometheus(text):
    """{(name, frozenset(labels)): value}; fails on anything the format does not allow."""
    if not text.endswith("\n"):
        fail("metrics: the last line must end with a newline")
    types, helps, samples, done_families = {}, {}, {}, set()
    current = None
    for n, line in enumerate(text[:-1].split("\n"), 1):
        where = "metrics line %d" % n
        if line == "":
            fail("%s: empty line" % where)
        if line.startswith("#"):
            m = re.fullmatch(r"# (HELP|TYPE) (" + NAME + r") (.*)", line)
            if not m:
                if line.startswith("# HELP") or line.startswith("# TYPE"):
                    fail("%s: malformed %r" % (where, line))
                continue  # a comment
            kind, name, rest = m.groups()
            table = helps if kind == "HELP" else types
            if name in table:
                fail("%s: second %s for %s" % (where, kind, name))
            if kind == "TYPE":
                if rest not in TYPES:
                    fail("%s: unknown type %r" % (where, rest))
                if any(k[0] == name for k in samples):
                    fail("%s: TYPE after samples of %s" % (where, name))
            table[name] = rest
            continue
        m = re.fullmatch(r"(" + NAME + r")(\{(.*)\})? (\S+)( -?\d+)?", line)
        if not m:
            fail("%s: not a sample: %r" % (where, line))
        name, _, labels, value, _ = m.groups()
        if name != current:
            if name in done_families:
                fail("%s: samples of %s are not contiguous" % (where, name))
            if current is not None:
                done_families.add(current)
            current = name
        key = (name, frozenset(parse_labels(labels or "", where).items()))
        if key in samples:
            fail("%s: duplicate series %s" % (where, line))
        samples[key] = parse_value(value, where)
    return samples, types


def sample(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


# ---- $NOTIFY_SOCKET listener ----------------------------------------------------------------------
sock_name = "incarne-test-%d" % os.getpid()
listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
listener.bind("\0" + sock_name)
listener.settimeout(0.2)
messages = []
stop_listening = threading.Event()


def listen():
    while not stop_listening.is_set():
        try:
            messages.append(listener.recv(4096).decode())
        except socket.timeout:
            pass


threading.Thread(target=listen, daemon=True).start()

# ---- a run watched 10 times a second -------------------------------------------------------------
s = Setup()
d = start_daemon(incarne, s, env={"NOTIFY_SOCKET": "@" + sock_name, "WATCHDOG_USEC": "2000000"})
wait_for(lambda: any("READY=1" in m for m in messages), "READY=1")
s.queue("watched.toml", dummy_plan("const(300, 3s)", latency="2ms"))
snapshots = []
reads = 0
status_human = None
metrics_running = None
deadline = time.time() + 60
while not os.path.exists(s.path("done", "watched.toml")) and time.time() < deadline:
    with open(s.status) as f:
        text = f.read()
    reads += 1
    try:
        st = json.loads(text)
    except ValueError as e:
        fail("status file did not parse at read %d: %s: %r" % (reads, e, text[:200]))
    cur = st.get("current")
    if cur and cur["last_second"]["second"] >= 0:
        snapshots.append(cur)
        if status_human is None:
            status_human = run(incarne, ["status", "--config", s.config])
        if metrics_running is None:
            with open(s.metrics) as f:
                metrics_running = f.read()
    time.sleep(0.1)
check(os.path.exists(s.path("done", "watched.toml")), "the job ran (%d status reads)" % reads)
check(reads >= 20, "the status file was read %d times during the run, all parsed" % reads)
check(len(snapshots) >= 3, "%d reads saw a finished second" % len(snapshots))
r = s.result("watched.toml")
lines = {x["second"]: x for x in stats_seconds(r["run_dir"])}
for snap in snapshots:
    ls = snap["last_second"]
    x = lines.get(ls["second"])
    if x is None:
        fail("second %d of the status is not in stats.jsonl" % ls["second"])
    o = x["overall"]
    pairs = [(ls["planned"], x["planned"], "planned"), (ls["sent"], x["sent"], "sent"),
             (ls["rps"], o["hits"], "rps/hits"), (ls["errors"], o["errors"], "errors"),
             (ls["in_flight"], x["inflight_max"], "in_flight")]
    for got, want, what in pairs:
        if got != want:
            fail("second %d: status %s %s != stats.jsonl %s" % (ls["second"], what, got, want))
    for got, want, what in ((ls["p99_us"], o["latency_us"]["p99"], "p99"),
                            (ls["lag_p99_us"], o["lag_us"]["p99"], "lag p99")):
        if not math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-3):
            fail("second %d: status %s %s != stats.jsonl %s" % (ls["second"], what, got, want))
    upto = [lines[k] for k in lines if k <= ls["second"]]
    if snap["hits"] != sum(u["overall"]["hits"] for u in upto) or \
            snap["planned"] != sum(u["planned"] for u in upto):
        fail("second %d: the status sums differ from stats.jsonl" % ls["second"])
check(True, "every status snapshot equals stats.jsonl for its second (%d)" % len(snapshots))

check(status_human is not None and status_human.returncode == 0 and
      "running" in status_human.stdout and "watched.toml" in status_human.stdout,
      "incarne status prints the running job:\n" + (status_human.stdout if status_human else ""))
pj = run(incarne, ["status", "--json", "--config", s.config])
check(pj.returncode == 0 and json.loads(pj.stdout)["state"] in ("idle", "running"),
      "incarne status --json prints the file")

samples, types = parse_prometheus(metrics_running)
check(sample(samples, "incarne_up") == 1 and sample(samples, "incarne_running") == 1,
      "metrics during the run parse strictly: up 1, running 1")
for fam, typ in (("incarne_up", "gauge"), ("incarne_running", "gauge"),
                 ("incarne_queue_jobs", "gauge"), ("incarne_hits_total", "counter"),
                 ("incarne_errors_total", "counter"), ("incarne_rps", "gauge"),
                 ("incarne_latency_seconds", "gauge")):
    check(types.get(fam) == typ, "%s is a %s" % (fam, typ))
check(sample(samples, "incarne_latency_seconds", quantile="0.99") is not None,
      "incarne_latency_seconds{quantile=\"0.99\"}")

code, out, err = stop_daemon(d)
print(err[-2000:])
check(code == 0, "SIGTERM: exit 0")
with open(s.metrics) as f:
    samples, _ = parse_prometheus(f.read())
check(sample(samples, "incarne_up") == 0, "the last metrics say incarne_up 0")
check(sample(samples, "incarne_hits_total", tag="") == r["hits"] == 900,
      "incarne_hits_total{tag=\"\"} = the run's hits (900)")

stop_listening.set()
time.sleep(0.3)
print(messages[:3], "...", messages[-2:])
kinds = []
for m in messages:
    for part in m.split("\n"):
        key = part.split("=", 1)[0]
        if not kinds or kinds[-1] != key:
            kinds.append(key)
order = [k for k in kinds if k in ("READY", "STATUS", "WATCHDOG", "STOPPING")]
check(order[0] == "READY" and "STATUS" in order and "WATCHDOG" in order and
      order[-1] == "STOPPING", "notifications: READY=1, STATUS=, WATCHDOG=1, STOPPING=1 (%s)"
      % " ".join(order[:6]))
check(order.index("STATUS") > 0 and order.index("WATCHDOG") > 0 and order.count("READY") == 1,
      "READY=1 once and first")
check(any(m.startswith("STATUS=running watched.toml") for m in messages),
      "a STATUS= line names the running job")
print("daemon_status: all checks passed")
