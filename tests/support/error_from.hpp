// error_from runs `action` and returns the krtool::Error it throws; the test fails when it throws none.
#pragma once

#include <catch2/catch.hpp>
#include <stdexcept>

#include "krtool/error.hpp"

namespace krtool::test {

template <typename Action>
Error error_from(Action&& action) {
  try {
    action();
  } catch (const Error& e) {
    return e;
  }
  FAIL("expected a krtool::Error");
  throw std::logic_error("unreachable");
}

}  // namespace krtool::test
