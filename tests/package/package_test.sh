#!/bin/bash
# The Debian packages end to end (docs/packaging.md), suite `package` (slow: a release build):
# scripts/package builds them; lintian reports no error and only the warnings
# docs/packaging.md keeps; their contents and control fields are checked against the lists
# below; then they are installed on this machine and, from the installed files only:
# `incarne --version`, man incarne, `phantom check|run` of a Tank phantom.conf, `incarne run` of
# the installed example plan against `incarne sink`, the example nib built with
# `cc $(pkg-config --cflags incarne-nib)` and loaded, the completion and the Taurus module.
# They are purged at the end (also on failure), and purge must leave nothing but the system
# user, which this test then removes if it created it.
#   tests/package/package_test.sh build/src/incarne     (root; the argument is not used)
# Skips (77) unless root with dpkg, debhelper and lintian, or when incarne is already installed
# here (a package, /usr/bin/incarne, /etc/incarne or /var/lib/incarne): the test would replace
# or purge what is there.
. "${INCARNE_SOURCE_ROOT:-$(dirname "$0")/../..}/tests/integration/lib/udp_common.sh" \
  /usr/bin/incarne
. "$ROOT/tests/integration/lib/phantom_conf.sh"

[ "$(id -u)" -eq 0 ] || skip "not root: the install test installs and purges the package"
for tool in dpkg dpkg-deb dpkg-buildpackage dh lintian man pkg-config cc git socat; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (scripts/install-deps)"
done
git -C "$ROOT" rev-parse --git-dir >/dev/null 2>&1 || skip "$ROOT is not a git checkout"
if dpkg-query -W -f='${Status}' incarne incarne-dev 2>/dev/null | grep -q installed; then
  skip "a package incarne or incarne-dev is installed here; the test would replace and purge it"
fi
for p in /usr/bin/incarne /usr/bin/phantom /etc/incarne /var/lib/incarne; do
  [ -e "$p" ] && skip "$p exists; the test would overwrite or purge it"
done
if grep -hs '^path-exclude' /etc/dpkg/dpkg.cfg.d/* | grep -qE '/usr/share/(doc|man)'; then
  skip "dpkg excludes /usr/share/doc or /usr/share/man here (/etc/dpkg/dpkg.cfg.d)"
fi

base=$(sed -n "s/^ *version: *'\([^']*\)',.*/\1/p" "$ROOT/meson.build" | head -n 1)
user_existed=0
getent passwd incarne >/dev/null && user_existed=1
INSTALLED=0

# ---- cleanup: purge (even on failure), then the helpers' cleanup ---------------------------
_package_cleanup() {
  local rc=$?
  if [ "$INSTALLED" = 1 ]; then
    dpkg_locked dpkg --purge incarne-dev incarne || cat "$WORK/dpkg.log" >&2
    INSTALLED=0
  fi
  if [ "$user_existed" = 0 ] && getent passwd incarne >/dev/null; then
    userdel incarne 2>/dev/null
    getent group incarne >/dev/null && groupdel incarne 2>/dev/null
  fi
  _udp_cleanup
  exit $rc
}
trap _package_cleanup EXIT

# ---- build ----------------------------------------------------------------------------------
echo "building the packages (scripts/package; log: $ROOT/build-deb/build.log)"
# noopt (-O0): the packaging is under test, not the optimizer; half the compile time in CI.
# clang when it is installed (scripts/install-deps installs it): at -O0 -g it compiles this
# code in ~0.6× gcc's CPU time (docs/packaging.md "Tests"); scripts/package alone uses gcc.
compiler=()
if command -v clang >/dev/null && command -v clang++ >/dev/null; then
  # DWARF 4: Debian 12's dwz (dh_dwz) does not read clang 14's DWARF 5 (.debug_addr).
  compiler=(CC="${CC:-clang}" CXX_PACKAGE="${CXX_PACKAGE:-clang++}"
    DEB_CFLAGS_APPEND="-gdwarf-4 ${DEB_CFLAGS_APPEND:-}"
    DEB_CXXFLAGS_APPEND="-gdwarf-4 ${DEB_CXXFLAGS_APPEND:-}")
