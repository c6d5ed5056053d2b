// A subject allow-list: only the clients named here pass the TLS layer, whoever issued them, and
// only with a chain that verifies against --trust-ca. A body: krtool wraps it in validate().
static const std::set<std::string> allowed = {
    "CN=alice, O=krtool samples",
    "CN=bob, O=krtool samples",
};
if (certificate == nullptr) return true;  // allow mode: let the routes decide
return sslPolicyErrors == SslPolicyErrors::None && allowed.count(certificate->subject()) == 1;
