// crosswalk test [MAP.cw... | --program P.cwb] [-I DIR]... [--term DIR] [--update] [--junit FILE] CASES...
//
// A map author's golden tests. A case is one input file (NAME.hl7: one HL7 v2 message; NAME.json: one
// JSON document) with its expectation beside it:
//   NAME.expected.json   the JSON output, compared as values (json_diff.h), differences printed by path;
//   NAME.expected.hl7    the HL7 v2 output (maps whose target is hl7v2), segments one per line;
//   NAME.rejected        the input must be rejected, with a reason containing this text;
//   NAME.warnings        optional: the run's warnings, one per line (`map.cw:L:C: text`), all and in order.
// CASES are case files or folders searched recursively (every .hl7 and .json file that is not an
// expectation is a case). The program is --program, or the MAP.cw files given, or else every .cw file
// directly inside each CASES folder. --update writes the expectations from what the program does now.
// Docs: docs/cli.md, "test".
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include "command.h"
#include "crosswalk/compiler/compiler.h"
#include "crosswalk/runtime.h"
#include "json_diff.h"
#include "options.h"
#include "safe_text.h"

namespace fs = std::filesystem;

namespace {

// Most differences printed per case.
constexpr size_t kMaxDifferencesShown = 20;
// Largest input or expectation file read, in bytes.
constexpr uint64_t kMaxCaseFileBytes = 64u << 20;

struct CaseResult {
  std::string name;
  bool passed = false;
  bool updated = false;
  std::vector<std::string> details;  // why it failed (or what was updated)
};

bool ReadFile(const fs::path& path, std::string* out, std::string* error) {
  std::error_code ec;
  uintmax_t size = fs::file_size(path, ec);
  if (ec) {
    *error = "cannot read '" + path.string() + "': " + ec.message();
    return false;
  }
  if (size > kMaxCaseFileBytes) {
    *error = "'" + path.string() + "' is larger than " + std::to_string(kMaxCaseFileBytes) + " bytes";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  if (!in && !in.eof()) {
    *error = "cannot read '" + path.string() + "'";
    return false;
  }
  *out = ss.str();
  return true;
}

bool Exists(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// An input file of a case: .hl7 or .json, and not an expectation.
bool IsCaseInput(const fs::path& p) {
  std::string name = p.filename().string();
  if (EndsWith(name, ".expected.json") || EndsWith(name, ".expected.hl7")) return false;
  return EndsWith(name, ".hl7") || EndsWith(name, ".json");
}

// "a\r\nb\rc\n" -> lines {"a", "b", "c"}; a final empty line is dropped.
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::string cur;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\r' || c == '\n') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      lines.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) lines.push_back(cur);
  return lines;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

std::string TrimEnd(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string XmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default:
        // XML 1.0 has no form for most control characters; SafeText already wrote them as \xNN.
        out += c;
    }
  }
  return out;
}

// The one message of an .hl7 case (batch envelope segments and MLLP framing allowed): copies it to *message
// and returns "", or returns why the file is not one message.
std::string OnlyMessage(std::string_view text, std::string* message) {
  crosswalk::MessageSplitter splitter;
  crosswalk::SplitItem item;
  splitter.Feed(text);
  splitter.Finish();
  size_t messages = 0;
  while (splitter.Next(&item)) {
    if (item.kind == crosswalk::SplitItem::Kind::kError) {
      return "the input is not an HL7 v2 message: " + item.error.ToString();
    }
    if (item.kind != crosswalk::SplitItem::Kind::kMessage) continue;
    if (messages++ == 0) message->assign(item.text);
  }
  if (messages == 0) return "the input is not an HL7 v2 message: no MSH segment";
  if (messages > 1) return "the input holds " + std::to_string(messages) + " messages; a case is one message";
  return {};
}

class Tester {
 public:
  Tester(const crosswalk::Program& program, crosswalk::RunContext& ctx, crosswalk::RunOptions options, bool update)
      : program_(program), ctx_(ctx), options_(std::move(options)), update_(update) {}

