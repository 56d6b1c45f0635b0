// libFuzzer target for the CSV crosswalk-table importer's parse layer (runtime/src/term/csv_parse.cc,
// ParseCsvText): the step that turns a file into ConceptMap resources before anything reaches RocksDB.
//
//   cmake --preset fuzz && cmake --build build-fuzz --target crosswalk_term_csv_fuzz
//   build-fuzz/tests/fuzz/crosswalk_term_csv_fuzz build-fuzz/tests/fuzz/seeds/csv
//
// Invariants: no crash; a parsed table yields ConceptMaps whose elements have a source system and code and
// whose records encode (the values the importer would write).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_common.h"
#include "term/model.h"

namespace {

using crosswalk::fuzz::Check;
using namespace crosswalk::term;  // NOLINT: a fuzz target, not a header

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > crosswalk::fuzz::kMaxInputBytes) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  ImportOptions options;
  std::vector<Resource> out;
  if (!ParseCsvText(text, "fuzz/Local Codes.csv", options, &out).ok()) return 0;
  for (const Resource& r : out) {
    Check(r.kind == ResourceKind::kConceptMap, "a CSV table produced a resource that is not a map");
    Check(!r.url.empty(), "a CSV map has no URL");
    for (const MapElementRec& e : r.elements) {
      Check(!e.source_system.empty() && !e.code.empty(), "a CSV map element has no source system or code");
      (void)MapKey(r.url, r.version, e.source_system, e.code);
      (void)EncodeTargets(e.targets);
    }
    for (const MapElementRec& e : r.elements) {
      for (const MapTargetRec& t : e.targets) Check(t.group < r.groups.size(), "a CSV map target has no group");
    }
    (void)EncodeGroups(r.groups);
  }
  return 0;
}
