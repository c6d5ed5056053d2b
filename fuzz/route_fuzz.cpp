// The --route grammar ('METHOD PATH [auth=SCHEME] [HANDLER]'), also the strings of a config's "routes".
// A spec that parses must format back to a spec that parses to the same text.
#include <cstdlib>

#include "fuzz_input.hpp"
#include "krtool/server/routes.hpp"

using krtool::server::RouteSpec;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = krtool::fuzz::text_of(data, size);
  krtool::fuzz::rejecting([&] {
    const RouteSpec spec = krtool::server::parse_route_spec(text);
    const std::string formatted = krtool::server::format_route_spec(spec);
    if (krtool::server::format_route_spec(krtool::server::parse_route_spec(formatted)) != formatted)
      std::abort();
    // Making the handler too, except for file: and dir:, which would look at the fuzzing machine's files.
    if (spec.handler != RouteSpec::HandlerKind::File && spec.handler != RouteSpec::HandlerKind::Folder) {
      (void)krtool::server::parse_route(text);
    }
  });
  return 0;
}
