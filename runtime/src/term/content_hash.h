// Content hashes of stored resource versions (docs/terminology.md, "Content hash"): what a compiled program
// records for each terminology resource it names, so that loading it against a store whose content
// differs is refused.
//
// The hash of one resource version folds its stored records in key order, each hashed with XXH64 seeded
// with the hash so far:
//   h = 0;  for each record (key, value):  h = XXH64(family ‖ varint(|suffix|) ‖ suffix ‖ value, seed = h)
// where the records are the resource's header ('R') and its content families (CodeSystem: C, D, H;
// ValueSet: V; ConceptMap: G, M, W), `family` is the key's first byte and `suffix` the key after the
// family's url \0 version \0 prefix (empty for the header). The url and version are the resource's
// identity, not its content; the pointer, index and format keys are not per version and are left out.
// The stored form is canonical (one encoding per content), so the same resource imported from JSON,
// NDJSON or a Bundle hashes the same; a new key layout version changes every hash.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "crosswalk/terminology.h"

namespace crosswalk::term {

// XXH64 (xxHash, 64-bit variant, as specified by its reference implementation) of data with seed.
uint64_t Xxh64(std::string_view data, uint64_t seed) noexcept;

// Splits a stored key into the resource version it belongs to and the suffix hashed. False for keys that
// are no resource's content (format, pointers, indexes, hashes).
bool ContentKeyParts(std::string_view key, ResourceKind* kind, std::string_view* url, std::string_view* version,
                     std::string_view* suffix);

// Folds one record into a running hash (see above).
uint64_t FoldRecord(uint64_t h, char family, std::string_view suffix, std::string_view value, std::string* scratch);

// Computes the hash of every resource version whose records pass through Add, in key order (an import's
// merge, or a scan of one resource).
class ContentHasher {
 public:
  void Add(std::string_view key, std::string_view value);
  // (kind, url, version) -> hash, in key order of the 'Z' keys.
  const std::map<std::tuple<int, std::string, std::string>, uint64_t>& hashes() const { return hashes_; }

 private:
  std::map<std::tuple<int, std::string, std::string>, uint64_t> hashes_;
  uint64_t* last_ = nullptr;  // the running hash of the resource of the previous record
  std::string last_id_;       // kind byte + url \0 version of that resource
  std::string scratch_, id_;
};

}  // namespace crosswalk::term
