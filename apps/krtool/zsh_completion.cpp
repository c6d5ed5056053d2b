// krtool's zsh completion: a #compdef function for $fpath. Commands with their descriptions, each
// command's flags with theirs (_arguments), the words of a flag whose value is written a|b|c and the
// other spellings it accepts, exported variables for a VAR, file names for a FILE, DIR or PATH, and a
// message without candidates for a typed value (a subject, a number).
#include <fmt/format.h>

#include <algorithm>

#include "reference_docs.hpp"

namespace krtool::app {
namespace {

// zsh_quoted puts text in single quotes for zsh.
std::string zsh_quoted(std::string_view text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// described escapes what ends a description in brackets; field escapes what ends a message or an
// action's word (a colon).
std::string described(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '[' || c == ']') out += '\\';
    out += c;
  }
  return out;
}

std::string field(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == ':') out += '\\';
    out += c;
  }
  return out;
}

std::string action(const OptionDoc& option) {
  switch (option.kind) {
    case ValueKind::Choice: {
      std::string words;
      for (const std::string& word : option.choices) words += (words.empty() ? "" : " ") + field(word);
      return "(" + words + ")";
    }
    case ValueKind::File:
      return "_files";
    case ValueKind::Variable:
      return "_parameters -g \"*export*\"";
    default:
      return " ";  // no candidates: zsh shows the message only
  }
}

// option_specs are _arguments specs: one per name, each excluding its other names (and the options
// CLI11 says it excludes) unless it may be repeated.
std::vector<std::string> option_specs(const OptionDoc& option) {
  std::vector<std::string> specs;
  std::vector<std::string> exclusions;
  if (!option.repeatable) exclusions = option.names;
  exclusions.insert(exclusions.end(), option.excludes.begin(), option.excludes.end());
  const std::string exclude = exclusions.empty() ? "" : fmt::format("({})", fmt::join(exclusions, " "));
  for (const std::string& name : option.names) {
    std::string spec = exclude + (option.repeatable ? "*" : "") + name;
    if (!option.value.empty()) spec += name.starts_with("--") ? "=" : "+";
    spec += fmt::format("[{}]", described(first_sentence(option.description)));
    if (!option.value.empty()) spec += fmt::format(":{}:{}", field(option.value), action(option));
    specs.push_back(spec);
  }
  return specs;
}

// function_name is a command's completion function: _krtool_serve, _krtool_policy_test; "" names
// krtool's own.
std::string function_name(const std::string& command) {
  std::string name = command.empty() ? "_krtool" : "_krtool_" + command;
  for (char& c : name) {
    if (c == '-' || c == ' ') c = '_';
  }
  return name;
}

// dispatcher is the function of krtool or of a command with commands of its own (policy): it offers
// the commands with their descriptions, then hands the rest of the line to the chosen one's function.
std::string dispatcher(const std::vector<CommandDoc>& commands, const std::string& parent,
                       const std::string& extra_specs) {
  std::string entries, cases;
  for (const CommandDoc* command : subcommands(commands, parent)) {
    entries += fmt::format(
        "    {}\n", zsh_quoted(field(last_word(*command)) + ":" + first_sentence(command->description)));
    cases += fmt::format("        {}) {} ;;\n", last_word(*command), function_name(command->name));
  }
  const std::string path = parent.empty() ? "krtool" : "krtool " + parent;
  std::string context = path;
  std::replace(context.begin(), context.end(), ' ', '-');
  return fmt::format(R"({}() {{
  local curcontext=$curcontext state line ret=1
  typeset -A opt_args
  local -a commands=(
{}  )
  _arguments -C : \
    '(- :)'{{-h,--help}}'[Print help and exit]' \
{}    '1: :->command' \
    '*:: :->argument' && ret=0
  case $state in
    command) _describe -t commands '{} command' commands && ret=0 ;;
    argument)
      curcontext=${{curcontext%:*:*}}:{}-$words[1]:
      case $words[1] in
{}        *) _default ;;
      esac && ret=0 ;;
  esac
  return ret
}}

)",
                     function_name(parent), entries, extra_specs, path, context, cases);
}

std::string command_function(const CommandDoc& command) {
  std::vector<std::string> specs = {"'(- *)'{-h,--help}'[Print help and exit]'"};
  int position = 0;
  for (const OptionDoc& option : command.options) {
    if (option.positional.empty()) {
      for (const std::string& spec : option_specs(option)) specs.push_back(zsh_quoted(spec));
    } else {
      specs.push_back(zsh_quoted(fmt::format("{}:{}:{}", ++position, field(option.positional),
                                             option.kind == ValueKind::File ? "_files" : action(option))));
    }
  }
  return fmt::format("{}() {{\n  _arguments -s -S : \\\n    {}\n}}\n\n", function_name(command.name),
                     fmt::join(specs, " \\\n    "));
}

}  // namespace

std::string zsh_completion(const std::vector<CommandDoc>& commands, const std::string& summary) {
  std::string functions;
  for (const CommandDoc& command : commands) {
    functions +=
        command.commands.empty() ? command_function(command) : dispatcher(commands, command.name, "");
  }
  functions += dispatcher(commands, "", "    '(- :)--version[Print the version and exit]' \\\n");
  return fmt::format(R"(#compdef krtool
# zsh completion for krtool ({}), generated by krtool-docgen from krtool's own option definitions.
# Installed in a folder of $fpath (site-functions) it loads on first use.

{}_krtool "$@"
)",
                     summary, functions);
}

}  // namespace krtool::app
