#!/bin/bash
# Network failures become records and the run ends normally (exit 0):
#   nothing listening → every hit net_code 111 (ECONNREFUSED);
#   a listener that never answers → every hit 110 after target.timeout (one budget per hit).
#   tests/integration/http_errors.sh build/src/incarne
. "${INCARNE_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/integration/lib/http_common.sh" "$@"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

write_plan down "127.0.0.1:$(free_port)" "const(200, 1s)"
run_plan down
expect_eq "$(hits_get down hits)" 200 "down: hits"
expect_eq "$(hits_get down overall.net_codes.111)" 200 "down: net_code 111"

# A socket that listens (the kernel completes handshakes) but whose owner never reads or
# answers: every hit's whole budget runs out.
python3 - "$WORK/port" <<'PY' &
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(4096)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(60)
PY
SINK_PID=$!
for _ in $(seq 1 100); do
  [ -s "$WORK/port" ] && break
  sleep 0.05
done
PLAN_TIMEOUT=300ms PLAN_INSTANCES=100 write_plan stall "127.0.0.1:$(cat "$WORK/port")" "const(50, 1s)"
run_plan stall
expect_eq "$(hits_get stall hits)" 50 "stall: hits"
expect_eq "$(hits_get stall overall.net_codes.110)" 50 "stall: net_code 110"
expect_ge "$(hits_stat stall min service_us)" 300000 "stall: shortest interval_real (µs)"
expect_le "$(hits_stat stall max service_us)" 360000 "stall: longest interval_real (µs)"
echo PASS
