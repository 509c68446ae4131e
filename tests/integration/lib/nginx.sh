# Source-able helper: a private Debian nginx on loopback for integration tests and benchmarks.
#
#   . "$INCARNE_SOURCE_ROOT/tests/integration/lib/nginx.sh"
#   nginx_start || exit 77          # 127.0.0.1 and [::1] (when the host has IPv6 loopback)
#   curl "http://127.0.0.1:$NGINX_PORT/"
#   nginx_stop                      # also runs at exit unless NGINX_NO_TRAP=1
#
# nginx_start [--v4|--v6|--both] starts `nginx` (Debian nginx-light: no systemd, no files
# outside a temp dir; works as root or not) with a generated config on a free port, one
# worker, access log off. It sets:
#   NGINX_PORT        the port (the same on both addresses)
#   NGINX_DIR         the temp dir (config, logs, docroot); removed by nginx_stop
#   NGINX_PID         the master process, NGINX_WORKER_PID its single worker
#   NGINX_HAVE_V6     1 when it also listens on [::1]
#   NGINX_SKIP_REASON why it could not start (return 77 is then the caller's choice)
# Optional environment: NGINX_WORKER_CPU=N pins the worker to a CPU (benchmarks);
# NGINX_ACCESS_LOG=1 writes NGINX_DIR/access.log, one line per request:
#   "$remote_addr $request_method $request_uri $status $request_length $content_length"
# (the request's bytes with headers and body, and its Content-Length or "-").
# NGINX_WORKER_CONNECTIONS=N (default 20000) for many connections (scripts/bench-peers
# --only scale; the worker's nofile limit is raised to match, which needs the hard limit).
# NGINX_EXTRA_CONF="location … { … }" is added to the server block as written (benchmarks
# that need a location of their own: bench/scenario_session.py's login → token → API).
#
# Locations (all answer GET and HEAD; HEAD replies carry the headers only):
#   /              return 200 "ok"              (Content-Length: 2, keep-alive)
#   /close         return 200 "ok" and close     (Connection: close)
#   /204           return 204
#   /chunked       a 1000-byte text body of unknown length: Transfer-Encoding: chunked to an
#                  HTTP/1.1 request; to an HTTP/1.0 request nginx answers without a length and
#                  closes the connection (the HTTP/1.0 read-to-close reply)
#   /1k.bin /64k.bin /1m.bin   static files of 1024, 65536 and 1048576 bytes (sendfile)
#   /nginx_status  stub_status (the server-side request count for benchmarks)
# nginx always writes an "HTTP/1.1" status line; replies with a literal "HTTP/1.0" status line
# come from the built-in sink instead.

NGINX_PORT=
NGINX_DIR=
NGINX_PID=
NGINX_WORKER_PID=
NGINX_HAVE_V6=0
NGINX_SKIP_REASON=

_nginx_free_port() {
  python3 - "$1" <<'PY'
import socket, sys
fams = [(socket.AF_INET, "127.0.0.1")]
if sys.argv[1] != "v4":
    fams.append((socket.AF_INET6, "::1"))
for _ in range(50):
    s = socket.socket(fams[0][0], socket.SOCK_STREAM)
    s.bind((fams[0][1], 0))
    port = s.getsockname()[1]
    ok = True
    others = []
    for fam, addr in fams[1:]:
        t = socket.socket(fam, socket.SOCK_STREAM)
        try:
            t.bind((addr, port))
        except OSError:
            ok = False
        others.append(t)
    s.close()
    for t in others:
        t.close()
    if ok:
        print(port)
        sys.exit(0)
sys.exit(1)
PY
}

_nginx_have_v6() {
  python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null
}

_nginx_write_config() {
  local dir=$1 port=$2 v4=$3 v6=$4 listen="" user_line="" access="access_log off;"
  [ "$v4" = 1 ] && listen="$listen    listen 127.0.0.1:$port reuseport backlog=4096;
"
  [ "$v6" = 1 ] && listen="$listen    listen [::1]:$port reuseport backlog=4096;
"
  # As root the worker would switch to nobody, who cannot read a 0700 temp dir.
  [ "$(id -u)" -eq 0 ] && user_line="user root;"
  [ "${NGINX_ACCESS_LOG:-0}" = 1 ] && access="log_format incarne '\$remote_addr \$request_method \$request_uri \$status \$request_length \$content_length';
    access_log $dir/access.log incarne;"
  cat >"$dir/nginx.conf" <<EOF
$user_line
daemon on;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
${NGINX_WORKER_CONNECTIONS:+worker_rlimit_nofile $((NGINX_WORKER_CONNECTIONS + 100));}
events { worker_connections ${NGINX_WORKER_CONNECTIONS:-20000}; }
http {
    $access
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 75s;
    default_type application/octet-stream;
    server {
$listen        root $dir/www;
        location = / { return 200 "ok"; }
        location = /close { keepalive_timeout 0; return 200 "ok"; }
        location = /204 { return 204; }
        location = /chunked {
            default_type text/html;
            sub_filter_types *;
            sub_filter_once off;
            sub_filter "zz" "yy";
        }
        location = /nginx_status { stub_status; }
${NGINX_EXTRA_CONF:-}
    }
}
EOF
}

