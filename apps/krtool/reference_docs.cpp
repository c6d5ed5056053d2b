#include "reference_docs.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <stdexcept>

#include "krtool/auth/certificate_scheme.hpp"
#include "krtool/tls/server_context.hpp"
#include "krtool/util/ascii.hpp"

namespace krtool::app {
namespace {

// MoreWords are the words a flag accepts beyond those its help shows: --client-cert-mode's help says
// none|allow|require, and krtool takes Kestrel's AllowCertificate too, so a Kestrun user's muscle
// memory completes. The lists are the parsers' own (one place: the parser accepts what is offered).
struct MoreWords {
  const char* command;
  const char* flag;
  std::function<std::vector<std::string>()> words;
};

const std::vector<MoreWords>& more_words() {
  static const std::vector<MoreWords> table = {
      {"serve", "--client-cert-mode", tls::client_cert_mode_words},
      {"serve", "--allowed-certificate-types", auth::allowed_types_words},
      {"serve", "--revocation-mode", auth::revocation_mode_words},
      {"serve", "--client-cert-validation", tls::builtin_policy_names},
      // server, client or an OID: the two names are worth offering.
      {"test-cert", "--purpose",
       [] {
         return std::vector<std::string>{"server", "client"};
       }},
  };
  return table;
}

// is_placeholder says whether a word of a value is a name for what goes there (FILE, OID, N) rather
// than a word to type: all capitals.
bool is_placeholder(const std::string& word) {
  return std::any_of(word.begin(), word.end(), [](unsigned char c) { return std::isupper(c) != 0; }) &&
         std::none_of(word.begin(), word.end(), [](unsigned char c) { return std::islower(c) != 0; });
}

// split_choices reads a value written a|b|c; placeholders among the words (server|client|OID) are
// not words to offer.
std::vector<std::string> split_choices(const std::string& value) {
  std::vector<std::string> out;
  if (value.find('|') == std::string::npos) return out;
  std::string::size_type start = 0;
  for (std::string::size_type bar; (bar = value.find('|', start)) != std::string::npos; start = bar + 1) {
    out.push_back(value.substr(start, bar - start));
  }
  out.push_back(value.substr(start));
  out.erase(std::remove_if(out.begin(), out.end(), is_placeholder), out.end());
  return out;
}

// value_kind: a file for a value named FILE, DIR or PATH (or ending so: CERTFILE, OUTDIR), nothing for
// the rest. CLI11's TEXT, the name of a value nobody named, is not taken for a file, so that a typed
// value (--subject) never offers file names.
ValueKind value_kind(const std::string& value, const std::vector<std::string>& choices) {
  if (value.empty()) return ValueKind::None;
  if (!choices.empty()) return ValueKind::Choice;
  if (value == "VAR") return ValueKind::Variable;
  for (const char* file : {"FILE", "DIR", "PATH"}) {
    if (value.ends_with(file) || value.find(std::string(file) + "|") != std::string::npos) {
      return ValueKind::File;
    }
  }
  return ValueKind::Typed;
}

std::string display_name(const CLI::Option* option) {
  return option->get_lnames().empty() ? "-" + option->get_snames().front()
                                      : "--" + option->get_lnames().front();
}

std::string trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t\r\n") - begin + 1);
}

// read_footer splits a command's footer at its "Examples:" line into notes and example lines.
void read_footer(const std::string& footer, CommandDoc& doc) {
  std::vector<std::string> lines;
  for (std::string::size_type start = 0; start <= footer.size();) {
    const auto end = std::min(footer.find('\n', start), footer.size());
    lines.push_back(footer.substr(start, end - start));
    start = end + 1;
  }
  const auto examples = std::find_if(lines.begin(), lines.end(), [](const std::string& line) {
    const std::string t = util::lower(trim(line));
    return t == "examples:" || t == "example:";
  });
  std::string notes;
  for (auto it = lines.begin(); it != examples; ++it) notes += trim(*it).empty() ? "\n" : trim(*it) + " ";
  doc.notes = trim(notes);
  if (examples == lines.end()) return;
  std::vector<std::string> body(examples + 1, lines.end());
  while (!body.empty() && trim(body.back()).empty()) body.pop_back();
  while (!body.empty() && trim(body.front()).empty()) body.erase(body.begin());
  std::size_t indent = std::string::npos;
  for (const std::string& line : body) {
    if (!trim(line).empty()) indent = std::min(indent, line.find_first_not_of(" \t"));
  }
  for (const std::string& line : body) {
    doc.examples.push_back(trim(line).empty() ? "" : line.substr(indent));
  }
}

void add_more_words(const CommandDoc& command, OptionDoc& option) {
  for (const MoreWords& more : more_words()) {
    if (command.name != more.command ||
        std::find(option.names.begin(), option.names.end(), more.flag) == option.names.end()) {
      continue;
    }
    for (const std::string& word : more.words()) {
      if (std::find(option.choices.begin(), option.choices.end(), word) == option.choices.end()) {
        option.choices.push_back(word);
      }
    }
  }
}

// check_more_words fails the build when the table names a flag that no command has any more.
void check_more_words(const std::vector<CommandDoc>& commands) {
  for (const MoreWords& more : more_words()) {
    const bool found = std::any_of(commands.begin(), commands.end(), [&](const CommandDoc& command) {
      return command.name == more.command &&
             std::any_of(command.options.begin(), command.options.end(), [&](const OptionDoc& option) {
               return std::find(option.names.begin(), option.names.end(), more.flag) != option.names.end();
             });
    });
    if (!found) {
      throw std::runtime_error(
          fmt::format("reference_docs.cpp's more_words() names krtool {} {}, which does not exist",
                      more.command, more.flag));
    }
  }
}

}  // namespace

