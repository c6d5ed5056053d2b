#include "krtool/cert/identity.hpp"

#include "krtool/cert/describe.hpp"
#include "krtool/cert/name.hpp"
#include "krtool/util/time.hpp"

namespace krtool::cert {

Identity identity(X509* certificate) {
  Identity out;
  out.subject = format_dn(X509_get_subject_name(certificate));
  out.issuer = format_dn(X509_get_issuer_name(certificate));
  out.serial_number = serial_number(certificate);
  out.thumbprint = thumbprint(certificate);
  out.thumbprint_sha256 = thumbprint_sha256(certificate);
  out.not_before =
      format_rfc3339(from_asn1_time(X509_get0_notBefore(certificate), "the certificate's notBefore"));
  out.not_after =
      format_rfc3339(from_asn1_time(X509_get0_notAfter(certificate), "the certificate's notAfter"));
  return out;
}

nlohmann::json to_json(const Identity& identity) {
  return {{"subject", identity.subject},
          {"issuer", identity.issuer},
          {"serialNumber", identity.serial_number},
          {"thumbprint", identity.thumbprint},
          {"thumbprintSha256", identity.thumbprint_sha256},
          {"notBefore", identity.not_before},
          {"notAfter", identity.not_after}};
}

}  // namespace krtool::cert
