#!/usr/bin/env bash
# serve starts, but warns, when its set-up cannot succeed: one line each, naming the flag that fixes it.
source "$(dirname "$0")/lib.sh"

# start_and_stop ARGS...: runs krtool serve until its listening line (at most 10 s), stops it, and leaves
# its standard error in $ERR.
start_and_stop() {
  "$KRTOOL" serve --port 0 "$@" >serve.out 2>serve.err &
  local pid=$!
  for _ in $(seq 100); do grep -q 'Now listening on:' serve.out && break; sleep 0.1; done
  kill -TERM "$pid" 2>/dev/null
  wait "$pid"
  ERR=$(cat serve.err)
  grep -q 'Now listening on:' serve.out && pass || fail "serve did not start: $ERR"
}

"$KRTOOL" new-selfsigned --ca --subject "CN=Plain CA" --out plain-ca.pem >/dev/null
"$KRTOOL" new-selfsigned --ca --subject "CN=Publishing CA" --crl-url http://127.0.0.1:9/ca.crl \
  --out publishing-ca.pem >/dev/null

it "warns that protected routes will be 401 when client certificate mode is none"
start_and_stop --self-signed --route 'GET /admin auth=Certificate status:204' --revocation-mode nocheck
expect_err_contains "krtool: warning: every call to a protected route (GET /admin, auth=Certificate) will be 401: --client-cert-mode is none"
expect_err_contains "set --client-cert-mode allow or require"

it "warns that online revocation cannot succeed when no trusted CA names a CRL or OCSP address"
start_and_stop --self-signed --client-cert-mode require --trust-ca plain-ca.pem
expect_err_contains "krtool: warning: scheme 'Certificate': --revocation-mode is online, but none of its 1 trusted CA certificate names a CRL distribution point or an OCSP responder"
expect_err_contains "set --revocation-mode nocheck for development, or offline with --crl"

it "says nothing of the kind when the set-up can succeed"
start_and_stop --self-signed --client-cert-mode require --trust-ca publishing-ca.pem
if grep -q "warning: every call\|warning: scheme" <<<"$ERR"; then fail "unexpected warning: $ERR"; else pass; fi
start_and_stop --self-signed --client-cert-mode allow --trust-ca plain-ca.pem --revocation-mode nocheck
if grep -q "warning: every call\|warning: scheme" <<<"$ERR"; then fail "unexpected warning: $ERR"; else pass; fi

finish
