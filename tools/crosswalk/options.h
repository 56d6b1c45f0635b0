// The option grammar of every `crosswalk` command, declared with CLI11 (Debian's libcli11-dev).
//
// A command builds its parser with MakeApp, declares its options and positionals on it, and calls Parse:
//
//   auto app = MakeApp("crosswalk disasm", "PROGRAM.cwb", "Verifies the program and prints ...");
//   app->add_option("PROGRAM.cwb", path)->required();
//   if (int rc = Parse(*app, args); rc != kParsed) return rc;
//
// What every command then accepts (docs/cli.md, "Options"): `--opt value` and `--opt=value`; `-I DIR` and
// `-IDIR` for one-letter options; options before, between or after the positionals; `--` ends the options;
// `-` is an ordinary argument (standard input or output where a file is read or written); an option that
// takes one value and is given twice keeps the last; `-h`/`--help` prints the command's help on stdout
// and exits 0. A usage error (an unknown option, named; a missing value or argument; a value of the wrong
// form) is one line on stderr, "crosswalk CMD: why (see crosswalk CMD --help)", and exit status 2.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

namespace crosswalk::cli {

// Parse's answer when the command should go on and run.
constexpr int kParsed = -1;

// A parser for the command `name` ("crosswalk run"). `synopsis` follows "usage: NAME " in the help (its
// continuation lines are indented as written); `about` is printed under it, indented; `notes` after the
// options, as written (exit status, remarks).
std::unique_ptr<CLI::App> MakeApp(const std::string& name, const std::string& synopsis, const std::string& about,
                                  const std::string& notes = "");

// A subcommand of `parent` ("crosswalk term" + "lookup"), with its own --help. `summary` is its line in the
// parent's help when `synopsis` is empty.
CLI::App* AddSubcommand(CLI::App& parent, const std::string& name, const std::string& synopsis,
                        const std::string& about, const std::string& notes = "");

// Parses `args` (the arguments after the command's name) into the options declared on `app`. Returns
// kParsed, or the exit status when the command must stop: 0 when the help was printed, 2 on a usage error
// (printed).
int Parse(CLI::App& app, const std::vector<std::string>& args);

// A usage error the command finds after parsing (options that exclude each other, a value that needs the
// others to be judged): prints "crosswalk CMD: why (see crosswalk CMD --help)" and returns 2. `app` is the
// parser of the command or subcommand that ran.
int UsageError(const CLI::App& app, std::string_view why);

// The help of `app`, as --help prints it.
std::string Help(const CLI::App& app);

// Validators for option values; their message follows "OPTION: " in the error. (They carry no description:
// CLI11 would append it to the type name shown in the help.)
// A decimal number from `min` to `max` (UINT64_MAX: no bound; digits only, at most 19: no sign, no spaces);
// `what` names it in the error ("a number of threads").
CLI::Validator Number(uint64_t min, uint64_t max, const std::string& what = "a number");
// One of `values`, exactly.
CLI::Validator OneOf(const std::vector<std::string>& values);
// NAME=VALUE with a non-empty NAME.
CLI::Validator NameValue();

}  // namespace crosswalk::cli
