#!/bin/sh
# packaging/systemd: `systemd-analyze verify` of incarne.service and incarne.path is clean, and
# `systemd-analyze security --offline=true` rates the service at most 2.0 (docs/daemon.md §7).
# The units name /usr/bin/incarne; verify runs on copies that name the built binary instead,
# with --man=no (the man page comes with the Debian package).
#   tests/integration/daemon_units.sh build/src/incarne
set -eu
incarne=$(realpath "$1")
src=${INCARNE_SOURCE_ROOT:-$(dirname "$0")/../..}
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "SKIP: systemd-analyze is not installed"
  exit 77
fi
d=$(mktemp -d /tmp/incarne-units-XXXXXX)
trap 'rm -rf "$d"' EXIT
for u in incarne.service incarne.path; do
  sed "s|/usr/bin/incarne|$incarne|g" "$src/packaging/systemd/$u" > "$d/$u"
done
out=$(cd "$d" && systemd-analyze verify --man=no ./incarne.service ./incarne.path 2>&1) || {
  echo "FAIL: systemd-analyze verify failed:"; echo "$out"; exit 1; }
if [ -n "$out" ]; then
  echo "FAIL: systemd-analyze verify is not clean:"; echo "$out"; exit 1
fi
echo "ok: systemd-analyze verify incarne.service incarne.path: clean"
score=$(systemd-analyze security --offline=true "$src/packaging/systemd/incarne.service" 2>&1 |
  sed -n 's/.*Overall exposure level for incarne.service: \([0-9.]*\).*/\1/p')
if [ -z "$score" ]; then
  echo "FAIL: no exposure score from systemd-analyze security --offline=true"; exit 1
fi
if ! awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
  echo "FAIL: exposure $score > 2.0"; exit 1
fi
echo "ok: systemd-analyze security --offline=true: exposure $score (<= 2.0)"
# The tmpfiles and sysusers lines parse (systemd-tmpfiles/sysusers --dry-run where present).
if command -v systemd-sysusers >/dev/null 2>&1; then
  mkdir -p "$d/root"
  systemd-sysusers --root="$d/root" --dry-run "$src/packaging/systemd/incarne.sysusers" \
    >/dev/null 2>"$d/sysusers.err" || { cat "$d/sysusers.err"; echo "FAIL: sysusers"; exit 1; }
  echo "ok: incarne.sysusers parses"
fi
echo "daemon_units: all checks passed"
