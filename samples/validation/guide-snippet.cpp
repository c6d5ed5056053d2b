// The guide's snippet (Kestrun's C# example, in C++): a body, so no function around it.
// krtool serve --client-cert-mode allow --client-cert-validation-code-path guide-snippet.cpp
if (certificate == nullptr) return true;  // allow mode
return sslPolicyErrors == SslPolicyErrors::None ||
       sslPolicyErrors == SslPolicyErrors::RemoteCertificateChainErrors;  // dev only
