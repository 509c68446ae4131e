#!/bin/bash
# Every fault of the built-in sink gives the documented net/proto code while the run goes on
# (docs/http.md): reset → 104, close-mid → 71, garbage → 71, stall → 110 after the timeout
# (interval_real ≈ timeout), slow=100ms → 200 but late; a share of faults mixes with 200s;
# and the sink's UDP mode echoes datagrams (and drops them with stall).
#   tests/integration/http_sink_faults.sh build/src/incarne
. "${INCARNE_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/integration/lib/http_common.sh" "$@"

export PLAN_INSTANCES=100 PLAN_TIMEOUT=2s

# Without a fault: all 200 (the baseline the faults are compared with).
start_sink
write_plan clean "$SINK_ADDR" "const(200, 1s)"
run_plan clean
expect_eq "$(hits_get clean overall.proto_codes.200)" 200 "clean: replies 200"

fault_run() {  # NAME FAULT NET_CODE
  local name=$1 fault=$2 code=$3
  start_sink --fault "$fault"
  write_plan "$name" "$SINK_ADDR" "const(100, 1s)"
  run_plan "$name"
  expect_eq "$(hits_get "$name" hits)" 100 "$name: hits"
  expect_eq "$(hits_get "$name" "overall.net_codes.$code")" 100 "$name: net_code $code"
}
fault_run reset reset 104
fault_run closemid close-mid 71
fault_run garbage garbage 71

# stall: the whole budget (target.timeout) runs out for every hit.
PLAN_TIMEOUT=300ms
start_sink --fault stall
write_plan stall "$SINK_ADDR" "const(50, 1s)"
run_plan stall
expect_eq "$(hits_get stall overall.net_codes.110)" 50 "stall: net_code 110"
expect_ge "$(hits_stat stall min service_us)" 300000 "stall: shortest interval_real (µs)"
expect_le "$(hits_stat stall max service_us)" 360000 "stall: longest interval_real (µs)"
PLAN_TIMEOUT=2s

# slow=100ms: fine replies, each at least 100 ms after its request.
start_sink --fault slow=100ms
write_plan slow "$SINK_ADDR" "const(50, 1s)"
run_plan slow
expect_eq "$(hits_get slow overall.proto_codes.200)" 50 "slow: replies 200"
expect_ge "$(hits_stat slow min service_us)" 100000 "slow: shortest interval_real (µs)"

# A quarter of the requests reset. A reset before any reply byte on a kept-alive (or
# preconnected) connection is retried once on a new connection (phantom), and the retry is
# the sink's next request, usually not a faulty one: so the hits mostly end 200 with the
# "retried" flag (4), and nothing is lost.
start_sink --fault reset --fault-share 0.25
write_plan share "$SINK_ADDR" "const(200, 1s)"
run_plan share
expect_eq "$(hits_get share hits)" 200 "share: hits"
ok=$(hits_get share overall.proto_codes.200)
rst=$(hits_get share overall.net_codes.104)
expect_eq "$((ok + rst))" 200 "share: replies 200 + resets"
expect_ge "$(hits_count share 'flags & 4')" 20 "share: retried hits"
expect_ge "$ok" 150 "share: replies 200"

# Faulty connections: with --fault-per connection every request on a picked connection
# stalls. One instance, `Connection: close`: each hit has a connection of its own, and
# every second connection is a faulty one.
start_sink --fault stall --fault-per connection --fault-share 0.5
PLAN_TIMEOUT=200ms PLAN_INSTANCES=1 PLAN_THREADS=1 PLAN_LIMIT=10 \
  PLAN_HEADERS='["Host: test", "Connection: close"]' \
  write_plan perconn "$SINK_ADDR" "const(1, 10s)" instances
run_plan perconn
expect_eq "$(hits_get perconn hits)" 10 "perconn: hits"
expect_eq "$(hits_get perconn overall.net_codes.110)" 5 "perconn: stalled hits"
expect_eq "$(hits_get perconn overall.proto_codes.200)" 5 "perconn: good hits"

# UDP echo, and stall = drop.
start_sink --udp
python3 - "$SINK_ADDR" <<'PY' || fail "udp: no echo"
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
for i in range(5):
    s.sendto(b"ping %d" % i, (host, int(port)))
    data, _ = s.recvfrom(100)
    assert data == b"ping %d" % i, data
print("ok: udp echo")
PY
start_sink --udp --fault stall
python3 - "$SINK_ADDR" <<'PY' || fail "udp stall: a datagram came back"
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.3)
s.sendto(b"ping", (host, int(port)))
try:
    s.recvfrom(100)
    sys.exit(1)
except socket.timeout:
    print("ok: udp stall drops")
PY
"$INCARNE" sink --listen 127.0.0.1:0 --udp --fault reset >/dev/null 2>&1
expect_eq "$?" 2 "udp with a TCP-only fault: exit code"
"$INCARNE" sink --listen 127.0.0.1:0 --fault bogus >/dev/null 2>&1
expect_eq "$?" 2 "unknown fault: exit code"
echo PASS
