// `crosswalk term`: import into, and query, a terminology store (see docs/terminology.md).
//
//   crosswalk term import --db DIR [--column CANONICAL=HEADER]... [--header-rows N] [--map-url URL]
//                         [--map-version V] [--keep-current | --make-current] FILE...
//   crosswalk term lookup --db DIR [--version V] [--lang LANG] SYSTEM CODE
//   crosswalk term validate --db DIR SYSTEM CODE [--valueset URL] [--display TEXT]
//   crosswalk term translate --db DIR [--map URL] SYSTEM CODE [--target SYSTEM] [--all] [--reverse]
//                            [--equivalence LIST] [--depends-on PROPERTY=[SYSTEM|]VALUE]...
//                            [--source-version V]
//   crosswalk term expand --db DIR VALUESET [--offset N] [--count N] [--lang LANG] [--active-only]
//                         [--filter TEXT]
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
#include "options.h"
#include "crosswalk/terminology.h"

namespace {

using crosswalk::Status;
using crosswalk::term::ImportOptions;
using crosswalk::term::OpenOptions;
using crosswalk::term::Store;
using crosswalk::cli::UsageError;

int Fail(std::string_view sub, const Status& s) {
  std::fprintf(stderr, "crosswalk term %.*s: %s\n", static_cast<int>(sub.size()), sub.data(), s.ToString().c_str());
  return 1;
}

// What a subcommand was given; each subcommand's parser fills the fields it declares.
struct Args {
  const CLI::App* app = nullptr;  // the subcommand's parser, for usage errors found after parsing
  std::string db;
  std::vector<std::string> files;                           // import
  std::vector<std::string> columns;                         // import --column
  bool keep_current = false, make_current = false;          // import
  ImportOptions import;                                     // import --map-url, --map-version, --header-rows
  std::string system, code, code_b;                         // lookup, validate, translate, subsumes
  std::string version, valueset, display;                   // lookup/subsumes --version; validate
  std::string lang;                                         // lookup --lang
  std::string map, target, equivalence, source_version;     // translate
  std::vector<std::string> depends_on;                      // translate
  bool all = false, reverse = false;                        // translate
  crosswalk::term::ExpandOptions expand;                    // expand --offset, --count
  bool list = false, memory = false, hashes = false;        // stats
  std::vector<std::string> paths;                           // checkpoint [DIR] OUT
};

std::string Quote(std::string_view s) { return s.empty() ? "(none)" : std::string(s); }

int RunImport(const Args& args) {
  ImportOptions opts = args.import;
  for (const auto& column : args.columns) {
    Status s = opts.csv_columns.Set(column);
    if (!s.ok()) return UsageError(*args.app, s.message());
  }
  using Policy = ImportOptions::CurrentPolicy;
  opts.current = args.keep_current   ? Policy::kKeep
                 : args.make_current ? Policy::kImported
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
  Status s = (*store)->Import(args.files, opts, &report);
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
  int rc = 0;
  auto store = OpenReadOnly(args, "lookup", &rc);
  if (!store) return rc;
  auto r = store->Lookup(args.system, args.code, args.version, args.lang);
  if (!r.ok()) return Fail("lookup", r.status());
  if (!r->has_value()) {
    std::fprintf(stderr, "crosswalk term lookup: code '%s' not found in %s\n", args.code.c_str(),
                 args.system.c_str());
    return 1;
  }
  const auto& c = **r;
  std::printf("system: %.*s\nversion: %s\ncode: %.*s\ndisplay: %.*s\nstatus: %.*s\n",
              static_cast<int>(c.system.size()), c.system.data(), Quote(c.version).c_str(),
              static_cast<int>(c.code.size()), c.code.data(), static_cast<int>(c.display.size()), c.display.data(),
              static_cast<int>(c.status.size()), c.status.data());
  if (!c.display_language.empty()) {
    std::printf("display_language: %.*s\n", static_cast<int>(c.display_language.size()), c.display_language.data());
  }
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
  int rc = 0;
  auto store = OpenReadOnly(args, "validate", &rc);
  if (!store) return rc;
  const std::string& vs = args.valueset;
  auto r = store->ValidateCode(args.system, args.code, args.display, vs);
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
  std::fprintf(stderr, "crosswalk term validate: code '%s' of %s: %s%s%s\n", args.code.c_str(),
               args.system.empty() ? "(any system)" : args.system.c_str(), r->message.c_str(),
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
  crosswalk::term::TranslateOptions o;
  o.target_system = args.target;
  o.reverse = args.reverse;
  o.source_version = args.source_version;
  if (!args.equivalence.empty() && !ParseEquivalences(args.equivalence, &o.equivalences)) {
    return UsageError(*args.app, "--equivalence takes a comma-separated list of equal, equivalent, wider, subsumes, narrower, "
                 "specializes, inexact, relatedto, unmapped");
  }
  for (const auto& value : args.depends_on) {
    size_t e = value.find('=');
    if (e == std::string::npos || e == 0) {
      return UsageError(*args.app, "--depends-on takes PROPERTY=[SYSTEM|]VALUE, not '" + value + "'");
    }
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
  auto r = store->TranslateAll(args.map, args.system, args.code, o);
  if (!r.ok()) return Fail("translate", r.status());
  if (r->empty()) {
    // The plain answer names an explicit unmatched/disjoint.
    std::string why;
    if (!o.reverse) {
      auto t = store->Translate(args.map, args.system, args.code, o.target_system);
      if (t.ok() && !t->equivalence.empty()) why = " (map says " + std::string(t->equivalence) + ")";
    }
    std::fprintf(stderr, "crosswalk term translate: no mapping for code '%s' of %s%s\n", args.code.c_str(),
                 args.system.c_str(), why.c_str());
    return 1;
  }
  size_t n = args.all ? r->size() : 1;
  for (size_t i = 0; i < n; ++i) {
    const auto& m = (*r)[i];
    if (i > 0) std::printf("\n");
    std::printf("%s_system: %s\n%s_code: %s\n%s_display: %s\nequivalence: %s\nmap: %s|%s\n",
                o.reverse ? "source" : "target", m.system.c_str(), o.reverse ? "source" : "target", m.code.c_str(),
                o.reverse ? "source" : "target", m.display.c_str(), m.equivalence.c_str(), m.map_url.c_str(),
                m.map_version.c_str());
    if (!m.version.empty()) std::printf("%s_version: %s\n", o.reverse ? "source" : "target", m.version.c_str());
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
  int rc = 0;
  auto store = OpenReadOnly(args, "expand", &rc);
  if (!store) return rc;
  auto r = store->Expand(args.valueset, args.expand);
  if (!r.ok()) return Fail("expand", r.status());
  std::printf("total: %llu\n", static_cast<unsigned long long>(r->total));
  for (const auto& [name, value] : r->parameters) std::printf("parameter: %s=%s\n", name.c_str(), value.c_str());
  for (const auto& item : r->items) {
    std::printf("%s\t%s\t%s\n", item.system.c_str(), item.code.c_str(), item.display.c_str());
  }
  return 0;
}

int RunSubsumes(const Args& args) {
  int rc = 0;
  auto store = OpenReadOnly(args, "subsumes", &rc);
  if (!store) return rc;
  auto r = store->Subsumes(args.system, args.code, args.code_b, args.version);
  if (!r.ok()) return Fail("subsumes", r.status());
  std::printf("%s\n", std::string(crosswalk::term::SubsumptionName(*r)).c_str());
  return 0;
}

int RunStats(const Args& args) {
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
  if (args.memory) {  // varies with what RocksDB has loaded, so not part of the default output
    std::printf("memory: store %llu bytes (index, filters, block cache), cache %llu bytes in %llu answers\n",
                static_cast<unsigned long long>(st.store_memory_bytes),
                static_cast<unsigned long long>(st.cache_bytes), static_cast<unsigned long long>(st.cache_entries));
  }
  if (args.list) {
    auto list = store->List();
    if (!list.ok()) return Fail("stats", list.status());
    for (const auto& info : *list) {
      std::string hash;
      if (args.hashes) {
        hash = info.has_content_hash ? fmt::format("\thash={:016x}", info.content_hash) : "\thash=none";
      }
      std::printf("%s\t%s\t%s\t%llu%s%s\n", std::string(ResourceKindName(info.kind)).c_str(), info.url.c_str(),
                  info.version.c_str(), static_cast<unsigned long long>(info.entries), info.current ? "\tcurrent" : "",
                  hash.c_str());
    }
  }
  return 0;
}

// checkpoint DIR OUT, or --db DIR OUT.
int RunCheckpoint(Args args) {
  size_t want = args.db.empty() ? 2 : 1;
  if (args.paths.size() != want) {
    return UsageError(*args.app, args.db.empty() ? "expected DIR OUT" : "expected OUT (with --db DIR)");
  }
  if (args.db.empty()) args.db = args.paths[0];
  const std::string& out = args.paths.back();
  int rc = 0;
  auto store = OpenReadOnly(args, "checkpoint", &rc);
  if (!store) return rc;
  Status s = store->Checkpoint(out);
  if (!s.ok()) return Fail("checkpoint", s);
  std::printf("checkpoint: %s\n", out.c_str());
  return 0;
}

// What `term import` reads (both help texts).
constexpr const char* kImportFiles =
    "FILE: FHIR R4 JSON (CodeSystem, ValueSet, ConceptMap, or a Bundle of them), NDJSON (.ndjson), a CSV\n"
    "crosswalk table (.csv) with columns source_system,source_code,target_system,target_code[,target_display,\n"
    "equivalence,map_url,map_version,source_display] (--column renames, e.g. --column source_code=LocalCode),\n"
    "or a release file recognised by its name: LOINC Loinc.csv (+ ComponentHierarchyBySystem.csv,\n"
    "LoincPartLink_*.csv), SNOMED CT RF2 snapshot sct2_Concept/Description/Relationship_Snapshot_*.txt,\n"
    "ICD-10-CM icd10cm_order_*.txt (docs/terminology.md).\n";

int RunTerm(const std::vector<std::string>& argv) {
  namespace cli = crosswalk::cli;
  Args args;
  auto app = cli::MakeApp(
      "crosswalk term", "SUBCOMMAND --db DIR ...", "",
      std::string("SYSTEM may be empty (\"\") for validate --valueset: any system of the value set.\n") +
          kImportFiles);
  app->require_subcommand(1);
  auto db = [&](CLI::App* sub) {
    sub->add_option("--db", args.db, "the terminology store (a RocksDB folder)")->required()->type_name("DIR");
  };

  CLI::App* import = cli::AddSubcommand(
      *app, "import",
      "--db DIR [--column CANONICAL=HEADER]... [--header-rows N] [--map-url URL]\n"
      "[--map-version V] [--keep-current | --make-current] FILE...",
      "Imports FHIR R4 CodeSystem, ValueSet and ConceptMap resources and CSV crosswalk tables into the store\n"
      "(created when missing); an import that fails leaves the store as it was.",
      kImportFiles);
  db(import);
  import->add_option("--column", args.columns, "read the canonical CSV column CANONICAL from the column HEADER (repeatable)")
      ->type_name("CANONICAL=HEADER")
      ->allow_extra_args(false);
  import->add_option("--header-rows", args.import.csv_header_rows, "header rows of a CSV table; the last names the columns (default 1)")
      ->type_name("N")
      ->check(cli::Number(1, 8));
  import->add_option("--map-url", args.import.csv_map_url, "the ConceptMap URL of CSV rows that have no map_url column")
      ->type_name("URL");
  import->add_option("--map-version", args.import.csv_map_version, "its version")->type_name("V");
  auto* keep = import->add_flag("--keep-current", args.keep_current,
                                "keep the current version of a URL that had one before the import");
  auto* make = import->add_flag("--make-current", args.make_current,
                                "make each imported version current, even if lower (default: the highest)");
  keep->excludes(make);
  import->add_option("FILE", args.files, "")->required()->type_name("FILE...");

  CLI::App* lookup = cli::AddSubcommand(*app, "lookup", "--db DIR [--version V] [--lang LANG] SYSTEM CODE",
                                        "Prints a code's display, status, designations and properties.");
  db(lookup);
  lookup->add_option("--version", args.version, "the code system's version (default: the current one)")
      ->type_name("V");
  lookup->add_option("--lang", args.lang,
                     "display in this language ($lookup displayLanguage: a BCP-47 tag or a comma-separated "
                     "preference list; the concept's own display when no designation matches)")
      ->type_name("LANG");
  lookup->add_option("SYSTEM", args.system, "")->required();
  lookup->add_option("CODE", args.code, "")->required();

  CLI::App* validate = cli::AddSubcommand(
      *app, "validate", "--db DIR SYSTEM CODE [--valueset URL[|VERSION]] [--display TEXT]",
      "Says whether a code is valid in its code system, or a member of a value set (exit 1 when not).",
      "SYSTEM may be empty (\"\") with --valueset: any system of the value set.\n");
  db(validate);
  validate->add_option("--valueset", args.valueset, "validate membership of this value set")
      ->type_name("URL[|VERSION]");
  validate->add_option("--display", args.display, "also check that the code's display is this text")
      ->type_name("TEXT");
  validate->add_option("SYSTEM", args.system, "")->required();
  validate->add_option("CODE", args.code, "")->required();

  CLI::App* translate = cli::AddSubcommand(
      *app, "translate",
      "--db DIR [--map URL[|VERSION]] SYSTEM CODE [--target SYSTEM] [--all] [--reverse]\n"
      "[--equivalence LIST] [--depends-on PROPERTY=[SYSTEM|]VALUE]... [--source-version V]",
      "Translates a code through the store's concept maps (exit 1 when there is no mapping).");
  db(translate);
  translate->add_option("--map", args.map, "only this concept map (default: every map from SYSTEM)")
      ->type_name("URL[|VERSION]");
  translate->add_option("--target", args.target, "only mappings to this code system")->type_name("SYSTEM");
  translate->add_flag("--all", args.all, "print every mapping, not only the best one");
  translate->add_flag("--reverse", args.reverse, "translate from the maps' targets to their sources");
  translate->add_option("--source-version", args.source_version,
                        "the version of SYSTEM the code comes from: groups whose sourceVersion differs do not answer")
      ->type_name("V");
  translate->add_option("--equivalence", args.equivalence,
                        "only mappings of these equivalences, comma-separated: equal, equivalent, wider,\n"
                        "subsumes, narrower, specializes, inexact, relatedto, unmapped")
      ->type_name("LIST");
  translate->add_option("--depends-on", args.depends_on,
                        "a dependsOn value the mapping may require (repeatable)")
      ->type_name("PROPERTY=[SYSTEM|]VALUE")
      ->allow_extra_args(false);
  translate->add_option("SYSTEM", args.system, "")->required();
  translate->add_option("CODE", args.code, "")->required();

  CLI::App* expand = cli::AddSubcommand(*app, "expand",
                                        "--db DIR VALUESET[|VERSION] [--offset N] [--count N] [--lang LANG] "
                                        "[--active-only] [--filter TEXT]",
                                        "Prints the members of a value set, one per line (system, code, display).");
  db(expand);
  expand->add_option("--offset", args.expand.offset, "members to skip (default 0)")
      ->type_name("N")
      ->check(cli::Number(0, UINT64_MAX));
  expand->add_option("--count", args.expand.count, "most members printed (default 1000)")
      ->type_name("N")
      ->check(cli::Number(0, UINT64_MAX));
  expand->add_option("--lang", args.expand.display_language,
                     "displays in this language ($expand displayLanguage; a tag or a preference list)")
      ->type_name("LANG");
  expand->add_flag("--active-only", args.expand.active_only, "leave out inactive concepts ($expand activeOnly)");
  expand->add_option("--filter", args.expand.filter,
                     "only members whose code or display contains every word of TEXT, ignoring case")
      ->type_name("TEXT");
  expand->add_option("VALUESET", args.valueset, "")->required()->type_name("VALUESET[|VERSION]");

  CLI::App* subsumes = cli::AddSubcommand(*app, "subsumes", "--db DIR [--version V] SYSTEM CODE_A CODE_B",
                                          "Prints how CODE_A relates to CODE_B in the code system's hierarchy.");
  db(subsumes);
  subsumes->add_option("--version", args.version, "the code system's version (default: the current one)")
      ->type_name("V");
  subsumes->add_option("SYSTEM", args.system, "")->required();
  subsumes->add_option("CODE_A", args.code, "")->required();
  subsumes->add_option("CODE_B", args.code_b, "")->required();

  CLI::App* stats = cli::AddSubcommand(*app, "stats", "--db DIR [--list] [--memory]",
                                       "Prints what the store holds.");
  db(stats);
  stats->add_flag("--list", args.list, "also list every resource: kind, URL, version, entries, current");
  stats->add_flag("--memory", args.memory, "also print the memory the store and its cache use");
  stats->add_flag("--hashes", args.hashes, "with --list: end each line with the version's content hash");

  CLI::App* checkpoint = cli::AddSubcommand(
      *app, "checkpoint", "[--db] DIR OUT",
      "Writes a consistent copy of the store into the new directory OUT (RocksDB Checkpoint: files are\n"
      "hard-linked on the same file system). Safe while `term import` writes DIR from another process.");
  checkpoint->add_option("--db", args.db, "the terminology store (or give it as DIR)")->type_name("DIR");
  checkpoint->add_option("PATH", args.paths, "")->required()->type_name("[DIR] OUT");

  if (int rc = cli::Parse(*app, argv); rc != cli::kParsed) return rc;
  const CLI::App* sub = app->get_subcommands().front();
  args.app = sub;
  if (sub == import) return RunImport(args);
  if (sub == lookup) return RunLookup(args);
  if (sub == validate) return RunValidate(args);
  if (sub == translate) return RunTranslate(args);
  if (sub == expand) return RunExpand(args);
  if (sub == subsumes) return RunSubsumes(args);
  if (sub == checkpoint) return RunCheckpoint(args);
  return RunStats(args);
}

}  // namespace

CW_REGISTER_COMMAND(term, "term",
                    "import|lookup|validate|translate|expand|subsumes|stats|checkpoint --db DIR ...  manage and query a "
                    "terminology store",
                    RunTerm);
