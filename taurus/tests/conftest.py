"""Puts taurus/ on sys.path so `import incarne_bzt` works from any CWD (as PYTHONPATH=taurus
does for bzt)."""

import os
import sys

TAURUS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if TAURUS_DIR not in sys.path:
    sys.path.insert(0, TAURUS_DIR)
