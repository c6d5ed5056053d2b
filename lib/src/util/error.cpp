#include "krtool/error.hpp"

namespace krtool {

int exit_code(Errc code) noexcept {
  switch (code) {
    case Errc::CheckFailed:
      return 1;
    case Errc::Usage:
      return 2;
    case Errc::Input:
      return 3;
    case Errc::Tls:
      return 4;
    case Errc::Network:
      return 5;
    case Errc::Internal:
      return 1;
    case Errc::Interrupted:
      return 130;
  }
  return 1;
}

}  // namespace krtool