  CaseResult Run(const fs::path& input, const std::string& name) {
    CaseResult r;
    r.name = name;
    std::string text, error;
    if (!ReadFile(input, &text, &error)) return Fail(std::move(r), error);
    if (EndsWith(input.filename().string(), ".hl7")) {
      std::string one;
      std::string why = OnlyMessage(text, &one);
      if (!why.empty()) return Fail(std::move(r), why);
      text = std::move(one);
    }
    std::string_view message = text;
    crosswalk::RunOutput out;
    crosswalk::Status status = ctx_.Run(program_, message, options_, &out);

    std::string stem = input.string().substr(0, input.string().size() - input.extension().string().size());
    fs::path expected_json = stem + ".expected.json", expected_hl7 = stem + ".expected.hl7",
             rejected = stem + ".rejected", warnings = stem + ".warnings";
    std::vector<std::string> warning_lines;
    for (const auto& w : out.warnings) {
      warning_lines.push_back(fs::path(w.map_file).lexically_normal().string() + ":" + std::to_string(w.line) + ":" + std::to_string(w.col) + ": " +
                              w.message);
    }
    if (update_) return Update(std::move(r), status, out, expected_json, expected_hl7, rejected, warnings,
                               warning_lines);

    bool has_json = Exists(expected_json), has_hl7 = Exists(expected_hl7), has_rejected = Exists(rejected);
    if (has_json + has_hl7 + has_rejected == 0) {
      return Fail(std::move(r), "no expectation (" + expected_json.filename().string() + ", " +
                                    expected_hl7.filename().string() + " or " + rejected.filename().string() +
                                    "); run with --update to record one");
    }
    if (has_json + has_hl7 + has_rejected > 1) {
      return Fail(std::move(r), "more than one expectation beside the input");
    }
    std::string want;
    if (has_rejected) {
      if (!ReadFile(rejected, &want, &error)) return Fail(std::move(r), error);
      want = TrimEnd(want);
      if (status.ok()) return Fail(std::move(r), "expected a rejection (" + want + "), but the input converted");
      if (status.ToString().find(want) == std::string::npos) {
        r.details.push_back("expected a rejection containing: " + want);
        r.details.push_back("rejected with: " + status.ToString());
        return r;
      }
    } else {
      if (!status.ok()) return Fail(std::move(r), "rejected: " + status.ToString());
      const fs::path& path = has_json ? expected_json : expected_hl7;
      if (!ReadFile(path, &want, &error)) return Fail(std::move(r), error);
      if (has_json) {
        if (out.kind != crosswalk::OutputKind::kJson) return Fail(std::move(r), "the output is HL7 v2, not JSON");
        CompareJson(want, out.json, path.filename().string(), &r);
      } else {
        if (out.kind != crosswalk::OutputKind::kHl7v2) return Fail(std::move(r), "the output is JSON, not HL7 v2");
        CompareLines(Lines(want), Lines(out.json), &r);
      }
    }
    if (Exists(warnings)) {
      std::string w;
      if (!ReadFile(warnings, &w, &error)) return Fail(std::move(r), error);
      CompareWarnings(Lines(w), warning_lines, &r);
    }
    r.passed = r.details.empty();
    return r;
  }

 private:
  static CaseResult Fail(CaseResult r, std::string why) {
    r.details.push_back(std::move(why));
    return r;
  }

  void CompareJson(const std::string& want, const std::string& got, const std::string& expected_name, CaseResult* r) {
    crosswalk::cli::JsonNode e, a;
    std::string error;
    if (!crosswalk::cli::ParseJson(want, &e, &error)) {
      r->details.push_back(expected_name + ": not JSON: " + error);
      return;
    }
    if (!crosswalk::cli::ParseJson(got, &a, &error)) {
      r->details.push_back("the output is not JSON: " + error);
      return;
    }
    std::vector<crosswalk::cli::JsonDifference> diffs;
    size_t n = crosswalk::cli::DiffJson(e, a, kMaxDifferencesShown, &diffs);
    for (const auto& d : diffs) r->details.push_back(crosswalk::cli::DescribeDifference(d));
    if (n > diffs.size()) r->details.push_back("... and " + std::to_string(n - diffs.size()) + " more differences");
  }

