# krtool import and export against openssl and python3's cryptography: every input format krtool
# promises to read (made by openssl, the way users make them), every conversion, and every bad input.
source "$(dirname "$0")/lib.sh"

# fingerprint CERT [DER]: the SHA-1 thumbprint as .NET spells it (uppercase hex, no colons).
fingerprint() {
  openssl x509 -in "$1" ${2:+-inform DER} -noout -fingerprint -sha1 | sed 's/.*=//; s/://g'
}
sha() { sha256sum "$1" | cut -d' ' -f1; }
# pfx_load FILE PASSWORD: python's cryptography opens the PFX and prints "subject key? chain-length".
pfx_load() {
  /usr/bin/python3 - "$1" "$2" <<'EOF'
import sys
from cryptography.hazmat.primitives.serialization import pkcs12
key, cert, chain = pkcs12.load_key_and_certificates(open(sys.argv[1], 'rb').read(), sys.argv[2].encode() or None)
print(cert.subject.rfc4514_string(), key is not None, len(chain))
EOF
}
# pem_key_load FILE [PASSWORD]: python's cryptography opens the PEM key and prints its size.
pem_key_load() {
  /usr/bin/python3 - "$1" "${2:-}" <<'EOF'
import sys
from cryptography.hazmat.primitives.serialization import load_pem_private_key
key = load_pem_private_key(open(sys.argv[1], 'rb').read(), sys.argv[2].encode() or None)
print(key.key_size)
EOF
}
# expect_unchanged FILE HASH: the file still has the content it had before the failed command.
expect_unchanged() { expect_eq "$(sha "$1")" "$2" "sha256 of $1"; }
# no_outputs: nothing but the fixtures is in out/ (each failing export writes there).
expect_no_outputs() { expect_eq "$(ls -A out)" "" "files in out/ after a failed export"; }

# ---- Fixtures, each made by the command on its line ------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.pem -days 30 \
  -subj "/CN=alice.test/O=Acme" -addext "subjectAltName=DNS:alice.test" 2>/dev/null
THUMB=$(fingerprint leaf.pem)
openssl pkcs12 -export -in leaf.pem -inkey leaf.key -out modern.pfx -passout pass:secret
openssl pkcs12 -export -legacy -in leaf.pem -inkey leaf.key -out legacy.pfx -passout pass:secret
openssl pkcs12 -export -in leaf.pem -inkey leaf.key -out open.pfx -passout pass:
openssl pkcs8 -topk8 -v2 aes-256-cbc -in leaf.key -out enc.key -passout pass:kpw
openssl pkcs8 -topk8 -nocrypt -in leaf.key -out plain.key
openssl x509 -in leaf.pem -outform DER -out leaf.der
cat leaf.pem plain.key >combined.pem
cat leaf.pem enc.key >combined-enc.pem
openssl genrsa -traditional -out trad.key 2048 2>/dev/null
openssl req -x509 -new -key trad.key -subj /CN=trad.test -days 30 -out trad.pem
openssl genrsa -traditional -aes256 -passout pass:tpw -out trad-enc.key 2048 2>/dev/null
openssl req -x509 -new -key trad-enc.key -passin pass:tpw -subj /CN=trad-enc.test -days 30 -out trad-enc.pem
openssl ecparam -name prime256v1 -genkey -out ec.key
openssl req -x509 -new -key ec.key -subj /CN=ec.test -days 30 -out ec.pem
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -days 30 \
  -subj "/CN=E2E CA" -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout chained.key -out chained.csr \
  -subj /CN=chained.test 2>/dev/null
openssl x509 -req -in chained.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 -out chained.pem 2>/dev/null
openssl pkcs12 -export -in chained.pem -inkey chained.key -certfile ca.pem -out chained.pfx -passout pass:cpw
printf 'secret\n' >pfx-password.txt
mkdir out

