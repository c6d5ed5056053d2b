// server_library opens libkrtool_server.so for `krtool serve`; no other command loads it (see
// krtool/server/serve_entry.hpp for why it is not linked).
#pragma once

#include "krtool/server/serve_entry.hpp"

namespace krtool::app {

// server_library loads the library on first use and returns its entry table. Error(Internal) with the
// loader's message when the library is missing or is not krtool's.
const server::ServeEntry& server_library();

}  // namespace krtool::app
