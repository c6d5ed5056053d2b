// krtool-docgen: writes krtool's man pages, shell completions and docs/cli.md from the commands' own
// CLI11 definitions, every one of them (krtool sets up only the one it runs). The build runs it; it is
// not installed.
#include <fstream>
#include <iostream>
#include <string_view>

#include "cli.hpp"
#include "command.hpp"
#include "reference_docs.hpp"

// The command table is main.cpp's kCommands, included here with krtool's main() renamed: a command
// added to krtool appears in every generated file with no second list to keep in step.
#define main krtool_main
#include "main.cpp"
#undef main

namespace {

constexpr std::string_view kUsage = "usage: krtool-docgen man FOLDER | bash|zsh|fish|markdown FILE\n";

int write(const char* path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    std::cerr << "krtool-docgen: cannot write " << path << '\n';
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace krtool::app;
  const std::string_view kind = argc == 3 ? argv[1] : "";
  CLI::App app{kProgramSummary, "krtool"};
  Runner runner;
  for (const CommandSpec& command : kCommands) command.setup(app, runner);
  try {
    const std::vector<CommandDoc> commands = describe_commands(app);
    if (kind == "man") {
      write_man_pages(commands, argv[2], kProgramSummary, kProgramVersion);
      return 0;
    }
    if (kind == "bash") return write(argv[2], bash_completion(commands));
    if (kind == "zsh") return write(argv[2], zsh_completion(commands, kProgramSummary));
    if (kind == "fish") return write(argv[2], fish_completion(commands));
    if (kind == "markdown") return write(argv[2], markdown_reference(commands, kProgramSummary));
  } catch (const std::exception& e) {
    std::cerr << "krtool-docgen: " << e.what() << '\n';
    return 1;
  }
  std::cerr << kUsage;
  return 2;
}
