# Source-able helpers for the phantom drop-in tests (after lib/http_common.sh and nginx_start:
# uses ROOT, WORK and NGINX_PORT):
#   make_stpd FILE RECORDS STEP_MS
#   make_conf OUT STREAM...   a phantom.conf from Tank's template (tests/data/phantom/tank.conf)
# stpd as Tank's stepper writes it: "<size> <ts_ms> <tag>\n<request>\n"; every 10th request
# asks for a missing page (404); record 5 is untagged ("<size> <ts> \n").
make_stpd() {  # FILE RECORDS STEP_MS
  python3 - "$@" <<'PY'
import sys
path, n, step = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, "wb") as f:
    for i in range(n):
        uri, tag = ("/missing", "miss") if i % 10 == 0 else ("/", "ok")
        if i == 5:
            tag = ""
        req = f"GET {uri} HTTP/1.1\r\nHost: tank\r\nConnection: keep-alive\r\n\r\n".encode()
        f.write(b"%d %d %s\n" % (len(req), i * step, tag.encode()) + req + b"\n")
PY
}

# make_conf OUT STREAMS... where each stream is ADDRESS:IPV6(0|1):STPD:ANSW_LEVEL(or -)
make_conf() {
  python3 - "$ROOT/tests/data/phantom/tank.conf" "$NGINX_PORT" "$WORK" "$@" <<'PY'
import re, sys
tpl, port, work, out = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
streams = sys.argv[5:]
text = open(tpl).read()
start = text.index("io_t benchmark_io = io_benchmark_t {")
end = text.index("setup_t stat_setup")
head, block, tail = text[:start], text[start:end], text[end:]
head = head.replace('"phantom_x.log"', f'"{work}/phantom.log"')
blocks = []
for i, s in enumerate(streams):
    addr, v6, stpd, level = s.split("|")
    name = "benchmark_io" if i == 0 else f"benchmark_io{i}"
    b = block.replace("io_t benchmark_io =", f"io_t {name} =")
    b = b.replace("method_stream_ipv4_t", "method_stream_ipv6_t" if v6 == "1" else "method_stream_ipv4_t")
    b = b.replace("address = 127.0.0.1", f"address = {addr}").replace("port = 8080", f"port = {port}")
    b = b.replace('"ammo.stpd"', f'"{stpd}"').replace('"phout_x.log"', f'"{work}/phout.log"')
    b = b.replace('"answ_x.log"', f'"{work}/answ_{name}.log"')
    b = b.replace("timeout = 11000", "timeout = 5000")
    if level != "-":
        b = b.replace("# level = none", f"level = {level}").replace("# benchmark_logger", "benchmark_logger")
    blocks.append(b)
names = " ".join("benchmark_io" if i == 0 else f"benchmark_io{i}" for i in range(len(streams)))
tail = tail.replace("list = { main_scheduler benchmark_io  }", f"list = {{ main_scheduler {names} }}")
tail = tail.replace('"phantom_stat_x.log"', f'"{work}/stat.log"')
open(out, "w").write(head + "".join(blocks) + tail)
PY
}