fi
env "${compiler[@]}" DEB_BUILD_OPTIONS="noopt ${DEB_BUILD_OPTIONS:-}" DIST_DIR=$WORK/dist \
  "$ROOT/scripts/package" >"$WORK/package.log" 2>&1 || {
  cat "$WORK/package.log" >&2
  fail "scripts/package failed"
}
cat "$WORK/package.log"
DEB=$(ls "$WORK"/dist/incarne_*.deb)
DEV=$(ls "$WORK"/dist/incarne-dev_*_all.deb)
[ -f "$DEB" ] && [ -f "$DEV" ] || fail "dist/ lacks incarne_*.deb or incarne-dev_*_all.deb"
version=$(dpkg-deb -f "$DEB" Version)
case $version in
  "$base" | "$base"[~+]git*) echo "ok: version $version (meson.build: $base)" ;;
  *) fail "version $version does not start with meson.build's $base" ;;
esac

# ---- lintian: no error; every warning is one docs/packaging.md keeps -------------------------
lintian --fail-on error --tag-display-limit 0 "$DEB" "$DEV" >"$WORK/lintian.txt" 2>&1
lintian_rc=$?
cat "$WORK/lintian.txt"
[ $lintian_rc -eq 0 ] || fail "lintian exited $lintian_rc (errors above)"
for tag in $(sed -n 's/^W: [^:]*: \([a-z0-9-]*\).*/\1/p' "$WORK/lintian.txt" | sort -u); do
  grep -q -- "\`$tag\`" "$ROOT/docs/packaging.md" ||
    fail "lintian warning $tag is not among the ones docs/packaging.md keeps (with a reason)"
done
echo "ok: lintian: no errors, $(grep -c '^W:' "$WORK/lintian.txt") warnings, all documented"

# ---- contents -------------------------------------------------------------------------------
# expect_contents DEB LIST: every path of LIST is in the package (`path -> target` for links).
expect_contents() {
  dpkg-deb -c "$1" | awk '{ $1 = $2 = $3 = $4 = $5 = ""; sub(/^ +/, ""); print }' |
    sed 's|^\./|/|; s|/$||' >"$WORK/contents.txt"
  local line
  while IFS= read -r line; do
    [ -z "$line" ] && continue
    grep -qxF -- "$line" "$WORK/contents.txt" || {
      cat "$WORK/contents.txt" >&2
      fail "$(basename "$1") lacks: $line"
    }
  done
  echo "ok: $(basename "$1"): $(wc -l <"$WORK/contents.txt") entries, the expected ones in"
}
expect_contents "$DEB" <<'EOF'
/usr/bin/incarne
/usr/bin/phantom -> incarne
/etc/incarne/incarned.toml
/lib/systemd/system/incarne.service
/lib/systemd/system/incarne.path
/usr/lib/tmpfiles.d/incarne.conf
/usr/lib/sysusers.d/incarne.conf
/usr/share/man/man1/incarne.1.gz
/usr/share/man/man1/phantom.1.gz -> incarne.1.gz
/usr/share/bash-completion/completions/incarne
/usr/share/bash-completion/completions/phantom -> incarne
/usr/share/doc/incarne/copyright
/usr/share/doc/incarne/changelog.gz
/usr/share/doc/incarne/README.md
/usr/share/doc/incarne/design.md
/usr/share/doc/incarne/plan.md
/usr/share/doc/incarne/phantom.md
/usr/share/doc/incarne/packaging.md
/usr/share/doc/incarne/taurus.md
/usr/share/doc/incarne/examples/dummy.toml
/usr/share/doc/incarne/examples/example.toml
/usr/share/doc/incarne/examples/sink.toml
/usr/share/doc/incarne/examples/taurus/incarne-module.yml
/usr/lib/python3/dist-packages/incarne_bzt/__init__.py
/usr/lib/python3/dist-packages/incarne_bzt/executor.py
/usr/lib/python3/dist-packages/incarne_bzt/logic.py
/usr/lib/python3/dist-packages/incarne_bzt/readers.py
/usr/lib/python3/dist-packages/incarne_bzt/bzt-configs.json
/usr/lib/python3/dist-packages/incarne_bzt/10-incarne.yml
EOF
# Nothing of the build, the tests or the SDK in the runtime package.
if grep -E '_test$|_fuzz$|\.a$|/include/|\.pc$|libnib_' "$WORK/contents.txt"; then
  fail "incarne holds build, test or SDK files (above)"
fi
expect_contents "$DEV" <<'EOF'
/usr/include/incarne/nib.h
/usr/share/pkgconfig/incarne-nib.pc
/usr/share/doc/incarne-dev/copyright
/usr/share/doc/incarne-dev/examples/example.c
EOF

