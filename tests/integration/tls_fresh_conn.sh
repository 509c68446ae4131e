#!/bin/bash
# A hit that opens its TLS connection pays only the connection and the handshake: nginx over
# TLS 1.3 on loopback, HTTP/1.1 with one request per connection (`Connection: close` in the
# ammo; and `max_requests_per_connection = 1`, where the https nib adds the header), full
# handshakes (resume = false), 25 shots/s (one handshake at a time, as the reference) in the
# rps model with preconnect off. Every handshake step's completion is acted on when it arrives
# (docs/engine.md "The loop"): a step that waited for the worker's next wake-up would add up to
# ~1 ms per round trip.
#
# Two kinds of checks (lib/fresh_conn.sh check_fresh):
# - The loop itself, whatever the box's load: the connection is stamped ready when the submit
#   that sent the client's Finished completed it, so a request that waited for a wake-up
#   after the handshake shows in the send phase (sent − connected): median ≤ 500 µs (a wait
#   for the 1 ms bound fails it). The build before this check (a96daf3) counted the
#   Finished's send completion as a plain SEND and waited for one CQE more: nginx's session
#   ticket, or the 1 ms wait bound counted from the start of the pass (a trace of the waits
#   showed ~1.2 ms per handshake; on this loaded box, where wolfSSL's part of the pass takes
#   ~0.8 ms, 0.17–0.26 ms of send phase with that wait put back, against 0.04–0.10 ms).
# - Against a plain client measured here (lib/fresh_ref.c built with wolfSSL, the nib's own
#   library, so that the difference is the engine's: blocking sockets, TCP connect + TLS 1.3
#   handshake, no verification, no resumption, + send + read to the reply's end, median of
#   100, one exchange every 40 ms — the runs' 25/s, paying the same wake-ups of an idle
#   server; its back-to-back median is printed beside it). Its connect + handshake time is
#   the reference for incarne's connect phase (which for TLS ends with the last handshake
#   step, docs/results.md "Phases"); its whole time for the median hit. Asserted: connect p50
#   and service p50 ≤ their reference + max(2 ms, whole reference / 2) — room for a busy box
#   (the sanitized engine against an uninstrumented client); the send phase is the check that
#   catches a wait. Printed as notes, the quiet-box targets (+100 µs mean connect, +50 µs
#   service p50). Quiet box, 2026-12-07, release build, 3 runs: reference 2.97–3.27 ms whole
#   at 25/s (1.65–2.31 ms back to back), incarne service p50 2.08–2.45 ms, connect mean
#   1.79–2.14 ms (docs/engine.md "Fresh connections on the quiet box").
#   tests/integration/tls_fresh_conn.sh build/src/incarne
. "${INCARNE_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/integration/lib/https_common.sh" "$@"
. "$ROOT/tests/integration/lib/fresh_conn.sh"

nginx_tls_start "$CERTS" "TLSv1.3" || skip "$NGINX_SKIP_REASON"

REQ='GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n'
read -r TIGHT TIGHT_CONN < <(fresh_reference "$NGINX_PORT" "$REQ" --tls)
read -r REF REF_CONN < <(fresh_reference "$NGINX_PORT" "$REQ" --tls 40000)
[ -n "${REF_CONN:-}" ] && [ -n "${TIGHT_CONN:-}" ] || fail "the reference client failed"
echo "reference (C client, wolfSSL, fresh TLS 1.3 connection): median ${REF} µs, connect +" \
  "handshake ${REF_CONN} µs at 25/s; ${TIGHT} / ${TIGHT_CONN} µs back to back"
PART=$((REF / 2 > 2000 ? REF / 2 : 2000))  # check_fresh's slack (see above)

write_tls_plan() {  # NAME HEADERS EXTRA-[target.http]-LINES
  PLAN_INSTANCES=100 PLAN_THREADS=1 PLAN_HEADERS=$2 https_plan "$1" "127.0.0.1:$NGINX_PORT" \
    "const(25, 4s)"
  printf '[target.http]\npreconnect = false\n%s\n[target.tls]\nresume = false\nverify = false\nmin_version = "1.3"\n' \
    "$3" >>"$WORK/$1.toml"
}

write_tls_plan tls_close_ammo '["Host: test", "Connection: close"]' ''
run_plan tls_close_ammo
check_fresh tls_close_ammo 100 "$REF" "$REF_CONN" "$PART"

time_wait() {  # sport|dport → TIME_WAIT sockets with that port = nginx's
  ss -Htan state time-wait "( $1 = :$NGINX_PORT )" | wc -l
}
server0=$(time_wait sport)
client0=$(time_wait dport)
write_tls_plan tls_close_max1 '["Host: test"]' 'max_requests_per_connection = 1'
run_plan tls_close_max1
check_fresh tls_close_max1 100 "$REF" "$REF_CONN" "$PART"
# The nib said Connection: close (19 bytes more in size_out, the application bytes), and
# nginx closed first: the TIME_WAITs are on its side.
expect_eq "$(hits_count tls_close_max1 "size_out != $(hits_stat tls_close_ammo max size_out)")" 0 \
  "tls_close_max1: requests with the nib's Connection: close"
if command -v ss >/dev/null; then
  expect_ge $(($(time_wait sport) - server0)) 90 "tls_close_max1: TIME_WAITs on nginx's side"
  expect_le $(($(time_wait dport) - client0)) 5 "tls_close_max1: TIME_WAITs on incarne's side"
else
  echo "note: no ss (iproute2): the TIME_WAIT sides are not checked"
fi
grep "nib https: TLS" "$WORK/tls_close_max1/incarne.log"
expect_eq "$(hits_count tls_close_max1 'flags & 2')" 0 "tls_close_max1: resumed handshakes"
echo PASS
