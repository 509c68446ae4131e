#!/usr/bin/env python3
"""Regenerates the *.expected.stpd files of cases.tsv by running Yandex.Tank's own stepper.

Not part of the build: the expected files are committed. Needs a checkout of yandex-tank
(tested with 85b7ad6) whose `yandextank/stepper` package is importable; the netort resource
manager it imports is replaced by a minimal local-file stub here.

    TANK_SRC=/path/to/yandex-tank python3 tests/data/ammo/make_expected.py [--check]

Options are passed the way Tank's StepperWrapper passes them (headers with brackets stripped,
chosen_cases split), except that chosen_cases are given as bytes: Tank 1.x on Python 3 compares
bytes tags with str cases and would match nothing (docs/ammo.md, quirks).
"""
import contextlib
import gzip
import io
import logging
import os
import sys
import types

HERE = os.path.dirname(os.path.abspath(__file__))


def install_stubs():
    class Opener:
        def __init__(self, path):
            self.path = path
            self.data_length = os.path.getsize(path)
            self.hash = ''

        def __call__(self, *a, **k):
            with open(self.path, 'rb') as f:
                magic = f.read(2)
            return gzip.open(self.path, 'rb') if magic == b'\x1f\x8b' else open(self.path, 'rb')

    class Manager:
        def get_opener(self, path):
            return Opener(path)

    @contextlib.contextmanager
    def open_file(opener, use_cache=True):
        f = opener()
        try:
            yield f
        finally:
            f.close()

    mod = types.ModuleType('resource')
    mod.manager = Manager()
    mod.ResourceManager = Manager
    mod.open_file = open_file
    for name in ('yandextank.contrib.netort.netort.resource', 'yandextank.common.resource'):
        sys.modules[name] = mod


def tank_stpd(row):
    from yandextank.stepper import info
    from yandextank.stepper.main import Stepper, LoadProfile
    info.stdout = io.StringIO()  # progress lines
    expected, inp, fmt, schedule, http_ver, autocases, chosen, headers, uris = row
    dash = lambda v, d: d if v == '-' else v
    kwargs = dict(
        rps_schedule=LoadProfile('rps', schedule).schedule,
        http_ver=dash(http_ver, '1.1'),
        ammo_file=None if inp == '-' else os.path.join(HERE, inp),
        uris=None if uris == '-' else uris.split('|'),
        headers=[] if headers == '-' else [h.strip('[]') for h in headers.split('|')],
        ammo_type='phantom' if fmt == 'auto' else fmt,
        chosen_cases=[] if chosen == '-' else [c.encode() for c in chosen.split()],
        autocases=dash(autocases, 0),
    )
    out = io.BytesIO()
    Stepper(None, **kwargs).write(out)
    return out.getvalue()


def main():
    src = os.environ.get('TANK_SRC')
    if not src:
        sys.exit('set TANK_SRC to a yandex-tank checkout')
    sys.path.insert(0, src)
    logging.disable(logging.CRITICAL)
    install_stubs()
    check = '--check' in sys.argv
    bad = 0
    for line in open(os.path.join(HERE, 'cases.tsv'), encoding='utf-8'):
        line = line.rstrip('\n')
        if not line or line.startswith('#'):
            continue
        row = line.split('\t')
        data = tank_stpd(row)
        path = os.path.join(HERE, row[0])
        if check:
            same = open(path, 'rb').read() == data
            print(('ok   ' if same else 'DIFF ') + row[0])
            bad += not same
        else:
            open(path, 'wb').write(data)
            print('wrote ' + row[0])
    sys.exit(1 if bad else 0)


if __name__ == '__main__':
    main()
