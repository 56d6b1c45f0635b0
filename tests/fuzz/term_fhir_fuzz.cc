// libFuzzer target for the FHIR terminology importer's parse layer (runtime/src/term/fhir_parse.cc,
// ParseFhirJsonText): CodeSystem, ValueSet, ConceptMap and Bundles of them, as one JSON document and as
// NDJSON lines (container resources only, as ParseFile reads .ndjson files).
//
//   cmake --preset fuzz && cmake --build build-fuzz --target crosswalk_term_fhir_fuzz
//   build-fuzz/tests/fuzz/crosswalk_term_fhir_fuzz build-fuzz/tests/fuzz/seeds/fhir-term
//
// Invariants: no crash and no exception; every parsed resource has a URL; its header round-trips through
// the store's value codec and its records encode.
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

void CheckResources(const std::vector<Resource>& out) {
  for (const Resource& r : out) {
    Check(!r.url.empty(), "a parsed terminology resource has no URL");
    Header h;
    h.name = r.name;
    h.title = r.title;
    h.entries = r.entries();
    h.flags = (r.has_expansion ? kHeaderHasExpansion : 0) | (r.case_sensitive ? 0 : kHeaderCaseInsensitive);
    h.content = r.content;
    Header back;
    Check(DecodeHeader(EncodeHeader(h), &back), "a resource header does not decode");
    Check(back.name == h.name && back.title == h.title && back.entries == h.entries && back.flags == h.flags &&
              back.content == h.content,
          "a resource header changed in the codec round trip");
    (void)HeaderKey(r.kind, r.url, r.version);
    for (const ConceptRec& c : r.concepts) {
      (void)ConceptKey(r.url, r.version, c.code);
      (void)EncodeConcept(c);
      (void)EncodeParents(c.parents);
    }
    std::vector<VsComponent> inc, exc;
    Check(DecodeCompose(EncodeCompose(r.includes, r.excludes), &inc, &exc) && inc.size() == r.includes.size() &&
              exc.size() == r.excludes.size(),
          "a value set compose changed in the codec round trip");
    for (const MapElementRec& e : r.elements) (void)EncodeTargets(e.targets);
    std::vector<MapGroupRec> groups;
    Check(DecodeGroups(EncodeGroups(r.groups), &groups) && groups.size() == r.groups.size(),
          "map groups changed in the codec round trip");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > crosswalk::fuzz::kMaxInputBytes) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<Resource> out;
  if (ParseFhirJsonText(text, "fuzz.json", 0, false, &out).ok()) CheckResources(out);

  // The same bytes as NDJSON: one resource per non-blank line.
  out.clear();
  uint64_t line = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view l = text.substr(pos, nl - pos);
    ++line;
    pos = nl + 1;
    if (l.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    if (!ParseFhirJsonText(l, "fuzz.ndjson", line, true, &out).ok()) break;
  }
  CheckResources(out);
  return 0;
}
