#!/usr/bin/env bash
# The aws CLI against ./leasehold serve (or $LEASEHOLD_BIN serve): mb, cp of a 100 MiB file (a multipart upload), ls, sync,
# rm. Then a site over HTTPS with certificates made by ./leasehold certs: the aws CLI and boto3 with
# the namespace's CA bundle, and a client without it refused. Starts its own sites on free ports in
# a temporary directory and stops them at the end.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
aws=/usr/bin/aws   # Debian's aws CLI v2; a pyenv shim may shadow it on PATH
[ -x "$aws" ] || { echo "awscli-check: $aws not found (apt-get install awscli)" >&2; exit 1; }

work=$(mktemp -d)
server=""
secure_server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  [ -n "$secure_server" ] && kill "$secure_server" 2>/dev/null && wait "$secure_server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

export LEASEHOLD_ACCESS_KEY=AWSCLICHECKACCESSKEY LEASEHOLD_SECRET_KEY=awscli-check-secret-key-0123456789abcd
. "$root/scripts/lib/site.sh"
# The launcher to check: the source tree's ./leasehold, or another (scripts/release-check.sh passes
# the release archive's bin/leasehold).
leasehold=${LEASEHOLD_BIN:-$root/leasehold}

"$leasehold" serve --data-dir "$work/data" --s3-port 0 --admin-port 0 --chunk-size 1MiB \
  >"$work/serve.out" 2>"$work/serve.err" &
server=$!
endpoint=$(await_endpoint "$server" "$work/serve.out" "$work/serve.err") || exit 1
[ -n "$endpoint" ] || { echo "awscli-check: the site did not start" >&2; cat "$work/serve.err" >&2; exit 1; }
echo "awscli-check: site at $endpoint" >&2

export AWS_ACCESS_KEY_ID=$LEASEHOLD_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$LEASEHOLD_SECRET_KEY
export AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_EC2_METADATA_DISABLED=true AWS_PAGER=""
s3() { timeout 300 "$aws" --endpoint-url "$endpoint" s3 "$@"; }
fail() { echo "awscli-check: FAILED: $*" >&2; exit 1; }

s3 mb s3://cli-check
s3 ls | grep -q " cli-check$" || fail "ls does not show the new bucket"

head -c $((100 * 1024 * 1024)) /dev/urandom >"$work/big.bin"
s3 cp --no-progress "$work/big.bin" s3://cli-check/big/big.bin

s3 cp --no-progress s3://cli-check/big/big.bin "$work/big.back"
cmp "$work/big.bin" "$work/big.back" || fail "the 100 MiB object came back different"
s3 ls s3://cli-check/big/ | grep -q " 104857600 big.bin$" || fail "ls does not show the 100 MiB object"
etag=$(timeout 60 "$aws" --endpoint-url "$endpoint" s3api head-object --bucket cli-check --key big/big.bin \
  --query ETag --output text)
[[ "$etag" == *-* ]] || fail "the 100 MiB upload was not multipart (ETag $etag)"

mkdir -p "$work/tree/sub/deeper"
for f in a.txt sub/b.txt "sub/deeper/c d.txt"; do echo "content of $f" >"$work/tree/$f"; done
s3 sync --no-progress "$work/tree" s3://cli-check/tree
listing=$(s3 ls --recursive s3://cli-check/tree/)
for f in tree/a.txt tree/sub/b.txt "tree/sub/deeper/c d.txt"; do
  grep -q " $f$" <<<"$listing" || fail "sync did not upload $f"
done
echo "changed" >"$work/tree/a.txt"
s3 sync --no-progress "$work/tree" s3://cli-check/tree | grep -q "a.txt" || fail "sync did not upload the changed file"
s3 sync --no-progress s3://cli-check/tree "$work/tree-back"
diff -r "$work/tree" "$work/tree-back" || fail "sync down does not match"

s3 rm --only-show-errors s3://cli-check/big/big.bin
s3 ls --recursive s3://cli-check/ | grep -q "big.bin" && fail "rm left the object"
s3 rm --only-show-errors --recursive s3://cli-check/tree
[ -z "$(s3 ls --recursive s3://cli-check/)" ] || fail "rm --recursive left objects"
s3 rb s3://cli-check
# The data directory is the site's alone: no file or directory under it is open to group or others.
open_entries=$(find "$work/data" -perm /077 -print)
[ -z "$open_entries" ] || fail "entries of the data directory open to others: $open_entries"
[ -n "$(find "$work/data" -type f -print -quit)" ] || fail "the data directory holds no file"
echo "awscli-check: mb, cp (100 MiB, multipart), ls, sync, rm all passed; data directory 0700/0600" >&2

# Over HTTPS: the namespace's certificates from ./leasehold certs, the site serving S3 with its own.
certs="$work/certs"
"$leasehold" certs create-ca --certs-dir "$certs" >/dev/null
"$leasehold" certs create-node tls-site --certs-dir "$certs" --host 127.0.0.1 >/dev/null
"$leasehold" serve --site tls-site --certs-dir "$certs" --data-dir "$work/secure" \
  --s3-port 0 --admin-port 0 --peer-port 0 >"$work/secure.out" 2>"$work/secure.err" &
secure_server=$!
https=$(await_endpoint "$secure_server" "$work/secure.out" "$work/secure.err") || exit 1
[[ "$https" == https://* ]] || fail "the site with certificates does not serve https ($https)"
grep -q -- "--ca-bundle $certs/ca.crt" "$work/secure.out" || fail "the banner does not name the CA bundle"
tls() { timeout 120 "$aws" --endpoint-url "$https" --ca-bundle "$certs/ca.crt" s3 "$@"; }
tls mb s3://tls-check
echo "over TLS" >"$work/small.txt"
tls cp --no-progress "$work/small.txt" s3://tls-check/small.txt
[ "$(tls cp --no-progress s3://tls-check/small.txt -)" = "over TLS" ] || fail "the aws CLI over HTTPS read back something else"
if timeout 60 "$aws" --endpoint-url "$https" s3 ls >/dev/null 2>"$work/untrusted.err"; then
  fail "the aws CLI without the CA bundle was served"
fi
grep -qi "certificate" "$work/untrusted.err" || fail "the untrusted aws CLI failed for another reason: $(cat "$work/untrusted.err")"
timeout 120 /usr/bin/python3 - "$https" "$certs/ca.crt" <<'PY' || fail "boto3 over HTTPS"
import sys, boto3
s3 = boto3.client("s3", endpoint_url=sys.argv[1], verify=sys.argv[2], region_name="us-east-1")
s3.put_object(Bucket="tls-check", Key="boto3.txt", Body=b"from boto3")
assert s3.get_object(Bucket="tls-check", Key="boto3.txt")["Body"].read() == b"from boto3"
keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="tls-check")["Contents"])
assert keys == ["boto3.txt", "small.txt"], keys
PY
echo "awscli-check: over HTTPS with the namespace's CA bundle: aws CLI and boto3 passed, an untrusting client refused" >&2
