#!/usr/bin/env bash
# The release archive on its own (docs/operations.md, Installing): unpacks target/leasehold-*.tar.gz
# into a fresh directory, away from the source tree, and checks that bin/leasehold prints the
# version and commit it was built from, that the archive holds the licenses of the bundled
# libraries, that `bin/leasehold serve` passes the aws CLI check (scripts/awscli-check.sh with the
# unpacked launcher), and that SIGTERM stops it with exit status 0.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
archive=$(ls -t "$root"/target/leasehold-*.tar.gz 2>/dev/null | head -n 1 || true)
[ -n "$archive" ] || { echo "release-check: no target/leasehold-*.tar.gz (run mvn package)" >&2; exit 1; }
fail() { echo "release-check: FAILED: $*" >&2; exit 1; }

work=$(mktemp -d)
server=""
cleanup() {
  [ -n "$server" ] && kill -9 "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

tar -xzf "$archive" -C "$work"
home=$(ls -d "$work"/leasehold-*/)
home=${home%/}
echo "release-check: unpacked $(basename "$archive") into $home" >&2

# What is inside: the launcher, one jar, the example configuration, the licenses.
[ -x "$home/bin/leasehold" ] || fail "bin/leasehold is missing or not executable"
[ -f "$home/lib/leasehold.jar" ] || fail "lib/leasehold.jar is missing"
[ -f "$home/config/site.yaml" ] || fail "config/site.yaml is missing"
[ -s "$home/licenses/bom.json" ] || fail "licenses/bom.json is missing"
[ -s "$home/licenses/BUNDLED-LIBRARIES.txt" ] || fail "licenses/BUNDLED-LIBRARIES.txt is missing"
! grep -q "mvn\|pom.xml" "$home/bin/leasehold" || fail "bin/leasehold refers to the build"

# The version it prints is the build's, with the commit when built from a clone.
version=$(cd "$work" && "$home/bin/leasehold" --version)
expected=$(basename "$home")
expected=${expected#leasehold-}
[[ "$version" == "leasehold $expected (commit "* ]] || fail "--version printed '$version'"
if commit=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null); then
  [[ "$version" == *"(commit $commit)" ]] || fail "--version printed '$version', not commit $commit"
fi
echo "release-check: $version" >&2

[ -f "$home/config/coordinator.yaml" ] || fail "config/coordinator.yaml is missing"

# The container image's entry command (deploy/container/Containerfile: ENTRYPOINT and CMD), outside
# a container: /opt/leasehold is the unpacked archive, /etc/leasehold its config/; with --check it
# loads the settings the image starts with (config/site.yaml) and exits.
entry=$(python3 - "$root/deploy/container/Containerfile" "$home" <<'PY'
import json, re, shlex, sys
text = open(sys.argv[1]).read()
entry = json.loads(re.search(r"(?m)^ENTRYPOINT (\[.*\])$", text).group(1))
cmd = json.loads(re.search(r"(?m)^CMD (\[.*\])$", text).group(1))
mapped = [a.replace("/opt/leasehold", sys.argv[2]).replace("/etc/leasehold", sys.argv[2] + "/config")
          for a in entry + cmd]
print(shlex.join(mapped))
PY
)
echo "release-check: the image's entry command here: $entry --check" >&2
(cd "$work" && eval "$entry --check" >/dev/null) || fail "the image's entry command with --check"

# The aws CLI check, with the unpacked launcher run from a directory outside the source tree.
(cd "$work" && LEASEHOLD_BIN="$home/bin/leasehold" "$root/scripts/awscli-check.sh") ||
  fail "the aws CLI check against bin/leasehold serve"

# SIGTERM: a graceful stop, exit status 0.
(cd "$work" && exec "$home/bin/leasehold" serve --data-dir "$work/data" --s3-port 0 --admin-port 0 \
  >"$work/serve.out" 2>"$work/serve.err") &
server=$!
. "$root/scripts/lib/site.sh"
endpoint=$(await_endpoint "$server" "$work/serve.out" "$work/serve.err") || exit 1
kill -TERM "$server"
status=0
wait "$server" || status=$?
server=""
[ "$status" -eq 0 ] || { cat "$work/serve.err" >&2; fail "SIGTERM: exit status $status, not 0"; }
grep -q "Site - stopped$" "$work/serve.err" || fail "no clean 'stopped' line after SIGTERM"
echo "release-check: passed (the archive serves, passes the aws CLI check, stops with 0)" >&2
