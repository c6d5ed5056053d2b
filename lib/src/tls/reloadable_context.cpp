#include "krtool/tls/reloadable_context.hpp"

#include <fmt/format.h>

#include "krtool/error.hpp"

namespace krtool::tls {
namespace {

// The context's own reference to its configuration, freed with the context: TlsServerConfig::configure
// leaves a plain pointer to the configuration in the context, and a connection that outlives a reload
// keeps the old context, and so must keep the old configuration too.
int owner_index() {
  static const int index = SSL_CTX_get_ex_new_index(
      0, nullptr, nullptr, nullptr, [](void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
        delete static_cast<std::shared_ptr<const TlsServerConfig>*>(ptr);
      });
  return index;
}

std::shared_ptr<const ReloadableContext::Live> make_live(std::shared_ptr<const TlsServerConfig> config) {
  if (config == nullptr) throw Error(Errc::Internal, "a TLS context needs a configuration");
  auto live = std::make_shared<ReloadableContext::Live>();
  try {
    live->ctx = config->make_context();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(Errc::Internal, fmt::format("making the TLS context: {}", e.what()));
  }
  auto owner = std::make_unique<std::shared_ptr<const TlsServerConfig>>(config);
  ossl::require(SSL_CTX_set_ex_data(live->ctx.get(), owner_index(), owner.get()) == 1,
                "tying the TLS configuration to its context");
  owner.release();  // the context owns it now
  live->config = std::move(config);
  return live;
}

}  // namespace

ReloadableContext::ReloadableContext(std::shared_ptr<const TlsServerConfig> config)
    : live_(make_live(std::move(config))) {}

std::shared_ptr<const ReloadableContext::Live> ReloadableContext::current() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return live_;
}

void ReloadableContext::replace(std::shared_ptr<const TlsServerConfig> config) {
  std::shared_ptr<const Live> next = make_live(std::move(config));
  const std::lock_guard<std::mutex> lock(mutex_);
  live_.swap(next);
  // `next` now holds the previous Live; it is released after the lock, by this scope's end.
}

}  // namespace krtool::tls
