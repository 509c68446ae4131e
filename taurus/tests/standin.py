"""The bzt stand-in (bzt_standin/: the parts of bzt the module imports) for the executor's
tests without bzt, and fake_incarne.py as their binary. Importing this module skips the
importing test module when a real bzt is already imported in the process (the stand-in would
shadow it)."""

import os
import sys

import pytest

TESTS = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(TESTS, "fake_incarne.py")
STANDIN = os.path.join(TESTS, "bzt_standin")

if "bzt" in sys.modules and not sys.modules["bzt"].__file__.startswith(STANDIN):
    pytest.skip("a real bzt is imported in this process", allow_module_level=True)
if STANDIN not in sys.path:
    sys.path.insert(0, STANDIN)
from bzt import TaurusConfigError  # noqa: E402,F401  (the stand-in's)
from bzt.engine import Engine  # noqa: E402,F401
from bzt.modules.aggregator import ConsolidatingAggregator  # noqa: E402,F401
