#!/bin/bash
# The usl model against a target that follows the law: `incarne sink --usl-sigma 0.05
# --usl-kappa 0.002 --service 10ms` gives N clients X(N) = 100·N / (1 + 0.05(N−1) +
# 0.002N(N−1)), peak N* = √(0.95/0.002) ≈ 21.8. The fit must recover σ and κ within 20 % and
# N* within 15 %, stop once throughput fell for 2 levels, and `incarne usl RUN_DIR` must refit
# the run to the same numbers (docs/capacity.md).
#   tests/integration/capacity_usl.sh build/src/incarne
. "${INCARNE_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/integration/lib/http_common.sh" "$@"

start_sink --usl-sigma 0.05 --usl-kappa 0.002 --service 10ms
write_plan usl "$SINK_ADDR" "" usl
cat >>"$WORK/usl.toml" <<EOT
[load.usl]
instances = "1,2,4,8,16,24,32,48,64"
step_duration = "2s"
warmup = "1s"
EOT
start=$(date +%s)
run_plan usl
elapsed=$(($(date +%s) - start))
expect_le "$elapsed" 35 "usl wall time (s), 9 levels of 3 s planned"
grep -q "stopped early: throughput fell for 2 levels" "$WORK/usl.log" ||
  fail "the run did not stop when throughput fell: $(grep -i usl "$WORK/usl.log" | tail -n 3)"
[ -s "$WORK/usl/usl.csv" ] || fail "no usl.csv"
check() {  # JSON_FILE WHAT
  python3 - "$1" "$2" <<'PY' || fail "$2: the fit is off"
import json, math, sys
text = json.load(open(sys.argv[1]))
u = text["usl"] if "usl" in text else text
n_star = math.sqrt(0.95 / 0.002)
print(sys.argv[2], "sigma", u["sigma"], "kappa", u["kappa"], "n_max", u["n_max"])
ok = (abs(u["sigma"] - 0.05) <= 0.2 * 0.05 and abs(u["kappa"] - 0.002) <= 0.2 * 0.002
      and u["n_max"] is not None and abs(u["n_max"] - n_star) <= 0.15 * n_star)
sys.exit(0 if ok else 1)
PY
}
check "$WORK/usl/summary.json" "run summary.json"
"$INCARNE" usl "$WORK/usl" --json >"$WORK/refit.json" || fail "incarne usl RUN_DIR failed"
check "$WORK/refit.json" "incarne usl RUN_DIR"
"$INCARNE" usl "$WORK/usl" | grep -q "peak: N\* = " || fail "incarne usl: no peak in the text"
echo "ok: usl fit recovered the law in ${elapsed}s"
