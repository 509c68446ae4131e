"""The executor's bzt glue under tests/bzt_standin (a stand-in for the parts of bzt the module
imports) with tests/fake_incarne.py as the binary: key warnings, logic blocks refused by name,
lost records and unsent shots named in the log.

    python3 -m pytest -q taurus/tests/test_executor.py
"""

import json
import logging
import os
import subprocess

import pytest

# standin first: it puts the bzt stand-in on sys.path, which incarne_bzt imports.
from standin import FAKE, ConsolidatingAggregator, Engine, TaurusConfigError
from incarne_bzt import logic
from incarne_bzt.executor import IncarneExecutor

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
                                       "worker-threads": 1, "env": {"A": "1"},
                                       "criteria": ["avg-rt>1s"]},
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
        {"url": "/a", "assert": ["ok"], "think-time": "2s", "assert-xpath": ["//a"]},
        {"url": "/b", "assert-jsonpath": ["$.ok"], "assert": ["x"], "follow-redirects": True,
         "extract-xpath": {"t": "//title"}},
        "/c",
    ]
    ex = executor(tmp_path, scenario, {"properties": {"a": 1}})
    ex.prepare()
    found = "\n".join(warnings_of(caplog))
    # Scenario-level assert/extract: bzt reads them per request only.
    for key in ("execution key 'properties'", "scenario 'api' key 'foo-bar'",
                "scenario 'api' key 'assert' ignored: incarne's rules check status, body",
                "key 'data-sources'",
                "scenario 'api' key 'extract-jsonpath' ignored: incarne captures by regex",
                "request key 'assert-xpath' ignored (in 1 request, first requests[0])",
                "request key 'extract-xpath' ignored (in 1 request, first requests[1])",
                "request key 'follow-redirects'"):
        assert key in found, key
    for mapped in ("'default-address'", "'requests'", "'concurrency'", "'hold-for'", "'url'",
                   "'scenario'", "'executor'", "'think-time' ignored",
                   "request key 'assert' ignored", "'assert-jsonpath' ignored"):
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


def finished(ex):
    ex.process = subprocess.Popen(["true"])
    ex.process.wait()


def test_post_process_names_lost_records_and_unsent_shots(tmp_path, caplog):
    caplog.set_level(logging.WARNING, LOGGER)
    ex = executor(tmp_path, API)
    ex.prepare()
    with open(os.path.join(ex.run_dir, "summary.json"), "w") as fds:
        json.dump({"hits": 900, "planned": 1000, "sent": 996, "ring_dropped": 96,
                   "unsent": 4}, fds)
    finished(ex)
    ex.post_process()
    found = "\n".join(warnings_of(caplog))
    assert "incarne lost 96 raw records to full result rings" in found
    assert "bzt's counts are short by 96" in found
    assert "incarne did not fire 4 of 1000 planned shots (unsent in" in found


def test_post_process_of_a_run_without_summary_says_it_did_not_finish(tmp_path, caplog):
    caplog.set_level(logging.WARNING, LOGGER)
    ex = executor(tmp_path, API)
    ex.prepare()
    finished(ex)
    ex.post_process()
    assert any("incarne wrote no summary.json" in w and "did not finish" in w
               for w in warnings_of(caplog))


def test_post_process_of_a_clean_run_is_quiet(tmp_path, caplog):
    caplog.set_level(logging.WARNING, LOGGER)
    ex = executor(tmp_path, API)
    ex.prepare()
    with open(os.path.join(ex.run_dir, "summary.json"), "w") as fds:
        json.dump({"hits": 10, "planned": 10, "sent": 10, "ring_dropped": 0}, fds)
    finished(ex)
    ex.post_process()
    assert warnings_of(caplog) == []


def run_fake(ex, env, monkeypatch):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    ex.prepare()
    ex.startup()
    ex.process.wait(30)
    assert ex.check() is True


@pytest.mark.parametrize("results", ["stats", "phout"])
def test_readers_warn_about_lost_records_as_they_read(tmp_path, caplog, monkeypatch, results):
    # FAKE_RPS=0: seconds without hits, so the stand-in needs no bzt aggregation; the lost
    # records of such a second are still named (those hits are in no other figure).
    caplog.set_level(logging.WARNING, LOGGER)
    ex = executor(tmp_path, API, {"results": results})
    run_fake(ex, {"FAKE_RPS": "0", "FAKE_RING_DROPPED": "7", "FAKE_UNSENT": "3"}, monkeypatch)
    if results == "stats":
        list(ex.reader._calculate_datapoints(final_pass=True))
    else:
        list(ex.reader._read(final_pass=True))
    ex.post_process()
    found = warnings_of(caplog)
    assert ("incarne second 0: 7 raw records lost to full result rings: those hits are in "
            "stats.jsonl but in no phout line nor hits file (ring_dropped, 7 in the run so "
            "far)") in found
    assert any("incarne lost 7 raw records" in w for w in found)
    assert any("incarne did not fire 3 of 3 planned shots" in w for w in found)


def test_loss_warnings_are_capped_per_reader():
    losses = logic.LossCounter()
    for second in range(logic.MAX_LOSS_WARNINGS + 5):
        losses.add({"second": second, "ring_dropped": 2})
    warnings = losses.pop_warnings()
    assert len(warnings) == logic.MAX_LOSS_WARNINGS + 1
    assert "more seconds with losses" in warnings[-1]
    assert losses.totals["ring_dropped"] == 2 * (logic.MAX_LOSS_WARNINGS + 5)
    assert losses.pop_warnings() == []


def test_generator_stall_is_a_warning(tmp_path):
    # Workers that waited for result-ring space (instances model) fired fewer hits than asked.
    losses = logic.LossCounter()
    losses.add({"second": 4, "ring_wait_ms": 12.5, "ring_dropped": 0})
    warnings = losses.pop_warnings()
    assert len(warnings) == 1
    assert warnings[0].startswith("incarne second 4: 12 ms the workers waited for result-ring "
                                  "space")
    path = tmp_path / "summary.json"
    path.write_text('{"hits": 10, "planned": 10, "sent": 10, "ring_wait_ms": 250.0}')
    assert any("waited 250 ms for result-ring space" in w
               for w in logic.summary_warnings(str(path)))
