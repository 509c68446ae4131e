#!/bin/bash
# The https nib against nginx with a certificate made at test time: exact hit counts over
# TLS 1.2 and over TLS 1.3 (nginx tells which protocol it negotiated through the status:
# /proto answers 212 or 213), kept-alive connections, the decrypted size_in; and
# min_version = "1.3" against a TLS 1.2-only server: every hit 71, the reason in incarne.log.
# Both versions' AES-GCM records go through the nib's AES-NI device (at least one encrypted
# request and one decrypted reply per hit), and aes_ni = false leaves them to wolfSSL.
#   tests/integration/https_versions.sh build/src/incarne
. "${INCARNE_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/integration/lib/https_common.sh" "$@"

for v in 1.2 1.3; do
  nginx_tls_start "$CERTS" "TLSv$v" || skip "$NGINX_SKIP_REASON"
  name=tls${v/./}
  # At most 50 connections (instances): keep-alive is then measurable even when a busy
  # machine makes the first handshakes slow.
  PLAN_INSTANCES=50 PLAN_AMMO='uris = ["/proto"]' https_plan $name "127.0.0.1:$NGINX_PORT" "const(500, 2s)"
  run_plan $name
  code=21${v#1.}
  expect_eq "$(hits_get $name hits)" 1000 "$name: hits"
  expect_eq "$(hits_get $name overall.net_codes.0)" 1000 "$name: net_code 0"
  expect_eq "$(hits_get $name overall.proto_codes.$code)" 1000 "$name: replies $code (TLSv$v)"
  expect_ge "$(hits_count $name 'flags & 1')" 900 "$name: hits on kept-alive connections"
  # size_in is the decrypted reply (nginx's 212/213 replies are ~150 bytes of headers and
  # body, the TLS records around them ~22-29 bytes more), never 0.
  expect_eq "$(hits_count $name 'size_in == 0 or size_out == 0')" 0 "$name: hits without bytes"
  expect_eq "$(awk -v c=$code '$1 == "TLSv'$v'" && $4 == c' "$NGINX_DIR/access.log" | wc -l)" \
    1000 "$name: nginx logged TLSv$v requests"
  grep -q "nib https: TLS: .* 0 TLS failures" "$WORK/$name/incarne.log" ||
    fail "$name: incarne.log has no TLS summary: $(grep 'nib https' "$WORK/$name/incarne.log")"
  aes=$(grep "nib https: AES-GCM: " "$WORK/$name/incarne.log")
  if [[ $aes == *"this CPU has no AES-NI"* ]]; then
    echo "$name: $aes: the AES-NI path is not checked on this CPU"
  else
    records=$(sed -n 's/.*AES-GCM: AES-NI (\([0-9]*\) records.*/\1/p' <<<"$aes")
    [ -n "$records" ] || fail "$name: AES-GCM did not use AES-NI: ${aes:-no AES-GCM line}"
    expect_ge "$records" 2000 "$name: records through the AES-NI device"
  fi
  if [ "$v" = 1.3 ]; then
    https_plan soft13 "127.0.0.1:$NGINX_PORT" "const(50, 1s)"
    printf '[target.tls]\naes_ni = false\n' >>"$WORK/soft13.toml"
    run_plan soft13
    expect_eq "$(hits_get soft13 overall.net_codes.0)" 50 "soft13: net_code 0"
    grep -q "nib https: AES-GCM: software (aes_ni = false)$" "$WORK/soft13/incarne.log" ||
      fail "soft13: $(grep 'AES-GCM' "$WORK/soft13/incarne.log" || echo no AES-GCM line)"
  fi
  if [ "$v" = 1.2 ]; then
    # A client that insists on TLS 1.3 cannot talk to it: every hit fails as 71 (bad reply)
    # during the connect, and wolfSSL's reason is in incarne.log.
    https_plan min13 "127.0.0.1:$NGINX_PORT" "const(50, 1s)"
    printf '[target.tls]\nmin_version = "1.3"\n' >>"$WORK/min13.toml"
    run_plan min13
    expect_eq "$(hits_get min13 hits)" 50 "min13: hits"
    expect_eq "$(hits_get min13 overall.net_codes.71)" 50 "min13: net_code 71"
    expect_eq "$(hits_count min13 'proto_code != 0 or wait_us != 0')" 0 \
      "min13: hits that got past the handshake"
    grep -E "nib https: TLS failure x[0-9]+: handshake: " "$WORK/min13/incarne.log" ||
      fail "min13: no handshake failure reason in incarne.log"
  fi
  nginx_stop
done
echo PASS
