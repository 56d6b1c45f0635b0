// Key builders and the value codec of the terminology store (layout in model.h and docs/terminology.md).
#include <string>
#include <string_view>
#include <vector>

#include "term/model.h"

namespace crosswalk::term {

char KindByte(ResourceKind kind) {
  switch (kind) {
    case ResourceKind::kCodeSystem: return 'C';
    case ResourceKind::kValueSet: return 'V';
    case ResourceKind::kConceptMap: return 'M';
  }
  return '?';
}

std::string_view ResourceKindName(ResourceKind kind) noexcept {
  switch (kind) {
    case ResourceKind::kCodeSystem: return "CodeSystem";
    case ResourceKind::kValueSet: return "ValueSet";
    case ResourceKind::kConceptMap: return "ConceptMap";
  }
  return "?";
}

void Encoder::Str(std::string_view s) {
  U64(s.size());
  out_.append(s);
}

void Encoder::U64(uint64_t v) {
  while (v >= 0x80) {
    out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out_.push_back(static_cast<char>(v));
}

bool Decoder::U64(uint64_t* v) {
  uint64_t r = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (in_.empty()) return false;
    auto b = static_cast<uint8_t>(in_.front());
    in_.remove_prefix(1);
    r |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *v = r;
      return true;
    }
  }
  return false;
}

bool Decoder::Str(std::string_view* s) {
  uint64_t n;
  if (!U64(&n) || n > in_.size()) return false;
  *s = in_.substr(0, n);
  in_.remove_prefix(n);
  return true;
}

std::string EncodeHeader(const Header& h) {
  Encoder e;
  e.Str(h.name);
  e.Str(h.title);
  e.U64(h.entries);
  e.U64(h.flags);
  e.Str(h.content);
  // Appended fields (older stores end before them): written only when there is one, so headers without
  // them stay byte-identical (and so do their content hashes).
  if (!h.version_algorithm.empty() || !h.supplements.empty()) e.Str(h.version_algorithm);
  if (!h.supplements.empty()) e.Str(h.supplements);
  return std::move(e.out());
}

bool DecodeHeader(std::string_view v, Header* h) {
  Decoder d(v);
  std::string_view name, title, content;
  if (!d.Str(&name) || !d.Str(&title) || !d.U64(&h->entries) || !d.U64(&h->flags) || !d.Str(&content)) {
    return false;
  }
  h->name = name;
  h->title = title;
  h->content = content;
  h->version_algorithm.clear();
  h->supplements.clear();
  if (!d.done()) {
    std::string_view algorithm;
    if (!d.Str(&algorithm)) return false;
    h->version_algorithm = algorithm;
  }
  if (!d.done()) {
    std::string_view supplements;
    if (!d.Str(&supplements) || !d.done()) return false;
    h->supplements = supplements;
  }
  return true;
}

std::string EncodeConcept(const ConceptRec& c) {
  Encoder e;
  e.Str(c.code);
  e.Str(c.display);
  e.Str(c.status);
  e.U64(c.designations.size());
  for (const auto& d : c.designations) {
    e.Str(d.language);
    e.Str(d.use_system);
    e.Str(d.use_code);
    e.Str(d.value);
  }
  e.U64(c.properties.size());
  for (const auto& p : c.properties) {
    e.Str(p.code);
    e.Str(p.type);
    e.Str(p.value);
  }
  return std::move(e.out());
}

std::string EncodeParents(const std::vector<std::string>& parents) {
  Encoder e;
  e.U64(parents.size());
  for (const auto& p : parents) e.Str(p);
  return std::move(e.out());
}

