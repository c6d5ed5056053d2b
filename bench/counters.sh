#!/usr/bin/env bash
# The counters behind bench/certgen.sh, for krtool new-selfsigned and openssl req -x509 (ECDSA P-256)
# side by side. Unlike wall time they barely move while other work shares the cores:
#   task-clock and page faults   perf stat -r RUNS (each run in a clean folder)
#   instructions                 valgrind --tool=callgrind (user space, exact; the PMU may be absent)
#   system calls                 strace -c -f
# Tools that are not installed are skipped (perf: linux-perf; valgrind; strace). Development aid only.
# Usage: bench/counters.sh [RUNS] (default 50); KRTOOL_BIN overrides build/bin/krtool.
set -euo pipefail
runs=${1:-50}
root=$(cd "$(dirname "$0")/.." && pwd)
krtool=$(realpath "${KRTOOL_BIN:-$root/build/bin/krtool}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

krtool_cmd=("$krtool" new-selfsigned --dns bench --key-type ecdsa --curve p256 --out c.pem)
openssl_cmd=(openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=bench
             -addext subjectAltName=DNS:bench -days 365 -keyout c.key -out c.pem)
clean="rm -f $work/c.pem $work/c.key"

for name in krtool openssl; do
  declare -n cmd="${name}_cmd"
  echo "== $name"
  if command -v perf >/dev/null; then
    perf stat -r "$runs" -e task-clock,page-faults --pre "$clean" -- "${cmd[@]}" 2>&1 >/dev/null |
      grep -E 'task-clock|page-faults|elapsed' | sed 's/^ */  /'
  fi
  if command -v valgrind >/dev/null; then
    $clean
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "${cmd[@]}" 2>&1 >/dev/null |
      sed -n 's/.*Collected : \([0-9]*\)/  \1 instructions (callgrind)/p'
  fi
  if command -v strace >/dev/null; then
    $clean
    strace -c -f -o syscalls.txt "${cmd[@]}" >/dev/null 2>&1
    awk '$NF == "total" {print "  " $4 " system calls, " (NF == 6 ? $5 : 0) " failed (strace -c)"}' syscalls.txt
  fi
done
