#include "command.h"

#include <algorithm>

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

}  // namespace crosswalk::cli
