// krtool(1) and krtool-<command>(1): the commands and options come from CLI11 (reference_docs.cpp); the
// sections around them (the two layers, exit status, environment, files, examples) are written here,
// from the contract. krtool(1) is the whole reference on one page; a command's page is what `man
// krtool-serve` (and git's convention for subcommands) finds.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string_view>

#include "krtool/util/ascii.hpp"
#include "reference_docs.hpp"

namespace krtool::app {
namespace {

// roff escapes text for man(7): a backslash is \e, every '-' is \- (a minus, so that flags copied
// from the rendered page work), a character beyond ASCII is named by its code point (\[u2026]: groff
// reads its input as Latin-1), and a line may not start with a control character.
std::string roff(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0xC0) {
      const std::size_t length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2;
      char32_t point = byte & (0x3F >> (length - 1));
      for (std::size_t k = 1; k < length && i + 1 < text.size(); ++k)
        point = (point << 6) | (static_cast<unsigned char>(text[++i]) & 0x3F);
      out += fmt::format("\\[u{:04X}]", static_cast<std::uint32_t>(point));
    } else if (byte >= 0x80) {
      out += "\\[uFFFD]";  // a stray continuation byte: not UTF-8
    } else if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
  }
  if (!out.empty() && (out.front() == '.' || out.front() == '\'')) out.insert(0, "\\&");
  return out;
}

// breakable_choices lets a long a|b|c list, in a value or a description, break after a '|' (\: is a
// break point that prints nothing), since hyphenation is off.
std::string breakable_choices(std::string value) {
  for (std::size_t bar = value.find('|'); bar != std::string::npos; bar = value.find('|', bar + 3)) {
    value.insert(bar + 1, "\\:");
  }
  return value;
}

// lower_first makes a description the rest of a NAME line ("krtool-serve \- run a development..."),
// unless it starts with a name (HTTPS, PFX).
std::string lower_first(std::string text) {
  if (text.size() > 1 && std::isupper(static_cast<unsigned char>(text[0])) &&
      std::islower(static_cast<unsigned char>(text[1]))) {
    text[0] = util::lower(text[0]);
  }
  return text;
}

std::string sentence(std::string text) {
  if (!text.empty() && text.back() != '.') text += '.';
  return text;
}

std::string synopsis(const CommandDoc& command) {
  std::string out = fmt::format(".B krtool {}\n", roff(command.name));
  if (!command.commands.empty()) out += ".I command\n";
  for (const OptionDoc& option : command.options) {
    if (!option.positional.empty()) out += fmt::format(".I {}\n", roff(option.positional));
  }
  out += ".RI [ options ]\n";
  return out;
}

std::string option_entry(const OptionDoc& option) {
  std::string out = ".TP\n";
  if (!option.positional.empty()) {
    out += fmt::format(".I {}\n", roff(option.positional));
  } else {
    const std::string names = fmt::format("{}", fmt::join(option.names, ", "));
    out += option.value.empty()
               ? fmt::format(".B {}\n", roff(names))
               : fmt::format(".BI \"{}\" \" {}\"\n", roff(names), breakable_choices(roff(option.value)));
  }
  out += breakable_choices(roff(option_text(option))) + "\n";
  return out;
}

// page_ref is a reference to a command's page: ".BR krtool\-policy\-test (1)".
std::string page_ref(const CommandDoc& command) {
  return fmt::format(".BR {} (1)", roff(page_name(command)));
}

// command_list lists a command's own commands (`parent` "" for krtool's), each with what it does; `ref`
// names each by its page rather than by its name.
std::string command_list(const std::vector<CommandDoc>& commands, const std::string& parent, bool ref) {
  std::string out;
  for (const CommandDoc* command : subcommands(commands, parent)) {
    out += ".TP\n" + (ref ? page_ref(*command) : fmt::format(".B {}", roff(last_word(*command)))) + "\n" +
           roff(sentence(command->description)) + "\n";
  }
  return out;
}

// examples renders lines kept as they are (.nf), indented (.RS).
std::string examples(const std::vector<std::string>& lines) {
  std::string out = ".PP\n.nf\n.RS\n";
  for (const std::string& line : lines) out += line.empty() ? ".sp\n" : roff(line) + "\n";
  return out + ".RE\n.fi\n";
}

