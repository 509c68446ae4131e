"""The plans the module generates are accepted by incarne's own plan loader (`incarne check`).

Uses $INCARNE (scripts/test sets it to bin/incarne), else bin/incarne; skipped when that binary
does not exist or has no `check` command yet.
"""

import os
import subprocess

import pytest

from incarne_bzt import logic, scenario_map
from incarne_bzt.logic import LoadSpec, RequestSpec

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INCARNE = os.environ.get("INCARNE") or os.path.join(REPO, "bin", "incarne")
tomllib = pytest.importorskip("tomllib")


def _has_check():
    if not os.access(INCARNE, os.X_OK):
        return False
    try:
        proc = subprocess.run([INCARNE, "check", "--help"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=30)
    except OSError:
        return False
    return proc.returncode == 0


pytestmark = pytest.mark.skipif(not _has_check(),
                                reason="%s with a `check` command is not built" % INCARNE)

REQS = [RequestSpec("http://127.0.0.1:8080/items?x=1", label="list items"),
        RequestSpec("http://127.0.0.1:8080/items", "POST", body={"a": "b"}, label="create")]

# asserts, extracts, a template and JMeter functions (no think-time or store-cookie: those need
# the session keys of docs/scenario.md)
LOGIC_RAW = [
    {"url": "http://127.0.0.1:8080/login", "label": "login", "method": "POST",
     "body": "u=${user}", "extract-jsonpath": {"token": "$.access_token"},
     "extract-regexp": {"sid": "sid=(\\w+)"}, "assert-jsonpath": ["$.access_token"],
     "assert": [{"contains": [200], "subject": "http-code"}, "token",
                {"contains": ["Content-Type: json"], "subject": "headers"},
                {"contains": [500], "subject": "http-code", "not": True}]},
    {"url": "http://127.0.0.1:8080/p/${__Random(1,5)}", "label": "profile",
     "headers": {"Authorization": "Bearer ${token}", "X-Id": "${__UUID()}"}},
]
LOGIC_REQS = [RequestSpec(r["url"], r.get("method", "GET"), r.get("headers"), r.get("body"),
                          r["label"]) for r in LOGIC_RAW]
LOGIC = scenario_map.map_scenario({"variables": {"user": "alice"}}, LOGIC_RAW, LOGIC_REQS,
                                  ["login", "profile"], "api")

CASES = {
    "scenario-logic": dict(load=LoadSpec(1, 0, None, 5.0, 0, 5.0, None), requests=LOGIC_REQS,
                           scenario_logic=LOGIC),
    "readme-dummy": dict(load=LoadSpec(10, 0, 30.0, 60.0, 0, 90.0, None), protocol="dummy"),
    "dummy-iterations": dict(load=LoadSpec(4, 0, None, 0, 3, 0, None), protocol="dummy"),
    "rps-line": dict(load=LoadSpec(50, 100, 30.0, 60.0, 0, 90.0, None), requests=REQS),
    "rps-steps-exact": dict(load=LoadSpec(0, 100, 30.0, 60.0, 0, 90.0, 4), requests=REQS),
    "rps-steps-fractional": dict(load=LoadSpec(0, 100, 10.0, 0, 0, 10.0, 3), requests=REQS),
    "rps-iterations-only": dict(load=LoadSpec(0, 3, None, 0, 10, 0, None), requests=REQS),
    "instances-steps-exact": dict(load=LoadSpec(10, 0, 30.0, 60.0, 0, 90.0, 5), requests=REQS),
    "instances-steps-uneven": dict(load=LoadSpec(10, 0, 30.0, 60.0, 0, 90.0, 3),
                                   requests=REQS, phout=True, timeout=2.5, threads=1,
                                   hits="errors"),
    "hits-sample": dict(load=LoadSpec(2, 0, None, 5.0, 0, 5.0, None), protocol="dummy",
                        hits="sample:10"),
    "instances-one": dict(load=LoadSpec(1, 0, 5.0, 5.0, 0, 10.0, None), requests=REQS),
    "https": dict(load=LoadSpec(2, 0, None, 5.0, 0, 5.0, None),
                  requests=[RequestSpec("https://example.com/")]),
    "udp": dict(load=LoadSpec(0, 10, None, 5.0, 0, 5.0, None),
                requests=[RequestSpec("udp://127.0.0.1:5353", body="ping")]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_incarne_check_accepts_the_generated_plan(tmp_path, name):
    case = dict(CASES[name])
    ammo_path = str(tmp_path / "ammo.txt")
    cfg = logic.build_run_config(case.pop("load"), ammo_path=ammo_path,
                                 run_dir=str(tmp_path / "run"), **case)
    if cfg.ammo is not None:
        with open(ammo_path, "wb") as fds:
            fds.write(cfg.ammo.data)
    plan_path = tmp_path / "plan.toml"
    plan_path.write_text(cfg.plan)
    proc = subprocess.run([INCARNE, "check", str(plan_path)], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=60)
    assert proc.returncode == 0, "incarne check rejected:\n%s\n%s" % (
        cfg.plan, proc.stderr.decode("utf-8", "replace"))
    resolved = tomllib.loads(proc.stdout.decode("utf-8"))
    assert resolved["load"]["model"] == cfg.load.model
    assert resolved["load"]["schedule"] == cfg.load.schedule
    assert resolved["target"]["nib"] == cfg.nib
    if cfg.load.model == "instances":
        # the loader takes the instance count from the schedule (Tank semantics)
        assert resolved["load"]["instances"] == cfg.load.instances
    assert not (tmp_path / "run").exists(), "check must not create the run directory"


@pytest.mark.parametrize("schedule", [
    "line(1, 10, 30s) const(10, 60s)", "step(2, 10, 2, 6s) const(10, 60s)",
    "const(4, 10s) const(7, 10s) const(10, 10s) const(10, 60s)", "line(1, 7, 1.5s)",
    "const(1, 30s) const(1, 60s)", "const(2, 2.25s) const(3, 2.25s)",
])
def test_instances_timeline_matches_incarne_schedule(schedule):
    """logic.InstancesTimeline (the module's closed-model concurrency) counts the same
    instance starts as incarne's stepper (`incarne schedule --model instances`, ms)."""
    proc = subprocess.run([INCARNE, "schedule", schedule, "--model", "instances"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    starts_ms = [int(x) for x in proc.stdout.split()]
    timeline = logic.InstancesTimeline(schedule)
    assert timeline.final == len(starts_ms)
    for t_ms in sorted(set(starts_ms + [s + 1 for s in starts_ms] + [s - 1 for s in starts_ms]
                           + [0, 10**8])):
        if t_ms < 0:
            continue
        expected = sum(1 for s in starts_ms if s <= t_ms)
        assert timeline.at(t_ms / 1000.0) == expected, (schedule, t_ms)
