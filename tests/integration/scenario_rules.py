#!/usr/bin/env python3
"""[[rules]] end to end (docs/scenario.md) against a Python test service on loopback: each
kind of assert (status, headers, body, max_latency) shown to pass and to fail; a failed one is
net_code 314 with the HTTP status kept, counted per tag in `report --json`; a tag no rule
touches is not asserted; a chunked body is de-chunked before the body regex; captures (JSON
path, header) pass, a capture that finds nothing is 314 and a value over scenario.max_value
is net_code 75 (EOVERFLOW); the answ log at level "errors" holds exactly the failed hits,
each with its reason before the reply; a bad regex is refused with its position (exit 2, no
run directory).

  tests/integration/scenario_rules.py build/src/incarne
"""
import json
import os
import re

from engine_common import binary, check, fail, report, run, tmpdir, write
from scenario_service import Service

incarne = binary()
d = tmpdir()
svc = Service(slow_s=0.3)

LOOPS = 3
# tag → (method, uri); the query strings only tell the answ entries apart.
AMMO = [
    ("ok", "GET", "/json"),
    ("hdr", "GET", "/html?hdr"),
    ("st", "GET", "/missing?st"),
    ("body", "GET", "/html?body"),
    ("lat", "GET", "/slow"),
    ("chunk", "GET", "/chunked"),
    ("free", "GET", "/missing?free"),
    ("cap", "GET", "/json?cap"),
    ("capmiss", "GET", "/json?capmiss"),
    ("caplong", "GET", "/json?caplong"),
]
ammo = write(os.path.join(d, "ammo.jsonl"), "".join(
    json.dumps({"tag": t, "method": m, "uri": u, "host": "127.0.0.1"}) + "\n"
    for t, m, u in AMMO))

RULES = r'''
[scenario]
max_value = 8

[[rules]]
tag = "cap"
capture = { token = { json = "$.access_token" }, n = { json = "$.n" }, ct = { header = "Content-Type", regex = "/(js)on" } }

[[rules]]
tag = "capmiss"
capture = { nope = { json = "$.nope[0]" } }

[[rules]]
tag = "caplong"
capture = { ctype = { header = "Content-Type" } }

[[rules]]
tag = "ok"
status = ["2xx"]
headers = { "Content-Type" = "^application/json$" }
body = '"access_token":"t-\d+"'
max_latency = "5s"

[[rules]]
tag = "hdr"
headers = { "Content-Type" = "json" }

[[rules]]
tag = "st"
status = ["2xx", 301]

[[rules]]
tag = "body"
body = "access_token"

[[rules]]
tag = "lat"
max_latency = "100ms"

[[rules]]
tag = "chunk"
body = '\Aneedle\z'

[[rules]]
tag = "nothing-has-this-tag"
status = [200]
'''

PLAN = """
[target]
address = "127.0.0.1:%d"
nib = "http"
timeout = "5s"
[ammo]
file = "%s"
format = "jsonline"
loop = %d
[load]
schedule = "const(100, 1s)"
[results]
answ = "errors"
html = false
""" % (svc.port, ammo, LOOPS) + RULES

plan = write(os.path.join(d, "plan.toml"), PLAN)
out = os.path.join(d, "run")
p = run(incarne, ["run", plan, "--out", out], timeout=120)
if p.returncode != 0:
    fail("run failed (%d): %s" % (p.returncode, p.stderr))
rep = report(incarne, out)
tags = rep["tags"]
want = {
    "ok": ("0", 200), "hdr": ("314", 200), "st": ("314", 404), "body": ("314", 200),
    "lat": ("314", 200), "chunk": ("0", 200), "free": ("0", 404),
    "cap": ("0", 200), "capmiss": ("314", 200), "caplong": ("75", 200),
}
for tag, (net, proto) in want.items():
    st = tags.get(tag)
    if st is None:
        fail("report has no tag %s: %s" % (tag, sorted(tags)))
    check(st["net_codes"] == {net: LOOPS},
          "%s: net_codes %s (got %s)" % (tag, {net: LOOPS}, st["net_codes"]))
    check(st["proto_codes"] == {str(proto): LOOPS},
          "%s: the HTTP status is kept: %s" % (tag, st["proto_codes"]))
check(rep["overall"]["net_codes"].get("314") == 5 * LOOPS, "overall: 314 counted 5 × loops")

log = open(os.path.join(out, "incarne.log")).read()
check("rules: 10 rules touch 9 of" in log and "variables: 5" in log,
      "incarne.log: how many tags the rules touch, how many variables")
check(re.search(r'warning: rules: the rule at .*plan.toml:\d+:1 matches no tag of the ammo '
                r'\(tag = "nothing-has-this-tag"\)', log) is not None,
      "incarne.log: a rule that matches no tag is warned about")

# answ.log: "<size_out> <size_in> <real> <event> <net>\n<request>\n<reply>\n" per entry.
data = open(os.path.join(out, "answ.log"), "rb").read()
entries = []
pos = 0
while pos < len(data):
    nl = data.index(b"\n", pos)
    size_out, size_in, _, _, net = (int(x) for x in data[pos:nl].split())
    req = data[nl + 1:nl + 1 + size_out]
    pos = nl + 1 + size_out + 1
    body = data[pos:pos + min(size_in, 4096)]
    pos += min(size_in, 4096) + 1
    entries.append((net, req.decode(), body.decode(errors="replace")))
check(len(entries) == 6 * LOOPS, "answ errors: exactly the %d failed hits (got %d)"
      % (6 * LOOPS, len(entries)))
reasons = {
    "/html?hdr": ("incarne: assert header Content-Type failed\n", "HTTP/1.1 200"),
    "/missing?st": ("incarne: assert status failed\n", "HTTP/1.1 404"),
    "/html?body": ("incarne: assert body failed\n", "HTTP/1.1 200"),
    "/slow": ("incarne: assert max_latency failed\n", "HTTP/1.1 200"),
    "/json?capmiss": ("incarne: assert capture nope failed\n", "HTTP/1.1 200"),
    "/json?caplong": ("incarne: capture ctype: longer than scenario.max_value\n", "HTTP/1.1 200"),
}
for net, req, reply in entries:
    uri = req.split(" ")[1]
    if net != (75 if uri == "/json?caplong" else 314) or uri not in reasons:
        fail("unexpected answ entry: net %d, %r" % (net, req[:40]))
    why, status = reasons[uri]
    if not reply.startswith(why + status):
        fail("answ entry for %s: want %r then the reply, got %r" % (uri, why, reply[:80]))
check(True, "answ errors: each entry has its reason, then the reply as received")

# A bad regex: refused at load with its position; nothing starts.
bad = write(os.path.join(d, "bad.toml"),
            PLAN.replace('body = "access_token"', 'body = "(access_token"'))
line = PLAN.replace('body = "access_token"', 'body = "(access_token"').split("\n").index(
    'body = "(access_token"') + 1
out2 = os.path.join(d, "run-bad")
p = run(incarne, ["run", bad, "--out", out2], timeout=60)
check(p.returncode == 2, "bad regex: exit 2 (got %d)" % p.returncode)
check("bad.toml:%d:8: rules.body: bad regex" % line in p.stderr,
      "bad regex: file:line:column named: %s" % p.stderr.strip())
check(not os.path.exists(out2), "bad regex: no run directory")
p = run(incarne, ["check", bad], timeout=60)
check(p.returncode == 2, "incarne check refuses it too")
svc.close()
print("PASS")
