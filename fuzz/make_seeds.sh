#!/usr/bin/env bash
# make_seeds.sh KRTOOL OUT: writes the fuzz targets' binary seeds into OUT/<target>/, made the way the
# tests make their fixtures: by krtool itself (PEM, DER and PFX certificates and keys, encrypted or not,
# modern and legacy PFX; CSRs), python3-cryptography (a CRL), openssl ocsp (OCSP requests and answers
# about krtool's certificates) and python3's zlib (gzip and deflate bodies). ECDSA keys keep every seed
# small.
set -euo pipefail
krtool=$1 out=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
k() { "$krtool" "$@" >/dev/null; }

k new-selfsigned --ca --subject "CN=Fuzz CA, O=Acme" --key-type ecdsa --out ca.pem
k new-selfsigned --issuer ca.pem --dns leaf.example --dns 127.0.0.1 --key-type ecdsa --purpose client \
  --out leaf.pem
k new-selfsigned --dns encrypted --key-type ecdsa --out encrypted.pem --password test
k new-selfsigned --issuer ca.pem --dns pfx --key-type ecdsa --out modern.pfx --password test
k export modern.pfx --password test --out legacy.pfx --out-password test --pfx-profile legacy
k export leaf.pem --out leaf.der
k new-csr --subject "CN=csr, O=Acme, C=US" --dns csr.example --key-type ecdsa --out request.csr --no-password

mkdir -p "$out/load_bundle" "$out/csr" "$out/crl"
cat leaf.pem leaf.key ca.pem >"$out/load_bundle/leaf-with-key-and-chain.pem"
cp ca.pem "$out/load_bundle/certificate-only.pem"
cat encrypted.pem encrypted.key >"$out/load_bundle/encrypted-key.pem"
cp leaf.der "$out/load_bundle/leaf.der"
cp modern.pfx legacy.pfx "$out/load_bundle/"
cp request.csr "$out/csr/request.pem"
openssl req -in request.csr -outform DER -out "$out/csr/request.der"

# A CRL of the CA listing one serial, in PEM and DER, as a CA publishes it.
/usr/bin/python3 - ca.pem ca.key "$out/crl" <<'PY'
import datetime, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
ca = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
key = serialization.load_pem_private_key(open(sys.argv[2], "rb").read(), password=None)
now = datetime.datetime.now(datetime.timezone.utc)
revoked = x509.RevokedCertificateBuilder().serial_number(4242).revocation_date(now).build()
crl = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject).last_update(now)
       .next_update(now + datetime.timedelta(days=1)).add_revoked_certificate(revoked)
       .sign(key, hashes.SHA256()))
open(sys.argv[3] + "/ca.crl.pem", "wb").write(crl.public_bytes(serialization.Encoding.PEM))
open(sys.argv[3] + "/ca.crl.der", "wb").write(crl.public_bytes(serialization.Encoding.DER))
PY

# OCSP requests and answers as openssl ocsp makes them for the CA: about the leaf (good) and a revoked
# certificate, with and without a nonce, by SHA-1 and SHA-256 CertIDs. The fuzz targets read a settings
# byte first (fuzz/README.md): each seed comes with the settings that take it furthest.
k new-selfsigned --issuer ca.pem --dns revoked.example --key-type ecdsa --purpose client --out revoked.pem
index_line() {  # STATUS FILE [REVOKED_AT]: an openssl ca index.txt line
  local serial expiry
  serial=$(openssl x509 -in "$2" -noout -serial | cut -d= -f2)
  expiry=$(date -u -d "$(openssl x509 -in "$2" -noout -enddate | cut -d= -f2)" +%y%m%d%H%M%SZ)
  printf '%s\t%s\t%s\t%s\tunknown\t/CN=%s\n' "$1" "$expiry" "${3:-}" "$serial" "$2"
}
{ index_line V leaf.pem; index_line R revoked.pem "$(date -u +%y%m%d%H%M%SZ),keyCompromise"; } >index.txt
ocsp_ask() { openssl ocsp -issuer ca.pem "$@" 2>/dev/null; }
ocsp_answer() {  # REQUEST RESPONSE [options]
  openssl ocsp -index index.txt -CA ca.pem -rsigner ca.pem -rkey ca.key -reqin "$1" -respout "$2" "${@:3}" \
    >/dev/null 2>&1
}
ocsp_ask -cert leaf.pem -reqout good.req
ocsp_ask -cert revoked.pem -no_nonce -reqout revoked.req
ocsp_ask -sha256 -cert leaf.pem -cert revoked.pem -reqout both.req
ocsp_answer good.req good.resp
ocsp_answer revoked.req revoked.resp -ndays 1 -resp_key_id
ocsp_answer both.req both.resp -resp_no_certs
mkdir -p "$out/ocsp_request" "$out/ocsp_response"
with_byte() { printf "\\x$1"; cat "$2"; }  # HEX FILE: the settings byte, then the file
# ocsp_request: POSTed as is; POSTed and adopted (the fuzzing CA's hashes, the good serial); by GET,
# base64 (escaped or not) and adopted (the revoked serial, one never issued); by GET as the path itself.
with_byte 00 good.req >"$out/ocsp_request/post-good"
with_byte 0c both.req >"$out/ocsp_request/post-adopted-good"
with_byte 16 revoked.req >"$out/ocsp_request/get-adopted-revoked"
with_byte 3e good.req >"$out/ocsp_request/get-escaped-adopted-unknown"
{ printf '\x01'; base64 -w0 good.req; } >"$out/ocsp_request/get-path"
# ocsp_response: as the network sends it (now = thisUpdate), signed again by the fuzzing CA, and by its
# delegated responder; a responder that answers tryLater.
for answer in good revoked both; do
  with_byte 08 "$answer.resp" >"$out/ocsp_response/$answer-as-sent"
  with_byte 09 "$answer.resp" >"$out/ocsp_response/$answer-resigned"
  with_byte 0b "$answer.resp" >"$out/ocsp_response/$answer-delegated"
done
printf '\x08\x30\x03\x0a\x01\x03' >"$out/ocsp_response/try-later"

# content_coding: gzip (two members), zlib and raw deflate, identity, and a gzip bomb of 1 MiB of zeros
# against a 64 KiB limit; the settings byte is the coding (bits 0-2) and the limit in 64 KiB (bits 3-7).
mkdir -p "$out/content_coding"
/usr/bin/python3 - "$out/content_coding" <<'PY'
import gzip, sys, zlib
text = b'{"crl": "a CRL or a JSON answer, encoded by the upstream", "n": [1, 2, 3]}\n' * 8
def deflate(data, wbits):
    c = zlib.compressobj(9, zlib.DEFLATED, wbits)
    return c.compress(data) + c.flush()
seeds = {
    "gzip-two-members": b"\x08" + gzip.compress(text[:100]) + gzip.compress(text[100:]),
    "deflate-zlib": b"\x09" + deflate(text, 15),
    "deflate-raw": b"\x09" + deflate(text, -15),
    "x-gzip": b"\x0a" + gzip.compress(text),
    "identity": b"\x0b" + text,
    "gzip-bomb": b"\x08" + gzip.compress(bytes(1 << 20)),
}
for name, data in seeds.items():
    open(f"{sys.argv[1]}/{name}", "wb").write(data)
PY
echo "make_seeds: $(find "$out" -type f | wc -l) seeds in $out"
