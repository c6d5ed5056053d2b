#include "client/tls_names.hpp"

#include <fmt/format.h>

#include <utility>

namespace krtool::client {

namespace {

constexpr std::pair<int, const char*> kAlerts[] = {
    {0, "close_notify"},
    {10, "unexpected_message"},
    {20, "bad_record_mac"},
    {22, "record_overflow"},
    {40, "handshake_failure"},
    {42, "bad_certificate"},
    {43, "unsupported_certificate"},
    {44, "certificate_revoked"},
    {45, "certificate_expired"},
    {46, "certificate_unknown"},
    {47, "illegal_parameter"},
    {48, "unknown_ca"},
    {49, "access_denied"},
    {50, "decode_error"},
    {51, "decrypt_error"},
    {70, "protocol_version"},
    {71, "insufficient_security"},
    {80, "internal_error"},
    {86, "inappropriate_fallback"},
    {90, "user_canceled"},
    {109, "missing_extension"},
    {110, "unsupported_extension"},
    {112, "unrecognized_name"},
    {113, "bad_certificate_status_response"},
    {115, "unknown_psk_identity"},
    {116, "certificate_required"},
    {120, "no_application_protocol"},
};

constexpr std::pair<int, const char*> kHandshakeMessages[] = {
    {1, "ClientHello"},        {2, "ServerHello"},         {4, "NewSessionTicket"},
    {5, "EndOfEarlyData"},     {8, "EncryptedExtensions"}, {11, "Certificate"},
    {12, "ServerKeyExchange"}, {13, "CertificateRequest"}, {14, "ServerHelloDone"},
    {15, "CertificateVerify"}, {16, "ClientKeyExchange"},  {20, "Finished"},
    {22, "CertificateStatus"}, {24, "KeyUpdate"},
};

template <std::size_t N>
const char* find_name(const std::pair<int, const char*> (&table)[N], int code) {
  for (const auto& [number, name] : table) {
    if (number == code) return name;
  }
  return nullptr;
}

}  // namespace

std::string alert_name(int code) {
  const char* name = find_name(kAlerts, code);
  return name != nullptr ? name : fmt::format("alert {}", code);
}

std::string handshake_message_name(int type) {
  const char* name = find_name(kHandshakeMessages, type);
  return name != nullptr ? name : fmt::format("handshake message {}", type);
}

}  // namespace krtool::client
