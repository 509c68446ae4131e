#!/bin/sh
# scripts/build applies MESON_ARGS to an existing build directory whose options differ, so the
# README's order — scripts/quickstart (a plain build) then scripts/test (developer_mode) —
# tests the sanitized build. Runs the repository's scripts/build on a tiny meson project with a
# developer_mode option in a temporary folder (no compiler involved).
#   tests/integration/scripts_build.sh [incarne binary, unused]
set -eu
ROOT=${INCARNE_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/scripts"
cp "$ROOT/scripts/build" "$WORK/scripts/build"
cat >"$WORK/meson.build" <<'MESON'
project('scripts-build-test', meson_version: '>= 1.0.0')
MESON
cat >"$WORK/meson_options.txt" <<'MESON'
option('developer_mode', type: 'boolean', value: false, description: 'as in incarne')
MESON

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
developer_mode() {
  meson introspect "$WORK/build" --buildoptions | python3 -c '
import json, sys
print([o["value"] for o in json.load(sys.stdin) if o["name"] == "developer_mode"][0])'
}

# quickstart: a plain build
"$WORK/scripts/build" >"$WORK/out1" 2>&1 || { cat "$WORK/out1"; fail "plain build"; }
[ "$(developer_mode)" = False ] || fail "a plain build has developer_mode $(developer_mode)"

# scripts/test on the same directory: reconfigured
MESON_ARGS="-Ddeveloper_mode=true" "$WORK/scripts/build" >"$WORK/out2" 2>&1 ||
  { cat "$WORK/out2"; fail "developer build"; }
[ "$(developer_mode)" = True ] ||
  { cat "$WORK/out2"; fail "-Ddeveloper_mode=true left developer_mode $(developer_mode)"; }
grep -q "configured with other values of: developer_mode; reconfiguring" "$WORK/out2" ||
  { cat "$WORK/out2"; fail "the reconfiguration was not announced"; }

# the same arguments again: nothing to reconfigure
MESON_ARGS="-Ddeveloper_mode=true" "$WORK/scripts/build" >"$WORK/out3" 2>&1 ||
  { cat "$WORK/out3"; fail "second developer build"; }
if grep -q reconfiguring "$WORK/out3"; then
  cat "$WORK/out3"
  fail "reconfigured although the options were the same"
fi

# a plain build afterwards keeps the directory as it is
"$WORK/scripts/build" >"$WORK/out4" 2>&1 || { cat "$WORK/out4"; fail "plain rebuild"; }
[ "$(developer_mode)" = True ] || fail "a plain rebuild changed developer_mode"
echo "ok: plain build, then MESON_ARGS=-Ddeveloper_mode=true reconfigures it, once"
