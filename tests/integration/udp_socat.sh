#!/bin/bash
# The udp nib against socat on loopback, exact counts (docs/udp.md): socat as an echo server
# (UDP4-RECVFROM with fork: every datagram goes back to its sender through `cat`) → every
# hit net 0 with its own datagram back; socat that only receives (never answers) → 110.
#   tests/integration/udp_socat.sh build/src/incarne
. "${INCARNE_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/integration/lib/udp_common.sh" "$@"
command -v socat >/dev/null || skip "socat is not installed (scripts/install-deps)"

write_lines_ammo "$WORK/lines.txt" 50

# Echo. socat forks a child (and a cat) per datagram: keep the rate modest.
PORT=$(free_port udp)
start_bg socat-echo socat -T 2 "UDP4-RECVFROM:$PORT,bind=127.0.0.1,fork" EXEC:cat
wait_listening udp "$PORT"
PLAN_INSTANCES=20 write_net_plan echo "127.0.0.1:$PORT" udp "$WORK/lines.txt" "const(100, 1s)"
run_plan echo
expect_eq "$(hits_get echo hits)" 100 "echo: hits"
expect_eq "$(hits_count echo 'net_code == 0 and proto_code == 0')" 100 "echo: replies"
expect_eq "$(hits_count echo 'size_in == size_out')" 100 "echo: each reply is its own datagram"

# A receiver that never answers: every hit ends 110 after target.timeout.
PORT=$(free_port udp)
start_bg socat-sink socat -u "UDP4-RECV:$PORT,bind=127.0.0.1" OPEN:/dev/null
wait_listening udp "$PORT"
PLAN_TIMEOUT=250ms write_net_plan silent "127.0.0.1:$PORT" udp "$WORK/lines.txt" "const(40, 1s)"
run_plan silent
expect_eq "$(hits_get silent hits)" 40 "silent: hits"
expect_eq "$(hits_get silent overall.net_codes.110)" 40 "silent: net_code 110"
expect_ge "$(hits_stat silent min service_us)" 250000 "silent: shortest interval_real (µs)"
echo "ok: udp nib against socat"
