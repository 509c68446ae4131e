#!/bin/bash
# target.source_ips: connections are bound round-robin to the pool (IP_BIND_ADDRESS_NO_PORT).
# A small Python server on 127.0.0.1 records the peer address of every connection; the
# loopback network accepts any 127.x.y.z source.
#   tests/integration/http_source_ips.sh build/src/incarne
. "${INCARNE_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/integration/lib/http_common.sh" "$@"

python3 - "$WORK/port" "$WORK/peers" <<'PY' &
import os, socket, socketserver, sys
port_file, peers_file = sys.argv[1], sys.argv[2]
class H(socketserver.BaseRequestHandler):
    def handle(self):
        with open(peers_file, "a") as f:
            f.write(self.client_address[0] + "\n")
        buf = b""
        while b"\r\n\r\n" not in buf:
            data = self.request.recv(65536)
            if not data:
                return
            buf += data
        # One request per connection: the reply closes it.
        self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
class S(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
s = S(("127.0.0.1", 0), H)
open(port_file + ".tmp", "w").write(str(s.server_address[1]))
os.rename(port_file + ".tmp", port_file)
s.serve_forever()
PY
SINK_PID=$!
for _ in $(seq 1 100); do
  [ -s "$WORK/port" ] && break
  sleep 0.05
done
[ -s "$WORK/port" ] || fail "the recording server did not start"

# One instance, a new connection per hit (the server closes): 12 connections, taking the
# pool in turn.
PLAN_INSTANCES=1 PLAN_THREADS=1 PLAN_LIMIT=12 \
  write_plan src "127.0.0.1:$(cat "$WORK/port")" "const(1, 10s)" instances
sed -i 's/^\[target\]$/[target]\nsource_ips = ["127.0.0.2", "127.0.0.3", "127.0.0.4"]/' "$WORK/src.toml"
run_plan src
expect_eq "$(hits_get src overall.proto_codes.200)" 12 "src: replies 200"
for ip in 127.0.0.2 127.0.0.3 127.0.0.4; do
  expect_eq "$(grep -c "^$ip\$" "$WORK/peers")" 4 "src: connections from $ip"
done
echo PASS
