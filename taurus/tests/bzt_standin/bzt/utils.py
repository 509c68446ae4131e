"""bzt.utils stand-in: the helpers incarne_bzt uses."""

import os
import re
import subprocess
from subprocess import CalledProcessError

from . import TaurusInternalException

CALL_PROBLEMS = (CalledProcessError, OSError)


def dehumanize_time(str_time):
    """bzt's: "1h2m3s", "500ms", "30" → seconds (float)."""
    if not str_time:
        return 0
    parts = re.findall(r'([\d\.\-infa]+)([a-zA-Z]*)', str(str_time).replace(' ', ''))
    if not parts:
        raise TaurusInternalException("String format not supported: %s" % str_time)
    units = {"ms": 0.001, "s": 1, "": 1, "m": 60, "h": 3600, "d": 86400}
    result = 0.0
    for value, unit in parts:
        if unit.lower() not in units:
            raise TaurusInternalException("String contains unsupported unit %s: %s"
                                          % (unit, str_time))
        result += float(value) * units[unit.lower()]
    return result


def get_full_path(path, default=None, step_up=0):
    if not path:
        return default
    return os.path.abspath(os.path.expanduser(path))


def shutdown_process(process, log):
    if process is not None and process.poll() is None:
        process.terminate()
        process.wait(10)


class RequiredTool(object):
    def __init__(self, log=None, tool_path="", installable=True, env=None, http_client=None,
                 **kwargs):
        self.log = log
        self.tool_path = tool_path
        self.installable = installable
        self.env = env
        self.tool_name = self.__class__.__name__
        self.version = None

    def call(self, *args, **kwargs):
        proc = subprocess.run(args[0], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = proc.stdout.decode(), proc.stderr.decode()
        if proc.returncode:
            raise CalledProcessError(proc.returncode, args[0], out, err)
        return out, err

    def check_if_installed(self):
        return True

    def install(self):
        pass


class FileReader(object):
    """Hands out what was appended to a text file since the last call (bzt's also does
    encodings and waits for the file to appear)."""

    def __init__(self, filename="", parent_logger=None, **kwargs):
        self.name = filename
        self.offset = 0

    def get_lines(self, size=-1, last_pass=False):
        if not os.path.exists(self.name):
            return
        with open(self.name) as fds:
            fds.seek(self.offset)
            data = fds.read()
            self.offset = fds.tell()
        if data:
            yield data
