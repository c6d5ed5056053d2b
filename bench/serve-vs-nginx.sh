#!/usr/bin/env bash
# krtool serve against nginx, side by side (issue 11's benchmark; method and results: docs/benchmarks.md).
#
# Both servers get the same certificates (a CA, a server and a client certificate, ECDSA P-256; RSA 2048
# for one scenario, all made with krtool), require a client certificate that chains to that CA, listen on
# loopback and answer the same bytes. Each server is pinned to core 0 (`taskset -c 0`), the load generator
# (bench/loadgen.cpp, krtool_loadgen) to core 1. Every scenario runs krtool, nginx, krtool, nginx, ... (A B
# A B, --runs times, after one short warm-up each); the table gives medians and krtool/nginx ratios of
# completions per server core-second: completions over the CPU time (user + system, from /proc/PID/stat)
# the server used during the measured window, which the generator reads at the window's edges.
#
# Scenarios (--only takes a comma-separated list of these names):
#   full13   new connection, full TLS 1.3 handshake (ECDSA P-256), one GET      16 connections
#   full12   the same with TLS 1.2                                              16 connections
#   rsa13    the same with RSA 2048 certificates, TLS 1.3                       16 connections
#   resumed  TLS 1.3 resumption with the ticket of the previous handshake       16 connections
#   ka16     keep-alive GETs back to back                                       16 connections
#   ka256    keep-alive GETs back to back (and the servers' RSS at the end)     256 connections
#   claims   keep-alive GETs of a route with auth=Certificate and a json template with {claims}; nginx
#            answers the same bytes from a static `return`                      16 connections
#   code     full TLS 1.3 handshakes against serve with compiled validation code
#            (--client-cert-validation-code); nginx as in full13               16 connections
# Also: RSS (VmRSS) of each server idle after start and under 256 connections (nginx: master + worker),
# and krtool's time from spawn to its "Now listening on:" line (median of --starts starts).
#
# Usage: bench/serve-vs-nginx.sh [--quick] [--runs N] [--seconds S] [--starts N] [--only LIST] [--keep]
#   --quick    a smoke run of about a minute: 1 run of 2 s per server and scenario, 3 starts
#   --keep     keep the temporary folder (certificates, configurations, logs, each run's JSON)
# Defaults: 3 runs of 5 s, 11 starts. KRTOOL_BIN overrides build/bin/krtool, KRTOOL_LOADGEN
# build/bin/krtool_loadgen (built when missing), NGINX_BIN /usr/sbin/nginx; KRTOOL_SERVE_ARGS adds flags to
# every serve. `--threads 1` is passed when `krtool serve --help` lists it (the server has one core).
# Everything is bounded: each run by `timeout`, each server start by a deadline; the servers are stopped
# on exit, however it comes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
runs=3
seconds=5
warmup=1
starts=11
only=""
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) runs=1; seconds=2; warmup=0.5; starts=3 ;;
    --runs) runs=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    --starts) starts=$2; shift ;;
    --only) only=$2; shift ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "serve-vs-nginx.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

for name in ${only//,/ }; do
  case "$name" in
    full13|full12|rsa13|resumed|ka16|ka256|claims|code) ;;
    *) echo "serve-vs-nginx.sh: unknown scenario '$name' in --only (see --help)" >&2; exit 2 ;;
  esac
done

krtool=$(realpath "${KRTOOL_BIN:-$root/build/bin/krtool}")
loadgen=${KRTOOL_LOADGEN:-$root/build/bin/krtool_loadgen}
nginx=${NGINX_BIN:-/usr/sbin/nginx}
if [ ! -x "$loadgen" ]; then
  cmake -S "$root" -B "$root/build" -DKRTOOL_BENCH=ON >/dev/null
  cmake --build "$root/build" -j2 --target krtool_loadgen >/dev/null
fi
loadgen=$(realpath "$loadgen")
for tool in taskset timeout curl python3; do
  command -v "$tool" >/dev/null || { echo "serve-vs-nginx.sh: needs $tool" >&2; exit 1; }
