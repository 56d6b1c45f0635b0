#include "term/content_hash.h"

#include <cstring>

#include "term/model.h"

namespace crosswalk::term {
namespace {

constexpr uint64_t kP1 = 0x9E3779B185EBCA87ull;
constexpr uint64_t kP2 = 0xC2B2AE3D27D4EB4Full;
constexpr uint64_t kP3 = 0x165667B19E3779F9ull;
constexpr uint64_t kP4 = 0x85EBCA77C2B2AE63ull;
constexpr uint64_t kP5 = 0x27D4EB2F165667C5ull;

uint64_t Rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
uint64_t Read64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];  // little-endian, whatever the host
  return v;
}
uint32_t Read32(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}
uint64_t Round(uint64_t acc, uint64_t input) { return Rotl(acc + input * kP2, 31) * kP1; }
uint64_t Merge(uint64_t acc, uint64_t v) { return (acc ^ Round(0, v)) * kP1 + kP4; }

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// The families of a resource's content, and the kind each belongs to.
bool FamilyKind(char family, ResourceKind* kind) {
  switch (family) {
    case 'C': case 'D': case 'H': *kind = ResourceKind::kCodeSystem; return true;
    case 'V': *kind = ResourceKind::kValueSet; return true;
    case 'G': case 'M': case 'W': *kind = ResourceKind::kConceptMap; return true;
    default: return false;
  }
}

}  // namespace

uint64_t Xxh64(std::string_view data, uint64_t seed) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  const unsigned char* end = p + data.size();
  uint64_t h;
  if (data.size() >= 32) {
    uint64_t v1 = seed + kP1 + kP2, v2 = seed + kP2, v3 = seed, v4 = seed - kP1;
    for (; p + 32 <= end; p += 32) {
      v1 = Round(v1, Read64(p));
      v2 = Round(v2, Read64(p + 8));
      v3 = Round(v3, Read64(p + 16));
      v4 = Round(v4, Read64(p + 24));
    }
    h = Rotl(v1, 1) + Rotl(v2, 7) + Rotl(v3, 12) + Rotl(v4, 18);
    h = Merge(h, v1);
    h = Merge(h, v2);
    h = Merge(h, v3);
    h = Merge(h, v4);
  } else {
    h = seed + kP5;
  }
  h += static_cast<uint64_t>(data.size());
  for (; p + 8 <= end; p += 8) h = Rotl(h ^ Round(0, Read64(p)), 27) * kP1 + kP4;
  if (p + 4 <= end) {
    h = Rotl(h ^ (static_cast<uint64_t>(Read32(p)) * kP1), 23) * kP2 + kP3;
    p += 4;
  }
  for (; p < end; ++p) h = Rotl(h ^ (*p * kP5), 11) * kP1;
  h ^= h >> 33;
  h *= kP2;
  h ^= h >> 29;
  h *= kP3;
  h ^= h >> 32;
  return h;
}

bool ContentKeyParts(std::string_view key, ResourceKind* kind, std::string_view* url, std::string_view* version,
                     std::string_view* suffix) {
  if (key.empty()) return false;
  std::string_view rest;
  if (key[0] == 'R') {
    // 'R' kind url \0 version
    if (key.size() < 2) return false;
    switch (key[1]) {
      case 'C': *kind = ResourceKind::kCodeSystem; break;
      case 'V': *kind = ResourceKind::kValueSet; break;
      case 'M': *kind = ResourceKind::kConceptMap; break;
      default: return false;
    }
    rest = key.substr(2);
    size_t nul = rest.find('\0');
    if (nul == std::string_view::npos) return false;
    *url = rest.substr(0, nul);
    *version = rest.substr(nul + 1);
    *suffix = {};
    return true;
  }
  if (!FamilyKind(key[0], kind)) return false;
  rest = key.substr(1);
  size_t a = rest.find('\0');
  if (a == std::string_view::npos) return false;
  size_t b = rest.find('\0', a + 1);
  if (b == std::string_view::npos) return false;
  *url = rest.substr(0, a);
  *version = rest.substr(a + 1, b - a - 1);
  *suffix = rest.substr(b + 1);
  return true;
}

uint64_t FoldRecord(uint64_t h, char family, std::string_view suffix, std::string_view value, std::string* scratch) {
  scratch->clear();
  scratch->push_back(family);
  PutVarint(scratch, suffix.size());
  scratch->append(suffix);
  scratch->append(value);
  return Xxh64(*scratch, h);
}

void ContentHasher::Add(std::string_view key, std::string_view value) {
  ResourceKind kind;
  std::string_view url, version, suffix;
  if (!ContentKeyParts(key, &kind, &url, &version, &suffix)) return;
  id_.assign(1, KindByte(kind));
  id_.append(url);
  id_.push_back('\0');
  id_.append(version);
  // Records of one resource come together within a family, so the map is searched once per run of them.
  if (last_ == nullptr || id_ != last_id_) {
    last_ = &hashes_[{static_cast<int>(kind), std::string(url), std::string(version)}];
    last_id_ = id_;
  }
  *last_ = FoldRecord(*last_, key[0], suffix, value, &scratch_);
}

}  // namespace crosswalk::term
