#!/bin/bash
# nginx on loopback, rps const(2000, 3s): exactly 6000 hits, all 200, over kept-alive
# connections; the same over IPv6 ([::1]) and through a host name resolved once (family).
#   tests/integration/http_keepalive.sh build/src/incarne
. "${INCARNE_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/integration/lib/http_common.sh" "$@"

nginx_start || skip "$NGINX_SKIP_REASON"

check_run() {  # NAME HITS
  local name=$1 n=$2
  expect_eq "$(hits_get "$name" hits)" "$n" "$name: hits"
  expect_eq "$(hits_get "$name" overall.proto_codes.200)" "$n" "$name: replies 200"
  expect_eq "$(hits_get "$name" overall.net_codes.0)" "$n" "$name: net_code 0"
  # Keep-alive: most hits went out on a connection that had served one before.
  expect_ge "$(hits_count "$name" 'flags & 1')" $((n * 8 / 10)) "$name: hits on reused connections"
  expect_eq "$(hits_count "$name" 'size_in < 2 or size_out == 0')" 0 "$name: hits without bytes"
}

write_plan v4 "127.0.0.1:$NGINX_PORT" "const(2000, 3s)"
run_plan v4
check_run v4 6000

if [ "$NGINX_HAVE_V6" = 1 ]; then
  write_plan v6 "[::1]:$NGINX_PORT" "const(2000, 3s)"
  run_plan v6
  check_run v6 6000
  # A name for ::1, if this host has one (Debian: ip6-localhost; some images have none).
  name6=$(python3 -c '
import socket
for n in ("ip6-localhost", "ip6-loopback", "localhost6", "localhost"):
    try:
        if any(a[4][0] == "::1" for a in socket.getaddrinfo(n, 80, socket.AF_INET6)):
            print(n); break
    except OSError:
        pass')
  if [ -n "$name6" ]; then
    PLAN_FAMILY=ipv6 write_plan name6 "$name6:$NGINX_PORT" "const(200, 1s)"
    run_plan name6
    check_run name6 200
    grep -q '::1' "$WORK/name6/incarne.log" || fail "name6: incarne.log does not show [::1]"
  else
    echo "note: no host name resolves to ::1 here; the IPv6 name run was not done"
  fi
else
  echo "note: no IPv6 loopback here; the [::1] runs were not done"
fi
PLAN_FAMILY=ipv4 write_plan name4 "localhost:$NGINX_PORT" "const(200, 1s)"
run_plan name4
check_run name4 200
grep -q '127.0.0.1' "$WORK/name4/incarne.log" || fail "name4: incarne.log does not show 127.0.0.1"
# family is honoured: a name with only IPv4 addresses does not resolve for ipv6 (exit 1,
# nothing fired). "localhost" has no IPv6 address on hosts whose /etc/hosts lacks "::1 localhost".
if ! python3 -c 'import socket; socket.getaddrinfo("localhost", 80, socket.AF_INET6)' 2>/dev/null; then
  PLAN_FAMILY=ipv6 write_plan fam "localhost:$NGINX_PORT" "const(10, 1s)"
  "$INCARNE" run "$WORK/fam.toml" --out "$WORK/fam" >"$WORK/fam.log" 2>&1
  expect_eq "$?" 1 "family ipv6 for an IPv4-only name: exit code"
  grep -q 'cannot resolve' "$WORK/fam.log" || fail "fam: no 'cannot resolve' message"
fi
echo PASS
