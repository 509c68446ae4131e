#!/bin/bash
# `incarne run URL ... --print-plan` (docs/cli.md "One-line runs"): for every
# tests/data/oneline/NAME.args (one argument per line; @DATA@ = that folder, @WORK@ = a temp
# dir) the printed plan equals NAME.toml (the version in its first line written VERSION),
# `incarne check` accepts it, and the ammo file it names (--ammo-out) equals NAME.ammo when
# that exists. Then the refused command lines: exit 2, a message naming the flag or URL, and
# nothing written (no run directory, no ammo file).
#   tests/integration/oneline_plans.sh build/src/incarne
. "${INCARNE_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/integration/lib/http_common.sh" "$@"

DATA="$ROOT/tests/data/oneline"
VERSION=$("$INCARNE" --version | awk '{ print $NF }')
cd "$WORK" || fail "cd $WORK"
n=0
for args_file in "$DATA"/*.args; do
  name=$(basename "$args_file" .args)
  rm -f "$WORK/ammo.txt"
  args=()
  while IFS= read -r line; do
    line=${line//@DATA@/$DATA}
    args+=("${line//@WORK@/$WORK}")
  done <"$args_file"
  if ! "$INCARNE" run "${args[@]}" --print-plan >"$WORK/$name.out" 2>"$WORK/$name.err"; then
    cat "$WORK/$name.err" >&2
    fail "$name: incarne run ${args[*]} --print-plan failed"
  fi
  # The version and the temp dir are not known when the golden file is written.
  sed -e "1s/^# incarne $VERSION /# incarne VERSION /" -e "s|$WORK|@WORK@|g" -e "s|$DATA|@DATA@|g" \
    "$WORK/$name.out" >"$WORK/$name.toml"
  if ! diff -u "$DATA/$name.toml" "$WORK/$name.toml" >&2; then
    fail "$name: --print-plan differs from tests/data/oneline/$name.toml"
  fi
  "$INCARNE" check "$WORK/$name.out" >/dev/null 2>"$WORK/$name.check" ||
    fail "$name: incarne check refuses the printed plan: $(cat "$WORK/$name.check")"
  if [ -f "$DATA/$name.ammo" ]; then
    cmp "$DATA/$name.ammo" "$WORK/ammo.txt" ||
      fail "$name: --ammo-out differs from tests/data/oneline/$name.ammo"
    "$INCARNE" ammo compile "$WORK/ammo.txt" -o "$WORK/ammo.ammo" >/dev/null 2>&1 ||
      fail "$name: the ammo file does not compile"
  fi
  echo "ok: $name"
  n=$((n + 1))
done
expect_ge "$n" 15 "golden plans checked"

# refused ARGS... -- SAYS: exit 2, stderr contains SAYS, nothing created in an empty folder.
refused() {
  local args=() says rc
  while [ "$1" != "--" ]; do
    args+=("$1")
    shift
  done
  says=$2
  rm -rf "$WORK/empty"
  mkdir "$WORK/empty"
  (cd "$WORK/empty" && "$INCARNE" run "${args[@]}" >"$WORK/refused.out" 2>"$WORK/refused.err" \
    </dev/null)
  rc=$?
  [ $rc -eq 2 ] || fail "incarne run ${args[*]}: exit $rc, expected 2 ($(cat "$WORK/refused.err"))"
  grep -qF -- "$says" "$WORK/refused.err" ||
    fail "incarne run ${args[*]}: stderr does not say '$says': $(cat "$WORK/refused.err")"
  [ -z "$(ls -A "$WORK/empty")" ] || fail "incarne run ${args[*]}: wrote $(ls -A "$WORK/empty")"
  echo "ok: refused ${args[*]}"
}
U=http://127.0.0.1:9/
refused http:///x -r 1 -- 'URL "http:///x": expected a host'
refused http://:80/ -r 1 -- 'expected a host'
refused ftp://127.0.0.1/ -r 1 -- "unknown scheme 'ftp'"
refused "$U" -r 10 -c 10 -- '-r/--rate and -c/--connections'
refused "$U" --body "$DATA/body.json" -r 1 -- '--body: a body needs a method'
refused "$U" -r 10 --schedule 'const(1, 1s)' -- '--schedule and -r/--rate'
refused "$U" -c 10 --schedule 'const(1, 1s)' -- '--schedule and -c/--connections'
refused "$U" -d 5s --schedule 'const(1, 1s)' -- '--schedule and -d/--duration'
refused "$U" --schedule 'const(1, 1x)' -- '--schedule "const(1, 1x)"'
refused "$U" -r ten -- '-r/--rate "ten"'
refused "$U" -c 0 -- '-c/--connections "0"'
refused "$U" -r 1 -d 0s -- '-d/--duration "0s"'
refused "$U" -r 1 --timeout 2h -- '--timeout "2h"'
refused "$U" -r 1 -t 999 -- '-t/--threads "999"'
refused "$U" -r 1 -H 'NoColon' -- "-H \"NoColon\": expected 'Name: value'"
refused "$U" -r 1 -H $'X-A: \xff' -- 'the value is not UTF-8'
refused $'http://127.0.0.1:9/caf\xc3\xa9' -r 1 -- 'non-ASCII bytes are not allowed'
refused "$U" -r 1 -m 'GE T' -- '-m/--method "GE T"'
refused "$U" -r 1 --https-insecure -- '--https-insecure: only for https://'
refused "$U" http://127.0.0.1:10/ -r 1 -- 'URL "http://127.0.0.1:10/": not the target of the first URL'
refused "$U" https://127.0.0.1:9/ -r 1 -- 'not the target of the first URL'
refused http://::1:80/ -r 1 -- 'an IPv6 address goes in brackets'
refused 'http://[::g]:80/' -r 1 -- 'is not an IPv6 address'
refused http://127.0.0.1:99999/ -r 1 -- "port '99999'"
refused http://user@127.0.0.1/ -r 1 -- 'user info'
refused udp://127.0.0.1/ -r 1 --body "$DATA/body.json" -- 'udp:// has no default port'
refused udp://127.0.0.1:53 -r 1 -- '--body: udp:// needs the datagram'
refused "$U" -r 1 -m POST --body "$WORK/missing.json" -- '--body: '
refused "$U" -r 1 -m POST --body "$DATA/body.json" --print-plan -- '--print-plan: these requests'
refused "$U" -r 1 --set load.bogus=1 -- 'load.bogus'
refused "$U" -r 1 -m POST --body "$DATA/body.json" --ammo-out ammo.txt --set load.bogus=1 -- 'load.bogus'
refused "$U" -r 1 --tank x.yaml -- '--tank LOAD.yaml and URLs'
refused "$DATA/rate.args" -r 1 -- '--rate: only with URLs'
refused "$U" -r 1 --bogus -- '--bogus'
echo "PASS"
