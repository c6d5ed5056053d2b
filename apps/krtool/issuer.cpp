#include "issuer.hpp"

#include "krtool/formats/load.hpp"

namespace krtool::app {

cert::CertBundle load_issuer_bundle(const std::string& issuer, const std::string& issuer_key,
                                    const PasswordFlags& password, bool with_key) {
  formats::LoadOptions load;
  load.password = read_password(password.source());
  load.prompt = terminal_prompt;
  load.key_path = issuer_key;
  load.sibling_key = with_key;
  return formats::load_bundle(issuer, load);
}

}  // namespace krtool::app
