"""The module's files: registration YAML, the example, and the shape of the bzt glue (checked
with ast, since bzt cannot be imported here)."""

import ast
import datetime
import json
import os
import shutil
import subprocess
import sys

import pytest

TAURUS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PKG = os.path.join(TAURUS, "incarne_bzt")


def read(*parts):
    with open(os.path.join(TAURUS, *parts), "rb") as fds:
        return fds.read()


def test_auto_discovery_config_is_the_module_file():
    assert json.loads(read("incarne_bzt", "bzt-configs.json").decode()) == ["10-incarne.yml"]
    assert read("incarne_bzt", "10-incarne.yml") == read("incarne-module.yml")


def test_module_yaml_registers_the_executor():
    yaml = pytest.importorskip("yaml")
    conf = yaml.safe_load(read("incarne-module.yml"))
    incarne = conf["modules"]["incarne"]
    assert incarne["class"] == "incarne_bzt.executor.IncarneExecutor"
    assert incarne["results"] == "stats"
    assert incarne["hits"] == "errors"
    assert "path" not in incarne  # default: incarne from PATH; test.yml sets bin/incarne
    assert conf["cli"]["linter"]["ignored-warnings"] == ["no-script-or-requests"]


def test_example_is_the_readme_one():
    yaml = pytest.importorskip("yaml")
    assert yaml.safe_load(read("test.yml")) == {
        "execution": [{"executor": "incarne", "scenario": "simple", "concurrency": 10,
                       "ramp-up": "30s", "hold-for": "1m"}],
        "scenarios": {"simple": {"protocol": "dummy"}},
        "modules": {"incarne": {"path": "bin/incarne"}},
    }


def test_package_and_logic_import_without_bzt():
    code = ("import sys; sys.path.insert(0, %r); import incarne_bzt, incarne_bzt.logic; "
            "assert 'bzt' not in sys.modules; print('ok')" % TAURUS)
    out = subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    assert out.returncode == 0, out.stderr.decode()


def classes(filename):
    tree = ast.parse(read("incarne_bzt", filename).decode(), filename)
    return dict((node.name, node) for node in tree.body if isinstance(node, ast.ClassDef))


def methods(cls):
    return dict((n.name, n) for n in cls.body if isinstance(n, ast.FunctionDef))


def calls(func):
    return set(node.func.attr for node in ast.walk(func)
               if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute))


def test_executor_has_the_bzt_methods_and_reads_load_in_prepare():
    cls = classes("executor.py")["IncarneExecutor"]
    assert [b.id for b in cls.bases] == ["ScenarioExecutor"]
    meth = methods(cls)
    for name in ("prepare", "startup", "check", "shutdown", "post_process", "has_results",
                 "get_widget", "install_required_tools", "get_error_diagnostics",
                 "resource_files"):
        assert name in meth, name
    # taurus.md §5: get_load() in prepare, or `-report` crashes before executors start
    assert {"get_load", "get_scenario", "add_underling", "create_artifact"} <= calls(
        meth["prepare"])
    assert "_execute" in calls(meth["startup"])
    assert "poll" in calls(meth["check"])
    tool = classes("executor.py")["IncarneTool"]
    assert [b.id for b in tool.bases] == ["RequiredTool"]
    assert {"check_if_installed", "install"} <= set(methods(tool))


def test_readers_subclass_the_bzt_reader_kinds():
    found = classes("readers.py")
    assert [b.id for b in found["IncarneStatsReader"].bases] == ["ResultsProvider"]
    assert {"_calculate_datapoints", "_ramp_up_exclude", "has_results"} <= set(
        methods(found["IncarneStatsReader"]))
    assert [b.id for b in found["IncarnePhoutReader"].bases] == ["ResultsReader"]
    assert {"_read", "has_results"} <= set(methods(found["IncarnePhoutReader"]))


def test_fake_incarne_is_executable():
    assert os.access(os.path.join(TAURUS, "tests", "fake_incarne.py"), os.X_OK)


def test_gitignore_covers_bzt_artifacts_dirs():
    # bzt's default settings.artifacts-dir (Engine.ARTIFACTS_DIR), made in the current
    # directory: the repository root, as docs/taurus.md runs bzt
    repo = os.path.dirname(TAURUS)
    if not shutil.which("git") or subprocess.run(
            ["git", "-C", repo, "rev-parse"], stderr=subprocess.DEVNULL).returncode:
        pytest.skip("not a git checkout")
    name = datetime.datetime(2026, 12, 6, 21, 40, 12, 123456).strftime("%Y-%m-%d_%H-%M-%S.%f")

    def ignored(path):
        return subprocess.run(["git", "-C", repo, "check-ignore", "-q", path]).returncode == 0

    assert ignored(name + "/bzt.log")
    assert ignored(name + "/incarne-run/stats.jsonl")
    assert not ignored("taurus/" + name + "/bzt.log")  # only bzt's folders in the root
    assert not ignored("docs/taurus.md")


def test_docs_say_what_bzt_rounds():
    with open(os.path.join(os.path.dirname(TAURUS), "docs", "taurus.md")) as fds:
        doc = fds.read()
    assert "equal incarne's exactly" not in doc
    assert "floored to whole ms" in doc and "0.071 ms" in doc
