#!/bin/bash
# The phantom drop-in over TLS (Tank's `ssl: true`: a transport_ssl_t block, no SNI, no
# verification) against nginx with a certificate made at test time: `check` silent, `run`
# writes one phout line per stpd record, every one 200 over TLS (nginx's access log says so).
#   tests/integration/phantom_ssl.sh build/src/incarne
. "${INCARNE_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/integration/lib/https_common.sh" "$@"
LOGS="$ROOT/tests/integration/lib/phantom_logs.py"
export OPENSSL_CONF=/dev/null  # Tank sets it for phantom

nginx_tls_start "$CERTS" "TLSv1.2 TLSv1.3" || skip "$NGINX_SKIP_REASON"

python3 - "$WORK/ammo.stpd" <<'PY'
import sys
with open(sys.argv[1], "wb") as f:
    for i in range(200):
        req = b"GET / HTTP/1.1\r\nHost: tank\r\n\r\n"
        f.write(b"%d %d tls\n" % (len(req), i * 5) + req + b"\n")
PY
python3 - "$ROOT/tests/data/phantom/tank.conf" "$NGINX_PORT" "$WORK" <<'PY'
import sys
tpl, port, work = sys.argv[1:4]
t = open(tpl).read()
t = t.replace('"phantom_x.log"', f'"{work}/phantom.log"')
t = t.replace("port = 8080", f"port = {port}").replace("timeout = 11000", "timeout = 5000")
t = t.replace('"ammo.stpd"', f'"{work}/ammo.stpd"').replace('"phout_x.log"', f'"{work}/phout.log"')
t = t.replace('"phantom_stat_x.log"', f'"{work}/stat.log"')
# Tank's ssl template lines (tank.md §5.4): a client transport without key/cert.
t = t.replace("proto=http_proto0", "transport_t ssl_transport = transport_ssl_t {\n"
              "  timeout = 1s\n}\ntransport = ssl_transport\nproto=http_proto0", 1)
open(f"{work}/ssl.conf", "w").write(t)
PY
grep -q 'transport = ssl_transport' "$WORK/ssl.conf" || fail "the template has no proto line"

"$INCARNE" phantom check "$WORK/ssl.conf" >"$WORK/check.out" 2>"$WORK/check.err"
expect_eq "$?" 0 "check: exit code"
expect_eq "$(stat -c %s "$WORK/check.err")" 0 "check: stderr bytes"
before=$(grep -c '^TLSv1' "$NGINX_DIR/access.log")  # nginx_tls_start's own probe
"$INCARNE" phantom run "$WORK/ssl.conf" >"$WORK/run.out" 2>"$WORK/run.err"
rc=$?
[ $rc -eq 0 ] || { tail -n 20 "$WORK/run.err" "$WORK/phantom.log" >&2; fail "run exited $rc"; }
read -r lines n404 nerr < <(python3 "$LOGS" phout "$WORK/phout.log") || fail "phout is malformed"
expect_eq "$lines" 200 "run: phout lines (= stpd records)"
expect_eq "$nerr" 0 "run: phout net errors"
expect_eq "$(awk -F'\t' '$12 == 200' "$WORK/phout.log" | wc -l)" 200 "run: phout 200 lines"
expect_eq "$(( $(grep -c '^TLSv1' "$NGINX_DIR/access.log") - before ))" 200 "nginx: requests over TLS"
echo "ok: phantom over TLS"
