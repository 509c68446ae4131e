"""A Taurus scenario's logic keys → incarne rules, templates and steps (scenario_map.py):
what plan and ammo the module writes for assert, assert-jsonpath, extract-*, think-time,
store-cookie and variables, and the warnings for what it cannot map.

    python3 -m pytest -q taurus/tests/test_scenario_map.py
"""

import json

import pytest

from incarne_bzt import logic, scenario_map
from incarne_bzt.logic import LoadSpec, RequestSpec

LOAD = LoadSpec(concurrency=2, throughput=0, ramp_up=None, hold=5.0, iterations=0,
                duration=5.0, steps=None)
tomllib = pytest.importorskip("tomllib")


def mapped(raw, scenario=None):
    """map_scenario over raw request dicts as a config writes them."""
    specs = []
    for item in raw:
        item = item if isinstance(item, dict) else {"url": item}
        specs.append(RequestSpec(item["url"], item.get("method", "GET"), item.get("headers"),
                                 item.get("body"), item.get("label")))
    tags = [logic.tag_of(s.label) for s in specs]
    return scenario_map.map_scenario(scenario or {}, raw, specs, tags, "api"), specs


def plan_of(raw, scenario=None):
    logic_map, specs = mapped(raw, scenario)
    cfg = logic.build_run_config(LOAD, requests=specs, ammo_path="/art/ammo.txt",
                                 scenario_logic=logic_map)
    return cfg, tomllib.loads(cfg.plan), logic_map


def test_asserts_become_rules_by_tag():
    cfg, plan, m = plan_of([
        {"url": "http://127.0.0.1:8080/login", "label": "login", "method": "POST",
         "assert": [
             {"contains": [200], "subject": "http-code"},
             "access_token",                                   # short form: body, regexp
             {"contains": ["a.b (c)"], "regexp": False},       # a literal
             {"contains": ["Content-Type: application/.*json"], "subject": "headers"},
             {"contains": ["500", "503"], "subject": "http-code", "not": True},
         ]},
        {"url": "http://127.0.0.1:8080/other", "label": "other"},
    ])
    assert m.warnings == []
    assert plan["rules"] == [
        {"tag": "login", "status": [200]},
        {"tag": "login", "body": "access_token"},
        {"tag": "login", "body": "a\\.b\\ \\(c\\)"},
        {"tag": "login", "headers": {"Content-Type": "application/.*json"}},
        {"tag": "login", "status": ["1xx", "2xx", "3xx", "4xx", 501, 502, 504, 505,
                                    506, 507, 508, 509, "51x", "52x", "53x", "54x",
                                    "55x", "56x", "57x", "58x", "59x", "6xx", "7xx", "8xx",
                                    "9xx"]},
    ]
    # no think-time: the ammo stays phantom, one record per request, no [scenario]
    assert plan["ammo"]["format"] == "phantom"
    assert "scenario" not in plan
    assert cfg.ammo.records == 2


def test_unmappable_asserts_are_warnings_naming_them():
    _, _, m = plan_of([
        {"url": "http://h:1/a", "label": "a", "assert": [
            {"contains": ["error"], "not": True},
            {"contains": ["2\\d\\d"], "subject": "http-code"},
            {"contains": ["x"], "subject": "headers"},
            {"contains": ["x"], "assume-success": True},
        ], "assert-jsonpath": [{"jsonpath": "$.a", "validate": True, "expected-value": 1},
                               "$..deep"]},
    ])
    text = "\n".join(m.warnings)
    for part in ("requests[0] assert[0]: not: true on body",
                 "requests[0] assert[1]: http-code pattern '2\\\\d\\\\d'",
                 "requests[0] assert[2]: headers pattern 'x'",
                 "requests[0] assert[3]: assume-success",
                 "requests[0] assert-jsonpath[0]: validate: true",
                 "requests[0] assert-jsonpath[1]: JSON path '$..deep'"):
        assert part in text, (part, text)
    # assume-success is warned, its pattern still checked
    assert m.rules == [{"tag": "a", "body": "x"}]


def test_extracts_become_captures_and_templates_stay():
    cfg, plan, m = plan_of([
        {"url": "http://127.0.0.1:8080/login", "label": "login", "method": "POST",
         "body": {"user": "${user}"}, "headers": {"Content-Type": "application/json"},
         "extract-jsonpath": {"token": "$.access_token", "first": {"jsonpath": "$.items[0]"}},
         "extract-regexp": {"sid": {"regexp": "sid=(\\w+)", "template": "$1$"},
                            "csrf": "csrf=(\\w+)"},
         "assert-jsonpath": ["$.access_token"]},
        {"url": "http://127.0.0.1:8080/profile/${__Random(1,9)}", "label": "profile",
         "headers": {"Authorization": "Bearer ${token}", "X-Id": "${__UUID()}",
                     "X-T": "${__time()}"}},
    ], scenario={"variables": {"user": "alice"}})
    assert m.warnings == []
    assert plan["rules"] == [
        {"tag": "login", "capture": {"_assert_jsonpath_1": {"json": "$.access_token"}}},
        {"tag": "login", "capture": {"sid": {"regex": "sid=(\\w+)"}}},
        {"tag": "login", "capture": {"csrf": {"regex": "csrf=(\\w+)"}}},
        {"tag": "login", "capture": {"token": {"json": "$.access_token"}}},
        {"tag": "login", "capture": {"first": {"json": "$.items[0]"}}},
    ]
    data = cfg.ammo.data
    assert b'{"user":"alice"}' in data                         # variables: a constant
    assert b"GET /profile/${random(1,9)} HTTP/1.1\r\n" in data
    assert b"Authorization: Bearer ${token}\r\n" in data        # a capture: a template
    assert b"X-Id: ${uuid}\r\nX-T: ${now_ms}\r\n" in data


