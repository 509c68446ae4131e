#!/bin/bash
# Many connections under a low open-files limit: 1,500 keep-alive instances against nginx
# with the soft RLIMIT_NOFILE at 512. incarne raises its limit to cover a socket per instance
# (docs/engine.md "Many connections") and says so in incarne.log; before, every connect past
# the limit failed with EMFILE (net_code 24). Loopback only, 1 s, 2 workers.
#   tests/integration/http_scale_nofile.sh build/src/incarne
. "${INCARNE_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/integration/lib/http_common.sh" "$@"

[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge 3000 ] ||
  skip "the hard open-files limit ($(ulimit -Hn)) is below 3000"
nginx_start --v4 || skip "$NGINX_SKIP_REASON"

write_plan many "127.0.0.1:$NGINX_PORT" "const(1500, 1s)" instances
(
  ulimit -Sn 512
  "$INCARNE" run "$WORK/many.toml" --out "$WORK/many" >"$WORK/many.log" 2>&1
) || { tail -n 20 "$WORK/many.log" >&2; fail "incarne run many failed"; }
expect_eq "$(hits_count many 'net_code != 0')" 0 "many: hits with a net error"
expect_ge "$(hits_get many overall.proto_codes.200)" 1500 "many: replies 200"
grep -q "open files: RLIMIT_NOFILE raised to" "$WORK/many/incarne.log" ||
  fail "many: incarne.log does not say the limit was raised: $(grep -i 'open files' "$WORK/many/incarne.log")"
grep "open files" "$WORK/many/incarne.log"
echo PASS
