"""The incarne executor for Taurus: bzt glue only (the logic is in logic.py, tested without bzt).

    PYTHONPATH=taurus bzt taurus/incarne-module.yml taurus/test.yml

prepare() reads the load and scenario (get_load() must run here: `-report` reads the
execution's concurrency before any executor starts), writes the plan and the ammo into the
artifacts dir and attaches a reader; startup() runs `incarne run PLAN --out RUN_DIR`;
shutdown() stops it with SIGTERM (incarne flushes and exits 0). See docs/taurus.md.
"""

import os
import shlex
import subprocess

from bzt import AutomatedShutdown, TaurusConfigError, ToolError
from bzt.engine import ScenarioExecutor
from bzt.modules.aggregator import ConsolidatingAggregator
from bzt.requests_model import HTTPRequest
from bzt.utils import CALL_PROBLEMS, RequiredTool, dehumanize_time, get_full_path
from bzt.utils import shutdown_process

from . import logic, scenario_map
from .readers import IncarnePhoutReader, IncarneStatsReader

RESULTS_STATS = "stats"
RESULTS_PHOUT = "phout"


class IncarneExecutor(ScenarioExecutor):
    """Runs one `incarne run` per execution item."""

    def __init__(self):
        super(IncarneExecutor, self).__init__()
        self.process = None
        self.tool = None
        self.scenario = None
        self.load = None
        self.run_config = None
        self.plan_file = None
        self.ammo_file = None
        self.run_dir = None
        self.script = None
        self.overrides = None
        self.k8s = None          # logic.K8sConfig of a sharded execution (docs/k8s.md)
        self.k8s_dir = None      # collect's output: shard-K/ and merged/
        self.k8s_steps = []      # the commands still to run, in order
        self.k8s_step = None     # (name, argv, Popen, stdout file) running now

    # --- bzt lifecycle -------------------------------------------------------------------

    def prepare(self):
        super(IncarneExecutor, self).prepare()
        self.install_required_tools()
        self.scenario = self.get_scenario()
        self.load = self.get_load()

        self._check_keys()
        requests = self._requests()
        self.script = self.get_script_path()
        self.overrides = self.scenario.get("set", None) or None
        mode = str(self.execution.get("results", self.settings.get("results", RESULTS_STATS)))
        if mode not in (RESULTS_STATS, RESULTS_PHOUT):
            raise TaurusConfigError("incarne: results must be %r or %r, got %r"
                                    % (RESULTS_STATS, RESULTS_PHOUT, mode))

        try:
            self.k8s = logic.k8s_config(self.execution.get("incarne", None), self.label,
                                        dehumanize_time)
        except logic.ConfigError as exc:
            raise TaurusConfigError("incarne: %s" % exc)
        if self.k8s is not None and mode == RESULTS_PHOUT:
            raise TaurusConfigError("incarne: results: phout is not available with shards "
                                    "(the merged run has stats, not phout.log)")
        if self.k8s is not None:
            # The shards' run directories are merged into k8s_dir/merged, read like one run.
            self.k8s_dir = self.engine.create_artifact("incarne-k8s", "")
            self.run_dir = logic.k8s_merged_dir(self.k8s_dir)
        else:
            self.run_dir = self.engine.create_artifact("incarne-run", "")
        self.plan_file = self.engine.create_artifact("incarne", ".toml")
        if requests or not self.script:
            self.ammo_file = self.engine.create_artifact("incarne-ammo", ".txt")

        scenario_logic = self._scenario_logic(requests)
        timeout = self.scenario.get("timeout", None)
        protocol = self.scenario.get("protocol", None)
        if protocol and str(protocol).endswith(".so"):
            protocol = get_full_path(self.engine.find_file(str(protocol)))
        try:
            self.run_config = logic.build_run_config(
                self.load,
                requests=requests,
                scenario_headers=self.scenario.get_headers(),
                default_address=self.scenario.get("default-address", None),
                protocol=protocol,
                timeout=dehumanize_time(timeout) if timeout else None,
                keepalive=bool(self.scenario.get("keepalive", True)),
                ammo_file=self.script,
                ammo_path=self.ammo_file,
                ammo_format=self.scenario.get("ammo-format", None),
                run_dir=self.run_dir,
                phout=mode == RESULTS_PHOUT,
                default_instances=int(self.settings.get("default-instances",
                                                        logic.DEFAULT_INSTANCES)),
                max_duration=dehumanize_time(self.settings.get("max-duration", "1h")),
                threads=self.execution.get("worker-threads", None),
                label=self.label,
                hits=self.settings.get("hits", "errors"),
                scenario_logic=scenario_logic)
        except logic.ConfigError as exc:
            raise TaurusConfigError("incarne: %s" % exc)
        for warning in self.run_config.load.warnings:
            self.log.warning("incarne: %s", warning)

        if self.run_config.ammo is not None:
            with open(self.ammo_file, "wb") as fds:
                fds.write(self.run_config.ammo.data)
        with open(self.plan_file, "w") as fds:
            fds.write(self.run_config.plan)
        self.log.debug("incarne plan %s:\n%s", self.plan_file, self.run_config.plan)

        self.stdout = open(self.engine.create_artifact("incarne", ".out"), "w")
        self.stderr = open(self.engine.create_artifact("incarne", ".err"), "w")

        if self.settings.get("check-plan", True):
            self._check_plan()

        stats_file = os.path.join(self.run_dir, "stats.jsonl")
        timeline = None
        if self.run_config.load.model == "instances":
            timeline = logic.InstancesTimeline(self.run_config.load.schedule)
        http_errors = bool(self.settings.get("http-errors", True))
        if mode == RESULTS_PHOUT:
            self.reader = IncarnePhoutReader(os.path.join(self.run_dir, "phout.log"), self.log,
                                             stats_filename=stats_file, http_errors=http_errors,
                                             labels=self.run_config.labels,
                                             timeline=timeline)
        else:
            response_time = str(self.settings.get("response-time", "latency"))
            if response_time not in logic.RESPONSE_TIMES:
                raise TaurusConfigError("incarne: response-time must be one of %s, got %r"
                                        % (", ".join(sorted(logic.RESPONSE_TIMES)),
                                           response_time))
            self.reader = IncarneStatsReader(stats_file, self.log, http_errors=http_errors,
                                             response_time=response_time,
                                             labels=self.run_config.labels,
                                             timeline=timeline)
        if isinstance(self.engine.aggregator, ConsolidatingAggregator):
            self.engine.aggregator.add_underling(self.reader)

    def startup(self):
        if self.k8s is not None:
            self._start_k8s()
            return
        cmdline = logic.run_command(self.tool.tool_path, self.plan_file, self.run_dir,
                                    overrides=self.overrides,
                                    cmdline=self.settings.get("cmdline", None))
        self.log.debug("Starting: %s", cmdline)
        self.process = self._execute(cmdline)

    def check(self):
        if self.k8s is not None:
            return self._check_k8s()
        if self.process is None:
            return True
        ret_code = self.process.poll()
        if ret_code is None:
            return False
        kind, message = logic.exit_status(ret_code)
        if kind == "ok":
            self.log.info("%s, results in %s", message, self.run_dir)
            return True
        if kind == "autostop":
            self.log.warning("%s; see %s", message, self.run_dir)
            raise AutomatedShutdown(message)
        raise ToolError(message, self.get_error_diagnostics())

    def shutdown(self):
        if self.k8s is not None:
            self._stop_k8s()
            return
        # The engine has created the $GRACEFUL file by now; shutdown_process waits 1 s, then
        # sends SIGTERM to the process group: incarne stops firing, flushes and exits 0.
        shutdown_process(self.process, self.log)

    def post_process(self):
        for name in ("summary.json", "incarne.log"):
            path = os.path.join(self.run_dir or "", name)
            if self.run_dir and os.path.exists(path):
                self.log.debug("incarne result file: %s", path)
        if self.run_dir and self.process is not None:
            # Lost records and unsent shots are in no figure bzt shows: say so at the end.
            for warning in logic.summary_warnings(os.path.join(self.run_dir, "summary.json")):
                self.log.warning("incarne: %s", warning)
        super(IncarneExecutor, self).post_process()

    def has_results(self):
        return bool(self.reader) and self.reader.has_results()

    def get_widget(self):
        if not self.widget:
            from bzt.modules.console import ExecutorWidget  # urwid: only when a console runs
            label = self.label or ("%s" % self).split("/")[-1]
            self.widget = ExecutorWidget(self, "incarne: %s" % label)
        return self.widget

    def install_required_tools(self):
        self.tool = self._get_tool(IncarneTool, config=self.settings)
        if not self.tool.check_if_installed():
            # A relative `path` is taken from the current directory (get_full_path); also look
            # next to the loaded configs, as bzt's find_file does for scripts.
            raw = self.settings.get("path", None)
            if raw and not os.path.isabs(os.path.expanduser(str(raw))):
                found = self.engine.find_file(str(raw))
                if found and os.path.exists(found) and found != self.tool.tool_path:
                    self.tool.tool_path = found
                    if self.tool.check_if_installed():
                        return
            self.tool.install()

    def get_error_diagnostics(self):
        files = [("incarne STDOUT", self.stdout.name if self.stdout else None),
                 ("incarne STDERR", self.stderr.name if self.stderr else None)]
        if self.run_dir:
            files.append(("incarne.log", os.path.join(self.run_dir, "incarne.log")))
        return logic.diagnostics(files)

    def resource_files(self):
        script = self.get_script_path()
        return [script] if script else []

    # --- shards on Kubernetes (docs/taurus.md "Shards on Kubernetes") ---------------------

    def _start_k8s(self):
        """render → apply → wait → collect, one local command at a time (polled in check());
        with `dry-run: true` the commands are only written to incarne-k8s-commands.txt."""
        manifest = self.engine.create_artifact("incarne-k8s", ".yaml")
        length_s = (self.run_config.load.duration_ns or 0) / 1e9
        self.k8s_steps = logic.k8s_steps(self.tool.tool_path, self.plan_file, manifest,
                                         self.k8s_dir, self.k8s, overrides=self.overrides,
                                         run_length_s=length_s)
        if self.k8s.dry_run:
            lines = []
            for name, argv, out in self.k8s_steps:
                lines.append(shlex.join(argv) + ((" > " + shlex.quote(out)) if out else ""))
                self.log.info("incarne k8s %s (dry run): %s", name, lines[-1])
            with open(self.engine.create_artifact("incarne-k8s-commands", ".txt"), "w") as fds:
                fds.write("\n".join(lines) + "\n")
            self.k8s_steps = []
            return
        self._next_k8s_step()

    def _next_k8s_step(self):
        name, argv, out = self.k8s_steps.pop(0)
        self.log.info("incarne k8s %s: %s", name, shlex.join(argv))
        stdout = open(out, "w") if out else self.stdout
        proc = subprocess.Popen(argv, stdout=stdout, stderr=self.stderr)
        self.k8s_step = (name, argv, proc, stdout if out else None)

    def _check_k8s(self):
        if self.k8s_step is None:
            return not self.k8s_steps
        name, argv, proc, out = self.k8s_step
        ret_code = proc.poll()
        if ret_code is None:
            return False
        if out is not None:
            out.close()
        self.k8s_step = None
        if ret_code != 0:
            raise ToolError("incarne k8s %s failed (exit code %s): %s"
                            % (name, ret_code, shlex.join(argv)), self.get_error_diagnostics())
        if self.k8s_steps:
            self._next_k8s_step()
            return False
        self.log.info("incarne: %d shards merged into %s", self.k8s.shards, self.run_dir)
        return True

    def _stop_k8s(self):
        if self.k8s_step is None:
            return
        name, _, proc, out = self.k8s_step
        if proc.poll() is None:
            proc.terminate()
            proc.wait()
        if out is not None:
            out.close()
        self.k8s_step = None
        if name in ("wait", "collect"):
            ns = " --namespace %s" % self.k8s.namespace if self.k8s.namespace else ""
            self.log.warning("incarne: stopped before the shards were collected; the Job keeps "
                             "running in the cluster. Later: incarne k8s collect %s%s -o DIR; "
                             "to stop it: kubectl%s delete job %s", self.k8s.name, ns, ns,
                             self.k8s.name)

    # --- helpers ---------------------------------------------------------------------------

    def _check_keys(self):
        """Refuses logic blocks by name (bzt's flat parser would flatten `transaction` and fail
        on the others with a raw "Wrong request") and names every execution, scenario and
        request key incarne ignores in a warning (docs/taurus.md)."""
        raw_requests = self.scenario.get("requests", None) or []
        if not isinstance(raw_requests, list):
            raw_requests = []  # bzt's parser reports the type
        try:
            logic.check_request_blocks(raw_requests, self.label)
        except logic.ConfigError as exc:
            raise TaurusConfigError("incarne: %s" % exc)
        for warning in logic.unmapped_key_warnings(list(self.execution), list(self.scenario),
                                                   raw_requests, self.label):
            self.log.warning("incarne: %s", warning)

    def _requests(self):
        """The scenario's HTTP requests as logic.RequestSpec (other blocks are skipped)."""
        if not self.scenario.get("requests", None):
            return []
        specs = []
        for request in self.scenario.get_requests():
            if not isinstance(request, HTTPRequest):
                self.log.warning("incarne: '%s' blocks are not supported, skipping",
                                 getattr(request, "NAME", type(request).__name__))
                continue
            headers = request.headers or {}
            specs.append(logic.RequestSpec(url=request.url, method=request.method,
                                           headers=dict(headers), body=request.body,
                                           label=request.label))
        if not specs:
            raise TaurusConfigError("incarne: the scenario's requests have no HTTP request")
        return specs

    def _scenario_logic(self, requests):
        """asserts, extracts, think-time, store-cookie and variables → scenario_map.ScenarioLogic
        (None without generated requests); what cannot be mapped is a warning."""
        if not requests:
            return None
        present = set(str(k) for k in self.scenario)
        scenario = dict((k, self.scenario.get(k)) for k in ("think-time", "variables",
                                                            "store-cookie") if k in present)
        raw_requests = self.scenario.get("requests", None) or []
        tags = [logic.tag_of(r.label) for r in requests]
        result = scenario_map.map_scenario(scenario, raw_requests, requests, tags, self.label)
        for warning in result.warnings:
            self.log.warning("incarne: %s", warning)
        return result

    def _check_plan(self):
        """`incarne check PLAN` so a bad plan fails in prepare, before any load."""
        argv = [self.tool.tool_path, "check", self.plan_file]
        for key, value in logic.overrides_list(self.overrides):
            argv += ["--set", "%s=%s" % (key, value)]
        try:
            out, err = self.tool.call(argv)
        except CALL_PROBLEMS as exc:
            details = []
            for attr in ("output", "stderr"):
                text = getattr(exc, attr, None)
                if text:
                    details.append(text.strip() if isinstance(text, str)
                                   else text.decode("utf-8", "replace").strip())
            raise TaurusConfigError("incarne rejected the generated plan %s: %s%s"
                                    % (self.plan_file, exc,
                                       ("\n" + "\n".join(details)) if details else ""))
        self.log.debug("incarne check: %s %s", out, err)


class IncarneTool(RequiredTool):
    """The incarne binary: modules.incarne.path, default `incarne` from PATH."""

    def __init__(self, config=None, **kwargs):
        settings = config or {}
        tool_path = get_full_path(settings.get("path", None), default="incarne")
        super(IncarneTool, self).__init__(tool_path=tool_path, installable=False, **kwargs)
        self.tool_name = "Incarne"

    def check_if_installed(self):
        self.log.debug("Trying incarne: %s", self.tool_path)
        try:
            out, err = self.call([self.tool_path, "--version"])
        except CALL_PROBLEMS as exc:
            self.log.warning("%s check failed: %s", self.tool_name, exc)
            return False
        self.version = (out or "").strip() or None
        self.log.debug("incarne --version: %s %s", out, err)
        return True

    def install(self):
        raise ToolError("Incarne isn't found, automatic installation isn't implemented "
                        "(looked for %s; build it with scripts/build, or set "
                        "modules.incarne.path)" % self.tool_path)


Incarne = IncarneTool
