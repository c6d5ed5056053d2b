// The text of krtool/validation.hpp, embedded at build time (cmake/EmbedText.cmake), so that compiling
// validation code never depends on where, or whether, krtool's headers are installed.
#pragma once

#include <string_view>

namespace krtool::tls {

std::string_view validation_header_text() noexcept;

}  // namespace krtool::tls
