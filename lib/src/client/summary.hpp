// summarize gives the report's view of a certificate: names, thumbprint and expiry, as .NET prints them.
#pragma once

#include "krtool/client/test_client.hpp"
#include "krtool/ossl.hpp"

namespace krtool::client {

CertificateSummary summarize(X509* certificate);

}  // namespace krtool::client
