// The man pages, the shell completions and docs/cli.md, generated from the same CLI11 definitions that
// parse krtool's command line, so that none of them can drift from the flags krtool accepts.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace krtool::app {

// ValueKind is what a shell may offer for an option's value.
enum class ValueKind {
  None,      // a flag: no value
  Choice,    // one of `choices`
  File,      // a file or folder name: FILE, DIR, PATH
  Variable,  // an environment variable's name: VAR
  Typed,     // anything else (a subject, a number, a URL): typed, nothing to offer
};

// OptionDoc is one option of one command as the generators see it.
struct OptionDoc {
  std::vector<std::string> names;    // "-X", "--method"; empty for a positional
  std::string positional;            // "url", "file": the name of a positional argument
  std::string value;                 // "FILE", "rsa|ecdsa|ed25519", "INT"; empty for a flag
  std::vector<std::string> choices;  // the words of a value written a|b|c, then other accepted spellings
  ValueKind kind = ValueKind::None;
  std::string description;
  std::string group;          // the --help heading it is listed under
  std::string default_value;  // CLI11's default string, when the command set one
  bool required = false;
  bool repeatable = false;
  std::vector<std::string> needs, excludes;
};

// CommandDoc is one subcommand and its options, in the order --help lists them. A command with commands
// of its own (policy) is followed by them (policy test), each a CommandDoc too.
struct CommandDoc {
  std::string name;  // the words after krtool: "serve", "policy test"
  std::string description;
  std::string notes;                  // the footer's text before "Examples:"
  std::vector<std::string> examples;  // the footer's lines after "Examples:", common indent removed
  std::vector<OptionDoc> options;
  std::string parent;                 // "policy" for "policy test"; "" for a command of krtool itself
  std::vector<std::string> commands;  // the names of its own commands ("test"), if it has any
};

// describe_commands reads every subcommand that `app` has set up, and theirs.
std::vector<CommandDoc> describe_commands(CLI::App& app);

// last_word is what a command is called among its parent's commands: "test" for "policy test".
std::string last_word(const CommandDoc& command);
// page_name names a command's man page and Markdown anchor: "krtool-serve", "krtool-policy-test".
std::string page_name(const CommandDoc& command);
// subcommands are the CommandDocs of `parent`'s own commands (`parent` "" for krtool's), in order.
std::vector<const CommandDoc*> subcommands(const std::vector<CommandDoc>& commands,
                                           const std::string& parent);

// headline is a flag's entry heading: "-X, --method METHOD", or a positional's name.
std::string headline(const OptionDoc& option);
// option_text is an option's description as a sentence, with its default, needs and exclusions.
std::string option_text(const OptionDoc& option);
// first_sentence keeps a description short enough for one line of a completion menu.
std::string first_sentence(const std::string& text);
// option_groups are the headings of a command's options, in the order they first appear.
std::vector<std::string> option_groups(const CommandDoc& command);

// man_pages renders krtool(1) and one krtool-<command>(1) per command in man(7) markup, into `folder`;
// it returns the files' names.
std::vector<std::string> write_man_pages(const std::vector<CommandDoc>& commands, const std::string& folder,
                                         const std::string& summary, const std::string& version);
// The completion scripts: bash (bash-completion's completions folder, or `source`), zsh (a #compdef
// function for $fpath) and fish (vendor_completions.d).
std::string bash_completion(const std::vector<CommandDoc>& commands);
std::string zsh_completion(const std::vector<CommandDoc>& commands, const std::string& summary);
std::string fish_completion(const std::vector<CommandDoc>& commands);
// markdown renders docs/cli.md.
std::string markdown_reference(const std::vector<CommandDoc>& commands, const std::string& summary);

}  // namespace krtool::app
