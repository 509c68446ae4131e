#!/bin/bash
# results.answ writes answ.log (phantom's logger_default_t format, docs/results.md) with an
# entry for exactly the hits its level selects:
#   nginx, "/" (200) and "/missing" (404) alternating: warnings → the 404s only, each with
#   its request and nginx's 404 reply; errors → none; all → every hit; none → no answ.log;
#   the sink's garbage fault on half the requests: errors → exactly the net_code 71 hits.
#   tests/integration/answ_log.sh build/src/incarne
. "${INCARNE_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/integration/lib/http_common.sh" "$@"
LOGS="$ROOT/tests/integration/lib/phantom_logs.py"

nginx_start --v4 || skip "$NGINX_SKIP_REASON"
export PLAN_AMMO='uris = ["/", "/missing"]' PLAN_THREADS=1 PLAN_INSTANCES=50

answ_run() {  # NAME LEVEL
  write_plan "$1" "127.0.0.1:$NGINX_PORT" "const(100, 1s)"
  printf '\n[results]\nansw = "%s"\n' "$2" >>"$WORK/$1.toml"
  run_plan "$1"
  expect_eq "$(hits_get "$1" hits)" 100 "$1: hits"
  expect_eq "$(hits_get "$1" overall.proto_codes.404)" 50 "$1: 404 replies"
}

answ_run warnings warnings
read -r entries errors < <(python3 "$LOGS" answ "$WORK/warnings/answ.log" \
    --expect-request "GET /missing HTTP/1.1" --expect-reply "HTTP/1.1 404 Not Found") ||
  fail "warnings: answ.log is malformed"
expect_eq "$entries" 50 "warnings: answ entries (= the 404 hits)"
expect_eq "$errors" 0 "warnings: answ entries with net_code != 0"
grep -q "answ: 50 entries written, 0 lost" "$WORK/warnings/incarne.log" ||
  fail "warnings: incarne.log does not report the answ entries"

answ_run errors errors
[ -f "$WORK/errors/answ.log" ] || fail "errors: no answ.log"
expect_eq "$(stat -c %s "$WORK/errors/answ.log")" 0 "errors: answ.log bytes (no failing hit)"

answ_run all all
read -r entries errors < <(python3 "$LOGS" answ "$WORK/all/answ.log" --expect-reply "HTTP/1.1 ") ||
  fail "all: answ.log is malformed"
expect_eq "$entries" 100 "all: answ entries"

answ_run none none
[ ! -e "$WORK/none/answ.log" ] || fail "none: answ.log written"
echo "ok: none: no answ.log"

# Transport errors: garbage replies on half the requests → net_code 71.
start_sink --fault garbage --fault-share 0.5
PLAN_AMMO='uris = ["/"]' write_plan garbage "$SINK_ADDR" "const(100, 1s)"
printf '\n[results]\nansw = "errors"\n' >>"$WORK/garbage.toml"
run_plan garbage
n71=$(hits_get garbage overall.net_codes.71)
expect_ge "$n71" 1 "garbage: net_code 71 hits"
read -r entries errors < <(python3 "$LOGS" answ "$WORK/garbage/answ.log" --expect-request "GET / HTTP/1.1") ||
  fail "garbage: answ.log is malformed"
expect_eq "$entries" "$n71" "garbage: answ entries (= the net_code 71 hits)"
expect_eq "$errors" "$n71" "garbage: answ entries with net_code != 0"
echo PASS
