#!/bin/bash
# Autostop (docs/autostop.md) against the built-in sink's faults, on loopback:
#  - http(5xx,10%,3s) with a sink that answers 503 from 5 s into the run: seconds 5, 6, 7
#    breach, second 7 is judged at 8.25 s, so the run stops between 8 and 9 s; exit 3; the
#    criterion in summary.json, autostop_report.txt, `incarne report` (text and --json),
#    incarne.log and the live line;
#  - quantile(95,100ms,2s) with replies 300 ms late from 2 s, net(xx,10%,2s) with resets from
#    2 s: exit 3, stopped early, the criterion named;
#  - criteria that never fire change nothing (exit 0, every shot fired, no "autostop");
#  - bad criteria syntax: exit 2, file:line:column and the position in the criterion, no run
#    directory.
#   tests/integration/autostop.sh build/src/incarne
. "${INCARNE_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/integration/lib/http_common.sh" "$@"

export PLAN_INSTANCES=200 PLAN_TIMEOUT=2s

with_autostop() {  # NAME CRITERIA-TOML-ARRAY
  cat >>"$WORK/$1.toml" <<EOT

[autostop]
criteria = $2
EOT
}

# run_stopped NAME: runs the plan; fails unless incarne exits 3.
run_stopped() {
  local name=$1 rc
  "$INCARNE" run "$WORK/$name.toml" --out "$WORK/$name" >"$WORK/$name.log" 2>&1
  rc=$?
  if [ $rc -ne 3 ]; then
    tail -n 20 "$WORK/$name.log" >&2
    fail "incarne run $name exited $rc, expected 3 (autostop)"
  fi
  echo "ok: $name: exit 3"
}

summary() {  # NAME KEY.PATH — a value of RUN_DIR/summary.json
  python3 - "$WORK/$1/summary.json" "$2" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print("" if v is None else v)
PY
}

# 1. http: 503 from 5 s on (counted from the sink's first request, i.e. the run's start).
start_sink --fault 503 --fault-after 5s
write_plan http "$SINK_ADDR" "const(100, 20s)"
with_autostop http '["http(5xx,10%,3s)"]'
run_stopped http
expect_eq "$(summary http autostop.criterion)" "http(5xx,10%,3s)" "http: summary.json criterion"
expect_eq "$(summary http autostop.second)" 7 "http: second that fired"
expect_eq "$(summary http autostop.since)" 5 "http: first breaching second"
expect_eq "$(summary http autostop.figures.seconds)" 3 "http: seconds in a row"
# The run stopped between 8 and 9 s: nothing completed after 9 s, and about 8.x s of shots.
expect_ge "$(summary http duration_s)" 8 "http: run length (s)"
expect_le "$(summary http duration_s)" 9 "http: run length (s)"
expect_ge "$(summary http sent)" 800 "http: shots fired"
expect_le "$(summary http sent)" 900 "http: shots fired"
expect_ge "$(hits_get http overall.proto_codes.503)" 250 "http: 503 replies"
expect_eq "$(head -n 1 "$WORK/http/autostop_report.txt")" "http(5xx,10%,3s)" \
  "http: autostop_report.txt"
"$INCARNE" report "$WORK/http" >"$WORK/http.report" || fail "http: incarne report failed"
grep -q '^AUTOSTOP *http(5xx,10%,3s) fired at second 7: 5xx codes count higher than 10% for 3s' \
  "$WORK/http.report" || { cat "$WORK/http.report" >&2; fail "http: report lacks the reason"; }
expect_eq "$(python3 "$ROOT/tests/integration/lib/hits.py" get "$INCARNE" "$WORK/http" \
  autostop.criterion)" "http(5xx,10%,3s)" "http: report --json criterion"
grep -q 'autostop: http(5xx,10%,3s) at second 7' "$WORK/http/incarne.log" ||
  fail "http: incarne.log does not say why it stopped"
grep -q 'AUTOSTOP http(5xx,10%,3s)' "$WORK/http.log" || fail "http: no AUTOSTOP on the live line"
grep -q 'incarne: autostop: http(5xx,10%,3s) fired at second 7' "$WORK/http.log" ||
  fail "http: the run's last words do not name the criterion"

# 2. quantile: replies 300 ms late from 2 s on; stops long before the 20 s planned.
start_sink --fault slow=300ms --fault-after 2s
write_plan quantile "$SINK_ADDR" "const(100, 20s)"
with_autostop quantile '["http(5xx,1%,1s)", "quantile(95,100ms,2s)"]'
run_stopped quantile
expect_eq "$(summary quantile autostop.criterion)" "quantile(95,100ms,2s)" "quantile: criterion"
expect_ge "$(summary quantile autostop.second)" 3 "quantile: second that fired"
expect_le "$(summary quantile autostop.second)" 4 "quantile: second that fired"
expect_ge "$(summary quantile autostop.figures.value_ms)" 290 "quantile: p95 (ms)"
expect_le "$(summary quantile duration_s)" 7 "quantile: run length (s)"

# 3. net: every request reset from 2 s on (104, also on the silent retry).
start_sink --fault reset --fault-after 2s
write_plan net "$SINK_ADDR" "const(100, 20s)"
with_autostop net '["net(xx,10%,2s)"]'
run_stopped net
expect_eq "$(summary net autostop.criterion)" "net(xx,10%,2s)" "net: criterion"
expect_ge "$(summary net autostop.second)" 3 "net: second that fired"
expect_le "$(summary net autostop.second)" 4 "net: second that fired"
expect_ge "$(hits_get net overall.net_codes.104)" 100 "net: resets"
expect_le "$(summary net duration_s)" 7 "net: run length (s)"

# 4. Criteria that never fire change nothing.
start_sink
write_plan calm "$SINK_ADDR" "const(100, 3s)"
with_autostop calm '["http(5xx,10%,1s)", "net(xx,1,1s)", "quantile(99,5s,1s)", "time(5s,1s)",
  "total_http(5xx,1%,2s)", "negative_http(2xx,50%,2s)", "instances(100%,2s)", "limit(1h)",
  "total_time(5s,10%,2s)", "http_trend(5xx,2s)"]'
run_plan calm
expect_eq "$(hits_get calm hits)" 300 "calm: hits"
expect_eq "$(hits_get calm overall.proto_codes.200)" 300 "calm: replies 200"
expect_eq "$(summary calm autostop)" "" "calm: no autostop in summary.json"
[ ! -e "$WORK/calm/autostop_report.txt" ] || fail "calm: an autostop_report.txt was written"

# 5. Bad syntax: exit 2 with the file:line:column and the position in the criterion.
write_plan bad "$SINK_ADDR" "const(100, 3s)"
with_autostop bad '["http(5xx,10%,3s)", "http(5xx,10%,3q)"]'
"$INCARNE" run "$WORK/bad.toml" --out "$WORK/bad" >"$WORK/bad.log" 2>&1
expect_eq "$?" 2 "bad: exit status"
grep -q 'bad.toml:[0-9]*:[0-9]*: autostop.criteria\[1\]: "http(5xx,10%,3q)" at 15: String contains unsupported unit q: 3q' \
  "$WORK/bad.log" || { cat "$WORK/bad.log" >&2; fail "bad: the error does not name the position"; }
[ ! -e "$WORK/bad" ] || fail "bad: a run directory was left"
"$INCARNE" check "$WORK/bad.toml" >/dev/null 2>"$WORK/bad.check"
expect_eq "$?" 2 "bad: incarne check exit status"
echo PASS
