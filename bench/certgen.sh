#!/usr/bin/env bash
# Wall time of krtool new-selfsigned against the equivalent `openssl req -x509` for the same certificate
# (ECDSA P-256 and RSA 2048: self-signed, SAN, 365 days, key + certificate files), median of N runs.
# Target (issue 10): krtool's ECDSA P-256 median within 1.10x of openssl's.
# The two commands take turns (krtool first in odd runs, openssl first in even ones), so that a build
# starting on the shared cores slows both alike. What the time is made of: bench/README.md.
# Usage: bench/certgen.sh [RUNS] (default 31); KRTOOL_BIN overrides build/bin/krtool.
set -euo pipefail
runs=${1:-31}
root=$(cd "$(dirname "$0")/.." && pwd)
krtool=$(realpath "${KRTOOL_BIN:-$root/build/bin/krtool}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

openssl_ec() { openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=bench \
  -addext subjectAltName=DNS:bench -days 365 -keyout c.key -out c.pem; }
openssl_rsa() { openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=bench \
  -addext subjectAltName=DNS:bench -days 365 -keyout c.key -out c.pem; }
krtool_ec() { "$krtool" new-selfsigned --dns bench --key-type ecdsa --curve p256 --out c.pem; }
krtool_rsa() { "$krtool" new-selfsigned --dns bench --key-type rsa --key-length 2048 --out c.pem; }

# time_us CMD...: runs CMD once in a clean folder and prints its wall time in microseconds. Bash's own
# clock ($EPOCHREALTIME), not `date`, so that starting a date process is not part of the time.
time_us() {
  rm -f c.pem c.key
  local start end
  start=${EPOCHREALTIME/[.,]/}
  "$@" >/dev/null 2>&1
  end=${EPOCHREALTIME/[.,]/}
  echo $((end - start))
}

# median_ms FILE: the median of the microsecond values in FILE, in ms.
median_ms() { sort -n "$1" | awk '{a[NR]=$1} END {printf "%.2f\n", a[int((NR+1)/2)]/1000}'; }

printf '%-14s %12s %12s %8s   (median of %d runs, ms)\n' key krtool openssl ratio "$runs"
status=0
for kind in ec rsa; do
  time_us "krtool_$kind" >/dev/null; time_us "openssl_$kind" >/dev/null  # warm the page cache
  : >krtool.times; : >openssl.times
  for i in $(seq "$runs"); do
    if [ $((i % 2)) -eq 1 ]; then
      time_us "krtool_$kind" >>krtool.times; time_us "openssl_$kind" >>openssl.times
    else
      time_us "openssl_$kind" >>openssl.times; time_us "krtool_$kind" >>krtool.times
    fi
  done
  k=$(median_ms krtool.times)
  o=$(median_ms openssl.times)
  ratio=$(awk -v k="$k" -v o="$o" 'BEGIN {printf "%.2f", k / o}')
  label=$([ "$kind" = ec ] && echo "ECDSA P-256" || echo "RSA 2048")
  printf '%-14s %12s %12s %8s\n' "$label" "$k" "$o" "$ratio"
  if [ "$kind" = ec ] && awk -v r="$ratio" 'BEGIN {exit !(r > 1.10)}'; then status=1; fi
done
[ "$status" -eq 0 ] && echo "target met: ECDSA P-256 ratio <= 1.10" || echo "target missed: ECDSA P-256 ratio > 1.10"
exit "$status"