namespace {

void EncodeAttrs(Encoder* e, const std::vector<MapAttrRec>& attrs) {
  e->U64(attrs.size());
  for (const auto& a : attrs) {
    e->Str(a.property);
    e->Str(a.system);
    e->Str(a.value);
    e->Str(a.display);
  }
}

void EncodeComponents(Encoder* e, const std::vector<VsComponent>& list) {
  e->U64(list.size());
  for (const auto& c : list) {
    e->Str(c.system);
    e->Str(c.version);
    e->U64(c.concepts.size());
    for (const auto& r : c.concepts) {
      e->Str(r.code);
      e->Str(r.display);
    }
    e->U64(c.filters.size());
    for (const auto& f : c.filters) {
      e->Str(f.property);
      e->Str(f.op);
      e->Str(f.value);
    }
    e->U64(c.valuesets.size());
    for (const auto& v : c.valuesets) e->Str(v);
  }
}

bool DecodeStr(Decoder* d, std::string* out) {
  std::string_view v;
  if (!d->Str(&v)) return false;
  out->assign(v);
  return true;
}

// Counts read from the store are bounded by the bytes left, so a damaged record cannot make a reserve huge.
bool DecodeComponents(Decoder* d, std::vector<VsComponent>* list) {
  uint64_t n;
  if (!d->U64(&n)) return false;
  for (uint64_t i = 0; i < n; ++i) {
    VsComponent c;
    uint64_t k;
    if (!DecodeStr(d, &c.system) || !DecodeStr(d, &c.version) || !d->U64(&k)) return false;
    for (uint64_t j = 0; j < k; ++j) {
      VsConceptRef r;
      if (!DecodeStr(d, &r.code) || !DecodeStr(d, &r.display)) return false;
      c.concepts.push_back(std::move(r));
    }
    if (!d->U64(&k)) return false;
    for (uint64_t j = 0; j < k; ++j) {
      VsFilter f;
      if (!DecodeStr(d, &f.property) || !DecodeStr(d, &f.op) || !DecodeStr(d, &f.value)) return false;
      c.filters.push_back(std::move(f));
    }
    if (!d->U64(&k)) return false;
    for (uint64_t j = 0; j < k; ++j) {
      std::string v;
      if (!DecodeStr(d, &v)) return false;
      c.valuesets.push_back(std::move(v));
    }
    list->push_back(std::move(c));
  }
  return true;
}

}  // namespace

std::string EncodeTargets(const std::vector<MapTargetRec>& targets) {
  Encoder e;
  e.U64(targets.size());
  for (const auto& t : targets) {
    e.U64(t.group);
    e.Str(t.system);
    e.Str(t.code);
    e.Str(t.display);
    e.Str(t.equivalence);
    EncodeAttrs(&e, t.depends_on);
    EncodeAttrs(&e, t.product);
  }
  return std::move(e.out());
}

std::string EncodeGroups(const std::vector<MapGroupRec>& groups) {
  Encoder e;
  e.U64(groups.size());
  for (const auto& g : groups) {
    for (const std::string* s : {&g.source, &g.source_version, &g.target, &g.target_version, &g.unmapped_mode,
                                 &g.unmapped_code, &g.unmapped_display, &g.unmapped_url}) {
      e.Str(*s);
    }
  }
  return std::move(e.out());
}

bool DecodeGroups(std::string_view v, std::vector<MapGroupRec>* groups) {
  Decoder d(v);
  uint64_t n;
  if (!d.U64(&n)) return false;
  for (uint64_t i = 0; i < n; ++i) {
    MapGroupRec g;
    for (std::string* s : {&g.source, &g.source_version, &g.target, &g.target_version, &g.unmapped_mode,
                           &g.unmapped_code, &g.unmapped_display, &g.unmapped_url}) {
      if (!DecodeStr(&d, s)) return false;
    }
    groups->push_back(std::move(g));
  }
  return true;
}

std::string EncodeCompose(const std::vector<VsComponent>& includes, const std::vector<VsComponent>& excludes) {
  Encoder e;
  EncodeComponents(&e, includes);
  EncodeComponents(&e, excludes);
  return std::move(e.out());
}

bool DecodeCompose(std::string_view v, std::vector<VsComponent>* includes, std::vector<VsComponent>* excludes) {
  Decoder d(v);
  return DecodeComponents(&d, includes) && DecodeComponents(&d, excludes);
}

std::string FoldCase(std::string_view code) {
  std::string out(code);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

int CompareVersions(std::string_view a, std::string_view b) noexcept {
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    bool da = is_digit(a[i]), db = is_digit(b[j]);
    if (da && db) {
      size_t ei = i, ej = j;
      while (ei < a.size() && is_digit(a[ei])) ++ei;
      while (ej < b.size() && is_digit(b[ej])) ++ej;
      std::string_view na = a.substr(i, ei - i), nb = b.substr(j, ej - j);
      while (na.size() > 1 && na.front() == '0') na.remove_prefix(1);
      while (nb.size() > 1 && nb.front() == '0') nb.remove_prefix(1);
      if (na.size() != nb.size()) return na.size() < nb.size() ? -1 : 1;
      if (int c = na.compare(nb); c != 0) return c < 0 ? -1 : 1;
      i = ei;
      j = ej;
      continue;
    }
    if (da != db) return da ? 1 : -1;  // a number sorts after text at the same place ("1.a" < "1.0")
    size_t ei = i, ej = j;
    while (ei < a.size() && !is_digit(a[ei])) ++ei;
    while (ej < b.size() && !is_digit(b[ej])) ++ej;
    if (int c = a.substr(i, ei - i).compare(b.substr(j, ej - j)); c != 0) return c < 0 ? -1 : 1;
    i = ei;
    j = ej;
  }
  if (i < a.size()) return 1;
  if (j < b.size()) return -1;
  return 0;
}

