#!/bin/bash
# Tank's instances stpd, fired as phantom does (load.model = "stpd", a finite load.instances):
# the stepper writes one record per instance start (ts 0, 105, ..., 2000 ms for line(1, 20,
# 2s)) and then every other record at ts 0. A free instance takes the next record and waits
# for its time, so the instances come up one by one over the ramp and each loops as fast as
# its replies come (the sink answers 10 ms late): hits flow from the first second on, with
# fewer than 20 in flight until the ramp ends. Fired strictly in file order (before), the
# ts-0 records waited behind the ts-2000 one: ~10 hits in the first second, then a burst.
# The same stpd through `incarne phantom run` with Tank's template (instances = 20), read as
# Tank reads it: the stat log's mmtasks (in flight at most, per second) grows over the ramp.
#   tests/integration/stpd_instances.sh build/src/incarne
. "${INCARNE_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/integration/lib/http_common.sh" "$@"

start_sink --fault slow=10ms
python3 - "$WORK/ammo.stpd" <<'PY'
import sys
req = b"GET / HTTP/1.1\r\nHost: test\r\n\r\n"
with open(sys.argv[1], "wb") as f:
    times = [round(i * 2000 / 19) for i in range(20)] + [0] * 3000
    for t in times:
        f.write(b"%d %d inst\n" % (len(req), t) + req + b"\n")
PY
cat >"$WORK/inst.toml" <<EOT
[target]
address = "$SINK_ADDR"
nib = "http"
timeout = "5s"

[ammo]
file = "$WORK/ammo.stpd"

[load]
model = "stpd"
instances = 20

[workers]
threads = 1
EOT
run_plan inst
expect_eq "$(hits_get inst overall.proto_codes.200)" 3020 "inst: replies 200"
read -r hits0 inflight0 inflight_end <<<"$(python3 - "$WORK/inst/stats.jsonl" <<'PY'
import json, sys
secs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(secs[0]["overall"]["hits"], secs[0]["inflight_max"], max(s["inflight_max"] for s in secs))
PY
)"
# Second 0: instances 1..10 active, ~100 hits/s each at 10 ms per hit.
expect_ge "$hits0" 200 "inst: hits in the first second"
expect_le "$inflight0" 12 "inst: in flight at most in the first second"
expect_eq "$inflight_end" 20 "inst: in flight at most once the ramp is done"

# Through the phantom drop-in, as Tank runs it.
NGINX_PORT=${SINK_ADDR##*:}
. "$ROOT/tests/integration/lib/phantom_conf.sh"
make_conf "$WORK/inst.conf" "127.0.0.1|0|$WORK/ammo.stpd|-"
sed -i 's/^\tinstances = 1000 *$/\tinstances = 20/' "$WORK/inst.conf"
grep -q '^	instances = 20$' "$WORK/inst.conf" || fail "the template's instances line was not found"
"$INCARNE" phantom run "$WORK/inst.conf" >"$WORK/phantom.out" 2>"$WORK/phantom.err" ||
  { tail -n 20 "$WORK/phantom.err" >&2; fail "phantom run failed"; }
expect_eq "$(wc -l <"$WORK/phout.log")" 3020 "phantom run: phout lines"
read -r -a mm < <(python3 "$ROOT/tests/integration/lib/phantom_logs.py" stat-series \
  "$WORK/stat.log") || fail "stat log is malformed"
echo "phantom run: mmtasks max per second: ${mm[*]}"
[ "${#mm[@]}" -ge 3 ] || fail "phantom run: fewer than 3 stat records"
expect_le "${mm[0]}" 12 "phantom run: mmtasks max in the first second"
top=0
for n in "${mm[@]}"; do [ "$n" -gt "$top" ] && top=$n; done
expect_eq "$top" 20 "phantom run: mmtasks max once the ramp is done"
echo PASS
