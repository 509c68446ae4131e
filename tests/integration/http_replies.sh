#!/bin/bash
# The reply kinds of docs/http.md against nginx on loopback, one instance sending hits one
# after another so that connection reuse is exact:
#   HTTP/1.1 chunked (reused), HTTP/1.0 request → read-to-close reply (never reused), HEAD
#   (no body despite Content-Length), a 1 MiB body, a 100 KiB POST (sent with sendfile),
#   max_entity → net_code 71, max_requests_per_connection.
#   tests/integration/http_replies.sh build/src/incarne
. "${INCARNE_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/integration/lib/http_common.sh" "$@"

nginx_start --v4 || skip "$NGINX_SKIP_REASON"
A="127.0.0.1:$NGINX_PORT"
export PLAN_INSTANCES=1 PLAN_THREADS=1 PLAN_TIMEOUT=3s

# HTTP/1.1 chunked: 20 hits on one connection.
PLAN_AMMO='uris = ["/chunked"]' PLAN_LIMIT=20 write_plan chunked "$A" "const(1, 10s)" instances
run_plan chunked
expect_eq "$(hits_get chunked overall.proto_codes.200)" 20 "chunked: replies 200"
expect_eq "$(hits_count chunked 'flags & 1')" 19 "chunked: reused connections"
expect_eq "$(hits_count chunked 'size_in < 1000')" 0 "chunked: short bodies"

# HTTP/1.0: nginx answers without a length and closes; every hit needs a new connection.
PLAN_AMMO='uris = ["/chunked"]' PLAN_LIMIT=20 PLAN_HTTP_VERSION=1.0 \
  write_plan http10 "$A" "const(1, 10s)" instances
run_plan http10
expect_eq "$(hits_get http10 overall.proto_codes.200)" 20 "http10: replies 200"
expect_eq "$(hits_count http10 'flags & 1')" 0 "http10: reused connections"
expect_eq "$(hits_count http10 'size_in < 1000')" 0 "http10: short bodies (read to close)"

# HEAD: the reply says Content-Length: 2 and has no body; a parser waiting for the body
# would time out (net_code 110).
printf 'HEAD / HTTP/1.1\r\nHost: test\r\n\r\n' >"$WORK/head.req"
printf '%s\n' "$(wc -c <"$WORK/head.req")" >"$WORK/head.ammo.txt"
cat "$WORK/head.req" >>"$WORK/head.ammo.txt"
PLAN_AMMO="file = \"$WORK/head.ammo.txt\"
format = \"phantom\"" PLAN_HEADERS='[]' PLAN_LIMIT=20 write_plan head "$A" "const(1, 10s)" instances
run_plan head
expect_eq "$(hits_get head overall.proto_codes.200)" 20 "head: replies 200"
expect_eq "$(hits_count head 'flags & 1')" 19 "head: reused connections"

# A 1 MiB body.
PLAN_AMMO='uris = ["/1m.bin"]' PLAN_LIMIT=5 write_plan big "$A" "const(1, 10s)" instances
run_plan big
expect_eq "$(hits_get big overall.proto_codes.200)" 5 "big: replies 200"
expect_eq "$(hits_count big 'size_in < 1048576')" 0 "big: bodies shorter than 1 MiB"

# A 100 KiB POST body: large records go out with sendfile(2); nginx must see all of it.
python3 - "$WORK/post.ammo.txt" <<'PY'
import sys
body = b"x" * (100 * 1024)
req = (b"POST / HTTP/1.1\r\nHost: test\r\nContent-Length: %d\r\n\r\n" % len(body)) + body
with open(sys.argv[1], "wb") as f:
    f.write(b"%d post\n" % len(req) + req + b"\n")
PY
PLAN_AMMO="file = \"$WORK/post.ammo.txt\"
format = \"phantom\"" PLAN_HEADERS='[]' PLAN_LIMIT=10 write_plan post "$A" "const(1, 10s)" instances
run_plan post
expect_eq "$(hits_get post overall.proto_codes.200)" 10 "post: replies 200"
expect_eq "$(hits_count post 'size_out != 102400 + 55')" 0 "post: request bytes sent"
expect_ge "$(hits_count post 'flags & 1')" 1 "post: reused connections"

# max_entity below the body → 71 (EPROTO), and the run goes on.
PLAN_AMMO='uris = ["/1k.bin"]' PLAN_LIMIT=10 write_plan limit "$A" "const(1, 10s)" instances
printf '[target.http]\nmax_entity = 1000\n' >>"$WORK/limit.toml"
run_plan limit
expect_eq "$(hits_get limit hits)" 10 "limit: hits"
expect_eq "$(hits_get limit overall.net_codes.71)" 10 "limit: net_code 71"

# max_requests_per_connection = 5: 50 hits over 10 connections, each reused 4 times.
PLAN_LIMIT=50 write_plan maxreq "$A" "const(1, 10s)" instances
printf '[target.http]\nmax_requests_per_connection = 5\n' >>"$WORK/maxreq.toml"
run_plan maxreq
expect_eq "$(hits_get maxreq overall.proto_codes.200)" 50 "maxreq: replies 200"
expect_eq "$(hits_count maxreq 'flags & 1')" 40 "maxreq: reused connections"
echo PASS
