#!/bin/bash
# The phantom drop-in (docs/phantom.md) as Yandex.Tank drives it, against nginx on loopback:
#   a phantom.conf made from Tank's template (tests/data/phantom/tank.conf) with an stpd file:
#   `phantom check` → exit 0 and nothing on stderr (also through a link named `phantom`);
#   `phantom run` → exit 0; phout: one whole line of 12 TAB fields per stpd record, typed as
#   Tank's reader expects; the stat log splits on "\n}," and every piece parses with mmtasks;
#   the answ log (proto_warning) holds exactly the 404 hits; the phantom log has its lines.
#   Two streams (Tank's multi; the second on [::1] when the host has IPv6): one phout, both
#   keys in the stat log, the short stream ends the test. SIGTERM → exit 0. Bad configs → 2.
#   tests/integration/phantom_dropin.sh build/src/incarne
. "${INCARNE_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/integration/lib/http_common.sh" "$@"
LOGS="$ROOT/tests/integration/lib/phantom_logs.py"
export OPENSSL_CONF=/dev/null  # Tank sets it for phantom

nginx_start --both || skip "$NGINX_SKIP_REASON"

. "$ROOT/tests/integration/lib/phantom_conf.sh"

make_stpd "$WORK/ammo.stpd" 300 10
make_conf "$WORK/one.conf" "127.0.0.1|0|$WORK/ammo.stpd|proto_warning"

# ---- check: silent, exit 0 (also through argv[0] = phantom) ----
"$INCARNE" phantom check "$WORK/one.conf" >"$WORK/check.out" 2>"$WORK/check.err"
expect_eq "$?" 0 "check: exit code"
expect_eq "$(stat -c %s "$WORK/check.err")" 0 "check: stderr bytes"
ln -s "$(cd "$(dirname "$INCARNE")" && pwd)/$(basename "$INCARNE")" "$WORK/phantom"
"$WORK/phantom" check "$WORK/one.conf" 2>"$WORK/check2.err"
expect_eq "$?" 0 "phantom check (argv[0]): exit code"
expect_eq "$(stat -c %s "$WORK/check2.err")" 0 "phantom check (argv[0]): stderr bytes"

# ---- run ----
"$WORK/phantom" run "$WORK/one.conf" >"$WORK/run.out" 2>"$WORK/run.err"
rc=$?
[ $rc -eq 0 ] || { tail -n 20 "$WORK/run.err" "$WORK/phantom.log" >&2; fail "run exited $rc"; }
read -r lines n404 nerr < <(python3 "$LOGS" phout "$WORK/phout.log") || fail "phout is malformed"
expect_eq "$lines" 300 "run: phout lines (= stpd records)"
expect_eq "$n404" 30 "run: phout 404 lines"
expect_eq "$nerr" 0 "run: phout net errors"
expect_eq "$(cut -f2 "$WORK/phout.log" | sort | uniq -c | awk '{printf "%s=%s ", $2 == "" ? "-" : $2, $1}')" \
  "-=1 miss=30 ok=269 " "run: phout tags (one untagged record)"
expect_eq "$(awk -F'\t' '$2 == ""' "$WORK/phout.log" | wc -l)" 1 "run: untagged phout lines"
read -r records instances keys < <(python3 "$LOGS" stat "$WORK/stat.log") || fail "stat log is malformed"
expect_ge "$records" 3 "run: stat records"
expect_ge "$instances" 1 "run: max summed mmtasks[2]"
expect_eq "$keys" "benchmark_io" "run: stat stream keys"
read -r entries errors < <(python3 "$LOGS" answ "$WORK/answ_benchmark_io.log" \
    --expect-request "GET /missing HTTP/1.1" --expect-reply "HTTP/1.1 404 Not Found") ||
  fail "answ log is malformed"
expect_eq "$entries" 30 "run: answ entries at proto_warning (= the 404 hits)"
grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} [+-][0-9]{4} \[info\] \[benchmark_io\] finished: 300 hits' \
  "$WORK/phantom.log" || { cat "$WORK/phantom.log" >&2; fail "phantom log lacks the finish line"; }
[ -f "$WORK/phout.log.incarne/benchmark_io/hits" ] || fail "no run directory next to the phout"
echo "ok: run directory $WORK/phout.log.incarne/benchmark_io"

# Run again: the outputs start afresh and the old run directory is replaced.
"$INCARNE" phantom run "$WORK/one.conf" >/dev/null 2>"$WORK/run2.err" || fail "second run failed"
read -r lines _ < <(python3 "$LOGS" phout "$WORK/phout.log")
expect_eq "$lines" 300 "second run: phout lines"

