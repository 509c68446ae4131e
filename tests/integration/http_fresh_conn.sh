#!/bin/bash
# A hit that opens its connection pays only the connection: nginx on loopback, HTTP/1.0 (the
# server closes after each reply), 500 shots/s in the stpd model (phantom's drop-in path) and
# in the rps model with preconnect off. The connect's completion is acted on when it arrives
# (docs/engine.md "The loop"). Before, the request waited for the worker's next wake-up: a
# connect phase of ~1 ms and a median ~1 ms above a plain client. Checked:
#   - the median connect phase is ≤ 500 µs and the median hit (service = done − start: the
#     generator's wake-up latency before a shot is not the connection's) is within 500 µs of
#     a plain client measured here (a Python socket client doing connect + send +
#     read-to-close, median of 1,000) — half the old delay, so that the test holds on a box
#     busy with other work (measured 2026-12-06 at load average 10–20: connect median
#     84–272 µs, service median +5–270 µs over the reference; without the fix connect median
#     1,426 µs, service +1,522 µs);
#   - on a quiet box the targets are a mean connect phase ≤ 100 µs and the median within
#     50 µs of the reference: printed as notes, not asserted (they depend on the box's load).
#   tests/integration/http_fresh_conn.sh build/src/incarne
. "${INCARNE_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/integration/lib/http_common.sh" "$@"

nginx_start --v4 || skip "$NGINX_SKIP_REASON"
REQ='GET / HTTP/1.0\r\nHost: test\r\n\r\n'

# The reference: connect + send + read to the close, µs, median of 1,000 (after 100 warm-up).
REF=$(python3 - "$NGINX_PORT" <<'PY'
import socket, statistics, sys, time
port = int(sys.argv[1])
req = b"GET / HTTP/1.0\r\nHost: test\r\n\r\n"
took = []
for i in range(1100):
    t0 = time.perf_counter_ns()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.connect(("127.0.0.1", port))
    s.sendall(req)
    got = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        got += b
    t1 = time.perf_counter_ns()
    s.close()
    if not got.startswith(b"HTTP/1.1 200"):
        sys.exit(f"reference: unexpected reply {got[:40]!r}")
    if i >= 100:
        took.append(t1 - t0)
print(round(statistics.median(took) / 1000))
PY
) || fail "the reference client failed"
echo "reference (Python, fresh connection): median ${REF} µs"

# stpd: 1,000 records 2 ms apart ("<size> <ts_ms> <tag>\n<request>\n", Tank's stepper output).
python3 - "$WORK/ammo.stpd" <<'PY'
import sys
req = b"GET / HTTP/1.0\r\nHost: test\r\n\r\n"
with open(sys.argv[1], "wb") as f:
    for i in range(1000):
        f.write(b"%d %d fresh\n" % (len(req), 2 * i) + req + b"\n")
PY

write_fresh_plan() {  # NAME MODEL-LINES AMMO-LINES
  cat >"$WORK/$1.toml" <<EOT
[target]
address = "127.0.0.1:$NGINX_PORT"
nib = "http"
timeout = "5s"

[target.http]
preconnect = false

[ammo]
$3

[load]
$2

[workers]
threads = 1
EOT
}

# Medians and means over the hits of a run (µs), from `incarne convert --to jsonl`.
phase_stats() {  # NAME → "service_p50 latency_p50 connect_mean ok_hits connect_p50"
  "$INCARNE" convert "$WORK/$1" --to jsonl | python3 -c '
import json, statistics, sys
recs = [json.loads(l) for l in sys.stdin if l.strip()]
ok = [r for r in recs if r["net_code"] == 0 and r["proto_code"] == 200]
svc = statistics.median(r["done_ns"] - r["start_ns"] for r in ok) / 1000
lat = statistics.median(r["done_ns"] - r["planned_ns"] for r in ok) / 1000
con = statistics.mean(r["connect_us"] for r in ok)
con50 = statistics.median(r["connect_us"] for r in ok)
print(round(svc), round(lat), round(con), len(ok), round(con50))'
}

check_fresh() {  # NAME
  local s
  s=$(phase_stats "$1") || fail "$1: cannot read its hits"
  set -- "$1" $s
  echo "$1: service p50 $2 µs, latency p50 $3 µs, connect mean $4 / p50 $6 µs, $5 hits ok"
  expect_eq "$5" 1000 "$1: hits answered 200"
  expect_eq "$(hits_count "$1" 'flags & 1')" 0 "$1: hits on reused connections"
  expect_le "$6" 500 "$1: median connect phase µs"
  expect_le "$2" $((REF + 500)) "$1: service p50 µs (reference $REF + 500)"
  [ "$4" -le 100 ] || echo "note: $1: mean connect $4 µs > 100 µs (the quiet-box target)"
  [ "$2" -le $((REF + 50)) ] ||
    echo "note: $1: service p50 $2 µs > reference + 50 µs (the quiet-box target)"
}

write_fresh_plan stpd 'model = "stpd"' "file = \"$WORK/ammo.stpd\""
run_plan stpd
check_fresh stpd

write_fresh_plan rps "model = \"rps\"
schedule = \"const(500, 2s)\"
instances = 100" "uris = [\"/\"]
headers = [\"Host: test\"]
http_version = \"1.0\""
run_plan rps
check_fresh rps
echo PASS
