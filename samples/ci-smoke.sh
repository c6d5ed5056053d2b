#!/usr/bin/env bash
# A CI smoke test of an mTLS endpoint: make certificates, start krtool serve on a free port, read the
# listening line, call it with and without the client certificate, stop the server. docs/troubleshooting.md
# shows everything below the snippet line verbatim, and tests/e2e/test_client_test.py runs this file.
# Usage: samples/ci-smoke.sh (KRTOOL_BIN=path/to/krtool, default: krtool on PATH)
# --- snippet ---
set -euo pipefail
krtool=${KRTOOL_BIN:-krtool}
work=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"

# A development root and localhost leaf for the server, a client certificate from the same root.
"$krtool" new-selfsigned --development --out server.pem >/dev/null
"$krtool" new-selfsigned --issuer server-root.pem --subject "CN=ci-client" --purpose client \
  --key-type ecdsa --out client.pem >/dev/null

# --port 0 picks a free port; the first line on stdout says which.
"$krtool" serve --cert server.pem --client-cert-mode require --trust-ca server-root.pem \
  --auth-trust-ca server-root.pem --revocation-mode nocheck --diagnostics --port 0 >serve.out 2>serve.log &
server=$!
url=""
for _ in $(seq 100); do  # at most 10 seconds
  url=$(sed -n 's/^Now listening on: //p' serve.out)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "serve did not start:"; cat serve.log; exit 1; }

# With the certificate: 200 expected (exit 0). Without: the TLS layer must refuse (exit 4).
"$krtool" test-client "$url/secure/cert/hello" --cacert server-root.pem --cert client.pem --expect-status 200
status=0
"$krtool" test-client "$url/secure/cert/hello" --cacert server-root.pem --json >refused.json || status=$?
[ "$status" -eq 4 ] || { echo "expected exit 4 without a certificate, got $status"; cat refused.json; exit 1; }

kill -INT "$server"
wait "$server"
