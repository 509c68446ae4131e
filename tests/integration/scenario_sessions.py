#!/usr/bin/env python3
"""Multi-step sessions, cookies and data files end to end (docs/scenario.md "Multi-step
sessions", "Cookies", "Data files") against a shop service written here (Python http.server
on loopback):

  POST /login     {"user": u, "password": p}: 200 {"access_token": t} and Set-Cookie sid=…
                  when users.csv's password is right, else 403
  GET  /cart      200 when "Authorization: Bearer t" names a login's token AND the Cookie
                  header carries that login's sid; 401 otherwise
  POST /checkout  the same check

The service logs every request by token, so a test sees each session's sequence.

  1. jsonline sessions (closed model): 100 instances × a 3-step session; each instance logs in
     as its own user (rows = "instance"); every token saw exactly login, cart, checkout; the
     session records (tag "buy") are 100, all ok.
  2. on_fail: a user whose password is wrong: login 403 → 314 and the session stops (no cart,
     no checkout); with on_fail = "continue" the next steps go and fail too.
  3. [[scenario.steps]] over tagged ammo, open model: each shot runs login → cart → checkout.
  4. Bad inputs: a missing step, a bad data row, a step tag no record has: exit 2 with the
     position, no run directory left.
  5. The same session in phantom ammo with `[scenario=buy step=N sleep=D]` markers
     (docs/ammo.md "Session markers"): 10 instances × one session each, every token saw
     login, cart, checkout; a bad marker stops the run with its line.
  6. Ammo compiled beforehand (`incarne ammo compile`, then the plan naming the .ammo): the
     sessions stored in the file (docs/formats.md "Sessions section") run as the source's do,
     `ammo inspect` counts them, a missing step is refused naming the record.

  tests/integration/scenario_sessions.py build/src/incarne
"""
import collections
import json
import os
import threading

from engine_common import binary, check, fail, report, run, tmpdir, write
from scenario_service import Handler, LoopbackServer

incarne = binary()
d = tmpdir()


class Shop(LoopbackServer):
    def __init__(self, users):
        self.users = users  # user → password
        self.lock = threading.Lock()
        self.by_token = collections.defaultdict(list)  # token → [step, ...]
        self.logins = collections.Counter()  # user → logins accepted
        self.refused = collections.Counter()  # path → 401/403 replies
        self.sid_of = {}  # token → sid
        self.n = 0
        shop = self

        class Routes(Handler):
            def reply(self, code, body, extra=()):
                super().reply(code, "application/json", body, extra)

            def route(self, path, body):
                if path == "/login":
                    try:
                        who = json.loads(body)
                    except ValueError:
                        self.reply(400, '{"error":"bad json"}')
                        return
                    with shop.lock:
                        if shop.users.get(who.get("user")) != who.get("password"):
                            shop.refused[path] += 1
                            self.reply(403, '{"error":"who are you"}')
                            return
                        shop.n += 1
                        token, sid = "tok-%d" % shop.n, "sid-%d" % shop.n
                        shop.sid_of[token] = sid
                        shop.logins[who["user"]] += 1
                        shop.by_token[token].append("login")
                    self.reply(200, json.dumps({"access_token": token}),
                               [("Set-Cookie", "sid=%s; Path=/; Max-Age=600; HttpOnly" % sid),
                                ("Set-Cookie", "theme=dark; Path=/elsewhere")])
                elif path in ("/cart", "/checkout"):
                    auth = self.headers.get("Authorization") or ""
                    token = auth[7:] if auth.startswith("Bearer ") else ""
                    cookies = self.headers.get_all("Cookie") or []
                    with shop.lock:
                        sid = shop.sid_of.get(token)
                        ok = sid is not None and cookies == ["sid=%s" % sid]
                        if ok:
                            shop.by_token[token].append(path[1:])
                        else:
                            shop.refused[path] += 1
                    if ok:
                        self.reply(200, '{"ok":true}')
                    else:
                        self.reply(401, '{"error":"no session"}')
                else:
                    self.reply(404, '{"error":"not here"}')

        super().__init__(Routes)


USERS = {"u%d" % i: "p%d" % i for i in range(100)}
shop = Shop(dict(USERS, mallory="right"))
users_csv = write(os.path.join(d, "users.csv"),
                  "user,password\n" + "".join("%s,%s\n" % kv for kv in USERS.items()))