# After nginx returned (daemon on: the master has written its pid): NGINX_PID, NGINX_WORKER_PID
# (the one worker), pinned to $NGINX_WORKER_CPU when that is set. Shared with nginx_tls.sh.
_nginx_started() {
  local i
  NGINX_PID=$(cat "$NGINX_DIR/nginx.pid")
  for i in $(seq 1 100); do
    NGINX_WORKER_PID=$(pgrep -P "$NGINX_PID" | head -n 1)
    [ -n "$NGINX_WORKER_PID" ] && break
    sleep 0.05
  done
  if [ -n "${NGINX_WORKER_CPU:-}" ] && [ -n "$NGINX_WORKER_PID" ]; then
    taskset -p -c "$NGINX_WORKER_CPU" "$NGINX_WORKER_PID" >/dev/null
  fi
}

# nginx_start [--v4|--v6|--both]: see the top of the file. Returns non-zero (with
# NGINX_SKIP_REASON set) when nginx is missing or cannot start.
nginx_start() {
  local want=${1:---both} v4=1 v6=1 nginx_bin port tries
  nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
  if [ ! -x "$nginx_bin" ]; then
    NGINX_SKIP_REASON="nginx is not installed (apt-get install nginx-light)"
    echo "nginx.sh: $NGINX_SKIP_REASON" >&2
    return 1
  fi
  case $want in
    --v4) v6=0 ;;
    --v6) v4=0 ;;
    --both) ;;
    *) echo "nginx_start: unknown option $want" >&2; return 2 ;;
  esac
  if [ "$v6" = 1 ] && ! _nginx_have_v6; then
    if [ "$v4" = 0 ]; then
      NGINX_SKIP_REASON="no IPv6 loopback (::1) on this host"
      echo "nginx.sh: $NGINX_SKIP_REASON" >&2
      return 1
    fi
    v6=0
  fi
  NGINX_HAVE_V6=$v6
  NGINX_DIR=$(mktemp -d "${TMPDIR:-/tmp}/incarne-nginx.XXXXXX")
  mkdir -p "$NGINX_DIR/tmp" "$NGINX_DIR/www"
  # /chunked: 1000 bytes, 10 lines of 99 letters each.
  local i
  for i in 0 1 2 3 4 5 6 7 8 9; do
    printf '%099d\n' 0 | tr 0 a
  done >"$NGINX_DIR/www/chunked"
  head -c 1024 /dev/zero | tr '\0' x >"$NGINX_DIR/www/1k.bin"
  head -c 65536 /dev/zero | tr '\0' x >"$NGINX_DIR/www/64k.bin"
  head -c 1048576 /dev/zero | tr '\0' x >"$NGINX_DIR/www/1m.bin"
  for tries in 1 2 3 4 5; do
    if [ "$v4" = 1 ]; then
      port=$(_nginx_free_port "$([ "$v6" = 1 ] && echo both || echo v4)") || continue
    else
      port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1",0)); print(s.getsockname()[1])')
    fi
    _nginx_write_config "$NGINX_DIR" "$port" "$v4" "$v6"
    if "$nginx_bin" -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/error.log" \
        2>>"$NGINX_DIR/start.log"; then
      NGINX_PORT=$port
      break
    fi
  done
  if [ -z "$NGINX_PORT" ]; then
    NGINX_SKIP_REASON="nginx did not start: $(tail -n 3 "$NGINX_DIR/start.log" "$NGINX_DIR/error.log" 2>/dev/null | tr '\n' ' ')"
    echo "nginx.sh: $NGINX_SKIP_REASON" >&2
    return 1
  fi
  _nginx_started
  # Ready when it answers (the listen sockets exist once nginx returned; this is a check).
  if command -v curl >/dev/null && ! curl -fsS --max-time 5 -o /dev/null \
      "http://$([ "$v4" = 1 ] && echo 127.0.0.1 || echo '[::1]'):$NGINX_PORT/"; then
    NGINX_SKIP_REASON="nginx started but does not answer on port $NGINX_PORT"
    echo "nginx.sh: $NGINX_SKIP_REASON" >&2
    nginx_stop
    return 1
  fi
  if [ "${NGINX_NO_TRAP:-0}" != 1 ]; then
    trap nginx_stop EXIT
  fi
  return 0
}

# Requests nginx counted so far (stub_status), or empty.
nginx_requests() {
  curl -fsS --max-time 5 "http://127.0.0.1:$NGINX_PORT/nginx_status" 2>/dev/null |
    awk 'NR == 3 { print $3 }'
}

# CPU seconds (user+sys) the worker used so far.
nginx_worker_cpu() {
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f\n", ($14 + $15) / hz }' \
    "/proc/$NGINX_WORKER_PID/stat"
}

nginx_stop() {
  if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
    kill -QUIT "$NGINX_PID" 2>/dev/null
    local i
    for i in $(seq 1 100); do
      kill -0 "$NGINX_PID" 2>/dev/null || break
      sleep 0.05
    done
    kill -KILL "$NGINX_PID" 2>/dev/null || true
  fi
  if [ -n "$NGINX_WORKER_PID" ] && kill -0 "$NGINX_WORKER_PID" 2>/dev/null; then
    kill -KILL "$NGINX_WORKER_PID" 2>/dev/null || true
  fi
  NGINX_PID=
  NGINX_WORKER_PID=
  if [ -n "$NGINX_DIR" ] && [ -d "$NGINX_DIR" ]; then
    rm -rf "$NGINX_DIR"
  fi
  NGINX_DIR=
}
