"""bzt.engine stand-in: ScenarioExecutor with bzt's get_load() and a Scenario view."""

import logging
import os
import subprocess
from collections import namedtuple

from . import TaurusConfigError
from .requests_model import extract_requests
from .utils import dehumanize_time

LoadSpec = namedtuple("LoadSpec", "concurrency throughput ramp_up hold iterations duration steps")


class Scenario(object):
    def __init__(self, engine, data):
        self.engine = engine
        self.data = data

    def get(self, key, default=None):
        return self.data.get(key, default)

    def __getitem__(self, key):
        return self.data[key]

    def __setitem__(self, key, value):
        self.data[key] = value

    def __iter__(self):
        return iter(self.data)

    def get_headers(self):
        return self.data.get("headers", {}) or {}

    def get_requests(self):
        return extract_requests(self, self.engine)


class Engine(object):
    """What the executor touches: config, artifacts dir, find_file, aggregator, processes."""

    def __init__(self, artifacts_dir, config):
        self.artifacts_dir = artifacts_dir
        self.config = config
        self.aggregator = None
        self.log = logging.getLogger("bzt-standin")

    def create_artifact(self, prefix, suffix):
        path = os.path.join(self.artifacts_dir, prefix + suffix)
        if not suffix:
            os.makedirs(path, exist_ok=True)
        return path

    def find_file(self, name):
        return name

    def get_http_client(self):
        return None

    def start_subprocess(self, args, **kwargs):
        kwargs.pop("env", None)
        return subprocess.Popen(args, **kwargs)


class ScenarioExecutor(object):
    def __init__(self):
        self.execution = {}
        self.settings = {}
        self.engine = None
        self.log = logging.getLogger("bzt-standin.executor")
        self.label = None
        self.reader = None
        self.widget = None
        self.stdout = None
        self.stderr = None
        self.env = None

    def prepare(self):
        pass

    def post_process(self):
        for fds in (self.stdout, self.stderr):
            if fds:
                fds.close()

    def _get_tool(self, tool, **kwargs):
        return tool(env=self.env, log=self.log, **kwargs)

    def get_scenario(self):
        name = self.execution["scenario"]
        scenarios = self.engine.config.get("scenarios", {})
        if name not in scenarios:
            raise TaurusConfigError("Scenario '%s' not found" % name)
        self.label = name
        return Scenario(self.engine, scenarios[name])

    def get_script_path(self):
        return self.get_scenario().get("script")

    def get_load(self):
        """bzt's get_load() for the local provisioning."""
        ex = self.execution
        throughput = ex.get("throughput", 0) or 0
        concurrency = ex.get("concurrency", 0) or 0
        hold = dehumanize_time(ex.get("hold-for", 0) or 0)
        ramp_up = ex.get("ramp-up", None)
        duration = hold
        if ramp_up is not None:
            ramp_up = dehumanize_time(ramp_up)
            duration += ramp_up
        iterations = ex.get("iterations", None)
        if not iterations:
            iterations = 0 if duration else 1
        return LoadSpec(concurrency, throughput, ramp_up, hold, iterations, duration,
                        ex.get("steps", None))

    def _execute(self, args, **kwargs):
        return self.engine.start_subprocess(args, stdout=self.stdout, stderr=self.stderr)
