# Source-able helpers for the nib-https integration tests (on top of http_common.sh):
#   . "$INCARNE_SOURCE_ROOT/tests/integration/lib/https_common.sh" "$1"
# Makes the certificates ($CERTS/{ca,wrong_ca,server}.pem, skip 77 without openssl) and
# defines https_plan NAME ADDRESS SCHEDULE: write_plan with nib = "https"; append
# [target.tls] / [target.http] keys with `cat >>`.
. "${INCARNE_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/integration/lib/http_common.sh" "$@"
. "$ROOT/tests/integration/lib/nginx_tls.sh"
CERTS=$WORK/certs
tls_make_certs "$CERTS" || skip "$NGINX_SKIP_REASON"

https_plan() {
  write_plan "$@"
  sed -i 's/^nib = "http"$/nib = "https"/' "$WORK/$1.toml"
}

# The access log of the nginx started last (one line per request: protocol, SNI, reused, status).
nginx_access() { cat "$NGINX_DIR/access.log"; }
