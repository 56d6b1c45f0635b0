#include "command.h"

#include <algorithm>
#include <string>

#include "safe_text.h"

namespace crosswalk::cli {

static std::vector<Command>& Registry() {
  static std::vector<Command> commands;
  return commands;
}

bool RegisterCommand(const Command& command) {
  auto& r = Registry();
  r.push_back(command);
  std::sort(r.begin(), r.end(), [](const Command& a, const Command& b) { return a.name < b.name; });
  return true;
}

const std::vector<Command>& Commands() { return Registry(); }

bool LoadProgram(std::string_view cmd, std::string_view bytes, const std::string& term_dir, const std::string& source,
                 LoadedProgram* out, bool allow_term_drift) {
  std::string prefix = "crosswalk " + std::string(cmd) + ": ";
  RuntimeOptions options;
  options.terminology_dir = term_dir;
  options.allow_terminology_drift = allow_term_drift;
  auto runtime = Runtime::Create(options);
  if (!runtime.ok()) {
    PrintSafe(stderr, prefix + runtime.status().ToString());
    return false;
  }
  auto program = (*runtime)->Load(bytes);
  if (!program.ok()) {
    PrintSafe(stderr, prefix + (source.empty() ? "" : source + ": ") + program.status().ToString());
    return false;
  }
  for (const auto& w : (*program)->terminology_warnings()) PrintSafe(stderr, prefix + "warning: " + w);
  out->runtime = std::move(*runtime);
  out->program = std::move(*program);
  return true;
}

std::string MissingMap(const Program& program, const std::string& name) {
  if (name.empty()) return {};
  for (const auto& m : program.maps()) {
    if (m.name == name) return {};
  }
  return "--map: the program has no map named '" + name + "'";
}

}  // namespace crosswalk::cli
