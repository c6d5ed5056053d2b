#include "auth/online_revocation.hpp"

#include <fmt/format.h>
#include <openssl/x509_vfy.h>

#include "http/fetch.hpp"
#include "krtool/error.hpp"
#include "krtool/util/progress.hpp"
#include "util/text.hpp"

namespace krtool::auth {
namespace {

constexpr const char* kOcspContentType = "application/ocsp-request";

RevocationResponse http_fetch(const RevocationRequest& request, std::chrono::milliseconds timeout) {
  const progress::Step step(fmt::format("asking {} about revocation", request.url));
  const http::FetchBody body{request.content_type, request.body};
  http::FetchResult fetched = http::fetch(request.url, timeout, request.method == "POST" ? &body : nullptr);
  return RevocationResponse{fetched.status, std::move(fetched.body)};
}

bool is_http_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  return url.size() > kScheme.size() && util::starts_with_ignoring_case(url, kScheme);
}

struct DistributionPoints {
  std::vector<std::string> http;   // what Online mode fetches
  std::vector<std::string> other;  // ldap://, file://, https://...: named in the failure, not fetched
};

DistributionPoints crl_distribution_points(X509* certificate) {
  DistributionPoints points;
  int critical = 0;
  ossl::UniquePtr<CRL_DIST_POINTS> extension(static_cast<CRL_DIST_POINTS*>(
      X509_get_ext_d2i(certificate, NID_crl_distribution_points, &critical, nullptr)));
  if (extension == nullptr) {
    if (critical == -1) return points;
    ossl::fail(Errc::Input, "reading the client certificate's CRL distribution points",
               "the client certificate is damaged; re-issue it");
  }
  for (int i = 0; i < sk_DIST_POINT_num(extension.get()); ++i) {
    const DIST_POINT* point = sk_DIST_POINT_value(extension.get(), i);
    // A name relative to the CRL issuer (type 1) names no location to fetch from.
    if (point->distpoint == nullptr || point->distpoint->type != 0) continue;
    const GENERAL_NAMES* names = point->distpoint->name.fullname;
    for (int j = 0; j < sk_GENERAL_NAME_num(names); ++j) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, j);
      if (name->type != GEN_URI) continue;
      const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
      std::string url(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                      static_cast<size_t>(ASN1_STRING_length(uri)));
      (is_http_url(url) ? points.http : points.other).push_back(std::move(url));
    }
  }
  return points;
}

// unknown_revocation is the problem .NET reports when it cannot learn the leaf's revocation status;
// `offline` adds OfflineRevocation, for a server that could not be reached.
cert::ChainProblem unknown_revocation(std::string why, bool offline) {
  return cert::ChainProblem{
      X509_V_ERR_UNABLE_TO_GET_CRL,
      offline ? "RevocationStatusUnknown, OfflineRevocation" : "RevocationStatusUnknown", std::move(why)};
}

std::string joined(const std::vector<std::string>& parts) {
  return fmt::format("{}", fmt::join(parts, "; "));
}

std::string cache_key(const std::string& url, const OcspQuery& query) {
  unsigned char* der = nullptr;
  const int length = i2d_OCSP_CERTID(query.id.get(), &der);
  ossl::require(length > 0, "encoding an OCSP CertID");
  ossl::UniquePtr<unsigned char> owned(der);
  return url + '\n' + std::string(reinterpret_cast<const char*>(der), static_cast<size_t>(length));
}

}  // namespace

OnlineRevocation::OnlineRevocation(std::chrono::milliseconds fetch_timeout, RevocationFetcher fetcher,
                                   std::function<TimePoint()> clock)
    : fetch_timeout_(fetch_timeout),
      fetcher_(fetcher ? std::move(fetcher) : RevocationFetcher(http_fetch)),
      clock_(clock ? std::move(clock) : std::function<TimePoint()>(now_seconds)),
      crls_(fetch_timeout_, fetcher_, clock_) {}

