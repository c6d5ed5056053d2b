#!/usr/bin/env bash
# make_seeds.sh KRTOOL OUT: writes the fuzz targets' binary seeds into OUT/<target>/, made the way the
# tests make their fixtures: by krtool itself (PEM, DER and PFX certificates and keys, encrypted or not,
# modern and legacy PFX; CSRs), python3-cryptography (a CRL) and python3's zlib (gzip and deflate
# bodies). ECDSA keys keep every seed small.
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