constexpr std::string_view kDescription = R"(.SH DESCRIPTION
krtool makes the certificates that mutual TLS needs, in every format, runs a development HTTPS server
that authenticates client certificates, and calls such servers with a test client that says why a call
failed. Its commands mirror the cmdlets of Kestrun's client\-certificate guide.
.PP
Two layers decide whether a client certificate is accepted. The TLS handshake comes first: the
server's client\-certificate mode
.RB ( none ", " allow ", " require ),
the certificate authorities it trusts and its validation policy. A certificate the handshake refuses
ends the connection with a TLS alert. HTTP authentication comes second: a scheme per route, which
turns the certificate into claims or answers 401 or 403.
.B krtool serve
logs each layer's decision and
.B krtool test\-client
names the layer that refused, the cause and the fix.
.PP
Every command takes
.BR \-\-help .
Commands that report something take
.B \-\-json
and then print exactly one JSON document on standard output; messages go to standard error.
Errors are one line,
.IR "krtool: error: ..." ,
followed by an indented line
.I "hint: ..."
where there is a fix.
)";

constexpr std::string_view kExitStatus = R"(.SH EXIT STATUS
.TP
.B 0
Success.
.TP
.B 1
The check asked for failed: a test\-cert verdict, or a test\-client expectation. Also an internal
error.
.TP
.B 2
Usage: an unknown flag, a bad value, conflicting flags.
.TP
.B 3
Bad input: an unreadable, corrupt or mismatched file, or a wrong password.
.TP
.B 4
A TLS failure.
.TP
.B 5
A network failure: refused, timed out, not resolved.
.TP
.B 127
The system's loader could not start krtool: a library it needs (libkrtool, libkrtool_net or a
system library) is missing; the loader's message names it.
.TP
.B 130
Interrupted.
)";

constexpr std::string_view kAfterCommands = R"(.SH ENVIRONMENT
.TP
.B PORT
The port of
.B krtool serve
when
.B \-\-port
is not given (default 5000).
.TP
.B CXX
The compiler for
.BR "serve \-\-client\-cert\-validation\-code" " (default " c++ ).
.TP
.B XDG_CACHE_HOME
Where compiled validation code is cached (default
.IR ~/.cache/krtool ).
.TP
.B NO_COLOR
When set, test\-client prints no colour even on a terminal.
.TP
.B OPENSSL_CONF
OpenSSL's configuration file, which krtool reads as OpenSSL does.
.SH FILES
.TP
.I <base>.key
The private key beside a PEM certificate
.IR <base>.pem ,
written with mode 0600. Every output goes to a temporary file in the same folder and is renamed
into place; an existing file is only replaced with
.BR \-\-force .
.SH EXAMPLES
A certificate authority, a server certificate and a client certificate:
.PP
.nf
.RS
krtool new\-selfsigned \-\-ca \-\-subject "CN=Dev CA" \-\-out ca.pem
krtool new\-selfsigned \-\-issuer ca.pem \-\-dns localhost \-\-purpose server \-\-out server.pem
krtool new\-selfsigned \-\-issuer ca.pem \-\-dns alice \-\-purpose client \-\-out alice.pem
.RE
.fi
.PP
A server that asks for a client certificate, and calls without and with one:
.PP
.nf
.RS
krtool serve \-\-cert server.pem \-\-port 8443 \-\-client\-cert\-mode allow \e
  \-\-trust\-ca ca.pem \-\-auth\-trust\-ca ca.pem \-\-revocation\-mode nocheck
krtool test\-client https://localhost:8443/secure/cert/hello \-\-cacert ca.pem
krtool test\-client https://localhost:8443/secure/cert/hello \-\-cacert ca.pem \-\-cert alice.pem
.RE
.fi
)";

constexpr std::string_view kSeeAlsoAfterPages = R"(.BR openssl (1),
.BR curl (1).
The guides in krtool's
.I docs/
folder: certificates.md, client\-certificate\-authentication.md and troubleshooting.md.
)";

