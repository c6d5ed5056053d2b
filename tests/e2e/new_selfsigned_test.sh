#!/usr/bin/env bash
# new-selfsigned and new-csr, checked with openssl, python3-cryptography and a real mTLS handshake.
source "$(dirname "$0")/lib.sh"

x509_text() { openssl x509 -in "$1" -noout -text 2>&1; }
py() { /usr/bin/python3 -c "$@"; }

it "makes a self-signed RSA 2048 leaf with Kestrun's defaults"
krtool new-selfsigned --dns localhost --dns 127.0.0.1 --dns ::1 --out server.pem
expect_rc 0
expect_file server.pem; expect_file server.key
expect_mode server.key 600; expect_mode server.pem 644
text=$(x509_text server.pem)
grep -q 'Public-Key: (2048 bit)' <<<"$text" && pass || fail "not RSA 2048: $text"
grep -q 'Subject: CN = localhost' <<<"$text" && pass || fail "subject is not CN=localhost"
grep -A1 'Key Usage: critical' <<<"$text" | grep -q 'Digital Signature, Key Encipherment' && pass || fail "RSA leaf KU is not DS+KE"
grep -A1 'Extended Key Usage' <<<"$text" | grep -q 'TLS Web Server Authentication, TLS Web Client Authentication' && pass || fail "EKU is not server+client"
grep -A1 'Subject Alternative Name' <<<"$text" | grep -q 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1' && pass || fail "SANs wrong: $(grep -A1 'Alternative' <<<"$text")"
grep -A1 'Basic Constraints: critical' <<<"$text" | grep -q 'CA:FALSE' && pass || fail "basic constraints not critical CA:FALSE"
grep -q 'Subject Key Identifier' <<<"$text" && grep -q 'Authority Key Identifier' <<<"$text" && pass || fail "SKI/AKI missing"
openssl x509 -in server.pem -noout -checkend 0 >/dev/null && pass || fail "a new certificate is already expired"

