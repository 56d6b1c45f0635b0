// Store: RocksDB-backed terminology store with a sharded, never-evicting in-process answer cache.
//
// Cache: kShards shards, each an unordered_map from a key of string_views (pointing into the entry's
// own memory) to a heap-allocated Entry, guarded by a shared_mutex. A hit hashes the caller's views,
// takes the shard's shared lock and copies a few views out: no allocation. Entries are never freed or
// moved while the Store lives (an import through the same Store only unlinks them from the maps), so
// the views handed out stay valid. Negative answers need no memory of their own (their views are
// empty or static literals) and stop being cached past OpenOptions::max_negative_cache_entries.
#include <algorithm>
#include <array>
#include <atomic>
#include <cstdarg>
#include <cstring>
#include <filesystem>
#include <optional>
#include <limits>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include <fmt/format.h>
#ifdef CW_HAVE_RE2
#include <re2/re2.h>
#endif
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/sst_file_writer.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/checkpoint.h>
#include <rocksdb/write_batch.h>

#include "crosswalk/terminology.h"
#include "term/content_hash.h"
#include "term/import_sink.h"
#include "term/model.h"

namespace crosswalk::term {
namespace {

constexpr size_t kShards = 64;
// An import buffers at most this many bytes of records before it sorts them into a run file (ImportSink).
constexpr size_t kImportBufferBytes = 64u << 20;
// Folder inside the store directory for an import's run and SST files (removed when the import ends; one
// left by a killed import is removed by the next import).
constexpr const char* kImportTmpDir = "import.tmp";
constexpr int kMaxOtherMapDepth = 4;
// A read-only Store's checkpoint retries with a newer view this many times when a concurrent import's
// compaction deletes a file it was linking.
constexpr int kCheckpointAttempts = 5;
// Value sets importing value sets (compose.include.valueSet) at most this deep; deeper (or a cycle) is
// kLimitExceeded.
constexpr int kMaxValueSetDepth = 8;
// An is-a walk visits at most this many ancestors of one concept (SNOMED CT's deepest concepts have a few
// hundred); more is kLimitExceeded rather than an unbounded walk over a damaged hierarchy.
constexpr size_t kMaxHierarchyVisit = 100000;

// Static texts for answers that own no memory.
constexpr std::string_view kUnmatched = "unmatched";
constexpr std::string_view kDisjoint = "disjoint";
constexpr std::string_view kNotRelatedTo = "not-related-to";

std::string_view StaticEquivalence(std::string_view e) {
  if (e == kUnmatched) return kUnmatched;
  if (e == kDisjoint) return kDisjoint;
  if (e == kNotRelatedTo) return kNotRelatedTo;
  return {};
}

enum class Query : uint8_t { kTranslate, kLookup, kValidate };

struct CacheKey {
  size_t hash;
  Query query;
  std::string_view a, b, c, d;
  bool operator==(const CacheKey& o) const {
    return hash == o.hash && query == o.query && a == o.a && b == o.b && c == o.c && d == o.d;
  }
};

struct CacheKeyHash {
  size_t operator()(const CacheKey& k) const { return k.hash; }
};

// The cache key's hash: every byte of the four texts, 8 at a time (a map URL is most of a key, and every
// translation hashes one: std::hash's byte-wise tail and four calls cost about twice this).
inline uint64_t MixWord(uint64_t h, uint64_t w) {
  h = (h ^ w) * 0x9E3779B97F4A7C15ull;
  return h ^ (h >> 32);
}

inline uint64_t LoadWord(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

uint64_t HashText(std::string_view s, uint64_t h) {
  const char* p = s.data();
  const size_t n = s.size();
  h = MixWord(h, n);
  if (n >= 8) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) h = MixWord(h, LoadWord(p + i));
    return i == n ? h : MixWord(h, LoadWord(p + n - 8));  // the last 1-7 bytes, in a load that overlaps
  }
  if (n >= 4) {  // two loads that overlap cover every byte
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + n - 4, 4);
    return MixWord(h, lo | uint64_t{hi} << 32);
  }
  if (n == 0) return h;
  const auto* u = reinterpret_cast<const unsigned char*>(p);  // 1-3 bytes: all of them
  return MixWord(h, u[0] | uint64_t{u[n / 2]} << 8 | uint64_t{u[n - 1]} << 16);
}

size_t HashKey(Query q, std::string_view a, std::string_view b, std::string_view c, std::string_view d) {
  uint64_t h = static_cast<uint64_t>(q) + 1;
  for (std::string_view s : {a, b, c, d}) h = HashText(s, h);
  return static_cast<size_t>(h ^ (h >> 29));
}

// One cached answer. Everything it shows points into `data`.
struct Entry {
  std::string data;
  CacheKey key{};
  bool present = false;
  Translation translation;
  Concept concept_;
  std::vector<Designation> designations;
  std::vector<Property> properties;
  std::vector<MapAttribute> product;
  size_t bytes = 0;                                  // what the entry costs, for the cache bound
  mutable std::atomic<bool> referenced{false};       // CLOCK bit: hit since the hand last passed
};

// Memory an entry holds (its strings, vectors and a map node), for OpenOptions::max_cache_bytes.
size_t EntryBytes(const Entry& e) {
  return sizeof(Entry) + e.data.capacity() + e.designations.capacity() * sizeof(Designation) +
         e.properties.capacity() * sizeof(Property) + e.product.capacity() * sizeof(MapAttribute) +
         2 * sizeof(CacheKey) + 4 * sizeof(void*);
}

// With a bounded cache, the entry of the calling thread's last answer: its views stay valid until the
// thread's next query (on any Store) even if the entry is evicted meanwhile.
thread_local std::shared_ptr<const Entry> t_pinned;

// Collects the strings of an Entry, then hands out views once they sit in their final place.
class EntryBuilder {
 public:
  struct Ref {
    size_t off = 0, len = 0;
  };
  // One allocation for the strings about to be added (their total size, or an upper bound).
  void Reserve(size_t n) { data_.reserve(n); }
  Ref Add(std::string_view s) {
    Ref r{data_.size(), s.size()};
    data_.append(s);
    return r;
  }
  // Moves the strings into `e` and sets its key views from the first four refs.
  void Finish(Entry* e, Query q, size_t hash, Ref a, Ref b, Ref c, Ref d) {
    e->data = std::move(data_);
    e->key = CacheKey{hash, q, View(e, a), View(e, b), View(e, c), View(e, d)};
  }
  static std::string_view View(const Entry* e, Ref r) { return {e->data.data() + r.off, r.len}; }

 private:
  std::string data_;
};

struct Shard {
  mutable std::shared_mutex mu;
  std::unordered_map<CacheKey, std::shared_ptr<const Entry>, CacheKeyHash> map;
  // Entries of a bounded cache in insertion order; the CLOCK hand is the front: a referenced entry gets a second chance
  // (moved to the back, bit cleared), an unreferenced one is evicted.
  std::list<std::shared_ptr<const Entry>> clock;
  size_t bytes = 0;
  std::atomic<uint64_t> hits{0};
  std::atomic<uint64_t> misses{0};
  std::atomic<uint64_t> evictions{0};
};

// RocksDB's info log (the LOG file): of no use to a read-only host and would litter a shared directory;
// and for the importer it is a hazard: once a LOG write fails (full disk), RocksDB 7.8 asserts on the next
// log line (WritableFileWriter after a previous error), so a full disk aborted `term import` in DB::Open.
// Every Open uses this logger.
class NullLogger : public rocksdb::Logger {
 public:
  using rocksdb::Logger::Logv;
  void Logv(const char* /*format*/, va_list /*ap*/) override {}
};

Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  if (s.IsCorruption()) return Corrupt(fmt::format("{}: {}", what, s.ToString()));
  if (s.IsNotFound()) return NotFound(fmt::format("{}: {}", what, s.ToString()));
  return IoError(fmt::format("{}: {}", what, s.ToString()));
}

std::string VersionKey(std::string_view url, std::string_view version) {
  std::string k(url);
  k.push_back('\0');
  k.append(version);
  return k;
}

bool StartsWith(const rocksdb::Slice& s, std::string_view p) {
  return s.size() >= p.size() && std::memcmp(s.data(), p.data(), p.size()) == 0;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] + 32) : b[i];
    if (x != y) return false;
  }
  return true;
}

// The designation that displays a concept in `requested` ($lookup displayLanguage): a comma-separated
// list of BCP-47 tags in preference order (an Accept-Language `;q=` weight is ignored). For each tag, RFC
// 4647 lookup: the tag itself, then with its last subtag removed (de-CH-1996, de-CH, de), all ASCII case-
// insensitive; then any designation whose language has the tag's primary subtag (de asks de-CH). Among the
// designations of the matched language: one without `use` or with use `display` first, a fully specified
// name (SNOMED CT 900000000000003001) last, else document order. nullptr when none matches.
const Designation* DisplayDesignation(const std::vector<Designation>& ds, std::string_view requested) {
  auto rank = [](const Designation& d) {
    if (d.use_code.empty() || d.use_code == "display") return 0;
    return d.use_code == "900000000000003001" ? 2 : 1;
  };
  auto best_of = [&](auto&& matches) -> const Designation* {
    const Designation* best = nullptr;
    for (const Designation& d : ds) {
      if (!d.value.empty() && matches(d.language) && (best == nullptr || rank(d) < rank(*best))) best = &d;
    }
    return best;
  };
  while (!requested.empty()) {
    size_t comma = requested.find(',');
    std::string_view tag = requested.substr(0, comma);
    requested = comma == std::string_view::npos ? std::string_view() : requested.substr(comma + 1);
    tag = tag.substr(0, tag.find(';'));
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag.empty() || tag == "*") continue;
    for (std::string_view range = tag; !range.empty();) {
      if (const Designation* d = best_of([&](std::string_view lang) { return EqualsIgnoreCase(lang, range); })) return d;
      size_t dash = range.rfind('-');
      if (dash == std::string_view::npos) break;
      range = range.substr(0, dash);
      // RFC 4647: a single-letter subtag (an extension or private-use singleton) goes with the next one.
      if (size_t prev = range.rfind('-'); prev != std::string_view::npos && range.size() - prev == 2) {
        range = range.substr(0, prev);
      }
    }
    std::string_view primary = tag.substr(0, tag.find('-'));
    if (const Designation* d = best_of([&](std::string_view lang) {
          return lang.size() > primary.size() && lang[primary.size()] == '-' &&
                 EqualsIgnoreCase(lang.substr(0, primary.size()), primary);
        })) {
      return d;
    }
  }
  return nullptr;
}

}  // namespace

class Store::Impl {
 public:
  std::string dir;
  OpenOptions open_options;
  rocksdb::Options db_options;  // as opened, to reopen after a failed commit
  // Null only after a failed commit whose reopen failed too; every read then fails (kFailedPrecondition).
  std::unique_ptr<rocksdb::DB> db;
  std::shared_ptr<rocksdb::Cache> block_cache;

  // Resource state, loaded at open and after an import (which needs exclusive use of the Store).
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::array<std::unordered_map<std::string, std::string, StringHash, std::equal_to<>>, 3> current;
  std::array<std::map<std::string, Header, std::less<>>, 3> headers;  // key: url \0 version
  std::array<std::map<std::string, uint64_t, std::less<>>, 3> content_hashes;  // key: url \0 version ('Z' keys)
  // Hashes computed by a scan for versions imported without one (Bind), once per Store.
  std::mutex scanned_hashes_mu;
  std::array<std::map<std::string, uint64_t, std::less<>>, 3> scanned_hashes;

  // Supplements (CodeSystems with content "supplement", their current versions) by the URL of the code
  // system they name, built with the headers: a Lookup of the base merges their designations and properties.
  struct SupplementRef {
    std::string url, version;  // the supplement
    std::string base_version;  // the base version it names ("" = any)
  };
  std::unordered_map<std::string, std::vector<SupplementRef>, StringHash, std::equal_to<>> supplements_of;

  std::array<Shard, kShards> shards;
  std::atomic<uint64_t> negative_entries{0};
  std::vector<std::shared_ptr<const Entry>> retired;  // unbounded cache: entries unlinked by an import
  mutable std::shared_mutex parents_mu;
  mutable std::unordered_map<std::string, std::shared_ptr<const std::vector<std::string>>> parents_cache;

  // ---- RocksDB helpers ----

