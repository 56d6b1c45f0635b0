// The subcommand registry of the `crosswalk` tool.
//
// Each subcommand lives in its own file and registers itself:
//   static int RunInspect(const std::vector<std::string>& args);   // args exclude "crosswalk" and the name
//   CW_REGISTER_COMMAND(inspect, "inspect", "MESSAGE.hl7  print every populated value with its path", RunInspect);
// A command returns the process exit status: 0 on success, 1 on a failure it reported on stderr with one
// line, 2 on a usage error. It must not throw.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crosswalk/runtime.h"

namespace crosswalk::cli {

using CommandFn = int (*)(const std::vector<std::string>& args);

struct Command {
  std::string_view name;   // "compile", "term", ...
  std::string_view usage;  // one line shown by `crosswalk --help`
  CommandFn run;
};

// Adds a command to the registry; called from static initialisers only.
bool RegisterCommand(const Command& command);
// All registered commands, sorted by name.
const std::vector<Command>& Commands();

// A runtime on the terminology store `term_dir` ("" = none) with a program loaded into it.
struct LoadedProgram {
  std::unique_ptr<Runtime> runtime;
  std::shared_ptr<const Program> program;
};
// Opens the runtime and loads `bytes` (the program read from `source`, named in errors when not empty).
// On failure prints one line, "crosswalk CMD: ...", and returns false. `allow_term_drift`
// (RuntimeOptions::allow_terminology_drift): each drifted resource is a "warning:" line on stderr instead.
bool LoadProgram(std::string_view cmd, std::string_view bytes, const std::string& term_dir, const std::string& source,
                 LoadedProgram* out, bool allow_term_drift = false);

// "" when `name` is empty or names a map of `program`; else why not, as a usage error says it
// ("--map: the program has no map named 'X'"). run, test and serve refuse such a --map once, before any
// message runs.
std::string MissingMap(const Program& program, const std::string& name);

}  // namespace crosswalk::cli

#define CW_REGISTER_COMMAND(id, name, usage, fn) \
  [[maybe_unused]] static const bool cw_command_registered_##id = \
      ::crosswalk::cli::RegisterCommand({name, usage, fn})