it "backdates notBefore by five minutes and uses a positive 63-bit serial"
out=$(py '
import sys, datetime
from cryptography import x509
c = x509.load_pem_x509_certificate(open("server.pem","rb").read())
age = (datetime.datetime.utcnow() - c.not_valid_before).total_seconds()
life = (c.not_valid_after - datetime.datetime.utcnow()).days
print("ok" if 240 <= age <= 400 and 1 <= c.serial_number < 2**63 and life in (364, 365) else f"bad age={age} serial={c.serial_number} life={life}")')
expect_eq "$out" ok "notBefore/serial/lifetime"

it "gives every certificate its own serial and key"
# Two runs must differ: nothing in krtool seeds or replaces OpenSSL's random generator.
krtool new-selfsigned --dns twin --key-type ecdsa --out twin1.pem
krtool new-selfsigned --dns twin --key-type ecdsa --out twin2.pem
expect_rc 0
serials=$(for f in twin1.pem twin2.pem; do openssl x509 -in $f -noout -serial; done | sort -u | wc -l)
expect_eq "$serials" 2 "distinct serials"
keys=$(for f in twin1.pem twin2.pem; do openssl x509 -in $f -noout -pubkey; done | sort -u | grep -vc -- '-----')
[ "$keys" -ge 4 ] && pass || fail "the two certificates share a public key"

it "lets a [random] section of the OpenSSL configuration choose the generator"
# krtool reads the administrator's OpenSSL configuration: a generator named there must be the one used,
# so a name that does not exist fails the run.
printf 'openssl_conf = init\n[init]\nrandom = random_sect\n[random_sect]\nrandom = NO-SUCH-DRBG\n' >no-drbg.cnf
run env OPENSSL_CONF=no-drbg.cnf "$KRTOOL" new-selfsigned --dns nodrbg --key-type ecdsa --out nodrbg.pem
expect_error 1 "NO-SUCH-DRBG"
expect_no_file nodrbg.pem

it "makes ECDSA keys on each curve with a matching signature hash and Ed25519 keys"
for curve in p256:prime256v1:SHA256 p384:secp384r1:SHA384 p521:secp521r1:SHA512; do
  IFS=: read -r name ossl hash <<<"$curve"
  krtool new-selfsigned --dns "ec-$name" --key-type ecdsa --curve "$name" --out "ec-$name.pem"
  expect_rc 0
  text=$(x509_text "ec-$name.pem")
  grep -q "ASN1 OID: $ossl" <<<"$text" && pass || fail "curve $name not $ossl"
  grep -q "ecdsa-with-$hash" <<<"$text" && pass || fail "curve $name not signed with $hash"
  grep -A1 'Key Usage: critical' <<<"$text" | grep -qx ' *Digital Signature' && pass || fail "EC leaf KU should be DigitalSignature only"
done
krtool new-selfsigned --dns ed --key-type ed25519 --out ed.pem
expect_rc 0
x509_text ed.pem | grep -q 'Public Key Algorithm: ED25519' && pass || fail "not an Ed25519 key"
for bits in 3072 4096; do
  krtool new-selfsigned --dns "rsa$bits" --key-length $bits --out "rsa$bits.pem"
  expect_rc 0
  x509_text "rsa$bits.pem" | grep -q "Public-Key: ($bits bit)" && pass || fail "not RSA $bits"
done

it "reads --subject the way .NET does: the last RDN is encoded first"
krtool new-selfsigned --subject "CN=alice, O=Acme, C=US" --dns alice.example --purpose client --out alice.pem
expect_rc 0
expect_eq "$(openssl x509 -in alice.pem -noout -subject)" "subject=C = US, O = Acme, CN = alice" "DER order"
krtool import alice.pem --json
expect_eq "$(json '["subject"]')" "CN=alice, O=Acme, C=US" ".NET spelling"
x509_text alice.pem | grep -A1 'Extended Key Usage' | grep -qx ' *TLS Web Client Authentication' && pass || fail "--purpose client should give clientAuth only"

it "makes expired and not-yet-valid certificates on purpose"
krtool new-selfsigned --dns expired --not-before -10d --not-after -1d --out expired.pem
expect_rc 0
run openssl verify -CAfile expired.pem expired.pem
grep -q 'certificate has expired' <<<"$OUT$ERR" && pass || fail "openssl does not see it expired: $OUT $ERR"
krtool new-selfsigned --dns future --not-before +2d --valid-days 10 --out future.pem
expect_rc 0
run openssl verify -CAfile future.pem future.pem
grep -q 'certificate is not yet valid' <<<"$OUT$ERR" && pass || fail "openssl does not see it not-yet-valid: $OUT $ERR"
krtool new-selfsigned --dns rfc --not-before 2030-01-01T00:00:00Z --not-after 2030-02-01T12:00:00+02:00 --out rfc.pem
expect_rc 0
expect_eq "$(openssl x509 -in rfc.pem -noout -enddate)" "notAfter=Feb  1 10:00:00 2030 GMT" "RFC 3339 offset"

it "makes a CA and leaves signed by it that openssl verifies for the right purpose"
krtool new-selfsigned --ca --subject "CN=Dev CA, O=krtool tests" --key-type ecdsa --curve p384 --out ca.pem
expect_rc 0
text=$(x509_text ca.pem)
grep -A1 'Basic Constraints: critical' <<<"$text" | grep -q 'CA:TRUE' && pass || fail "CA lacks CA:TRUE"
grep -A1 'Key Usage: critical' <<<"$text" | grep -q 'Certificate Sign, CRL Sign' && pass || fail "CA KU is not keyCertSign+cRLSign"
grep -q 'Extended Key Usage' <<<"$text" && fail "a CA must carry no EKU" || pass
grep -q 'Subject Alternative Name' <<<"$text" && fail "a CA must carry no SAN" || pass
krtool new-selfsigned --issuer ca.pem --dns test-client --purpose client --out client.pem
expect_rc 0
run openssl verify -CAfile ca.pem -purpose sslclient client.pem
expect_rc 0
run openssl verify -CAfile ca.pem -purpose sslserver client.pem
[ "$RC" -ne 0 ] && pass || fail "a client-only certificate passed -purpose sslserver"
krtool new-selfsigned --issuer ca.pem --dns localhost --dns 127.0.0.1 --purpose server --out srv.pem
expect_rc 0
run openssl verify -CAfile ca.pem -purpose sslserver srv.pem
expect_rc 0
ski=$(openssl x509 -in ca.pem -noout -ext subjectKeyIdentifier | tail -1 | tr -d ' ')
aki=$(openssl x509 -in client.pem -noout -ext authorityKeyIdentifier | tail -1 | tr -d ' ' | sed 's/^keyid://')
expect_eq "$aki" "$ski" "leaf AKI = CA SKI"
x509_text client.pem | grep -q 'ecdsa-with-SHA384' && pass || fail "a P-384 CA should sign with SHA-384"

it "writes PFX files with the modern and legacy profiles, with the chain, readable by openssl and python"
krtool new-selfsigned --issuer ca.pem --dns pfx-client --out modern.pfx --password test
expect_rc 0
expect_mode modern.pfx 600
run openssl pkcs12 -in modern.pfx -info -noout -passin pass:test
expect_rc 0
grep -q 'AES-256-CBC' <<<"$ERR$OUT" && pass || fail "modern PFX is not AES-256-CBC: $ERR"
grep -q 'MAC: sha256' <<<"$ERR$OUT" && pass || fail "modern PFX MAC is not SHA-256: $ERR"
count=$(openssl pkcs12 -in modern.pfx -nokeys -passin pass:test 2>/dev/null | grep -c 'BEGIN CERTIFICATE')
expect_eq "$count" 2 "certificates in the PFX (leaf + CA)"
krtool new-selfsigned --dns legacy --out legacy.pfx --password test --pfx-profile legacy
expect_rc 0
run openssl pkcs12 -in legacy.pfx -info -noout -passin pass:test -legacy
grep -q '3DES\|TripleDES' <<<"$ERR$OUT" && pass || fail "legacy PFX is not 3DES: $ERR"
grep -q 'MAC: sha1' <<<"$ERR$OUT" && pass || fail "legacy PFX MAC is not SHA-1: $ERR"
out=$(py '
from cryptography.hazmat.primitives.serialization import pkcs12, load_pem_private_key
k, c, extra = pkcs12.load_key_and_certificates(open("modern.pfx","rb").read(), b"test")
k2, c2, _ = pkcs12.load_key_and_certificates(open("legacy.pfx","rb").read(), b"test")
load_pem_private_key(open("server.key","rb").read(), None)
print("ok" if k and c and len(extra) == 1 and k2 and c2 else "bad")')
expect_eq "$out" ok "python3-cryptography reads the PFX files and the PEM key"

it "encrypts the PEM key when a password is given"
krtool new-selfsigned --dns enc --out enc.pem --password-env KEYPASS
expect_error 2 "KEYPASS"
KEYPASS=s3cret krtool new-selfsigned --dns enc --out enc.pem --password-env KEYPASS
expect_rc 0
head -1 enc.key | grep -q 'BEGIN ENCRYPTED PRIVATE KEY' && pass || fail "key not encrypted"
run openssl pkey -in enc.key -passin pass:s3cret -noout
expect_rc 0

it "makes a development root and a localhost leaf signed by it"
krtool new-selfsigned --development --out dev.pem --json
expect_rc 0
expect_eq "$(json '["certificate"]["subject"]')" "CN=localhost" "leaf subject"
expect_eq "$(json '["root"]["subject"]')" "CN=krtool Development Root CA" "root subject"
expect_eq "$(json '["certificate"]["ipAddresses"]')" '["127.0.0.1", "::1"]' "leaf IPs"
expect_file dev-root.pem; expect_file dev-root.key
run openssl verify -CAfile dev-root.pem -purpose sslserver dev.pem
expect_rc 0
days=$(py '
from cryptography import x509
c = x509.load_pem_x509_certificate(open("dev.pem","rb").read())
print((c.not_valid_after - c.not_valid_before).days)')
expect_eq "$days" 30 "development leaf lifetime in days"

it "embeds CRL and OCSP addresses"
krtool new-selfsigned --issuer ca.pem --dns rev --crl-url http://127.0.0.1:8080/ca.crl --ocsp-url http://127.0.0.1:8081 --out rev.pem
expect_rc 0
text=$(x509_text rev.pem)
grep -q 'URI:http://127.0.0.1:8080/ca.crl' <<<"$text" && pass || fail "CRL DP missing"
grep -q 'OCSP - URI:http://127.0.0.1:8081' <<<"$text" && pass || fail "OCSP AIA missing"
krtool new-selfsigned --issuer ca.pem --dns rev2 --crl-url http://127.0.0.1:8080/a.crl --crl-url http://127.0.0.1:8080/b.crl --out rev2.pem
expect_rc 0
expect_eq "$(openssl x509 -in rev2.pem -noout -text | grep -c 'X509v3 CRL Distribution Points')" 1 "CRL distribution point extensions"
run openssl verify -CAfile ca.pem rev2.pem
expect_rc 0

it "makes CSRs that openssl verifies and signs CSRs from krtool and from openssl"
krtool new-csr --dns api.example --dns 10.0.0.1 --org Acme --country US --key-type ecdsa --out api.csr
expect_rc 0
expect_mode api.key 600
run openssl req -in api.csr -noout -verify -subject
expect_rc 0
expect_out_contains "subject=C = US, O = Acme, CN = api.example"
openssl req -in api.csr -noout -text | grep -q 'DNS:api.example, IP Address:10.0.0.1' && pass || fail "CSR SANs missing"
krtool new-selfsigned --issuer ca.pem --csr api.csr --purpose server --out api.pem
expect_rc 0
run openssl verify -CAfile ca.pem -purpose sslserver api.pem
expect_rc 0
expect_eq "$(openssl x509 -in api.pem -noout -pubkey)" "$(openssl pkey -in api.key -pubout)" "signed certificate carries the CSR's key"
openssl req -new -newkey rsa:2048 -nodes -keyout o.key -subj "/CN=from-openssl" -addext "subjectAltName=DNS:from-openssl" -out o.csr 2>/dev/null
krtool new-selfsigned --issuer ca.pem --csr o.csr --out o.pem
expect_rc 0
openssl x509 -in o.pem -noout -text | grep -q 'DNS:from-openssl' && pass || fail "SAN of an openssl CSR not carried over"
krtool new-selfsigned --issuer ca.pem --csr o.csr --out o.pfx
expect_error 2 "PFX"

it "new-csr and new-selfsigned sort --dns names by kind the same way: DNS, IP, e-mail, URI"
krtool new-csr --dns alice.example --dns alice@example.com --dns 10.0.0.2 --dns spiffe://example/alice --out kinds.csr
expect_rc 0
expect_eq "$(openssl req -in kinds.csr -noout -text | grep -A1 'Subject Alternative Name' | tail -1 | sed 's/^ *//')" \
  "DNS:alice.example, email:alice@example.com, IP Address:10.0.0.2, URI:spiffe://example/alice" "CSR SANs"
krtool new-selfsigned --dns alice.example --dns alice@example.com --dns 10.0.0.2 --dns spiffe://example/alice --key-type ecdsa --out kinds-cert.pem
expect_rc 0
expect_eq "$(openssl x509 -in kinds-cert.pem -noout -ext subjectAltName | tail -1 | sed 's/^ *//')" \
  "DNS:alice.example, email:alice@example.com, IP Address:10.0.0.2, URI:spiffe://example/alice" "certificate SANs"
krtool new-csr --dns 'bad name!' --out bad.csr
expect_error 2 "--dns"

it "authenticates a krtool client certificate with curl against openssl s_server -Verify"
port=$(py 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
openssl s_server -accept "127.0.0.1:$port" -cert srv.pem -key srv.key -CAfile ca.pem -Verify 1 -www -naccept 4 >s_server.log 2>&1 &
server=$!
for _ in $(seq 50); do grep -q ACCEPT s_server.log && break; sleep 0.1; done
run curl -sS --max-time 10 --cacert ca.pem --cert client.pem --key client.key "https://127.0.0.1:$port/"
expect_rc 0
expect_out_contains "Client certificate"
run curl -sS --max-time 10 --cacert ca.pem "https://127.0.0.1:$port/"
[ "$RC" -ne 0 ] && pass || fail "s_server -Verify accepted a call without a client certificate"
kill "$server" 2>/dev/null; wait "$server" 2>/dev/null

it "refuses bad input with the contract's exit codes and writes nothing"
krtool new-selfsigned --development --ca --out x.pem
expect_error 2 "--ca"; expect_no_file x.pem
krtool new-selfsigned --dns a --key-type ecdsa --key-length 4096 --out x.pem
expect_error 2 "--key-length"; expect_hint; expect_no_file x.pem
krtool new-selfsigned --dns a --key-type dsa --out x.pem
expect_error 2 "unknown key type 'dsa'"; expect_hint
krtool new-selfsigned --dns a --key-length 1024 --out x.pem
expect_error 2 "1024"
krtool new-selfsigned --dns a --not-after yesterday --out x.pem
expect_error 2 "--not-after"; expect_hint
krtool new-selfsigned --dns a --not-before +2d --not-after +1d --out x.pem
expect_error 2 "before it starts"
krtool new-selfsigned --dns a --csr api.csr --out x.pem
expect_error 2 "--issuer"
krtool new-selfsigned --dns a --out x.txt
expect_error 2 "extension"; expect_hint; expect_no_file x.txt
krtool new-selfsigned --dns a --out missing-folder/x.pem
expect_error 3 "does not exist"; expect_hint
krtool new-selfsigned --dns a --issuer server.pem --out x.pem
expect_error 3 "not a certificate authority"; expect_hint; expect_no_file x.pem
krtool new-selfsigned --dns a --issuer nope.pfx --out x.pem
expect_error 3 "nope.pfx"; expect_hint
krtool new-selfsigned --dns "bad name" --out x.pem
expect_error 2 "bad name"
krtool new-selfsigned --subject "CN=a, Q=b" --out x.pem
expect_error 2 "unknown name key 'Q'"
krtool new-selfsigned --out x.pem
expect_error 2 "no name"; expect_hint

it "never overwrites without --force: the old files stay byte for byte"
before=$(sha256sum server.pem server.key)
krtool new-selfsigned --dns other --out server.pem
expect_error 2 "already exists"; expect_hint
expect_eq "$(sha256sum server.pem server.key)" "$before" "files after a refused overwrite"
krtool new-selfsigned --dns other --out server.pem --force
expect_rc 0
openssl x509 -in server.pem -noout -subject | grep -q 'CN = other' && pass || fail "--force did not overwrite"
ls -a | grep -q '\.krtool-' && fail "a temporary file was left behind" || pass

it "--no-password writes a plain PKCS#8 key for PEM, which Python's ssl and openssl load without a password"
krtool new-selfsigned --dns plain --out plain.pem --no-password
expect_rc 0
expect_eq "$(head -1 plain.key)" "-----BEGIN PRIVATE KEY-----" "first line of plain.key"
expect_mode plain.key 600
out=$(/usr/bin/python3 -c 'import ssl; ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain("plain.pem", "plain.key"); print("loaded")' 2>&1)
expect_eq "$out" loaded "python ssl load_cert_chain"
# A key encrypted with the empty password would fail here with the wrong password given.
openssl pkey -in plain.key -noout -passin pass:not-the-password 2>/dev/null && pass ||
  fail "openssl pkey cannot read plain.key without its password"

it "refuses an empty --out and a --not-after past year 9999, writing nothing"
krtool new-selfsigned --dns empty --out ''
expect_error 2 "--out: an empty path names no file"
expect_no_file empty.pem
krtool new-selfsigned --dns far --out far.pem --not-after +3000000d
expect_error 2 "--not-after: a time after year 9999"
expect_err_contains "the latest date allowed is 9999-12-31T23:59:59Z"
expect_no_file far.pem
krtool new-selfsigned --dns far --out far.pem --not-after 9999-12-31T23:59:59Z
expect_rc 0
openssl x509 -in far.pem -noout -enddate | grep -q "Dec 31 23:59:59 9999 GMT" && pass || fail "notAfter is not 9999-12-31"

finish
