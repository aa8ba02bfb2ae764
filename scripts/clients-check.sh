#!/usr/bin/env bash
# S3 clients people use, against ./leasehold serve: rclone (copy, check, sync, a multipart
# upload), s3cmd (put, get, sync, multipart, --acl-public read back without a signature, and
# --storage-class refused at once rather than retried), and the AWS SDK for JavaScript v3 (scripts/js/check.mjs: checksums
# read back, multipart, a presigned PUT with metadata). Starts its own site on free ports in a
# temporary directory and stops it at the end. Needs Debian's rclone, s3cmd and nodejs/npm (see
# scripts/test), and npm's registry for the SDK (installed once into target/js-check).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$root/scripts/lib/site.sh"
for tool in /usr/bin/rclone /usr/bin/s3cmd node npm; do
  command -v "$tool" >/dev/null || { echo "clients-check: $tool not found" >&2; exit 1; }
done

work=$(mktemp -d)
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "clients-check: FAILED: $*" >&2; exit 1; }

export LEASEHOLD_ACCESS_KEY=CLIENTSCHECKACCESSKEY LEASEHOLD_SECRET_KEY=clients-check-secret-key-0123456789ab
"$root/leasehold" serve --data-dir "$work/data" --s3-port 0 --admin-port 0 --chunk-size 1MiB \
  >"$work/serve.out" 2>"$work/serve.err" &
server=$!
endpoint=$(await_endpoint "$server" "$work/serve.out" "$work/serve.err") || exit 1
[ -n "$endpoint" ] || fail "the site did not start"
echo "clients-check: site at $endpoint" >&2
host=${endpoint#http://}

# A tree of files, one large enough to go up in parts.
mkdir -p "$work/tree/sub/deeper"
for f in a.txt sub/b.txt "sub/deeper/c d.txt" "sub/ünïcödé.txt"; do echo "content of $f" >"$work/tree/$f"; done
head -c $((12 * 1024 * 1024)) /dev/urandom >"$work/tree/big.bin"

# rclone, configured by environment (provider Other: path style, Signature V4).
export RCLONE_CONFIG_LH_TYPE=s3 RCLONE_CONFIG_LH_PROVIDER=Other RCLONE_CONFIG_LH_ENDPOINT=$endpoint
export RCLONE_CONFIG_LH_ACCESS_KEY_ID=$LEASEHOLD_ACCESS_KEY
export RCLONE_CONFIG_LH_SECRET_ACCESS_KEY=$LEASEHOLD_SECRET_KEY RCLONE_CONFIG_LH_REGION=us-east-1
# (Without AWS_CA_BUNDLE: rclone's SDK fails to start with one set, even for plain HTTP.)
rc() { timeout 300 env -u AWS_CA_BUNDLE /usr/bin/rclone --config /dev/null --s3-upload-cutoff 5M --s3-chunk-size 5M \
  --retries 1 --low-level-retries 1 "$@"; }
rc mkdir lh:rclone-check
rc copy "$work/tree" lh:rclone-check/tree
rc check "$work/tree" lh:rclone-check/tree || fail "rclone check after copy"
echo "changed" >"$work/tree/a.txt"
rm "$work/tree/sub/b.txt"
rc sync "$work/tree" lh:rclone-check/tree
rc check "$work/tree" lh:rclone-check/tree || fail "rclone check after sync"
rc lsf -R lh:rclone-check/tree >"$work/lsf.out"
grep -q "^sub/b.txt$" "$work/lsf.out" && fail "rclone sync left a deleted file"
rc copy lh:rclone-check/tree "$work/rclone-back"
diff -r "$work/tree" "$work/rclone-back" || fail "rclone copy down does not match"
rc purge lh:rclone-check
echo "clients-check: rclone copy, check, sync (multipart 12 MiB), copy down, purge passed" >&2

# s3cmd, path style (host_bucket without %(bucket)s).
cat >"$work/s3cfg" <<CFG
[default]
access_key = $LEASEHOLD_ACCESS_KEY
secret_key = $LEASEHOLD_SECRET_KEY
host_base = $host
host_bucket = $host
use_https = False
signature_v2 = False
bucket_location = us-east-1
CFG
s3c() { timeout 300 /usr/bin/s3cmd -c "$work/s3cfg" --no-progress --multipart-chunk-size-mb=5 "$@"; }
s3c mb s3://s3cmd-check
s3c put "$work/tree/big.bin" s3://s3cmd-check/big.bin
# (s3cmd shows the MD5 it stores in its own metadata, not the ETag: ask the aws CLI for that.)
etag=$(AWS_ACCESS_KEY_ID=$LEASEHOLD_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$LEASEHOLD_SECRET_KEY \
  AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
  timeout 60 /usr/bin/aws --endpoint-url "$endpoint" s3api head-object --bucket s3cmd-check \
  --key big.bin --query ETag --output text)
[[ "$etag" == *-3* ]] || fail "s3cmd did not upload the 12 MiB file in 3 parts (ETag $etag)"
s3c get s3://s3cmd-check/big.bin "$work/s3cmd-big"
cmp "$work/tree/big.bin" "$work/s3cmd-big" || fail "s3cmd get of the multipart object does not match"
s3c sync "$work/tree/" s3://s3cmd-check/tree/
s3c ls -r s3://s3cmd-check/tree/ >"$work/ls.out"
grep -q "sub/deeper/c d.txt$" "$work/ls.out" || fail "s3cmd sync did not upload: $(cat "$work/ls.out")"
# --acl-public makes the object readable by anyone: an unsigned GET reads it, and not its neighbour.
s3c put --acl-public "$work/tree/a.txt" s3://s3cmd-check/public.txt
code=$(curl -s -o "$work/public.out" -w '%{http_code}' "$endpoint/s3cmd-check/public.txt")
[ "$code" = 200 ] && cmp -s "$work/tree/a.txt" "$work/public.out" ||
  fail "an unsigned GET of the object s3cmd put with --acl-public answered $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$endpoint/s3cmd-check/big.bin")
[ "$code" = 403 ] || fail "an unsigned GET of a private object answered $code"
# What the site does not do is refused at once, not retried for 45 s as a 501 was.
for flags in "--storage-class=STANDARD_IA"; do
  started=$(date +%s)
  if s3c put $flags "$work/tree/a.txt" s3://s3cmd-check/refused.txt >"$work/refused.out" 2>&1; then
    fail "s3cmd put $flags was accepted"
  fi
  took=$(( $(date +%s) - started ))
  [ "$took" -lt 15 ] || fail "s3cmd put $flags took ${took}s (retried)"
  grep -Eq "InvalidStorageClass" "$work/refused.out" ||
    fail "s3cmd put $flags: $(cat "$work/refused.out")"
done
s3c del --recursive --force s3://s3cmd-check >/dev/null
s3c rb s3://s3cmd-check
echo "clients-check: s3cmd put/get (multipart), sync, --acl-public, a refusal without retries, del, rb passed" >&2

# The AWS SDK for JavaScript v3, installed from npm once per checkout.
js="$root/target/js-check"
if [ ! -f "$js/node_modules/@aws-sdk/client-s3/package.json" ] \
    || ! cmp -s "$root/scripts/js/package.json" "$js/package.json"; then
  mkdir -p "$js"
  cp "$root/scripts/js/package.json" "$js/"
  (cd "$js" && timeout 600 npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi
cp "$root/scripts/js/check.mjs" "$js/"
AWS_ACCESS_KEY_ID=$LEASEHOLD_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$LEASEHOLD_SECRET_KEY \
  AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
  timeout 300 node "$js/check.mjs" "$endpoint" js-check
