# Source-able helpers for the udp and external-nib integration tests, on top of
# http_common.sh (INCARNE, ROOT, WORK, run_plan, hits_get, hits_count, expect_*, start_sink):
#   . "$INCARNE_SOURCE_ROOT/tests/integration/lib/udp_common.sh" "$1"
# Adds free_port, start_bg, write_net_plan and write_lines_ammo.
. "${INCARNE_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/integration/lib/http_common.sh" "$@"

BG_PIDS=
_udp_cleanup() {
  local p
  for p in $BG_PIDS; do
    kill -- "-$p" 2>/dev/null || kill "$p" 2>/dev/null  # its process group (socat's forks)
    wait "$p" 2>/dev/null
  done
  _http_cleanup
}
trap _udp_cleanup EXIT

# free_port udp|tcp: a port the kernel just handed out on 127.0.0.1 (bound and released).
free_port() {
  python3 - "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
PY
}

# start_bg NAME CMD...: runs CMD in the background in a process group of its own (the group
# is stopped at exit, forked children too); sets BG_PID.
start_bg() {
  local name=$1
  shift
  setsid "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  BG_PID=$!
  BG_PIDS="$BG_PIDS $BG_PID"
}

# wait_listening udp|tcp PORT: until something is bound to 127.0.0.1:PORT (5 s at most).
wait_listening() {
  local i flag=-ltn
  [ "$1" = udp ] && flag=-lun
  for i in $(seq 1 100); do
    ss -H "$flag" "sport = :$2" 2>/dev/null | grep -q . && return 0
    sleep 0.05
  done
  fail "nothing listens on $1 port $2"
}

# write_lines_ammo FILE N: N phantom records "line-<i>", every even one ending in "\n" and
# every odd one without (tag "t").
write_lines_ammo() {
  python3 - "$1" "$2" <<'PY'
import sys
with open(sys.argv[1], "wb") as f:
    for i in range(int(sys.argv[2])):
        body = b"line-%d" % i + (b"\n" if i % 2 == 0 else b"")
        f.write(b"%d t\n" % len(body) + body + b"\n")
PY
}

# write_net_plan NAME ADDRESS NIB AMMO SCHEDULE — rps model; PLAN_INSTANCES, PLAN_THREADS,
# PLAN_TIMEOUT as in write_plan; extra TOML can be appended with `cat >>`.
write_net_plan() {
  cat >"$WORK/$1.toml" <<EOT
[target]
address = "$2"
nib = "$3"
timeout = "${PLAN_TIMEOUT:-2s}"

[ammo]
file = "$4"
format = "phantom"

[load]
schedule = "$5"
instances = ${PLAN_INSTANCES:-50}

[workers]
threads = ${PLAN_THREADS:-2}
EOT
}
