#!/usr/bin/env python3
"""`incarne ammo convert --from pandora-scenario` end to end (docs/scenario.md "Pandora"): a
pandora scenario YAML — login with a var/jsonpath token and an assert/response, then a profile
request whose Authorization header is a template of that token — is converted, the result is
run against the Python test service (which issues tokens and checks them), and every profile
request carried an issued token with no hit failing; an assert that cannot hold is 314 on its
tag. Refusals and a data file whose header row does not match leave no file behind (exit 2).

  tests/integration/pandora_convert.py build/src/incarne

The plan says `[scenario] on_fail = "stop"` (pandora ends a session on a failed check).
"""
import os

from engine_common import binary, check, fail, report, run, tmpdir, write
from scenario_service import Service

incarne = binary()
d = tmpdir()
svc = Service()
LOOPS = 4

PANDORA = """locals:
  json: &json
    Content-Type: application/json
requests:
  - name: login
    method: POST
    uri: /login
    headers:
      <<: *json
    body: '{"user": "alice-{{ randInt 1 100 }}"}'
    postprocessors:
      - type: var/jsonpath
        mapping:
          token: $.access_token
      - type: assert/response
        status_code: 200
        body: ["access_token"]
  - name: profile
    method: GET
    uri: /profile
    headers:
      Authorization: Bearer {{.request.login.postprocessor.token}}
    postprocessors:
      - type: assert/response
        status_code: 200
        body: [%s]
scenarios:
  - name: shop
    requests: [login, sleep(5), profile]
"""


def convert(yaml_text, name, extra=()):
    src = write(os.path.join(d, name + ".yaml"), yaml_text)
    ammo = os.path.join(d, name + ".jsonl")
    plan = os.path.join(d, name + ".toml")
    p = run(incarne, ["ammo", "convert", "--from", "pandora-scenario", src, "-o", ammo,
                      "--plan", plan, "--target", "127.0.0.1:%d" % svc.port] + list(extra))
    return p, ammo, plan


def run_plan(plan_path, name):
    with open(plan_path) as f:
        text = f.read()
    text += '\n[load]\nmodel = "instances"\nschedule = "const(1, 30s)"\ninstances = 1\n'
    text = text.replace('[ammo]\n', '[ammo]\nlimit = %d\n' % (2 * LOOPS), 1)
    plan = write(os.path.join(d, name + "-run.toml"), text)
    out = os.path.join(d, name + "-run")
    p = run(incarne, ["run", plan, "--out", out], timeout=120)
    if p.returncode != 0:
        fail("run %s: exit %d: %s" % (name, p.returncode, p.stderr))
    return report(incarne, out)


# 1. Converted and run: the token captured by var/jsonpath is sent by the next step.
p, ammo, plan = convert(PANDORA % '"ok"', "good")
check(p.returncode == 0, "the pandora scenario converts (%s)" % (p.stderr.strip() or p.stdout))
r = run_plan(plan, "good")
check(len(svc.logins) == LOOPS, "%d logins reached the service (%d)" % (LOOPS, len(svc.logins)))
# Two step records and one session record (tag "shop", the scenario's name) per session.
check(r["overall"]["net_codes"] == {"0": 3 * LOOPS},
      "no hit failed: the profile requests carried an issued token (%s)"
      % r["overall"]["net_codes"])
check(r["tags"]["shop"]["hits"] == LOOPS, "one session record per session (%d)"
      % r["tags"]["shop"]["hits"])
check(r["tags"]["shop.profile"]["proto_codes"] == {"200": LOOPS},
      "the service accepted every token (%s)" % r["tags"]["shop.profile"]["proto_codes"])

# 2. An assert/response body text the reply never has: 314 on that tag only.
p, ammo, plan = convert(PANDORA % '"nope"', "bad")
check(p.returncode == 0, "the second scenario converts")
r = run_plan(plan, "bad")
check(r["tags"]["shop.profile"]["net_codes"] == {"314": LOOPS},
      "a failing body assert is net code 314 on shop.profile (%s)"
      % r["tags"]["shop.profile"]["net_codes"])
check(r["tags"]["shop.login"]["net_codes"] == {"0": LOOPS}, "shop.login passed")

# 3. Refused by name: exit 2, the position, and no file written.
p, ammo, plan = convert(PANDORA.replace("type: var/jsonpath", "type: var/xpath") % '"ok"',
                        "xpath")
check(p.returncode == 2 and "xpath.yaml:12:15: requests[0].postprocessors[0].type: var/xpath"
      in p.stderr, "var/xpath is refused with its position (%s)" % p.stderr.strip())
check(not os.path.exists(ammo) and not os.path.exists(plan), "nothing was written")

# 4. A CSV source whose `fields` differ from the file's header row: exit 2, nothing written.
csv = write(os.path.join(d, "users.csv"), "id,name\n1,alice\n")
with_csv = PANDORA.replace("requests:\n", """variable_sources:
  - {name: users, type: file/csv, file: %s, fields: [user_id, name], ignore_first_line: true}
requests:
""" % csv, 1).replace("{{ randInt 1 100 }}", "{{.request.login.preprocessor.u}}").replace(
    "    postprocessors:\n      - type: var/jsonpath",
    "    preprocessor:\n      mapping: {u: 'source.users[next].user_id'}\n"
    "    postprocessors:\n      - type: var/jsonpath", 1)
p, ammo, plan = convert(with_csv % '"ok"', "csv")
check(p.returncode == 2 and "users.csv:1: expected the header row 'user_id,name'" in p.stderr,
      "a header row that is not the fields is refused (%s)" % p.stderr.strip())
check(not os.path.exists(ammo) and not os.path.exists(plan), "nothing was written")
write(csv, "user_id,name\n1,alice\n")
p, ammo, plan = convert(with_csv % '"ok"', "csv")
check(p.returncode == 0 and "data file " in p.stdout, "with the right header it converts")
with open(plan) as f:
    check('[scenario.data]\nfile = "%s"\n' % csv in f.read(), "the plan names the data file")
with open(ammo) as f:
    check('"body":"{\\"user\\": \\"alice-${user_id}\\"}"' in f.read(),
          "the preprocessor's column is a template")
svc.close()
