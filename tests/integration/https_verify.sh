#!/bin/bash
# The https nib's certificate checks and SNI against nginx (certificates made at test time):
#   - verify = true with the CA that signed the server certificate: every hit 200, and nginx
#     saw SNI test.incarne (/sni answers 421 for any other name);
#   - verify = true with an unrelated CA: every hit net_code 71, the reason in incarne.log;
#   - verify = true with the right CA but another name: 71 (the name is checked);
#   - the default SNI: the host part of a named address ("localhost"); none for an IP literal.
#   tests/integration/https_verify.sh build/src/incarne
. "${INCARNE_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/integration/lib/https_common.sh" "$@"

nginx_tls_start "$CERTS" "TLSv1.2 TLSv1.3" || skip "$NGINX_SKIP_REASON"

tls_keys() {  # NAME SNI CA_FILE
  printf '[target.tls]\nsni = "%s"\nverify = true\nca_file = "%s"\n' "$2" "$3" >>"$WORK/$1.toml"
}

PLAN_AMMO='uris = ["/sni"]' https_plan right "127.0.0.1:$NGINX_PORT" "const(200, 2s)"
tls_keys right test.incarne "$CERTS/ca.pem"
run_plan right
expect_eq "$(hits_get right hits)" 400 "right CA: hits"
expect_eq "$(hits_get right overall.net_codes.0)" 400 "right CA: net_code 0"
expect_eq "$(hits_get right overall.proto_codes.200)" 400 "right CA: replies 200 (SNI test.incarne)"
expect_eq "$(grep -c '^TLSv1.3 test.incarne . 200$' "$NGINX_DIR/access.log")" 400 \
  "right CA: nginx saw SNI test.incarne over TLSv1.3"

PLAN_AMMO='uris = ["/sni"]' https_plan wrong "127.0.0.1:$NGINX_PORT" "const(100, 1s)"
tls_keys wrong test.incarne "$CERTS/wrong_ca.pem"
run_plan wrong
expect_eq "$(hits_get wrong hits)" 100 "wrong CA: hits"
expect_eq "$(hits_get wrong overall.net_codes.71)" 100 "wrong CA: net_code 71"
grep -E "nib https: TLS failure x[0-9]+: handshake: .*certificate verify failed" \
  "$WORK/wrong/incarne.log" || fail "wrong CA: no readable reason in incarne.log"
grep -q "nib https: TLS: 0 handshakes" "$WORK/wrong/incarne.log" ||
  fail "wrong CA: a handshake completed: $(grep 'nib https' "$WORK/wrong/incarne.log")"

PLAN_AMMO='uris = ["/sni"]' https_plan name "127.0.0.1:$NGINX_PORT" "const(50, 1s)"
tls_keys name other.example "$CERTS/ca.pem"
run_plan name
expect_eq "$(hits_get name overall.net_codes.71)" 50 "right CA, wrong name: net_code 71"
grep -E "nib https: TLS failure x[0-9]+: handshake: " "$WORK/name/incarne.log" ||
  fail "wrong name: no reason in incarne.log"

# Default SNI: a named address sends its name (nginx answers 421 to anything but
# test.incarne, and logs the name).
PLAN_FAMILY=ipv4 PLAN_AMMO='uris = ["/sni"]' https_plan named "localhost:$NGINX_PORT" "const(50, 1s)"
run_plan named
expect_eq "$(hits_get named overall.proto_codes.421)" 50 "named address: replies 421"
expect_eq "$(grep -c ' localhost . 421$' "$NGINX_DIR/access.log")" 50 \
  "named address: nginx saw SNI localhost"
# An IP literal sends none; verify = true then checks the chain only (docs/https.md).
PLAN_AMMO='uris = ["/sni"]' https_plan ip "127.0.0.1:$NGINX_PORT" "const(50, 1s)"
printf '[target.tls]\nverify = true\nca_file = "%s"\n' "$CERTS/ca.pem" >>"$WORK/ip.toml"
run_plan ip
expect_eq "$(hits_get ip overall.proto_codes.421)" 50 "IP address without sni: replies 421"
expect_eq "$(grep -c ' - . 421$' "$NGINX_DIR/access.log")" 50 "IP address: nginx saw no SNI"
echo PASS
