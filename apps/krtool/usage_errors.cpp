#include "usage_errors.hpp"

#include <fmt/format.h>

#include <regex>

#include "krtool/util/did_you_mean.hpp"

namespace krtool::app {
namespace {

std::string see(const CLI::App& command) { return fmt::format("see '{} --help'", command_path(command)); }

std::string with_see(const std::string& fix, const CLI::App& command) {
  if (fix.empty()) return see(command);
  // "did you mean --port? See ...": a question ends its own sentence.
  if (fix.back() == '?') return fmt::format("{} S{}", fix, see(command).substr(1));
  return fmt::format("{}; {}", fix, see(command));
}

const CLI::Option* find_option(const CLI::App& command, const std::string& name) {
  return command.get_option_no_throw(name);
}

// value_name is what goes after the flag in --help: FILE, SECONDS, a|b|c.
std::string value_name(const CLI::Option* option) {
  if (option == nullptr) return "VALUE";
  if (!option->get_option_text().empty()) return option->get_option_text();
  return "VALUE";
}

bool is_number_option(const CLI::Option* option) {
  if (option == nullptr) return false;
  const std::string type = option->get_type_name();
  return type == "INT" || type == "UINT" || type == "FLOAT" || type == "NUMBER" ||
         type.rfind("INT", 0) == 0 || type.rfind("FLOAT", 0) == 0;
}

// number_hint says what a number for this value is, by its value name.
std::string number_hint(const CLI::Option* option) {
  const std::string name = value_name(option);
  if (name == "PORT") return "give a port from 0 to 65535";
  if (name == "SECONDS") return "give a number of seconds, e.g. 10";
  if (name == "DAYS") return "give a number of days, e.g. 30";
  return "give a whole number, e.g. " + option->get_name() + " 2";
}

// usage_of shows how the flag is written: "--port PORT", or the positional's value name.
std::string usage_of(const CLI::Option* option, const std::string& name) {
  if (option == nullptr) return name;
  if (option->get_positional()) return value_name(option) == "VALUE" ? name : value_name(option);
  if (option->get_expected_max() == 0) return name;
  return fmt::format("{} {}", name, value_name(option));
}

// choices_of is the list of allowed words from a value name written a|b|c, or "".
std::string choices_of(const CLI::Option* option) {
  const std::string name = value_name(option);
  return name.find('|') == std::string::npos ? "" : name;
}

// display is how a message names an option: a flag as typed, a positional by its value name.
std::string display(const CLI::App& command, const std::string& name) {
  const CLI::Option* option = find_option(command, name);
  if (option != nullptr && option->get_positional()) return usage_of(option, name);
  return name;
}

UsageProblem conversion(const CLI::Error& error, const CLI::App& command, const std::string& what) {
  std::smatch m;
  static const std::regex kCouldNot(R"(^Could not convert: (\S+) = ([\s\S]*)$)");
  static const std::regex kNotAllowed(R"(^The value ([\s\S]*) is not an allowed value for (\S+)$)");
  static const std::regex kFlagInputs(R"(^(\S+): too many inputs for a flag$)");
  static const std::regex kTrueFalse(R"(^(\S+): Should be true/false or a number$)");
  if (std::regex_match(what, m, kCouldNot)) {
    const CLI::Option* option = find_option(command, m[1]);
    const std::string name = display(command, m[1]);
    if (option != nullptr && option->get_expected_max() == 0) {
      return {fmt::format("{} takes no value, but was given '{}'", name, m[2].str()),
              with_see(fmt::format("write {} alone", name), command)};
    }
    if (is_number_option(option)) {
      return {fmt::format("{}: '{}' is not a number", name, m[2].str()),
              with_see(number_hint(option), command)};
    }
    return {fmt::format("{}: cannot read '{}'", name, m[2].str()),
            with_see(fmt::format("write it as {}", usage_of(option, m[1])), command)};
  }
  if (std::regex_match(what, m, kNotAllowed)) {
    const CLI::Option* option = find_option(command, m[2]);
    const std::string choices = choices_of(option);
    return {fmt::format("{}: '{}' is not a valid value", display(command, m[2]), m[1].str()),
            with_see(choices.empty() ? "" : "give one of " + choices, command)};
  }
  if (std::regex_match(what, m, kFlagInputs) || std::regex_match(what, m, kTrueFalse)) {
    return {fmt::format("{} takes no value", m[1].str()),
            with_see(fmt::format("write {} alone", m[1].str()), command)};
  }
  (void)error;
  return {"a value on the command line could not be read", see(command)};
}

UsageProblem validation(const CLI::App& command, const std::string& what) {
  std::smatch m;
  static const std::regex kNameMessage(R"(^(\S+): ([\s\S]*)$)");
  static const std::regex kRange(R"(^Value (\S+) not in range (\S+) to (\S+)$)");
  static const std::regex kMember(R"(^([\s\S]*) not in \{[\s\S]*\}$)");
  if (!std::regex_match(what, m, kNameMessage))
    return {"a value on the command line is not valid", see(command)};
  const std::string name = display(command, m[1]);
  const CLI::Option* option = find_option(command, m[1]);
  const std::string message = m[2];
  if (std::regex_match(message, m, kRange)) {
    return {fmt::format("{}: {} is out of range", name, m[1].str()),
            with_see(fmt::format("give a value from {} to {}", m[2].str(), m[3].str()), command)};
  }
  if (std::regex_match(message, m, kMember)) {
    const std::string choices = choices_of(option);
    return {fmt::format("{}: '{}' is not a valid value", name, m[1].str()),
            with_see(choices.empty() ? "" : "give one of " + choices, command)};
  }
  // krtool's own validators (non_empty_path) word their messages for the user already.
  return {fmt::format("{}: {}", name, message), see(command)};
}

UsageProblem mismatch(const CLI::App& command, const std::string& what) {
  std::smatch m;
  static const std::regex kMissing(R"(^(\S+): \d+ required \S+ missing$)");
  static const std::regex kAtMost(R"(^(\S+): At Most (\d+) required but received (\d+)$)");
  static const std::regex kAtLeast(R"(^(\S+): At least (\d+) required but received (\d+)$)");
  static const std::regex kExpected(R"(^Expected (exactly|at least) (\d+) arguments to (\S+), got (\d+)$)");
  static const std::regex kOverride(R"(^(\S+) was given a disallowed flag override$)");
  if (std::regex_match(what, m, kMissing)) {
    const CLI::Option* option = find_option(command, m[1]);
    return {fmt::format("{} needs a value", display(command, m[1])),
            with_see(fmt::format("write it as {}", usage_of(option, m[1])), command)};
  }
  if (std::regex_match(what, m, kAtMost)) {
    const std::string name = display(command, m[1]);
    if (m[2] == "1") {
      return {fmt::format("{} was given {} times; it takes one value", name, m[3].str()),
              with_see(fmt::format("give {} once", name), command)};
    }
    return {fmt::format("{} takes at most {} values, and was given {}", name, m[2].str(), m[3].str()),
            see(command)};
  }
  if (std::regex_match(what, m, kAtLeast)) {
    return {fmt::format("{} needs at least {} values, and was given {}", display(command, m[1]), m[2].str(),
                        m[3].str()),
            see(command)};
  }
  if (std::regex_match(what, m, kExpected)) {
    return {fmt::format("{} needs {} {} values, and was given {}", display(command, m[3]), m[1].str(),
                        m[2].str(), m[4].str()),
            see(command)};
  }
  if (std::regex_match(what, m, kOverride)) {
    return {fmt::format("{} takes no value", m[1].str()),
            with_see(fmt::format("write {} alone", m[1].str()), command)};
  }
  return {"a flag was given the wrong number of values", see(command)};
}

UsageProblem required(const CLI::App& command, const std::string& what,
                      const std::vector<std::string>& extras) {
  std::smatch m;
  static const std::regex kRequired(R"(^(\S+) is required$)");
  // CLI11 says "A subcommand is required" for a command given none of its commands; a word left over is
  // the command the user meant.
  if (what == "A subcommand is required" && !subcommand_names(command).empty()) {
    for (const std::string& extra : extras) {
      if (!extra.empty() && extra.front() != '-') return unknown_subcommand(extra, command);
    }
    return missing_subcommand(command);
  }
  if (std::regex_match(what, m, kRequired)) {
    const CLI::Option* option = find_option(command, m[1]);
    if (option != nullptr && option->get_positional()) {
      return {
          fmt::format("{} needs {}", command_path(command), usage_of(option, m[1])),
          with_see(fmt::format("write {} {} ...", command_path(command), usage_of(option, m[1])), command)};
    }
    return {fmt::format("{} needs {}", command_path(command), m[1].str()),
            with_see(fmt::format("add {}", usage_of(option, m[1])), command)};
  }
  if (what == "A subcommand is required") {
    return {"no command given", "krtool --help lists the commands"};
  }
  return {fmt::format("{} is missing a flag it needs", command_path(command)), see(command)};
}

}  // namespace

std::string command_path(const CLI::App& command) {
  const CLI::App* parent = command.get_parent();
  if (parent == nullptr) return command.get_name().empty() ? "krtool" : command.get_name();
  return command_path(*parent) + " " + command.get_name();
}

UsageProblem unknown_flag(const std::string& typed, const CLI::App& command) {
  const std::string name = typed.substr(0, typed.find('='));
  std::vector<std::string> names;
  for (const CLI::Option* option : command.get_options()) {
    for (const std::string& l : option->get_lnames()) names.push_back("--" + l);
    for (const std::string& s : option->get_snames()) names.push_back("-" + s);
  }
  std::string near = util::closest_name(name, names);
  if (near.empty() && name.size() >= 5) {
    // A flag typed short ("--client-cert") is a near miss too, when it starts only one flag.
    for (const std::string& candidate : names) {
      if (candidate.rfind(name, 0) == 0) {
        if (!near.empty()) {
          near.clear();
          break;
        }
        near = candidate;
      }
    }
  }
  return {fmt::format("{} has no flag {}", command_path(command), name),
          near.empty() ? with_see("", command) : with_see(fmt::format("did you mean {}?", near), command)};
}

UsageProblem unknown_command(std::string_view typed, std::span<const CommandSpec> commands) {
  std::vector<std::string> names;
  for (const CommandSpec& command : commands) names.emplace_back(command.name);
  const std::string near = util::closest_name(typed, names);
  return {fmt::format("'{}' is not a krtool command", typed),
          near.empty()
              ? std::string("see 'krtool --help' for the list of commands")
              : fmt::format("did you mean '{}'? See 'krtool --help' for the list of commands", near)};
}

std::vector<std::string> subcommand_names(const CLI::App& command) {
  std::vector<std::string> names;
  for (const CLI::App* sub : command.get_subcommands([](const CLI::App*) { return true; }))
    names.push_back(sub->get_name());
  return names;
}

UsageProblem missing_subcommand(const CLI::App& command) {
  const std::vector<std::string> names = subcommand_names(command);
  // The hint writes out the first command with what it cannot go without: "krtool policy test FILE
  // --config FILE".
  const CLI::App* first = command.get_subcommand(names.front());
  std::string positionals, flags;
  for (const CLI::Option* option : first->get_options()) {
    if (option->get_required())
      (option->get_positional() ? positionals : flags) += " " + usage_of(option, option->get_name());
  }
  const std::string example =
      fmt::format("{} {}{}{}", command_path(command), names.front(), positionals, flags);
  return {fmt::format("{} needs a command: {}", command_path(command), fmt::join(names, ", ")),
          with_see(fmt::format("write '{}'", example), command)};
}

UsageProblem unknown_subcommand(const std::string& typed, const CLI::App& command) {
  const std::string near = util::closest_name(typed, subcommand_names(command));
  return {fmt::format("'{}' is not a command of {}", typed, command_path(command)),
          with_see(near.empty() ? fmt::format("its commands: {}", fmt::join(subcommand_names(command), ", "))
                                : fmt::format("did you mean '{}'?", near),
                   command)};
}

UsageProblem describe_parse_error(const CLI::Error& error, const CLI::App& command,
                                  const std::vector<std::string>& extras) {
  const std::string what = error.what();
  std::smatch m;
  if (dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr) {
    // A value after an unknown flag is left over only because of it: the flag is the mistake.
    for (const std::string& extra : extras) {
      if (extra.size() > 1 && extra.front() == '-') return unknown_flag(extra, command);
    }
    const std::string first = extras.empty() ? std::string("?") : extras.front();
    return {fmt::format("unexpected argument '{}'", first),
            with_see("quote a value that has spaces, and put each value after its flag", command)};
  }
  if (dynamic_cast<const CLI::ConversionError*>(&error) != nullptr) return conversion(error, command, what);
  if (dynamic_cast<const CLI::ValidationError*>(&error) != nullptr) return validation(command, what);
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&error) != nullptr) return mismatch(command, what);
  if (dynamic_cast<const CLI::RequiredError*>(&error) != nullptr) return required(command, what, extras);
  if (dynamic_cast<const CLI::RequiresError*>(&error) != nullptr) {
    static const std::regex kRequires(R"(^(\S+) requires (\S+)$)");
    if (std::regex_match(what, m, kRequires)) {
      const CLI::Option* needed = find_option(command, m[2]);
      return {fmt::format("{} needs {}", display(command, m[1]), display(command, m[2])),
              with_see(fmt::format("add {}, or drop {}", usage_of(needed, m[2]), m[1].str()), command)};
    }
    return {"a flag is missing a flag it needs", see(command)};
  }
  if (dynamic_cast<const CLI::ExcludesError*>(&error) != nullptr) {
    static const std::regex kExcludes(R"(^(\S+) excludes (\S+)$)");
    if (std::regex_match(what, m, kExcludes)) {
      return {
          fmt::format("{} and {} cannot be used together", display(command, m[1]), display(command, m[2])),
          with_see("keep one of them", command)};
    }
    return {"two flags that cannot be used together were given", see(command)};
  }
  if (dynamic_cast<const CLI::OptionNotFound*>(&error) != nullptr) {
    static const std::regex kNotFound(R"(^(\S+) not found$)");
    if (std::regex_match(what, m, kNotFound)) return unknown_flag(m[1], command);
  }
  return {"the command line could not be read", see(command)};
}

}  // namespace krtool::app