def step(tag, method, uri, scenario=None, n=None, sleep=None, body=None):
    r = {"tag": tag, "method": method, "uri": uri, "host": "127.0.0.1",
         "headers": {"Content-Type": "application/json"}}
    if tag != "login":
        r["headers"]["Authorization"] = "Bearer ${token}"
    if body is not None:
        r["body"] = body
    if scenario is not None:
        r.update({"scenario": scenario, "step": n})
    if sleep is not None:
        r["sleep"] = sleep
    return json.dumps(r) + "\n"


LOGIN = '{"user":"${user}","password":"${password}"}'
CHECKOUT = '{"items":1}'


def ammo(name, scenario=True):
    s = "buy" if scenario else None
    return write(os.path.join(d, name),
                 step("login", "POST", "/login", s, 1, body=LOGIN) +
                 step("cart", "GET", "/cart", s, 2, sleep="5ms" if scenario else None) +
                 step("checkout", "POST", "/checkout", s, 3, body=CHECKOUT))


def plan(ammo_path, load, extra="", data=users_csv, loop=None):
    return """
[target]
address = "127.0.0.1:%d"
nib = "http"
timeout = "30s"
[ammo]
file = "%s"
format = "jsonline"
%s
[load]
%s
[results]
html = false

[scenario]
cookies = true
%s

[scenario.data]
file = "%s"

[[rules]]
tag = "login"
status = [200]
capture = { token = { json = "$.access_token" } }

[[rules]]
tag = "cart|checkout"
status = [200]
""" % (shop.port, ammo_path, "loop = %d" % loop if loop else "", load, extra, data)


def go(name, plan_text, expect=0):
    out = os.path.join(d, name)
    p = run(incarne, ["run", write(os.path.join(d, name + ".toml"), plan_text), "--out", out],
            timeout=120)
    if p.returncode != expect:
        fail("%s: exit %d, expected %d: %s" % (name, p.returncode, expect, p.stderr))
    return out, p


def counts(tags, tag):
    t = tags.get(tag)
    return (t["net_codes"], t["proto_codes"]) if t else ({}, {})


# 1. 100 instances × one 3-step session each.
out, _ = go("closed", plan(ammo("buy.jsonl"), 'model = "instances"\nschedule = "const(100, 60s)"',
                           loop=100))
tags = report(incarne, out)["tags"]
for tag, proto in (("login", "200"), ("cart", "200"), ("checkout", "200")):
    check(counts(tags, tag) == ({"0": 100}, {proto: 100}),
          "closed: 100 × %s ok (got %s)" % (tag, counts(tags, tag)))
check(counts(tags, "buy")[0] == {"0": 100}, "closed: 100 session records 'buy', all ok (got %s)"
      % (counts(tags, "buy"),))
seqs = collections.Counter(tuple(v) for v in shop.by_token.values())
check(seqs == {("login", "cart", "checkout"): 100},
      "closed: every session's token saw exactly login, cart, checkout (got %s)" % dict(seqs))
check(sorted(shop.logins) == sorted(USERS) and set(shop.logins.values()) == {1},
      "closed: each instance logged in as its own user, once (%d users)" % len(shop.logins))
check(not shop.refused, "closed: nothing refused (got %s)" % dict(shop.refused))
log = open(os.path.join(out, "incarne.log")).read()
check("sessions: 1 of up to 3 steps (marks read from the ammo file); on_fail = stop" in log,
      "incarne.log: the sessions line")
check("data: " in log and ": 100 rows of 2 columns, rows = instance" in log,
      "incarne.log: the data line")

# 2. on_fail: a wrong password ends the session at its login.
bad_csv = write(os.path.join(d, "mallory.csv"), "user,password\nmallory,wrong\n")
shop.by_token.clear()
out, _ = go("stop", plan(ammo("buy2.jsonl"), 'model = "instances"\nschedule = "const(1, 60s)"',
                         data=bad_csv, loop=2))
tags = report(incarne, out)["tags"]
check(counts(tags, "login") == ({"314": 2}, {"403": 2}), "stop: 2 logins failed their assert")
check("cart" not in tags and "checkout" not in tags, "stop: no step after a failed one")
check(counts(tags, "buy")[0] == {"314": 2}, "stop: the session records carry the 314 (got %s)"
      % (counts(tags, "buy"),))
check(shop.refused["/login"] == 2 and "/cart" not in shop.refused,
      "stop: the service saw the 2 logins only (%s)" % dict(shop.refused))
out, _ = go("continue", plan(ammo("buy3.jsonl"),
                             'model = "instances"\nschedule = "const(1, 60s)"',
                             extra='on_fail = "continue"', data=bad_csv, loop=1))
