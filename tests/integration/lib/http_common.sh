# Source-able helpers for the nib-http integration tests:
#   . "$INCARNE_SOURCE_ROOT/tests/integration/lib/http_common.sh" "$1"
# Sets INCARNE (the binary), ROOT, WORK (a temp dir removed at exit, nginx stopped too), and
# defines write_plan, run_plan, hits_get, hits_count, hits_stat, expect_eq, expect_ge, fail.
set -u
INCARNE=${1:?usage: $0 path/to/incarne}
ROOT=${INCARNE_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
NGINX_NO_TRAP=1
. "$ROOT/tests/integration/lib/nginx.sh"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/incarne-it.XXXXXX")
_http_cleanup() {
  nginx_stop
  if [ -n "${SINK_PID:-}" ]; then
    kill "$SINK_PID" 2>/dev/null
    wait "$SINK_PID" 2>/dev/null
  fi
  rm -rf "$WORK"
}
trap _http_cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
skip() {
  echo "SKIP: $*"
  exit 77
}
expect_eq() {  # ACTUAL EXPECTED WHAT
  [ "$1" = "$2" ] || fail "$3: expected $2, got $1"
  echo "ok: $3 = $1"
}
expect_ge() {  # ACTUAL MIN WHAT
  awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }' || fail "$3: expected >= $2, got $1"
  echo "ok: $3 = $1 (>= $2)"
}
expect_le() {  # ACTUAL MAX WHAT
  awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }' || fail "$3: expected <= $2, got $1"
  echo "ok: $3 = $1 (<= $2)"
}

# write_plan NAME ADDRESS SCHEDULE [MODEL] — then append more TOML to "$WORK/NAME.toml"
# with `cat >>`; sections [target], [ammo], [load] are open for keys in this order, so extra
# keys go into a new section header ([target.http], [results], ...).
write_plan() {
  local name=$1 address=$2 schedule=$3 model=${4:-rps}
  local ammo='uris = ["/"]' headers='["Host: test"]'
  [ -n "${PLAN_AMMO:-}" ] && ammo=$PLAN_AMMO
  [ -n "${PLAN_HEADERS:-}" ] && headers=$PLAN_HEADERS
  cat >"$WORK/$name.toml" <<EOT
[target]
address = "$address"
nib = "http"
timeout = "${PLAN_TIMEOUT:-5s}"
family = "${PLAN_FAMILY:-any}"

[ammo]
$ammo
headers = $headers
http_version = "${PLAN_HTTP_VERSION:-1.1}"
limit = ${PLAN_LIMIT:-0}

[load]
model = "$model"
schedule = "$schedule"
instances = ${PLAN_INSTANCES:-1000}

[workers]
threads = ${PLAN_THREADS:-2}
EOT
}

# run_plan NAME: runs it into $WORK/NAME; fails the test unless incarne exits 0.
run_plan() {
  local name=$1 rc
  "$INCARNE" run "$WORK/$name.toml" --out "$WORK/$name" >"$WORK/$name.log" 2>&1
  rc=$?
  if [ $rc -ne 0 ]; then
    tail -n 20 "$WORK/$name.log" >&2
    fail "incarne run $name exited $rc"
  fi
}

hits_get() { python3 "$ROOT/tests/integration/lib/hits.py" get "$INCARNE" "$WORK/$1" "$2"; }
hits_count() { python3 "$ROOT/tests/integration/lib/hits.py" count "$INCARNE" "$WORK/$1" "$2"; }
hits_stat() { python3 "$ROOT/tests/integration/lib/hits.py" stat "$INCARNE" "$WORK/$1" "$2" "$3" "${4:-True}"; }

# start_sink ARGS...: `incarne sink --listen 127.0.0.1:0 ARGS` in the background; sets
# SINK_PID and SINK_ADDR (the bound address). Stopped at exit (or by stop_sink).
start_sink() {
  stop_sink
  "$INCARNE" sink --listen 127.0.0.1:0 "$@" >"$WORK/sink.out" 2>"$WORK/sink.err" &
  SINK_PID=$!
  local i
  for i in $(seq 1 200); do
    SINK_ADDR=$(sed -n 's/^listening on //p' "$WORK/sink.out")
    [ -n "$SINK_ADDR" ] && return 0
    kill -0 "$SINK_PID" 2>/dev/null || break
    sleep 0.05
  done
  cat "$WORK/sink.err" >&2
  fail "incarne sink $* did not start"
}
stop_sink() {
  if [ -n "${SINK_PID:-}" ]; then
    kill "$SINK_PID" 2>/dev/null
    wait "$SINK_PID" 2>/dev/null
    SINK_PID=
  fi
}
