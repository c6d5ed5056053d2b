# krtool test-cert against certificates made by krtool and by openssl (a CA with an intermediate, a CA
# run by `openssl ca` that revokes and publishes a CRL, weak keys and SHA-1), each verdict cross-checked
# with `openssl verify` where openssl has one.
source "$(dirname "$0")/lib.sh"

# fingerprint CERT: the SHA-1 thumbprint as .NET spells it (uppercase hex, no colons).
fingerprint() { openssl x509 -in "$1" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g'; }
# openssl_verdict ARGS...: "OK", or the error string of `openssl verify ARGS...` ("certificate revoked").
openssl_verdict() {
  local output
  if output=$(openssl verify "$@" 2>&1); then
    echo OK
  else
    sed -n 's/^error [0-9]* at [0-9]* depth lookup: //p' <<<"$output" | head -1
  fi
}
# krtool_verdict: "OK" for a valid test-cert run, else the OpenSSL error string of the first problem in
# its chain reason ("Certificate chain validation failed: PartialChain: unable to ... (depth 0, ...)").
krtool_verdict() {
  if [ "$RC" -eq 0 ]; then
    echo OK
  else
    json '["reason"]' | sed -n 's/^Certificate chain validation failed: \([A-Za-z]*: \)\{0,1\}\([^(]*\) (depth .*/\2/p'
  fi
}

# ---- Fixtures, each made by the command on its line ---------------------------------------------
"$KRTOOL" new-selfsigned --dns fresh.test --out fresh.pem >/dev/null
"$KRTOOL" new-selfsigned --dns expired.test --not-before -10d --not-after -1d --out expired.pem >/dev/null
"$KRTOOL" new-selfsigned --dns client.test --purpose client --out client.pem >/dev/null
"$KRTOOL" new-selfsigned --dns bare.test --purpose none --out bare.pem >/dev/null

openssl req -x509 -newkey rsa:2048 -nodes -keyout root.key -out root.pem -days 30 -subj "/CN=E2E Root CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -new -newkey rsa:2048 -nodes -keyout inter.key -out inter.csr -subj "/CN=E2E Intermediate CA" 2>/dev/null
printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' >ca.ext
openssl x509 -req -in inter.csr -CA root.pem -CAkey root.key -CAcreateserial -days 30 -extfile ca.ext \
  -out inter.pem 2>/dev/null
openssl req -new -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr -subj "/CN=leaf.test" 2>/dev/null
printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n' >leaf.ext
openssl x509 -req -in leaf.csr -CA inter.pem -CAkey inter.key -CAcreateserial -days 30 -extfile leaf.ext \
  -out leaf.pem 2>/dev/null
cat inter.pem root.pem >chain-bundle.pem
openssl pkcs12 -export -in leaf.pem -inkey leaf.key -certfile chain-bundle.pem -out leaf.pfx -passout pass:lpw
openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other-root.pem -days 30 -subj "/CN=Other Root" \
  -addext basicConstraints=critical,CA:TRUE 2>/dev/null

# dave.pem carries dave's certificate and the root of another CA that issued it: the file vouches for
# itself, which must not make it trusted by someone who trusts only root.pem.
openssl req -x509 -newkey rsa:2048 -nodes -keyout dave-root.key -out dave-root.pem -days 30 -subj "/CN=Dave Root CA" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -new -newkey rsa:2048 -nodes -keyout dave.key -out dave.csr -subj "/CN=dave" 2>/dev/null
openssl x509 -req -in dave.csr -CA dave-root.pem -CAkey dave-root.key -CAcreateserial -days 30 -extfile leaf.ext \
  -out dave-leaf.pem 2>/dev/null
cat dave-leaf.pem dave-root.pem >dave.pem

openssl req -x509 -newkey rsa:1024 -sha256 -nodes -keyout weak.key -out weak.pem -days 30 -subj /CN=weak.test 2>/dev/null
openssl req -x509 -newkey rsa:2048 -sha1 -nodes -keyout sha1.key -out sha1.pem -days 30 -subj /CN=sha1.test 2>/dev/null

mkdir ca && (
  cd ca && touch index.txt && echo 1000 >serial && echo 1000 >crlnumber
  cat >ca.cnf <<'EOF'
[ca]
default_ca = dev
[dev]
dir = .
database = $dir/index.txt
new_certs_dir = $dir
serial = $dir/serial
crlnumber = $dir/crlnumber
certificate = $dir/crl-root.pem
private_key = $dir/crl-root.key
default_md = sha256
default_days = 30
default_crl_days = 7
policy = anything
unique_subject = no
x509_extensions = leaf
[anything]
commonName = supplied
[leaf]
basicConstraints = CA:false
extendedKeyUsage = clientAuth
EOF
  openssl req -x509 -newkey rsa:2048 -nodes -keyout crl-root.key -out crl-root.pem -days 30 -subj "/CN=CRL Root" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign,cRLSign 2>/dev/null
  for name in good revoked; do
    openssl req -new -newkey rsa:2048 -nodes -keyout $name.key -out $name.csr -subj "/CN=$name.test" 2>/dev/null
    openssl ca -batch -config ca.cnf -in $name.csr -out ../$name.pem -notext 2>/dev/null
  done
  openssl ca -config ca.cnf -revoke ../revoked.pem 2>/dev/null
  openssl ca -config ca.cnf -gencrl -out ../crl-root.crl 2>/dev/null
  cp crl-root.pem ..
)
openssl crl -in crl-root.crl -outform DER -out crl-root.der

# ---- Verdicts -----------------------------------------------------------------------------------
it "a fresh self-signed certificate is valid and lists both purposes"
krtool test-cert fresh.pem
expect_rc 0
expect_out_contains "valid: CN=fresh.test"
expect_out_contains "purposes: Server Authentication, Client Authentication"
expect_eq "$ERR" "" "stderr"

it "--json prints one document with valid, reason, purposes, chain and the certificate"
krtool test-cert fresh.pem --json
expect_rc 0
expect_eq "$(json '["valid"]')" "true" "valid"
expect_eq "$(json '["reason"]')" "" "reason"
expect_eq "$(json '["purposes"]')" '["Server Authentication", "Client Authentication"]' "purposes"
expect_eq "$(json '["chain"]')" '["CN=fresh.test"]' "chain"
expect_eq "$(json '["certificate"]["subject"]')" "CN=fresh.test" "certificate.subject"
expect_eq "$(json '["certificate"]["thumbprint"]')" "$(fingerprint fresh.pem)" "certificate.thumbprint"

it "an expired certificate is invalid with the validity reason, exit 1"
krtool test-cert expired.pem
expect_rc 1
expect_out_contains "invalid: Certificate is outside validity period. (expired "
expect_eq "$ERR" "" "stderr"

it "validity is checked before the self-signed policy"
krtool test-cert expired.pem --deny-self-signed --json
expect_rc 1
expect_eq "$(json '["valid"]')" "false" "valid"
expect_eq "$(json '["reason"].split(" (")[0]')" "Certificate is outside validity period." "reason"

it "--deny-self-signed rejects a self-signed certificate"
krtool test-cert fresh.pem --deny-self-signed --json
expect_rc 1
expect_eq "$(json '["reason"]')" "Self-signed certificates are denied by policy." "reason"

it "a leaf chains through its intermediate to a trusted root, as openssl verify says"
krtool test-cert leaf.pem --chain inter.pem --trust-ca root.pem --json
expect_rc 0
expect_eq "$(json '["chain"]')" '["CN=leaf.test", "CN=E2E Intermediate CA", "CN=E2E Root CA"]' "chain"
expect_eq "$(krtool_verdict)" "$(openssl_verdict -CAfile root.pem -untrusted inter.pem leaf.pem)" "verdict vs openssl"

it "--deny-self-signed accepts a certificate issued by a CA"
krtool test-cert leaf.pem --chain inter.pem --trust-ca root.pem --deny-self-signed
expect_rc 0

it "a self-signed root among --chain files is not trusted: only --trust-ca anchors a chain"
krtool test-cert leaf.pem --chain chain-bundle.pem --trust-ca other-root.pem --json
expect_rc 1
expect_eq "$(json '["reason"]')" \
  "Certificate chain validation failed: UntrustedRoot: self-signed certificate in certificate chain (depth 2, 'CN=E2E Root CA')" \
  "reason"
expect_eq "$(krtool_verdict)" "$(openssl_verdict -CAfile other-root.pem -untrusted chain-bundle.pem leaf.pem)" \
  "verdict vs openssl"
krtool test-cert leaf.pem --chain chain-bundle.pem --trust-ca root.pem
expect_rc 0
expect_out_contains "valid: CN=leaf.test"

it "a certificate file that carries its own root is not valid for a user who trusts another CA"
krtool test-cert dave.pem --trust-ca root.pem
expect_rc 1
expect_out_contains "invalid: Certificate chain validation failed: UntrustedRoot: self-signed certificate in certificate chain (depth 1, 'CN=Dave Root CA')"
expect_eq "$ERR" "" "stderr"
krtool test-cert dave.pem --trust-ca root.pem --json
expect_eq "$(krtool_verdict)" "$(openssl_verdict -CAfile root.pem -untrusted dave.pem dave.pem)" "verdict vs openssl"
krtool test-cert dave.pem --trust-ca dave-root.pem
expect_rc 0

it "a self-signed certificate is trusted as itself only until the user names the CAs to trust"
krtool test-cert fresh.pem
expect_rc 0
krtool test-cert fresh.pem --trust-ca root.pem
expect_rc 1
expect_out_contains "invalid: Certificate chain validation failed: UntrustedRoot: self-signed certificate (depth 0, 'CN=fresh.test')"
krtool test-cert fresh.pem --trust-ca fresh.pem --trust-ca root.pem
expect_rc 0

it "the chain inside a PFX gives the intermediates; its root is trusted only when named with --trust-ca"
krtool test-cert leaf.pfx --password lpw --trust-ca root.pem
expect_rc 0
krtool test-cert leaf.pfx --password lpw --trust-ca other-root.pem
expect_rc 1
expect_out_contains "UntrustedRoot: self-signed certificate in certificate chain (depth 2, 'CN=E2E Root CA')"

it "a missing intermediate fails the chain check, as openssl verify says, naming the missing issuer"
krtool test-cert leaf.pem --trust-ca root.pem --json
expect_rc 1
expect_eq "$(json '["reason"]')" \
  "Certificate chain validation failed: PartialChain: unable to get local issuer certificate (depth 0, 'CN=leaf.test', issued by 'CN=E2E Intermediate CA')" \
  "reason"
expect_eq "$(krtool_verdict)" "$(openssl_verdict -CAfile root.pem leaf.pem)" "verdict vs openssl"

it "a root that did not issue the chain is not trusted, as openssl verify says"
krtool test-cert leaf.pem --chain inter.pem --trust-ca other-root.pem --json
expect_rc 1
expect_eq "$(krtool_verdict)" "$(openssl_verdict -CAfile other-root.pem -untrusted inter.pem leaf.pem)" \
  "verdict vs openssl"

it "without any root given the system store decides, which does not know a private CA"
krtool test-cert leaf.pem --chain inter.pem
expect_rc 1
expect_out_contains "PartialChain: unable to get local issuer certificate (depth 1, 'CN=E2E Intermediate CA', issued by 'CN=E2E Root CA')"

it "an expected purpose must be in the certificate's EKU"
krtool test-cert client.pem --purpose client
expect_rc 0
krtool test-cert client.pem --purpose server --json
expect_rc 1
expect_eq "$(json '["reason"]')" \
  "EKU purpose mismatch. (expected Server Authentication; certificate has Client Authentication)" "reason"
expect_eq "$(json '["purposes"]')" '["Client Authentication"]' "purposes"

it "--strict-purpose needs the EKU to equal the expected purposes"
krtool test-cert fresh.pem --purpose client
expect_rc 0
krtool test-cert fresh.pem --purpose client --strict-purpose
expect_rc 1
expect_out_contains "invalid: EKU purpose mismatch. (expected exactly Client Authentication"
krtool test-cert fresh.pem --purpose client,server --strict-purpose
expect_rc 0
krtool test-cert fresh.pem --purpose 1.3.6.1.5.5.7.3.2 --purpose 1.3.6.1.5.5.7.3.1 --strict-purpose
expect_rc 0

it "a certificate without EKU fails when a purpose is expected"
krtool test-cert bare.pem --purpose client --json
expect_rc 1
expect_eq "$(json '["reason"]')" "EKU purpose mismatch. (expected Client Authentication; certificate has no EKU)" "reason"
expect_eq "$(json '["purposes"]')" "[]" "purposes"

it "an RSA 1024 key is weak unless --allow-weak-algorithms"
krtool test-cert weak.pem --json
expect_rc 1
expect_eq "$(json '["reason"]')" "RSA key size 1024 < 2048" "reason"
krtool test-cert weak.pem --allow-weak-algorithms
expect_rc 0

it "a SHA-1 signature is weak"
krtool test-cert sha1.pem --json
expect_rc 1
expect_eq "$(json '["reason"]')" "SHA-1 signature (sha1WithRSAEncryption)" "reason"

it "the purpose is checked before weak algorithms"
krtool test-cert weak.pem --purpose server --json
expect_rc 1
expect_eq "$(json '["reason"]')" "EKU purpose mismatch. (expected Server Authentication; certificate has no EKU)" "reason"

it "--check-revocation rejects a revoked leaf, as openssl verify -crl_check says"
krtool test-cert revoked.pem --trust-ca crl-root.pem --check-revocation --crl crl-root.crl --json
expect_rc 1
expect_eq "$(json '["reason"]')" "Certificate chain validation failed: Revoked: certificate revoked (depth 0, 'CN=revoked.test')" "reason"
expect_eq "$(krtool_verdict)" "$(openssl_verdict -crl_check -CAfile crl-root.pem -CRLfile crl-root.crl revoked.pem)" \
  "verdict vs openssl"

it "--check-revocation accepts a leaf that is not revoked, as openssl verify -crl_check says"
krtool test-cert good.pem --trust-ca crl-root.pem --check-revocation --crl crl-root.der --json
expect_rc 0
expect_eq "$(krtool_verdict)" "$(openssl_verdict -crl_check -CAfile crl-root.pem -CRLfile crl-root.crl good.pem)" \
  "verdict vs openssl"

it "revocation is not checked unless asked, and --crl alone warns"
krtool test-cert revoked.pem --trust-ca crl-root.pem --crl crl-root.crl
expect_rc 0
expect_err_contains "krtool: warning: --crl is ignored without --check-revocation"

it "--check-revocation without a CRL from the issuer fails closed"
krtool test-cert good.pem --trust-ca crl-root.pem --check-revocation
expect_rc 1
expect_out_contains "invalid: Certificate chain validation failed: RevocationStatusUnknown: unable to get certificate CRL"

# ---- Bad input ----------------------------------------------------------------------------------
it "a missing certificate file is bad input (exit 3) with a hint"
krtool test-cert nowhere.pem
expect_error 3 "nowhere.pem"
expect_hint

it "a missing --chain file is bad input (exit 3)"
krtool test-cert leaf.pem --chain nowhere-chain.pem
expect_error 3 "nowhere-chain.pem"

it "a file that is not a CRL is bad input (exit 3) naming it"
printf 'not a crl\n' >junk.crl
krtool test-cert good.pem --trust-ca crl-root.pem --check-revocation --crl junk.crl
expect_error 3 "junk.crl"
expect_hint

it "a PFX with a wrong password is bad input (exit 3)"
krtool test-cert leaf.pfx --password wrong
expect_error 3 "leaf.pfx"

it "an unknown --purpose is a usage error (exit 2) naming the flag"
krtool test-cert fresh.pem --purpose servre
expect_error 2 "--purpose: 'servre' is not a purpose"
expect_hint
expect_eq "$OUT" "" "stdout"

it "no certificate file is a usage error (exit 2)"
krtool test-cert
expect_rc 2

finish