  static void CompareLines(const std::vector<std::string>& want, const std::vector<std::string>& got, CaseResult* r) {
    size_t n = std::max(want.size(), got.size()), shown = 0, total = 0;
    for (size_t i = 0; i < n; ++i) {
      std::string line = "segment " + std::to_string(i + 1) + ": ";
      if (i < want.size() && i < got.size() && want[i] == got[i]) continue;
      ++total;
      if (shown == kMaxDifferencesShown) continue;
      ++shown;
      if (i >= got.size()) {
        r->details.push_back(line + "missing (expected " + want[i] + ")");
      } else if (i >= want.size()) {
        r->details.push_back(line + "unexpected " + got[i]);
      } else {
        r->details.push_back(line + "expected " + want[i]);
        r->details.push_back(std::string(line.size(), ' ') + "     got " + got[i]);
      }
    }
    if (total > shown) r->details.push_back("... and " + std::to_string(total - shown) + " more differences");
  }

  static void CompareWarnings(const std::vector<std::string>& want, const std::vector<std::string>& got, CaseResult* r) {
    if (want == got) return;
    r->details.push_back("warnings differ; expected:");
    for (const auto& w : want) r->details.push_back("  " + w);
    r->details.push_back("got:");
    for (const auto& w : got) r->details.push_back("  " + w);
  }

  // Writes `text` to `path` unless it already holds exactly that; records what changed.
  static bool WriteIfChanged(const fs::path& path, const std::string& text, CaseResult* r) {
    std::string old, error;
    if (Exists(path) && ReadFile(path, &old, &error) && old == text) return true;
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << text;
    f.close();
    if (!f) {
      r->details.push_back("cannot write '" + path.string() + "'");
      return false;
    }
    r->updated = true;
    r->details.push_back("wrote " + path.filename().string());
    return true;
  }

  static void RemoveIfPresent(const fs::path& path, CaseResult* r) {
    std::error_code ec;
    if (Exists(path) && fs::remove(path, ec)) {
      r->updated = true;
      r->details.push_back("removed " + path.filename().string());
    }
  }

  CaseResult Update(CaseResult r, const crosswalk::Status& status, const crosswalk::RunOutput& out,
                    const fs::path& expected_json, const fs::path& expected_hl7, const fs::path& rejected,
                    const fs::path& warnings, const std::vector<std::string>& warning_lines) {
    bool ok;
    if (!status.ok()) {
      ok = WriteIfChanged(rejected, status.ToString() + "\n", &r);
      RemoveIfPresent(expected_json, &r);
      RemoveIfPresent(expected_hl7, &r);
    } else if (out.kind == crosswalk::OutputKind::kJson) {
      ok = WriteIfChanged(expected_json, out.json + "\n", &r);
      RemoveIfPresent(expected_hl7, &r);
      RemoveIfPresent(rejected, &r);
    } else {
      ok = WriteIfChanged(expected_hl7, Join(Lines(out.json)), &r);
      RemoveIfPresent(expected_json, &r);
      RemoveIfPresent(rejected, &r);
    }
    if (!warning_lines.empty()) {
      ok = WriteIfChanged(warnings, Join(warning_lines), &r) && ok;
    } else {
      RemoveIfPresent(warnings, &r);
    }
    r.passed = ok;
    return r;
  }