std::optional<OnlineRevocation::Asked> OnlineRevocation::ask_ocsp(X509* leaf, X509* issuer,
                                                                  const ResponderUrls& urls,
                                                                  std::vector<std::string>& failures,
                                                                  bool& unreachable) {
  for (const std::string& url : urls.other)
    failures.push_back(fmt::format("OCSP responder '{}' is not an http:// URL, not asked", url));
  if (urls.http.empty()) return std::nullopt;
  const OcspQuery query = make_ocsp_query(leaf, issuer);
  for (const std::string& url : urls.http) {
    const std::string key = cache_key(url, query);
    {
      const std::lock_guard<std::mutex> lock(mutex_);
      if (auto found = ocsp_.find(key); found != ocsp_.end()) {
        if (clock_() < found->second.answer.fresh_until) return found->second;
        ocsp_.erase(found);
      }
    }
    // Concurrent first askers each ask: unlike a CRL, an answer is small and per certificate.
    RevocationResponse fetched;
    try {
      fetched = fetcher_(RevocationRequest{url, "POST", query.der, kOcspContentType}, fetch_timeout_);
    } catch (const Error& error) {
      failures.push_back(fmt::format("OCSP: {}", error.what()));
      unreachable = true;
      continue;
    }
    if (fetched.status != 200) {
      failures.push_back(fmt::format("OCSP at '{}' answered HTTP {}", url, fetched.status));
      continue;
    }
    Asked asked{judge_ocsp_response(fetched.body, query, issuer, clock_()), url};
    if (asked.answer.status == OcspAnswer::Status::Unknown) {
      failures.push_back(fmt::format("OCSP answer from '{}' not believed: {}", url, asked.answer.detail));
      continue;
    }
    const std::lock_guard<std::mutex> lock(mutex_);
    ocsp_[key] = asked;
    return asked;
  }
  return std::nullopt;
}

RevocationOutcome OnlineRevocation::check_crls(const cert::ChainRequest& trusted,
                                               std::vector<std::string>& failures, bool ocsp_unreachable,
                                               bool named_ocsp) {
  const DistributionPoints points = crl_distribution_points(trusted.certificate);
  RevocationOutcome outcome;
  if (points.http.empty()) {
    const std::string what =
        named_ocsp ? "no OCSP responder answered and the certificate names" : "the certificate names";
    failures.push_back(
        points.other.empty()
            ? fmt::format("{} no CRL distribution point, so revocation mode Online cannot check it", what)
            : fmt::format(
                  "{} no http:// CRL distribution point, only '{}', so revocation mode Online cannot check "
                  "it",
                  what, fmt::join(points.other, "', '")));
    outcome.problem = unknown_revocation(joined(failures), ocsp_unreachable);
    return outcome;
  }
  for (const std::string& url : points.http) {
    CrlCache::CrlSet set;
    try {
      set = crls_.crls(url);
    } catch (const Error& error) {
      failures.push_back(named_ocsp ? fmt::format("CRL: {}", error.what()) : error.what());
      continue;
    }
    cert::ChainRequest request = trusted;
    request.crls = &set.crls;
    cert::ChainReport report = cert::verify_chain(request);
    const std::string cached = fmt::format("cached until {}", format_rfc3339(set.fresh_until));
    if (report.ok()) {
      outcome.source = fmt::format("CRL at {}, good, {}", url, cached);
      return outcome;
    }
    outcome.problem = std::move(report.problems.front());
    if (outcome.problem->error == X509_V_ERR_CERT_REVOKED) {
      outcome.source = fmt::format("CRL at {}, revoked, {}", url, cached);
    } else if (!failures.empty()) {
      failures.push_back(fmt::format("CRL at '{}': {}", url, outcome.problem->text));
      outcome.problem->text = joined(failures);
    }
    return outcome;
  }
  outcome.problem = unknown_revocation(joined(failures), true);
  return outcome;
}

RevocationOutcome OnlineRevocation::check(const cert::ChainRequest& trusted, X509* issuer) {
  X509* leaf = trusted.certificate;
  const ResponderUrls urls = ocsp_responder_urls(leaf);
  std::vector<std::string> failures;
  bool unreachable = false;
  if (const std::optional<Asked> asked = ask_ocsp(leaf, issuer, urls, failures, unreachable)) {
    RevocationOutcome outcome;
    // An answer without nextUpdate is fresh for no time at all: it is asked again the next time.
    const std::string cached = asked->answer.fresh_until > clock_()
                                   ? fmt::format("cached until {}", format_rfc3339(asked->answer.fresh_until))
                                   : std::string("not cached (no nextUpdate)");
    if (asked->answer.status == OcspAnswer::Status::Good) {
      outcome.source = fmt::format("OCSP at {}, good, {}", asked->url, cached);
    } else {
      outcome.problem = cert::chain_problem(X509_V_ERR_CERT_REVOKED, 0, leaf);
      outcome.source = fmt::format("OCSP at {}, {}, {}", asked->url, asked->answer.detail, cached);
    }
    return outcome;
  }
  return check_crls(trusted, failures, unreachable, !urls.http.empty() || !urls.other.empty());
}

}  // namespace krtool::auth