tags = report(incarne, out)["tags"]
check(counts(tags, "cart")[0] == {"2": 1} and counts(tags, "checkout")[0] == {"2": 1},
      "continue: the next steps went and failed (no token: net 2) (got %s %s)"
      % (counts(tags, "cart"), counts(tags, "checkout")))

# 3. [[scenario.steps]] over tagged ammo, open model: a shot starts a session.
shop.by_token.clear()
shop.logins.clear()
steps_plan = plan(ammo("tagged.jsonl", scenario=False),
                  'model = "rps"\nschedule = "const(40, 500ms)"\ninstances = 50',
                  extra='name = "shop"') + """
[[scenario.steps]]
tag = "login"
[[scenario.steps]]
tag = "cart"
sleep = "5ms"
[[scenario.steps]]
tag = "checkout"
"""
steps_plan = steps_plan.replace('file = "%s"\n\n[[rules]]' % users_csv,
                                'file = "%s"\nrows = "round_robin"\n\n[[rules]]' % users_csv)
out, _ = go("open", steps_plan)
tags = report(incarne, out)["tags"]
sessions = counts(tags, "shop")[0].get("0", 0)
check(sessions == 20 and counts(tags, "shop")[0] == {"0": 20},
      "open: 20 shots → 20 session records 'shop', all ok (got %s)" % (counts(tags, "shop"),))
seqs = collections.Counter(tuple(v) for v in shop.by_token.values())
check(seqs == {("login", "cart", "checkout"): 20},
      "open: every session saw login, cart, checkout (got %s)" % dict(seqs))
check(len(shop.logins) == 20, "open: round_robin rows: 20 sessions, 20 users (got %d)"
      % len(shop.logins))

# 4. Bad inputs: exit 2 with the position, nothing started.
missing = write(os.path.join(d, "missing.jsonl"),
                step("login", "POST", "/login", "buy", 1, body=LOGIN) +
                step("checkout", "POST", "/checkout", "buy", 3, body=CHECKOUT))
bad_row = write(os.path.join(d, "badrow.csv"), "user,password\nu1,p1\nu2\n")
cases = [
    ("missing", plan(missing, 'model = "instances"\nschedule = "const(1, 1s)"'),
     "missing.jsonl: line 2, offset ", "scenario 'buy' step 3 follows step 1"),
    ("badrow", plan(ammo("b.jsonl"), 'model = "instances"\nschedule = "const(1, 1s)"',
                    data=bad_row),
     "badrow.csv:3: expected 2 fields", "scenario.data.file"),
    ("notag", plan(ammo("n.jsonl", scenario=False),
                   'model = "instances"\nschedule = "const(1, 1s)"') +
     '\n[[scenario.steps]]\ntag = "pay"\n', "scenario.steps: no ammo record has the tag",
     '"pay"'),
]
for name, text, want1, want2 in cases:
    out, p = go("bad-" + name, text, expect=2)
    check(want1 in p.stderr and want2 in p.stderr,
          "%s: exit 2 naming the position: %s" % (name, p.stderr.strip()))
    check(not os.path.exists(out), "%s: no run directory left" % name)

# 5. Session markers in phantom ammo: the records of tagged.jsonl, dumped as phantom ammo, with
# a marker before each.
compiled = os.path.join(d, "tagged.ammo")
p = run(incarne, ["ammo", "compile", os.path.join(d, "tagged.jsonl"), "-o", compiled], timeout=60)
check(p.returncode == 0, "markers: compiled the tagged records (%s)" % p.stderr.strip())
dumped = os.path.join(d, "tagged.txt")
p = run(incarne, ["ammo", "dump", compiled, "-o", dumped], timeout=60)
with open(dumped, "rb") as f:
    text = f.read()
marked = b""
k = 0
while text:
    header, text = text.split(b"\n", 1)
    size = int(header.split()[0])
    if size == 0:
        break
    k += 1
    marked += b"[scenario=buy step=%d%s]\n" % (k, b" sleep=5ms" if k == 2 else b"")
    marked += header + b"\n" + text[:size] + b"\n"
    text = text[size:].lstrip(b"\n")
check(k == 3, "markers: 3 records dumped (got %d)" % k)
phantom = os.path.join(d, "buy.phantom")
with open(phantom, "wb") as f:
    f.write(marked)
shop.by_token.clear()
shop.logins.clear()
out, _ = go("markers", plan(phantom, 'model = "instances"\nschedule = "const(10, 60s)"',
                            loop=10).replace('format = "jsonline"', ""))