namespace {

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Two digit strings as numbers (leading zeros ignored).
int CompareNumbers(std::string_view a, std::string_view b) {
  while (a.size() > 1 && a.front() == '0') a.remove_prefix(1);
  while (b.size() > 1 && b.front() == '0') b.remove_prefix(1);
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  int c = a.compare(b);
  return c < 0 ? -1 : c > 0 ? 1 : 0;
}

struct SemVer {
  std::string_view core[3];
  std::vector<std::string_view> pre;  // dot-separated pre-release identifiers
};

// MAJOR.MINOR.PATCH[-PRE][+BUILD] (semver.org 2.0.0); the build metadata is ignored.
bool ParseSemVer(std::string_view v, SemVer* out) {
  size_t plus = v.find('+');
  if (plus != std::string_view::npos) v = v.substr(0, plus);
  size_t dash = v.find('-');
  std::string_view core = v.substr(0, dash);
  for (int i = 0; i < 3; ++i) {
    size_t dot = core.find('.');
    if ((i < 2) != (dot != std::string_view::npos)) return false;
    out->core[i] = core.substr(0, dot);
    if (!AllDigits(out->core[i])) return false;
    core = i < 2 ? core.substr(dot + 1) : std::string_view();
  }
  if (dash != std::string_view::npos) {
    std::string_view pre = v.substr(dash + 1);
    while (true) {
      size_t dot = pre.find('.');
      std::string_view id = pre.substr(0, dot);
      if (id.empty()) return false;
      out->pre.push_back(id);
      if (dot == std::string_view::npos) break;
      pre = pre.substr(dot + 1);
    }
  }
  return true;
}

int CompareSemVer(const SemVer& a, const SemVer& b) {
  for (int i = 0; i < 3; ++i) {
    if (int c = CompareNumbers(a.core[i], b.core[i]); c != 0) return c;
  }
  if (a.pre.empty() != b.pre.empty()) return a.pre.empty() ? 1 : -1;  // 1.0.0-rc.1 < 1.0.0
  for (size_t i = 0; i < a.pre.size() && i < b.pre.size(); ++i) {
    bool na = AllDigits(a.pre[i]), nb = AllDigits(b.pre[i]);
    int c = na && nb ? CompareNumbers(a.pre[i], b.pre[i]) : na != nb ? (na ? -1 : 1) : a.pre[i].compare(b.pre[i]);
    if (c != 0) return c < 0 ? -1 : 1;
  }
  if (a.pre.size() != b.pre.size()) return a.pre.size() < b.pre.size() ? -1 : 1;
  return 0;
}

}  // namespace