  Status RequireDb() const {
    if (db) return Status::Ok();
    return FailedPrecondition(fmt::format(
        "terminology store '{}' was closed after a failed import and could not be reopened; open it again", dir));
  }

  Result<bool> Get(const std::string& key, std::string* value) const {
    rocksdb::PinnableSlice v;
    CW_ASSIGN_OR_RETURN(bool found, GetPinned(key, &v));
    if (found && value != nullptr) value->assign(v.data(), v.size());
    return found;
  }

  // A point read whose value stays where RocksDB has it (the block cache) while `value` lives: no copy.
  Result<bool> GetPinned(const rocksdb::Slice& key, rocksdb::PinnableSlice* value) const {
    CW_RETURN_IF_ERROR(RequireDb());
    static const rocksdb::ReadOptions kRead;
    rocksdb::Status s = db->Get(kRead, db->DefaultColumnFamily(), key, value);
    if (s.IsNotFound()) return false;
    if (!s.ok()) return FromRocks(s, "terminology store read");
    return true;
  }

  // Calls fn(key, value) for every key starting with prefix; fn returns false to stop.
  template <typename Fn>
  Status Scan(std::string_view prefix, Fn fn) const {
    CW_RETURN_IF_ERROR(RequireDb());
    rocksdb::ReadOptions ro;
    std::string upper(prefix);
    // Upper bound: prefix with its last byte incremented (prefixes end in '\0' or a letter).
    while (!upper.empty() && static_cast<uint8_t>(upper.back()) == 0xff) upper.pop_back();
    rocksdb::Slice upper_slice;
    if (!upper.empty()) {
      upper.back() = static_cast<char>(static_cast<uint8_t>(upper.back()) + 1);
      upper_slice = rocksdb::Slice(upper);
      ro.iterate_upper_bound = &upper_slice;
    }
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro));
    for (it->Seek(rocksdb::Slice(prefix.data(), prefix.size())); it->Valid(); it->Next()) {
      if (!StartsWith(it->key(), prefix)) break;
      if (!fn(std::string_view(it->key().data(), it->key().size()),
              std::string_view(it->value().data(), it->value().size()))) {
        break;
      }
    }
    return FromRocks(it->status(), "terminology store scan");
  }

  // The one write path (the format key of a new store, every import). The batch goes into the memtable
  // without the WAL and is flushed at once, so the flush's MANIFEST record is the single commit point: a
  // kill or a crash anywhere leaves the store as it was or fully written, and a full disk (or any write
  // error) fails before that record, leaving the store as it was on disk. Writing through the WAL instead
  // made a full disk abort the process: after a failed WAL append, RocksDB 7.8's log writer asserts in its
  // destructor (facebook/rocksdb#12448; Debian builds RocksDB with assertions), exit status 134.
  //
  // After a failure the memtable may still hold the batch, which reads through this handle would see, and
  // RocksDB keeps a background error: the DB is closed (avoid_flush_during_shutdown, set at open, keeps
  // the close from flushing the failed batch after all) and reopened as it is on disk.
  Status Commit(rocksdb::WriteBatch* batch) {
    CW_RETURN_IF_ERROR(RequireDb());
    rocksdb::WriteOptions wo;
    wo.disableWAL = true;
    Status s = FromRocks(db->Write(wo, batch), "cannot write the terminology store");
    if (s.ok()) s = FromRocks(db->Flush(rocksdb::FlushOptions()), "cannot write the terminology store");
    return s.ok() ? s : ReopenAfterFailedWrite(s);
  }

  // A write failed: the handle is closed and reopened as the store is on disk (unchanged), so that it stays
  // usable; `failed` is returned, noting that the handle is closed when even the reopen fails.
  Status ReopenAfterFailedWrite(const Status& failed) {
    db.reset();
    rocksdb::DB* raw = nullptr;
    rocksdb::Status reopen = rocksdb::DB::Open(db_options, dir, &raw);
    if (reopen.ok()) {
      db.reset(raw);
      return failed;
    }
    return Status(failed.code(),
                  fmt::format("{} (the store is unchanged on disk; this handle is closed)", failed.message()));
  }

  // The import's write path: the merged SST files are ingested (IngestExternalFile, moved into the store)
  // in one MANIFEST record, the commit point: a kill or a crash leaves the store as it was or fully
  // written (files linked but not recorded are deleted as obsolete at the next open), and a write error
  // fails before that record. Reads through this handle see the old version until the ingest returns.
  Status CommitFiles(const std::vector<std::string>& files) {
    CW_RETURN_IF_ERROR(RequireDb());
    if (files.empty()) return Status::Ok();
    rocksdb::IngestExternalFileOptions io;
    io.move_files = true;
    Status s = FromRocks(db->IngestExternalFile(files, io), "cannot write the terminology store");
    return s.ok() ? s : ReopenAfterFailedWrite(s);
  }

  Status LoadState() {
    for (auto& c : current) c.clear();
    for (auto& h : headers) h.clear();
    for (auto& h : content_hashes) h.clear();
    {
      std::lock_guard lock(scanned_hashes_mu);
      for (auto& h : scanned_hashes) h.clear();
    }
    auto kind_of = [](char c, ResourceKind* k) {
      switch (c) {
        case 'C': *k = ResourceKind::kCodeSystem; return true;
        case 'V': *k = ResourceKind::kValueSet; return true;
        case 'M': *k = ResourceKind::kConceptMap; return true;
        default: return false;
      }
    };
    Status bad;
    CW_RETURN_IF_ERROR(Scan("P", [&](std::string_view k, std::string_view v) {
      ResourceKind kind;
      if (k.size() < 2 || !kind_of(k[1], &kind)) {
        bad = Corrupt("terminology store: bad pointer key");
        return false;
      }
      current[static_cast<size_t>(kind)].emplace(std::string(k.substr(2)), std::string(v));
      return true;
    }));
    CW_RETURN_IF_ERROR(bad);
    CW_RETURN_IF_ERROR(Scan("R", [&](std::string_view k, std::string_view v) {
      ResourceKind kind;
      Header h;
      if (k.size() < 2 || !kind_of(k[1], &kind) || !DecodeHeader(v, &h)) {
        bad = Corrupt("terminology store: bad resource header");
        return false;
      }
      headers[static_cast<size_t>(kind)].emplace(std::string(k.substr(2)), std::move(h));
      return true;
    }));
    CW_RETURN_IF_ERROR(bad);
    CW_RETURN_IF_ERROR(Scan("Z", [&](std::string_view k, std::string_view v) {
      ResourceKind kind;
      uint64_t h = 0;
      if (k.size() < 2 || !kind_of(k[1], &kind) || !DecodeContentHash(v, &h)) {
        bad = Corrupt("terminology store: bad content hash record");
        return false;
      }
      content_hashes[static_cast<size_t>(kind)].emplace(std::string(k.substr(2)), h);
      return true;
    }));
    CW_RETURN_IF_ERROR(bad);
    supplements_of.clear();
    for (const auto& [id, h] : headers[static_cast<size_t>(ResourceKind::kCodeSystem)]) {
      if (h.supplements.empty()) continue;
      size_t nul = id.find('\0');
      std::string_view url = std::string_view(id).substr(0, nul), version = std::string_view(id).substr(nul + 1);
      const std::string* cur = Current(ResourceKind::kCodeSystem, url);
      if (cur == nullptr || *cur != version) continue;
      std::string_view base = h.supplements, base_version;
      if (size_t bar = base.find('|'); bar != std::string_view::npos) {
        base_version = base.substr(bar + 1);
        base = base.substr(0, bar);
      }
      supplements_of[std::string(base)].push_back({std::string(url), std::string(version), std::string(base_version)});
    }
    return Status::Ok();
  }

  // The content hash of a stored version: kept at import, else computed by folding its records in key
  // order, exactly as the import's merge does (content_hash.h).
  Result<uint64_t> ContentHash(ResourceKind kind, const std::string& url, const std::string& version) {
    std::string id = VersionKey(url, version);
    const auto& kept = content_hashes[static_cast<size_t>(kind)];
    if (auto it = kept.find(id); it != kept.end()) return it->second;
    {
      std::lock_guard lock(scanned_hashes_mu);
      const auto& m = scanned_hashes[static_cast<size_t>(kind)];
      if (auto it = m.find(id); it != m.end()) return it->second;
    }
    std::vector<std::string> prefixes = RecordPrefixes(kind, url, version);
    std::string header_key = HeaderKey(kind, url, version);
    prefixes.push_back(header_key);
    std::sort(prefixes.begin(), prefixes.end());  // the families in byte order, as the merge meets them
    ContentHasher hasher;
    for (const auto& prefix : prefixes) {
      if (prefix == header_key) {
        std::string v;
        CW_ASSIGN_OR_RETURN(bool found, Get(header_key, &v));
        if (found) hasher.Add(header_key, v);
        continue;
      }
      CW_RETURN_IF_ERROR(Scan(prefix, [&](std::string_view k, std::string_view v) {
        hasher.Add(k, v);
        return true;
      }));
    }
    uint64_t h = 0;
    if (auto it = hasher.hashes().find({static_cast<int>(kind), url, version}); it != hasher.hashes().end()) {
      h = it->second;
    }
    std::lock_guard lock(scanned_hashes_mu);
    scanned_hashes[static_cast<size_t>(kind)][id] = h;
    return h;
  }

  const std::string* Current(ResourceKind kind, std::string_view url) const {
    const auto& m = current[static_cast<size_t>(kind)];
    auto it = m.find(url);
    return it == m.end() ? nullptr : &it->second;
  }

  const Header* FindHeader(ResourceKind kind, std::string_view url, std::string_view version) const {
    const auto& m = headers[static_cast<size_t>(kind)];
    thread_local std::string key;  // url \0 version, built without an allocation once it has grown
    key.assign(url);
    key.push_back('\0');
    key.append(version);
    auto it = m.find(key);
    return it == m.end() ? nullptr : &it->second;
  }

  // ---- cache ----

  Shard& ShardFor(size_t hash) { return shards[(hash >> 7) % kShards]; }

  bool bounded() const { return open_options.max_cache_bytes > 0; }

  const Entry* CacheFind(const CacheKey& key) {
    Shard& s = ShardFor(key.hash);
    std::shared_lock lock(s.mu);
    auto it = s.map.find(key);
    if (it == s.map.end()) {
      s.misses.fetch_add(1, std::memory_order_relaxed);
      return nullptr;
    }
    s.hits.fetch_add(1, std::memory_order_relaxed);
    const Entry* e = it->second.get();
    if (bounded()) {
      if (!e->referenced.load(std::memory_order_relaxed)) e->referenced.store(true, std::memory_order_relaxed);
      // May be evicted by another thread once the lock is released. (A repeated hit skips the two atomics.)
      if (t_pinned.get() != e) t_pinned = it->second;
    }
    return e;
  }

  // Inserts (or finds the equal entry another thread inserted first). With a bound, evicts by CLOCK
  // until the shard is within its share of max_cache_bytes.
  // `owned` comes from make_shared: the entry and its reference count in one allocation.
  const Entry* CacheInsert(std::shared_ptr<Entry> owned) {
    owned->bytes = EntryBytes(*owned);
    std::shared_ptr<const Entry> e(std::move(owned));
    Shard& s = ShardFor(e->key.hash);
    std::unique_lock lock(s.mu);
    auto [it, inserted] = s.map.try_emplace(e->key, e);
    if (!inserted) {
      if (bounded()) t_pinned = it->second;
      return it->second.get();
    }
    s.bytes += e->bytes;
    if (bounded()) {  // (an unbounded cache keeps no CLOCK: nothing is evicted)
      s.clock.push_back(e);
      t_pinned = e;
      size_t limit = std::max<size_t>(open_options.max_cache_bytes / kShards, 1);
      while (s.bytes > limit && !s.clock.empty()) {
        const std::shared_ptr<const Entry>& victim = s.clock.front();
        if (victim->referenced.exchange(false, std::memory_order_relaxed)) {
          s.clock.splice(s.clock.end(), s.clock, s.clock.begin());
          continue;
        }
        s.map.erase(victim->key);
        s.bytes -= victim->bytes;
        s.clock.pop_front();
        s.evictions.fetch_add(1, std::memory_order_relaxed);
      }
    }
    return e.get();
  }

  // May a negative answer be cached? Counts it when yes.
  bool AdmitNegative() {
    if (negative_entries.load(std::memory_order_relaxed) >= open_options.max_negative_cache_entries) return false;
    negative_entries.fetch_add(1, std::memory_order_relaxed);
    return true;
  }

  void RetireCache() {
    for (auto& s : shards) {
      std::unique_lock lock(s.mu);
      // Unbounded: the entries stay owned, so views handed out remain valid while the Store lives.
      if (!bounded()) {
        for (auto& [key, e] : s.map) retired.push_back(std::move(e));
      }
      s.map.clear();
      s.clock.clear();
      s.bytes = 0;
    }
    negative_entries.store(0);
    {
      std::unique_lock lock(parents_mu);
      parents_cache.clear();
    }
    std::lock_guard lock(compose_mu);
    compose_cache.clear();
    groups_cache.clear();
  }

  // ---- queries (miss paths) ----

  // Resolves "url" (current version) or "url|version" of a resource. kNotFound names what is missing.
  Status Resolve(ResourceKind kind, std::string_view canonical, std::string* url, std::string* version) const {
    size_t bar = canonical.find('|');
    if (bar != std::string_view::npos) {
      *url = canonical.substr(0, bar);
      *version = canonical.substr(bar + 1);
      if (FindHeader(kind, *url, *version) == nullptr) {
        return NotFound(fmt::format("no {} '{}' version '{}' in the terminology store", ResourceKindName(kind), *url,
                                    *version));
      }
      return Status::Ok();
    }
    const std::string* cur = Current(kind, canonical);
    if (cur == nullptr) {
      return NotFound(fmt::format("no {} '{}' in the terminology store", ResourceKindName(kind), canonical));
    }
    *url = canonical;
    *version = *cur;
    return Status::Ok();
  }

  // ---- code systems ----

  // The key of `code` in a code system version (folded when the system is not case-sensitive).
  std::string CodeKey(const Header& h, std::string_view code) const {
    return (h.flags & kHeaderCaseInsensitive) ? FoldCase(code) : std::string(code);
  }

  // Reads a concept record. *found false when the code is not stored.
  Status GetConcept(std::string_view system, const std::string& version, const Header& h, std::string_view code,
                    bool* found, std::string* value) const {
    CW_ASSIGN_OR_RETURN(*found, Get(ConceptKey(system, version, CodeKey(h, code)), value));
    return Status::Ok();
  }
  Status GetConcept(std::string_view system, std::string_view version, const Header& h, std::string_view code,
                    bool* found, rocksdb::PinnableSlice* value) const {
    CW_ASSIGN_OR_RETURN(*found, GetPinned(ConceptKey(system, version, CodeKey(h, code)), value));
    return Status::Ok();
  }

  // The code system's verdict on a code it does not hold: a definite "no" only when its content is
  // complete; otherwise the store cannot tell.
  static Status Unknowable(std::string_view system, const Header& h) {
    return FailedPrecondition(fmt::format(
        "CodeSystem '{}' has content '{}': the store does not hold all its concepts, so it cannot tell whether "
        "a code it lacks exists",
        system, h.content));
  }

  // Is `code` a concept of (system, version)? kFailedPrecondition when the code system cannot tell.
  Result<bool> Known(std::string_view system, const std::string& version, std::string_view code) const {
    const Header* h = FindHeader(ResourceKind::kCodeSystem, system, version);
    if (h == nullptr) {
      return NotFound(fmt::format("no CodeSystem '{}' version '{}' in the terminology store", system, version));
    }
    bool found = false;
    CW_RETURN_IF_ERROR(GetConcept(system, version, *h, code, &found, nullptr));
    if (found) return true;
    if (h->content != "complete" && h->content != "supplement") return Unknowable(system, *h);
    return false;
  }

  // A concept record decoded into owned strings (cold paths: filters, validate-code, expand).
  struct ConceptData {
    std::string code, display, status;
    std::vector<DesignationRec> designations;
    std::vector<PropertyRec> properties;
  };

  static bool DecodeConceptData(std::string_view v, ConceptData* c) {
    Decoder d(v);
    std::string_view code, display, status;
    uint64_t n = 0;
    if (!d.Str(&code) || !d.Str(&display) || !d.Str(&status) || !d.U64(&n)) return false;
    c->code = code;
    c->display = display;
    c->status = status;
    for (uint64_t i = 0; i < n; ++i) {
      std::string_view f[4];
      for (auto& s : f) {
        if (!d.Str(&s)) return false;
      }
      c->designations.push_back({std::string(f[0]), std::string(f[1]), std::string(f[2]), std::string(f[3])});
    }
    if (!d.U64(&n)) return false;
    for (uint64_t i = 0; i < n; ++i) {
      std::string_view f[3];
      for (auto& s : f) {
        if (!d.Str(&s)) return false;
      }
      c->properties.push_back({std::string(f[0]), std::string(f[1]), std::string(f[2])});
    }
    return true;
  }

  // The parents of a concept (as written in the code system), from the 'H' record, decoded once per store
  // handle: an is-a walk on a warm hierarchy is then a few hash lookups, no RocksDB read. The cache holds
  // at most one entry per concept that was walked through (bounded by the hierarchies' size) and is
  // dropped after an import.
  using ParentList = std::shared_ptr<const std::vector<std::string>>;
  Result<ParentList> Parents(std::string_view system, const std::string& version, const Header& h,
                             std::string_view code) const {
    std::string key = ParentsKey(system, version, CodeKey(h, code));
    {
      std::shared_lock lock(parents_mu);
      auto it = parents_cache.find(key);
      if (it != parents_cache.end()) return it->second;
    }
    auto list = std::make_shared<std::vector<std::string>>();
    std::string v;
    CW_ASSIGN_OR_RETURN(bool found, Get(key, &v));
    if (found) {
      Decoder d(v);
      uint64_t n = 0;
      if (!d.U64(&n)) return Corrupt("terminology store: bad hierarchy record");
      for (uint64_t i = 0; i < n; ++i) {
        std::string_view p;
        if (!d.Str(&p)) return Corrupt("terminology store: bad hierarchy record");
        list->emplace_back(p);
      }
    }
    std::unique_lock lock(parents_mu);
    return parents_cache.emplace(std::move(key), std::move(list)).first->second;
  }

  // Is `ancestor` a proper ancestor of `code`? Walks up the parents (a DAG: several parents per concept),
  // each concept once, at most kMaxHierarchyVisit concepts.
  Result<bool> IsAncestor(std::string_view system, const std::string& version, const Header& h,
                          std::string_view ancestor, std::string_view code) const {
    std::string target = CodeKey(h, ancestor);
    std::vector<std::string> frontier{std::string(code)};
    std::unordered_map<std::string, bool> seen;
    seen.emplace(CodeKey(h, code), true);
    while (!frontier.empty()) {
      std::string c = std::move(frontier.back());
      frontier.pop_back();
      CW_ASSIGN_OR_RETURN(ParentList parents, Parents(system, version, h, c));
      for (const auto& p : *parents) {
        std::string key = CodeKey(h, p);
        if (key == target) return true;
        if (!seen.emplace(std::move(key), true).second) continue;
        if (seen.size() > kMaxHierarchyVisit) {
          return LimitExceeded(fmt::format("CodeSystem '{}': more than {} ancestors visited (kMaxHierarchyVisit)",
                                           system, kMaxHierarchyVisit));
        }
        frontier.push_back(p);
      }
    }
    return false;
  }

  // ---- value sets ----

  struct CompiledFilter {
    VsFilter f;
    std::shared_ptr<const void> regex;  // RE2 (built with CW_HAVE_RE2) for op regex
    std::vector<std::string> list;      // op in / not-in: the comma-separated codes
  };
  struct CompiledComponent {
    VsComponent c;
    std::vector<CompiledFilter> filters;
    std::unordered_map<std::string, std::string> listed;  // code key -> display (case folded when needed)
  };
  struct ComposeDef {
    std::string url, version;
    std::vector<CompiledComponent> includes, excludes;
  };

  // Decoded value-set composes and map groups, per url \0 version (dropped after an import).
  std::mutex compose_mu;
  std::unordered_map<std::string, std::shared_ptr<const ComposeDef>> compose_cache;
  std::unordered_map<std::string, std::shared_ptr<const std::vector<MapGroupRec>>> groups_cache;

  Result<std::shared_ptr<const ComposeDef>> LoadCompose(const std::string& url, const std::string& version) {
    std::string key = VersionKey(url, version);
    {
      std::lock_guard lock(compose_mu);
      auto it = compose_cache.find(key);
      if (it != compose_cache.end()) return it->second;
    }
    std::string v;
    CW_ASSIGN_OR_RETURN(bool found, Get(ComposeKey(url, version), &v));
    std::vector<VsComponent> inc, exc;
    if (found && !DecodeCompose(v, &inc, &exc)) return Corrupt("terminology store: bad value set compose");
    auto def = std::make_shared<ComposeDef>();
    def->url = url;
    def->version = version;
    auto compile = [&](std::vector<VsComponent>& from, std::vector<CompiledComponent>* to) -> Status {
      for (auto& c : from) {
        CompiledComponent cc;
        const Header* cs = nullptr;
        if (!c.system.empty()) {
          const std::string* cur = c.version.empty() ? Current(ResourceKind::kCodeSystem, c.system) : &c.version;
          if (cur != nullptr) cs = FindHeader(ResourceKind::kCodeSystem, c.system, *cur);
        }
        for (const auto& r : c.concepts) cc.listed.emplace(cs != nullptr ? CodeKey(*cs, r.code) : r.code, r.display);
        for (const auto& f : c.filters) {
          CompiledFilter cf{f, nullptr, {}};
          if (f.op == "in" || f.op == "not-in") {
            size_t start = 0;
            while (start <= f.value.size()) {
              size_t comma = f.value.find(',', start);
              if (comma == std::string::npos) comma = f.value.size();
              std::string item = f.value.substr(start, comma - start);
              while (!item.empty() && item.front() == ' ') item.erase(0, 1);
              while (!item.empty() && item.back() == ' ') item.pop_back();
              if (!item.empty()) cf.list.push_back(std::move(item));
              start = comma + 1;
            }
          } else if (f.op == "regex") {
#ifdef CW_HAVE_RE2
            RE2::Options o;
            o.set_log_errors(false);
            auto re = std::make_shared<RE2>(f.value, o);
            if (!re->ok()) {
              return InvalidArgument(fmt::format("ValueSet '{}': invalid regex filter on '{}'", url, f.property));
            }
            cf.regex = re;
#else
            return Unimplemented(fmt::format(
                "ValueSet '{}' uses a regex filter, and this build has no RE2 (install libre2-dev and rebuild)", url));
#endif
          }
          cc.filters.push_back(std::move(cf));
        }
        cc.c = std::move(c);
        to->push_back(std::move(cc));
      }
      return Status::Ok();
    };
    CW_RETURN_IF_ERROR(compile(inc, &def->includes));
    CW_RETURN_IF_ERROR(compile(exc, &def->excludes));
    std::lock_guard lock(compose_mu);
    return compose_cache.emplace(key, std::move(def)).first->second;
  }

  // Does a concept pass one filter?
  Result<bool> PassesFilter(const CompiledFilter& cf, std::string_view system, const std::string& version,
                            const Header& h, const ConceptData& c) const {
    const VsFilter& f = cf.f;
    bool on_code = f.property == "concept" || f.property == "code";
    auto same_code = [&](std::string_view a, std::string_view b) { return CodeKey(h, a) == CodeKey(h, b); };
    auto values = [&](std::vector<std::string_view>* out) {
      if (f.property == "display") {
        out->push_back(c.display);
        return;
      }
      for (const auto& p : c.properties) {
        if (p.code != f.property) continue;
        out->push_back(p.value);
        if (p.type == "Coding") {  // "system|code": the code alone matches too
          size_t bar = p.value.rfind('|');
          if (bar != std::string::npos) out->push_back(std::string_view(p.value).substr(bar + 1));
        }
      }
    };
    if (f.op == "is-a" || f.op == "descendent-of" || f.op == "is-not-a" || f.op == "generalizes") {
      if (!on_code) {
        return Unimplemented(fmt::format("filter op '{}' on property '{}' (only 'concept' has a hierarchy)", f.op,
                                         f.property));
      }
      bool self = same_code(c.code, f.value);
      if (f.op == "generalizes") {
        if (self) return true;
        return IsAncestor(system, version, h, c.code, f.value);
      }
      bool below = false;
      if (!self || f.op == "descendent-of") {
        CW_ASSIGN_OR_RETURN(below, IsAncestor(system, version, h, f.value, c.code));
      }
      if (f.op == "descendent-of") return below && !self;
      bool is_a = self || below;
      return f.op == "is-a" ? is_a : !is_a;
    }
    if (f.op == "=" || f.op == "in" || f.op == "not-in") {
      std::vector<std::string_view> vals;
      if (on_code) {
        vals.push_back(c.code);
      } else {
        values(&vals);
      }
      bool hit = false;
      for (auto v : vals) {
        if (f.op == "=") {
          hit = hit || (on_code ? same_code(v, f.value) : v == f.value);
        } else {
          for (const auto& item : cf.list) hit = hit || (on_code ? same_code(v, item) : v == item);
        }
      }
      return f.op == "not-in" ? !hit : hit;
    }
    if (f.op == "exists") {
      std::vector<std::string_view> vals;
      values(&vals);
      return vals.empty() == (f.value == "false");
    }
    if (f.op == "regex") {
#ifdef CW_HAVE_RE2
      const auto* re = static_cast<const RE2*>(cf.regex.get());
      std::vector<std::string_view> vals;
      if (on_code) {
        vals.push_back(c.code);
      } else {
        values(&vals);
      }
      for (auto v : vals) {
        if (RE2::FullMatch(re2::StringPiece(v.data(), v.size()), *re)) return true;
      }
      return false;
#else
      return Unimplemented("regex filters need RE2");
#endif
    }
    return Unimplemented(fmt::format("filter op{} is not evaluated", QuotedKeyword(f.op)));
  }

  // Does one include/exclude component admit (system, code)?
  Result<bool> InComponent(const ComposeDef& vs, const CompiledComponent& cc, std::string_view system,
                           std::string_view code, int depth) {
    const VsComponent& c = cc.c;
    if (!c.system.empty()) {
      if (system != c.system) return false;
      std::string cs_version = c.version;
      if (cs_version.empty()) {
        const std::string* cur = Current(ResourceKind::kCodeSystem, system);
        if (cur != nullptr) cs_version = *cur;
      }
      const Header* h = cs_version.empty() && Current(ResourceKind::kCodeSystem, system) == nullptr
                            ? nullptr
                            : FindHeader(ResourceKind::kCodeSystem, system, cs_version);
      if (h == nullptr) {
        if (!cc.listed.empty()) {
          if (cc.listed.count(std::string(code)) == 0) return false;  // listed concepts count as listed
        } else {
          return FailedPrecondition(fmt::format(
              "ValueSet '{}' includes {}CodeSystem '{}'{}, which is not in the terminology store", vs.url,
              cc.filters.empty() ? "all of " : "a filter on ", system,
              c.version.empty() ? std::string() : fmt::format(" version '{}'", c.version)));
        }
      } else if (!cc.listed.empty()) {
        if (cc.listed.count(CodeKey(*h, code)) == 0) return false;
        bool found = false;
        CW_RETURN_IF_ERROR(GetConcept(system, cs_version, *h, code, &found, nullptr));
        // A listed code the (complete) code system lacks is not a concept, so not a member.
        if (!found && h->content == "complete") return false;
      } else {
        std::string v;
        bool found = false;
        CW_RETURN_IF_ERROR(GetConcept(system, cs_version, *h, code, &found, &v));
        if (!found) {
          if (h->content == "complete") return false;
          return Unknowable(system, *h);
        }
        if (!cc.filters.empty()) {
          ConceptData data;
          if (!DecodeConceptData(v, &data)) return Corrupt("terminology store: bad concept");
          for (const auto& f : cc.filters) {
            CW_ASSIGN_OR_RETURN(bool pass, PassesFilter(f, system, cs_version, *h, data));
            if (!pass) return false;
          }
        }
      }
    }
    for (const auto& other : c.valuesets) {
      CW_ASSIGN_OR_RETURN(bool in, InValueSet(other, system, code, depth + 1));
      if (!in) return false;
    }
    return true;
  }

  // The code systems a value set draws from (for membership without a system).
  Status CandidateSystems(std::string_view canonical, int depth, std::vector<std::string>* out) {
    if (depth > kMaxValueSetDepth) {
      return LimitExceeded(fmt::format("ValueSet '{}': value set imports nested deeper than {}", canonical,
                                       kMaxValueSetDepth));
    }
    std::string url, version;
    CW_RETURN_IF_ERROR(Resolve(ResourceKind::kValueSet, canonical, &url, &version));
    CW_ASSIGN_OR_RETURN(auto def, LoadCompose(url, version));
    for (const auto& cc : def->includes) {
      if (!cc.c.system.empty()) {
        if (std::find(out->begin(), out->end(), cc.c.system) == out->end()) out->push_back(cc.c.system);
      } else {
        for (const auto& other : cc.c.valuesets) CW_RETURN_IF_ERROR(CandidateSystems(other, depth + 1, out));
      }
    }
    return Status::Ok();
  }

  // Is (system, code) in the value set (R4 compose semantics; see Store::Validate)? An empty system: in
  // any of its systems.
  Result<bool> InValueSet(std::string_view canonical, std::string_view system, std::string_view code, int depth) {
    if (depth > kMaxValueSetDepth) {
      return LimitExceeded(fmt::format("ValueSet '{}': value set imports nested deeper than {} (or a cycle)",
                                       canonical, kMaxValueSetDepth));
    }
    std::string url, version;
    CW_RETURN_IF_ERROR(Resolve(ResourceKind::kValueSet, canonical, &url, &version));
    const Header* h = FindHeader(ResourceKind::kValueSet, url, version);
    if (h == nullptr) return Corrupt(fmt::format("terminology store: ValueSet '{}' has no header", url));
    if (h->flags & kHeaderHasExpansion) {
      if (!system.empty()) return Get(ExpansionKey(url, version, code, system), nullptr);
      bool any = false;
      CW_RETURN_IF_ERROR(Scan(ExpansionPrefix(url, version, code), [&](std::string_view, std::string_view) {
        any = true;
        return false;
      }));
      return any;
    }
    if (system.empty()) {
      std::vector<std::string> systems;
      CW_RETURN_IF_ERROR(CandidateSystems(canonical, depth, &systems));
      for (const auto& s : systems) {
        CW_ASSIGN_OR_RETURN(bool in, InValueSet(canonical, s, code, depth));
        if (in) return true;
      }
      return false;
    }
    CW_ASSIGN_OR_RETURN(auto def, LoadCompose(url, version));
    bool included = false;
    Status undecided;
    for (const auto& cc : def->includes) {
      Result<bool> r = InComponent(*def, cc, system, code, depth);
      if (!r.ok()) {
        if (undecided.ok()) undecided = r.status();
        continue;
      }
      if (*r) {
        included = true;
        break;
      }
    }
    if (!included) {
      if (!undecided.ok()) return undecided;
      return false;
    }
    for (const auto& cc : def->excludes) {
      CW_ASSIGN_OR_RETURN(bool excluded, InComponent(*def, cc, system, code, depth));
      if (excluded) return false;
    }
    return true;
  }

  Result<bool> ValidateUncached(std::string_view system, std::string_view code, std::string_view vs) {
    if (vs.empty()) {
      if (system.empty()) return InvalidArgument("validate needs a code system or a value set");
      const std::string* ver = Current(ResourceKind::kCodeSystem, system);
      if (ver == nullptr) return NotFound(fmt::format("no CodeSystem '{}' in the terminology store", system));
      return Known(system, *ver, code);
    }
    return InValueSet(vs, system, code, 0);
  }

  Result<bool> Validate(std::string_view system, std::string_view code, std::string_view vs) {
    size_t hash = HashKey(Query::kValidate, vs, system, code, {});
    CacheKey probe{hash, Query::kValidate, vs, system, code, {}};
    if (const Entry* e = CacheFind(probe)) return e->present;
    CW_ASSIGN_OR_RETURN(bool member, ValidateUncached(system, code, vs));
    if (!member && !AdmitNegative()) return false;
    auto e = std::make_shared<Entry>();
    EntryBuilder b;
    auto ra = b.Add(vs), rb = b.Add(system), rc = b.Add(code);
    b.Finish(e.get(), Query::kValidate, hash, ra, rb, rc, {});
    e->present = member;
    return CacheInsert(std::move(e))->present;
  }

  // The members of a value set, in (system, code) order, at most max.
  Status Enumerate(std::string_view canonical, int depth, uint64_t max, std::map<std::pair<std::string, std::string>, ExpansionItem>* out) {
    if (depth > kMaxValueSetDepth) {
      return LimitExceeded(fmt::format("ValueSet '{}': value set imports nested deeper than {} (or a cycle)",
                                       canonical, kMaxValueSetDepth));
    }
    std::string url, version;
    CW_RETURN_IF_ERROR(Resolve(ResourceKind::kValueSet, canonical, &url, &version));
    const Header* h = FindHeader(ResourceKind::kValueSet, url, version);
    if (h == nullptr) return Corrupt(fmt::format("terminology store: ValueSet '{}' has no header", url));
    auto too_many = [&] {
      return LimitExceeded(fmt::format("ValueSet '{}' has more than {} members (ExpandOptions::max_members)", url, max));
    };
    if (h->flags & kHeaderHasExpansion) {
      std::string prefix = RecordPrefix(ResourceKind::kValueSet, url, version) + "E";
      prefix.push_back('\0');
      Status bad;
      CW_RETURN_IF_ERROR(Scan(prefix, [&](std::string_view k, std::string_view v) {
        std::string_view rest = k.substr(prefix.size());
        size_t nul = rest.find('\0');
        if (nul == std::string_view::npos) {
          bad = Corrupt("terminology store: bad expansion key");
          return false;
        }
        ExpansionItem item{std::string(rest.substr(nul + 1)), "", std::string(rest.substr(0, nul)), std::string(v)};
        out->emplace(std::make_pair(item.system, item.code), std::move(item));
        if (out->size() > max) {
          bad = too_many();
          return false;
        }
        return true;
      }));
      return bad;
    }
    CW_ASSIGN_OR_RETURN(auto def, LoadCompose(url, version));
    std::map<std::pair<std::string, std::string>, ExpansionItem> included;
    for (const auto& cc : def->includes) {
      const VsComponent& c = cc.c;
      std::vector<ExpansionItem> candidates;
      if (c.system.empty()) {
        std::map<std::pair<std::string, std::string>, ExpansionItem> first;
        CW_RETURN_IF_ERROR(Enumerate(c.valuesets.front(), depth + 1, max, &first));
        for (auto& [k, item] : first) candidates.push_back(std::move(item));
      } else {
        std::string cs_version = c.version;
        if (cs_version.empty()) {
          const std::string* cur = Current(ResourceKind::kCodeSystem, c.system);
          if (cur != nullptr) cs_version = *cur;
        }
        const Header* cs = FindHeader(ResourceKind::kCodeSystem, c.system, cs_version);
        if (!c.concepts.empty()) {
          for (const auto& r : c.concepts) {
            ExpansionItem item{c.system, cs_version, r.code, r.display};
            if (cs != nullptr) {
              std::string v;
              bool found = false;
              CW_RETURN_IF_ERROR(GetConcept(c.system, cs_version, *cs, r.code, &found, &v));
              if (!found && cs->content == "complete") continue;
              ConceptData data;
              if (found && DecodeConceptData(v, &data) && item.display.empty()) item.display = data.display;
            }
            candidates.push_back(std::move(item));
          }
        } else {
          if (cs == nullptr) {
            return FailedPrecondition(fmt::format("ValueSet '{}' includes CodeSystem '{}', which is not in the terminology store", url, c.system));
          }
          if (cs->content != "complete") return Unknowable(c.system, *cs);
          // Every concept of the system; filters decide below.
          Status bad;
          CW_RETURN_IF_ERROR(Scan(RecordPrefix(ResourceKind::kCodeSystem, c.system, cs_version),
                                  [&](std::string_view, std::string_view v) {
                                    ConceptData data;
                                    if (!DecodeConceptData(v, &data)) {
                                      bad = Corrupt("terminology store: bad concept");
                                      return false;
                                    }
                                    candidates.push_back({c.system, cs_version, data.code, data.display});
                                    return true;
                                  }));
          CW_RETURN_IF_ERROR(bad);
        }
      }
      for (auto& item : candidates) {
        auto key = std::make_pair(item.system, item.code);
        if (included.count(key) > 0) continue;
        CW_ASSIGN_OR_RETURN(bool in, InComponent(*def, cc, item.system, item.code, depth));
        if (!in) continue;
        included.emplace(std::move(key), std::move(item));
        if (included.size() > max) return too_many();
      }
    }
    for (auto& [key, item] : included) {
      bool excluded = false;
      for (const auto& cc : def->excludes) {
        CW_ASSIGN_OR_RETURN(excluded, InComponent(*def, cc, item.system, item.code, depth));
        if (excluded) break;
      }
      if (!excluded) out->emplace(key, std::move(item));
      if (out->size() > max) return too_many();
    }
    return Status::Ok();
  }

  // ---- concept maps ----

  Result<std::shared_ptr<const std::vector<MapGroupRec>>> LoadGroups(const std::string& url, const std::string& version) {
    std::string key = VersionKey(url, version);
    {
      std::lock_guard lock(compose_mu);
      auto it = groups_cache.find(key);
      if (it != groups_cache.end()) return it->second;
    }
    std::string v;
    CW_ASSIGN_OR_RETURN(bool found, Get(GroupsKey(url, version), &v));
    auto groups = std::make_shared<std::vector<MapGroupRec>>();
    if (found && !DecodeGroups(v, groups.get())) return Corrupt("terminology store: bad map groups");
    std::lock_guard lock(compose_mu);
    return groups_cache.emplace(key, std::move(groups)).first->second;
  }

  // ---- binding ----

  // A resource version one answers from: kind, url, and the version named ("" = the URL's current one).
  using ResourceId = std::tuple<ResourceKind, std::string, std::string>;

  static ResourceId Canonical(ResourceKind kind, std::string_view canonical) {
    size_t bar = canonical.find('|');
    if (bar == std::string_view::npos) return {kind, std::string(canonical), std::string()};
    return {kind, std::string(canonical.substr(0, bar)), std::string(canonical.substr(bar + 1))};
  }

  // The resources whose content a version's answers also depend on: a CodeSystem's supplements; a
  // ValueSet's compose code systems and imported value sets; a ConceptMap's group target code systems
  // (they fill empty target displays) and other-maps of `unmapped` rules.
  Status Reaches(ResourceKind kind, const std::string& url, const std::string& version, std::vector<ResourceId>* out) {
    switch (kind) {
      case ResourceKind::kCodeSystem:
        if (auto it = supplements_of.find(url); it != supplements_of.end()) {
          for (const SupplementRef& sup : it->second) {
            if (sup.base_version.empty() || sup.base_version == version) out->emplace_back(kind, sup.url, sup.version);
          }
        }
        return Status::Ok();
      case ResourceKind::kValueSet: {
        CW_ASSIGN_OR_RETURN(auto def, LoadCompose(url, version));
        for (const auto* list : {&def->includes, &def->excludes}) {
          for (const CompiledComponent& c : *list) {
            if (!c.c.system.empty()) out->emplace_back(ResourceKind::kCodeSystem, c.c.system, c.c.version);
            for (const std::string& vs : c.c.valuesets) out->push_back(Canonical(ResourceKind::kValueSet, vs));
          }
        }
        return Status::Ok();
      }
      case ResourceKind::kConceptMap: {
        CW_ASSIGN_OR_RETURN(auto groups, LoadGroups(url, version));
        for (const MapGroupRec& g : *groups) {
          if (!g.target.empty()) out->emplace_back(ResourceKind::kCodeSystem, g.target, g.target_version);
          if (g.unmapped_mode == "other-map" && !g.unmapped_url.empty()) {
            out->push_back(Canonical(ResourceKind::kConceptMap, g.unmapped_url));
          }
        }
        return Status::Ok();
      }
    }
    return Status::Ok();
  }

  // What Bind records (docs/terminology.md, "Reproducible binding"): the version's content hash, folded
  // with the content hash of every resource it reaches, transitively (each as the version it resolves to
  // now, or marked absent), in (kind, url, version) order. A version that reaches nothing keeps its own
  // content hash.
  Result<uint64_t> ClosureHash(ResourceKind kind, const std::string& url, const std::string& version) {
    CW_ASSIGN_OR_RETURN(uint64_t h, ContentHash(kind, url, version));
    std::map<ResourceId, std::optional<uint64_t>> reached;  // resolved id -> hash (nullopt: absent)
    std::vector<ResourceId> pending;
    CW_RETURN_IF_ERROR(Reaches(kind, url, version, &pending));
    const ResourceId root{kind, url, version};
    while (!pending.empty()) {
      auto [k, u, v] = std::move(pending.back());
      pending.pop_back();
      if (v.empty()) {
        const std::string* cur = Current(k, u);
        if (cur != nullptr) v = *cur;
      }
      ResourceId id{k, u, v};
      if (id == root || reached.count(id) != 0) continue;
      if (reached.size() >= kMaxBindingClosure) {
        return LimitExceeded(fmt::format("{} '{}|{}' reaches more than {} terminology resources",
                                         ResourceKindName(kind), url, version, kMaxBindingClosure));
      }
      if (FindHeader(k, u, v) == nullptr) {
        reached.emplace(std::move(id), std::nullopt);
        continue;
      }
      CW_ASSIGN_OR_RETURN(uint64_t rh, ContentHash(k, u, v));
      reached.emplace(id, rh);
      CW_RETURN_IF_ERROR(Reaches(k, u, v, &pending));
    }
    std::string buf;
    for (const auto& [id, rh] : reached) {
      const auto& [k, u, v] = id;
      buf.assign(1, static_cast<char>('0' + static_cast<int>(k)));
      buf.append(u).push_back('\0');
      buf.append(v).push_back('\0');
      if (rh) {
        for (int i = 0; i < 8; ++i) buf.push_back(static_cast<char>((*rh >> (8 * i)) & 0xff));
      } else {
        buf.append("absent");
      }
      h = Xxh64(buf, h);
    }
    return h;
  }
  static constexpr size_t kMaxBindingClosure = 10000;

  static bool ConditionsHold(const std::vector<Match::Attribute>& conditions, const TranslateOptions& o) {
    for (const auto& c : conditions) {
      bool held = false;
      for (const auto& given : o.depends_on) {
        held = held || (given.property == c.property && given.value == c.value &&
                        (given.system.empty() || c.system.empty() || given.system == c.system));
      }
      if (!held) return false;
    }
    return true;
  }

  static Status DecodeAttrs(Decoder* d, std::vector<Match::Attribute>* out) {
    uint64_t n = 0;
    if (!d->U64(&n)) return Corrupt("terminology store: bad map record");
    for (uint64_t i = 0; i < n; ++i) {
      std::string_view f[4];
      for (auto& s : f) {
        if (!d->Str(&s)) return Corrupt("terminology store: bad map record");
      }
      out->push_back({std::string(f[0]), std::string(f[1]), std::string(f[2]), std::string(f[3])});
    }
    return Status::Ok();
  }

  // Every match of `code` from `src` in one map version (see Store::TranslateAll). *negative gets the first
  // negative equivalence the map states for the code.
  Status CollectInMap(const std::string& url, const std::string& version, std::string_view src,
                      std::string_view code, const TranslateOptions& o, int depth, std::vector<Match>* out,
                      std::string* negative) {
    CW_ASSIGN_OR_RETURN(auto groups, LoadGroups(url, version));
    // The sources to read: the caller's (then groups without a source), or every group's.
    std::vector<std::string_view> sources;  // views of `src` and of the groups (held by `groups`)
    auto add_source = [&](std::string_view s) {
      if (std::find(sources.begin(), sources.end(), s) == sources.end()) sources.push_back(s);
    };
    if (!src.empty()) {
      add_source(src);
      for (const auto& g : *groups) {
        if (g.source.empty()) add_source("");
      }
    } else {
      for (const auto& g : *groups) add_source(g.source);
    }
    for (std::string_view s : sources) {
      rocksdb::PinnableSlice v;
      CW_ASSIGN_OR_RETURN(bool has_element, GetPinned(MapKey(url, version, s, code), &v));
      std::vector<bool> group_has_element(groups->size(), false);
      if (has_element) {
        Decoder d(std::string_view(v.data(), v.size()));
        uint64_t n = 0;
        if (!d.U64(&n)) return Corrupt("terminology store: bad map record");
        for (uint64_t i = 0; i < n; ++i) {
          uint64_t group = 0;
          std::string_view sys, c, disp, eq;
          if (!d.U64(&group) || !d.Str(&sys) || !d.Str(&c) || !d.Str(&disp) || !d.Str(&eq)) {
            return Corrupt("terminology store: bad map record");
          }
          Match m;
          CW_RETURN_IF_ERROR(DecodeAttrs(&d, &m.depends_on));
          CW_RETURN_IF_ERROR(DecodeAttrs(&d, &m.product));
          if (group < group_has_element.size()) group_has_element[group] = true;
          const MapGroupRec* grp = group < groups->size() ? &(*groups)[group] : nullptr;
          if (grp != nullptr && !SourceVersionMatches(*grp, o)) continue;
          if (!o.target_system.empty() && sys != o.target_system) continue;
          if (IsNegativeEquivalence(eq)) {
            if (negative->empty()) *negative = eq;
            continue;
          }
          if ((EquivalenceBit(eq) & o.equivalences) == 0) continue;
          if (!ConditionsHold(m.depends_on, o)) continue;
          m.system = sys;
          if (grp != nullptr) m.version = grp->target_version;
          m.code = c;
          m.display = disp;
          m.equivalence = eq;
          m.map_url = url;
          m.map_version = version;
          out->push_back(std::move(m));
        }
      }
      // Unmapped rules of the groups from this source that have no element for the code.
      for (size_t gi = 0; gi < groups->size(); ++gi) {
        const MapGroupRec& g = (*groups)[gi];
        if (g.source != s || group_has_element[gi] || g.unmapped_mode.empty() || !SourceVersionMatches(g, o)) continue;
        if (g.unmapped_mode == "other-map") {
          if (depth >= kMaxOtherMapDepth) {
            return LimitExceeded(fmt::format("ConceptMap {}: unmapped other-map chain deeper than {}", url,
                                             kMaxOtherMapDepth));
          }
          std::string other_url, other_version;
          CW_RETURN_IF_ERROR(Resolve(ResourceKind::kConceptMap, g.unmapped_url, &other_url, &other_version));
          std::string ignored;
          CW_RETURN_IF_ERROR(CollectInMap(other_url, other_version, src.empty() ? std::string_view(s) : src, code, o,
                                          depth + 1, out, &ignored));
          continue;
        }
        if (!o.target_system.empty() && g.target != o.target_system) continue;
        if ((o.equivalences & kEquivalenceUnmapped) == 0) continue;
        Match m;
        m.system = g.target;
        m.version = g.target_version;
        m.map_url = url;
        m.map_version = version;
        if (g.unmapped_mode == "provided") {
          m.code = code;
          m.equivalence = "unmapped-provided";
        } else {
          m.code = g.unmapped_code;
          m.display = g.unmapped_display;
          m.equivalence = "unmapped-fixed";
        }
        out->push_back(std::move(m));
      }
    }
    return Status::Ok();
  }

  // Reverse: the sources that map to (target system `tsys`, `code`) in one map version. The reverse index
  // names the source elements; each one's record says which group each target came from, so group versions
  // apply as forward: o.source_version is the version of `tsys` (the code's system) and a group whose
  // targetVersion names another version does not answer; the match carries the group's sourceVersion and
  // the equivalence of the element's first answering target.
  Status CollectReverse(const std::string& url, const std::string& version, std::string_view tsys,
                        std::string_view code, const TranslateOptions& o, std::vector<Match>* out) {
    CW_ASSIGN_OR_RETURN(auto groups, LoadGroups(url, version));
    std::string prefix = ReversePrefix(url, version, tsys, code);
    std::vector<Match> found;
    Status bad;
    CW_RETURN_IF_ERROR(Scan(prefix, [&](std::string_view k, std::string_view v) {
      std::string_view rest = k.substr(prefix.size());
      size_t nul = rest.find('\0');
      if (nul == std::string_view::npos) {
        bad = Corrupt("terminology store: bad reverse index key");
        return false;
      }
      Match m;
      m.system = rest.substr(0, nul);
      m.code = rest.substr(nul + 1);
      m.equivalence = v;
      m.map_url = url;
      m.map_version = version;
      if (!o.target_system.empty() && m.system != o.target_system) return true;
      found.push_back(std::move(m));
      return true;
    }));
    CW_RETURN_IF_ERROR(bad);
    for (auto& m : found) {
      std::string rec;
      CW_ASSIGN_OR_RETURN(bool has_element, Get(MapKey(url, version, m.system, m.code), &rec));
      if (!has_element) return Corrupt("terminology store: reverse index names a missing map element");
      Decoder d(rec);
      uint64_t n = 0;
      if (!d.U64(&n)) return Corrupt("terminology store: bad map record");
      bool answers = false;
      for (uint64_t i = 0; i < n && !answers; ++i) {
        uint64_t group = 0;
        std::string_view sys, c, disp, eq;
        if (!d.U64(&group) || !d.Str(&sys) || !d.Str(&c) || !d.Str(&disp) || !d.Str(&eq)) {
          return Corrupt("terminology store: bad map record");
        }
        std::vector<Match::Attribute> skip;
        CW_RETURN_IF_ERROR(DecodeAttrs(&d, &skip));
        CW_RETURN_IF_ERROR(DecodeAttrs(&d, &skip));
        if (sys != tsys || c != code || IsNegativeEquivalence(eq) || (EquivalenceBit(eq) & o.equivalences) == 0) {
          continue;
        }
        const MapGroupRec* grp = group < groups->size() ? &(*groups)[group] : nullptr;
        if (grp != nullptr && !o.source_version.empty() && !grp->target_version.empty() &&
            grp->target_version != o.source_version) {
          continue;
        }
        answers = true;  // the first answering target of the element (document order) gives the match
        m.equivalence = eq;
        if (grp != nullptr) m.version = grp->source_version;
      }
      if (answers) out->push_back(std::move(m));
    }
    return Status::Ok();
  }

  // A group with a sourceVersion answers only a caller whose source version is that one (or who gives none).
  static bool SourceVersionMatches(const MapGroupRec& g, const TranslateOptions& o) {
    return o.source_version.empty() || g.source_version.empty() || g.source_version == o.source_version;
  }

  // An empty target display from the code system: the version the group names (targetVersion; none when the
  // store lacks it, since another version's display may differ), else the current version.
  Status FillDisplay(Match* m) {
    if (!m->display.empty() || m->code.empty()) return Status::Ok();
    const std::string* ver = m->version.empty() ? Current(ResourceKind::kCodeSystem, m->system) : &m->version;
    if (ver == nullptr) return Status::Ok();
    const Header* h = FindHeader(ResourceKind::kCodeSystem, m->system, *ver);
    if (h == nullptr) return Status::Ok();
    std::string v;
    bool found = false;
    CW_RETURN_IF_ERROR(GetConcept(m->system, *ver, *h, m->code, &found, &v));
    if (!found) return Status::Ok();
    Decoder d(v);
    std::string_view stored_code, display;
    if (d.Str(&stored_code) && d.Str(&display)) m->display = display;
    return Status::Ok();
  }

  Result<std::vector<Match>> TranslateAll(std::string_view map_url, std::string_view src, std::string_view code,
                                          const TranslateOptions& o, std::string* negative) {
    std::vector<Match> out;
    std::vector<std::pair<std::string, std::string>> maps;  // (url, version)
    if (!map_url.empty()) {
      std::string url, version;
      CW_RETURN_IF_ERROR(Resolve(ResourceKind::kConceptMap, map_url, &url, &version));
      maps.emplace_back(std::move(url), std::move(version));
    } else {
      if (src.empty()) return InvalidArgument("translate needs a map URL or a source system");
      std::string prefix = o.reverse ? TargetIndexPrefix(src) : MapIndexPrefix(src);
      std::vector<std::string> urls;
      CW_RETURN_IF_ERROR(Scan(prefix, [&](std::string_view k, std::string_view) {
        urls.emplace_back(k.substr(prefix.size()));
        return true;
      }));
      if (!o.reverse) {  // maps with a group without a source answer for any source
        std::string any = MapIndexPrefix("");
        CW_RETURN_IF_ERROR(Scan(any, [&](std::string_view k, std::string_view) {
          std::string u(k.substr(any.size()));
          if (std::find(urls.begin(), urls.end(), u) == urls.end()) urls.push_back(std::move(u));
          return true;
        }));
      }
      std::sort(urls.begin(), urls.end());
      for (auto& u : urls) {
        const std::string* ver = Current(ResourceKind::kConceptMap, u);
        if (ver != nullptr) maps.emplace_back(std::move(u), *ver);
      }
    }
    for (const auto& [url, version] : maps) {
      if (o.reverse) {
        CW_RETURN_IF_ERROR(CollectReverse(url, version, src, code, o, &out));
      } else {
        CW_RETURN_IF_ERROR(CollectInMap(url, version, src, code, o, 0, &out, negative));
      }
    }
    // Best first: the rank of the equivalence (bit order), then document order.
    if (out.size() > 1) {  // (stable_sort allocates a buffer even for one element)
      std::stable_sort(out.begin(), out.end(), [](const Match& a, const Match& b) {
        return EquivalenceBit(a.equivalence) < EquivalenceBit(b.equivalence);
      });
    }
    for (auto& m : out) CW_RETURN_IF_ERROR(FillDisplay(&m));
    return out;
  }

  Result<Translation> Translate(std::string_view map_url, std::string_view src, std::string_view code,
                                std::string_view tgt) {
    size_t hash = HashKey(Query::kTranslate, map_url, src, code, tgt);
    CacheKey probe{hash, Query::kTranslate, map_url, src, code, tgt};
    if (const Entry* e = CacheFind(probe)) return e->translation;
    TranslateOptions o;
    o.target_system = tgt;
    std::string negative;
    CW_ASSIGN_OR_RETURN(std::vector<Match> all, TranslateAll(map_url, src, code, o, &negative));
    auto e = std::make_shared<Entry>();
    EntryBuilder b;
    auto ra = b.Add(map_url), rb = b.Add(src), rc = b.Add(code), rd = b.Add(tgt);
    if (all.empty()) {
      Translation t;
      t.equivalence = StaticEquivalence(negative);
      if (!AdmitNegative()) return t;
      b.Finish(e.get(), Query::kTranslate, hash, ra, rb, rc, rd);
      e->translation = t;
      return CacheInsert(std::move(e))->translation;
    }
    const Match& m = all.front();
    size_t bytes = map_url.size() + src.size() + code.size() + tgt.size() + m.system.size() + m.code.size() +
                   m.display.size() + m.equivalence.size() + m.map_url.size() + m.map_version.size();
    for (const auto& p : m.product) bytes += p.property.size() + p.system.size() + p.value.size() + p.display.size();
    b.Reserve(bytes);
    auto r1 = b.Add(m.system), r2 = b.Add(m.code), r3 = b.Add(m.display), r4 = b.Add(m.equivalence),
         r5 = b.Add(m.map_url), r6 = b.Add(m.map_version);
    std::vector<std::array<EntryBuilder::Ref, 4>> prefs;
    for (const auto& p : m.product) prefs.push_back({b.Add(p.property), b.Add(p.system), b.Add(p.value), b.Add(p.display)});
    b.Finish(e.get(), Query::kTranslate, hash, ra, rb, rc, rd);
    Entry* p = e.get();
    auto view = [p](EntryBuilder::Ref r) { return EntryBuilder::View(p, r); };
    p->present = true;
    for (const auto& r : prefs) p->product.push_back({view(r[0]), view(r[1]), view(r[2]), view(r[3])});
    p->translation = Translation{true, view(r1), view(r2), view(r3), view(r4), view(r5), view(r6), p->product};
    return CacheInsert(std::move(e))->translation;
  }

  Result<std::optional<Concept>> Lookup(std::string_view system, std::string_view code, std::string_view version,
                                        std::string_view display_language) {
    size_t hash = HashKey(Query::kLookup, system, version, code, display_language);
    CacheKey probe{hash, Query::kLookup, system, version, code, display_language};
    if (const Entry* e = CacheFind(probe)) {
      if (!e->present) return std::optional<Concept>();
      return std::optional<Concept>(e->concept_);
    }
    std::string_view ver = version;  // the current version's string lives while the store is not re-imported
    if (version.empty()) {
      const std::string* cur = Current(ResourceKind::kCodeSystem, system);
      if (cur == nullptr) return NotFound(fmt::format("no CodeSystem '{}' in the terminology store", system));
      ver = *cur;
    }
    const Header* h = FindHeader(ResourceKind::kCodeSystem, system, ver);
    if (h == nullptr) {
      return NotFound(fmt::format("no CodeSystem '{}' version '{}' in the terminology store", system, ver));
    }
    rocksdb::PinnableSlice v;
    bool found = false;
    CW_RETURN_IF_ERROR(GetConcept(system, ver, *h, code, &found, &v));
    auto e = std::make_shared<Entry>();
    EntryBuilder b;
    // Every string the entry keeps: the key's four, the version, and at most the record's bytes.
    b.Reserve(system.size() + version.size() + code.size() + display_language.size() + ver.size() + v.size());
    auto ra = b.Add(system), rb = b.Add(version), rc = b.Add(code), rl = b.Add(display_language);
    if (!found) {
      if (h->content != "complete" && h->content != "supplement") return Unknowable(system, *h);
      if (!AdmitNegative()) return std::optional<Concept>();
      b.Finish(e.get(), Query::kLookup, hash, ra, rb, rc, rl);
      CacheInsert(std::move(e));
      return std::optional<Concept>();
    }
    Decoder d(std::string_view(v.data(), v.size()));
    std::string_view stored_code, display, status;
    if (!d.Str(&stored_code) || !d.Str(&display) || !d.Str(&status)) return Corrupt("terminology store: bad concept");
    auto rver = b.Add(ver), rcode = b.Add(stored_code), rdisp = b.Add(display), rstat = b.Add(status);
    std::vector<std::array<EntryBuilder::Ref, 4>> drefs;
    std::vector<std::array<EntryBuilder::Ref, 3>> prefs;
    // Designations and properties of one concept record (after its code, display and status).
    auto add_lists = [&](Decoder& dec) -> Status {
      uint64_t nd = 0, np = 0;
      if (!dec.U64(&nd)) return Corrupt("terminology store: bad concept");
      for (uint64_t i = 0; i < nd; ++i) {
        std::array<std::string_view, 4> f;
        for (auto& x : f) {
          if (!dec.Str(&x)) return Corrupt("terminology store: bad concept");
        }
        drefs.push_back({b.Add(f[0]), b.Add(f[1]), b.Add(f[2]), b.Add(f[3])});
      }
      if (!dec.U64(&np)) return Corrupt("terminology store: bad concept");
      for (uint64_t i = 0; i < np; ++i) {
        std::array<std::string_view, 3> f;
        for (auto& x : f) {
          if (!dec.Str(&x)) return Corrupt("terminology store: bad concept");
        }
        prefs.push_back({b.Add(f[0]), b.Add(f[1]), b.Add(f[2])});
      }
      return Status::Ok();
    };
    CW_RETURN_IF_ERROR(add_lists(d));
    // Supplements of this system (and version): their record of the same code adds designations and
    // properties (R4: a supplement cannot add codes or change the display).
    if (auto it = supplements_of.find(system); it != supplements_of.end()) {
      for (const SupplementRef& sup : it->second) {
        if (!sup.base_version.empty() && sup.base_version != ver) continue;
        const Header* sh = FindHeader(ResourceKind::kCodeSystem, sup.url, sup.version);
        if (sh == nullptr) continue;
        std::string sv;
        bool sfound = false;
        CW_RETURN_IF_ERROR(GetConcept(sup.url, sup.version, *sh, stored_code, &sfound, &sv));
        if (!sfound) continue;
        Decoder sd(sv);
        std::string_view skip;
        if (!sd.Str(&skip) || !sd.Str(&skip) || !sd.Str(&skip)) return Corrupt("terminology store: bad concept");
        CW_RETURN_IF_ERROR(add_lists(sd));
      }
    }
    b.Finish(e.get(), Query::kLookup, hash, ra, rb, rc, rl);
    Entry* p = e.get();
    auto view = [p](EntryBuilder::Ref r) { return EntryBuilder::View(p, r); };
    p->present = true;
    for (const auto& r : drefs) p->designations.push_back({view(r[0]), view(r[1]), view(r[2]), view(r[3])});
    for (const auto& r : prefs) p->properties.push_back({view(r[0]), view(r[1]), view(r[2])});
    p->concept_ = Concept{view(ra), view(rver), view(rcode), view(rdisp), view(rstat), p->designations,
                          p->properties, {}};
    if (!display_language.empty()) {
      if (const Designation* best = DisplayDesignation(p->designations, display_language)) {
        p->concept_.display = best->value;
        p->concept_.display_language = best->language;
      }
    }
    const Entry* got = CacheInsert(std::move(e));
    return std::optional<Concept>(got->concept_);
  }

  Status Import(const std::vector<std::string>& files, const ImportOptions& options, ImportReport* report);
};

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

