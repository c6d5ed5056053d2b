#!/usr/bin/env bash
# Wall time of krtool new-selfsigned against the equivalent `openssl req -x509` for the same certificate
# (ECDSA P-256 and RSA 2048: self-signed, SAN, 365 days, key + certificate files), median of N runs.
# Target: krtool's ECDSA P-256 median no slower than openssl's (ratio <= 1.00).
# Usage: bench/certgen.sh [RUNS] (default 31); KRTOOL_BIN overrides build/bin/krtool.
set -euo pipefail
runs=${1:-31}
root=$(cd "$(dirname "$0")/.." && pwd)
krtool=$(realpath "${KRTOOL_BIN:-$root/build/bin/krtool}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# median_ms CMD...: runs CMD $runs times (after one warm-up) in fresh files and prints the median in ms.
median_ms() {
  "$@" >/dev/null 2>&1; rm -f c.pem c.key
  local times=()
  for _ in $(seq "$runs"); do
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s%N)
    rm -f c.pem c.key
    times+=($(( (end - start) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.2f\n", a[int((NR+1)/2)]/1000}'
}

openssl_ec() { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=bench \
  -addext subjectAltName=DNS:bench -days 365 -keyout c.key -out c.pem; }
openssl_rsa() { openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=bench \
  -addext subjectAltName=DNS:bench -days 365 -keyout c.key -out c.pem; }
krtool_ec() { "$krtool" new-selfsigned --dns bench --key-type ecdsa --curve p256 --out c.pem; }
krtool_rsa() { "$krtool" new-selfsigned --dns bench --key-type rsa --key-length 2048 --out c.pem; }

printf '%-14s %12s %12s %8s   (median of %d runs, ms)\n' key krtool openssl ratio "$runs"
status=0
for kind in ec rsa; do
  k=$(median_ms "krtool_$kind")
  o=$(median_ms "openssl_$kind")
  ratio=$(awk -v k="$k" -v o="$o" 'BEGIN {printf "%.2f", k / o}')
  label=$([ "$kind" = ec ] && echo "ECDSA P-256" || echo "RSA 2048")
  printf '%-14s %12s %12s %8s\n' "$label" "$k" "$o" "$ratio"
  if [ "$kind" = ec ] && awk -v r="$ratio" 'BEGIN {exit !(r > 1.0)}'; then status=1; fi
done
[ "$status" -eq 0 ] && echo "target met: ECDSA P-256 ratio <= 1.00" || echo "target missed: ECDSA P-256 ratio > 1.00"
exit "$status"
