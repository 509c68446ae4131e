#!/usr/bin/env python3
"""Writes the help2man include file of incarne(1) from the binary's own help texts.

    packaging/man/commands.py build/src/incarne build/packaging/man/commands.h2m

The commands are the ones `incarne --help` lists (two spaces, a name, its summary); for each,
`incarne CMD --help` gives the usage lines (the SYNOPSIS: every form of every command) and the
whole text (one subsection of COMMANDS, kept as printed). Nothing is written by hand, so the
page follows the binary. A command whose --help fails is an error (exit 1, naming it): the page
must not silently lose a command; one without a `usage:` line gets `incarne CMD` as its synopsis
and a warning.
"""

import re
import subprocess
import sys


def Help(binary, *args):
    """The --help text of `binary args... --help` (stdout); raises on a failing command."""
    proc = subprocess.run([binary, *args, "--help"], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise SystemExit("%s: `incarne %s --help` exited %d: %s" %
                         (sys.argv[0], " ".join(args), proc.returncode, proc.stderr.strip()))
    return proc.stdout


def Commands(top_help):
    """(name, summary) of every command in the top-level help, in its order."""
    return re.findall(r"^  ([a-z][a-z0-9-]*) +(\S.*)$", top_help, re.M)


def Usages(text):
    """The usage lines of a command's help: `usage: X` and the indented continuation/alternative
    lines up to the first blank line, joined into one line per form (`incarne ...`)."""
    lines = text.splitlines()
    forms = []
    for i, line in enumerate(lines):
        if not line.startswith("usage:"):
            continue
        for cont in [line[len("usage:"):]] + lines[i + 1:]:
            if not cont.strip():
                break
            if cont.strip().startswith("incarne "):
                forms.append(cont.strip())
            elif forms:
                forms[-1] += " " + cont.strip()
        break
    return forms


def Roff(text):
    """Plain text as roff that prints it back verbatim (inside .nf): backslashes escaped,
    minus signs as \\- (so options copy-paste as ASCII), a leading . or ' neutralised."""
    out = []
    for line in text.rstrip("\n").splitlines():
        line = line.replace("\\", "\\e").replace("-", "\\-")
        if line.startswith((".", "'")):
            line = "\\&" + line
        out.append(line)
    return "\n".join(out)


def SynopsisLine(form):
    """`incarne run PLAN.toml [--set KEY=VALUE]` → bold program and command words, the rest
    as written."""
    words = form.split(" ")
    head = [w for w in words[:3] if re.fullmatch(r"[a-z][a-z0-9-]*", w)]
    # `incarne`, the command, and a lowercase sub-command (ammo compile, phantom run).
    rest = " ".join(words[len(head):])
    return ".B %s\n%s\n.br" % (Roff(" ".join(head)), Roff(rest)) if rest else \
        ".B %s\n.br" % Roff(" ".join(head))


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: %s INCARNE OUTPUT.h2m" % sys.argv[0])
    binary, output = sys.argv[1], sys.argv[2]
    commands = Commands(Help(binary))
    if not commands:
        raise SystemExit("%s: `incarne --help` lists no commands" % sys.argv[0])
    synopsis = []
    sections = []
    for name, summary in commands:
        text = Help(binary, name)
        forms = Usages(text)
        if not forms:
            print("%s: warning: `incarne %s --help` has no usage: line" % (sys.argv[0], name),
                  file=sys.stderr)
            forms = ["incarne " + name]
        synopsis += [SynopsisLine(f) for f in forms]
        sections.append(".SS %s\n%s\n.PP\n.nf\n%s\n.fi" % (Roff(name), Roff(summary), Roff(text)))
    synopsis.append(".B incarne\n\\-\\-version | \\-\\-help\n.br")
    with open(output, "w", encoding="utf-8") as f:
        f.write("[SYNOPSIS]\n%s\n\n" % "\n".join(synopsis))
        f.write("[COMMANDS]\n")
        f.write("Each command prints its own help with \\fBincarne\\fR \\fIcommand\\fR "
                "\\fB\\-\\-help\\fR; this is that text.\n")
        f.write("\n".join(sections) + "\n")


if __name__ == "__main__":
    main()
