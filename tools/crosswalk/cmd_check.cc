// crosswalk check FILE.cw... [-I DIR]... [--werror]
//
// Everything `compile` checks (syntax, names, imports, paths, types, limits, the verifier), without writing a
// program: for editors, pre-commit hooks and CI jobs that only need to know whether the maps are sound.
#include <cstdio>
#include <string>
#include <vector>

#include "command.h"
#include "crosswalk/compiler/compiler.h"
#include "options.h"

namespace {

int RunCheck(const std::vector<std::string>& args) {
  std::vector<std::string> inputs;
  crosswalk::compiler::CompileOptions options;
  bool werror = false, allow_undeclared_z = false;
  auto app = crosswalk::cli::MakeApp(
      "crosswalk check", "FILE.cw... [-I DIR]... [--werror] [--allow-undeclared-z]",
      "Compiles maps (and what they import) and runs every static check; writes nothing.",
      "  Diagnostics are printed as file:line:col with the source line; exit 0 when the maps are sound,\n"
      "  1 when there are errors, 2 on a usage error.\n");
  app->add_option("FILE.cw", inputs, "")->required()->type_name("FILE.cw...");
  app->add_option("-I", options.include_dirs, "also look for imported modules in DIR (repeatable)")
      ->type_name("DIR")
      ->allow_extra_args(false);
  app->add_flag("--werror", werror, "treat warnings as errors (exit 1 when there is any)");
  app->add_flag("--allow-undeclared-z", allow_undeclared_z,
                "no warning for Z-segments read without a `segment` declaration");
  if (int rc = crosswalk::cli::Parse(*app, args); rc != crosswalk::cli::kParsed) return rc;
  if (allow_undeclared_z) options.warn_undeclared_z_segments = false;
  crosswalk::compiler::CompileResult result = crosswalk::compiler::Compile(inputs, options);
  std::string diags = crosswalk::compiler::FormatDiagnostics(result);
  if (!diags.empty()) std::fputs(diags.c_str(), stderr);
  size_t errors = 0, warnings = 0;
  for (const auto& d : result.diagnostics) {
    errors += d.severity == crosswalk::compiler::Severity::kError;
    warnings += d.severity == crosswalk::compiler::Severity::kWarning;
  }
  if (!result.ok() || (werror && warnings > 0)) {
    std::fprintf(stderr, "crosswalk check: %zu error%s, %zu warning%s\n", errors, errors == 1 ? "" : "s",
                 warnings, warnings == 1 ? "" : "s");
    return 1;
  }
  return 0;
}

}  // namespace

CW_REGISTER_COMMAND(check, "check", "FILE.cw... [-I DIR]...  compile and check maps, write nothing", RunCheck);
