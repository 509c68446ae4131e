#!/bin/bash
# External nibs (docs/nibs.md): nibs/example's libnib_example.so, loaded by a path relative
# to the current directory, runs a line protocol against socat's line echo (exact counts; a
# '\n' appended to records without one; [target.params] reaching the nib). Refused with exit
# 2 before any shot: the same source built with another ABI version (both versions named),
# a path that does not exist, a key the nib does not know, [target.params] for a built-in.
#   tests/integration/nib_external.sh build/src/incarne
# The modules are found in INCARNE_BUILD_ROOT/nibs/example (set by meson), else next to the
# binary's build tree.
. "${INCARNE_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/integration/lib/udp_common.sh" "$@"
command -v socat >/dev/null || skip "socat is not installed (scripts/install-deps)"
BUILD=${INCARNE_BUILD_ROOT:-$(cd "$(dirname "$INCARNE")/.." && pwd)}
MOD=$BUILD/nibs/example/libnib_example.so
BAD=$BUILD/nibs/example/libnib_example_abi999.so
[ -f "$MOD" ] && [ -f "$BAD" ] || skip "$MOD not built (nibs/example needs a C compiler)"
INCARNE=$(cd "$(dirname "$INCARNE")" && pwd)/$(basename "$INCARNE")  # we cd below

# run_fail NAME WHAT...: incarne run must exit 2, leave no run directory, and say WHAT.
run_fail() {
  local name=$1 rc w
  shift
  "$INCARNE" run "$WORK/$name.toml" --out "$WORK/$name" >"$WORK/$name.log" 2>&1
  rc=$?
  expect_eq "$rc" 2 "$name: exit status"
  [ -e "$WORK/$name" ] && fail "$name: left a run directory"
  for w in "$@"; do
    grep -qF -- "$w" "$WORK/$name.log" || { cat "$WORK/$name.log" >&2; fail "$name: no '$w'"; }
  done
  echo "ok: $name: $(head -c 300 "$WORK/$name.log")"
}

write_lines_ammo "$WORK/lines.txt" 60
cp "$MOD" "$BAD" "$WORK/"
cd "$WORK" || fail "cd $WORK"

PORT=$(free_port tcp)
start_bg socat-lines socat "TCP4-LISTEN:$PORT,bind=127.0.0.1,fork,reuseaddr" PIPE
wait_listening tcp "$PORT"

# A path relative to the current directory; 200 hits over 10 kept-alive connections.
PLAN_INSTANCES=10 write_net_plan lines "127.0.0.1:$PORT" ./libnib_example.so "$WORK/lines.txt" \
  "const(200, 1s)"
printf '\n[target.params]\nmax_line = 100\n' >>"$WORK/lines.toml"
run_plan lines
expect_eq "$(hits_get lines hits)" 200 "lines: hits"
expect_eq "$(hits_count lines 'net_code == 0 and proto_code == 0')" 200 "lines: replies"
# Every record went out as one line (odd records got their '\n' appended) and came back whole.
expect_eq "$(hits_count lines 'size_in == size_out')" 200 "lines: reply = the line sent"
expect_eq "$(hits_stat lines sum size_out)" \
  "$(python3 -c 'print(sum(len(b"line-%d\n" % (i % 60)) for i in range(200)))')" "lines: bytes out"
expect_ge "$(hits_count lines 'flags & 1')" 150 "lines: reused connections"
grep -q "nib example" "$WORK/lines/incarne.log" || fail "lines: incarne.log does not name the nib"

# [target.params] reaches the nib: max_line = 3 makes every reply line too long (71).
PLAN_INSTANCES=10 write_net_plan short "127.0.0.1:$PORT" ./libnib_example.so "$WORK/lines.txt" \
  "const(30, 1s)"
printf '\n[target.params]\nmax_line = 3\n' >>"$WORK/short.toml"
run_plan short
expect_eq "$(hits_get short overall.net_codes.71)" 30 "short: net_code 71 (line longer than max_line)"

# Refusals, all before any shot.
write_net_plan abi "127.0.0.1:$PORT" ./libnib_example_abi999.so "$WORK/lines.txt" "const(5, 1s)"
run_fail abi "libnib_example_abi999.so" "nib ABI version 999" "this incarne speaks 1"

write_net_plan missing "127.0.0.1:$PORT" ./no_such_nib.so "$WORK/lines.txt" "const(5, 1s)"
run_fail missing "no_such_nib.so" "No such file or directory" "relative to the current directory"

write_net_plan unknown "127.0.0.1:$PORT" "$WORK/libnib_example.so" "$WORK/lines.txt" "const(5, 1s)"
printf '\n[target.params]\nbogus = "x"\n' >>"$WORK/unknown.toml"
run_fail unknown "nib example" "target.params: unknown key 'bogus'"

write_net_plan builtin "127.0.0.1:$PORT" udp "$WORK/lines.txt" "const(5, 1s)"
printf '\n[target.params]\nmax_line = 3\n' >>"$WORK/builtin.toml"
run_fail builtin "target.params.max_line" "[target.params] is for external nibs"
echo "ok: external nibs load, run, take [target.params] and are refused when they must be"
