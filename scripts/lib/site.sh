# Helpers for scripts that start ./leasehold serve and talk to it. Sourced by scripts/*-check.sh.

# The S3 endpoint a started site prints (its banner in $2), once it does; its stderr ($3) if the
# process ($1) exits first. At most 60 s.
await_endpoint() {
  for _ in $(seq 1 300); do
    grep -q "S3 endpoint" "$2" 2>/dev/null && break
    kill -0 "$1" 2>/dev/null || { cat "$3" >&2; return 1; }
    sleep 0.2
  done
  sed -n 's/^ *S3 endpoint *//p' "$2"
}