const std::string& Store::dir() const { return impl_->dir; }

Result<std::unique_ptr<Store>> Store::Open(const std::string& dir, const OpenOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->dir = dir;
  impl->open_options = options;
  rocksdb::Options opts;
  opts.create_if_missing = !options.read_only && options.create_if_missing;
  rocksdb::BlockBasedTableOptions table;
  if (options.block_cache_bytes > 0) {
    impl->block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
    table.block_cache = impl->block_cache;
  }
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  // Point reads find their key in a data block through a hash index instead of a binary search and a
  // scan (files written from now on; older files keep the binary index, which this build still reads).
  table.data_block_index_type = rocksdb::BlockBasedTableOptions::kDataBlockBinaryAndHash;
  table.data_block_hash_table_util_ratio = 0.75;
  opts.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  // Every write is flushed by Commit; a memtable left at close holds only a failed commit's batch.
  opts.avoid_flush_during_shutdown = true;
  opts.info_log = std::make_shared<NullLogger>();
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s;
  if (options.read_only) {
    rocksdb::Env* env = rocksdb::Env::Default();
    if (!env->FileExists(dir + "/CURRENT").ok()) {
      return NotFound(fmt::format("no terminology store in '{}'", dir));
    }
    s = rocksdb::DB::OpenForReadOnly(opts, dir, &raw);
  } else {
    s = rocksdb::DB::Open(opts, dir, &raw);
  }
  if (!s.ok()) {
    if (!options.read_only && !options.create_if_missing && s.IsInvalidArgument()) {
      return NotFound(fmt::format("no terminology store in '{}'", dir));
    }
    return FromRocks(s, fmt::format("cannot open terminology store '{}'", dir));
  }
  impl->db.reset(raw);
  impl->db_options = opts;
  std::string format;
  CW_ASSIGN_OR_RETURN(bool has_format, impl->Get(std::string(kFormatKey), &format));
  if (!has_format) {
    bool empty = true;
    CW_RETURN_IF_ERROR(impl->Scan("", [&](std::string_view, std::string_view) {
      empty = false;
      return false;
    }));
    if (!empty) return Corrupt(fmt::format("'{}' is a RocksDB directory but not a Crosswalk terminology store", dir));
    if (!options.read_only) {
      rocksdb::WriteBatch batch;
      CW_RETURN_IF_ERROR(FromRocks(batch.Put(std::string(kFormatKey), std::string(kFormatValue)), "write batch"));
      CW_RETURN_IF_ERROR(impl->Commit(&batch));
    }
  } else if (format != kFormatValue) {
    return Corrupt(fmt::format("terminology store '{}' has key layout '{}', this build reads '{}'", dir, format,
                               kFormatValue));
  }
  CW_RETURN_IF_ERROR(impl->LoadState());
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Result<Translation> Store::Translate(std::string_view map_url, std::string_view source_system,
                                     std::string_view code, std::string_view target_system) {
  return impl_->Translate(map_url, source_system, code, target_system);
}

Result<std::vector<Match>> Store::TranslateAll(std::string_view map_url, std::string_view source_system,
                                               std::string_view code, const TranslateOptions& options) {
  std::string negative;
  return impl_->TranslateAll(map_url, source_system, code, options, &negative);
}

Result<CodeValidation> Store::ValidateCode(std::string_view system, std::string_view code, std::string_view display,
                                           std::string_view valueset_url) {
  CodeValidation out;
  CW_ASSIGN_OR_RETURN(bool member, impl_->Validate(system, code, valueset_url));
  if (!member) {
    out.message = valueset_url.empty() ? "the code is not in the code system" : "the code is not in the value set";
    return out;
  }
  out.valid = true;
  if (system.empty()) return out;  // membership in any system of the value set: no one concept to describe
  auto concept_ = impl_->Lookup(system, code, {}, {});
  if (!concept_.ok()) {
    // A listed code of a code system the store lacks: valid as listed, nothing more known.
    if (concept_.status().code() == StatusCode::kNotFound) return out;
    return concept_.status();
  }
  if (!concept_->has_value()) return out;
  const Concept& c = **concept_;
  out.display = c.display;
  out.version = c.version;
  out.inactive = c.status != "active";
  if (!display.empty()) {
    bool matches = display == c.display;
    for (const auto& d : c.designations) matches = matches || display == d.value;
    if (!matches) {
      out.valid = false;
      out.message = "the display does not match the concept's display or any of its designations";
      return out;
    }
  }
  if (out.inactive) out.message = "the concept is inactive";
  return out;
}

Result<Subsumption> Store::Subsumes(std::string_view system, std::string_view code_a, std::string_view code_b,
                                    std::string_view version) {
  std::string ver(version);
  if (ver.empty()) {
    const std::string* cur = impl_->Current(ResourceKind::kCodeSystem, system);
    if (cur == nullptr) return NotFound(fmt::format("no CodeSystem '{}' in the terminology store", system));
    ver = *cur;
  }
  const Header* h = impl_->FindHeader(ResourceKind::kCodeSystem, system, ver);
  if (h == nullptr) return NotFound(fmt::format("no CodeSystem '{}' version '{}' in the terminology store", system, ver));
  for (auto code : {code_a, code_b}) {
    CW_ASSIGN_OR_RETURN(std::optional<Concept> known, impl_->Lookup(system, code, version, {}));  // cached
    if (!known) return NotFound(fmt::format("CodeSystem '{}' has no such code (code {} of 2)", system, code == code_a ? 1 : 2));
  }
  if (impl_->CodeKey(*h, code_a) == impl_->CodeKey(*h, code_b)) return Subsumption::kEquivalent;
  CW_ASSIGN_OR_RETURN(bool a_above, impl_->IsAncestor(system, ver, *h, code_a, code_b));
  if (a_above) return Subsumption::kSubsumes;
  CW_ASSIGN_OR_RETURN(bool b_above, impl_->IsAncestor(system, ver, *h, code_b, code_a));
  return b_above ? Subsumption::kSubsumedBy : Subsumption::kNotSubsumed;
}

namespace {

// ASCII-case-insensitive: does `text` contain `word` (already lower-cased)?
bool ContainsFolded(std::string_view text, std::string_view word) {
  if (word.empty()) return true;
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  auto it = std::search(text.begin(), text.end(), word.begin(), word.end(),
                        [&](char a, char b) { return lower(a) == b; });
  return it != text.end();
}

}  // namespace

Result<Expansion> Store::Expand(std::string_view valueset_url, const ExpandOptions& options) {
  std::map<std::pair<std::string, std::string>, ExpansionItem> all;
  CW_RETURN_IF_ERROR(impl_->Enumerate(valueset_url, 0, options.max_members, &all));
  std::vector<std::string> words;  // the filter's words, lower-cased
  {
    std::string folded = FoldCase(options.filter);
    size_t i = 0;
    while (i < folded.size()) {
      size_t start = folded.find_first_not_of(" \t\r\n", i);
      if (start == std::string::npos) break;
      size_t end = folded.find_first_of(" \t\r\n", start);
      if (end == std::string::npos) end = folded.size();
      words.push_back(folded.substr(start, end - start));
      i = end;
    }
  }
  Expansion out;
  if (!options.display_language.empty()) out.parameters.emplace_back("displayLanguage", options.display_language);
  if (options.active_only) out.parameters.emplace_back("activeOnly", "true");
  if (!words.empty()) out.parameters.emplace_back("filter", options.filter);
  bool per_member = options.active_only || !options.display_language.empty();
  for (auto& [key, item] : all) {
    if (per_member) {
      auto concept_or = impl_->Lookup(item.system, item.code, item.version, options.display_language);
      if (!concept_or.ok() || !concept_or->has_value()) {
        if (options.active_only) {
          std::string why = concept_or.ok() ? "the code system lacks it" : std::string(concept_or.status().message());
          return FailedPrecondition(fmt::format(
              "$expand activeOnly: cannot tell whether a member of ValueSet '{}' in '{}' is active ({})",
              valueset_url, item.system, why));
        }
      } else {
        const Concept& c = **concept_or;
        if (options.active_only && c.status != "active") continue;
        if (!c.display_language.empty()) item.display = std::string(c.display);
      }
    }
    bool keep = true;
    for (const auto& w : words) {
      if (!ContainsFolded(item.code, w) && !ContainsFolded(item.display, w)) {
        keep = false;
        break;
      }
    }
    if (!keep) continue;
    if (out.total++ < options.offset) continue;
    if (out.items.size() < options.count) out.items.push_back(std::move(item));
  }
  return out;
}

Result<std::optional<Concept>> Store::Lookup(std::string_view system, std::string_view code,
                                             std::string_view version, std::string_view display_language) {
  return impl_->Lookup(system, code, version, display_language);
}

Result<bool> Store::Validate(std::string_view system, std::string_view code, std::string_view valueset_url) {
  return impl_->Validate(system, code, valueset_url);
}

Status Store::CheckHas(ResourceKind kind, std::string_view url, std::string_view version) {
  if (version.empty()) {
    if (impl_->Current(kind, url) != nullptr) return Status::Ok();
    return NotFound(fmt::format("no {} '{}' in the terminology store '{}'", ResourceKindName(kind), url,
                                impl_->dir));
  }
  if (impl_->FindHeader(kind, url, version) != nullptr) return Status::Ok();
  return NotFound(fmt::format("no {} '{}' version '{}' in the terminology store '{}'", ResourceKindName(kind),
                              url, version, impl_->dir));
}

Result<Store::ResourceBinding> Store::Bind(ResourceKind kind, std::string_view url, std::string_view version) {
  CW_RETURN_IF_ERROR(CheckHas(kind, url, version));
  ResourceBinding b;
  if (version.empty()) {
    b.version = *impl_->Current(kind, url);  // CheckHas found it
  } else {
    b.version = version;
  }
  CW_ASSIGN_OR_RETURN(b.content_hash, impl_->ClosureHash(kind, std::string(url), b.version));
  return b;
}

Status Store::Checkpoint(const std::string& out_dir) const {
  std::error_code ec;
  if (std::filesystem::exists(out_dir, ec)) {
    return InvalidArgument(fmt::format("checkpoint target '{}' exists; name a new directory", out_dir));
  }
  std::string absolute = std::filesystem::absolute(out_dir, ec).string();
  if (ec) return IoError(fmt::format("checkpoint target '{}': {}", out_dir, ec.message()));
  auto attempt = [&](rocksdb::DB* db) -> Status {
    rocksdb::Checkpoint* raw = nullptr;
    CW_RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db, &raw), "checkpoint"));
    std::unique_ptr<rocksdb::Checkpoint> cp(raw);
    // No flush: every commit of this store is flushed (or ingested) already, so the memtable holds nothing
    // committed, and a read-only handle cannot flush.
    Status s = FromRocks(cp->CreateCheckpoint(absolute, std::numeric_limits<uint64_t>::max()),
                         fmt::format("cannot write the checkpoint '{}'", out_dir));
    if (!s.ok()) std::filesystem::remove_all(absolute, ec);
    return s;
  };
  if (!impl_->open_options.read_only) {
    CW_RETURN_IF_ERROR(impl_->RequireDb());
    return attempt(impl_->db.get());
  }
  // Read-only: another process may be importing. A fresh read-only handle sees the last commit (the
  // MANIFEST as of its open); the copy links that version's files. If the writer deletes one of them
  // meanwhile (the compaction after replacing a version), the link fails and a newer view is tried.
  Status last;
  for (int i = 0; i < kCheckpointAttempts; ++i) {
    rocksdb::DB* raw = nullptr;
    last = FromRocks(rocksdb::DB::OpenForReadOnly(impl_->db_options, impl_->dir, &raw),
                     fmt::format("cannot open terminology store '{}'", impl_->dir));
    if (!last.ok()) continue;
    std::unique_ptr<rocksdb::DB> db(raw);
    last = attempt(db.get());
    if (last.ok()) return last;
  }
  return last;
}

