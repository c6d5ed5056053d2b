#include "help_format.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include "krtool/util/ascii.hpp"

namespace krtool::app {
namespace {

constexpr size_t kWidth = 100;         // lines wrap here
constexpr size_t kMaxNameColumn = 36;  // a longer flag puts its description on the next line

std::vector<std::string> wrap(const std::string& text, size_t width) {
  std::vector<std::string> lines;
  std::istringstream words(text);
  std::string word, line;
  while (words >> word) {
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      lines.push_back(line);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

// primary_name is how notes name an option: its first long name, else its short name, else the
// positional's value name.
std::string primary_name(const CLI::Option* option) {
  if (!option->get_lnames().empty()) return "--" + option->get_lnames().front();
  if (!option->get_snames().empty()) return "-" + option->get_snames().front();
  if (!option->get_option_text().empty()) return option->get_option_text();
  return util::upper(option->get_name(true));
}

// names_column is the left column: every name of the option (-k,--skip-certificate-check,--insecure),
// then its value name.
std::string names_column(const CLI::Option* option) {
  std::string names;
  if (option->get_positional()) return primary_name(option);
  for (const std::string& s : option->get_snames()) names += (names.empty() ? "-" : ",-") + s;
  for (const std::string& l : option->get_lnames()) names += (names.empty() ? "--" : ",--") + l;
  if (option->get_expected_max() != 0) {
    names += " " + (option->get_option_text().empty() ? std::string("VALUE") : option->get_option_text());
    if (option->get_expected_max() > 1) names += "...";
  }
  return names;
}

// default_note is " (default X)" for an option whose default the description does not already give.
std::string description_of(const CLI::Option* option) {
  std::string text = option->get_description();
  const std::string value = option->get_default_str();
  const bool has_default =
      option->get_expected_max() != 0 && !value.empty() && value != "[]" && value != "\"\"";
  if (has_default && text.find("default") == std::string::npos) text += fmt::format(" (default {})", value);
  if (option->get_positional() && option->get_required()) text += " (required)";
  return text;
}

void write_entry(std::ostringstream& out, const std::string& left, const std::string& text, size_t column) {
  const std::vector<std::string> lines = wrap(text, kWidth - column - 2);
  if (left.size() + 2 > column) {
    out << "  " << left << '\n';
    for (const std::string& line : lines) out << std::string(column + 2, ' ') << line << '\n';
    return;
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    out << (i == 0 ? fmt::format("  {:<{}}", left, column) : std::string(column + 2, ' ')) << lines[i]
        << '\n';
  }
  if (lines.empty()) out << "  " << left << '\n';
}

// write_note writes a note after a heading's options: "Note: at most one of: --a, --b". It does not
// start with a dash, so nothing that reads the option lines takes it for one.
void write_note(std::ostringstream& out, const std::string& text) {
  const std::vector<std::string> lines = wrap("Note: " + text, kWidth - 4);
  for (size_t i = 0; i < lines.size(); ++i) out << (i == 0 ? "  " : "    ") << lines[i] << '\n';
}

// OptionOrder numbers the options as --help lists them, so that notes name them in that order too.
using OptionOrder = std::map<const CLI::Option*, size_t>;

std::vector<const CLI::Option*> ordered(const std::set<CLI::Option*>& options, const OptionOrder& order) {
  std::vector<const CLI::Option*> out(options.begin(), options.end());
  std::sort(out.begin(), out.end(), [&order](const CLI::Option* a, const CLI::Option* b) {
    const auto ia = order.find(a), ib = order.find(b);
    return (ia == order.end() ? SIZE_MAX : ia->second) < (ib == order.end() ? SIZE_MAX : ib->second);
  });
  return out;
}

std::string joined(const std::vector<const CLI::Option*>& options) {
  std::vector<std::string> names;
  for (const CLI::Option* option : options) names.push_back(primary_name(option));
  return fmt::format("{}", fmt::join(names, ", "));
}

bool excludes(const CLI::Option* a, const CLI::Option* b) {
  const std::set<CLI::Option*> set = a->get_excludes();
  return set.find(const_cast<CLI::Option*>(b)) != set.end();
}

using Stated = std::set<std::pair<const CLI::Option*, const CLI::Option*>>;

std::vector<const CLI::Option*> unstated(const CLI::Option* option, const OptionOrder& order,
                                         const Stated& stated) {
  std::vector<const CLI::Option*> out;
  for (const CLI::Option* other : ordered(option->get_excludes(), order)) {
    if (!stated.contains({option, other})) out.push_back(other);
  }
  return out;
}

void state(Stated& stated, const CLI::Option* a, const CLI::Option* b) {
  stated.insert({a, b});
  stated.insert({b, a});
}

// Notes are the lines stated after a heading's options, by heading.
using Notes = std::map<std::string, std::vector<std::string>>;

// exclusion_notes states every exclusion once, where a reader looks for it: first "at most one of: --a,
// --b, --c" for flags that all exclude each other; then "--a cannot be used with --b, --c" under the
// heading of a flag that excludes several; then the pairs left, under the first one's heading.
Notes exclusion_notes(const std::vector<const CLI::Option*>& options, const OptionOrder& order) {
  Notes notes;
  Stated stated;
  for (const CLI::Option* option : options) {
    std::vector<const CLI::Option*> clique{option};
    for (const CLI::Option* other : unstated(option, order, stated)) {
      if (std::all_of(clique.begin(), clique.end(),
                      [other](const CLI::Option* c) { return excludes(other, c); }))
        clique.push_back(other);
    }
    if (clique.size() < 3) continue;
    for (const CLI::Option* a : clique)
      for (const CLI::Option* b : clique)
        if (a != b) state(stated, a, b);
    notes[option->get_group()].push_back("at most one of: " + joined(clique));
  }
  for (const size_t least : {size_t{2}, size_t{1}}) {
    for (const CLI::Option* option : options) {
      const std::vector<const CLI::Option*> others = unstated(option, order, stated);
      if (others.size() < least) continue;
      for (const CLI::Option* other : others) state(stated, option, other);
      notes[option->get_group()].push_back(
          fmt::format("{} cannot be used with {}", primary_name(option), joined(others)));
    }
  }
  return notes;
}

// needs_notes: options that need the same flags share one line ("--root-name, --root-out need
// --development").
std::vector<std::string> needs_notes(const std::vector<const CLI::Option*>& group, const OptionOrder& order) {
  std::vector<std::string> notes;
  std::vector<std::pair<std::string, std::vector<const CLI::Option*>>> needs;
  for (const CLI::Option* option : group) {
    if (option->get_needs().empty()) continue;
    const std::string needed = joined(ordered(option->get_needs(), order));
    auto it =
        std::find_if(needs.begin(), needs.end(), [&needed](const auto& n) { return n.first == needed; });
    if (it == needs.end()) {
      needs.push_back({needed, {option}});
    } else {
      it->second.push_back(option);
    }
  }
  for (const auto& [needed, options] : needs) {
    notes.push_back(fmt::format("{} {} {}", joined(options), options.size() == 1 ? "needs" : "need", needed));
  }
  return notes;
}

// subcommands are a command's own commands (policy's test), in the order they were set up.
std::vector<const CLI::App*> subcommands(const CLI::App* app) {
  return app->get_subcommands([](const CLI::App*) { return true; });
}

std::string usage_line(const CLI::App* app, const std::string& path) {
  std::string line = "Usage: " + path;
  if (!subcommands(app).empty()) line += " COMMAND";
  for (const CLI::Option* option :
       app->get_options([](const CLI::Option* o) { return o->get_positional(); })) {
    const std::string name = primary_name(option);
    line += option->get_required() ? " " + name : " [" + name + "]";
  }
  return line + " [OPTIONS]";
}

}  // namespace

std::string HelpFormatter::make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const {
  if (app->get_parent() == nullptr) return CLI::Formatter::make_help(app, std::move(name), mode);
  std::string path = app->get_name();
  for (const CLI::App* parent = app->get_parent(); parent != nullptr; parent = parent->get_parent())
    path = (parent->get_name().empty() ? std::string("krtool") : parent->get_name()) + " " + path;

  std::vector<const CLI::Option*> options;
  for (const CLI::Option* option : app->get_options()) {
    if (option != app->get_help_ptr() && option != app->get_help_all_ptr() && !option->get_group().empty())
      options.push_back(option);
  }
  OptionOrder order;
  size_t column = 0;
  std::vector<std::string> groups;
  std::vector<const CLI::Option*> positionals;
  for (const CLI::Option* option : options) {
    if (option->get_positional()) positionals.push_back(option);
  }
  for (const CLI::Option* option : positionals) order.emplace(option, order.size());
  for (const CLI::Option* option : options) {
    column = std::max(column, names_column(option).size());
    if (option->get_positional()) continue;
    if (std::find(groups.begin(), groups.end(), option->get_group()) == groups.end())
      groups.push_back(option->get_group());
  }
  for (const std::string& group : groups) {
    for (const CLI::Option* option : options)
      if (!option->get_positional() && option->get_group() == group) order.emplace(option, order.size());
  }
  column = std::min(column + 2, kMaxNameColumn);

  std::ostringstream out;
  out << usage_line(app, path) << "\n\n";
  for (const std::string& line : wrap(app->get_description(), kWidth)) out << line << '\n';
  const auto heading = [&](const std::string& text) { out << '\n' << style_.paint(text + ":", "1") << '\n'; };
  if (!positionals.empty()) {
    heading("Arguments");
    for (const CLI::Option* option : positionals)
      write_entry(out, names_column(option), description_of(option), column);
  }
  const std::vector<const CLI::App*> commands = subcommands(app);
  if (!commands.empty()) {
    heading("Commands");
    size_t width = 0;
    for (const CLI::App* command : commands) width = std::max(width, command->get_name().size());
    for (const CLI::App* command : commands)
      write_entry(out, command->get_name(), command->get_description(), width + 2);
  }
  std::vector<const CLI::Option*> listed;  // in the order --help lists them
  for (const std::string& group : groups)
    for (const CLI::Option* option : options)
      if (!option->get_positional() && option->get_group() == group) listed.push_back(option);
  const Notes notes = exclusion_notes(listed, order);
  for (const std::string& group : groups) {
    std::vector<const CLI::Option*> members;
    for (const CLI::Option* option : options)
      if (!option->get_positional() && option->get_group() == group) members.push_back(option);
    heading(group);
    for (const CLI::Option* option : members)
      write_entry(out, names_column(option), description_of(option), column);
    if (const auto it = notes.find(group); it != notes.end())
      for (const std::string& note : it->second) write_note(out, note);
    for (const std::string& note : needs_notes(members, order)) write_note(out, note);
  }
  if (!app->get_footer().empty()) {
    std::string footer = app->get_footer();
    const std::string prefix = "Examples:";
    if (footer.rfind(prefix, 0) == 0) footer = style_.paint(prefix, "1") + footer.substr(prefix.size());
    out << '\n' << footer << '\n';
  }
  if (!commands.empty()) out << "\nRun '" << path << " COMMAND --help' for a command's options.\n";
  return out.str();
}

std::string usage_text(std::span<const CommandSpec> commands, const Style& style) {
  std::ostringstream out;
  out << "krtool: certificates, a development HTTPS server and a test client for mutual TLS\n\n"
      << "Usage: krtool COMMAND [OPTIONS]\n";
  std::vector<std::string> groups;
  size_t column = 0;
  for (const CommandSpec& command : commands) {
    column = std::max(column, std::string_view(command.name).size());
    if (std::find(groups.begin(), groups.end(), command.group) == groups.end())
      groups.push_back(command.group);
  }
  for (const std::string& group : groups) {
    out << '\n' << style.paint(group + ":", "1") << '\n';
    for (const CommandSpec& command : commands) {
      if (command.group == group) out << fmt::format("  {:<{}}  {}\n", command.name, column, command.summary);
    }
  }
  out << '\n'
      << style.paint("Examples:", "1") << '\n'
      << "  krtool new-selfsigned --development --out localhost.pem\n"
      << "  krtool serve --cert localhost.pem --trust-ca localhost-root.pem --client-cert-mode allow\n"
      << "\nRun 'krtool help COMMAND' (or 'krtool COMMAND --help') for a command's options and examples.\n";
  return out.str();
}

std::string examples_footer(std::initializer_list<const char*> commands) {
  std::string footer = "Examples:";
  for (const char* command : commands) footer += fmt::format("\n  {}", command);
  return footer;
}

}  // namespace krtool::app
