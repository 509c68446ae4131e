#!/bin/bash
# Literal HTTP/1.0 status lines (nginx and the sink always answer HTTP/1.1), from a real
# HTTP/1.0 server on loopback (tests/integration/lib/http10_server.py, Python's http.server).
# phantom's keep-alive rule: an HTTP/1.0 reply keeps the connection only with
# "Connection: keep-alive"; without a length the body is read to the close.
#   tests/integration/http_v10.sh build/src/incarne
. "${INCARNE_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/integration/lib/http_common.sh" "$@"

python3 "$ROOT/tests/integration/lib/http10_server.py" >"$WORK/server.out" 2>"$WORK/server.err" &
SINK_PID=$!  # stopped by http_common.sh at exit
A=
for i in $(seq 1 200); do
  A=$(sed -n 's/^listening on //p' "$WORK/server.out")
  [ -n "$A" ] && break
  kill -0 "$SINK_PID" 2>/dev/null || break
  sleep 0.05
done
[ -n "$A" ] || { cat "$WORK/server.err" >&2; fail "the HTTP/1.0 server did not start"; }
export PLAN_INSTANCES=1 PLAN_THREADS=1 PLAN_TIMEOUT=3s
BODY_LEN=20

# 1.0 + keep-alive + length: one connection for all 20 hits.
PLAN_AMMO='uris = ["/ka"]' PLAN_LIMIT=20 write_plan ka "$A" "const(1, 10s)" instances
run_plan ka
expect_eq "$(hits_get ka overall.proto_codes.200)" 20 "ka: replies 200"
expect_eq "$(hits_count ka 'flags & 1')" 19 "ka: reused connections"
expect_eq "$(hits_count ka 'net_code != 0')" 0 "ka: errors"

# 1.0 with a length, no keep-alive: a new connection per hit, the reply complete at its length.
PLAN_AMMO='uris = ["/len"]' PLAN_LIMIT=20 write_plan len "$A" "const(1, 10s)" instances
run_plan len
expect_eq "$(hits_get len overall.proto_codes.200)" 20 "len: replies 200"
expect_eq "$(hits_count len 'flags & 1')" 0 "len: reused connections"

# 1.0 without a length: read to close; size_in covers head and the whole body.
PLAN_AMMO='uris = ["/noclen"]' PLAN_LIMIT=20 write_plan noclen "$A" "const(1, 10s)" instances
run_plan noclen
expect_eq "$(hits_get noclen overall.proto_codes.200)" 20 "noclen: replies 200"
expect_eq "$(hits_count noclen 'flags & 1')" 0 "noclen: reused connections"
expect_eq "$(hits_count noclen "size_in < 60 + $BODY_LEN")" 0 "noclen: bodies read to the close"
echo "ok: HTTP/1.0 keep-alive, length and read-to-close replies"
