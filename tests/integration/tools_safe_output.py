#!/usr/bin/env python3
"""The offline tools never lose data and never pass garbage on (docs/results.md "Outputs"):

- convert/ammo compile/merge validate their input before they touch an output, replace a
  regular file only when done, write into FIFOs and character devices, follow symlinks and
  refuse an output that is an input or inside the run directory;
- convert/merge check every hits record (exit 2 naming the byte offset; --skip-bad);
- merge refuses the same run twice (same folder, or a copy: same run id) and warns when
  plans differ; report calls a run without summary.json incomplete.

  tests/integration/tools_safe_output.py build/src/incarne
"""
import hashlib
import os
import shutil
import stat
import subprocess
import threading

from engine_common import binary, check, fail, run, tmpdir, write

incarne = binary()
d = tmpdir()


def digest(path):
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return None


def text(path, mode="r"):
    """A file's content, or None when it is gone."""
    try:
        with open(path, mode) as f:
            return f.read()
    except OSError:
        return None


def make_run(name, rps=200):
    plan = write(os.path.join(d, name + ".toml"), """
[target]
nib = "dummy"
[load]
schedule = "const(%d, 1s)"
[results]
dir = "unused"
""" % rps)
    out = os.path.join(d, name)
    p = run(incarne, ["run", plan, "--out", out])
    if p.returncode != 0:
        fail("incarne run failed: %s" % p.stderr[-2000:])
    return out


def read_fifo(path, into):
    with open(path, "rb") as f:
        into.append(f.read())


A = make_run("a")
B = make_run("b", rps=300)
hits_a = os.path.join(A, "hits")

# 1. Nothing is created or truncated before the input is known good.
important = write(os.path.join(d, "important.txt"), "keep me\n")
p = run(incarne, ["convert", os.path.join(d, "no-such-run"), "--to", "phout", "-o", important])
check(p.returncode == 2, "convert of a missing run exits 2 (%d: %s)" % (p.returncode, p.stderr))
check(text(important) == "keep me\n", "convert of a missing run keeps the old -o file")

# 2. An output that is an input or inside the run directory is refused (by inode).
for target in ["hits", "aggregates", "new.txt", "../a/summary.json"]:
    path = os.path.join(A, target)
    before = {f: digest(os.path.join(A, f)) for f in os.listdir(A)}
    p = run(incarne, ["convert", A, "--to", "phout", "-o", path])
    check(p.returncode == 2 and ("inside the input directory" in p.stderr or
                                 "is the input" in p.stderr),
          "convert -o RUN/%s is refused (%d: %s)" % (target, p.returncode, p.stderr.strip()))
    after = {f: digest(os.path.join(A, f)) for f in os.listdir(A)}
    check(before == after, "convert -o RUN/%s leaves the run directory as it was" % target)
os.symlink(hits_a, os.path.join(d, "alias"))
p = run(incarne, ["convert", A, "--to", "phout", "-o", os.path.join(d, "alias")])
check(p.returncode == 2, "convert -o a symlink to RUN/hits is refused")
hard = os.path.join(d, "hard")
os.link(hits_a, hard)
before = digest(hits_a)
p = run(incarne, ["convert", A, "--to", "phout", "-o", hard])
check(p.returncode == 2 and "is the input" in p.stderr and digest(hits_a) == before,
      "convert -o a hard link to RUN/hits is refused (%s)" % p.stderr.strip())
os.unlink(hard)

# 3. Regular files are replaced whole; symlinks are followed; /dev/stdout works.
ref = run(incarne, ["convert", A, "--to", "phout"])
check(ref.returncode == 0 and ref.stdout.count("\n") == 200, "convert to stdout: 200 lines")
write(important, "keep me\n")
os.chmod(important, 0o600)
p = run(incarne, ["convert", A, "--to", "phout", "-o", important])
check(p.returncode == 0 and text(important) == ref.stdout, "convert -o replaces a file")
check(stat.S_IMODE(os.stat(important).st_mode) == 0o600, "a replaced file keeps its mode")
link = os.path.join(d, "link.txt")
os.symlink("linked.txt", link)
p = run(incarne, ["convert", A, "--to", "phout", "-o", link])
check(p.returncode == 0 and os.path.islink(link) and
      text(os.path.join(d, "linked.txt")) == ref.stdout,
      "convert -o a (dangling) symlink writes its target and keeps the link")
p = run(incarne, ["convert", A, "--to", "phout", "-o", "/dev/stdout"])
check(p.returncode == 0 and p.stdout == ref.stdout, "convert -o /dev/stdout writes to stdout")
leftovers = [f for f in os.listdir(d) if f.startswith(".")]
check(leftovers == [], "no temporary files left behind (%s)" % leftovers)

# 4. A FIFO is written into, not replaced; a full character device fails and stays.
fifo = os.path.join(d, "fifo")
os.mkfifo(fifo)
got = []
t = threading.Thread(target=read_fifo, args=(fifo, got), daemon=True)
t.start()
p = run(incarne, ["convert", A, "--to", "phout", "-o", fifo])
t.join(30)
check(p.returncode == 0 and got and got[0].decode() == ref.stdout, "convert -o FIFO writes into it")
check(stat.S_ISFIFO(os.lstat(fifo).st_mode), "the FIFO is still a FIFO")
full = os.path.join(d, "full")
try:
    os.mknod(full, 0o666 | stat.S_IFCHR, os.makedev(1, 7))  # our own /dev/full
    with open(full, "wb"):
        pass
