// crosswalk: the command-line tool. Dispatches to the registered subcommands (see command.h).
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "command.h"

namespace {

void PrintHelp(std::FILE* out) {
  std::fprintf(out,
               "crosswalk — terminology mapping compiler and runtime (HL7 v2, FHIR R4, JSON)\n\n"
               "usage: crosswalk COMMAND [ARGS...]\n\ncommands:\n");
  for (const auto& c : crosswalk::cli::Commands()) {
    std::fprintf(out, "  %-12.*s %.*s\n", static_cast<int>(c.name.size()), c.name.data(),
                 static_cast<int>(c.usage.size()), c.usage.data());
  }
  std::fprintf(out, "\nRun `crosswalk COMMAND --help` for a command's options.\n"
                    "Exit status: 0 on success, 1 on failure (one line on stderr), 2 on a usage error.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h" ||
      std::string(argv[1]) == "help") {
    PrintHelp(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  std::string name = argv[1];
  if (name == "--version") {
    std::printf("crosswalk 0.1.0\n");
    return 0;
  }
  for (const auto& c : crosswalk::cli::Commands()) {
    if (c.name == name) {
      std::vector<std::string> args(argv + 2, argv + argc);
      try {
        return c.run(args);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "crosswalk %s: internal error: %s\n", name.c_str(), e.what());
        return 1;
      } catch (...) {
        std::fprintf(stderr, "crosswalk %s: internal error\n", name.c_str());
        return 1;
      }
    }
  }
  std::fprintf(stderr, "crosswalk: unknown command '%s' (see crosswalk --help)\n", name.c_str());
  return 2;
}