Stats Store::stats() const {
  Stats st;
  st.code_systems = impl_->current[0].size();
  st.value_sets = impl_->current[1].size();
  st.concept_maps = impl_->current[2].size();
  st.code_system_versions = impl_->headers[0].size();
  st.value_set_versions = impl_->headers[1].size();
  st.concept_map_versions = impl_->headers[2].size();
  for (const auto& [k, h] : impl_->headers[0]) st.concepts += h.entries;
  for (const auto& [k, h] : impl_->headers[2]) st.map_elements += h.entries;
  for (const auto& s : impl_->shards) {
    std::shared_lock lock(s.mu);
    st.cache_entries += s.map.size();
    st.cache_bytes += s.bytes;
    st.cache_hits += s.hits.load(std::memory_order_relaxed);
    st.cache_misses += s.misses.load(std::memory_order_relaxed);
    st.cache_evictions += s.evictions.load(std::memory_order_relaxed);
  }
  if (impl_->db) {
    uint64_t v = 0;
    if (impl_->db->GetIntProperty("rocksdb.estimate-table-readers-mem", &v)) st.store_memory_bytes += v;
    if (impl_->db->GetIntProperty("rocksdb.cur-size-all-mem-tables", &v)) st.store_memory_bytes += v;
    if (impl_->block_cache) st.store_memory_bytes += impl_->block_cache->GetUsage();
  }
  return st;
}

