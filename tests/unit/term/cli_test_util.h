// Helpers for the terminology tests that drive the `crosswalk` commands in process.
#pragma once

#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "command.h"

namespace crosswalk::term::testing {

// Runs the registered command `name` (e.g. "term", "compile") with `args`; its exit status.
inline int RunCommand(const std::string& name, std::vector<std::string> args) {
  for (const auto& c : cli::Commands()) {
    if (c.name == name) return c.run(args);
  }
  ADD_FAILURE() << name << " command not registered";
  return -1;
}

// Writes `text` to `path`; returns `path`.
inline std::string Write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
  return path;
}

}  // namespace crosswalk::term::testing
