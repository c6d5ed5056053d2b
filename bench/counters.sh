#!/usr/bin/env bash
# The counters behind bench/certgen.sh, for krtool new-selfsigned and openssl req -x509 (ECDSA P-256)
# side by side. Unlike wall time they barely move while other work shares the cores:
#   task-clock and page faults   perf stat, one run at a time, the two commands taking turns; medians
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
names=(krtool openssl)

# perf_once NAME: one run under perf stat; appends its task-clock (ms) and page faults to NAME.perf.
perf_once() {
  declare -n cmd="$1_cmd"
  rm -f c.pem c.key
  perf stat -x, -e task-clock,page-faults -o stat.csv -- "${cmd[@]}" >/dev/null 2>&1
  awk -F, '$3 == "task-clock" {t = $1} $3 == "page-faults" {f = $1} END {print t, f}' stat.csv >>"$1.perf"
}
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

if command -v perf >/dev/null; then
  for name in "${names[@]}"; do : >"$name.perf"; perf_once "$name"; : >"$name.perf"; done  # warm-up
  for i in $(seq "$runs"); do
    if [ $((i % 2)) -eq 1 ]; then perf_once krtool; perf_once openssl; else perf_once openssl; perf_once krtool; fi
  done
fi

for name in "${names[@]}"; do
  declare -n cmd="${name}_cmd"
  echo "== $name"
  if [ -f "$name.perf" ]; then
    echo "  $(cut -d' ' -f1 "$name.perf" | median) ms task-clock, $(cut -d' ' -f2 "$name.perf" | median) page faults" \
         "(perf stat, median of $runs, taking turns)"
  fi
  if command -v valgrind >/dev/null; then
    rm -f c.pem c.key
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "${cmd[@]}" 2>&1 >/dev/null |
      sed -n 's/.*Collected : \([0-9]*\)/  \1 instructions (callgrind)/p'
  fi
  if command -v strace >/dev/null; then
    rm -f c.pem c.key
    strace -c -f -o syscalls.txt "${cmd[@]}" >/dev/null 2>&1
    awk '$NF == "total" {print "  " $4 " system calls, " (NF == 6 ? $5 : 0) " failed (strace -c)"}' syscalls.txt
  fi
done