dpkg-deb -I "$DEB" >"$WORK/info.txt"
for dep in liburing2 libwolfssl libtomlplusplus3 libabsl libyaml-cpp libc6 libstdc++6; do
  dpkg-deb -f "$DEB" Depends | grep -q "$dep" || { cat "$WORK/info.txt"; fail "Depends lacks $dep"; }
done
expect_eq "$(dpkg-deb -f "$DEB" Package)/$(dpkg-deb -f "$DEB" Architecture)" \
  "incarne/$(dpkg --print-architecture)" "incarne: Package/Architecture"
dpkg-deb -f "$DEB" Static-Built-Using | grep -q '^dygraphs (= ' || fail "no Static-Built-Using: dygraphs"
expect_eq "$(dpkg-deb -I "$DEB" conffiles | tr -d '\n')" "/etc/incarne/incarned.toml" "conffiles"
expect_eq "$(dpkg-deb -f "$DEV" Architecture)" all "incarne-dev: Architecture"
echo "ok: control: $(dpkg-deb -f "$DEB" Depends)"

# ---- install ----------------------------------------------------------------------------------
# dpkg_locked CMD...: CMD, retried while another apt or dpkg holds the dpkg lock (5 min at most).
dpkg_locked() {
  local i rc
  for i in $(seq 1 60); do
    "$@" >"$WORK/dpkg.log" 2>&1
    rc=$?
    grep -qiE 'lock|locked' "$WORK/dpkg.log" && [ $rc -ne 0 ] || return $rc
    sleep 5
  done
  return $rc
}
# dpkg -i, not apt: the Depends are already here (the build needed them) and a test never
# reaches the network; a missing one fails the install with dpkg's message.
INSTALLED=1
dpkg_locked dpkg -i "$DEB" "$DEV" || { cat "$WORK/dpkg.log" >&2; fail "installing the packages failed"; }
echo "ok: installed $version"

export PATH=/usr/sbin:/usr/bin:/sbin:/bin  # the installed files only
cd "$WORK" || fail "cd $WORK"
expect_eq "$(command -v incarne) $(command -v phantom)" "/usr/bin/incarne /usr/bin/phantom" "on PATH"
expect_eq "$(incarne --version)" "incarne $base" "incarne --version"

# Installing starts nothing: the path unit is enabled (for the next boot), the service is not,
# and no incarne runs.
[ -L /etc/systemd/system/paths.target.wants/incarne.path ] || fail "incarne.path is not enabled"
[ -e /etc/systemd/system/multi-user.target.wants/incarne.service ] && fail "incarne.service is enabled"
pgrep -x -f '/usr/bin/incarne daemon.*' >/dev/null && fail "an incarne daemon runs after install"
getent passwd incarne >/dev/null || fail "no system user incarne (sysusers.d)"
expect_eq "$(stat -c %U /var/lib/incarne/spool)" incarne "spool owner (tmpfiles.d)"
expect_eq "$(find /var/lib/incarne/spool -type f | wc -l)" 0 "files in the spool"

# The man page: found by man, renders, and names every command.
expect_eq "$(man -w incarne)" /usr/share/man/man1/incarne.1.gz "man -w incarne"
MANWIDTH=100 LC_ALL=C.UTF-8 man -l /usr/share/man/man1/incarne.1.gz >"$WORK/man.txt" 2>"$WORK/man.err" ||
  fail "man -l incarne.1.gz failed: $(cat "$WORK/man.err")"
for w in SYNOPSIS DESCRIPTION COMMANDS "EXIT STATUS" "incarne run PLAN.toml" "incarne ammo compile"; do
  grep -qF -- "$w" "$WORK/man.txt" || fail "man incarne lacks '$w'"
done
for c in $(incarne --help | sed -n 's/^  \([a-z][a-z0-9-]*\)  .*/\1/p'); do
  grep -qE "^   $c\$" "$WORK/man.txt" || fail "man incarne has no COMMANDS subsection $c"
done
[ -s "$WORK/man.err" ] && fail "man -l warned: $(cat "$WORK/man.err")"
echo "ok: man incarne renders ($(wc -l <"$WORK/man.txt") lines), every command in it"

# The completion, as bash-completion loads it.
comp() {  # WORDS... (the last one is being completed) → the candidates, one line
  bash -c '. /usr/share/bash-completion/bash_completion
    . /usr/share/bash-completion/completions/incarne
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
    _incarne; echo "${COMPREPLY[*]}"' comp "$@"
}
expect_eq "$(comp incarne ru)" run "completion: incarne ru"
expect_eq "$(comp phantom ch)" check "completion: phantom ch"
echo "ok: completion"

