#!/usr/bin/env bash
# The production-shaped variant of the tutorial: a development CA issues the server and the client
# certificate, and `krtool serve` trusts only that CA, with strict TLS validation (no development callback)
# and the default Chained certificate type. Calls without and with the client certificate, results printed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/samples/find-krtool.sh"
krtool=$(find_krtool "$root")
work=$(mktemp -d "${TMPDIR:-/tmp}/krtool-quickstart.XXXXXX")
server=""
cleanup() {
  if [ -n "$server" ]; then kill -INT "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. A development CA, a server certificate for localhost, and a client certificate (CN=alice)"
"$krtool" new-selfsigned --ca --subject "CN=Quickstart Dev CA" --out ca.pem
"$krtool" new-selfsigned --issuer ca.pem --dns localhost --dns 127.0.0.1 --purpose server --out server.pem
"$krtool" new-selfsigned --issuer ca.pem --subject "CN=alice, O=Quickstart" --purpose client --out alice.pem

step "2. A server that trusts only the CA and checks client certificates strictly (allow mode, revocation off)"
"$krtool" serve --cert server.pem --key server.key --port 0 --client-cert-mode allow --trust-ca ca.pem \
  --auth-trust-ca ca.pem --revocation-mode nocheck >server.out 2>server.log &
server=$!
for _ in $(seq 100); do grep -q '^Now listening on: ' server.out && break; sleep 0.1; done
url=$(sed -n 's/^Now listening on: //p' server.out)
[ -n "$url" ] || { cat server.log; exit 1; }
echo "$url"

step "3. Without a client certificate: the public route answers, the protected one says 401"
echo "GET /info               -> $(curl -sS --cacert ca.pem -o /dev/null -w '%{http_code}' "$url/info")"
echo "GET /secure/cert/hello  -> $(curl -sS --cacert ca.pem -o /dev/null -w '%{http_code}' "$url/secure/cert/hello")"

step "4. With alice's certificate: 200, and the server knows who she is"
curl -sS --cacert ca.pem --cert alice.pem --key alice.key "$url/secure/cert/hello"
echo

step "5. With a self-signed certificate the CA did not issue: the TLS layer refuses the handshake"
"$krtool" new-selfsigned --dns mallory --purpose client --out mallory.pem >/dev/null
if curl -sS --cacert ca.pem --cert mallory.pem --key mallory.key "$url/secure/cert/hello" 2>err.txt; then
  echo "unexpected: accepted"; exit 1
fi
echo "curl: $(head -1 err.txt)"

step "6. The server's log: one line per request with the TLS and the authentication verdicts"
sleep 0.2  # serve writes its log every 100 ms
grep -E '^[0-9]{4}-|tls: ' server.log
echo
echo "quickstart: done"
