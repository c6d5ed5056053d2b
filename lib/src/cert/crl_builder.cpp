#include "krtool/cert/crl_builder.hpp"

#include <fmt/format.h>
#include <openssl/pem.h>

#include "krtool/cert/key.hpp"
#include "krtool/cert/name.hpp"

namespace krtool::cert {
namespace {

ossl::UniquePtr<ASN1_STRING> asn1_time(TimePoint t, std::string_view what) {
  require_certificate_time(t, what);
  ossl::UniquePtr<ASN1_STRING> time(ASN1_TIME_set(nullptr, to_time_t(t)));
  ossl::require(time != nullptr, fmt::format("encoding the CRL's {}", what));
  return time;
}

void add_revoked(X509_CRL* crl, const Revocation& revocation) {
  ossl::UniquePtr<X509_REVOKED> entry(X509_REVOKED_new());
  ossl::require(entry != nullptr, "allocating a CRL entry");
  const ossl::UniquePtr<ASN1_INTEGER> serial = serial_integer(revocation.serial);
  ossl::require(X509_REVOKED_set_serialNumber(entry.get(), serial.get()) == 1,
                "setting a CRL entry's serial");
  const ossl::UniquePtr<ASN1_STRING> when = asn1_time(revocation.revoked_at, "revocation time");
  ossl::require(X509_REVOKED_set_revocationDate(entry.get(), when.get()) == 1,
                "setting a CRL entry's revocation date");
  if (revocation.reason != RevocationReason::Unspecified) {
    ossl::UniquePtr<ASN1_STRING> code(ASN1_ENUMERATED_new());
    ossl::require(
        code != nullptr && ASN1_ENUMERATED_set(code.get(), static_cast<long>(revocation.reason)) == 1,
        "encoding a revocation reason");
    ossl::require(X509_REVOKED_add1_ext_i2d(entry.get(), NID_crl_reason, code.get(), 0, 0) == 1,
                  "adding a revocation reason");
  }
  ossl::require(X509_CRL_add0_revoked(crl, entry.get()) == 1, "adding a CRL entry");
  (void)entry.release();  // the CRL owns it now
}

void require_crl_signer(const CertBundle& ca) {
  X509* certificate = ca.certificate.get();
  const std::string subject = format_dn(X509_get_subject_name(certificate));
  if (!ca.key) {
    throw Error(Errc::Input, fmt::format("CA '{}' has no private key here, so it cannot sign a CRL", subject),
                "give the CA file with its key (a PFX, or PEM with the key beside it as <base>.key)");
  }
  if (X509_check_ca(certificate) == 0) {
    throw Error(Errc::Input,
                fmt::format("'{}' is not a certificate authority, so it cannot sign a CRL", subject),
                "use the CA that issued the certificates (made with new-selfsigned --ca)");
  }
  if ((X509_get_extension_flags(certificate) & EXFLAG_KUSAGE) != 0 &&
      (X509_get_key_usage(certificate) & KU_CRL_SIGN) == 0) {
    throw Error(Errc::Input,
                fmt::format("CA '{}' lacks the cRLSign key usage, so its CRLs are invalid", subject),
                "make the CA with new-selfsigned --ca, which sets keyCertSign and cRLSign");
  }
}

}  // namespace

ossl::UniquePtr<X509_CRL> build_crl(const CertBundle& ca, const CrlSpec& spec) {
  require_crl_signer(ca);
  if (spec.next_update <= spec.this_update) {
    throw Error(Errc::Usage,
                fmt::format("the CRL's nextUpdate {} is not after its thisUpdate {}",
                            format_rfc3339(spec.next_update), format_rfc3339(spec.this_update)),
                "give a positive --next-update, such as 7d");
  }
  X509* issuer = ca.certificate.get();
  ossl::UniquePtr<X509_CRL> crl(X509_CRL_new());
  ossl::require(crl != nullptr, "allocating a CRL");
  ossl::require(X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) == 1, "setting the CRL version");
  ossl::require(X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(issuer)) == 1,
                "setting the CRL issuer");
  const ossl::UniquePtr<ASN1_STRING> this_update = asn1_time(spec.this_update, "thisUpdate");
  const ossl::UniquePtr<ASN1_STRING> next_update = asn1_time(spec.next_update, "nextUpdate");
  ossl::require(X509_CRL_set1_lastUpdate(crl.get(), this_update.get()) == 1, "setting the CRL's thisUpdate");
  ossl::require(X509_CRL_set1_nextUpdate(crl.get(), next_update.get()) == 1, "setting the CRL's nextUpdate");
  for (const Revocation& revocation : spec.revoked) add_revoked(crl.get(), revocation);

  ossl::UniquePtr<ASN1_INTEGER> number(ASN1_INTEGER_new());
  ossl::require(number != nullptr && ASN1_INTEGER_set_uint64(number.get(), spec.crl_number) == 1,
                "encoding the CRL number");
  ossl::require(X509_CRL_add1_ext_i2d(crl.get(), NID_crl_number, number.get(), 0, 0) == 1,
                "adding the CRL number");
  // The authority key identifier lets a verifier pick the right CA key when a CA was re-keyed.
  if (X509_get0_subject_key_id(issuer) != nullptr) {
    X509V3_CTX context;
    X509V3_set_ctx(&context, issuer, nullptr, nullptr, crl.get(), 0);
    ossl::UniquePtr<X509_EXTENSION> aki(
        X509V3_EXT_conf_nid(nullptr, &context, NID_authority_key_identifier, "keyid:always"));
    ossl::require(aki != nullptr && X509_CRL_add_ext(crl.get(), aki.get(), -1) == 1,
                  "adding the authority key identifier");
  }
  ossl::require(X509_CRL_sort(crl.get()) == 1, "sorting the CRL entries");
  ossl::require(X509_CRL_sign(crl.get(), ca.key.get(), signing_digest(ca.key.get())) > 0,
                fmt::format("signing the CRL of '{}'", format_dn(X509_get_subject_name(issuer))));
  return crl;
}

std::string crl_der(X509_CRL* crl) {
  unsigned char* raw = nullptr;
  const int length = i2d_X509_CRL(crl, &raw);
  ossl::require(length > 0, "encoding the CRL");
  const ossl::UniquePtr<unsigned char> owned(raw);
  return std::string(reinterpret_cast<const char*>(raw), static_cast<size_t>(length));
}

std::string crl_pem(X509_CRL* crl) {
  ossl::UniquePtr<BIO> sink = ossl::sink_bio();
  ossl::require(PEM_write_bio_X509_CRL(sink.get(), crl) == 1, "encoding the CRL as PEM");
  return ossl::bio_contents(sink.get());
}

}  // namespace krtool::cert
