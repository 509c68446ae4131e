#!/usr/bin/env python3
"""Captures feeding templates end to end (docs/scenario.md "Captures", "Templates") against
the Python test service: an instance logs in (POST /login with a JSON body built from
${instance} and ${iteration}: Content-Length fixed up, or the service answers 400), the token
is captured from the JSON reply, and the next request carries `Authorization: Bearer ${token}`,
which the service verifies (200); a request with a wrong token gets 401 and its status rule
makes it 314. A template naming an unknown variable is refused at start (exit 2) with the
record and the byte offset.

  tests/integration/scenario_templates.py build/src/incarne
"""
import json
import os

from engine_common import binary, check, fail, report, run, tmpdir, write
from scenario_service import Service

incarne = binary()
d = tmpdir()
svc = Service()
LOOPS = 3

RECORDS = [
    {"tag": "login", "method": "POST", "uri": "/login", "host": "127.0.0.1",
     "headers": {"Content-Type": "application/json"},
     "body": '{"user":"u${instance}","n":${iteration},"pad":"${uuid}"}'},
    {"tag": "profile", "method": "GET", "uri": "/profile", "host": "127.0.0.1",
     "headers": {"Authorization": "Bearer ${token}"}},
    {"tag": "bad", "method": "GET", "uri": "/profile?bad", "host": "127.0.0.1",
     "headers": {"Authorization": "Bearer ${token}x"}},
]


def plan(ammo_path):
    return """
[target]
address = "127.0.0.1:%d"
nib = "http"
timeout = "5s"
[ammo]
file = "%s"
format = "jsonline"
loop = %d
[load]
model = "instances"
schedule = "const(1, 60s)"
[results]
html = false

[[rules]]
tag = "login"
status = [200]
capture = { token = { json = "$.access_token" } }

[[rules]]
tag = "profile|bad"
status = [200]
""" % (svc.port, ammo_path, LOOPS)


ammo = write(os.path.join(d, "ammo.jsonl"), "".join(json.dumps(r) + "\n" for r in RECORDS))
out = os.path.join(d, "run")
p = run(incarne, ["run", write(os.path.join(d, "plan.toml"), plan(ammo)), "--out", out],
        timeout=120)
if p.returncode != 0:
    fail("run failed (%d): %s" % (p.returncode, p.stderr))
tags = report(incarne, out)["tags"]
for tag, net, proto in (("login", "0", "200"), ("profile", "0", "200"), ("bad", "314", "401")):
    check(tags[tag]["net_codes"] == {net: LOOPS} and tags[tag]["proto_codes"] == {proto: LOOPS},
          "%s: %d × net %s, HTTP %s (got %s %s)" % (tag, LOOPS, net, proto,
                                                    tags[tag]["net_codes"],
                                                    tags[tag]["proto_codes"]))
check(len(svc.logins) == LOOPS, "the service accepted %d login bodies as JSON" % LOOPS)
check([x["n"] for x in svc.logins] == [1, 4, 7],
      "${iteration} counts the instance's hits: %s" % [x["n"] for x in svc.logins])
check(all(x["user"] == svc.logins[0]["user"] and x["user"].startswith("u") for x in svc.logins),
      "${instance} is the same instance throughout: %s" % svc.logins[0]["user"])
check(len({x["pad"] for x in svc.logins}) == LOOPS and all(len(x["pad"]) == 36 for x in svc.logins),
      "${uuid}: a new one per request")
log = open(os.path.join(out, "incarne.log")).read()
check("templates: 3 of 3 records" in log, "incarne.log: the templated records")

# An unknown variable: refused at start with the record and the offset.
bad = write(os.path.join(d, "bad.jsonl"), json.dumps(
    {"tag": "profile", "uri": "/profile", "headers": {"Authorization": "Bearer ${tokn}"}}) + "\n")
out2 = os.path.join(d, "run-bad")
p = run(incarne, ["run", write(os.path.join(d, "bad.toml"), plan(bad)), "--out", out2],
        timeout=60)
check(p.returncode == 2, "unknown variable: exit 2 (got %d)" % p.returncode)
check("record 0: offset " in p.stderr and "unknown variable 'tokn'" in p.stderr,
      "unknown variable: record and offset named: %s" % p.stderr.strip())
check(not os.path.exists(out2), "unknown variable: no run directory left")
svc.close()
print("PASS")
