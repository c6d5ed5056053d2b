#include "client/summary.hpp"

#include "krtool/cert/describe.hpp"
#include "krtool/cert/name.hpp"
#include "krtool/util/time.hpp"

namespace krtool::client {

CertificateSummary summarize(X509* certificate) {
  CertificateSummary summary;
  summary.subject = cert::format_dn(X509_get_subject_name(certificate));
  summary.issuer = cert::format_dn(X509_get_issuer_name(certificate));
  summary.thumbprint = cert::thumbprint(certificate);
  summary.not_after =
      format_rfc3339(from_asn1_time(X509_get0_notAfter(certificate), "the certificate's notAfter"));
  summary.self_signed = summary.subject == summary.issuer;  // Kestrun's rule: the names, compared ordinally
  return summary;
}

}  // namespace krtool::client
