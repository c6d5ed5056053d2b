// Distinguished names as users write them (--subject, --issuer-name): parsed, then formatted the way
// .NET prints them, and that text parsed again.
#include <cstdlib>

#include "fuzz_input.hpp"
#include "krtool/cert/name.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  krtool::fuzz::rejecting([&] {
    const auto name = krtool::cert::parse_dn(krtool::fuzz::text_of(data, size));
    const std::string formatted = krtool::cert::format_dn(name.get());
    (void)krtool::cert::common_name(name.get());
    // What krtool prints must read back as the same name: the formatter quotes what needs quoting. Not
    // with a backslash: the parser reads backslash escapes (krtool's addition), while the printing is
    // .NET's, which has none, so a\b is printed as it is and read back as ab.
    if (formatted.find('\\') != std::string::npos) return;
    const auto again = krtool::cert::parse_dn(formatted);
    if (krtool::cert::format_dn(again.get()) != formatted) std::abort();
  });
  return 0;
}
