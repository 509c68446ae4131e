#!/bin/bash
# find-max against a target of known capacity: `incarne sink --capacity 8 --service 2ms`
# serves at most 8 / 2 ms = 4,000 replies/s and queues the rest; the search must report
# 4,000 rps within 10 % and finish within its planned budget (docs/capacity.md).
#   tests/integration/capacity_find_max.sh build/src/incarne
. "${INCARNE_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/integration/lib/http_common.sh" "$@"

start_sink --capacity 8 --service 2ms
write_plan fm "$SINK_ADDR" "" find-max
cat >>"$WORK/fm.toml" <<EOT
[load.find_max]
start_rps = 500
max_rps = 20000
step_duration = "2s"
warmup = "1s"
factor = 2
precision = "5%"
slo = ["quantile(99,50ms)", "http(5xx,1%)", "net(xx,1%)"]
EOT
start=$(date +%s)
run_plan fm
elapsed=$(($(date +%s) - start))
read -r rps steps < <(python3 -c '
import json, sys
f = json.load(open(sys.argv[1]))["find_max"]
print(int(f["rps"]), len(f["steps"]))' "$WORK/fm/summary.json")
expect_ge "$rps" 3600 "find-max rps (capacity 4000)"
expect_le "$rps" 4400 "find-max rps (capacity 4000)"
grep -q "^find-max: $rps rps is the highest rate that met the SLO" "$WORK/fm.log" ||
  fail "the run does not say what it found: $(tail -n 3 "$WORK/fm.log")"
[ -s "$WORK/fm/find_max.csv" ] || fail "no find_max.csv"
[ -d "$WORK/fm/steps" ] || fail "no steps/"
# Budget: each step is warmup + step_duration (3 s); allow 2 s per step for setup and drain.
expect_le "$elapsed" $((steps * 5)) "find-max wall time (s) for $steps steps"
echo "ok: find-max found $rps rps in $steps steps, ${elapsed}s"
