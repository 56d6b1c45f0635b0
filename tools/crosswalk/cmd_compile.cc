// crosswalk compile FILE.cw... -o OUT.cwb [-I DIR]...
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "command.h"
#include "crosswalk/compiler/compiler.h"

namespace {

constexpr const char* kUsage =
    "usage: crosswalk compile FILE.cw... -o OUT.cwb [-I DIR]... [--allow-undeclared-z]\n"
    "  Compiles maps (and what they import) into one verified bytecode program.\n"
    "  -o FILE   where to write the program (required)\n"
    "  -I DIR    also look for imported modules in DIR (repeatable)\n"
    "  --allow-undeclared-z   no warning for Z-segments read without a `segment` declaration\n"
    "  Every error is reported as file:line:col with the source line; the exit status is 1 on errors.\n";

int RunCompile(const std::vector<std::string>& args) {
  std::vector<std::string> inputs;
  std::string out;
  crosswalk::compiler::CompileOptions options;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "-o" && i + 1 < args.size()) {
      out = args[++i];
    } else if (a == "-I" && i + 1 < args.size()) {
      options.include_dirs.push_back(args[++i]);
    } else if (a == "--allow-undeclared-z") {
      options.warn_undeclared_z_segments = false;
    } else if (a.rfind("-I", 0) == 0 && a.size() > 2) {
      options.include_dirs.push_back(a.substr(2));
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "crosswalk compile: unknown option '%s'\n%s", a.c_str(), kUsage);
      return 2;
    } else {
      inputs.push_back(a);
    }
  }
  if (inputs.empty() || out.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  crosswalk::compiler::CompileResult result = crosswalk::compiler::Compile(inputs, options);
  std::string diags = crosswalk::compiler::FormatDiagnostics(result);
  if (!diags.empty()) std::fputs(diags.c_str(), stderr);
  if (!result.ok()) {
    size_t errors = 0;
    for (const auto& d : result.diagnostics) errors += d.severity == crosswalk::compiler::Severity::kError;
    std::fprintf(stderr, "crosswalk compile: %zu error%s\n", errors, errors == 1 ? "" : "s");
    return 1;
  }
  std::string tmp = out + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f.write(result.bytecode->data(), static_cast<std::streamsize>(result.bytecode->size()));
    if (!f) {
      std::fprintf(stderr, "crosswalk compile: cannot write '%s'\n", out.c_str());
      return 1;
    }
  }
  if (std::rename(tmp.c_str(), out.c_str()) != 0) {
    std::fprintf(stderr, "crosswalk compile: cannot write '%s'\n", out.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

CW_REGISTER_COMMAND(compile, "compile", "FILE.cw... -o OUT.cwb [-I DIR]...  compile maps to bytecode", RunCompile);
