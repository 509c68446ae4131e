"""End to end: a Taurus scenario with extract-jsonpath, a `${token}` template and asserts, mapped
by the module and run by incarne against a loopback Python service that issues a token and
checks it (the parts of the mapping an incarne with rules, captures and templates runs).

Uses $INCARNE (scripts/test sets it to bin/incarne), else bin/incarne; skipped when the binary
is missing. Bounded: one instance, 5 iterations of 2 requests, max-duration 20 s.

    python3 -m pytest -q taurus/tests/test_scenario_e2e.py
"""

import json
import os
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from incarne_bzt import logic, scenario_map
from incarne_bzt.logic import LoadSpec, RequestSpec

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INCARNE = os.environ.get("INCARNE") or os.path.join(REPO, "bin", "incarne")

pytestmark = pytest.mark.skipif(not os.access(INCARNE, os.X_OK),
                                reason="%s is not built" % INCARNE)


class Service(BaseHTTPRequestHandler):
    """POST /login → {"access_token": "tok-N"}; GET /profile needs `Bearer tok-N` of an issued
    token (else 401)."""
    protocol_version = "HTTP/1.1"
    issued = set()
    seen = []
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def reply(self, code, body, ctype="application/json"):
        data = body.encode()
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.lock:
            token = "tok-%d" % (len(self.issued) + 1)
            self.issued.add(token)
        self.reply(200, json.dumps({"access_token": token, "user": "alice"}))

    def do_GET(self):
        auth = self.headers.get("Authorization", "")
        with self.lock:
            self.seen.append(auth)
            ok = auth.startswith("Bearer ") and auth[7:] in self.issued
        if ok:
            self.reply(200, "profile of alice", "text/plain")
        else:
            self.reply(401, "who are you", "text/plain")


@pytest.fixture
def service():
    Service.issued = set()
    Service.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Service)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "127.0.0.1:%d" % server.server_address[1]
    server.shutdown()
    server.server_close()


def run_scenario(tmp_path, address, profile_assert):
    raw = [
        {"url": "http://%s/login" % address, "label": "login", "method": "POST",
         "body": "user=alice", "extract-jsonpath": {"token": "$.access_token"},
         "assert": [{"contains": ["200"], "subject": "http-code"}]},
        {"url": "http://%s/profile" % address, "label": "profile",
         "headers": {"Authorization": "Bearer ${token}"}, "assert": profile_assert},
    ]
    specs = [RequestSpec(r["url"], r["method"] if "method" in r else "GET", r.get("headers"),
                         r.get("body"), r["label"]) for r in raw]
    mapped = scenario_map.map_scenario({}, raw, specs, ["login", "profile"], "api")
    assert mapped.warnings == []
    ammo_path = str(tmp_path / "ammo.txt")
    run_dir = str(tmp_path / "run")
    cfg = logic.build_run_config(LoadSpec(1, 0, None, 0, 5, 0, None), requests=specs,
                                 ammo_path=ammo_path, run_dir=run_dir, max_duration=20,
                                 scenario_logic=mapped)
    with open(ammo_path, "wb") as fds:
        fds.write(cfg.ammo.data)
    plan_path = tmp_path / "plan.toml"
    plan_path.write_text(cfg.plan)
    proc = subprocess.run([INCARNE, "run", str(plan_path), "--out", run_dir],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()
    report = subprocess.run([INCARNE, "report", run_dir, "--json"], stdout=subprocess.PIPE,
                            timeout=60, check=True)
    return json.loads(report.stdout)


def net_codes(report, tag=None):
    """{net code: count} overall or of one tag in `incarne report --json`."""
    return (report["overall"] if tag is None else report["tags"][tag]).get("net_codes", {})


def test_token_is_extracted_and_sent_and_asserts_pass(tmp_path, service):
    report = run_scenario(tmp_path, service, ["profile of \\w+"])
    # Every profile request carried a token the service issued: the capture and the template
    # worked, and no assert failed.
    assert len(Service.seen) == 5
    assert all(a.startswith("Bearer tok-") for a in Service.seen), Service.seen
    assert net_codes(report) == {"0": 10}, report["overall"]


def test_a_failing_body_assert_is_314_on_its_tag_only(tmp_path, service):
    report = run_scenario(tmp_path, service, [{"contains": ["nobody"], "regexp": False}])
    assert len(Service.seen) == 5
    assert net_codes(report, "profile").get("314") == 5, report
    assert "314" not in net_codes(report, "login")