std::string title(const std::string& page, const std::string& version) {
  // .nh: no hyphenation, so that a flag is never broken across lines and copies whole.
  return fmt::format(".TH {} 1 \"\" \"{}\" \"User Commands\"\n.nh\n", roff(page), roff(version));
}

std::string main_page(const std::vector<CommandDoc>& commands, const std::string& summary,
                      const std::string& version) {
  std::string out = title("KRTOOL", version);
  out += fmt::format(".SH NAME\nkrtool \\- {}\n", roff(summary));
  out += ".SH SYNOPSIS\n";
  for (const CommandDoc& command : commands) {
    // A command with commands of its own is written out through them (krtool policy test FILE).
    if (command.commands.empty()) out += synopsis(command) + ".br\n";
  }
  out += kDescription;
  out += ".SH COMMANDS\n";
  for (const CommandDoc& command : commands) {
    out += fmt::format(".SS \"krtool {}\"\n{}\n", roff(command.name), roff(command.description));
    if (!command.commands.empty())
      out += fmt::format(".PP\nIts commands:\n{}", command_list(commands, command.name, false));
    for (const OptionDoc& option : command.options) out += option_entry(option);
  }
  out += kExitStatus;
  out += kAfterCommands;
  out += ".SH SEE ALSO\nThe page of each command:\n";
  for (const CommandDoc& command : commands)
    out += page_ref(command) + (&command == &commands.back() ? ";\n" : ",\n");
  out += kSeeAlsoAfterPages;
  return out;
}

// command_page is krtool-<command>(1): the options under the headings --help shows, then the
// command's examples.
std::string command_page(const CommandDoc& command, const std::vector<CommandDoc>& commands,
                         const std::string& version) {
  std::string out = title(util::upper(page_name(command)), version);
  out +=
      fmt::format(".SH NAME\n{} \\- {}\n", roff(page_name(command)), roff(lower_first(command.description)));
  out += ".SH SYNOPSIS\n" + synopsis(command);
  out += fmt::format(".SH DESCRIPTION\n{}\n", roff(sentence(command.description)));
  if (!command.notes.empty()) out += fmt::format(".PP\n{}\n", roff(command.notes));
  if (!command.commands.empty()) {
    out += fmt::format(
        ".SH COMMANDS\nEach command has its page, and\n.BI \"krtool {} \" command \" \\-\\-help\"\nprints "
        "its options.\n{}",
        roff(command.name), command_list(commands, command.name, true));
  } else {
    out +=
        ".PP\nEvery option is also described in\n.BR krtool (1),\nand\n.B \\-h, \\-\\-help\nprints them.\n";
  }
  const std::vector<std::string> groups = option_groups(command);
  if (!groups.empty()) out += ".SH OPTIONS\n";
  for (const std::string& group : groups) {
    if (groups.size() > 1) out += fmt::format(".SS \"{}\"\n", roff(group));
    for (const OptionDoc& option : command.options) {
      if (option.group == group) out += option_entry(option);
    }
  }
  if (!command.examples.empty()) out += ".SH EXAMPLES\n" + examples(command.examples);
  out += kExitStatus;
  out += ".SH SEE ALSO\n.BR krtool (1)";
  for (const CommandDoc& other : commands) {
    if (other.name != command.name) out += ",\n" + page_ref(other);
  }
  out += ".\n";
  return out;
}

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw std::runtime_error(fmt::format("cannot write {}", path.string()));
}

}  // namespace

std::vector<std::string> write_man_pages(const std::vector<CommandDoc>& commands, const std::string& folder,
                                         const std::string& summary, const std::string& version) {
  namespace fs = std::filesystem;
  std::vector<std::string> written = {"krtool.1"};
  write_file(fs::path(folder) / "krtool.1", main_page(commands, summary, version));
  for (const CommandDoc& command : commands) {
    written.push_back(page_name(command) + ".1");
    write_file(fs::path(folder) / written.back(), command_page(command, commands, version));
  }
  // A page of a command that is gone would otherwise be installed with the others.
  for (const fs::directory_entry& entry : fs::directory_iterator(folder)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("krtool-") && name.ends_with(".1") &&
        std::find(written.begin(), written.end(), name) == written.end()) {
      fs::remove(entry.path());
    }
  }
  return written;
}

}  // namespace krtool::app
