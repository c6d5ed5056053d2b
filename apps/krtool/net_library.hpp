// net_library opens libkrtool_net.so for `krtool serve` and `krtool test-client`; no other command
// loads it (see krtool/net_entry.hpp for why it is not linked).
#pragma once

#include "krtool/net_entry.hpp"

namespace krtool::app {

// net_library loads the library on first use and returns its entry table. Error(Internal) with the
// loader's message when the library is missing or is not krtool's.
const NetEntry& net_library();

}  // namespace krtool::app
