// Key builders and the value codec of the terminology store (layout in model.h and docs/terminology.md).
#include <string>
#include <string_view>

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
  return std::move(e.out());
}

bool DecodeHeader(std::string_view v, Header* h) {
  Decoder d(v);
  std::string_view name, title;
  if (!d.Str(&name) || !d.Str(&title) || !d.U64(&h->entries) || !d.U64(&h->flags)) return false;
  h->name = name;
  h->title = title;
  return true;
}

std::string EncodeConcept(const ConceptRec& c) {
  Encoder e;
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

std::string EncodeTargets(const std::vector<MapTargetRec>& targets) {
  Encoder e;
  e.U64(targets.size());
  for (const auto& t : targets) {
    e.Str(t.system);
    e.Str(t.code);
    e.Str(t.display);
    e.Str(t.equivalence);
  }
  return std::move(e.out());
}

std::string EncodeUnmapped(const UnmappedRec& u) {
  Encoder e;
  e.Str(u.mode);
  e.Str(u.code);
  e.Str(u.display);
  e.Str(u.url);
  return std::move(e.out());
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

std::string RecordPrefix(ResourceKind kind, std::string_view url, std::string_view version) {
  std::string k(1, KindByte(kind));  // C, V or M
  Append(&k, url);
  Append(&k, version);
  return k;
}

std::string ConceptKey(std::string_view url, std::string_view version, std::string_view code) {
  std::string k = RecordPrefix(ResourceKind::kCodeSystem, url, version);
  k.append(code);
  return k;
}

std::string VsRuleKey(std::string_view url, std::string_view version, char rule, std::string_view system,
                      std::string_view code) {
  std::string k = RecordPrefix(ResourceKind::kValueSet, url, version);
  k.push_back(rule);
  k.push_back('\0');
  Append(&k, system);
  k.append(code);
  return k;
}

std::string MapKey(std::string_view url, std::string_view version, std::string_view source_system,
                   std::string_view code) {
  std::string k = RecordPrefix(ResourceKind::kConceptMap, url, version);
  Append(&k, source_system);
  k.append(code);
  return k;
}

std::string UnmappedPrefix(std::string_view url, std::string_view version, std::string_view source_system) {
  std::string k = "U";
  Append(&k, url);
  Append(&k, version);
  Append(&k, source_system);
  return k;
}

std::string UnmappedKey(std::string_view url, std::string_view version, std::string_view source_system,
                        std::string_view target_system) {
  std::string k = UnmappedPrefix(url, version, source_system);
  k.append(target_system);
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

bool IsNegativeEquivalence(std::string_view e) {
  return e == "unmatched" || e == "disjoint" || e == "not-related-to";
}

}  // namespace crosswalk::term
