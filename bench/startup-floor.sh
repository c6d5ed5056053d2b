#!/usr/bin/env bash
# Where the gap between `krtool new-selfsigned` and `openssl req -x509` (bench/certgen.sh) comes from:
# the floor that loading a program's libraries sets before main() runs. It builds programs whose main()
# does nothing, linked against more and more of what krtool loads, and times them beside the real
# commands:
#   c-libssl           a C program that loads libssl and libcrypto (what openssl loads)
#   c++-runtime        the same in C++: libstdc++, libm, libgcc_s, and Debian's libfmt
#   + libkrtool        krtool's certificate library
#   + libkrtool_net    krtool's network library (serve, test-client) with http_parser and zlib
#   krtool --version   the real program, started and stopped
#   openssl version    the same for openssl
#   new-selfsigned / openssl req   the certificate of bench/certgen.sh (ECDSA P-256)
# Wall-time medians (bash's clock), task-clock and page faults (perf stat, when installed), every row
# taking its turn in each round so that other load slows all rows alike. Development aid only.
# Usage: bench/startup-floor.sh [RUNS] (default 41); KRTOOL_BIN overrides build/bin/krtool.
set -euo pipefail
runs=${1:-41}
root=$(cd "$(dirname "$0")/.." && pwd)
krtool=$(realpath "${KRTOOL_BIN:-$root/build/bin/krtool}")
libdir=$(cd "$(dirname "$krtool")/../lib" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

printf 'int main(void) { return 0; }\n' >empty.c
printf '#include <string>\nint main(int argc, char**) { return std::string(argc, 42).size() == 99; }\n' >empty.cpp
# --no-as-needed keeps the libraries that main() does not call, as krtool's commands call them.
gcc -O2 empty.c -o c-libssl -Wl,--no-as-needed -lssl -lcrypto
g++ -O2 empty.cpp -o c++-runtime -Wl,--no-as-needed -lssl -lcrypto -lfmt
g++ -O2 empty.cpp -o +libkrtool -Wl,--no-as-needed -L"$libdir" -Wl,-rpath,"$libdir" -lkrtool -lssl -lcrypto \
  -lfmt
g++ -O2 empty.cpp -o +libkrtool_net -Wl,--no-as-needed -L"$libdir" -Wl,-rpath,"$libdir" -lkrtool_net -lkrtool \
  -lssl -lcrypto -lfmt

rows=(c-libssl c++-runtime +libkrtool +libkrtool_net krtool-version openssl-version new-selfsigned openssl-req)
# command_of ROW: sets the array `cmd` to the row's command line.
command_of() {
  case "$1" in
    krtool-version) cmd=("$krtool" --version) ;;
    openssl-version) cmd=(openssl version) ;;
    new-selfsigned) cmd=("$krtool" new-selfsigned --dns bench --key-type ecdsa --curve p256 --out c.pem) ;;
    openssl-req)
      cmd=(openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=bench
        -addext subjectAltName=DNS:bench -days 365 -keyout c.key -out c.pem)
      ;;
    *) cmd=("./$1") ;;
  esac
}
# once ROW: one wall-time run, then one perf stat run, of the row's command, each in a folder without
# the certificate files.
once() {
  local cmd start end
  command_of "$1"
  rm -f c.pem c.key
  start=${EPOCHREALTIME/[.,]/}
  "${cmd[@]}" >/dev/null 2>&1
  end=${EPOCHREALTIME/[.,]/}
  echo $((end - start)) >>"$1.wall"
  if [ "$have_perf" = yes ]; then
    rm -f c.pem c.key
    perf stat -x, -e task-clock,page-faults -o stat.csv -- "${cmd[@]}" >/dev/null 2>&1
    awk -F, '$3 == "task-clock" {t = $1} $3 == "page-faults" {f = $1} END {print t, f}' stat.csv >>"$1.perf"
  fi
}
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

have_perf=$(command -v perf >/dev/null && echo yes || echo no)
for row in "${rows[@]}"; do once "$row"; : >"$row.wall"; : >"$row.perf"; done  # warm the page cache
for i in $(seq "$runs"); do
  for row in "${rows[@]}"; do once "$row"; done
done

printf '%-16s %10s %14s %12s   (medians of %d runs)\n' row wall-ms task-clock-ms page-faults "$runs"
for row in "${rows[@]}"; do
  wall=$(median <"$row.wall" | awk '{printf "%.2f", $1 / 1000}')
  if [ "$have_perf" = yes ]; then
    clock=$(awk '{print $1}' "$row.perf" | median)
    faults=$(awk '{print $2}' "$row.perf" | median)
  else
    clock=-
    faults=-
  fi
  printf '%-16s %10s %14s %12s\n' "$row" "$wall" "$clock" "$faults"
done
