// krtool help [COMMAND...]: the list of commands, or one command's options and examples. `krtool help
// serve` is answered as `krtool serve --help`, and `krtool help policy test` as `krtool policy test
// --help`, before parsing (cli.cpp's front door), so that the two can never differ; what reaches this
// command is the list, or a name that is no command.
#include <unistd.h>

#include <iostream>
#include <memory>

#include "command.hpp"
#include "help_format.hpp"
#include "krtool/error.hpp"
#include "terminal.hpp"
#include "usage_errors.hpp"

namespace krtool::app {

void setup_help(CLI::App& parent, Runner& runner) {
  auto topic = std::make_shared<std::string>();
  CLI::App* command =
      parent.add_subcommand("help", "Show the list of commands, or one command's options and examples");
  command->add_option("COMMAND", *topic, "The command to explain")->option_text("COMMAND");
  command->footer(examples_footer({"krtool help", "krtool help serve"}));
  command->callback([&runner, topic] {
    runner.action = [&runner, topic] {
      if (!topic->empty()) {
        const UsageProblem problem = unknown_command(*topic, runner.commands);
        throw Error(Errc::Usage, problem.message, problem.hint);
      }
      std::cout << usage_text(runner.commands, style_for(STDOUT_FILENO));
      return 0;
    };
  });
}

}  // namespace krtool::app
