#!/usr/bin/env python3
"""A 1 GiB ammo file lives in the page cache, not in incarne's memory: the http nib sends
1024 POST requests of 1 MiB each (straight from the mapped ammo file; records this large go
out with sendfile(2)) to the built-in sink, and the anonymous RSS of `incarne run` grows by
less than 64 MiB compared with the same run over 1 KiB requests.

  tests/integration/engine_big_ammo.py build/src/incarne
"""
import os
import shutil
import subprocess
import time

from engine_common import (SKIP, Sink, binary, check, records, rss_anon_kb, tmpdir, write)

incarne = binary()
d = tmpdir()
free = shutil.disk_usage(d).free
if free < 4 * 2**30:
    print("SKIP: needs 4 GiB free in %s (has %d MiB)" % (d, free >> 20))
    raise SystemExit(SKIP)


def make_ammo(path, count, body):
    head = ("POST /upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n"
            % body).encode()
    payload = b"x" * body
    with open(path, "wb") as f:
        for i in range(count):
            req = head + payload
            f.write(b"%d big\n" % len(req))
            f.write(req)
            f.write(b"\n")
    return os.path.getsize(path)


def measure(name, ammo, sink):
    plan = write(os.path.join(d, name + ".toml"), """
[target]
nib = "http"
address = "%s"
timeout = "20s"
[ammo]
file = "%s"
format = "phantom"
[load]
schedule = "const(200, 6s)"
instances = 16
[results]
dir = "unused"
hits = "errors"
""" % (sink.address, ammo))
    out = os.path.join(d, name)
    proc = subprocess.Popen([incarne, "run", plan, "--out", out], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        kb = rss_anon_kb(proc.pid)
        if kb is not None:
            peak = max(peak, kb)
        time.sleep(0.02)
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        print(stderr[-3000:])
    check(proc.returncode == 0, "%s: exit 0 (got %d)" % (name, proc.returncode))
    return peak, out, stdout


with Sink(incarne) as sink:
    small = os.path.join(d, "small.txt")
    make_ammo(small, 1024, 1024)
    base, out_small, _ = measure("small", small, sink)
    big = os.path.join(d, "big.txt")
    size = make_ammo(big, 1024, 1 << 20)
    check(size >= 1 << 30, "the ammo file is 1 GiB (%d MiB)" % (size >> 20))
    peak, out_big, report_text = measure("big", big, sink)
print(report_text[:600])
print("anonymous RSS peak: %d MiB with 1 KiB requests, %d MiB with 1 MiB requests"
      % (base >> 10, peak >> 10))
check(peak - base < 64 * 1024, "anonymous RSS grows by less than 64 MiB (%d MiB)"
      % ((peak - base) >> 10))
check("errors 0 " in report_text, "every 1 MiB request got its reply")
with open(os.path.join(out_big, "summary.json")) as f:
    summary = f.read()
check('"hits":1200' in summary.replace(" ", ""), "1200 hits (every record at least once)")
shutil.rmtree(d, ignore_errors=True)
print("PASS")
