#!/usr/bin/env python3
"""Reads phantom-format outputs the way Yandex.Tank does (docs/results.md, phantom.md), for tests.

    phantom_logs.py answ FILE [--expect-request SUBSTR] [--expect-reply PREFIX]
        parses an answ log (<size_out> <size_in> <real> <event> <net_code>\\n<request>\\n
        <reply>\\n, request = size_out bytes, reply = the first min(size_in, 4096) bytes);
        prints "<entries> <entries with net_code != 0>"; exits 1 on a malformed log or
        an entry that does not match the expectations.
    phantom_logs.py phout FILE
        checks every line as Tank's reader types it (pandas read_csv, sep TAB, 12 columns:
        float send_ts, str tag, ten ints); prints "<lines> <proto 404 lines> <net != 0 lines>".
    phantom_logs.py stat FILE
        Tank's PhantomStatsReader rule: buffer.rsplit('\\n},', 1) keeps the tail; the rest is
        split on '\\n},', each piece re-wrapped as '{' + piece + '}}' and parsed as JSON; the
        date "YYYY-MM-DD HH:MM:SS.mmm +ZZZZ" is read as local time (offset ignored); for each
        top key starting with benchmark_io, every child object holding mmtasks contributes
        mmtasks[2]. Prints "<records> <max summed mmtasks[2]> <space-separated stream keys>".
    phantom_logs.py stat-series FILE
        the same reading; prints each record's summed mmtasks[2] (in flight at most in that
        second), in order, space-separated.
"""
import datetime
import json
import re
import sys

REPLY_MAX = 4096


def fail(msg):
    print(f"phantom_logs.py: {msg}", file=sys.stderr)
    sys.exit(1)


def answ(path, expect_request=None, expect_reply=None):
    data = open(path, "rb").read()
    pos = 0
    entries = errors = 0
    while pos < len(data):
        nl = data.find(b"\n", pos)
        if nl < 0:
            fail(f"{path}: offset {pos}: entry header without a newline")
        head = data[pos:nl].decode()
        m = re.fullmatch(r"(\d+) (\d+) (\d+) (\d+) (\d+)", head)
        if not m:
            fail(f"{path}: offset {pos}: bad entry header {head!r}")
        size_out, size_in, real, event, net = (int(x) for x in m.groups())
        if real != event:
            fail(f"{path}: offset {pos}: interval_event {event} != interval_real {real}")
        pos = nl + 1
        request = data[pos:pos + size_out]
        pos += size_out
        if data[pos:pos + 1] != b"\n":
            fail(f"{path}: offset {pos}: expected a newline after the {size_out}-byte request")
        pos += 1
        reply_len = min(size_in, REPLY_MAX)
        reply = data[pos:pos + reply_len]
        pos += reply_len
        if data[pos:pos + 1] != b"\n":
            fail(f"{path}: offset {pos}: expected a newline after the {reply_len}-byte reply")
        pos += 1
        entries += 1
        errors += 1 if net != 0 else 0
        if expect_request is not None and expect_request.encode() not in request:
            fail(f"{path}: entry {entries}: request {request[:80]!r} lacks {expect_request!r}")
        if expect_reply is not None and not reply.startswith(expect_reply.encode()):
            fail(f"{path}: entry {entries}: reply {reply[:80]!r} does not start with "
                 f"{expect_reply!r}")
    print(entries, errors)


def phout(path):
    lines = n404 = nerr = 0
    data = open(path, "rb").read()
    if data and not data.endswith(b"\n"):
        fail(f"{path}: the last line is not whole")
    for i, raw in enumerate(data.decode().split("\n")[:-1], 1):
        f = raw.split("\t")
        if len(f) != 12:
            fail(f"{path}:{i}: {len(f)} fields, expected 12: {raw!r}")
        if not re.fullmatch(r"\d{10}\.\d{3}", f[0]):
            fail(f"{path}:{i}: time {f[0]!r} is not <unix s>.<ms>")
        float(f[0])
        for k in range(2, 12):
            if not re.fullmatch(r"\d+", f[k]):
                fail(f"{path}:{i}: field {k + 1} {f[k]!r} is not an integer")
        v = [int(x) for x in f[2:]]
        if v[0] != v[1] + v[2] + v[3] + v[4]:
            fail(f"{path}:{i}: interval_real != connect + send + latency + receive")
        lines += 1
        n404 += 1 if v[9] == 404 else 0
        nerr += 1 if v[8] != 0 else 0
    print(lines, n404, nerr)


def stat(path, series=False):
    buf = open(path).read()
    parts = buf.rsplit("\n},", 1)
    if len(parts) < 2:
        fail(f"{path}: no complete record")
    ready, tail = parts
    if tail.strip():
        fail(f"{path}: text after the last record: {tail[:80]!r}")
    records = 0
    best = 0
    keys = set()
    per_record = []
    for chunk in ready.split("\n},"):
        try:
            obj = json.loads("{%s}}" % chunk)
        except ValueError as e:
            fail(f"{path}: record {records + 1} does not parse: {e}: {chunk[:200]!r}")
        if len(obj) != 1:
            fail(f"{path}: record {records + 1}: expected one date key")
        date, body = next(iter(obj.items()))
        datetime.datetime.strptime(date.split(" +")[0].split(" -")[0], "%Y-%m-%d %H:%M:%S.%f")
        instances = 0
        found = False
        for key, value in body.items():
            if not key.startswith("benchmark_io"):
                continue
            keys.add(key)
            for child in value.values():
                if isinstance(child, dict) and "mmtasks" in child:
                    found = True
                    mm = child["mmtasks"]
                    if len(mm) != 3:
                        fail(f"{path}: record {records + 1}: mmtasks {mm} is not [min, avg, max]")
                    instances += mm[2]
        if not found:
            fail(f"{path}: record {records + 1}: no benchmark_io*/*/mmtasks")
        best = max(best, instances)
        per_record.append(instances)
        records += 1
    if series:
        print(" ".join(str(n) for n in per_record))
    else:
        print(records, best, " ".join(sorted(keys)))


def main():
    if len(sys.argv) < 3:
        fail(__doc__)
    cmd, path = sys.argv[1], sys.argv[2]
    if cmd == "answ":
        opts = dict(zip(sys.argv[3::2], sys.argv[4::2]))
        answ(path, opts.get("--expect-request"), opts.get("--expect-reply"))
    elif cmd == "phout":
        phout(path)
    elif cmd == "stat":
        stat(path)
    elif cmd == "stat-series":
        stat(path, series=True)
    else:
        fail(f"unknown command {cmd}")


if __name__ == "__main__":
    main()
