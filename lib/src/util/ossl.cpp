#include "krtool/ossl.hpp"

#include <fmt/format.h>
#include <openssl/err.h>

namespace krtool::ossl {

std::string drain_errors() {
  std::string reasons;
  const char* file = nullptr;
  int line = 0;
  const char* data = nullptr;
  int flags = 0;
  unsigned long code = 0;
  while ((code = ERR_get_error_all(&file, &line, nullptr, &data, &flags)) != 0) {
    const char* reason = ERR_reason_error_string(code);
    std::string text = reason != nullptr ? reason : fmt::format("error {:#x}", code);
    if ((flags & ERR_TXT_STRING) != 0 && data != nullptr && *data != '\0') {
      text += fmt::format(" ({})", data);
    }
    if (reasons.find(text) == std::string::npos) {  // OpenSSL often queues the same reason twice
      if (!reasons.empty()) reasons += "; ";
      reasons += text;
    }
  }
  return reasons;
}

void fail(Errc code, std::string_view action, std::string hint) {
  const std::string reasons = drain_errors();
  if (reasons.empty()) throw Error(code, std::string(action), std::move(hint));
  throw Error(code, fmt::format("{}: {}", action, reasons), std::move(hint));
}

UniquePtr<BIO> memory_bio(std::string_view bytes) {
  UniquePtr<BIO> bio(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
  require(bio != nullptr, "allocating a memory buffer");
  return bio;
}

UniquePtr<BIO> sink_bio() {
  UniquePtr<BIO> bio(BIO_new(BIO_s_mem()));
  require(bio != nullptr, "allocating a memory buffer");
  return bio;
}

std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<size_t>(size)) : std::string();
}

}  // namespace krtool::ossl