def test_extract_options_incarne_lacks_are_warnings():
    _, _, m = plan_of([
        {"url": "http://h:1/a", "label": "a",
         "extract-regexp": {"a": {"regexp": "(x)", "default": "NF"},
                            "b": {"regexp": "(x)(y)", "template": "$2$"},
                            "c": {"regexp": "(x)", "subject": "headers"},
                            "d": {"regexp": "(x)", "match-no": 0}},
         "extract-jsonpath": {"e": {"jsonpath": "$.x", "from-variable": "v"},
                              "uuid": "$.y"}},
        {"url": "http://h:1/b/${nothing}", "label": "b"},
    ])
    text = "\n".join(m.warnings)
    for part in ("extract-regexp.a: default 'NF' (a reply without a match fails with net code "
                 "314", "extract-regexp.b: template '$2$'", "extract-regexp.c: subject "
                 "'headers'", "extract-regexp.d: match-no 0", "extract-jsonpath.e: "
                 "from-variable", "extract-jsonpath.uuid: variable name 'uuid'",
                 "${nothing} is set by no variables or extract"):
        assert part in text, (part, text)
    assert [list(r["capture"]) for r in m.rules] == [["a"], ["e"]]


def test_think_time_makes_jsonline_steps_of_one_session():
    cfg, plan, m = plan_of([
        {"url": "http://127.0.0.1:8080/login", "label": "login", "method": "POST",
         "body": "u=1", "think-time": "250ms"},
        {"url": "http://127.0.0.1:8080/list?a=1", "label": "list"},
        {"url": "http://127.0.0.1:8080/x", "label": "x", "think-time": 0},
    ], scenario={"think-time": "1s", "store-cookie": True})
    assert plan["ammo"]["format"] == "jsonline"
    assert plan["scenario"] == {"cookies": True, "on_fail": "continue"}
    records = [json.loads(line) for line in cfg.ammo.data.decode().splitlines()]
    assert records == [
        {"tag": "login", "method": "POST", "uri": "/login", "host": "127.0.0.1:8080",
         "headers": {}, "body": "u=1", "scenario": "session", "step": 1, "sleep": "250ms"},
        {"tag": "list", "method": "GET", "uri": "/list?a=1", "host": "127.0.0.1:8080",
         "headers": {}, "scenario": "session", "step": 2, "sleep": "1000ms"},
        {"tag": "x", "method": "GET", "uri": "/x", "host": "127.0.0.1:8080",
         "headers": {}, "scenario": "session", "step": 3},
    ]
    assert cfg.ammo.records == 3
    assert m.warnings == []


def test_think_time_distribution_and_cookie_default_are_not_mapped():
    _, plan, m = plan_of([{"url": "http://h:1/a", "think-time": "uniform(1s, 500ms)"}],
                         scenario={})
    assert "think-time 'uniform(1s, 500ms)': only a constant time is mapped" in m.warnings[0]
    assert "scenario" not in plan  # store-cookie unset: no cookie jar (JMeter's default has one)


def test_shared_label_warns_that_rules_apply_to_both():
    _, _, m = plan_of([{"url": "http://h:1/a", "label": "same", "assert": ["x"]},
                       {"url": "http://h:1/b", "label": "same"}])
    assert "requests[0] and requests[1] have one label ('same')" in m.warnings[0]


def test_status_complement_covers_every_other_code():
    def covers(spec, code):
        text = str(spec)
        return all(t == "x" or t == c for t, c in zip(text, str(code)))
    for excluded in ([500], [200, 201, 404], [999, 100]):
        spec = scenario_map.status_complement(excluded)
        for code in range(100, 1000):
            assert any(covers(s, code) for s in spec) == (code not in excluded), (excluded,
                                                                                  code)


def test_quote_meta_is_re2s():
    assert scenario_map.quote_meta("a.b c_1\u00e9\0") == "a\\.b\\ c_1\u00e9\\x00"


def test_java_only_regex_constructs_are_warned_not_written():
    _, _, m = plan_of([
        {"url": "http://h:1/a", "label": "a",
         "assert": ["ok(?=!)", {"contains": ["X-A: (?<!x)y"], "subject": "headers"}, "(a)\\1",
                    "fine \\\\1"],
         "extract-regexp": {"v": "id=(\\d++)"}},
    ])
    text = "\n".join(m.warnings)
    for part in ("assert[0]: pattern 'ok(?=!)': lookahead",
                 "assert[1]: pattern 'X-A: (?<!x)y': negative lookbehind",
                 "assert[2]: pattern '(a)\\\\1': a backreference",
                 "extract-regexp.v: regexp 'id=(\\\\d++)': possessive ++"):
        assert part in text, (part, text)
    assert m.rules == [{"tag": "a", "body": "fine \\\\1"}]  # an escaped backslash, then 1