# ---- import: every input format ---------------------------------------------------------------
# import_reads DESCRIPTION EXPECTED_THUMBPRINT HAS_KEY ARGS...: --json gives the openssl thumbprint.
import_reads() {
  local what=$1 thumb=$2 has_key=$3
  shift 3
  it "import reads $what"
  krtool import "$@" --json
  expect_rc 0
  expect_eq "$(json '["thumbprint"]')" "$thumb" "thumbprint of $what"
  expect_eq "$(json '["hasPrivateKey"]')" "$has_key" "hasPrivateKey of $what"
}
import_reads "a modern PFX (AES-256, openssl 3 default)" "$THUMB" true modern.pfx --password secret
import_reads "a legacy RC2-40 PFX (openssl pkcs12 -legacy)" "$THUMB" true legacy.pfx --password secret
import_reads "a PFX with an empty password, with no password flag" "$THUMB" true open.pfx
import_reads "a PFX with an empty password, with --no-password" "$THUMB" true open.pfx --no-password
import_reads "a PFX with --password-file" "$THUMB" true modern.pfx --password-file pfx-password.txt
PFX_PW=secret import_reads "a PFX with --password-env" "$THUMB" true modern.pfx --password-env PFX_PW
import_reads "a PEM certificate alone" "$THUMB" false leaf.pem
import_reads "a PEM certificate with a plain PKCS#8 key in the same file" "$THUMB" true combined.pem
import_reads "a PEM certificate with an encrypted PKCS#8 key in the same file" "$THUMB" true \
  combined-enc.pem --password kpw
import_reads "a PEM certificate with a separate plain PKCS#8 key" "$THUMB" true leaf.pem --key plain.key
import_reads "a PEM certificate with a separate encrypted PKCS#8 key" "$THUMB" true leaf.pem --key enc.key --password kpw
import_reads "a DER certificate" "$THUMB" false leaf.der
import_reads "a DER certificate with a separate key" "$THUMB" true leaf.der --key plain.key
import_reads "a certificate with a traditional RSA key" "$(fingerprint trad.pem)" true trad.pem --key trad.key
import_reads "a certificate with an encrypted traditional RSA key" "$(fingerprint trad-enc.pem)" true \
  trad-enc.pem --key trad-enc.key --password tpw
import_reads "a certificate with a traditional EC key (after EC PARAMETERS)" "$(fingerprint ec.pem)" true \
  ec.pem --key ec.key
cp modern.pfx misnamed.pem
import_reads "a PFX by its content, whatever its extension" "$THUMB" true misnamed.pem --password secret

it "import lists a PFX's chain, issuer first"
krtool import chained.pfx --password cpw --json
expect_rc 0
expect_eq "$(json '["thumbprint"]')" "$(fingerprint chained.pem)" "leaf thumbprint"
expect_eq "$(json '["chain"][0]["thumbprint"]')" "$(fingerprint ca.pem)" "chain[0] thumbprint"
expect_eq "$(json '["chain"].__len__()')" "1" "chain length"

it "import without --json describes the certificate and names the chain"
krtool import chained.pfx --password cpw
expect_rc 0
expect_out_contains "$(fingerprint chained.pem)"
expect_out_contains "CN=chained.test"
expect_out_contains "CN=E2E CA"

# ---- export: every conversion -----------------------------------------------------------------
it "export PFX -> PEM certificate + encrypted PKCS#8 key"
krtool export modern.pfx --password secret --out pfx2pem.pem --include-key --out-password newkey
expect_rc 0
expect_out_contains "pfx2pem.key"
expect_out_contains "$THUMB"
expect_eq "$(fingerprint pfx2pem.pem)" "$THUMB" "thumbprint of the PEM"
expect_eq "$(head -1 pfx2pem.key)" "-----BEGIN ENCRYPTED PRIVATE KEY-----" "key header"
run openssl pkey -in pfx2pem.key -passin pass:newkey -noout
expect_rc 0
run openssl pkey -in pfx2pem.key -passin pass:wrong -noout
expect_rc 1
expect_eq "$(pem_key_load pfx2pem.key newkey)" "2048" "python loads the encrypted key"
expect_eq "$(openssl asn1parse -in pfx2pem.key | grep -c -e ':PBES2' -e ':hmacWithSHA256' -e ':aes-256-cbc' -e ':0186A0')" \
  "4" "PBES2 / HMAC-SHA256 / AES-256-CBC / 100000 iterations in the key"
