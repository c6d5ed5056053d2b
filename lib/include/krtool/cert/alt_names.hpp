// Subject alternative names: the one place that decides what kind of name a user gave (an IP
// address, a DNS name, an e-mail address or a URI) and encodes it, for certificates (new-selfsigned)
// and requests (new-csr) alike.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "krtool/ossl.hpp"

namespace krtool::cert {

enum class NameKind { Dns, Ip, Email, Uri };

// is_ip_address says whether `text` is an IPv4 or IPv6 address literal (no brackets, no port).
bool is_ip_address(std::string_view text);

// classify_name: an IP literal is an IP address; "scheme://..." is a URI; "local@domain" an e-mail
// address; anything else a DNS name.
NameKind classify_name(std::string_view name);

// subject_alt_names encodes `names` in order, each by its kind. Throws Error(Usage) naming `flag` for
// a DNS name with characters DNS does not allow, or an IP literal OpenSSL cannot encode.
ossl::UniquePtr<GENERAL_NAMES> subject_alt_names(const std::vector<std::string>& names,
                                                 std::string_view flag = "--dns");

}  // namespace krtool::cert
