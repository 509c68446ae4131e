#!/bin/bash
# packaging/container/Containerfile: what can be checked without a container runtime — the
# base image, that the COPY source is the package scripts/package names, that the entrypoint
# is the binary the package installs (and, with a dist/ package at hand, that it is in it),
# and that the tools the pods' script uses are in debian:12-slim's essential set. Builds the
# image only when a container runtime answers (none on the project's CI box).
#   tests/integration/k8s_containerfile.sh build/src/incarne
set -u
ROOT=${INCARNE_SOURCE_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
CF=$ROOT/packaging/container/Containerfile
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
ok() { echo "ok: $*"; }

[ -f "$CF" ] || fail "$CF is missing"
grep -qx 'FROM debian:12-slim' "$CF" || fail "the base is not debian:12-slim"
ok "FROM debian:12-slim"

# COPY: one source, a glob of the package scripts/package writes (docs/packaging.md), and
# not the -dev package.
copy=$(sed -n 's/^COPY \([^ ]*\) .*/\1/p' "$CF")
[ "$copy" = "incarne_*.deb" ] || fail "COPY source '$copy', expected incarne_*.deb"
grep -q 'incarne_<version>_<arch>.deb' "$ROOT/scripts/package" ||
  fail "scripts/package no longer names incarne_<version>_<arch>.deb"
case "incarne-dev_0.1_all.deb" in incarne_*.deb) fail "the glob takes the -dev package" ;; esac
case "incarne_0.1_amd64.deb" in incarne_*.deb) ;; *) fail "the glob misses the package" ;; esac
ok "COPY takes dist/incarne_<version>_<arch>.deb (build context dist/)"

entry=$(sed -n 's/^ENTRYPOINT \["\([^"]*\)".*/\1/p' "$CF")
[ "$entry" = /usr/bin/incarne ] || fail "ENTRYPOINT '$entry', expected /usr/bin/incarne"
grep -qx 'usr/bin/incarne' "$ROOT/packaging/debian/incarne.install" ||
  fail "the package does not install usr/bin/incarne"
ok "ENTRYPOINT is /usr/bin/incarne, which the package installs"

deb=$(ls "$ROOT"/dist/incarne_*.deb 2>/dev/null | head -n 1)
if [ -n "$deb" ] && command -v dpkg-deb >/dev/null; then
  dpkg-deb -c "$deb" | grep -q ' \./usr/bin/incarne$' || fail "$deb has no ./usr/bin/incarne"
  ok "$deb holds ./usr/bin/incarne"
else
  echo "note: no dist/incarne_*.deb (scripts/package makes it): package contents not checked"
fi

# The pods' script (src/cli/k8s.cc PodScript) needs sh, tar, gzip, base64, kill, wait: all
# Essential in Debian 12 (dash, tar, gzip, coreutils), so in debian:12-slim.
for p in dash tar gzip coreutils; do
  [ "$(dpkg-query -W -f='${Essential}' "$p" 2>/dev/null)" = yes ] ||
    fail "$p is not Essential here: is it in debian:12-slim?"
done
ok "sh, tar, gzip and base64 come from Essential packages"

for rt in podman docker buildah; do
  if command -v "$rt" >/dev/null && timeout 10 "$rt" info >/dev/null 2>&1 && [ -n "$deb" ]; then
    tag=incarne-containerfile-test:$$
    "$rt" build -f "$CF" -t "$tag" "$ROOT/dist" || fail "$rt build failed"
    "$rt" run --rm "$tag" --version | grep -q '^incarne ' || fail "the image's incarne --version"
    "$rt" rmi "$tag" >/dev/null 2>&1
    ok "built with $rt; incarne --version runs in it"
    exit 0
  fi
done
echo "note: no container runtime answers here (podman/docker/buildah): the image was not built"
exit 0
