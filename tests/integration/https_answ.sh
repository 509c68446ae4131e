#!/bin/bash
# The answ log with the https nib (docs/results.md §10, docs/https.md "The answ log"), against
# nginx over TLS (certificates made at test time); every log is parsed with the documented
# rule (header line, size_out bytes of request, min(size_in, 4096) bytes of reply):
#   - "/" (200) and "/missing" (404) alternating, answ = "warnings": exactly the 50 404 hits,
#     each reply the decrypted "HTTP/1.1 404 Not Found" down to nginx's closing </html> —
#     plaintext, not TLS records; answ = "all": 100 entries, every reply plaintext;
#   - verify = true with an unrelated CA, answ = "errors": every hit net_code 71 and its
#     entry's reply "incarne: handshake: …certificate verify failed…", size_in its length.
#   tests/integration/https_answ.sh build/src/incarne
. "${INCARNE_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/integration/lib/https_common.sh" "$@"
LOGS="$ROOT/tests/integration/lib/phantom_logs.py"

nginx_tls_start "$CERTS" "TLSv1.2 TLSv1.3" || skip "$NGINX_SKIP_REASON"
export PLAN_THREADS=1 PLAN_INSTANCES=50

answ_plan() {  # NAME LEVEL CA_FILE URIS
  PLAN_AMMO="uris = $4" https_plan "$1" "127.0.0.1:$NGINX_PORT" "const(100, 1s)"
  printf '[target.tls]\nsni = "test.incarne"\nverify = true\nca_file = "%s"\n' "$3" \
    >>"$WORK/$1.toml"
  printf '\n[results]\nansw = "%s"\n' "$2" >>"$WORK/$1.toml"
  run_plan "$1"
  expect_eq "$(hits_get "$1" hits)" 100 "$1: hits"
}

answ_plan warnings warnings "$CERTS/ca.pem" '["/", "/missing"]'
expect_eq "$(hits_get warnings overall.proto_codes.404)" 50 "warnings: 404 replies"
read -r entries errors < <(python3 "$LOGS" answ "$WORK/warnings/answ.log" \
    --expect-request "GET /missing HTTP/1.1" --expect-reply "HTTP/1.1 404 Not Found") ||
  fail "warnings: answ.log is malformed or a reply is not the plaintext 404"
expect_eq "$entries" 50 "warnings: answ entries (= the 404 hits)"
expect_eq "$errors" 0 "warnings: answ entries with net_code != 0"
# The whole decrypted reply, body included (nginx's 404 page ends with "</html>\r\n").
expect_eq "$(grep -c $'^</html>\r$' "$WORK/warnings/answ.log")" 50 \
  "warnings: replies that end with nginx's </html>"
grep -q "answ: 50 entries written, 0 lost" "$WORK/warnings/incarne.log" ||
  fail "warnings: incarne.log does not report the answ entries"

answ_plan all all "$CERTS/ca.pem" '["/", "/missing"]'
read -r entries errors < <(python3 "$LOGS" answ "$WORK/all/answ.log" --expect-reply "HTTP/1.1 ") ||
  fail "all: answ.log is malformed or a reply is not plaintext HTTP"
expect_eq "$entries" 100 "all: answ entries"
expect_eq "$errors" 0 "all: answ entries with net_code != 0"

# A CA that did not sign nginx's certificate: every handshake fails, every hit is 71, and
# each entry carries wolfSSL's reason as its reply.
answ_plan wrong errors "$CERTS/wrong_ca.pem" '["/sni"]'
expect_eq "$(hits_get wrong overall.net_codes.71)" 100 "wrong CA: net_code 71"
read -r entries errors < <(python3 "$LOGS" answ "$WORK/wrong/answ.log" \
    --expect-request "GET /sni HTTP/1.1" --expect-reply "incarne: handshake: ") ||
  fail "wrong CA: answ.log is malformed or a reply is not the TLS failure reason"
expect_eq "$entries" 100 "wrong CA: answ entries (= every hit)"
expect_eq "$errors" 100 "wrong CA: answ entries with net_code != 0"
# The header's size_in is the reason's length and the reason is the readable one (the
# parser above already found a newline right after min(size_in, 4096) bytes).
python3 - "$WORK/wrong/answ.log" <<'EOF' || fail "wrong CA: an entry's reason or size_in is wrong"
import re, sys
data = open(sys.argv[1], "rb").read()
pos = n = 0
while pos < len(data):
    nl = data.index(b"\n", pos)
    size_out, size_in, _, _, net = (int(x) for x in data[pos:nl].split())
    pos = nl + 1 + size_out + 1
    reply = data[pos:pos + size_in]
    pos += size_in + 1
    if net != 71 or not re.fullmatch(
            rb"incarne: handshake: [^\n]*certificate verify failed[^\n]*\(wolfSSL error -\d+\)",
            reply):
        sys.exit(f"entry {n + 1}: net_code {net}, reply {reply!r} (size_in {size_in})")
    n += 1
print(f"ok: wrong CA: {n} replies 'incarne: handshake: ...certificate verify failed...', "
      f"e.g. {reply.decode()!r}")
EOF
grep -E "nib https: TLS failure x[0-9]+: handshake: .*certificate verify failed" \
  "$WORK/wrong/incarne.log" >/dev/null || fail "wrong CA: the reason is missing in incarne.log"
echo PASS
