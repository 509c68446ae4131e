"""The module under real bzt, with tests/fake_incarne.py in place of the binary.

bzt is not installable where CI runs, so these tests run only when a bzt command is given:
$BZT (e.g. `bzt`, or a wrapper that runs it from source) or `bzt` on PATH. They check the
executor lifecycle, both readers, error diagnostics and exit codes — not incarne itself.

    BZT=bzt python3 -m pytest -q taurus/tests/test_bzt_e2e.py
"""

import os
import re
import shlex
import shutil
import subprocess

import pytest

TAURUS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(TAURUS)
FAKE = os.path.join(TAURUS, "tests", "fake_incarne.py")
BZT = os.environ.get("BZT") or shutil.which("bzt")

pytestmark = pytest.mark.skipif(not BZT, reason="no bzt command ($BZT or bzt on PATH)")

REQUESTS_YML = """
execution:
  - executor: incarne
    scenario: api
    throughput: 50
    concurrency: 20
    ramp-up: 2s
    hold-for: 2s
scenarios:
  api:
    default-address: http://127.0.0.1:8080
    requests:
      - url: /items
        label: list items
      - url: /items
        method: POST
        label: create
        body: {"name": "x"}
"""


def run_bzt(tmp_path, configs, options=(), env=None):
    art = tmp_path / "artifacts"
    argv = shlex.split(BZT) + list(configs) + [
        "-o", "modules.incarne.path=" + FAKE,
        "-o", "modules.console.disable=true",
        "-o", "settings.artifacts-dir=" + str(art)] + list(options)
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = os.pathsep.join(
        [TAURUS] + [p for p in [full_env.get("PYTHONPATH")] if p])
    full_env.update(env or {})
    proc = subprocess.run(argv, cwd=REPO, env=full_env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=300)
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), art


def samples(output):
    match = re.search(r"Samples count: (\d+)", output)
    return int(match.group(1)) if match else None


def test_readme_command(tmp_path):
    rc, out, art = run_bzt(tmp_path, ["taurus/incarne-module.yml", "taurus/test.yml"],
                           ["-o", "execution.0.ramp-up=1s", "-o", "execution.0.hold-for=2s"])
    assert rc == 0, out
    assert samples(out) == 3 * 20  # fake_incarne: 20 hits a second, 3 s
    plan = (art / "incarne.toml").read_text()
    assert 'schedule = "line(1, 10, 1s) const(10, 2s)"' in plan
    assert (art / "incarne-run" / "stats.jsonl").exists()


@pytest.mark.parametrize("results", ["stats", "phout"])
def test_requests_labels_in_both_reader_modes(tmp_path, results):
    config = tmp_path / "requests.yml"
    config.write_text(REQUESTS_YML)
    rc, out, art = run_bzt(tmp_path, ["taurus/incarne-module.yml", str(config)],
                           ["-o", "modules.incarne.results=" + results])
    assert rc == 0, out
    assert samples(out) == 2 * 4 * 20
    assert "| list items |" in out and "| create " in out
    assert "Response code: 503" in out
    ammo = (art / "incarne-ammo.txt").read_bytes()
    assert ammo.startswith(b"45 list_items\nGET /items HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n")


def test_failure_shows_incarne_stderr_and_exits_1(tmp_path):
    rc, out, _ = run_bzt(tmp_path, ["taurus/incarne-module.yml", "taurus/test.yml"],
                         env={"FAKE_EXIT": "1", "FAKE_STDERR": "target unreachable: boom"})
    assert rc == 1, out
    assert "incarne failed (exit code 1)" in out
    assert "target unreachable: boom" in out


def test_autostop_is_bzt_exit_3(tmp_path):
    rc, out, _ = run_bzt(tmp_path, ["taurus/incarne-module.yml", "taurus/test.yml"],
                         env={"FAKE_EXIT": "3"})
    assert rc == 3, out


def test_missing_binary(tmp_path):
    rc, out, _ = run_bzt(tmp_path, ["taurus/incarne-module.yml", "taurus/test.yml"],
                         ["-o", "modules.incarne.path=bin/no-such-incarne"])
    assert rc == 1, out
    assert "Incarne isn't found, automatic installation isn't implemented" in out


UNMAPPED_YML = """
execution:
  - executor: incarne
    scenario: api
    concurrency: 2
    hold-for: 2s
scenarios:
  api:
    default-address: http://127.0.0.1:8080
    foo-bar: 1
    data-sources: [d.csv]
    requests:
      - url: /items
        assert-xpath: [//ok]
"""


def test_unmapped_keys_are_warnings_and_logic_blocks_errors(tmp_path):
    config = tmp_path / "unmapped.yml"
    config.write_text(UNMAPPED_YML)
    rc, out, _ = run_bzt(tmp_path, ["taurus/incarne-module.yml", str(config)])
    assert rc == 0, out
    assert "scenario 'api' key 'foo-bar' ignored" in out
    assert "scenario 'api' key 'data-sources' ignored" in out
    assert "request key 'assert-xpath' ignored (in 1 request, first requests[0])" in out
    second = tmp_path / "blocks"
    second.mkdir()
    blocks = second / "blocks.yml"
    blocks.write_text(UNMAPPED_YML.replace(
        "      - url: /items\n        assert-xpath: [//ok]\n",
        "      - if: '${a} == 1'\n        then:\n          - url: /items\n"))
    assert "- if:" in blocks.read_text()
    rc, out, _ = run_bzt(second, ["taurus/incarne-module.yml", str(blocks)])
    assert rc == 1, out
    assert "requests[0]: 'if' is a logic block" in out
    assert "Wrong request" not in out


def test_lost_records_and_unsent_shots_are_warnings(tmp_path):
    rc, out, _ = run_bzt(tmp_path, ["taurus/incarne-module.yml", "taurus/test.yml"],
                         ["-o", "execution.0.ramp-up=1s", "-o", "execution.0.hold-for=1s"],
                         env={"FAKE_RING_DROPPED": "5", "FAKE_UNSENT": "2"})
    assert rc == 0, out
    assert "incarne second 0: 5 raw records lost to full result rings" in out
    assert "incarne lost 10 raw records to full result rings" in out
    assert "incarne did not fire 2 of " in out