except OSError as e:
    print("skip: no character device of our own (%s)" % e)
    full = None
if full:
    p = run(incarne, ["convert", A, "--to", "phout", "-o", full])
    check(p.returncode == 1, "convert -o a full device exits 1 (%d: %s)" % (p.returncode, p.stderr))
    check(stat.S_ISCHR(os.lstat(full).st_mode), "the device is still there")
    p = run(incarne, ["ammo", "compile", write(os.path.join(d, "u.txt"), "[Host: x]\n/a\n"),
                      "-o", full])
    check(p.returncode == 1 and stat.S_ISCHR(os.lstat(full).st_mode),
          "ammo compile -o a full device exits 1 and leaves it (%d: %s)" % (p.returncode, p.stderr))

# 5. ammo compile: FIFO written into, symlink followed, the input refused as output.
uris = write(os.path.join(d, "uris.txt"), "[Host: x]\n/a\n/b\n")
p = run(incarne, ["ammo", "compile", uris, "-o", os.path.join(d, "ref.ammo")])
check(p.returncode == 0, "ammo compile to a file")
ref_ammo = text(os.path.join(d, "ref.ammo"), "rb")
afifo = os.path.join(d, "ammo.fifo")
os.mkfifo(afifo)
got = []
t = threading.Thread(target=read_fifo, args=(afifo, got), daemon=True)
t.start()
p = run(incarne, ["ammo", "compile", uris, "-o", afifo])
t.join(30)
check(p.returncode == 0 and got and got[0] == ref_ammo and stat.S_ISFIFO(os.lstat(afifo).st_mode),
      "ammo compile -o FIFO writes the same bytes into it (%d: %s)" % (p.returncode, p.stderr))
alink = os.path.join(d, "ammo.link")
os.symlink("ammo.target", alink)
p = run(incarne, ["ammo", "compile", uris, "-o", alink])
check(p.returncode == 0 and os.path.islink(alink) and
      text(os.path.join(d, "ammo.target"), "rb") == ref_ammo,
      "ammo compile -o a symlink writes its target")
os.link(uris, os.path.join(d, "uris.hard"))
p = run(incarne, ["ammo", "compile", uris, "-o", os.path.join(d, "uris.hard")])
check(p.returncode == 2 and text(uris) == "[Host: x]\n/a\n/b\n",
      "ammo compile -o a hard link to the input is refused")

# 6. Damaged records: exit 2 with the byte offset; --skip-bad converts the rest.
bad = os.path.join(d, "bad")
shutil.copytree(A, bad)
size = os.path.getsize(os.path.join(bad, "hits"))
with open(os.path.join(bad, "hits"), "r+b") as f:
    f.seek(4096 + 64 * 50)
    f.write(os.urandom(64 * 20))
p = run(incarne, ["convert", bad, "--to", "phout"])
check(p.returncode == 2 and "bad record at byte offset" in p.stderr and p.stdout == "",
      "convert of damaged hits exits 2 naming the offset, prints nothing (%d: %s)"
      % (p.returncode, p.stderr.strip()))
p = run(incarne, ["convert", bad, "--to", "phout", "--skip-bad"])
lines = p.stdout.count("\n")
check(p.returncode == 0 and "skipped" in p.stderr and 180 <= lines < 200,
      "convert --skip-bad converts the good records (%d lines; %s)" % (lines, p.stderr.strip()))
p = run(incarne, ["merge", bad, B, "-o", os.path.join(d, "m-bad")])
check(p.returncode == 2 and "bad record at byte offset" in p.stderr and
      not os.path.exists(os.path.join(d, "m-bad")),
      "merge of damaged hits exits 2 and creates nothing (%s)" % p.stderr.strip())

# 7. merge: the same run twice is refused; different plans warn with both hashes.
p = run(incarne, ["merge", A, A, "-o", os.path.join(d, "m1")])
check(p.returncode == 2 and "same run" in p.stderr, "merge A A is refused (%s)" % p.stderr.strip())
copy = os.path.join(d, "copy")
shutil.copytree(A, copy)
p = run(incarne, ["merge", A, copy, "-o", os.path.join(d, "m2")])
check(p.returncode == 2 and "same run (run id" in p.stderr,
      "merge A copy-of-A is refused by run id (%s)" % p.stderr.strip())
p = run(incarne, ["merge", A, B, "-o", os.path.join(A, "merged")])
check(p.returncode == 2 and not os.path.exists(os.path.join(A, "merged")),
      "merge -o inside an input is refused (%s)" % p.stderr.strip())
p = run(incarne, ["merge", A, B, "-o", os.path.join(d, "m3")])
check(p.returncode == 0 and "differ in plan" in p.stderr and "hash" in p.stderr,
      "merge of runs with different plans warns (%s)" % p.stderr.strip())
p = run(incarne, ["report", os.path.join(d, "m3"), "--json"])
check(p.returncode == 0 and '"hits":500' in p.stdout.replace(" ", ""), "merged report: 500 hits")

# 8. report on a run without summary.json says so.
killed = os.path.join(d, "killed")
shutil.copytree(A, killed)
os.unlink(os.path.join(killed, "summary.json"))
p = run(incarne, ["report", killed])
check(p.returncode == 0 and "incomplete run" in p.stderr and "data until" in p.stderr and
      "INCOMPLETE RUN" in p.stdout, "report of a run without summary.json says incomplete (%s)"
      % p.stderr.strip())
p = run(incarne, ["report", A])
check("incomplete" not in p.stderr + p.stdout, "a complete run is not called incomplete")
print("PASS")