Result<std::vector<ResourceInfo>> Store::List() const {
  std::vector<ResourceInfo> out;
  for (size_t k = 0; k < 3; ++k) {
    for (const auto& [key, h] : impl_->headers[k]) {
      ResourceInfo info;
      info.kind = static_cast<ResourceKind>(k);
      size_t nul = key.find('\0');
      info.url = key.substr(0, nul);
      info.version = key.substr(nul + 1);
      info.name = h.name;
      info.title = h.title;
      info.entries = h.entries;
      const std::string* cur = impl_->Current(info.kind, info.url);
      info.current = cur != nullptr && *cur == info.version;
      const auto& hashes = impl_->content_hashes[k];
      if (auto it = hashes.find(key); it != hashes.end()) {
        info.has_content_hash = true;
        info.content_hash = it->second;
      }
      out.push_back(std::move(info));
    }
  }
  return out;
}

Status Store::Import(const std::vector<std::string>& files, const ImportOptions& options, ImportReport* report) {
  Status s = impl_->Import(files, options, report);
  // A write error of the sink (run or SST files) or of the commit: say that the store is as it was.
  constexpr std::string_view kWrite = "cannot write the terminology store", kNothing = "; nothing was imported";
  std::string_view m = s.message();
  if (!s.ok() && m.substr(0, kWrite.size()) == kWrite &&
      (m.size() < kNothing.size() || m.substr(m.size() - kNothing.size()) != kNothing)) {
    return Status(s.code(), fmt::format("{}{}", m, kNothing));
  }
  return s;
}