expect_mode pfx2pem.key 600
expect_mode pfx2pem.pem 644

it "export PFX -> PEM + plain key with --out-no-password, and without any out-password flag"
krtool export modern.pfx --password secret --out plain-a.pem --include-key --out-no-password
expect_rc 0
expect_eq "$(head -1 plain-a.key)" "-----BEGIN PRIVATE KEY-----" "key header"
krtool export modern.pfx --password secret --out plain-b.pem --include-key
expect_rc 0
expect_eq "$(head -1 plain-b.key)" "-----BEGIN PRIVATE KEY-----" "key header"
run openssl pkey -in plain-b.key -noout
expect_rc 0
expect_eq "$(pem_key_load plain-b.key)" "2048" "python loads the plain key"
expect_mode plain-b.key 600

it "export PFX -> PEM without --include-key writes the certificate only"
krtool export modern.pfx --password secret --out certonly.pem
expect_rc 0
expect_no_file certonly.key
expect_eq "$(grep -c 'PRIVATE KEY' certonly.pem)" "0" "key blocks in the certificate file"

it "export legacy RC2-40 PFX -> DER"
krtool export legacy.pfx --password secret --out legacy2der.der
expect_rc 0
expect_eq "$(fingerprint legacy2der.der der)" "$THUMB" "thumbprint of the DER"

it "export PEM + key -> modern PFX (AES-256-CBC, PBKDF2, SHA-256 MAC), mode 0600"
krtool export leaf.pem --key enc.key --password kpw --out pem2pfx.pfx --out-password pfxpw --json
expect_rc 0
expect_eq "$(json '["written"]')" '["pem2pfx.pfx"]' "written"
expect_eq "$(json '["thumbprint"]')" "$THUMB" "thumbprint in the JSON"
run openssl pkcs12 -info -noout -in pem2pfx.pfx -passin pass:pfxpw
expect_rc 0
expect_err_contains "MAC: sha256"
expect_err_contains "Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC"
expect_eq "$(pfx_load pem2pfx.pfx pfxpw)" "O=Acme,CN=alice.test True 0" "python loads the PFX"
expect_mode pem2pfx.pfx 600

it "export PEM + key -> legacy PFX (3DES, SHA-1 MAC) that openssl reads with and without -legacy"
krtool export combined.pem --out legacy-out.pfx --pfx-profile LEGACY --out-password old
expect_rc 0
run openssl pkcs12 -info -noout -in legacy-out.pfx -passin pass:old
expect_rc 0
expect_err_contains "MAC: sha1"
expect_err_contains "pbeWithSHA1And3-KeyTripleDES-CBC"
run openssl pkcs12 -legacy -info -noout -in legacy-out.pfx -passin pass:old
expect_rc 0
expect_eq "$(pfx_load legacy-out.pfx old)" "O=Acme,CN=alice.test True 0" "python loads the legacy PFX"
expect_mode legacy-out.pfx 600

it "export PFX -> PFX keeps the input's password when no --out-password flag is given"
krtool export legacy.pfx --password secret --out kept.pfx
expect_rc 0
run openssl pkcs12 -info -noout -in kept.pfx -passin pass:secret
expect_rc 0
expect_eq "$(pfx_load kept.pfx secret)" "O=Acme,CN=alice.test True 0" "python opens it with the old password"

it "export DER -> PEM, and DER + key -> PFX"
krtool export leaf.der --out der2pem.crt
expect_rc 0
expect_eq "$(fingerprint der2pem.crt)" "$THUMB" "thumbprint of the PEM"
krtool export leaf.der --key leaf.key --out der2pfx.p12 --out-password p
expect_rc 0
expect_eq "$(pfx_load der2pfx.p12 p)" "O=Acme,CN=alice.test True 0" "python loads the PFX"

