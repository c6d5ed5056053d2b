#include "reference_docs.hpp"

#include <algorithm>

namespace krtool::app {
namespace {

std::vector<std::string> split_choices(const std::string& value) {
  std::vector<std::string> out;
  if (value.find('|') == std::string::npos) return out;
  std::string::size_type start = 0;
  for (std::string::size_type bar; (bar = value.find('|', start)) != std::string::npos; start = bar + 1) {
    out.push_back(value.substr(start, bar - start));
  }
  out.push_back(value.substr(start));
  return out;
}

std::string display_name(const CLI::Option* option) {
  return option->get_lnames().empty() ? "-" + option->get_snames().front()
                                      : "--" + option->get_lnames().front();
}

}  // namespace

std::vector<CommandDoc> describe_commands(CLI::App& app) {
  std::vector<CommandDoc> out;
  for (CLI::App* command : app.get_subcommands([](CLI::App*) { return true; })) {
    CommandDoc doc{command->get_name(), command->get_description(), {}};
    for (const CLI::Option* option : command->get_options()) {
      if (option == command->get_help_ptr()) continue;  // every command has it; the page says so once
      OptionDoc o;
      for (const std::string& s : option->get_snames()) o.names.push_back("-" + s);
      for (const std::string& l : option->get_lnames()) o.names.push_back("--" + l);
      if (o.names.empty()) o.positional = option->get_name();
      if (option->get_type_size() != 0) {
        o.value = !option->get_option_text().empty() ? option->get_option_text() : option->get_type_name();
      }
      o.choices = split_choices(o.value);
      o.description = option->get_description();
      o.required = option->get_required();
      for (const CLI::Option* other : option->get_needs()) o.needs.push_back(display_name(other));
      for (const CLI::Option* other : option->get_excludes()) o.excludes.push_back(display_name(other));
      // The sets are ordered by address; sorted, the generated files are the same on every build.
      std::sort(o.needs.begin(), o.needs.end());
      std::sort(o.excludes.begin(), o.excludes.end());
      doc.options.push_back(std::move(o));
    }
    out.push_back(std::move(doc));
  }
  return out;
}

}  // namespace krtool::app
