// crosswalk disasm PROGRAM.cwb: verifies a program and prints its disassembly.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "command.h"
#include "crosswalk/runtime.h"
#include "options.h"

namespace {

int RunDisasm(const std::vector<std::string>& args) {
  std::string path;
  auto app = crosswalk::cli::MakeApp("crosswalk disasm", "PROGRAM.cwb",
                                     "Verifies the program and prints its constants, maps and code.");
  app->add_option("PROGRAM.cwb", path, "")->required();
  if (int rc = crosswalk::cli::Parse(*app, args); rc != crosswalk::cli::kParsed) return rc;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "crosswalk disasm: cannot read '%s'\n", path.c_str());
    return 1;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  auto text = crosswalk::Disassemble(ss.str());
  if (!text.ok()) {
    std::fprintf(stderr, "crosswalk disasm: %s: %s\n", path.c_str(), text.status().ToString().c_str());
    return 1;
  }
  std::fwrite(text->data(), 1, text->size(), stdout);
  return 0;
}

}  // namespace

CW_REGISTER_COMMAND(disasm, "disasm", "PROGRAM.cwb  verify a program and print its bytecode", RunDisasm);
