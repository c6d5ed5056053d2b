#!/usr/bin/env bash
# Runs each sample of this folder: makes the certificates, starts `krtool serve` with the sample as its
# TLS validation code, and calls it with curl as a client the sample accepts and one it rejects.
# Exits 0 when every call ends as the sample promises. krtool: $KRTOOL_BIN, else build/bin/krtool, else PATH; the
# compiled samples go to $XDG_CACHE_HOME/krtool (else ~/.cache/krtool), so a second run compiles nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$root/samples/find-krtool.sh"
krtool=$(find_krtool "$root")
work=$(mktemp -d "${TMPDIR:-/tmp}/krtool-validation-samples.XXXXXX")
server=""
stop_server() {
  if [ -n "$server" ]; then kill -INT "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  server=""
}
trap 'stop_server; rm -rf "$work"' EXIT
cd "$work"
failures=0
step() { printf '\n== %s\n' "$*"; }

step "Certificates: a team CA and another CA (both trusted by the server), and four clients"
"$krtool" new-selfsigned --key-type ecdsa --ca --subject "CN=Sample Team CA, O=krtool samples" --out team-ca.pem >/dev/null
"$krtool" new-selfsigned --key-type ecdsa --ca --subject "CN=Sample Other CA, O=krtool samples" --out other-ca.pem >/dev/null
"$krtool" new-selfsigned --key-type ecdsa --issuer team-ca.pem --dns localhost --dns 127.0.0.1 --purpose server --out server.pem >/dev/null
"$krtool" new-selfsigned --key-type ecdsa --issuer team-ca.pem --subject "CN=alice, O=krtool samples" --purpose client --out alice.pem >/dev/null
"$krtool" new-selfsigned --key-type ecdsa --issuer team-ca.pem --subject "CN=carol, O=krtool samples" --purpose client --out carol.pem >/dev/null
"$krtool" new-selfsigned --key-type ecdsa --issuer other-ca.pem --subject "CN=dave, O=krtool samples" --purpose client --out dave.pem >/dev/null
"$krtool" new-selfsigned --key-type ecdsa --subject "CN=mallory, O=krtool samples" --purpose client --out mallory.pem >/dev/null
echo "team-ca.pem other-ca.pem server.pem; clients alice, carol (team CA), dave (other CA), mallory (self-signed)"

# serve_with SAMPLE [TLS FLAGS...]: starts serve with the sample as its TLS validation code. The routes'
# scheme trusts the team CA and mallory (as the tutorial trusts its self-signed client), so that what a
# sample lets through the TLS layer gets a 200: the samples decide at the TLS layer alone.
serve_with() {
  local sample=$1
  shift
  "$krtool" serve --cert server.pem --key server.key --port 0 --client-cert-mode allow "$@" \
    --client-cert-validation-code-path "$sample" --allowed-certificate-types all --auth-trust-ca team-ca.pem \
    --auth-trust-ca mallory.pem --revocation-mode nocheck \
    >server.out 2>server.log &
  server=$!
  for _ in $(seq 600); do
    grep -q '^Now listening on: ' server.out && break
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
  done
  url=$(sed -n 's/^Now listening on: //p' server.out)
  if [ -z "$url" ]; then cat server.log; exit 1; fi
  grep -E '^krtool: tls: validation code' server.log || true
}

# expect CLIENT accepted|rejected: calls /secure/cert/hello with the client's certificate. Accepted is a
# 200; rejected is a handshake the TLS layer refused (no HTTP answer at all); anything else is neither.
expect() {
  local client=$1 want=$2 got status
  status=$(curl -sS --max-time 20 --cacert team-ca.pem --cert "$client.pem" --key "$client.key" -o /dev/null \
    -w '%{http_code}' "$url/secure/cert/hello" 2>/dev/null) || true
  case "$status" in
    200) got=accepted ;;
    000 | "") got=rejected ;;
    *) got="HTTP $status" ;;
  esac
  if [ "$got" = "$want" ]; then
    printf '  %-8s %s (as expected)\n' "$client" "$got"
  else
    printf '  %-8s %s, expected %s\n' "$client" "$got" "$want"
    failures=$((failures + 1))
  fi
}

step "guide-snippet.cpp: anything presented is accepted, even self-signed (development only)"
serve_with "$here/guide-snippet.cpp"
expect alice accepted
expect mallory accepted
stop_server

step "subject-allow-list.cpp: alice is on the list, carol is not; both are issued by the trusted CA"
serve_with "$here/subject-allow-list.cpp" --trust-ca team-ca.pem
expect alice accepted
expect carol rejected
sleep 0.2  # serve writes its log every 100 ms
grep -E "^tls: rejected client certificate 'CN=carol" server.log | head -1
stop_server

step "thumbprint-pin.cpp: only mallory's self-signed certificate is pinned"
pin=$("$krtool" import mallory.pem --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["thumbprint"])')
sed "s/PINNED_THUMBPRINT/$pin/" "$here/thumbprint-pin.cpp" >thumbprint-pin.cpp
echo "  pinned $pin"
serve_with thumbprint-pin.cpp
expect mallory accepted
expect alice rejected
stop_server

step "issuer-check.cpp: both CAs are trusted, but only the team CA's clients pass"
serve_with "$here/issuer-check.cpp" --trust-ca team-ca.pem --trust-ca other-ca.pem
expect alice accepted
expect dave rejected
expect mallory rejected
stop_server

echo
if [ "$failures" -eq 0 ]; then echo "validation samples: all as expected"; else echo "validation samples: $failures unexpected"; fi
exit $(( failures == 0 ? 0 : 1 ))
