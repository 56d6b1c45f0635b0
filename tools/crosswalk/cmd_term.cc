// `crosswalk term`: import into, and query, a terminology store (see docs/terminology.md).
//
//   crosswalk term import --db DIR [--column CANONICAL=HEADER]... [--map-url URL] [--map-version V]
//                         [--keep-current] FILE...
//   crosswalk term lookup --db DIR [--version V] SYSTEM CODE
//   crosswalk term validate --db DIR SYSTEM CODE [--valueset URL]
//   crosswalk term translate --db DIR [--map URL] SYSTEM CODE [--target SYSTEM]
//   crosswalk term stats --db DIR [--list]
//
// Exit status: 0 success (lookup found, validate valid, translate mapped); 1 failure or a negative
// answer, with one line on stderr; 2 usage error.
#include <unistd.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "command.h"
#include "crosswalk/terminology.h"

namespace {

using crosswalk::Status;
using crosswalk::term::ImportOptions;
using crosswalk::term::OpenOptions;
using crosswalk::term::Store;

constexpr const char* kUsage =
    "usage:\n"
    "  crosswalk term import --db DIR [--column CANONICAL=HEADER]... [--map-url URL] [--map-version V]\n"
    "                        [--keep-current] FILE...\n"
    "  crosswalk term lookup --db DIR [--version V] SYSTEM CODE\n"
    "  crosswalk term validate --db DIR SYSTEM CODE [--valueset URL]\n"
    "  crosswalk term translate --db DIR [--map URL] SYSTEM CODE [--target SYSTEM]\n"
    "  crosswalk term stats --db DIR [--list]\n"
    "FILE: FHIR R4 JSON (CodeSystem, ValueSet, ConceptMap, or a Bundle of them), NDJSON (.ndjson), or a CSV\n"
    "crosswalk table (.csv) with columns source_system,source_code,target_system,target_code[,target_display,\n"
    "equivalence,map_url,map_version,source_display]; --column renames, e.g. --column source_code=LocalCode.\n";

int Usage(const std::string& why) {
  std::fprintf(stderr, "crosswalk term: %s\n%s", why.c_str(), kUsage);
  return 2;
}

int Fail(std::string_view sub, const Status& s) {
  std::fprintf(stderr, "crosswalk term %.*s: %s\n", static_cast<int>(sub.size()), sub.data(), s.ToString().c_str());
  return 1;
}

struct Args {
  std::string db;
  std::vector<std::string> positional;
  std::vector<std::pair<std::string, std::string>> options;  // --name value
  std::vector<std::string> flags;                            // --name
  bool Has(std::string_view flag) const {
    for (const auto& f : flags) {
      if (f == flag) return true;
    }
    return false;
  }
  std::string Get(std::string_view name) const {
    std::string v;
    for (const auto& [n, val] : options) {
      if (n == name) v = val;
    }
    return v;
  }
};

// Options that take a value; everything else starting with "--" is a flag.
bool TakesValue(std::string_view name) {
  for (std::string_view n : {"--db", "--column", "--map-url", "--map-version", "--version", "--valueset", "--map",
                             "--target"}) {
    if (n == name) return true;
  }
  return false;
}

bool Parse(const std::vector<std::string>& in, size_t start, Args* out, std::string* error) {
  for (size_t i = start; i < in.size(); ++i) {
    const std::string& a = in[i];
    if (a.size() > 2 && a.rfind("--", 0) == 0) {
      std::string name = a, value;
      size_t eq = a.find('=');
      bool inline_value = eq != std::string::npos;
      if (inline_value) {
        name = a.substr(0, eq);
        value = a.substr(eq + 1);
      }
      if (TakesValue(name)) {
        if (!inline_value) {
          if (i + 1 >= in.size()) {
            *error = fmt::format("{} needs a value", name);
            return false;
          }
          value = in[++i];
        }
        if (name == "--db") {
          out->db = value;
        } else {
          out->options.emplace_back(name, value);
        }
      } else {
        out->flags.push_back(a);
      }
    } else {
      out->positional.push_back(a);
    }
  }
  return true;
}

int CheckFlags(const Args& args, std::vector<std::string_view> allowed) {
  for (const auto& f : args.flags) {
    bool ok = false;
    for (auto a : allowed) ok = ok || f == a;
    if (!ok) return Usage(fmt::format("unknown option '{}'", f));
  }
  return 0;
}

std::string Quote(std::string_view s) { return s.empty() ? "(none)" : std::string(s); }

int RunImport(const Args& args) {
  if (int rc = CheckFlags(args, {"--keep-current"})) return rc;
  if (args.positional.empty()) return Usage("import needs at least one FILE");
  ImportOptions opts;
  for (const auto& [name, value] : args.options) {
    if (name == "--column") {
      Status s = opts.csv_columns.Set(value);
      if (!s.ok()) return Usage(std::string(s.message()));
    } else if (name == "--map-url") {
      opts.csv_map_url = value;
    } else if (name == "--map-version") {
      opts.csv_map_version = value;
    } else {
      return Usage(fmt::format("option '{}' does not apply to import", name));
    }
  }
  opts.set_current = !args.Has("--keep-current");
  bool tty = isatty(STDERR_FILENO) != 0;
  bool drew = false;
  if (tty) {
    opts.progress = [&drew](const crosswalk::term::ImportProgress& p) {
      if (p.writing) {
        std::fprintf(stderr, "\r\033[Kwriting %llu resources, %llu entries...",
                     static_cast<unsigned long long>(p.resources), static_cast<unsigned long long>(p.concepts));
      } else {
        int pct = p.bytes_total > 0 ? static_cast<int>(100 * p.bytes_done / p.bytes_total) : 100;
        std::fprintf(stderr, "\r\033[K%.*s %3d%%  %llu resources, %llu entries", static_cast<int>(p.file.size()),
                     p.file.data(), pct, static_cast<unsigned long long>(p.resources),
                     static_cast<unsigned long long>(p.concepts));
      }
      drew = true;
    };
  }
  OpenOptions oo;
  oo.read_only = false;
  auto store = Store::Open(args.db, oo);
  if (!store.ok()) return Fail("import", store.status());
  crosswalk::term::ImportReport report;
  Status s = (*store)->Import(args.positional, opts, &report);
  if (drew) std::fprintf(stderr, "\r\033[K");
  if (!s.ok()) return Fail("import", s);
  uint64_t entries = 0;
  for (const auto& item : report.items) {
    std::printf("%s %s|%s: %llu entries%s\n", std::string(ResourceKindName(item.kind)).c_str(), item.url.c_str(),
                item.version.c_str(), static_cast<unsigned long long>(item.entries),
                item.replaced ? " (replaced)" : "");
    entries += item.entries;
  }
  std::printf("imported %zu resources, %llu entries into %s\n", report.items.size(),
              static_cast<unsigned long long>(entries), args.db.c_str());
  return 0;
}

std::unique_ptr<Store> OpenReadOnly(const Args& args, std::string_view sub, int* rc) {
  auto store = Store::Open(args.db);
  if (!store.ok()) {
    *rc = Fail(sub, store.status());
    return nullptr;
  }
  return std::move(*store);
}

int RunLookup(const Args& args) {
  if (int rc = CheckFlags(args, {})) return rc;
  if (args.positional.size() != 2) return Usage("lookup needs SYSTEM CODE");
  int rc = 0;
  auto store = OpenReadOnly(args, "lookup", &rc);
  if (!store) return rc;
  auto r = store->Lookup(args.positional[0], args.positional[1], args.Get("--version"));
  if (!r.ok()) return Fail("lookup", r.status());
  if (!r->has_value()) {
    std::fprintf(stderr, "crosswalk term lookup: code '%s' not found in %s\n", args.positional[1].c_str(),
                 args.positional[0].c_str());
    return 1;
  }
  const auto& c = **r;
  std::printf("system: %.*s\nversion: %s\ncode: %.*s\ndisplay: %.*s\nstatus: %.*s\n",
              static_cast<int>(c.system.size()), c.system.data(), Quote(c.version).c_str(),
              static_cast<int>(c.code.size()), c.code.data(), static_cast<int>(c.display.size()), c.display.data(),
              static_cast<int>(c.status.size()), c.status.data());
  for (const auto& d : c.designations) {
    std::printf("designation: [%.*s] %.*s%s%.*s\n", static_cast<int>(d.language.size()), d.language.data(),
                static_cast<int>(d.value.size()), d.value.data(), d.use_code.empty() ? "" : " use=",
                static_cast<int>(d.use_code.size()), d.use_code.data());
  }
  for (const auto& p : c.properties) {
    std::printf("property: %.*s = %.*s\n", static_cast<int>(p.code.size()), p.code.data(),
                static_cast<int>(p.value.size()), p.value.data());
  }
  return 0;
}

int RunValidate(const Args& args) {
  if (int rc = CheckFlags(args, {})) return rc;
  if (args.positional.size() != 2) return Usage("validate needs SYSTEM CODE");
  int rc = 0;
  auto store = OpenReadOnly(args, "validate", &rc);
  if (!store) return rc;
  std::string vs = args.Get("--valueset");
  auto r = store->Validate(args.positional[0], args.positional[1], vs);
  if (!r.ok()) return Fail("validate", r.status());
  if (*r) {
    std::printf("valid\n");
    return 0;
  }
  std::printf("invalid\n");
  std::fprintf(stderr, "crosswalk term validate: code '%s' of %s is not in %s\n", args.positional[1].c_str(),
               args.positional[0].c_str(), vs.empty() ? "its code system" : vs.c_str());
  return 1;
}

int RunTranslate(const Args& args) {
  if (int rc = CheckFlags(args, {})) return rc;
  if (args.positional.size() != 2) return Usage("translate needs SYSTEM CODE");
  int rc = 0;
  auto store = OpenReadOnly(args, "translate", &rc);
  if (!store) return rc;
  auto r = store->Translate(args.Get("--map"), args.positional[0], args.positional[1], args.Get("--target"));
  if (!r.ok()) return Fail("translate", r.status());
  if (!r->found) {
    std::fprintf(stderr, "crosswalk term translate: no mapping for code '%s' of %s%s%s\n",
                 args.positional[1].c_str(), args.positional[0].c_str(),
                 r->equivalence.empty() ? "" : " (map says ", r->equivalence.empty() ? "" : (std::string(r->equivalence) + ")").c_str());
    return 1;
  }
  const auto& t = *r;
  auto s = [](std::string_view v) { return std::string(v); };
  std::printf("target_system: %s\ntarget_code: %s\ntarget_display: %s\nequivalence: %s\nmap: %s|%s\n",
              s(t.target_system).c_str(), s(t.target_code).c_str(), s(t.target_display).c_str(),
              s(t.equivalence).c_str(), s(t.map_url).c_str(), s(t.map_version).c_str());
  return 0;
}

int RunStats(const Args& args) {
  if (int rc = CheckFlags(args, {"--list"})) return rc;
  if (!args.positional.empty()) return Usage("stats takes no arguments");
  int rc = 0;
  auto store = OpenReadOnly(args, "stats", &rc);
  if (!store) return rc;
  auto st = store->stats();
  std::printf("code systems: %llu (%llu versions, %llu concepts)\n",
              static_cast<unsigned long long>(st.code_systems), static_cast<unsigned long long>(st.code_system_versions),
              static_cast<unsigned long long>(st.concepts));
  std::printf("value sets: %llu (%llu versions)\n", static_cast<unsigned long long>(st.value_sets),
              static_cast<unsigned long long>(st.value_set_versions));
  std::printf("concept maps: %llu (%llu versions, %llu elements)\n",
              static_cast<unsigned long long>(st.concept_maps), static_cast<unsigned long long>(st.concept_map_versions),
              static_cast<unsigned long long>(st.map_elements));
  if (args.Has("--list")) {
    auto list = store->List();
    if (!list.ok()) return Fail("stats", list.status());
    for (const auto& info : *list) {
      std::printf("%s\t%s\t%s\t%llu%s\n", std::string(ResourceKindName(info.kind)).c_str(), info.url.c_str(),
                  info.version.c_str(), static_cast<unsigned long long>(info.entries), info.current ? "\tcurrent" : "");
    }
  }
  return 0;
}

int RunTerm(const std::vector<std::string>& argv) {
  if (argv.empty() || argv[0] == "--help" || argv[0] == "-h") {
    std::fputs(kUsage, argv.empty() ? stderr : stdout);
    return argv.empty() ? 2 : 0;
  }
  const std::string& sub = argv[0];
  Args args;
  std::string error;
  if (!Parse(argv, 1, &args, &error)) return Usage(error);
  if (args.Has("--help") || args.Has("-h")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (args.db.empty()) return Usage(fmt::format("{} needs --db DIR", sub));
  if (sub == "import") return RunImport(args);
  if (sub == "lookup") return RunLookup(args);
  if (sub == "validate") return RunValidate(args);
  if (sub == "translate") return RunTranslate(args);
  if (sub == "stats") return RunStats(args);
  return Usage(fmt::format("unknown subcommand '{}'", sub));
}

}  // namespace

CW_REGISTER_COMMAND(term, "term",
                    "import|lookup|validate|translate|stats --db DIR ...  manage and query a terminology store",
                    RunTerm);
