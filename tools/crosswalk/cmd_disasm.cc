// crosswalk disasm PROGRAM.cwb: verifies a program and prints its disassembly.
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "bytecode/disassembler.h"
#include "bytecode/reader.h"
#include "command.h"

namespace {

int RunDisasm(const std::vector<std::string>& args) {
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
    std::fputs("usage: crosswalk disasm PROGRAM.cwb\n  Verifies the program and prints its constants, maps and code.\n",
               stdout);
    return 0;
  }
  if (args.size() != 1) {
    std::fputs("usage: crosswalk disasm PROGRAM.cwb\n", stderr);
    return 2;
  }
  std::ifstream in(args[0], std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "crosswalk disasm: cannot read '%s'\n", args[0].c_str());
    return 1;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  auto program = crosswalk::bytecode::ReadProgram(ss.str());
  if (!program.ok()) {
    std::fprintf(stderr, "crosswalk disasm: %s: %s\n", args[0].c_str(), program.status().ToString().c_str());
    return 1;
  }
  std::string text = crosswalk::bytecode::Disassemble(*program);
  std::fwrite(text.data(), 1, text.size(), stdout);
  return 0;
}

}  // namespace

CW_REGISTER_COMMAND(disasm, "disasm", "PROGRAM.cwb  verify a program and print its bytecode", RunDisasm);
