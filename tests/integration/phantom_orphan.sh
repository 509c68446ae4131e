#!/bin/bash
# No orphan load (docs/phantom.md "Streams"): `phantom run` with two streams against nginx on
# loopback, the parent SIGKILLed mid-run → its stream children stop: nginx counts no request
# (stub_status) in the second after the first second past the kill, and no child is left.
#   tests/integration/phantom_orphan.sh build/src/incarne
. "${INCARNE_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/integration/lib/http_common.sh" "$@"
export OPENSSL_CONF=/dev/null  # Tank sets it for phantom

CHILDREN=
_orphan_cleanup() {  # a failing run must not leave its load behind either
  [ -n "$CHILDREN" ] && kill -KILL $CHILDREN 2>/dev/null
  _http_cleanup
}
trap _orphan_cleanup EXIT

nginx_start --v4 || skip "$NGINX_SKIP_REASON"
. "$ROOT/tests/integration/lib/phantom_conf.sh"

# nginx's request count so far (stub_status; the status request itself included).
requests() {
  curl -s --max-time 2 "http://127.0.0.1:$NGINX_PORT/nginx_status" | awk 'NR == 3 { print $3 }'
}

# Two streams of 100 requests/s each for 30 s (the run is killed after about 1 s).
make_stpd "$WORK/a.stpd" 3000 10
make_stpd "$WORK/b.stpd" 3000 10
make_conf "$WORK/two.conf" "127.0.0.1|0|$WORK/a.stpd|-" "127.0.0.1|0|$WORK/b.stpd|-"
"$INCARNE" phantom run "$WORK/two.conf" >"$WORK/run.out" 2>"$WORK/run.err" &
parent=$!
for _ in $(seq 1 200); do  # both streams fire: the stat log has a record with both keys
  grep -q benchmark_io1 "$WORK/stat.log" 2>/dev/null && break
  sleep 0.05
done
grep -q benchmark_io1 "$WORK/stat.log" ||
  { cat "$WORK/run.err" "$WORK/phantom.log" >&2; fail "the two streams did not start"; }
CHILDREN=$(pgrep -P "$parent" | tr '\n' ' ')
expect_eq "$(echo $CHILDREN | wc -w)" 2 "stream children of the running parent"
before=$(requests)
kill -KILL "$parent"
wait "$parent" 2>/dev/null
sleep 1
r1=$(requests)
sleep 1
r2=$(requests)
expect_ge "$r1" "$((before + 1))" "requests counted by nginx (it counts)"
# r2 - r1 = the second status request itself, nothing from the streams.
expect_eq "$((r2 - r1))" 1 "requests in the second after 1 s past the kill (the status request)"
left=
for _ in $(seq 1 100); do  # the children may still be writing their files
  left=
  for c in $CHILDREN; do
    kill -0 "$c" 2>/dev/null && left="$left $c"
  done
  [ -z "$left" ] && break
  sleep 0.05
done
expect_eq "${left:-none}" none "stream children left 5 s after the kill"
echo PASS
