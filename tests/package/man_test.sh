#!/bin/bash
# incarne(1) as the build generates it (packaging/man: help2man + commands.py): it renders
# without warnings, has NAME/SYNOPSIS/DESCRIPTION/COMMANDS/EXIT STATUS, every form of every
# command's usage in the SYNOPSIS and a COMMANDS subsection per command of `incarne --help`.
#   tests/package/man_test.sh build/src/incarne
# Skips (77) when the build has no man page (-Dman=disabled, no help2man) or man is missing.
set -u
INCARNE=${1:?usage: $0 path/to/incarne}
BUILD=${INCARNE_BUILD_ROOT:-$(cd "$(dirname "$INCARNE")/.." && pwd)}
PAGE=$BUILD/packaging/man/incarne.1
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
[ -f "$PAGE" ] || { echo "SKIP: $PAGE was not built (help2man missing or -Dman=disabled)"; exit 77; }
command -v man >/dev/null || { echo "SKIP: man is not installed (man-db)"; exit 77; }
WORK=$(mktemp -d "${TMPDIR:-/tmp}/incarne-man.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

MANWIDTH=2000 LC_ALL=C.UTF-8 man --warnings -l "$PAGE" >"$WORK/man.txt" 2>"$WORK/man.err" ||
  fail "man -l $PAGE: $(cat "$WORK/man.err")"
[ -s "$WORK/man.err" ] && fail "man -l $PAGE warned: $(cat "$WORK/man.err")"
for s in NAME SYNOPSIS DESCRIPTION COMMANDS "EXIT STATUS" FILES "SEE ALSO"; do
  grep -qx "$s" "$WORK/man.txt" || fail "no section $s"
done
grep -q "^       incarne - io_uring hit-based load generator" "$WORK/man.txt" || fail "NAME line"
grep -q "^       incarne $(sed -n "s/^ *version: *'\([^']*\)',.*/\1/p" \
  "${INCARNE_SOURCE_ROOT:-.}/meson.build" | head -n 1)" "$WORK/man.txt" ||
  fail "DESCRIPTION does not start with incarne --help's first line (the version)"
# The SYNOPSIS and COMMANDS, as the page renders them (wide: one form per line).
sed -n '/^SYNOPSIS$/,/^DESCRIPTION$/p' "$WORK/man.txt" | sed 's/^ *//; s/  */ /g' >"$WORK/synopsis.txt"
commands=$("$INCARNE" --help | sed -n 's/^  \([a-z][a-z0-9-]*\)  .*/\1/p')
[ -n "$commands" ] || fail "incarne --help lists no commands"
n=0
for c in $commands; do
  grep -qx "   $c" "$WORK/man.txt" || fail "COMMANDS has no subsection '$c'"
  "$INCARNE" "$c" --help | sed -n '/^usage:/,/^$/p' | sed 's/^usage://; s/^ *//' |
    grep '^incarne ' | sed 's/  */ /g' | while IFS= read -r form; do
      grep -qF -- "$form" "$WORK/synopsis.txt" || fail "SYNOPSIS lacks the start of '$form'"
    done || exit 1
  n=$((n + 1))
done
echo "ok: incarne(1): $(wc -l <"$WORK/man.txt") lines, $n commands, each in SYNOPSIS and COMMANDS"