# ---- two streams (Tank's multi): one phout, both keys, the short one ends the test ----
make_stpd "$WORK/long.stpd" 3000 10    # 30 s
make_stpd "$WORK/short.stpd" 100 10    # 1 s
second="127.0.0.1|0"
[ "$NGINX_HAVE_V6" = 1 ] && second="::1|1"
make_conf "$WORK/multi.conf" "127.0.0.1|0|$WORK/long.stpd|-" "$second|$WORK/short.stpd|all"
"$INCARNE" phantom check "$WORK/multi.conf" 2>"$WORK/mcheck.err"
expect_eq "$?" 0 "multi: check exit code"
expect_eq "$(stat -c %s "$WORK/mcheck.err")" 0 "multi: check stderr bytes"
start=$(date +%s)
"$INCARNE" phantom run "$WORK/multi.conf" >"$WORK/multi.out" 2>"$WORK/multi.err"
rc=$?
[ $rc -eq 0 ] || { tail -n 20 "$WORK/multi.err" "$WORK/phantom.log" >&2; fail "multi run exited $rc"; }
expect_le "$(( $(date +%s) - start ))" 15 "multi: seconds (the short stream ends the test)"
read -r lines n404 nerr < <(python3 "$LOGS" phout "$WORK/phout.log") || fail "multi: phout is malformed"
expect_ge "$lines" 101 "multi: phout lines (all 100 of the short stream and some of the long)"
expect_le "$lines" 1000 "multi: phout lines"
read -r records instances keys < <(python3 "$LOGS" stat "$WORK/stat.log") || fail "multi: stat log is malformed"
expect_eq "$keys" "benchmark_io benchmark_io1" "multi: stat stream keys"
read -r entries _ < <(python3 "$LOGS" answ "$WORK/answ_benchmark_io1.log" --expect-reply "HTTP/1.1 ") ||
  fail "multi: answ log is malformed"
expect_eq "$entries" 100 "multi: answ entries of the short stream at level all"
grep -q "benchmark_io1 ended: stopping the other streams" "$WORK/phantom.log" ||
  fail "multi: the phantom log does not say the short stream ended the test"
echo "ok: multi: the short stream stopped the long one"

# ---- SIGTERM: stop, flush, exit 0 ----
make_conf "$WORK/term.conf" "127.0.0.1|0|$WORK/long.stpd|-"
rm -f "$WORK/phout.log"
"$INCARNE" phantom run "$WORK/term.conf" >/dev/null 2>"$WORK/term.err" &
pid=$!
for _ in $(seq 1 200); do
  [ -s "$WORK/phout.log" ] && break
  sleep 0.05
done
[ -s "$WORK/phout.log" ] || fail "term: phout stays empty while running (not written live)"
kill -TERM $pid
wait $pid
expect_eq "$?" 0 "term: exit code after SIGTERM"
read -r lines _ < <(python3 "$LOGS" phout "$WORK/phout.log") || fail "term: phout is malformed"
expect_ge "$lines" 1 "term: phout lines"
expect_le "$lines" 2999 "term: phout lines (stopped early)"

# ---- bad configs: exit 2, FILE:LINE:COL on stderr ----
sed 's/proto=http_proto0/proto=none_proto/' "$WORK/one.conf" >"$WORK/none.conf"
"$INCARNE" phantom check "$WORK/none.conf" 2>"$WORK/bad.err"
expect_eq "$?" 2 "proto_none: exit code"
grep -q "none.conf:[0-9]*:[0-9]*: proto_none_t" "$WORK/bad.err" || { cat "$WORK/bad.err" >&2; fail "proto_none: message"; }
sed "s#$WORK/ammo.stpd#$WORK/nonexistent.stpd#" "$WORK/one.conf" >"$WORK/nostpd.conf"
"$INCARNE" phantom check "$WORK/nostpd.conf" 2>"$WORK/bad.err"
expect_eq "$?" 2 "missing stpd: exit code"
grep -q "nostpd.conf:[0-9]*:[0-9]*: source_log_t: .*nonexistent.stpd" "$WORK/bad.err" || { cat "$WORK/bad.err" >&2; fail "missing stpd: message"; }
printf '5x 0 tag\nGET /\n' >"$WORK/bad.stpd"
sed "s#$WORK/ammo.stpd#$WORK/bad.stpd#" "$WORK/one.conf" >"$WORK/badstpd.conf"
"$INCARNE" phantom run "$WORK/badstpd.conf" 2>"$WORK/bad.err"
expect_eq "$?" 2 "bad stpd: run exit code"
grep -q "badstpd.conf:[0-9]*:[0-9]*: source_log_t: .*bad.stpd" "$WORK/bad.err" || { cat "$WORK/bad.err" >&2; fail "bad stpd: message"; }
echo PASS
