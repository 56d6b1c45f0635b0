// crosswalk fmt [--check] FILE.cw|DIR|-...
//
// Rewrites map sources in their canonical layout (compiler.h FormatSource; rules in docs/language.md,
// "Layout"). Only white space changes, comments stay, and formatting twice changes nothing.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "command.h"
#include "crosswalk/compiler/compiler.h"
#include "options.h"
#include "safe_text.h"

namespace fs = std::filesystem;

namespace {

bool ReadAll(std::istream& in, std::string* out) {
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return !in.bad();
}

// Replaces `path` by `text` through a temporary file in the same folder, keeping its permissions.
bool WriteFileAtomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".cwfmt.tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    f.close();
    if (!f) {
      std::remove(tmp.c_str());
      return false;
    }
  }
  std::error_code ec;
  fs::permissions(tmp, fs::status(path, ec).permissions(), ec);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

int RunFmt(const std::vector<std::string>& args) {
  bool check = false;
  std::vector<std::string> inputs;
  auto app = crosswalk::cli::MakeApp(
      "crosswalk fmt", "[--check] FILE.cw|DIR|-...",
      "Rewrites map sources in the canonical layout (only white space changes; comments are kept).",
      "  A file with syntax errors is left as it is and its errors are printed (exit 1).\n");
  app->add_option("FILE", inputs, "a map source (FILE.cw), every .cw file below DIR, or - to read standard\n"
                                  "input and write the result to standard output")
      ->required()
      ->type_name("FILE.cw|DIR|-");
  app->add_flag("--check", check,
                "write nothing; list the files whose layout is not canonical and exit 1 if there are any");
  if (int rc = crosswalk::cli::Parse(*app, args); rc != crosswalk::cli::kParsed) return rc;
  std::vector<std::string> files;
  for (const auto& in : inputs) {
    std::error_code ec;
    if (in != "-" && fs::is_directory(in, ec)) {
      std::vector<std::string> found;
      fs::recursive_directory_iterator it(in, fs::directory_options::skip_permission_denied, ec), end;
      for (; !ec && it != end; it.increment(ec)) {
        if (it->is_regular_file() && it->path().extension() == ".cw") found.push_back(it->path().string());
      }
      if (ec) {
        crosswalk::cli::PrintSafe(stderr, "crosswalk fmt: cannot list '" + in + "': " + ec.message());
        return 1;
      }
      std::sort(found.begin(), found.end());
      files.insert(files.end(), found.begin(), found.end());
    } else {
      files.push_back(in);
    }
  }

  int status = 0;
  size_t unformatted = 0;
  for (const auto& path : files) {
    std::string text;
    bool read;
    if (path == "-") {
      read = ReadAll(std::cin, &text);
    } else {
      std::ifstream f(path, std::ios::binary);
      read = f && ReadAll(f, &text);
    }
    if (!read) {
      crosswalk::cli::PrintSafe(stderr, "crosswalk fmt: cannot read '" + path + "'");
      status = 1;
      continue;
    }
    crosswalk::compiler::FormatResult r =
        crosswalk::compiler::FormatSource(path == "-" ? "<stdin>" : path, text);
    if (!r.ok()) {
      std::fputs(crosswalk::compiler::FormatDiagnostics(r.diagnostics, r.files).c_str(), stderr);
      crosswalk::cli::PrintSafe(stderr, "crosswalk fmt: " + path + ": not formatted (it does not parse)");
      status = 1;
      continue;
    }
    bool changed = *r.formatted != text;
    if (check) {
      if (changed) {
        crosswalk::cli::PrintSafe(stdout, path);
        ++unformatted;
        status = 1;
      }
    } else if (path == "-") {
      std::fwrite(r.formatted->data(), 1, r.formatted->size(), stdout);
    } else if (changed && !WriteFileAtomically(path, *r.formatted)) {
      crosswalk::cli::PrintSafe(stderr, "crosswalk fmt: cannot write '" + path + "'");
      status = 1;
    }
  }
  if (check && unformatted > 0) {
    std::fprintf(stderr, "crosswalk fmt: %zu file%s not in the canonical layout\n", unformatted,
                 unformatted == 1 ? " is" : "s are");
  }
  return status;
}

}  // namespace

CW_REGISTER_COMMAND(fmt, "fmt", "[--check] FILE.cw|DIR...  rewrite maps in the canonical layout", RunFmt);
