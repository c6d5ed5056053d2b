#!/usr/bin/env bash
# Tutorial 8.8, Client Certificate Authentication, with krtool: a server certificate and a client
# certificate as PFX files (password "test"), a server in allow mode with the development TLS callback,
# the scheme "Certificate" accepting all certificate types without revocation checks, the tutorial's three
# routes; then calls without and with the client certificate, checking that the server saw our thumbprint,
# and the same calls through krtool test-client, which says what each layer decided.
# Usage: samples/client-certificate-authentication.sh [PORT]   (default $PORT, else a free port)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/samples/find-krtool.sh"
krtool=$(find_krtool "$root")
work=$(mktemp -d "${TMPDIR:-/tmp}/krtool-tutorial.XXXXXX")
server=""
cleanup() {
  if [ -n "$server" ]; then kill -INT "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Certificates: the server's for localhost, the client's CN=test-client (self-signed, as in the tutorial)"
mkdir -p certs
"$krtool" new-selfsigned --dns localhost --dns 127.0.0.1 --out certs/server.pfx --password test
"$krtool" new-selfsigned --dns test-client --out certs/client.pfx --password test
client_thumbprint=$("$krtool" import certs/client.pfx --password test --json |
  /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["thumbprint"])')

say "Server: allow mode + AllowSelfSignedForDevelopment at the TLS layer; scheme Certificate (all types, no revocation)"
"$krtool" serve --cert certs/server.pfx --password test --port "${1:-${PORT:-0}}" \
  --client-cert-mode AllowCertificate --client-cert-validation AllowSelfSignedForDevelopment \
  --auth-scheme Certificate --allowed-certificate-types All --revocation-mode NoCheck \
  >server.out 2>server.log &
server=$!
for _ in $(seq 100); do grep -q '^Now listening on: ' server.out && break; sleep 0.1; done
url=$(sed -n 's/^Now listening on: //p' server.out)
[ -n "$url" ] || { cat server.log; echo "the server did not start"; exit 1; }
echo "$url"

# The client certificate for curl: PEM with its key (curl's OpenSSL build reads PFX only with --cert-type P12).
"$krtool" export certs/client.pfx --password test --out client.pem --include-key --out-no-password >/dev/null

say "GET /info without a certificate (public route)"
curl -sS -k "$url/info" | /usr/bin/python3 -c 'import json,sys; print("message:", json.load(sys.stdin)["message"])'

say "GET /secure/cert/hello without a certificate: 401 from the authentication layer"
status=$(curl -sS -k -o /dev/null -w '%{http_code}' "$url/secure/cert/hello")
echo "status: $status"
[ "$status" = 401 ] || { echo "expected 401"; exit 1; }

say "GET /secure/cert/hello with the client certificate"
curl -sS -k --cert client.pem --key client.key "$url/secure/cert/hello" >hello.json
cat hello.json; echo
seen=$(/usr/bin/python3 -c 'import json; print(json.load(open("hello.json"))["thumbprint"])')
[ "$seen" = "$client_thumbprint" ] || { echo "the server saw thumbprint $seen, ours is $client_thumbprint"; exit 1; }
echo "the server saw our thumbprint $client_thumbprint"

say "GET /secure/cert/info with the client certificate: the claims"
curl -sS -k --cert client.pem --key client.key "$url/secure/cert/info" | /usr/bin/python3 -c '
import json, sys
info = json.load(sys.stdin)
print("authenticationType:", info["authenticationType"], "isAuthenticated:", info["isAuthenticated"])
for claim in info["claims"]:
    print("  claim", claim["type"], "=", claim["value"])'

say "krtool test-client: the same calls, with what each layer decided"
# test-client verifies the server, so it gets the server's (self-signed) certificate as its trust anchor.
"$krtool" export certs/server.pfx --password test --out server-cert.pem >/dev/null
status=0
"$krtool" test-client "$url/secure/cert/hello" --cacert server-cert.pem || status=$?
[ "$status" = 1 ] || { echo "expected exit 1 (http-status) without a certificate, got $status"; exit 1; }
echo
"$krtool" test-client "$url/secure/cert/hello" --cacert server-cert.pem --cert certs/client.pfx --password test \
  --expect-status 200 >test-client.out
grep -E '^(  tls|  http|outcome)' test-client.out

say "What the server logged (each line: the TLS verdict and the authentication verdict)"
sleep 0.2  # serve writes its log every 100 ms
grep -E '^[0-9]{4}-' server.log
echo
echo "tutorial: done"
