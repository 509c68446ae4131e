"""The executor's bzt glue under tests/bzt_standin (a stand-in for the parts of bzt the module
imports) with tests/fake_incarne.py as the binary: key warnings, logic blocks refused by name.

    python3 -m pytest -q taurus/tests/test_executor.py
"""

import json
import logging
import os
import sys

import pytest

TESTS = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(TESTS, "fake_incarne.py")
STANDIN = os.path.join(TESTS, "bzt_standin")

if "bzt" in sys.modules and not sys.modules["bzt"].__file__.startswith(STANDIN):
    pytest.skip("a real bzt is imported in this process", allow_module_level=True)
sys.path.insert(0, STANDIN)
from bzt import TaurusConfigError  # noqa: E402  (the stand-in)
from bzt.engine import Engine  # noqa: E402
from bzt.modules.aggregator import ConsolidatingAggregator  # noqa: E402
from incarne_bzt import logic  # noqa: E402
from incarne_bzt.executor import IncarneExecutor  # noqa: E402

LOGGER = "bzt-standin"


def executor(tmp_path, scenario, execution=None, settings=None):
    art = tmp_path / "artifacts"
    art.mkdir()
    engine = Engine(str(art), {"scenarios": {"api": scenario}})
    engine.aggregator = ConsolidatingAggregator()
    ex = IncarneExecutor()
    ex.engine = engine
    ex.execution = dict({"executor": "incarne", "scenario": "api", "concurrency": 2,
                         "hold-for": "1s"}, **(execution or {}))
    # check-plan off (one python start less per test) except where a test turns it on
    ex.settings = dict({"path": FAKE, "check-plan": False}, **(settings or {}))
    return ex


def warnings_of(caplog):
    return [r.getMessage() for r in caplog.records
            if r.levelno == logging.WARNING and r.name.startswith(LOGGER)]


API = {"default-address": "http://127.0.0.1:8080", "requests": [{"url": "/a", "label": "a"}]}


def test_a_mapped_config_logs_no_warning(tmp_path, caplog):
    caplog.set_level(logging.WARNING, LOGGER)
    scenario = dict(API, headers={"X-A": "1"}, keepalive=False, timeout="5s")
    ex = executor(tmp_path, scenario, {"throughput": 10, "ramp-up": "1s", "steps": 2,
                                       "worker-threads": 1, "env": {"A": "1"}},
                  {"check-plan": True})
    ex.prepare()
    assert warnings_of(caplog) == []
    assert ex.run_config.ammo.records == 1


def test_every_unmapped_key_is_named_in_a_warning(tmp_path, caplog):
    caplog.set_level(logging.WARNING, LOGGER)
    scenario = dict(API)
    scenario.update({"foo-bar": 1, "think-time": "1s", "assert": ["ok"], "data-sources": ["d"],
                     "extract-jsonpath": {"v": "$.v"}})
    scenario["requests"] = [
        {"url": "/a", "assert": ["ok"], "think-time": "2s"},
        {"url": "/b", "assert-jsonpath": ["$.ok"], "assert": ["x"], "follow-redirects": True},
        "/c",
    ]
    ex = executor(tmp_path, scenario, {"properties": {"a": 1}})
    ex.prepare()
    found = "\n".join(warnings_of(caplog))
    for key in ("execution key 'properties'", "scenario 'api' key 'foo-bar'",
                "key 'think-time' ignored: incarne fires at the schedule's times",
                "key 'assert' ignored: incarne checks no response content",
                "key 'data-sources'", "key 'extract-jsonpath' ignored: incarne sends fixed",
                "request key 'assert' ignored (in 2 requests, first requests[0])",
                "request key 'think-time' ignored (in 1 request, first requests[0])",
                "request key 'assert-jsonpath'", "request key 'follow-redirects'"):
        assert key in found, key
    for mapped in ("'default-address'", "'requests'", "'concurrency'", "'hold-for'", "'url'",
                   "'scenario'", "'executor'"):
        assert mapped not in found, mapped
    assert ex.run_config.ammo.records == 3


BLOCKS = [
    ("if", {"if": "${a} == 1", "then": [{"url": "/b"}]}),
    ("loop", {"loop": 3, "do": [{"url": "/b"}]}),
    ("while", {"while": "${a}", "do": [{"url": "/b"}]}),
    ("foreach", {"foreach": "x in items", "do": [{"url": "/b"}]}),
    ("transaction", {"transaction": "login", "do": [{"url": "/b"}]}),
    ("include-scenario", {"include-scenario": "other"}),
    ("action", {"action": "pause", "pause-duration": "1s"}),
    ("set-variables", {"set-variables": {"a": 1}}),
    ("once", {"once": [{"url": "/b"}]}),
]


@pytest.mark.parametrize("name, block", BLOCKS, ids=[b[0] for b in BLOCKS])
def test_logic_blocks_are_refused_by_name(tmp_path, name, block):
    scenario = dict(API, requests=[{"url": "/a"}, block])
    ex = executor(tmp_path, scenario)
    with pytest.raises(TaurusConfigError) as info:
        ex.prepare()
    text = str(info.value)
    assert "scenario 'api', requests[1]: %r is a logic block" % name in text
    assert "Wrong request" not in text
    assert not os.path.exists(os.path.join(str(tmp_path), "artifacts", "incarne.toml"))