tags = report(incarne, out)["tags"]
check(counts(tags, "buy")[0] == {"0": 10},
      "markers: 10 session records 'buy', all ok (got %s)" % (counts(tags, "buy"),))
seqs = collections.Counter(tuple(v) for v in shop.by_token.values())
check(seqs == {("login", "cart", "checkout"): 10},
      "markers: every session's token saw login, cart, checkout (got %s)" % dict(seqs))
log = open(os.path.join(out, "incarne.log")).read()
check("sessions: 1 of up to 3 steps" in log, "markers: incarne.log: the sessions line")
bad = os.path.join(d, "bad.phantom")
with open(bad, "wb") as f:
    f.write(marked.replace(b"[scenario=buy step=3]", b"[scenario=buy step=three]"))
out, p = go("bad-marker", plan(bad, 'model = "instances"\nschedule = "const(1, 1s)"')
            .replace('format = "jsonline"', ""), expect=2)
check("bad.phantom: line " in p.stderr and "expected one step=N with N in 1..65535" in p.stderr,
      "bad marker: exit 2 naming the line: %s" % p.stderr.strip())
check(not os.path.exists(out), "bad marker: no run directory left")

# 6. Ammo compiled beforehand, named by the plan as it is: its sessions section gives the
# sessions (the source is not read: it is removed before the run).
src = ammo("pre.jsonl")
pre = os.path.join(d, "pre.ammo")
p = run(incarne, ["ammo", "compile", src, "-o", pre], timeout=60)
check(p.returncode == 0 and "3 session steps" in p.stdout,
      "compiled: 3 session steps stored (%s %s)" % (p.stdout.strip(), p.stderr.strip()))
os.unlink(src)
p = run(incarne, ["ammo", "inspect", pre], timeout=60)
check(p.returncode == 0 and "sessions:       1 of 3 steps (up to 3 per session), scenarios buy"
      in p.stdout, "compiled: ammo inspect counts the sessions: %s" % p.stdout.strip())
p = run(incarne, ["ammo", "inspect", "--json", pre], timeout=60)
j = json.loads(p.stdout)
check((j.get("session_marks"), j.get("sessions"), j.get("session_steps"), j.get("scenarios")) ==
      (True, 1, 3, ["buy"]), "compiled: ammo inspect --json: %s" % p.stdout.strip())
shop.by_token.clear()
shop.logins.clear()
shop.refused.clear()
out, _ = go("compiled", plan(pre, 'model = "instances"\nschedule = "const(10, 60s)"', loop=10)
            .replace('format = "jsonline"', ""))
tags = report(incarne, out)["tags"]
check(counts(tags, "buy")[0] == {"0": 10},
      "compiled: 10 session records 'buy', all ok (got %s)" % (counts(tags, "buy"),))
seqs = collections.Counter(tuple(v) for v in shop.by_token.values())
check(seqs == {("login", "cart", "checkout"): 10},
      "compiled: every session's token saw exactly login, cart, checkout (got %s)" % dict(seqs))
check(not shop.refused, "compiled: nothing refused (got %s)" % dict(shop.refused))
log = open(os.path.join(out, "incarne.log")).read()
check("(compiled, used as it is)" in log and
      "sessions: 1 of up to 3 steps (marks read from the ammo file)" in log,
      "compiled: incarne.log says the marks were read from the ammo file")
missing_ammo = os.path.join(d, "missing.ammo")
p = run(incarne, ["ammo", "compile", missing, "-o", missing_ammo], timeout=60)
check(p.returncode == 0, "compiled: a missing step compiles (%s)" % p.stderr.strip())
out, p = go("bad-compiled", plan(missing_ammo, 'model = "instances"\nschedule = "const(1, 1s)"')
            .replace('format = "jsonline"', ""), expect=2)
check("missing.ammo: record 1: scenario 'buy' step 3 follows step 1" in p.stderr,
      "compiled: a missing step: exit 2 naming the record: %s" % p.stderr.strip())
check(not os.path.exists(out), "compiled: no run directory left")
out, p = go("chosen-compiled",
            plan(pre, 'model = "instances"\nschedule = "const(1, 1s)"')
            .replace('format = "jsonline"', 'chosen_cases = ["login", "cart"]'), expect=2)
check("ammo.chosen_cases: not available with multi-step sessions" in p.stderr,
      "compiled: chosen_cases still refused with its sessions: %s" % p.stderr.strip())
shop.close()
print("PASS")
