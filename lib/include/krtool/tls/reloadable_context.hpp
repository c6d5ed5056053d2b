// ReloadableContext is the TLS layer a server reloads without dropping connections (SIGHUP): each
// accepted connection takes the current SSL_CTX; replace() builds a new one from a new configuration and
// makes it current, while connections made on the old one finish on it.
#pragma once

#include <memory>
#include <mutex>

#include "krtool/ossl.hpp"
#include "krtool/tls/server_context.hpp"

namespace krtool::tls {

class ReloadableContext {
 public:
  // Live is one configuration and the context made from it. The context keeps its configuration alive
  // (it refers to it from its callbacks): an SSL made from `ctx` stays valid after `Live` is released.
  struct Live {
    std::shared_ptr<const TlsServerConfig> config;
    ossl::UniquePtr<SSL_CTX> ctx;
  };

  // The constructor makes the first context; Error when the configuration cannot make one.
  explicit ReloadableContext(std::shared_ptr<const TlsServerConfig> config);

  // current is thread-safe and cheap (a lock and a reference count): the connection layer calls it for
  // each accepted connection.
  std::shared_ptr<const Live> current() const;

  // replace builds the new context first, then makes it current; on failure it throws Error and the
  // previous context stays current.
  void replace(std::shared_ptr<const TlsServerConfig> config);

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Live> live_;
};

}  // namespace krtool::tls
