#!/bin/bash
# TLS session resumption against nginx (session tickets, no server-side cache), one hit per
# connection (target.http.max_requests_per_connection = 1), over TLS 1.2 and TLS 1.3:
#   - resume = true: most connections after the first per worker are resumed; the record
#     flag (TLS resumed, 2) agrees hit by hit with nginx's $ssl_session_reused (/reused
#     answers 203 on a resumed session, 200 on a full handshake);
#   - resume = false: none is.
#   tests/integration/https_resume.sh build/src/incarne
. "${INCARNE_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/integration/lib/https_common.sh" "$@"

for v in 1.2 1.3; do
  nginx_tls_start "$CERTS" "TLSv$v" || skip "$NGINX_SKIP_REASON"
  for resume in true false; do
    name=tls${v/./}_$resume
    PLAN_AMMO='uris = ["/reused"]' https_plan $name "127.0.0.1:$NGINX_PORT" "const(100, 3s)"
    printf '[target.http]\nmax_requests_per_connection = 1\n[target.tls]\nresume = %s\n' \
      $resume >>"$WORK/$name.toml"
    run_plan $name
    expect_eq "$(hits_get $name hits)" 300 "$name: hits"
    expect_eq "$(hits_get $name overall.net_codes.0)" 300 "$name: net_code 0"
    expect_eq "$(hits_count $name 'flags & 1')" 0 "$name: hits on kept-alive connections"
    flagged=$(hits_count $name 'flags & 2')
    expect_eq "$(hits_count $name '(flags & 2 != 0) != (proto_code == 203)')" 0 \
      "$name: hits where the resumed flag and nginx disagree"
    if [ $resume = true ]; then
      # Two workers; the first connections of each (opened before any ticket) are full.
      expect_ge "$flagged" 270 "$name: resumed hits"
    else
      expect_eq "$flagged" 0 "$name: resumed hits"
    fi
    grep "nib https: TLS:" "$WORK/$name/incarne.log"
  done
  nginx_stop
done
echo PASS
