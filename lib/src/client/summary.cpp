#include "client/summary.hpp"

#include "krtool/cert/identity.hpp"

namespace krtool::client {

CertificateSummary summarize(X509* certificate) {
  CertificateSummary summary;
  static_cast<cert::Identity&>(summary) = cert::identity(certificate);
  summary.self_signed = summary.subject == summary.issuer;  // Kestrun's rule: the names, compared ordinally
  return summary;
}

}  // namespace krtool::client