Status Store::Impl::Import(const std::vector<std::string>& files, const ImportOptions& options,
                           ImportReport* report) {
  if (open_options.read_only) {
    return FailedPrecondition(fmt::format("terminology store '{}' is open read-only; cannot import", dir));
  }
  ImportReport local_report;
  ImportReport& rep = report != nullptr ? *report : local_report;
  rep = ImportReport{};

  // 1. Parse everything. Nothing is written unless every file is good. Records go through a bounded buffer
  // into sorted runs on disk (ImportSink, in a folder inside the store directory); a CodeSystem document's
  // concepts go there as they are parsed.
  ImportSink sink(dir + "/" + kImportTmpDir, db_options, kImportBufferBytes);
  std::vector<Resource> parsed;
  std::vector<std::pair<std::string, ReleaseFormat>> release;
  ImportProgress prog;
  auto count = [&](size_t before) {
    for (size_t i = before; i < parsed.size(); ++i) {
      ++prog.resources;
      prog.concepts += parsed[i].entries();
    }
    if (options.progress) options.progress(prog);
  };
  for (const auto& file : files) {
    ReleaseFormat format = DetectReleaseFormat(file);
    if (format != ReleaseFormat::kNone) {
      release.emplace_back(file, format);
      continue;
    }
    prog.file = file;
    size_t before = parsed.size();
    auto on_bytes = [&](uint64_t done, uint64_t total) {
      prog.bytes_done = done;
      prog.bytes_total = total;
      if (options.progress) options.progress(prog);
    };
    CW_RETURN_IF_ERROR(ParseFile(file, options, &sink, &parsed, on_bytes));
    count(before);
  }
  if (!release.empty()) {
    prog.file = release.front().first;
    prog.bytes_done = prog.bytes_total = 0;
    if (options.progress) options.progress(prog);
    size_t before = parsed.size();
    CW_RETURN_IF_ERROR(ParseReleaseFiles(release, &sink, options.sort_buffer_bytes, &parsed));
    count(before);
  }

  // 2. A (kind, url, version) given twice: the last one wins (a streamed one's records are dropped).
  std::map<std::tuple<int, std::string, std::string>, size_t> last;
  for (size_t i = 0; i < parsed.size(); ++i) {
    last[{static_cast<int>(parsed[i].kind), parsed[i].url, parsed[i].version}] = i;
  }
  for (size_t i = 0; i < parsed.size(); ++i) {
    if (parsed[i].owner != 0 && last[{static_cast<int>(parsed[i].kind), parsed[i].url, parsed[i].version}] != i) {
      sink.Drop(parsed[i].owner);
    }
  }

  // 3. Every record into the sink.
  uint64_t held = 0;
  for (const auto& r : parsed) held += r.held_entries();
  sink.NoteHeld(held);
  auto put = [&](const std::string& k, const std::string& v) { return sink.Put(0, k, v); };
  // (kind, url) -> versions imported now, for the current-version pointers.
  std::map<std::pair<int, std::string>, std::vector<std::string>> imported_versions;
  std::map<std::pair<int, std::string>, std::string> algorithms;  // declared version orderings
  std::vector<std::string> replaced_prefixes;  // compacted after the commit
  for (size_t i = 0; i < parsed.size(); ++i) {
    Resource& r = parsed[i];
    if (last[{static_cast<int>(r.kind), r.url, r.version}] != i) continue;
    ImportReport::Item item{r.kind, r.url, r.version, r.entries(), false};
    std::string hkey = HeaderKey(r.kind, r.url, r.version);
    CW_ASSIGN_OR_RETURN(bool exists, Get(hkey, nullptr));
    item.replaced = exists;
    if (exists) {
      // Remove every record of this version: one range deletion per record family (no scan of the old
      // keys); the new version's records, in the same SST file, are newer than the tombstone.
      if (const Header* old = FindHeader(r.kind, r.url, r.version)) rep.keys_deleted += old->entries;
      for (const auto& prefix : RecordPrefixes(r.kind, r.url, r.version)) {
        std::string upper = prefix;
        upper.back() = static_cast<char>(static_cast<uint8_t>(upper.back()) + 1);  // prefixes end in '\0'
        sink.DeleteRange(prefix, upper);
        replaced_prefixes.push_back(prefix);
      }
    }
    Header h{r.name, r.title, r.entries(), 0, "", r.version_algorithm, {}};
    switch (r.kind) {
      case ResourceKind::kCodeSystem: {
        h.content = r.content;
        if (r.content == "supplement") h.supplements = r.supplements;
        if (!r.case_sensitive) h.flags |= kHeaderCaseInsensitive;
        bool hierarchy = r.streamed_hierarchy;
        for (const auto& c : r.concepts) {
          CW_RETURN_IF_ERROR(EmitConcept(&sink, 0, r.url, r.version, r.case_sensitive, c, &hierarchy));
        }
        if (hierarchy) h.flags |= kHeaderHasHierarchy;
        break;
      }
      case ResourceKind::kValueSet:
        if (r.has_expansion) h.flags |= kHeaderHasExpansion;
        if (r.owner != 0) break;  // compose and expansion went to the sink while parsing (SpillResource)
        CW_RETURN_IF_ERROR(put(ComposeKey(r.url, r.version), EncodeCompose(r.includes, r.excludes)));
        for (const auto& e : r.expansion) {
          CW_RETURN_IF_ERROR(put(ExpansionKey(r.url, r.version, e.code, e.system), e.display));
        }
        break;
      case ResourceKind::kConceptMap: {
        std::map<std::string, bool> sources, targets;
        for (const auto& el : r.elements) CW_RETURN_IF_ERROR(EmitMapElement(&sink, 0, r.url, r.version, el));
        for (const auto& g : r.groups) {
          sources[g.source] = true;
          if (!g.target.empty()) targets[g.target] = true;
        }
        CW_RETURN_IF_ERROR(put(GroupsKey(r.url, r.version), EncodeGroups(r.groups)));
        for (const auto& [src, unused] : sources) CW_RETURN_IF_ERROR(put(MapIndexKey(src, r.url), ""));
        for (const auto& [tgt, unused] : targets) CW_RETURN_IF_ERROR(put(TargetIndexKey(tgt, r.url), ""));
        break;
      }
    }
    CW_RETURN_IF_ERROR(put(hkey, EncodeHeader(h)));
    imported_versions[{static_cast<int>(r.kind), r.url}].push_back(r.version);
    if (!r.version_algorithm.empty()) algorithms[{static_cast<int>(r.kind), r.url}] = r.version_algorithm;
    rep.items.push_back(std::move(item));
    // The sink holds this resource's records now; its parsed form can go (peak memory).
    std::vector<ConceptRec>().swap(r.concepts);
    std::vector<MapElementRec>().swap(r.elements);
  }

  // 4. Current-version pointers (ImportOptions::current), by the version ordering the imported resource
  // declares (else the one the current version declared, else natural order).
  for (const auto& [kind_url, versions] : imported_versions) {
    auto kind = static_cast<ResourceKind>(kind_url.first);
    const std::string& url = kind_url.second;
    const std::string* existing = Current(kind, url);
    std::string chosen;
    if (options.current == ImportOptions::CurrentPolicy::kImported) {
      chosen = versions.back();
    } else if (options.current == ImportOptions::CurrentPolicy::kKeep && existing != nullptr) {
      continue;
    } else {
      // The highest of the stored versions and the imported ones.
      std::string algorithm = algorithms[kind_url];
      if (algorithm.empty() && existing != nullptr) {
        if (const Header* h = FindHeader(kind, url, *existing)) algorithm = h->version_algorithm;
      }
      bool any = false;
      auto consider = [&](const std::string& v) {
        if (!any || CompareVersionsBy(algorithm, v, chosen) > 0) chosen = v;
        any = true;
      };
      for (const auto& v : versions) consider(v);
      const auto& hs = headers[static_cast<size_t>(kind)];
      std::string prefix = url + std::string(1, '\0');
      for (auto it = hs.lower_bound(prefix); it != hs.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
        consider(it->first.substr(prefix.size()));
      }
    }
    if (existing != nullptr && *existing == chosen) continue;
    CW_RETURN_IF_ERROR(put(PointerKey(kind, url), chosen));
  }

  // 5. Merge the runs into sorted SST files, then one atomic commit (see CommitFiles).
  prog.file = {};
  prog.writing = true;
  if (options.progress) options.progress(prog);
  ContentHasher hasher;
  CW_ASSIGN_OR_RETURN(std::vector<std::string> sst_files, sink.Finish(nullptr, &hasher));
  rep.keys_written = sink.puts_written();
  rep.peak_held_entries = sink.peak_held();
  rep.peak_sort_bytes = sink.peak_sort_bytes();
  if (options.before_commit) CW_RETURN_IF_ERROR(options.before_commit());
  CW_RETURN_IF_ERROR(CommitFiles(sst_files));
  // A replaced version's old records are tombstones now: compact their ranges so the store does not keep
  // both versions until a later compaction. The import is committed; a failure here only delays that.
  for (const auto& prefix : replaced_prefixes) {
    std::string upper = prefix;
    upper.back() = static_cast<char>(static_cast<uint8_t>(upper.back()) + 1);  // prefixes end in '\0'
    rocksdb::Slice begin(prefix), end(upper);
    rocksdb::CompactRangeOptions co;
    co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
    (void)db->CompactRange(co, &begin, &end);
  }
  RetireCache();
  return LoadState();
}

}  // namespace crosswalk::term
