#!/bin/bash
# `incarne run --tank load.yaml` (docs/tank.md): a Yandex.Tank config in the shape of Tank's
# docs example, against nginx on loopback. Checks: exit 0; phout.log in the run directory with
# one 12-field line per hit, as many as Tank's stepper plans (`incarne schedule` of the same
# schedule), capped by ammo_limit (exactly N: incarne does not copy Tank's N+1); the requests
# are HTTP/1.0 (Tank's header_http default); --set applies on top; bad YAML and an unknown
# phantom key exit 2 with file:line:column and leave no run directory.
#   tests/integration/tank_import.sh build/src/incarne
. "${INCARNE_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/integration/lib/http_common.sh" "$@"

nginx_start --v4 || skip "$NGINX_SKIP_REASON"
cd "$WORK" || fail "cd $WORK"
SCHEDULE='line(1, 200, 2s) const(200, 2s)'

tank_yaml() {  # FILE EXTRA-PHANTOM-LINES
  cat >"$1" <<EOT
overload:
  enabled: false
  package: yandextank.plugins.DataUploader
phantom:
  address: 127.0.0.1:$NGINX_PORT
  load_profile:
    load_type: rps
    schedule: $SCHEDULE
  instances: 100
  threads: 1
  headers:
    - "[Host: tank.example.com]"
    - "[Connection: keep-alive]"
  uris:
    - /
    - /1k.bin
  writelog: proto_warning
$2
console:
  enabled: true
EOT
}

# phout_check NAME EXPECTED-LINES: every line has 12 TAB-separated fields, all hits 200.
phout_check() {
  local phout="$WORK/$1/phout.log"
  [ -f "$phout" ] || fail "$1: no phout.log in the run directory"
  expect_eq "$(wc -l <"$phout")" "$2" "$1: phout lines"
  expect_eq "$(awk -F'\t' 'NF != 12' "$phout" | wc -l)" 0 "$1: phout lines without 12 fields"
  expect_eq "$(awk -F'\t' '$11 == 0 && $12 == 200' "$phout" | wc -l)" "$2" "$1: hits with net 0 and HTTP 200"
  expect_eq "$(hits_get "$1" hits)" "$2" "$1: hits in the run directory"
}

run_tank() {  # NAME YAML [ARGS...]
  local name=$1 yaml=$2 rc
  shift 2
  "$INCARNE" run --tank "$yaml" --out "$WORK/$name" "$@" >"$WORK/$name.log" 2>&1
  rc=$?
  if [ $rc -ne 0 ]; then
    tail -n 20 "$WORK/$name.log" >&2
    fail "incarne run --tank $yaml exited $rc"
  fi
}

planned=$("$INCARNE" schedule "$SCHEDULE" | wc -l)
expect_eq "$planned" 601 "shots Tank's stepper plans for $SCHEDULE"

# 1. The whole schedule (no ammo_limit): one hit per planned shot.
tank_yaml full.yaml ""
run_tank full full.yaml
phout_check full "$planned"
grep -q 'ignored sections (only phantom: and autostop: are imported): overload, console' "$WORK/full.log" ||
  fail "full: the ignored sections are not named"
grep -q '^http_version = "1.0"' "$WORK/full/plan.toml" || fail "full: plan.toml lacks http_version 1.0"
grep -q '^phout = true' "$WORK/full/plan.toml" || fail "full: plan.toml lacks phout = true"
# The requests as compiled into the run directory: Tank's HTTP/1.0 and the bracketed headers.
"$INCARNE" ammo dump "$WORK/full/ammo.ammo" --limit 1 >"$WORK/full.dump" 2>/dev/null
grep -q '^GET / HTTP/1.0' "$WORK/full.dump" || fail "full: the requests are not HTTP/1.0"
grep -q '^Host: tank.example.com' "$WORK/full.dump" || fail "full: the Host header is missing"

# 2. ammo_limit caps the shots (exactly N).
tank_yaml limited.yaml "  ammo_limit: 250"
run_tank limited limited.yaml
phout_check limited 250

# 3. --set applies on top of the converted plan.
run_tank set full.yaml --set 'load.schedule=const(20, 1s)'
phout_check set 20

# 3b. Tank's autostop: section becomes [autostop] criteria (docs/autostop.md); one that never
# fires changes nothing, and a bad one is refused with its file:line:column and position.
cat full.yaml >autostop.yaml
printf 'autostop:\n  autostop:\n    - http(5xx,10%%,5s)\n    - limit(1h)\n' >>autostop.yaml
run_tank autostop autostop.yaml --set 'load.schedule=const(20, 1s)'
phout_check autostop 20
grep -q '^criteria = \["http(5xx,10%,5s)", "limit(1h)"\]' "$WORK/autostop/plan.toml" ||
  fail "autostop: plan.toml lacks the criteria"
cat full.yaml >badstop.yaml
printf 'autostop:\n  autostop:\n    - quantile(95,100ms)\n' >>badstop.yaml
"$INCARNE" run --tank badstop.yaml --out "$WORK/badstop" >"$WORK/badstop.log" 2>&1
expect_eq "$?" 2 "bad autostop criterion: exit status"
line=$(grep -n 'quantile(95' badstop.yaml | cut -d: -f1)
grep -q "badstop.yaml:$line:7: autostop.autostop\[0\]: \"quantile(95,100ms)\" at 18: quantile takes" \
  "$WORK/badstop.log" || { cat "$WORK/badstop.log" >&2; fail "bad autostop criterion: no position"; }
[ ! -e "$WORK/badstop" ] || fail "bad autostop criterion: a run directory was left"

# 4. Bad input: exit 2, file:line:column, no run directory.
printf 'phantom:\n  address: [127.0.0.1\n  uris: [/]\n' >bad.yaml
"$INCARNE" run --tank bad.yaml --out "$WORK/bad" >"$WORK/bad.log" 2>&1
expect_eq "$?" 2 "bad YAML: exit status"
grep -Eq 'bad\.yaml:[0-9]+:[0-9]+: YAML syntax error' "$WORK/bad.log" ||
  { cat "$WORK/bad.log" >&2; fail "bad YAML: no file:line:column"; }
[ ! -e "$WORK/bad" ] || fail "bad YAML: a run directory was left"

tank_yaml unknown.yaml "  rps_schedul: const(1, 1s)"
"$INCARNE" run --tank unknown.yaml --out "$WORK/unknown" >"$WORK/unknown.log" 2>&1
expect_eq "$?" 2 "unknown phantom key: exit status"
line=$(grep -n 'rps_schedul' unknown.yaml | cut -d: -f1)
grep -q "unknown.yaml:$line:3: phantom: unknown key \"rps_schedul\"" "$WORK/unknown.log" ||
  { cat "$WORK/unknown.log" >&2; fail "unknown key: no file:line:column"; }
[ ! -e "$WORK/unknown" ] || fail "unknown key: a run directory was left"
echo PASS
