#!/usr/bin/env python3
"""Captures feeding templates end to end (docs/scenario.md "Captures", "Templates") against
the Python test service: an instance logs in (POST /login with a JSON body built from
${instance} and ${iteration}: Content-Length fixed up, or the service answers 400), the token
is captured from the JSON reply, and the next request carries `Authorization: Bearer ${token}`,
which the service verifies (200); a request with a wrong token gets 401 and its status rule
makes it 314. A template naming an unknown variable is refused at start (exit 2) with the
record and the byte offset.

The split comes from the ammo file's templates section (docs/formats.md), written by the
compiler: for the jsonline compiled at run start and for an ammo file compiled beforehand with
`incarne ammo compile`; the same file rewritten to the layout of an older incarne (no section)
is split at run start; a damaged section stops the run (exit 2) naming its offset. incarne.log
says where each split came from.

  tests/integration/scenario_templates.py build/src/incarne
"""
import json
import os
import struct

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
check("templates: 3 of 3 records (split read from the ammo file)" in log,
      "incarne.log: the split compiled at run start is read from the ammo file")


def run_compiled(name, ammo_path):
    """Runs the plan over a compiled ammo file; returns (tags, incarne.log) or fails."""
    o = os.path.join(d, "run-" + name)
    r = run(incarne, ["run", write(os.path.join(d, name + ".toml"),
                                   plan(ammo_path).replace('format = "jsonline"', "")),
                      "--out", o], timeout=120)
    if r.returncode != 0:
        fail("%s: run failed (%d): %s" % (name, r.returncode, r.stderr))
    return report(incarne, o)["tags"], open(os.path.join(o, "incarne.log")).read()


def check_tokens(name, tags):
    for tag, net, proto in (("login", "0", "200"), ("profile", "0", "200"),
                            ("bad", "314", "401")):
        check(tags[tag]["net_codes"] == {net: LOOPS} and tags[tag]["proto_codes"] == {proto: LOOPS},
              "%s: %s: %d × net %s, HTTP %s (got %s %s)" % (
                  name, tag, LOOPS, net, proto, tags[tag]["net_codes"], tags[tag]["proto_codes"]))


# Compiled beforehand: the token captured at login is sent back, split read from the file.
pre = os.path.join(d, "pre.ammo")
p = run(incarne, ["ammo", "compile", ammo, "-o", pre], timeout=60)
check(p.returncode == 0 and "3 templated" in p.stdout,
      "ammo compile counts the templated records: %s %s" % (p.stdout.strip(), p.stderr.strip()))
p = run(incarne, ["ammo", "inspect", "--json", pre], timeout=60)
info = json.loads(p.stdout)
check(info["template_split"] and info["templated"] == 3 and info["template_variables"] == ["token"],
      "ammo inspect: 3 templated records over the variable token: %s" % p.stdout.strip())
logins_before = len(svc.logins)
tags, log = run_compiled("pre", pre)
check_tokens("compiled beforehand", tags)
check("templates: 3 of 3 records (split read from the ammo file)" in log,
      "compiled beforehand: incarne.log says the split was read from the ammo file")

# The same file as an older incarne wrote it (header_size 128, no section, no template flags).
data = bytearray(open(pre, "rb").read())
(count,) = struct.unpack_from("<Q", data, 24)
(index_offset,) = struct.unpack_from("<Q", data, 48)
(templates_offset,) = struct.unpack_from("<Q", data, 128)
(tags_offset, tags_size) = struct.unpack_from("<QQ", data, 80)
old = data[:tags_offset + tags_size]
struct.pack_into("<I", old, 12, 128)
struct.pack_into("<Q", old, 16, len(old))
struct.pack_into("<QQ", old, 128, 0, 0)
for i in range(count):
    at = index_offset + 16 * i + 14
    (flags,) = struct.unpack_from("<H", old, at)
    struct.pack_into("<H", old, at, flags & ~2)
old_path = write(os.path.join(d, "old.ammo"), "")
open(old_path, "wb").write(bytes(old))
p = run(incarne, ["ammo", "inspect", old_path], timeout=60)
check(p.returncode == 0 and "templates:      not split" in p.stdout,
      "ammo inspect: an older file's templates are not split: %s" % p.stdout.strip())
tags, log = run_compiled("old", old_path)
check_tokens("older file", tags)
check("templates: 3 of 3 records (split at run start: the ammo file has no templates section)"
      in log, "older file: incarne.log says the split was made at run start")

# A damaged section: the first piece's kind byte → exit 2 naming the offset, nothing run.
pieces_at = templates_offset + 24 + 16 * 3
data[pieces_at] = 200
bad_path = os.path.join(d, "bad-section.ammo")
open(bad_path, "wb").write(bytes(data))
out3 = os.path.join(d, "run-bad-section")
p = run(incarne, ["run", write(os.path.join(d, "bad-section.toml"),
                               plan(bad_path).replace('format = "jsonline"', "")),
                  "--out", out3], timeout=60)
check(p.returncode == 2 and ("bad-section.ammo: offset %d: expected a piece kind" % pieces_at)
      in p.stderr, "damaged section: exit 2 naming offset %d (got %d: %s)" % (
          pieces_at, p.returncode, p.stderr.strip()))

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
