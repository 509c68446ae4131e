#!/bin/bash
# One request per connection (target.http.max_requests_per_connection = 1) against nginx on
# loopback: the last request on a connection says "Connection: close", so nginx closes first
# and the TIME_WAIT sockets are on its side (local port = nginx's), not on incarne's — a
# client that closes first hunts for free ports through its own TIME_WAITs (docs/http.md).
# With announce_close = false the request goes as written and incarne closes first.
#   tests/integration/http_close_first.sh build/src/incarne
. "${INCARNE_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/integration/lib/http_common.sh" "$@"

command -v ss >/dev/null || skip "ss (iproute2) is missing"
nginx_start --v4 || skip "$NGINX_SKIP_REASON"
export PLAN_INSTANCES=10 PLAN_THREADS=1 PLAN_LIMIT=200

time_wait() {  # sport|dport → TIME_WAIT sockets with that port = nginx's
  ss -Htan state time-wait "( $1 = :$NGINX_PORT )" | wc -l
}

server0=$(time_wait sport)
client0=$(time_wait dport)
write_plan first "127.0.0.1:$NGINX_PORT" "const(10, 20s)" instances
printf '[target.http]\nmax_requests_per_connection = 1\n' >>"$WORK/first.toml"
run_plan first
expect_eq "$(hits_get first overall.proto_codes.200)" 200 "first: replies 200"
expect_eq "$(hits_count first 'flags & 1')" 0 "first: hits on reused connections"
server1=$(time_wait sport)
client1=$(time_wait dport)
expect_ge $((server1 - server0)) 190 "first: TIME_WAITs on nginx's side"
expect_le $((client1 - client0)) 5 "first: TIME_WAITs on incarne's side"

write_plan client "127.0.0.1:$NGINX_PORT" "const(10, 20s)" instances
printf '[target.http]\nmax_requests_per_connection = 1\nannounce_close = false\n' \
  >>"$WORK/client.toml"
run_plan client
expect_eq "$(hits_get client overall.proto_codes.200)" 200 "client: replies 200"
# The header was on the wire: 19 bytes ("Connection: close\r\n") more on every hit.
size=$(hits_stat client max size_out)
expect_eq "$(hits_stat client min size_out)" "$size" "client: request bytes as written"
expect_eq "$(hits_count first "size_out != $size + 19")" 0 "first: request + Connection: close"
client2=$(time_wait dport)
expect_ge $((client2 - client1)) 190 "client: TIME_WAITs on incarne's side"
echo PASS
