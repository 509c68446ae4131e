# Source-able helper: certificates made at test time (openssl CLI) and a private nginx
# serving HTTPS on loopback, for the nib-https integration tests and scripts/bench-peers.
#
#   . "$INCARNE_SOURCE_ROOT/tests/integration/lib/nginx_tls.sh"
#   tls_make_certs "$DIR" || exit 77     # $DIR/{ca,wrong_ca,server}.{pem,key}
#   nginx_tls_start "$DIR" "TLSv1.2 TLSv1.3" || exit 77
#   ...                                  # https://127.0.0.1:$NGINX_PORT/
#   nginx_stop                           # (lib/nginx.sh) also at exit unless NGINX_NO_TRAP=1
#
# tls_make_certs DIR: a CA, a server certificate it signed for the name test.incarne and the
# address 127.0.0.1 (subjectAltName), and an unrelated "wrong" CA. EC P-256 keys.
#
# nginx_tls_start DIR PROTOCOLS starts nginx (one worker, `ssl_protocols PROTOCOLS`, session
# tickets on, no server-side session cache: resumption is by ticket) on a free 127.0.0.1
# port with DIR/server.pem. It sets the variables lib/nginx.sh documents (NGINX_PORT,
# NGINX_DIR, NGINX_PID, NGINX_WORKER_PID, NGINX_SKIP_REASON; NGINX_WORKER_CPU pins the worker).
# Locations:
#   /           return 200 "ok"
#   /sni        200 "$ssl_server_name" when the client sent SNI test.incarne, else 421
#   /proto      212 for TLSv1.2, 213 for TLSv1.3 (the protocol negotiated), else 299
#   /reused     203 when the TLS session was resumed, 200 when it was a full handshake
#   /close      200 "ok" and Connection: close
# and an access log, NGINX_DIR/access.log: "$ssl_protocol $ssl_server_name
# $ssl_session_reused $status" per request (NGINX_TLS_ACCESS_LOG=off: none, for benchmarks).

. "$(dirname "${BASH_SOURCE[0]}")/nginx.sh"

tls_make_certs() {
  local dir=$1
  if ! command -v openssl >/dev/null; then
    NGINX_SKIP_REASON="the openssl CLI is not installed (apt-get install openssl)"
    echo "nginx_tls.sh: $NGINX_SKIP_REASON" >&2
    return 1
  fi
  mkdir -p "$dir"
  (
    set -e
    cd "$dir"
    for ca in ca wrong_ca; do
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout $ca.key -out $ca.pem -days 2 -subj "/CN=incarne $ca" 2>/dev/null
    done
    openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
      -keyout server.key -out server.csr -subj "/CN=test.incarne" 2>/dev/null
    printf '%s\n' 'subjectAltName=DNS:test.incarne,IP:127.0.0.1' 'basicConstraints=CA:FALSE' \
      'keyUsage=digitalSignature' 'extendedKeyUsage=serverAuth' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
      -out server.pem -days 2 -extfile server.ext 2>/dev/null
  ) || {
    NGINX_SKIP_REASON="openssl could not make the test certificates"
    echo "nginx_tls.sh: $NGINX_SKIP_REASON" >&2
    return 1
  }
}

_nginx_tls_write_config() {
  local dir=$1 port=$2 certs=$3 protocols=$4 user_line=""
  [ "$(id -u)" -eq 0 ] && user_line="user root;"
  cat >"$dir/nginx.conf" <<EOT
$user_line
daemon on;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 20000; }
http {
    log_format tls '\$ssl_protocol \$ssl_server_name \$ssl_session_reused \$status';
    access_log $([ "${NGINX_TLS_ACCESS_LOG:-}" = off ] && echo off || echo "$dir/access.log tls");
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 75s;
    default_type text/plain;
    server {
        listen 127.0.0.1:$port ssl reuseport backlog=4096;
        ssl_certificate $certs/server.pem;
        ssl_certificate_key $certs/server.key;
        ssl_protocols $protocols;
        ssl_session_tickets on;
        ssl_session_cache off;
        root $dir/www;
        location = / { return 200 "ok"; }
        location = /sni {
            if (\$ssl_server_name != "test.incarne") { return 421; }
            return 200 "\$ssl_server_name";
        }
        location = /proto {
            if (\$ssl_protocol = "TLSv1.2") { return 212; }
            if (\$ssl_protocol = "TLSv1.3") { return 213; }
            return 299;
        }
        location = /reused {
            if (\$ssl_session_reused = "r") { return 203; }
            return 200 "full";
        }
        location = /close { keepalive_timeout 0; return 200 "ok"; }
        location = /nginx_status { stub_status; }
    }
}
EOT
}

# nginx_tls_start CERT_DIR "TLSv1.2 TLSv1.3": see the top of the file.
nginx_tls_start() {
  local certs=$1 protocols=$2 nginx_bin port tries i
  nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
  if [ ! -x "$nginx_bin" ]; then
    NGINX_SKIP_REASON="nginx is not installed (apt-get install nginx-light)"
    echo "nginx_tls.sh: $NGINX_SKIP_REASON" >&2
    return 1
  fi
  NGINX_HAVE_V6=0
  NGINX_PORT=
  NGINX_DIR=$(mktemp -d "${TMPDIR:-/tmp}/incarne-nginx-tls.XXXXXX")
  mkdir -p "$NGINX_DIR/tmp" "$NGINX_DIR/www"
  for tries in 1 2 3 4 5; do
    port=$(_nginx_free_port v4) || continue
    _nginx_tls_write_config "$NGINX_DIR" "$port" "$certs" "$protocols"
    if "$nginx_bin" -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/error.log" \
        2>>"$NGINX_DIR/start.log"; then
      NGINX_PORT=$port
      break
    fi
  done
  if [ -z "$NGINX_PORT" ]; then
    NGINX_SKIP_REASON="nginx (TLS) did not start: $(tail -n 3 "$NGINX_DIR/start.log" "$NGINX_DIR/error.log" 2>/dev/null | tr '\n' ' ')"
    echo "nginx_tls.sh: $NGINX_SKIP_REASON" >&2
    return 1
  fi
  _nginx_started
  if command -v curl >/dev/null && ! curl -fsSk --max-time 5 -o /dev/null \
      "https://127.0.0.1:$NGINX_PORT/"; then
    NGINX_SKIP_REASON="nginx (TLS) started but does not answer on port $NGINX_PORT"
    echo "nginx_tls.sh: $NGINX_SKIP_REASON" >&2
    nginx_stop
    return 1
  fi
  if [ "${NGINX_NO_TRAP:-0}" != 1 ]; then
    trap nginx_stop EXIT
  fi
  return 0
}

# nginx_tls_requests: requests nginx counted so far (stub_status over HTTPS), or empty.
nginx_tls_requests() {
  curl -fsSk --max-time 5 "https://127.0.0.1:$NGINX_PORT/nginx_status" 2>/dev/null |
    awk 'NR == 3 { print $3 }'
}