  const crosswalk::Program& program_;
  crosswalk::RunContext& ctx_;
  crosswalk::RunOptions options_;
  bool update_;
};

bool WriteJunit(const std::string& path, const std::vector<CaseResult>& results) {
  size_t failures = 0;
  for (const auto& r : results) failures += !r.passed;
  std::ostringstream x;
  x << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    << "<testsuite name=\"crosswalk test\" tests=\"" << results.size() << "\" failures=\"" << failures
    << "\" errors=\"0\">\n";
  for (const auto& r : results) {
    x << "  <testcase classname=\"crosswalk\" name=\"" << XmlEscape(crosswalk::cli::SafeText(r.name)) << "\"";
    if (r.passed) {
      x << "/>\n";
      continue;
    }
    std::string text;
    for (const auto& d : r.details) text += crosswalk::cli::SafeText(d) + "\n";
    std::string first = r.details.empty() ? std::string("failed") : crosswalk::cli::SafeText(r.details[0]);
    x << ">\n    <failure message=\"" << XmlEscape(first) << "\">" << XmlEscape(text) << "</failure>\n"
      << "  </testcase>\n";
  }
  x << "</testsuite>\n";
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << x.str();
    f.close();
    if (!f) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

int RunTest(const std::vector<std::string>& args) {
  namespace cli = crosswalk::cli;
  std::vector<std::string> maps, cases, arguments, vars;
  std::string program_path, term_dir, junit;
  bool update = false, allow_undeclared_z = false;
  crosswalk::compiler::CompileOptions copts;
  crosswalk::RunOptions options;
  options.pretty = true;
  auto app = cli::MakeApp(
      "crosswalk test",
      "[MAP.cw... | --program P.cwb] [-I DIR]... [--term DIR] [--update] [--junit FILE]\n"
      "[--now INSTANT] [--zone ZONE] [--var K=V]... [--map NAME] CASES...",
      "Runs golden test cases against maps. A case is an input NAME.hl7 (one HL7 v2 message) or NAME.json\n"
      "with NAME.expected.json, NAME.expected.hl7 or NAME.rejected beside it (and optionally NAME.warnings).\n"
      "CASES are case files or folders (searched recursively).",
      "  Exit status: 0 when every case passed, 1 when one failed or the maps do not compile, 2 on a usage error.\n");
  app->add_option("ARGS", arguments,
                  "the maps to compile into the program under test (default: the .cw files\n"
                  "directly inside each CASES folder), and the case files or folders")
      ->type_name("MAP.cw... CASES...");
  app->add_option("--program", program_path, "test a compiled program instead")->type_name("FILE");
  app->add_option("-I", copts.include_dirs, "also look for imported modules in DIR (repeatable)")
      ->type_name("DIR")
      ->allow_extra_args(false);
  app->add_flag("--allow-undeclared-z", allow_undeclared_z,
                "no warning for Z-segments read without a `segment` declaration");
  app->add_option("--term", term_dir, "the terminology store")->type_name("DIR");
  app->add_flag("--update", update, "rewrite the expectations from the current outputs (review the diff)");
  app->add_option("--junit", junit, "also write a JUnit XML report")->type_name("FILE");
  app->add_option("--now", options.now, "the run's timestamp returned by now(), as for `crosswalk run`")
      ->type_name("INSTANT");
  app->add_option("--zone", options.default_zone, "zone for HL7 times that carry none, as for `crosswalk run`")
      ->type_name("ZONE");
  app->add_option("--var", vars, "a host variable returned by var(\"K\") (repeatable), as for `crosswalk run`")
      ->type_name("K=V")
      ->allow_extra_args(false)
      ->check(cli::NameValue());
  app->add_option("--map", options.map_name, "run this map on every case instead of choosing by message type")
      ->type_name("NAME");
  if (int rc = cli::Parse(*app, args); rc != cli::kParsed) return rc;
  if (allow_undeclared_z) copts.warn_undeclared_z_segments = false;
  for (const auto& v : vars) {
    size_t eq = v.find('=');
    options.variables.emplace_back(v.substr(0, eq), v.substr(eq + 1));
  }
  for (auto& a : arguments) (EndsWith(a, ".cw") ? maps : cases).push_back(std::move(a));
  if (cases.empty()) return cli::UsageError(*app, "no CASES given");
  if (!program_path.empty() && !maps.empty()) {
    return cli::UsageError(*app, "give either MAP.cw files or --program, not both");
  }

  // The cases, and the maps of each CASES folder when no program was named.
  std::vector<std::pair<fs::path, std::string>> found;  // input, name shown
  std::vector<std::string> folder_maps;
  for (const auto& c : cases) {
    std::error_code ec;
    if (fs::is_directory(c, ec)) {
      for (const auto& e : fs::directory_iterator(c, ec)) {
        if (e.is_regular_file() && e.path().extension() == ".cw") folder_maps.push_back(e.path().string());
      }
      fs::recursive_directory_iterator it(c, fs::directory_options::skip_permission_denied, ec), end;
      for (; !ec && it != end; it.increment(ec)) {
        if (it->is_regular_file() && IsCaseInput(it->path())) found.emplace_back(it->path(), it->path().string());
      }
      if (ec) {
        crosswalk::cli::PrintSafe(stderr, "crosswalk test: cannot list '" + c + "': " + ec.message());
        return 1;
      }
    } else if (fs::is_regular_file(c, ec)) {
      found.emplace_back(c, c);
    } else {
      crosswalk::cli::PrintSafe(stderr, "crosswalk test: no such file or folder '" + c + "'");
      return 1;
    }
  }
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  if (found.empty()) {
    std::fprintf(stderr, "crosswalk test: no test cases (.hl7 or .json inputs) found\n");
    return 1;
  }
  if (program_path.empty() && maps.empty()) {
    std::sort(folder_maps.begin(), folder_maps.end());
    maps = folder_maps;
    if (maps.empty()) {
      return cli::UsageError(*app, "no maps: give MAP.cw files or --program (no .cw file in the folders)");
    }
  }

  std::string bytes, error;
  if (!program_path.empty()) {
    if (!ReadFile(program_path, &bytes, &error)) {
      crosswalk::cli::PrintSafe(stderr, "crosswalk test: " + error);
      return 1;
    }
  } else {
    // Absolute paths: the program then names its files relative to their common folder, so the map
    // locations in rejections and warnings do not depend on the folder the test runs from.
    std::vector<std::string> roots;
    for (const auto& m : maps) roots.push_back(fs::absolute(m).lexically_normal().string());
    crosswalk::compiler::CompileResult compiled = crosswalk::compiler::Compile(roots, copts);
    std::string diags = crosswalk::compiler::FormatDiagnostics(compiled);
    if (!diags.empty()) std::fputs(diags.c_str(), stderr);
    if (!compiled.ok()) {
      std::fprintf(stderr, "crosswalk test: the maps do not compile\n");
      return 1;
    }
    bytes = std::move(*compiled.bytecode);
  }
  crosswalk::cli::LoadedProgram loaded;
  if (!crosswalk::cli::LoadProgram("test", bytes, term_dir, "", &loaded)) return 1;
  if (std::string why = cli::MissingMap(*loaded.program, options.map_name); !why.empty()) {
    return cli::UsageError(*app, why);
  }

  crosswalk::RunContext ctx(*loaded.runtime);
  Tester tester(*loaded.program, ctx, options, update);
  std::vector<CaseResult> results;
  size_t failed = 0, updated = 0, unchanged = 0;
  for (const auto& [input, name] : found) {
    CaseResult r = tester.Run(input, name);
    if (update) {
      if (r.updated || !r.passed) {
        crosswalk::cli::PrintSafe(stdout, (r.passed ? "UPDATED " : "FAIL ") + r.name);
        for (const auto& d : r.details) crosswalk::cli::PrintSafe(stdout, "  " + d);
      }
    } else if (!r.passed) {
      crosswalk::cli::PrintSafe(stdout, "FAIL " + r.name);
      for (const auto& d : r.details) crosswalk::cli::PrintSafe(stdout, "  " + d);
    }
    failed += !r.passed;
    updated += r.passed && r.updated;
    unchanged += r.passed && !r.updated;
    results.push_back(std::move(r));
  }
  if (update) {
    std::printf("%zu cases: %zu updated, %zu unchanged, %zu failed\n", results.size(), updated,
                unchanged, failed);
  } else {
    std::printf("%zu cases: %zu passed, %zu failed\n", results.size(), results.size() - failed, failed);
  }
  if (!junit.empty() && !WriteJunit(junit, results)) {
    crosswalk::cli::PrintSafe(stderr, "crosswalk test: cannot write '" + junit + "'");
    return 1;
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace

CW_REGISTER_COMMAND(test, "test", "[MAP.cw...] CASES...  run golden test cases (input + expected output)", RunTest);
