"""Sharded executions (`execution[].incarne.shards: N`, docs/taurus.md "Shards on Kubernetes")
without a cluster: the `incarne:` block is checked, the command sequence render → apply → wait
→ collect is what a dry run writes, and (with the built binary in $INCARNE) the render step's
manifest is an Indexed Job of N pods running the module's own plan.

    INCARNE=build/src/incarne python3 -m pytest -q taurus/tests/test_k8s.py
"""

import os
import shlex
import subprocess

import pytest

# standin first: it puts the bzt stand-in on sys.path, which incarne_bzt imports.
from standin import FAKE, ConsolidatingAggregator, Engine, TaurusConfigError
from incarne_bzt import logic
from incarne_bzt.executor import IncarneExecutor

API = {"default-address": "http://10.0.0.1:8080", "requests": [{"url": "/a", "label": "a"}]}


def executor(tmp_path, incarne, tool=FAKE, execution=None):
    art = tmp_path / "artifacts"
    art.mkdir()
    engine = Engine(str(art), {"scenarios": {"api": API}})
    engine.aggregator = ConsolidatingAggregator()
    ex = IncarneExecutor()
    ex.engine = engine
    ex.label = "api"
    ex.execution = dict({"executor": "incarne", "scenario": "api", "throughput": 100,
                         "hold-for": "10s", "incarne": incarne}, **(execution or {}))
    ex.settings = {"path": tool, "check-plan": False}
    return ex


def test_no_block_or_no_shards_is_one_box():
    assert logic.k8s_config(None) is None
    assert logic.k8s_config({}) is None


@pytest.mark.parametrize("raw, says", [
    ({"shards": 0}, "whole number"), ({"shards": "4"}, "whole number"),
    ({"shards": True}, "whole number"), ({"image": "x"}, "'shards' is required"),
    ({"shards": 2, "replicas": 2}, "unknown key 'replicas'"),
    ({"shards": 2, "host-network": "yes"}, "true or false"),
    ({"shards": 2, "node-selector": "a=b"}, "map of labels"), (["shards"], "must be a map")])
def test_bad_blocks_are_refused_by_name(raw, says):
    with pytest.raises(logic.ConfigError) as err:
        logic.k8s_config(raw, "api")
    assert says in str(err.value)


def test_the_command_sequence():
    cfg = logic.k8s_config({"shards": 4, "image": "reg/incarne:1", "namespace": "load",
                            "start-in": 90, "node-selector": {"role": "load"},
                            "host-network": True, "cpus": 2, "memory": "2Gi"}, "My API")
    assert cfg.name == "incarne-my-api"
    steps = logic.k8s_steps("/bin/incarne", "p.toml", "m.yaml", "out", cfg,
                            overrides={"load.overload": "drop"}, run_length_s=60)
    assert [s[0] for s in steps] == ["render", "apply", "wait", "collect"]
    assert steps[0] == ("render", [
        "/bin/incarne", "k8s", "render", "p.toml", "--shards", "4", "--name", "incarne-my-api",
        "--start-in", "90s", "--image", "reg/incarne:1", "--namespace", "load",
        "--node-selector", "role=load", "--host-network", "--cpus", "2", "--memory", "2Gi",
        "--set", "load.overload=drop"], "m.yaml")
    assert steps[1] == ("apply", ["kubectl", "--namespace", "load", "apply", "-f", "m.yaml"],
                        None)
    assert steps[2] == ("wait", ["kubectl", "--namespace", "load", "wait",
                                 "--for=condition=complete", "job/incarne-my-api",
                                 "--timeout=750s"], None)
    assert steps[3] == ("collect", ["/bin/incarne", "k8s", "collect", "incarne-my-api",
                                    "--namespace", "load", "--kubectl", "kubectl", "-o", "out"],
                        None)


def test_dry_run_writes_the_commands_and_reads_the_merged_run(tmp_path):
    ex = executor(tmp_path, {"shards": 3, "dry-run": True, "kubectl": "/opt/kubectl"})
    ex.prepare()
    assert ex.run_dir == os.path.join(ex.k8s_dir, "merged")
    assert ex.reader.filename == os.path.join(ex.run_dir, "stats.jsonl")
    ex.startup()
    assert ex.check() is True
    with open(os.path.join(str(tmp_path / "artifacts"), "incarne-k8s-commands.txt")) as f:
        lines = [shlex.split(line) for line in f.read().splitlines()]
    assert [line[1:3] for line in lines] == [["k8s", "render"], ["apply", "-f"],
                                            ["wait", "--for=condition=complete"],
                                            ["k8s", "collect"]]
    assert lines[0][3] == ex.plan_file and lines[0][-2] == ">"
    assert lines[1][0] == lines[2][0] == "/opt/kubectl"
    assert lines[2][3] == "job/incarne-api" and lines[3][-1] == ex.k8s_dir
    ex.shutdown()


def test_phout_results_are_refused_with_shards(tmp_path):
    ex = executor(tmp_path, {"shards": 2}, execution={"results": "phout"})
    with pytest.raises(TaurusConfigError) as err:
        ex.prepare()
    assert "phout" in str(err.value)


def test_a_failed_step_stops_the_sequence(tmp_path):
    ex = executor(tmp_path, {"shards": 2, "kubectl": "false"})
    ex.prepare()
    ex.k8s_steps = logic.k8s_steps("true", ex.plan_file, str(tmp_path / "m.yaml"), ex.k8s_dir,
                                   ex.k8s)
    ex._next_k8s_step()  # render, here `true`
    ex.k8s_step[2].wait()
    assert ex.check() is False  # render done; apply (`false`) started
    ex.k8s_step[2].wait()
    with pytest.raises(Exception) as err:
        ex.check()
    assert "incarne k8s apply failed" in str(err.value)


REAL = os.environ.get("INCARNE")


@pytest.mark.skipif(not REAL or not os.access(REAL, os.X_OK),
                    reason="INCARNE (the built binary) is not set")
def test_the_render_step_renders_the_modules_plan(tmp_path):
    yaml = pytest.importorskip("yaml")
    ex = executor(tmp_path, {"shards": 3, "start-in": "2m"}, tool=os.path.abspath(REAL))
    ex.prepare()
    name, argv, out = logic.k8s_steps(ex.tool.tool_path, ex.plan_file,
                                      str(tmp_path / "m.yaml"), ex.k8s_dir, ex.k8s)[0]
    with open(out, "w") as f:
        subprocess.run(argv, stdout=f, check=True)
    with open(out) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    cm = next(d for d in docs if d["kind"] == "ConfigMap")
    job = next(d for d in docs if d["kind"] == "Job")
    assert job["metadata"]["name"] == cm["metadata"]["name"] == "incarne-api"
    assert job["spec"]["completionMode"] == "Indexed"
    assert job["spec"]["completions"] == job["spec"]["parallelism"] == 3
    assert "binaryData" in cm  # the module's generated ammo, compiled into the ConfigMap
    assert 'schedule = "const(100, 10s)"' in cm["data"]["plan.toml"]
    assert '--shard "${k}/3"' in job["spec"]["template"]["spec"]["containers"][0]["command"][2]
