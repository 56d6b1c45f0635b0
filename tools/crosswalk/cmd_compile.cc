// crosswalk compile FILE.cw... -o OUT.cwb [-I DIR]... [--term DIR]
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "command.h"
#include "crosswalk/compiler/compiler.h"
#include "crosswalk/runtime.h"
#include "options.h"
#include "safe_text.h"

namespace {

// Records, for each terminology resource the program names, the version it resolves to in the store at
// `term_dir` and that version's content hash (Runtime::BindTerminology; docs/terminology.md, "Reproducible
// binding"). Every missing resource is named. False on error.
bool BindTerminology(const std::string& term_dir, std::string* bytes) {
  crosswalk::RuntimeOptions options;
  options.terminology_dir = term_dir;
  auto runtime = crosswalk::Runtime::Create(options);
  crosswalk::Result<std::string> bound =
      runtime.ok() ? (*runtime)->BindTerminology(*bytes) : crosswalk::Result<std::string>(runtime.status());
  if (!bound.ok()) {
    crosswalk::cli::PrintSafe(stderr, "crosswalk compile: --term " + term_dir + ": " + bound.status().ToString());
    return false;
  }
  *bytes = std::move(bound).value();
  return true;
}

int RunCompile(const std::vector<std::string>& args) {
  std::vector<std::string> inputs;
  std::string out, term_dir;
  crosswalk::compiler::CompileOptions options;
  bool allow_undeclared_z = false;
  auto app = crosswalk::cli::MakeApp(
      "crosswalk compile", "FILE.cw... -o OUT.cwb [-I DIR]... [--term DIR] [--allow-undeclared-z]",
      "Compiles maps (and what they import) into one verified bytecode program.",
      "  Every error is reported as file:line:col with the source line; the exit status is 1 on errors.\n");
  app->add_option("FILE.cw", inputs, "")->required()->type_name("FILE.cw...");
  app->add_option("-o", out, "where to write the program (required)")->required()->type_name("FILE");
  app->add_option("-I", options.include_dirs, "also look for imported modules in DIR (repeatable)")
      ->type_name("DIR")
      ->allow_extra_args(false);
  app->add_option("--term", term_dir,
                  "bind to this terminology store: record the version and content hash of every resource the "
                  "program names (loading against a store whose content differs is then refused)")
      ->type_name("DIR");
  app->add_flag("--allow-undeclared-z", allow_undeclared_z,
                "no warning for Z-segments read without a `segment` declaration");
  bool no_peephole = false;
  app->add_flag("--no-peephole", no_peephole, "emit the bytecode as lowered, without the peephole pass");
  if (int rc = crosswalk::cli::Parse(*app, args); rc != crosswalk::cli::kParsed) return rc;
  if (allow_undeclared_z) options.warn_undeclared_z_segments = false;
  if (no_peephole) options.peephole = false;
  crosswalk::compiler::CompileResult result = crosswalk::compiler::Compile(inputs, options);
  std::string diags = crosswalk::compiler::FormatDiagnostics(result);
  if (!diags.empty()) std::fputs(diags.c_str(), stderr);
  if (!result.ok()) {
    size_t errors = 0;
    for (const auto& d : result.diagnostics) errors += d.severity == crosswalk::compiler::Severity::kError;
    std::fprintf(stderr, "crosswalk compile: %zu error%s\n", errors, errors == 1 ? "" : "s");
    return 1;
  }
  std::string bytes = std::move(*result.bytecode);
  if (!term_dir.empty() && !BindTerminology(term_dir, &bytes)) return 1;
  std::string tmp = out + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
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

CW_REGISTER_COMMAND(compile, "compile", "FILE.cw... -o OUT.cwb [-I DIR]... [--term DIR]  compile maps to bytecode",
                    RunCompile);