done
[ -x "$nginx" ] || { echo "serve-vs-nginx.sh: no nginx at $nginx (apt-get install nginx-light)" >&2; exit 1; }
[ "$(nproc)" -ge 2 ] || { echo "serve-vs-nginx.sh: needs two cores (server on 0, generator on 1)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/krtool-bench-nginx.XXXXXX")
server_pids=()       # every server started, for the clean-up
declare -A port pids # by server name (k_ec, n_ec, ...): its port, and the PIDs whose CPU time is its own
cleanup() {
  local pid
  for pid in "${server_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${server_pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ "$keep" -eq 1 ]; then echo "kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
cd "$work"
mkdir results

# Certificates: a CA, a server certificate for localhost and 127.0.0.1, and a client certificate, per key
# type. The private keys are written unencrypted beside them (<name>.key).
make_certs() {  # make_certs PREFIX KEY-ARGS...
  local p=$1
  shift
  "$krtool" new-selfsigned --ca --subject "CN=bench CA $p" "$@" --out "$p-ca.pem" >/dev/null
  "$krtool" new-selfsigned --dns localhost --dns 127.0.0.1 --purpose server --issuer "$p-ca.pem" \
    --issuer-key "$p-ca.key" "$@" --out "$p-server.pem" >/dev/null
  "$krtool" new-selfsigned --subject "CN=bench-client" --purpose client --issuer "$p-ca.pem" \
    --issuer-key "$p-ca.key" "$@" --out "$p-client.pem" >/dev/null
}
make_certs ec --key-type ecdsa --curve p256
make_certs rsa --key-type rsa --key-length 2048

serve_extra=()
if "$krtool" serve --help | grep -q -- '--threads'; then serve_extra+=(--threads 1); fi
# shellcheck disable=SC2206  # word splitting is the point
[ -n "${KRTOOL_SERVE_ARGS:-}" ] && serve_extra+=(${KRTOOL_SERVE_ARGS})
HELLO_ROUTE='GET /hello json:{"hello":"world"}'
CLAIMS_ROUTE='GET /claims auth=Certificate json:{"user":"{user.name}","claims":"{claims}"}'
VALIDATION_CODE='return certificate != nullptr && sslPolicyErrors == SslPolicyErrors::None;'
serve_args() {  # serve_args PREFIX: serve's arguments for that certificate set
  printf '%s\n' serve --address 127.0.0.1 --port 0 --cert "$1-server.pem" --key "$1-server.key" \
    --client-cert-mode require --trust-ca "$1-ca.pem" --auth-trust-ca "$1-ca.pem" --revocation-mode nocheck \
    --route "$HELLO_ROUTE" --route "$CLAIMS_ROUTE" "${serve_extra[@]}"
}

# start_krtool NAME PREFIX [ARGS...]: starts serve on core 0, waits for its listening line (at most 120 s:
# compiling validation code takes a while on a busy machine) and sets port[NAME] and pids[NAME]. Its standard
# error (start-up lines and the access log) goes to NAME.log.
start_krtool() {
  local name=$1 prefix=$2
  shift 2
  local args
  mapfile -t args < <(serve_args "$prefix")
  XDG_CACHE_HOME="$work/cache" taskset -c 0 "$krtool" "${args[@]}" "$@" >"$name.out" 2>>"$name.log" &
  local pid=$!
  server_pids+=("$pid")
  for _ in $(seq 1200); do
    grep -q '^Now listening on: ' "$name.out" && break
    kill -0 "$pid" 2>/dev/null || { echo "krtool serve ($name) exited:" >&2; cat "$name.log" >&2; exit 1; }
    sleep 0.1
  done
  grep -q '^Now listening on: ' "$name.out" || { echo "krtool serve ($name) did not start in 120 s" >&2; exit 1; }
  port[$name]=$(sed -n 's/^Now listening on: .*:\([0-9]*\)$/\1/p' "$name.out")
  pids[$name]=$pid
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# nginx_string FILE: the file's bytes as an nginx quoted string, for `return 200 '...'`.
nginx_string() {
  python3 - "$1" <<'PY'
import sys
body = open(sys.argv[1], encoding="utf-8").read()
if "$" in body:
    raise SystemExit("the body holds '$', which nginx's return would read as a variable")
print("'" + body.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'")
PY
}

# start_nginx NAME PREFIX: nginx from a private prefix (NAME/), one worker, on core 0, with the bodies that
# krtool's routes answer; sets port[NAME] and pids[NAME] (master and worker).
start_nginx() {
  local name=$1 prefix=$2 listen
  listen=$(free_port)
  mkdir -p "$name/logs" "$name/temp"
  cat >"$name/nginx.conf" <<EOF
# nginx for bench/serve-vs-nginx.sh: one worker, loopback, a client certificate required.
worker_processes 1;
daemon off;
pid $work/$name/nginx.pid;
error_log $work/$name/logs/error.log warn;
$( [ "$(id -u)" -eq 0 ] && echo "user root;  # as root, the worker would be nobody, who cannot read this folder" )
events { worker_connections 1024; }
http {
  access_log $work/$name/logs/access.log;
  client_body_temp_path $work/$name/temp/body;
  proxy_temp_path $work/$name/temp/proxy;
  fastcgi_temp_path $work/$name/temp/fastcgi;
  uwsgi_temp_path $work/$name/temp/uwsgi;
  scgi_temp_path $work/$name/temp/scgi;
  keepalive_timeout 5s;          # serve's --keep-alive-timeout default
  keepalive_requests 100000;     # serve's requests per connection
  server {
    listen 127.0.0.1:$listen ssl;
    ssl_certificate $work/$prefix-server.pem;
    ssl_certificate_key $work/$prefix-server.key;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_client_certificate $work/$prefix-ca.pem;
    ssl_verify_client on;
    default_type application/json;
    location = /hello { return 200 $(nginx_string hello.body); }
    location = /claims { return 200 $(nginx_string claims.body); }
  }
}
EOF
  taskset -c 0 "$nginx" -p "$work/$name/" -c "$work/$name/nginx.conf" -e "$work/$name/logs/error.log" \
    >"$name/logs/stdout.log" 2>&1 &
  local pid=$! worker=""
  server_pids+=("$pid")
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || { echo "nginx ($name) exited:" >&2; cat "$name/logs/"*.log >&2; exit 1; }
    worker=$(awk '{print $1}' "/proc/$pid/task/$pid/children" 2>/dev/null || true)
    if [ -n "$worker" ] && (exec 3<>"/dev/tcp/127.0.0.1/$listen") 2>/dev/null; then break; fi
    worker=""
    sleep 0.1
  done
  [ -n "$worker" ] || { echo "nginx ($name) did not start in 10 s" >&2; cat "$name/logs/"*.log >&2; exit 1; }
  port[$name]=$listen
  pids[$name]="$pid $worker"
}

rss_kib() {  # rss_kib PID...: VmRSS summed
  local pid total=0
  for pid in "$@"; do total=$((total + $(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"))); done
  echo "$total"
}

echo "== krtool serve against nginx: $runs run(s) of $seconds s per server and scenario"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# krtool's time to its listening line, before the other servers start.
KRTOOL="$krtool" STARTS="$starts" python3 - "$(serve_args ec)" >listen.ms <<'PY'
import os, statistics, subprocess, sys, time

args = sys.argv[1].split("\n")
times = []
for _ in range(int(os.environ["STARTS"])):
    began = time.perf_counter()
    # On core 0 like the servers; set in the child before exec, so that no taskset process is timed.
    process = subprocess.Popen([os.environ["KRTOOL"], *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               stdin=subprocess.DEVNULL, text=True, preexec_fn=lambda: os.sched_setaffinity(0, {0}))
    try:
        line = process.stdout.readline()
        times.append((time.perf_counter() - began) * 1000)
        if not line.startswith("Now listening on: "):
            raise SystemExit(f"serve did not start: {line!r}")
    finally:
        process.terminate()
        process.wait(timeout=20)
print(f"{statistics.median(times):.1f}")
PY

start_krtool k_ec ec
start_krtool k_rsa rsa
start_krtool k_code ec --client-cert-validation-code "$VALIDATION_CODE"
# nginx answers the bytes that krtool's routes answer.
for route in hello claims; do
  curl -sS --fail --max-time 10 --cacert ec-ca.pem --cert ec-client.pem --key ec-client.key \
    -o "$route.body" "https://localhost:${port[k_ec]}/$route"
done
start_nginx n_ec ec
start_nginx n_rsa rsa
# shellcheck disable=SC2086  # lists of PIDs
echo "{\"krtool\": $(rss_kib ${pids[k_ec]}), \"nginx\": $(rss_kib ${pids[n_ec]})}" >rss-idle.json

# run_load SCENARIO SERVER REP PREFIX SECONDS ARGS...: one run of the generator on core 1 against SERVER
# (k_* or n_*), its JSON to results/SCENARIO.SERVER.REP.json.
run_load() {
  local scenario=$1 server=$2 rep=$3 prefix=$4 secs=$5
  shift 5
  local pid_args=() pid
  for pid in ${pids[$server]}; do pid_args+=(--server-pid "$pid"); done
  timeout --kill-after=5 "$(awk -v s="$secs" 'BEGIN {print int(s + 40)}')" taskset -c 1 "$loadgen" \
    --port "${port[$server]}" --cert "$prefix-client.pem" --key "$prefix-client.key" --ca "$prefix-ca.pem" \
    --seconds "$secs" --timeout 5 "${pid_args[@]}" --json "$@" >"results/$scenario.$server.$rep.json"
  # The access logs would grow by hundreds of MB over a full run; only their writing is part of the cost.
  if [ -f "$server.log" ]; then : >"$server.log"; fi  # serve appends (2>>), so this truncates cleanly
  if [ -d "$server/logs" ]; then : >"$server/logs/access.log"; fi
}

# scenario NAME KRTOOL NGINX PREFIX ARGS...: warm-up, then A B A B.
scenario() {
  local name=$1 k=$2 n=$3 prefix=$4
  shift 4
  if [ -n "$only" ] && [[ ",$only," != *",$name,"* ]]; then return; fi
  echo "-- $name: $*"
  run_load "$name" "$k" warmup "$prefix" "$warmup" "$@"
  run_load "$name" "$n" warmup "$prefix" "$warmup" "$@"
  for rep in $(seq "$runs"); do
    run_load "$name" "$k" "$rep" "$prefix" "$seconds" "$@"
    run_load "$name" "$n" "$rep" "$prefix" "$seconds" "$@"
  done
}

scenario full13 k_ec n_ec ec --scenario full --tls 1.3 --connections 16 --path /hello
scenario full12 k_ec n_ec ec --scenario full --tls 1.2 --connections 16 --path /hello
scenario rsa13 k_rsa n_rsa rsa --scenario full --tls 1.3 --connections 16 --path /hello
scenario resumed k_ec n_ec ec --scenario resumed --tls 1.3 --connections 16 --path /hello
scenario ka16 k_ec n_ec ec --scenario keepalive --connections 16 --path /hello
scenario ka256 k_ec n_ec ec --scenario keepalive --connections 256 --path /hello
scenario claims k_ec n_ec ec --scenario keepalive --connections 16 --path /claims
scenario code k_code n_ec ec --scenario full --tls 1.3 --connections 16 --path /hello

load_after=$(cut -d' ' -f1-3 /proc/loadavg)
LISTEN_MS=$(cat listen.ms) LOAD="$load_before -> $load_after" python3 - <<'PY'
import glob, json, os, statistics

TITLES = {
    "full13": ("full handshake + 1 GET, TLS 1.3, ECDSA P-256, 16 conn.", "≥ 1.0× (1.25×)"),
    "full12": ("full handshake + 1 GET, TLS 1.2, ECDSA P-256, 16 conn.", "≥ 1.0× (1.25×)"),
    "rsa13": ("full handshake + 1 GET, TLS 1.3, RSA 2048, 16 conn.", "≥ 1.0× (1.25×)"),
    "resumed": ("resumed TLS 1.3 + 1 GET, 16 conn.", "≥ 1.0×"),
    "ka16": ("keep-alive GET, 16 conn.", "≥ 0.8×"),
    "ka256": ("keep-alive GET, 256 conn.", "≥ 0.8×, p99 ≤ 2×"),
    "claims": ("keep-alive GET, auth=Certificate + {claims}, 16 conn.", ""),
    "code": ("full handshake TLS 1.3, compiled validation code, 16 conn.", ""),
}
runs = {}
for path in glob.glob("results/*.json"):
    scenario, server, rep = os.path.basename(path)[:-5].split(".")
    if rep != "warmup":
        runs.setdefault(scenario, {}).setdefault(server[0], []).append(json.load(open(path)))


def med(items, key):
    return statistics.median(item[key] for item in items)


def generator(items):
    """The generator's CPU time over the window, as a share of its one core: near 100% it, not the server,
    set the pace (the rate per server core-second still compares the servers)."""
    return statistics.median(item["client_cpu_seconds"] / item["seconds"] for item in items)


def p99(items):
    return statistics.median(item["latency_ms"]["p99"] for item in items)


print(f"load average {os.environ['LOAD']}")
print()
print("| scenario | nginx /s | nginx /core-s | nginx p99 ms | krtool /s | krtool /core-s | krtool p99 ms "
      "| krtool/nginx per core-s | target | errors (krtool, nginx) | generator CPU (krtool, nginx) |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|")
summary = {}
for scenario in TITLES:
    if scenario not in runs:
        continue
    k, n = runs[scenario]["k"], runs[scenario]["n"]
    kc, nc = med(k, "per_server_core_second"), med(n, "per_server_core_second")
    ratio = kc / nc if nc else float("nan")
    p99_ratio = p99(k) / p99(n) if p99(n) else float("nan")
    errors = (sum(r["errors"] for r in k), sum(r["errors"] for r in n))
    title, target = TITLES[scenario]
    extra = f" (p99 {p99_ratio:.2f}×)" if scenario == "ka256" else ""
    print(f"| {title} | {med(n, 'rate'):,.0f} | {nc:,.0f} | {p99(n):.2f} | {med(k, 'rate'):,.0f} | {kc:,.0f} "
          f"| {p99(k):.2f} | **{ratio:.2f}×**{extra} | {target} | {errors[0]}, {errors[1]} "
          f"| {generator(k):.0%}, {generator(n):.0%} |")
    summary[scenario] = {"ratio_per_core_second": ratio, "p99_ratio": p99_ratio, "errors": errors}
    for who, items in (("krtool", k), ("nginx", n)):
        kinds = {}
        for item in items:
            for kind, count in item["errors_by_kind"].items():
                kinds[kind] = kinds.get(kind, 0) + count
        summary[scenario][who] = kinds

idle = json.load(open("rss-idle.json"))
print()
print("| | nginx (master + worker) | krtool serve | target |")
print("|---|---:|---:|---|")
print(f"| RSS idle | {idle['nginx'] / 1024:.1f} MiB | {idle['krtool'] / 1024:.1f} MiB | ≤ 16 MiB |")
if "ka256" in runs:
    k = max(r["server_rss_kib"] for r in runs["ka256"]["k"])
    n = max(r["server_rss_kib"] for r in runs["ka256"]["n"])
    print(f"| RSS under 256 connections (largest at a run's end) | {n / 1024:.1f} MiB | {k / 1024:.1f} MiB | ≤ 64 MiB |")
print(f"| time to the listening line (median) | | {os.environ['LISTEN_MS']} ms | ≤ 50 ms |")
for scenario, data in summary.items():
    for who in ("krtool", "nginx"):
        if data[who]:
            print(f"errors in {scenario}, {who}: " + ", ".join(f"{c} {k}" for k, c in sorted(data[who].items())))
PY
