#!/bin/bash
# The udp nib against `incarne sink --udp` (an echo server) on loopback, exact counts
# (docs/udp.md): every hit one datagram out and its echo back (net 0, proto 0,
# size_in = size_out); the sink's stall fault (datagrams dropped) → 110 after target.timeout,
# all of them or exactly the dropped share; a closed port → 111 (ICMP port unreachable).
#   tests/integration/udp_sink.sh build/src/incarne
. "${INCARNE_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/integration/lib/udp_common.sh" "$@"

write_lines_ammo "$WORK/lines.txt" 100

# Echo: 400 hits over 2 workers and 50 sockets.
start_sink --udp
write_net_plan echo "$SINK_ADDR" udp "$WORK/lines.txt" "const(400, 1s)"
run_plan echo
expect_eq "$(hits_get echo hits)" 400 "echo: hits"
expect_eq "$(hits_count echo 'net_code == 0 and proto_code == 0')" 400 "echo: replies (net 0, proto 0)"
expect_eq "$(hits_count echo 'size_in == size_out and size_out >= 6')" 400 \
  "echo: each reply is its own datagram (size_in = size_out)"
# 100 records "line-<i>" (6..7 bytes, +1 for the even ones' newline), four times over.
expect_eq "$(hits_stat echo sum size_out)" \
  "$(python3 -c 'print(4 * sum(len(b"line-%d" % i) + (i % 2 == 0) for i in range(100)))')" \
  "echo: bytes out"

# stall: the sink drops every datagram; the whole budget runs out for every hit.
PLAN_TIMEOUT=300ms
start_sink --udp --fault stall
write_net_plan stall "$SINK_ADDR" udp "$WORK/lines.txt" "const(50, 1s)"
run_plan stall
expect_eq "$(hits_get stall overall.net_codes.110)" 50 "stall: net_code 110"
expect_ge "$(hits_stat stall min service_us)" 300000 "stall: shortest interval_real (µs)"

# Half the datagrams dropped (evenly spread by the sink): exactly half the hits time out, and
# no reply is taken for another hit's (a timed-out hit's socket is replaced).
start_sink --udp --fault stall --fault-share 0.5
write_net_plan half "$SINK_ADDR" udp "$WORK/lines.txt" "const(100, 1s)"
run_plan half
expect_eq "$(hits_get half hits)" 100 "half: hits"
expect_eq "$(hits_get half overall.net_codes.110)" 50 "half: net_code 110"
expect_eq "$(hits_count half 'net_code == 0 and size_in == size_out')" 50 "half: echoed"
stop_sink

# Nothing bound at the port: the kernel's ICMP port unreachable fails each hit with 111.
PORT=$(free_port udp)
PLAN_TIMEOUT=2s
write_net_plan closed "127.0.0.1:$PORT" udp "$WORK/lines.txt" "const(20, 1s)"
run_plan closed
expect_eq "$(hits_get closed overall.net_codes.111)" 20 "closed: net_code 111"
echo "ok: udp nib against incarne sink --udp"
