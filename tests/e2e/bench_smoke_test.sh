#!/usr/bin/env bash
# The benchmark still runs: krtool_loadgen (bench/loadgen.cpp) against krtool serve with a client
# certificate, each scenario briefly, with every response read and checked. Counts, not speed: nothing here
# is timed. The full comparison with nginx is bench/serve-vs-nginx.sh.
# Resolved before lib.sh moves into its temporary folder.
LOADGEN=$(realpath "${KRTOOL_LOADGEN:?KRTOOL_LOADGEN must point at the built krtool_loadgen}") || exit 1
source "$(dirname "$0")/lib.sh"

"$KRTOOL" new-selfsigned --ca --subject "CN=Smoke CA" --key-type ecdsa --out ca.pem >/dev/null
"$KRTOOL" new-selfsigned --dns localhost --dns 127.0.0.1 --purpose server --key-type ecdsa --issuer ca.pem \
  --issuer-key ca.key --out server.pem >/dev/null
"$KRTOOL" new-selfsigned --subject "CN=smoke-client" --purpose client --key-type ecdsa --issuer ca.pem \
  --issuer-key ca.key --out client.pem >/dev/null
"$KRTOOL" new-selfsigned --subject "CN=stranger" --purpose client --key-type ecdsa --out stranger.pem >/dev/null

"$KRTOOL" serve --port 0 --cert server.pem --key server.key --client-cert-mode require --trust-ca ca.pem \
  --auth-trust-ca ca.pem --revocation-mode nocheck --route 'GET /hello json:{"hello":"world"}' \
  --route 'GET /claims auth=Certificate json:{"user":"{user.name}","claims":"{claims}"}' \
  >serve.out 2>serve.err &
SERVER=$!
trap 'kill -TERM "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do grep -q '^Now listening on: ' serve.out && break; sleep 0.1; done
PORT=$(sed -n 's/^Now listening on: .*:\([0-9]*\)$/\1/p' serve.out)
if [ -z "$PORT" ]; then
  echo "serve did not start: $(cat serve.err)" >&2
  exit 1
fi

# load ARGS...: one run of the generator with the client certificate, its output in $OUT.
load() { run "$LOADGEN" --port "$PORT" --cert client.pem --key client.key --ca ca.pem --timeout 10 "$@"; }

# expect_run CONDITION: a Python expression over the run's JSON document `d`, e.g. 'd["errors"] == 0'.
expect_run() {
  if /usr/bin/python3 -c 'import json, sys; d = json.loads(sys.stdin.read()); sys.exit(0 if eval(sys.argv[1]) else 1)' \
    "$1" <<<"$OUT" 2>/dev/null; then
    pass
  else
    fail "expected $1 of: ${OUT:0:1500}"
  fi
}

it "keeps 8 keep-alive connections busy for 2 s with no error, and prints JSON that parses"
load --scenario keepalive --connections 8 --seconds 2 --path /hello --server-pid "$SERVER" --json
expect_rc 0
if /usr/bin/python3 -m json.tool <<<"$OUT" >/dev/null; then pass; else fail "--json is not JSON: ${OUT:0:600}"; fi
expect_run 'd["completed"] > 0 and d["errors"] == 0 and d["errors_by_kind"] == {}'
expect_run 'd["scenario"] == "keepalive" and d["unit"] == "requests" and d["connections"] == 8'
expect_run '0 < d["latency_ms"]["p50"] <= d["latency_ms"]["p99"] <= d["latency_ms"]["p99_9"] <= d["latency_ms"]["max"]'
expect_run 'd["server_pids"] == ['"$SERVER"'] and d["server_rss_kib"] > 0 and d["server_cpu_seconds"] >= 0'

it "makes full handshakes with TLS 1.3 and 1.2 and reads each answer whole"
for version in 1.3 1.2; do
  load --scenario full --tls "$version" --connections 4 --seconds 1 --path /hello --json
  expect_rc 0
  expect_run 'd["completed"] > 0 and d["errors"] == 0 and d["unit"] == "handshakes" and d["tls"] == "'"$version"'"'
done

it "resumes TLS 1.3 sessions with the ticket of the previous handshake (a full one counts as an error)"
load --scenario resumed --connections 4 --seconds 1 --path /hello --json
expect_rc 0
expect_run 'd["completed"] > 0 and d["errors"] == 0'

it "reads a protected route's claims on keep-alive connections"
load --scenario keepalive --connections 4 --seconds 1 --path /claims --json
expect_rc 0
expect_run 'd["completed"] > 0 and d["errors"] == 0'

it "counts an answer that is not 2xx as an error, by its status"
load --scenario keepalive --connections 2 --seconds 1 --path /missing --json
expect_rc 0
expect_run 'd["completed"] == 0 and d["errors"] > 0 and list(d["errors_by_kind"]) == ["http 404"]'

it "counts the handshakes a server refuses as errors (a client certificate from another CA)"
run "$LOADGEN" --port "$PORT" --cert stranger.pem --key stranger.key --ca ca.pem --scenario full \
  --connections 2 --seconds 1 --json
expect_rc 0
expect_run 'd["completed"] == 0 and d["errors"] > 0'

it "prints a table without --json"
load --scenario keepalive --connections 2 --seconds 1 --path /hello
expect_rc 0
expect_out_contains "keepalive against 127.0.0.1:$PORT, TLS 1.3, 2 connections"
expect_out_contains "latency      p50 "

it "stops with a usage error on a bad scenario, and with exit 1 when the certificate cannot be read"
load --scenario sideways --seconds 1
expect_rc 2
run "$LOADGEN" --port "$PORT" --cert ca.key --ca ca.pem --seconds 1
expect_rc 1
expect_err_contains "krtool_loadgen: error: client certificate 'ca.key'"

finish
