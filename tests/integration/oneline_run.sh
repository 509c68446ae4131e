#!/bin/bash
# One-line runs end to end on loopback (docs/cli.md "One-line runs"):
#   1. `incarne run http://SINK/ -r 2000 -d 3s` against `incarne sink`: 6000 hits, all 200,
#      open model; the run directory's plan.toml is the text --print-plan prints;
#   2. `-c 20 -d 2s`: closed model (plan.toml says instances), never more than 20 in flight
#      (stats.jsonl inflight_max);
#   3. POST with --body @- against nginx: its access log shows POST and the body's length;
#      two tagged URLs (#tag) count per tag; `[::1]` when the host has IPv6 loopback;
#   4. https against the test nginx: --https-insecure and --ca (the right CA) give 200; without
#      either the server is verified against the system store and every hit fails (71).
#   tests/integration/oneline_run.sh build/src/incarne
. "${INCARNE_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/integration/lib/http_common.sh" "$@"
. "$ROOT/tests/integration/lib/nginx_tls.sh"
cd "$WORK" || fail "cd $WORK"

run_url() {  # NAME ARGS...: incarne run ARGS --out $WORK/NAME; fails unless it exits 0
  local name=$1 rc
  shift
  "$INCARNE" run "$@" --out "$WORK/$name" >"$WORK/$name.log" 2>&1 </dev/null
  rc=$?
  if [ $rc -ne 0 ]; then
    tail -n 20 "$WORK/$name.log" >&2
    fail "incarne run $* exited $rc"
  fi
}
max_inflight() {
  python3 -c 'import json,sys; print(max(json.loads(l)["inflight_max"] for l in open(sys.argv[1]) if l.strip()))' "$1"
}

# 1. Open model against the sink.
start_sink
URL="http://$SINK_ADDR/"
run_url rate "$URL" -r 2000 -d 3s -t 2
expect_eq "$(hits_get rate hits)" 6000 "-r 2000 -d 3s: hits"
expect_eq "$(hits_get rate overall.proto_codes.200)" 6000 "-r 2000 -d 3s: replies 200"
grep -q '^model = "rps"' "$WORK/rate/plan.toml" || fail "rate: plan.toml is not the rps model"
"$INCARNE" run "$URL" -r 2000 -d 3s -t 2 --print-plan >"$WORK/rate.print" ||
  fail "--print-plan failed"
cmp "$WORK/rate.print" "$WORK/rate/plan.toml" || fail "plan.toml differs from --print-plan"
echo "ok: plan.toml = --print-plan"

# 2. Closed model.
run_url closed "$URL" -c 20 -d 2s -t 2
grep -q '^model = "instances"' "$WORK/closed/plan.toml" || fail "closed: plan.toml is not instances"
expect_ge "$(hits_get closed hits)" 100 "-c 20 -d 2s: hits"
expect_eq "$(hits_get closed hits)" "$(hits_get closed overall.proto_codes.200)" "-c 20: all replies 200"
expect_le "$(max_inflight "$WORK/closed/stats.jsonl")" 20 "-c 20: most hits in flight in a second"
stop_sink

# 3. POST with a body from stdin, tags, IPv6, against nginx with an access log.
NGINX_ACCESS_LOG=1 nginx_start --both || skip "$NGINX_SKIP_REASON"
printf 'name=incarne&load=one-line' >"$WORK/body.txt"  # 26 bytes
mkdir "$WORK/tmp"  # nothing may be left there: the requests go into the run directory
TMPDIR="$WORK/tmp" "$INCARNE" run "http://127.0.0.1:$NGINX_PORT/#post" -m POST --body @- -r 50 -d 2s -t 1 \
  -H 'Content-Type: application/x-www-form-urlencoded' --out "$WORK/post" \
  <"$WORK/body.txt" >"$WORK/post.log" 2>&1 || { tail "$WORK/post.log" >&2; fail "POST run failed"; }
expect_eq "$(hits_get post overall.proto_codes.200)" 100 "POST -r 50 -d 2s: replies 200"
expect_eq "$(hits_get post tags.post.hits)" 100 "POST: hits tagged post"
expect_eq "$(grep -c '^127.0.0.1 POST / 200 [0-9]* 26$' "$NGINX_DIR/access.log")" 100 \
  "nginx access log: POST / with Content-Length 26"
expect_eq "$(ls -A "$WORK/tmp")" "" "nothing left in TMPDIR"
grep -qx "file = \"$WORK/post/ammo.txt\"" "$WORK/post/plan.toml" ||
  fail "plan.toml names RUN_DIR/ammo.txt by its absolute path: $(grep '^file' "$WORK/post/plan.toml")"
(cd / && "$INCARNE" run "$WORK/post/plan.toml" --out "$WORK/post-again" >"$WORK/again.log" 2>&1) ||
  { tail "$WORK/again.log" >&2; fail "re-running the run directory's plan.toml failed"; }
expect_eq "$(hits_get post-again tags.post.hits)" 100 "the run directory's plan.toml re-runs: hits"
expect_eq "$(grep -c '^127.0.0.1 POST / 200 [0-9]* 26$' "$NGINX_DIR/access.log")" 200 \
  "nginx access log: the re-run's POSTs, with the same body"
run_url tags "http://127.0.0.1:$NGINX_PORT/#root" "http://127.0.0.1:$NGINX_PORT/1k.bin#file" \
  -r 100 -d 1s -t 1
expect_eq "$(hits_get tags tags.root.hits)" 50 "two tagged URLs: hits of #root"
expect_eq "$(hits_get tags tags.file.hits)" 50 "two tagged URLs: hits of #file"
if [ "$NGINX_HAVE_V6" = 1 ]; then
  run_url v6 "http://[::1]:$NGINX_PORT/" -r 100 -d 1s -t 1
  expect_eq "$(hits_get v6 overall.proto_codes.200)" 100 "[::1]: replies 200"
  grep -q "^address = \"\[::1\]:$NGINX_PORT\"" "$WORK/v6/plan.toml" || fail "[::1]: address"
  expect_eq "$(grep -c '^::1 GET / 200 ' "$NGINX_DIR/access.log")" 100 "[::1]: nginx saw the GETs from ::1"
else
  echo "note: no IPv6 loopback, [::1] not checked"
fi
nginx_stop

# 4. https.
CERTS="$WORK/certs"
tls_make_certs "$CERTS" || skip "$NGINX_SKIP_REASON"
nginx_tls_start "$CERTS" "TLSv1.2 TLSv1.3" || skip "$NGINX_SKIP_REASON"
HTTPS="https://127.0.0.1:$NGINX_PORT/"
run_url insecure "$HTTPS" -r 50 -d 1s -t 1 --https-insecure
expect_eq "$(hits_get insecure overall.proto_codes.200)" 50 "--https-insecure: replies 200"
grep -q '^verify = false' "$WORK/insecure/plan.toml" || fail "--https-insecure: verify = false"
run_url ca "$HTTPS" -r 50 -d 1s -t 1 --ca "$CERTS/ca.pem"
expect_eq "$(hits_get ca overall.proto_codes.200)" 50 "--ca (the signing CA): replies 200"
run_url verified "$HTTPS" -r 20 -d 1s -t 1
expect_eq "$(hits_get verified overall.net_codes.71)" 20 "no flag: verified, unknown CA: net 71"
echo PASS