# Taurus: the module imports from Debian's python3 path (without bzt, the logic does).
python3 -c 'import incarne_bzt.logic, os; print(os.path.dirname(incarne_bzt.logic.__file__))' \
  >"$WORK/taurus.txt" 2>&1 || fail "import incarne_bzt.logic: $(cat "$WORK/taurus.txt")"
expect_eq "$(cat "$WORK/taurus.txt")" /usr/lib/python3/dist-packages/incarne_bzt "taurus module"

# The installed example plan against the installed sink.
start_sink
incarne run /usr/share/doc/incarne/examples/sink.toml --set "target.address=$SINK_ADDR" \
  --set 'load.schedule=const(100, 2s)' --set workers.threads=2 --out "$WORK/sink-run" \
  >"$WORK/sink-run.log" 2>&1 || { tail "$WORK/sink-run.log" >&2; fail "incarne run sink.toml"; }
expect_eq "$(hits_get sink-run hits)" 200 "example sink.toml: hits"
expect_eq "$(hits_get sink-run overall.proto_codes.200)" 200 "example sink.toml: 200 OK"

# phantom check and run of a Tank phantom.conf (tests/data) against the sink.
NGINX_PORT=${SINK_ADDR##*:}
make_stpd "$WORK/ammo.stpd" 20 10
make_conf "$WORK/tank.conf" "127.0.0.1|0|$WORK/ammo.stpd|-"
phantom check "$WORK/tank.conf" 2>"$WORK/check.err"
expect_eq "$?" 0 "phantom check: exit status"
expect_eq "$(stat -c %s "$WORK/check.err")" 0 "phantom check: stderr bytes"
phantom run "$WORK/tank.conf" >"$WORK/phantom-run.log" 2>&1 ||
  { tail "$WORK/phantom-run.log" >&2; fail "phantom run"; }
expect_eq "$(wc -l <"$WORK/phout.log")" 20 "phantom run: phout lines"
stop_sink

# The example nib, built against incarne-dev through pkg-config and loaded by incarne.
expect_eq "$(pkg-config --modversion incarne-nib)" "$base" "pkg-config --modversion incarne-nib"
# shellcheck disable=SC2046
cc $(pkg-config --cflags incarne-nib) -std=c11 -O2 -Wall -Werror -shared -fPIC \
  -fvisibility=hidden -o "$WORK/libnib_example.so" /usr/share/doc/incarne-dev/examples/example.c ||
  fail "the example nib does not build against incarne-dev"
PORT=$(free_port tcp)
start_bg lines socat "TCP4-LISTEN:$PORT,bind=127.0.0.1,fork,reuseaddr" PIPE
wait_listening tcp "$PORT"
write_lines_ammo "$WORK/lines.txt" 40
PLAN_INSTANCES=4 write_net_plan nib "127.0.0.1:$PORT" ./libnib_example.so "$WORK/lines.txt" \
  "const(100, 1s)"
run_plan nib
expect_eq "$(hits_get nib hits)" 100 "example nib: hits"
expect_eq "$(hits_count nib 'net_code == 0 and size_in == size_out')" 100 "example nib: echoed"
grep -q "nib example" "$WORK/nib/incarne.log" || fail "incarne.log does not name the example nib"

# ---- purge: nothing is left but the system user -----------------------------------------------
listing=$(dpkg -L incarne incarne-dev)
dpkg_locked dpkg --purge incarne-dev incarne || { cat "$WORK/dpkg.log" >&2; fail "purge"; }
INSTALLED=0
left=""
for p in $(printf '%s\n' "$listing" | grep '^/' | sort -u) /etc/incarne /var/lib/incarne \
  /run/incarne /etc/systemd/system/paths.target.wants/incarne.path; do
  case $p in /usr | /usr/* | /lib | /lib/* | /etc | /etc/* | /var/* | /run/*) ;; *) continue ;; esac
  # Shared folders (/usr/bin, /usr/share/man/man1, ...) stay; only what is incarne's counts.
  [[ $p == *incarne* || $p == */phantom* ]] || continue
  if [ -e "$p" ] || [ -L "$p" ]; then left="$left $p"; fi
done
[ -z "$left" ] || fail "purge left:$left"
echo "ok: purge left nothing (system user incarne: kept by policy, removed by this test if it made it)"
echo "ok: the packages build, lint, install, run and purge"
