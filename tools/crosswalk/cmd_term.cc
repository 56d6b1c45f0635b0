// `crosswalk term`: import into, and query, a terminology store (see docs/terminology.md).
//
//   crosswalk term import --db DIR [--column CANONICAL=HEADER]... [--header-rows N] [--map-url URL]
//                         [--map-version V] [--keep-current | --make-current] FILE...
//   crosswalk term lookup --db DIR [--version V] SYSTEM CODE
//   crosswalk term validate --db DIR SYSTEM CODE [--valueset URL] [--display TEXT]
//   crosswalk term translate --db DIR [--map URL] SYSTEM CODE [--target SYSTEM] [--all] [--reverse]
//                            [--equivalence LIST] [--depends-on PROPERTY=[SYSTEM|]VALUE]...
//   crosswalk term expand --db DIR VALUESET [--offset N] [--count N]
//   crosswalk term subsumes --db DIR SYSTEM CODE_A CODE_B
//   crosswalk term stats --db DIR [--list] [--memory]
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
    "  crosswalk term import --db DIR [--column CANONICAL=HEADER]... [--header-rows N] [--map-url URL]\n"
    "                        [--map-version V] [--keep-current | --make-current] FILE...\n"
    "  crosswalk term lookup --db DIR [--version V] SYSTEM CODE\n"
    "  crosswalk term validate --db DIR SYSTEM CODE [--valueset URL[|VERSION]] [--display TEXT]\n"
    "  crosswalk term translate --db DIR [--map URL[|VERSION]] SYSTEM CODE [--target SYSTEM] [--all] [--reverse]\n"
    "                           [--equivalence LIST] [--depends-on PROPERTY=[SYSTEM|]VALUE]...\n"
    "  crosswalk term expand --db DIR VALUESET[|VERSION] [--offset N] [--count N]\n"
    "  crosswalk term subsumes --db DIR SYSTEM CODE_A CODE_B\n"
    "  crosswalk term stats --db DIR [--list] [--memory]\n"
    "SYSTEM may be empty (\"\") for validate --valueset: any system of the value set.\n"
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
                             "--target", "--header-rows", "--display", "--equivalence", "--depends-on", "--offset",
                             "--count"}) {
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

// A decimal count (no sign, at most 18 digits).
bool ParseCount(const std::string& text, uint64_t* out) {
  if (text.empty() || text.size() > 18) return false;
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = v;
  return true;
}

int RunImport(const Args& args) {
  if (int rc = CheckFlags(args, {"--keep-current", "--make-current"})) return rc;
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
    } else if (name == "--header-rows") {
      uint64_t n = 0;
      if (!ParseCount(value, &n) || n < 1 || n > 8) return Usage("--header-rows takes a number from 1 to 8");
      opts.csv_header_rows = static_cast<size_t>(n);
    } else {
      return Usage(fmt::format("option '{}' does not apply to import", name));
    }
  }
  if (args.Has("--keep-current") && args.Has("--make-current")) {
    return Usage("--keep-current and --make-current exclude each other");
  }
  using Policy = ImportOptions::CurrentPolicy;
  opts.current = args.Has("--keep-current")   ? Policy::kKeep
                 : args.Has("--make-current") ? Policy::kImported
                                              : Policy::kHighestVersion;
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
  auto r = store->ValidateCode(args.positional[0], args.positional[1], args.Get("--display"), vs);
  if (!r.ok()) return Fail("validate", r.status());
  if (r->valid) {
    std::printf("valid\n");
    if (!r->display.empty()) std::printf("display: %s\n", r->display.c_str());
    if (r->inactive) std::printf("inactive: true\n");
    if (!r->message.empty()) std::fprintf(stderr, "crosswalk term validate: warning: %s\n", r->message.c_str());
    return 0;
  }
  std::printf("invalid\n");
  if (!r->display.empty()) std::printf("display: %s\n", r->display.c_str());
  std::fprintf(stderr, "crosswalk term validate: code '%s' of %s: %s%s%s\n", args.positional[1].c_str(),
               args.positional[0].empty() ? "(any system)" : args.positional[0].c_str(), r->message.c_str(),
               vs.empty() ? "" : " ", vs.c_str());
  return 1;
}

// "equal,equivalent,wider" -> bits.
bool ParseEquivalences(const std::string& list, uint32_t* bits) {
  *bits = 0;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) comma = list.size();
    std::string item = list.substr(start, comma - start);
    uint32_t bit = item == "unmapped" ? crosswalk::term::kEquivalenceUnmapped : crosswalk::term::EquivalenceBit(item);
    if (bit == 0) return false;
    *bits |= bit;
    start = comma + 1;
  }
  return *bits != 0;
}