it "export a chained PFX keeps the chain in PEM and in PFX, modern and legacy"
krtool export chained.pfx --password cpw --out chain.pem
expect_rc 0
expect_eq "$(grep -c 'BEGIN CERTIFICATE' chain.pem)" "2" "certificates in the PEM"
expect_eq "$(openssl crl2pkcs7 -nocrl -certfile chain.pem | openssl pkcs7 -print_certs -noout | grep -c subject=)" "2" \
  "certificates openssl finds"
krtool export chained.pfx --password cpw --out chain.pfx
expect_rc 0
expect_eq "$(pfx_load chain.pfx cpw)" "CN=chained.test True 1" "python loads the chain"
krtool export chained.pfx --password cpw --out chain-legacy.pfx --pfx-profile legacy
expect_rc 0
expect_eq "$(pfx_load chain-legacy.pfx cpw)" "CN=chained.test True 1" "python loads the chain from a legacy PFX"

it "export --format overrides the extension"
krtool export leaf.pem --out actually-der.bin --format der
expect_rc 0
expect_eq "$(fingerprint actually-der.bin der)" "$THUMB" "thumbprint of the DER"

it "a PEM written by export is imported back with the same thumbprint and key"
krtool import pfx2pem.pem --key pfx2pem.key --password newkey --json
expect_rc 0
expect_eq "$(json '["thumbprint"]')" "$THUMB" "thumbprint"
expect_eq "$(json '["hasPrivateKey"]')" "true" "hasPrivateKey"

# ---- bad input: contract exit code, message, hint, and no output written -----------------------
it "a missing file is an input error (exit 3)"
krtool import absent.pfx
expect_error 3 "'absent.pfx' does not exist"
expect_hint
krtool export absent.pfx --out out/x.pem
expect_error 3 "does not exist"
expect_no_outputs

# Tests run as root, and root reads mode-000 files, so a folder stands in for an unreadable file;
# as another user a mode-000 file is tried too.
it "an unreadable input (a folder; mode 000 when not root) is an input error"
mkdir folder.pfx
krtool import folder.pfx
expect_error 3 "is a folder"
expect_hint
if [ "$(id -u)" -ne 0 ]; then
  cp modern.pfx locked.pfx && chmod 000 locked.pfx
  krtool import locked.pfx --password secret
  expect_error 3 "cannot read"
  expect_hint
fi

it "random bytes are not a certificate file"
head -c 600 /dev/urandom >random.bin
krtool import random.bin
expect_error 3 "'random.bin' is not a certificate file krtool can read (PEM, PKCS#12 or DER)"
expect_hint
krtool export random.bin --out out/x.pfx
expect_error 3 "not a certificate file"
expect_no_outputs

it "a truncated PFX is reported as truncated"
head -c 700 modern.pfx >truncated.pfx
krtool import truncated.pfx --password secret
expect_error 3 "truncated"
expect_hint
krtool export truncated.pfx --password secret --out out/x.pem
expect_error 3 "truncated"
expect_no_outputs

it "a wrong PFX password is an input error with a hint"
krtool import modern.pfx --password nope
expect_error 3 "wrong password for PKCS#12 file 'modern.pfx'"
expect_hint
expect_err_contains "--password"
krtool export legacy.pfx --password nope --out out/x.pem
expect_error 3 "wrong password"
expect_no_outputs

it "a missing PFX password, with no terminal to ask on, is an input error"
run "$KRTOOL" import modern.pfx </dev/null
expect_error 3 "no password was given"
expect_hint
expect_err_contains "--no-password"

it "a wrong or missing password for an encrypted key is an input error"
krtool import leaf.pem --key enc.key --password nope
expect_error 3 "wrong password for the private key in 'enc.key'"
expect_hint
run "$KRTOOL" import combined-enc.pem </dev/null
expect_error 3 "no password was given"
expect_hint

it "a key that does not match the certificate is an input error naming both files"
krtool import leaf.pem --key trad.key
expect_error 3 "key 'trad.key' does not match certificate 'leaf.pem'"
expect_hint
krtool export leaf.pem --key trad.key --out out/x.pfx --out-password p
expect_error 3 "does not match"
expect_no_outputs

