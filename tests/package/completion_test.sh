#!/bin/bash
# The bash completion (packaging/completion/incarne) against the built binary's help texts:
# commands, sub-commands, options per command, option values, and the files each argument
# takes (*.toml plans, *.yaml Tank configs, *.ammo, *.conf, run directories).
#   tests/package/completion_test.sh build/src/incarne
# Skips (77) without bash-completion (scripts/install-deps installs it).
set -u
export LC_ALL=C
INCARNE=$(cd "$(dirname "${1:?usage: $0 path/to/incarne}")" && pwd)/$(basename "$1")
ROOT=${INCARNE_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BASH_COMPLETION=/usr/share/bash-completion/bash_completion
if [ ! -f "$BASH_COMPLETION" ]; then
  echo "SKIP: $BASH_COMPLETION is missing (apt install bash-completion)"
  exit 77
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/incarne-comp.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# incarne and phantom on PATH, as installed (phantom is a link).
mkdir -p "$WORK/bin" "$WORK/files/run1" "$WORK/files/run2"
ln -s "$INCARNE" "$WORK/bin/incarne"
ln -s "$INCARNE" "$WORK/bin/phantom"
touch "$WORK/files/plan.toml" "$WORK/files/load.yaml" "$WORK/files/x.ammo" \
  "$WORK/files/tank.conf" "$WORK/files/notes.txt"

# expect WANT WORDS...: completing the last of WORDS (as typed, in $WORK/files) offers WANT
# (the candidates sorted, space-separated).
expect() {
  local want=$1 got
  shift
  got=$(cd "$WORK/files" && PATH="$WORK/bin:$PATH" bash -c '
    args=("$@"); . "$0"; . "${args[0]}"
    COMP_WORDS=("${args[@]:1}"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
    _incarne; printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " " | sed "s/ $//"' \
    "$BASH_COMPLETION" "$ROOT/packaging/completion/incarne" "$@")
  [ "$got" = "$want" ] || fail "completing '$*': expected '$want', got '$got'"
  echo "ok: '$*' -> $got"
}

commands=$("$INCARNE" --help | sed -n 's/^  \([a-z][a-z0-9-]*\)  .*/\1/p' | sort | tr '\n' ' ')
[ -n "$commands" ] || fail "incarne --help lists no commands"
expect "--help --version ${commands% }" incarne ""
expect "report run" incarne r
expect "compile convert dump inspect" incarne ammo ""
expect "collect render" incarne k8s ""
expect "plan.toml run1 run2" incarne k8s render ""
expect "check run" incarne phantom ""
expect "check run" phantom ""
expect "plan.toml run1 run2" incarne run ""
expect "plan.toml run1 run2" incarne check --set a=b ""
expect "load.yaml run1 run2" incarne run --tank ""
expect "run1 run2" incarne report ""
expect "run1 run2" incarne merge run1 ""
expect "run1 run2 x.ammo" incarne ammo inspect ""
expect "run1 run2 tank.conf" phantom run ""
expect "run1 run2 tank.conf" incarne phantom check ""
expect "hlog jsonl jtl phout vegeta" incarne convert run1 --to ""
expect "instances rps" incarne schedule x --model ""
expect "ms ns us" incarne schedule x --unit ""
expect "lag latency service" incarne convert run1 --hist ""
expect "connection request" incarne sink --fault-per ""
expect "" incarne run plan.toml --set ""
expect "--ammo-out --autocases --body --ca --connections --duration --header --https-insecure --method --out --print-plan --rate --schedule --set --shard --start-at --tank --threads --timeout" incarne run --
expect "--json" incarne report --j
# Every option a command's help names is offered for that command.
for c in $commands; do
  opts=$("$INCARNE" "$c" --help | grep -oE -- '(^|[][ ,(|])--[a-z][a-z0-9-]*' | sed 's/^[][ ,(|]//' |
    sort -u | tr '\n' ' ')
  expect "${opts% }" incarne "$c" --
done
echo "ok: bash completion"