namespace {

void describe(CLI::App& app, const std::string& parent, std::vector<CommandDoc>& out) {
  for (CLI::App* command : app.get_subcommands([](CLI::App*) { return true; })) {
    CommandDoc doc;
    doc.name = parent.empty() ? command->get_name() : parent + " " + command->get_name();
    doc.description = command->get_description();
    doc.parent = parent;
    for (const CLI::App* sub : command->get_subcommands([](CLI::App*) { return true; }))
      doc.commands.push_back(sub->get_name());
    read_footer(command->get_footer(), doc);
    for (const CLI::Option* option : command->get_options()) {
      if (option == command->get_help_ptr() || option == command->get_help_all_ptr()) {
        continue;  // every command has it; the pages say so once
      }
      OptionDoc o;
      for (const std::string& s : option->get_snames()) o.names.push_back("-" + s);
      for (const std::string& l : option->get_lnames()) o.names.push_back("--" + l);
      if (o.names.empty()) o.positional = option->get_name();
      if (option->get_type_size() != 0) {
        o.value = !option->get_option_text().empty() ? option->get_option_text() : option->get_type_name();
      }
      o.choices = split_choices(o.value);
      add_more_words(doc, o);
      o.kind = value_kind(o.value, o.choices);
      // A positional's name says what it is when its value has none (import's FILE).
      if (!o.positional.empty() && o.kind == ValueKind::Typed)
        o.kind = value_kind(util::upper(o.positional), {});
      o.description = option->get_description();
      o.group = o.names.empty() ? "Arguments" : option->get_group();
      const std::string default_value = option->get_default_str();
      if (!o.value.empty() && default_value != "[]" && default_value != "\"\"")
        o.default_value = default_value;
      o.required = option->get_required();
      o.repeatable = !o.names.empty() && !o.value.empty() && option->get_items_expected_max() > 1;
      for (const CLI::Option* other : option->get_needs()) o.needs.push_back(display_name(other));
      for (const CLI::Option* other : option->get_excludes()) o.excludes.push_back(display_name(other));
      // The sets are ordered by address; sorted, the generated files are the same on every build.
      std::sort(o.needs.begin(), o.needs.end());
      std::sort(o.excludes.begin(), o.excludes.end());
      doc.options.push_back(std::move(o));
    }
    const std::string name = doc.name;
    out.push_back(std::move(doc));
    describe(*command, name, out);  // its own commands follow it
  }
}

}  // namespace

std::vector<CommandDoc> describe_commands(CLI::App& app) {
  std::vector<CommandDoc> out;
  describe(app, "", out);
  check_more_words(out);
  return out;
}

std::string last_word(const CommandDoc& command) { return command.name.substr(command.name.rfind(' ') + 1); }

std::string page_name(const CommandDoc& command) {
  std::string name = "krtool-" + command.name;
  std::replace(name.begin(), name.end(), ' ', '-');
  return name;
}

std::vector<const CommandDoc*> subcommands(const std::vector<CommandDoc>& commands,
                                           const std::string& parent) {
  std::vector<const CommandDoc*> out;
  for (const CommandDoc& command : commands) {
    if (command.parent == parent) out.push_back(&command);
  }
  return out;
}

std::string headline(const OptionDoc& option) {
  if (!option.positional.empty()) return option.positional;
  const std::string names = fmt::format("{}", fmt::join(option.names, ", "));
  return option.value.empty() ? names : fmt::format("{} {}", names, option.value);
}

std::string option_text(const OptionDoc& option) {
  std::string text = option.description;
  if (!text.empty() && text.back() != '.') text += '.';
  // A description that states its default already ("(default 10)") is not told it twice.
  if (!option.default_value.empty() && text.find("default") == std::string::npos) {
    text += fmt::format(" Default: {}.", option.default_value);
  }
  if (option.required) text += " Required.";
  if (!option.needs.empty()) text += fmt::format(" Needs {}.", fmt::join(option.needs, ", "));
  if (!option.excludes.empty()) text += fmt::format(" Excludes {}.", fmt::join(option.excludes, ", "));
  return text;
}

std::string first_sentence(const std::string& text) {
  const auto end = text.find(". ");
  return end == std::string::npos ? text : text.substr(0, end);
}

std::vector<std::string> option_groups(const CommandDoc& command) {
  std::vector<std::string> groups;
  for (const OptionDoc& option : command.options) {
    if (std::find(groups.begin(), groups.end(), option.group) == groups.end()) groups.push_back(option.group);
  }
  return groups;
}

}  // namespace krtool::app
