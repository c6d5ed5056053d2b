// prepare_openssl makes the choices that belong to the krtool process rather than to libkrtool (a C++
// program that embeds the library keeps OpenSSL's defaults). It runs before OpenSSL's first use.
#pragma once

namespace krtool::app {

// Throws Error(Internal) when OpenSSL refuses a setting.
void prepare_openssl();

}  // namespace krtool::app