it "a file holding only a key is an input error that says so"
krtool import plain.key
expect_error 3 "'plain.key' holds a private key but no certificate"
expect_hint

it "an existing output is not overwritten without --force (exit 2, unchanged byte for byte)"
printf 'precious\n' >out/keep.pem
BEFORE=$(sha out/keep.pem)
krtool export leaf.pem --out out/keep.pem
expect_error 2 "already exists"
expect_hint
expect_err_contains "--force"
expect_unchanged out/keep.pem "$BEFORE"
it "an existing <base>.key stops a PEM export before the certificate is written"
printf 'old key\n' >out/pair.key
BEFORE=$(sha out/pair.key)
krtool export combined.pem --out out/pair.pem --include-key
expect_error 2 "already exists"
expect_unchanged out/pair.key "$BEFORE"
expect_no_file out/pair.pem
it "--force overwrites"
krtool export leaf.pem --out out/keep.pem --force
expect_rc 0
expect_eq "$(fingerprint out/keep.pem)" "$THUMB" "thumbprint after --force"
rm -f out/keep.pem out/pair.key

it "a missing output folder is an input error, and nothing is written"
krtool export leaf.pem --out missing-dir/x.pem
expect_error 3 "does not exist"
expect_hint
expect_no_file missing-dir

it "conflicting password flags are a usage error naming both flags"
krtool import modern.pfx --password a --password-file pfx-password.txt
expect_error 2 "--password"
expect_err_contains "--password-file"
krtool export combined.pem --out out/x.pfx --out-password a --out-no-password
expect_error 2 "--out-password"
expect_err_contains "--out-no-password"
expect_no_outputs

it "an output extension krtool does not know, without --format, is a usage error listing the extensions"
krtool export leaf.pem --out out/x.bin
expect_error 2 "out/x.bin"
expect_err_contains "use .pfx/.p12, .pem/.crt or .der/.cer, or give --format pfx|pem|der"
expect_no_outputs

it "--include-key with DER output is a usage error"
krtool export combined.pem --out out/x.der --include-key
expect_error 2 "--include-key"
expect_hint
expect_no_outputs

it "an output password without a key output is a usage error"
krtool export combined.pem --out out/x.pem --out-password p
expect_error 2 "--out-password"
expect_hint
krtool export combined.pem --out out/x.cer --out-password-env SOMETHING
expect_error 2 "--out-password-env"
expect_no_outputs

it "bad --format and --pfx-profile values are usage errors"
krtool export combined.pem --out out/x.pfx --format jks
expect_error 2 "--format 'jks'"
expect_hint
krtool export combined.pem --out out/x.pfx --pfx-profile ancient
expect_error 2 "--pfx-profile 'ancient'"
expect_hint
expect_no_outputs

it "a PFX or --include-key output from a certificate without a key is an input error"
cp leaf.pem lonely.pem  # no lonely.key beside it
krtool export lonely.pem --out out/x.pfx --out-password p
expect_error 3 "holds no private key"
expect_hint
krtool export leaf.der --out out/x.pem --include-key
expect_error 3 "holds no private key"
expect_no_outputs

it "finds <base>.key beside a PEM certificate, as krtool writes it"
krtool new-selfsigned --dns alice --out alice.pem --no-password
expect_rc 0
krtool export alice.pem --out alice.pfx --out-password pfxpass
expect_rc 0
openssl pkcs12 -in alice.pfx -passin pass:pfxpass -nocerts -nodes 2>/dev/null | grep -q "BEGIN PRIVATE KEY" && pass ||
  fail "alice.pfx holds no private key"

it "refuses a --format that contradicts the extension of --out"
krtool export alice.pem --out contradict.pfx --format pem
expect_error 2 "--format pem contradicts --out 'contradict.pfx'"
expect_hint
expect_no_file contradict.pfx
krtool export alice.pem --out contradict.out --format der
expect_rc 0

finish