int CompareVersionsBy(std::string_view algorithm, std::string_view a, std::string_view b) noexcept {
  if (algorithm == "semver") {
    SemVer sa, sb;
    if (ParseSemVer(a, &sa) && ParseSemVer(b, &sb)) return CompareSemVer(sa, sb);
  } else if (algorithm == "integer") {
    if (AllDigits(a) && AllDigits(b)) return CompareNumbers(a, b);
  } else if (algorithm == "alpha") {
    int c = a.compare(b);
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  // "natural", "date" (FHIR dates: digit runs compare as numbers, a shorter precision first), a version
  // that does not follow the declared algorithm, or none declared.
  return CompareVersions(a, b);
}

namespace {

void Append(std::string* k, std::string_view part) {
  k->append(part);
  k->push_back('\0');
}

}  // namespace

std::string PointerKey(ResourceKind kind, std::string_view url) {
  std::string k = {'P', KindByte(kind)};
  k.append(url);
  return k;
}

std::string HeaderKey(ResourceKind kind, std::string_view url, std::string_view version) {
  std::string k = {'R', KindByte(kind)};
  Append(&k, url);
  k.append(version);
  return k;
}

std::string ContentHashKey(ResourceKind kind, std::string_view url, std::string_view version) {
  std::string k = {'Z', KindByte(kind)};
  Append(&k, url);
  k.append(version);
  return k;
}

std::string EncodeContentHash(uint64_t h) {
  std::string v(8, '\0');
  for (int i = 0; i < 8; ++i) v[i] = static_cast<char>((h >> (8 * i)) & 0xff);
  return v;
}

bool DecodeContentHash(std::string_view v, uint64_t* h) {
  if (v.size() != 8) return false;
  *h = 0;
  for (int i = 7; i >= 0; --i) *h = (*h << 8) | static_cast<uint8_t>(v[i]);
  return true;
}

namespace {

std::string Prefix(char family, std::string_view url, std::string_view version) {
  std::string k(1, family);
  Append(&k, url);
  Append(&k, version);
  return k;
}

}  // namespace

std::string RecordPrefix(ResourceKind kind, std::string_view url, std::string_view version) {
  return Prefix(KindByte(kind), url, version);  // C, V or M
}

std::vector<std::string> RecordPrefixes(ResourceKind kind, std::string_view url, std::string_view version) {
  switch (kind) {
    case ResourceKind::kCodeSystem:
      return {Prefix('C', url, version), Prefix('H', url, version), Prefix('D', url, version)};
    case ResourceKind::kValueSet:
      return {Prefix('V', url, version)};
    case ResourceKind::kConceptMap:
      return {Prefix('M', url, version), Prefix('G', url, version), Prefix('W', url, version)};
  }
  return {};
}

std::string ConceptKey(std::string_view url, std::string_view version, std::string_view code) {
  std::string k = Prefix('C', url, version);
  k.append(code);
  return k;
}

std::string ParentsKey(std::string_view url, std::string_view version, std::string_view code) {
  std::string k = Prefix('H', url, version);
  k.append(code);
  return k;
}

std::string ChildPrefix(std::string_view url, std::string_view version, std::string_view parent) {
  std::string k = Prefix('D', url, version);
  Append(&k, parent);
  return k;
}

std::string ComposeKey(std::string_view url, std::string_view version) {
  std::string k = Prefix('V', url, version);
  k.push_back('K');
  return k;
}

std::string ExpansionPrefix(std::string_view url, std::string_view version, std::string_view code) {
  std::string k = Prefix('V', url, version);
  k.push_back('E');
  k.push_back('\0');
  Append(&k, code);
  return k;
}

std::string ExpansionKey(std::string_view url, std::string_view version, std::string_view code,
                         std::string_view system) {
  std::string k = ExpansionPrefix(url, version, code);
  k.append(system);
  return k;
}

std::string MapKey(std::string_view url, std::string_view version, std::string_view source_system,
                   std::string_view code) {
  std::string k = Prefix('M', url, version);
  Append(&k, source_system);
  k.append(code);
  return k;
}

std::string GroupsKey(std::string_view url, std::string_view version) { return Prefix('G', url, version); }

std::string ReversePrefix(std::string_view url, std::string_view version, std::string_view target_system,
                          std::string_view target_code) {
  std::string k = Prefix('W', url, version);
  Append(&k, target_system);
  Append(&k, target_code);
  return k;
}

std::string MapIndexPrefix(std::string_view source_system) {
  std::string k = "S";
  Append(&k, source_system);
  return k;
}

std::string MapIndexKey(std::string_view source_system, std::string_view url) {
  std::string k = MapIndexPrefix(source_system);
  k.append(url);
  return k;
}

std::string TargetIndexPrefix(std::string_view target_system) {
  std::string k = "T";
  Append(&k, target_system);
  return k;
}

std::string TargetIndexKey(std::string_view target_system, std::string_view url) {
  std::string k = TargetIndexPrefix(target_system);
  k.append(url);
  return k;
}

bool IsKnownEquivalence(std::string_view e) {
  static constexpr std::string_view kKnown[] = {
      // R4 ConceptMapEquivalence
      "relatedto", "equivalent", "equal", "wider", "subsumes", "narrower", "specializes", "inexact",
      "unmatched", "disjoint",
      // R5 ConceptMapRelationship
      "related-to", "source-is-narrower-than-target", "source-is-broader-than-target", "not-related-to"};
  for (auto k : kKnown) {
    if (k == e) return true;
  }
  return false;
}

uint32_t EquivalenceBit(std::string_view e) noexcept {
  if (e == "equal") return kEquivalenceEqual;
  if (e == "equivalent") return kEquivalenceEquivalent;
  if (e == "wider" || e == "source-is-narrower-than-target") return kEquivalenceWider;
  if (e == "subsumes") return kEquivalenceSubsumes;
  if (e == "narrower" || e == "source-is-broader-than-target") return kEquivalenceNarrower;
  if (e == "specializes") return kEquivalenceSpecializes;
  if (e == "inexact") return kEquivalenceInexact;
  if (e == "relatedto" || e == "related-to") return kEquivalenceRelatedTo;
  if (e == "unmapped-provided" || e == "unmapped-fixed") return kEquivalenceUnmapped;
  return 0;
}

std::string_view SubsumptionName(Subsumption s) noexcept {
  switch (s) {
    case Subsumption::kEquivalent: return "equivalent";
    case Subsumption::kSubsumes: return "subsumes";
    case Subsumption::kSubsumedBy: return "subsumed-by";
    case Subsumption::kNotSubsumed: return "not-subsumed";
  }
  return "?";
}

bool IsNegativeEquivalence(std::string_view e) {
  return e == "unmatched" || e == "disjoint" || e == "not-related-to";
}

}  // namespace crosswalk::term
