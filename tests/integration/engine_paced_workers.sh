#!/bin/bash
# workers.threads = 0 in the rps model takes no more workers than keep 5 shots per pacing
# quantum each (docs/engine.md "Workers"): 20,000/s with the default 250 µs quantum runs on
# one worker (a worker per 20,000/s), 60,000/s on every allowed CPU (up to 3), and
# load.pacing = "0" keeps one worker per CPU. The dummy nib: no network; 1 s per run.
#   tests/integration/engine_paced_workers.sh build/src/incarne
. "${INCARNE_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/integration/lib/http_common.sh" "$@"

cpus=$(nproc)
[ "$cpus" -ge 2 ] || skip "one allowed CPU: nothing to choose"
paced() {  # NAME RATE PACING → the workers of the run
  cat >"$WORK/$1.toml" <<EOT
[target]
nib = "dummy"

[load]
model = "rps"
schedule = "const($2, 1s)"
pacing = "$3"

[workers]
threads = 0
EOT
  run_plan "$1"
  sed -n 's/.* nib dummy, \([0-9]*\) workers.*/\1/p' "$WORK/$1/incarne.log"
}
expect_eq "$(paced low 20000 250us)" 1 "20,000/s: workers"
grep -q "workers: 1 of $cpus CPUs (workers.threads = 0" "$WORK/low/incarne.log" ||
  fail "low: incarne.log does not say why one worker"
high=$((cpus < 3 ? cpus : 3))
expect_eq "$(paced high 60000 250us)" "$high" "60,000/s: workers"
expect_eq "$(paced unpaced 1000 0)" "$cpus" "1,000/s with pacing 0: workers"
echo PASS
