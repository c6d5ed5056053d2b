// CompiledPolicy: a ClientCertPolicy whose decision is made by validation code in a shared object,
// called through the C ABI of krtool/validation.hpp.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "krtool/tls/policy.hpp"

namespace krtool::tls {

// load_compiled_policy checks that `library` is safe to load (files::require_safe_to_load), loads it,
// and finds krtool_validate_v1; Error(Input) when it is unsafe, does not load, or does not export the
// symbol. `name` is the policy's name in logs ("validation code 'policy.cpp'").
std::unique_ptr<ClientCertPolicy> load_compiled_policy(const std::filesystem::path& library,
                                                       std::string name);

}  // namespace krtool::tls