int RunTranslate(const Args& args) {
  if (int rc = CheckFlags(args, {"--all", "--reverse"})) return rc;
  if (args.positional.size() != 2) return Usage("translate needs SYSTEM CODE");
  crosswalk::term::TranslateOptions o;
  o.target_system = args.Get("--target");
  o.reverse = args.Has("--reverse");
  std::string eq = args.Get("--equivalence");
  if (!eq.empty() && !ParseEquivalences(eq, &o.equivalences)) {
    return Usage("--equivalence takes a comma-separated list of equal, equivalent, wider, subsumes, narrower, "
                 "specializes, inexact, relatedto, unmapped");
  }
  for (const auto& [name, value] : args.options) {
    if (name != "--depends-on") continue;
    size_t e = value.find('=');
    if (e == std::string::npos || e == 0) return Usage("--depends-on takes PROPERTY=[SYSTEM|]VALUE");
    crosswalk::term::DependsOnValue d;
    d.property = value.substr(0, e);
    std::string rest = value.substr(e + 1);
    size_t bar = rest.rfind('|');
    if (bar != std::string::npos) {
      d.system = rest.substr(0, bar);
      rest = rest.substr(bar + 1);
    }
    d.value = rest;
    o.depends_on.push_back(std::move(d));
  }
  int rc = 0;
  auto store = OpenReadOnly(args, "translate", &rc);
  if (!store) return rc;
  auto r = store->TranslateAll(args.Get("--map"), args.positional[0], args.positional[1], o);
  if (!r.ok()) return Fail("translate", r.status());
  if (r->empty()) {
    // The plain answer names an explicit unmatched/disjoint.
    std::string why;
    if (!o.reverse) {
      auto t = store->Translate(args.Get("--map"), args.positional[0], args.positional[1], o.target_system);
      if (t.ok() && !t->equivalence.empty()) why = " (map says " + std::string(t->equivalence) + ")";
    }
    std::fprintf(stderr, "crosswalk term translate: no mapping for code '%s' of %s%s\n", args.positional[1].c_str(),
                 args.positional[0].c_str(), why.c_str());
    return 1;
  }
  size_t n = args.Has("--all") ? r->size() : 1;
  for (size_t i = 0; i < n; ++i) {
    const auto& m = (*r)[i];
    if (i > 0) std::printf("\n");
    std::printf("%s_system: %s\n%s_code: %s\n%s_display: %s\nequivalence: %s\nmap: %s|%s\n",
                o.reverse ? "source" : "target", m.system.c_str(), o.reverse ? "source" : "target", m.code.c_str(),
                o.reverse ? "source" : "target", m.display.c_str(), m.equivalence.c_str(), m.map_url.c_str(),
                m.map_version.c_str());
    for (const auto& d : m.depends_on) {
      std::printf("depends_on: %s = %s%s%s\n", d.property.c_str(), d.system.c_str(), d.system.empty() ? "" : "|",
                  d.value.c_str());
    }
    for (const auto& p : m.product) {
      std::printf("product: %s = %s%s%s\n", p.property.c_str(), p.system.c_str(), p.system.empty() ? "" : "|",
                  p.value.c_str());
    }
  }
  return 0;
}

int RunExpand(const Args& args) {
  if (int rc = CheckFlags(args, {})) return rc;
  if (args.positional.size() != 1) return Usage("expand needs VALUESET");
  crosswalk::term::ExpandOptions o;
  std::string offset = args.Get("--offset"), count = args.Get("--count");
  if (!offset.empty() && !ParseCount(offset, &o.offset)) return Usage("--offset takes a number");
  if (!count.empty() && !ParseCount(count, &o.count)) return Usage("--count takes a number");
  int rc = 0;
  auto store = OpenReadOnly(args, "expand", &rc);
  if (!store) return rc;
  auto r = store->Expand(args.positional[0], o);
  if (!r.ok()) return Fail("expand", r.status());
  std::printf("total: %llu\n", static_cast<unsigned long long>(r->total));
  for (const auto& item : r->items) {
    std::printf("%s\t%s\t%s\n", item.system.c_str(), item.code.c_str(), item.display.c_str());
  }
  return 0;
}

int RunSubsumes(const Args& args) {
  if (int rc = CheckFlags(args, {})) return rc;
  if (args.positional.size() != 3) return Usage("subsumes needs SYSTEM CODE_A CODE_B");
  int rc = 0;
  auto store = OpenReadOnly(args, "subsumes", &rc);
  if (!store) return rc;
  auto r = store->Subsumes(args.positional[0], args.positional[1], args.positional[2], args.Get("--version"));
  if (!r.ok()) return Fail("subsumes", r.status());
  std::printf("%s\n", std::string(crosswalk::term::SubsumptionName(*r)).c_str());
  return 0;
}

int RunStats(const Args& args) {
  if (int rc = CheckFlags(args, {"--list", "--memory"})) return rc;
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
  if (args.Has("--memory")) {  // varies with what RocksDB has loaded, so not part of the default output
    std::printf("memory: store %llu bytes (index, filters, block cache), cache %llu bytes in %llu answers\n",
                static_cast<unsigned long long>(st.store_memory_bytes),
                static_cast<unsigned long long>(st.cache_bytes), static_cast<unsigned long long>(st.cache_entries));
  }
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
  if (sub == "expand") return RunExpand(args);
  if (sub == "subsumes") return RunSubsumes(args);
  return Usage(fmt::format("unknown subcommand '{}'", sub));
}

}  // namespace

CW_REGISTER_COMMAND(term, "term",
                    "import|lookup|validate|translate|expand|subsumes|stats --db DIR ...  manage and query a terminology store",
                    RunTerm);
