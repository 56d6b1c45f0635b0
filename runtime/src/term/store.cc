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
#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include "crosswalk/terminology.h"
#include "term/model.h"

namespace crosswalk::term {
namespace {

constexpr size_t kShards = 64;
constexpr int kMaxOtherMapDepth = 4;

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

size_t HashKey(Query q, std::string_view a, std::string_view b, std::string_view c, std::string_view d) {
  std::hash<std::string_view> h;
  size_t x = static_cast<size_t>(q) * 0x9E3779B97F4A7C15ull;
  for (std::string_view s : {a, b, c, d}) {
    x ^= h(s) + 0x9E3779B97F4A7C15ull + (x << 6) + (x >> 2);
  }
  return x;
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
};

// Collects the strings of an Entry, then hands out views once they sit in their final place.
class EntryBuilder {
 public:
  struct Ref {
    size_t off = 0, len = 0;
  };
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
  std::unordered_map<CacheKey, const Entry*, CacheKeyHash> map;
  std::vector<std::unique_ptr<Entry>> owned;  // freed only with the Store
  std::atomic<uint64_t> hits{0};
  std::atomic<uint64_t> misses{0};
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

// Translation computed on a miss, owning its strings.
struct TOut {
  bool found = false;
  std::string system, code, display, equivalence, map_url, map_version;
};

bool StartsWith(const rocksdb::Slice& s, std::string_view p) {
  return s.size() >= p.size() && std::memcmp(s.data(), p.data(), p.size()) == 0;
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

  std::array<Shard, kShards> shards;
  std::atomic<uint64_t> negative_entries{0};

  // ---- RocksDB helpers ----

  Status RequireDb() const {
    if (db) return Status::Ok();
    return FailedPrecondition(fmt::format(
        "terminology store '{}' was closed after a failed import and could not be reopened; open it again", dir));
  }

  Result<bool> Get(const std::string& key, std::string* value) const {
    CW_RETURN_IF_ERROR(RequireDb());
    rocksdb::PinnableSlice v;
    rocksdb::Status s = db->Get(rocksdb::ReadOptions(), db->DefaultColumnFamily(), key, &v);
    if (s.IsNotFound()) return false;
    if (!s.ok()) return FromRocks(s, "terminology store read");
    if (value != nullptr) value->assign(v.data(), v.size());
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
    if (s.ok()) return s;
    db.reset();
    rocksdb::DB* raw = nullptr;
    rocksdb::Status reopen = rocksdb::DB::Open(db_options, dir, &raw);
    if (reopen.ok()) {
      db.reset(raw);
      return s;
    }
    return Status(s.code(), fmt::format("{} (the store is unchanged on disk; this handle is closed)", s.message()));
  }

  Status LoadState() {
    for (auto& c : current) c.clear();
    for (auto& h : headers) h.clear();
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
    return bad;
  }

  const std::string* Current(ResourceKind kind, std::string_view url) const {
    const auto& m = current[static_cast<size_t>(kind)];
    auto it = m.find(url);
    return it == m.end() ? nullptr : &it->second;
  }

  const Header* FindHeader(ResourceKind kind, std::string_view url, std::string_view version) const {
    const auto& m = headers[static_cast<size_t>(kind)];
    auto it = m.find(VersionKey(url, version));
    return it == m.end() ? nullptr : &it->second;
  }

  // ---- cache ----

  Shard& ShardFor(size_t hash) { return shards[(hash >> 7) % kShards]; }

  const Entry* CacheFind(const CacheKey& key) {
    Shard& s = ShardFor(key.hash);
    std::shared_lock lock(s.mu);
    auto it = s.map.find(key);
    if (it == s.map.end()) {
      s.misses.fetch_add(1, std::memory_order_relaxed);
      return nullptr;
    }
    s.hits.fetch_add(1, std::memory_order_relaxed);
    return it->second;
  }

  // Inserts (or finds the equal entry another thread inserted first).
  const Entry* CacheInsert(std::unique_ptr<Entry> e) {
    Shard& s = ShardFor(e->key.hash);
    std::unique_lock lock(s.mu);
    auto it = s.map.find(e->key);
    if (it != s.map.end()) return it->second;
    const Entry* p = e.get();
    s.map.emplace(p->key, p);
    s.owned.push_back(std::move(e));
    return p;
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
      s.map.clear();  // entries stay owned: views handed out remain valid
    }
    negative_entries.store(0);
  }

  // ---- queries (miss paths) ----

  Result<bool> HasConcept(std::string_view system, std::string_view version, std::string_view code) {
    return Get(ConceptKey(system, version, code), nullptr);
  }

  Status FillDisplay(TOut* out) {
    if (!out->display.empty() || out->code.empty()) return Status::Ok();
    const std::string* ver = Current(ResourceKind::kCodeSystem, out->system);
    if (ver == nullptr) return Status::Ok();
    std::string v;
    CW_ASSIGN_OR_RETURN(bool found, Get(ConceptKey(out->system, *ver, out->code), &v));
    if (!found) return Status::Ok();
    Decoder d(v);
    std::string_view display;
    if (d.Str(&display)) out->display = display;
    return Status::Ok();
  }

  Result<TOut> TranslateInMap(std::string_view url, const std::string& version, std::string_view src,
                              std::string_view code, std::string_view tgt, int depth) {
    TOut out;
    std::string v;
    CW_ASSIGN_OR_RETURN(bool has_element, Get(MapKey(url, version, src, code), &v));
    if (has_element) {
      Decoder d(v);
      uint64_t n = 0;
      if (!d.U64(&n)) return Corrupt("terminology store: bad map record");
      for (uint64_t i = 0; i < n; ++i) {
        std::string_view sys, c, disp, eq;
        if (!d.Str(&sys) || !d.Str(&c) || !d.Str(&disp) || !d.Str(&eq)) {
          return Corrupt("terminology store: bad map record");
        }
        if (!tgt.empty() && sys != tgt) continue;
        if (IsNegativeEquivalence(eq)) {
          if (out.equivalence.empty()) out.equivalence = eq;
          continue;
        }
        out.found = true;
        out.system = sys;
        out.code = c;
        out.display = disp;
        out.equivalence = eq;
        break;
      }
    }
    if (!out.found) {
      // The group's unmapped rule (one per source/target system pair).
      std::vector<std::pair<std::string, std::string>> rules;
      CW_RETURN_IF_ERROR(Scan(UnmappedPrefix(url, version, src), [&](std::string_view k, std::string_view val) {
        rules.emplace_back(std::string(k.substr(UnmappedPrefix(url, version, src).size())), std::string(val));
        return true;
      }));
      for (const auto& [target_system, val] : rules) {
        Decoder d(val);
        std::string_view mode, ucode, udisplay, uurl;
        if (!d.Str(&mode) || !d.Str(&ucode) || !d.Str(&udisplay) || !d.Str(&uurl)) {
          return Corrupt("terminology store: bad unmapped record");
        }
        if (mode == "other-map") {
          if (depth >= kMaxOtherMapDepth) {
            return LimitExceeded(fmt::format("ConceptMap {}: unmapped other-map chain deeper than {}", url,
                                             kMaxOtherMapDepth));
          }
          CW_ASSIGN_OR_RETURN(TOut other, TranslateUncached(uurl, src, code, tgt, depth + 1));
          if (other.found) return other;
          continue;
        }
        if (!tgt.empty() && target_system != tgt) continue;
        out.found = true;
        out.system = target_system;
        if (mode == "provided") {
          out.code = code;
          out.equivalence = "unmapped-provided";
        } else {
          out.code = ucode;
          out.display = udisplay;
          out.equivalence = "unmapped-fixed";
        }
        break;
      }
    }
    if (out.found) {
      out.map_url = url;
      out.map_version = version;
      CW_RETURN_IF_ERROR(FillDisplay(&out));
    }
    return out;
  }

  // The source systems of a map's groups, in key order: one seek per group (keys are
  // prefix + system + '\0' + code, so the next group starts after system + '\1').
  Status SourceSystems(std::string_view url, const std::string& version, std::vector<std::string>* out) const {
    CW_RETURN_IF_ERROR(RequireDb());
    std::string prefix = RecordPrefix(ResourceKind::kConceptMap, url, version);
    rocksdb::ReadOptions ro;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro));
    std::string target = prefix;
    for (it->Seek(target); it->Valid(); it->Seek(target)) {
      std::string_view key(it->key().data(), it->key().size());
      if (key.substr(0, prefix.size()) != prefix) break;
      std::string_view rest = key.substr(prefix.size());
      size_t end = rest.find('\0');
      if (end == std::string_view::npos) break;
      out->emplace_back(rest.substr(0, end));
      target = prefix + out->back() + '\1';
    }
    return FromRocks(it->status(), "terminology store scan");
  }

  // Translate within one map version; an empty source system tries each of the map's groups in order.
  Result<TOut> TranslateAnySource(std::string_view url, const std::string& version, std::string_view src,
                                  std::string_view code, std::string_view tgt, int depth) {
    if (!src.empty()) return TranslateInMap(url, version, src, code, tgt, depth);
    std::vector<std::string> systems;
    CW_RETURN_IF_ERROR(SourceSystems(url, version, &systems));
    TOut negative;
    for (const auto& system : systems) {
      CW_ASSIGN_OR_RETURN(TOut r, TranslateInMap(url, version, system, code, tgt, depth));
      if (r.found) return r;
      if (negative.equivalence.empty()) negative.equivalence = r.equivalence;
    }
    return negative;
  }

  Result<TOut> TranslateUncached(std::string_view map_url, std::string_view src, std::string_view code,
                                 std::string_view tgt, int depth) {
    if (!map_url.empty()) {
      // A canonical "url|version" names a version; a plain URL uses the current one.
      size_t bar = map_url.find('|');
      if (bar != std::string_view::npos) {
        return TranslateAnySource(map_url.substr(0, bar), std::string(map_url.substr(bar + 1)), src, code, tgt,
                                  depth);
      }
      const std::string* ver = Current(ResourceKind::kConceptMap, map_url);
      if (ver == nullptr) return NotFound(fmt::format("no ConceptMap '{}' in the terminology store", map_url));
      return TranslateAnySource(map_url, *ver, src, code, tgt, depth);
    }
    std::vector<std::string> candidates;
    std::string prefix = MapIndexPrefix(src);
    CW_RETURN_IF_ERROR(Scan(prefix, [&](std::string_view k, std::string_view) {
      candidates.emplace_back(k.substr(prefix.size()));
      return true;
    }));
    TOut negative;
    for (const auto& url : candidates) {  // byte order of URL (RocksDB key order)
      const std::string* ver = Current(ResourceKind::kConceptMap, url);
      if (ver == nullptr) continue;
      CW_ASSIGN_OR_RETURN(TOut r, TranslateInMap(url, *ver, src, code, tgt, depth));
      if (r.found) return r;
      if (negative.equivalence.empty()) negative.equivalence = r.equivalence;
    }
    return negative;
  }

  Result<Translation> Translate(std::string_view map_url, std::string_view src, std::string_view code,
                                std::string_view tgt) {
    size_t hash = HashKey(Query::kTranslate, map_url, src, code, tgt);
    CacheKey probe{hash, Query::kTranslate, map_url, src, code, tgt};
    if (const Entry* e = CacheFind(probe)) return e->translation;
    CW_ASSIGN_OR_RETURN(TOut out, TranslateUncached(map_url, src, code, tgt, 0));
    if (!out.found) {
      Translation t;
      t.equivalence = StaticEquivalence(out.equivalence);
      if (!AdmitNegative()) return t;
      auto e = std::make_unique<Entry>();
      EntryBuilder b;
      auto ra = b.Add(map_url), rb = b.Add(src), rc = b.Add(code), rd = b.Add(tgt);
      b.Finish(e.get(), Query::kTranslate, hash, ra, rb, rc, rd);
      e->translation = t;
      return CacheInsert(std::move(e))->translation;
    }
    auto e = std::make_unique<Entry>();
    EntryBuilder b;
    auto ra = b.Add(map_url), rb = b.Add(src), rc = b.Add(code), rd = b.Add(tgt);
    auto r1 = b.Add(out.system), r2 = b.Add(out.code), r3 = b.Add(out.display), r4 = b.Add(out.equivalence),
         r5 = b.Add(out.map_url), r6 = b.Add(out.map_version);
    b.Finish(e.get(), Query::kTranslate, hash, ra, rb, rc, rd);
    Entry* p = e.get();
    p->present = true;
    p->translation = Translation{true,
                                 EntryBuilder::View(p, r1),
                                 EntryBuilder::View(p, r2),
                                 EntryBuilder::View(p, r3),
                                 EntryBuilder::View(p, r4),
                                 EntryBuilder::View(p, r5),
                                 EntryBuilder::View(p, r6)};
    return CacheInsert(std::move(e))->translation;
  }

  Result<std::optional<Concept>> Lookup(std::string_view system, std::string_view code,
                                        std::string_view version) {
    size_t hash = HashKey(Query::kLookup, system, version, code, {});
    CacheKey probe{hash, Query::kLookup, system, version, code, {}};
    if (const Entry* e = CacheFind(probe)) {
      if (!e->present) return std::optional<Concept>();
      return std::optional<Concept>(e->concept_);
    }
    std::string ver;
    if (version.empty()) {
      const std::string* cur = Current(ResourceKind::kCodeSystem, system);
      if (cur == nullptr) return NotFound(fmt::format("no CodeSystem '{}' in the terminology store", system));
      ver = *cur;
    } else {
      if (FindHeader(ResourceKind::kCodeSystem, system, version) == nullptr) {
        return NotFound(fmt::format("no CodeSystem '{}' version '{}' in the terminology store", system, version));
      }
      ver = version;
    }
    std::string v;
    CW_ASSIGN_OR_RETURN(bool found, Get(ConceptKey(system, ver, code), &v));
    auto e = std::make_unique<Entry>();
    EntryBuilder b;
    auto ra = b.Add(system), rb = b.Add(version), rc = b.Add(code);
    if (!found) {
      if (!AdmitNegative()) return std::optional<Concept>();
      b.Finish(e.get(), Query::kLookup, hash, ra, rb, rc, {});
      CacheInsert(std::move(e));
      return std::optional<Concept>();
    }
    Decoder d(v);
    std::string_view display, status;
    uint64_t nd = 0, np = 0;
    if (!d.Str(&display) || !d.Str(&status) || !d.U64(&nd)) return Corrupt("terminology store: bad concept");
    auto rver = b.Add(ver), rdisp = b.Add(display), rstat = b.Add(status);
    std::vector<std::array<EntryBuilder::Ref, 4>> drefs;
    for (uint64_t i = 0; i < nd; ++i) {
      std::array<std::string_view, 4> f;
      for (auto& s : f) {
        if (!d.Str(&s)) return Corrupt("terminology store: bad concept");
      }
      drefs.push_back({b.Add(f[0]), b.Add(f[1]), b.Add(f[2]), b.Add(f[3])});
    }
    if (!d.U64(&np)) return Corrupt("terminology store: bad concept");
    std::vector<std::array<EntryBuilder::Ref, 3>> prefs;
    for (uint64_t i = 0; i < np; ++i) {
      std::array<std::string_view, 3> f;
      for (auto& s : f) {
        if (!d.Str(&s)) return Corrupt("terminology store: bad concept");
      }
      prefs.push_back({b.Add(f[0]), b.Add(f[1]), b.Add(f[2])});
    }
    b.Finish(e.get(), Query::kLookup, hash, ra, rb, rc, {});
    Entry* p = e.get();
    auto view = [p](EntryBuilder::Ref r) { return EntryBuilder::View(p, r); };
    p->present = true;
    for (const auto& r : drefs) p->designations.push_back({view(r[0]), view(r[1]), view(r[2]), view(r[3])});
    for (const auto& r : prefs) p->properties.push_back({view(r[0]), view(r[1]), view(r[2])});
    p->concept_ = Concept{view(ra), view(rver), view(rc), view(rdisp), view(rstat), p->designations,
                          p->properties};
    const Entry* got = CacheInsert(std::move(e));
    return std::optional<Concept>(got->concept_);
  }

  Result<bool> ValidateUncached(std::string_view system, std::string_view code, std::string_view vs) {
    if (vs.empty()) {
      const std::string* ver = Current(ResourceKind::kCodeSystem, system);
      if (ver == nullptr) return NotFound(fmt::format("no CodeSystem '{}' in the terminology store", system));
      return HasConcept(system, *ver, code);
    }
    const std::string* ver = Current(ResourceKind::kValueSet, vs);
    if (ver == nullptr) return NotFound(fmt::format("no ValueSet '{}' in the terminology store", vs));
    const Header* h = FindHeader(ResourceKind::kValueSet, vs, *ver);
    if (h == nullptr) return Corrupt(fmt::format("terminology store: ValueSet '{}' has no header", vs));
    if (h->flags & 1) return Get(VsRuleKey(vs, *ver, 'E', system, code), nullptr);
    CW_ASSIGN_OR_RETURN(bool excluded, Get(VsRuleKey(vs, *ver, 'X', system, code), nullptr));
    if (excluded) return false;
    CW_ASSIGN_OR_RETURN(bool excluded_system, Get(VsRuleKey(vs, *ver, 'X', system, ""), nullptr));
    if (excluded_system) return false;
    CW_ASSIGN_OR_RETURN(bool listed, Get(VsRuleKey(vs, *ver, 'I', system, code), nullptr));
    if (listed) return true;
    std::string system_version;
    CW_ASSIGN_OR_RETURN(bool whole, Get(VsRuleKey(vs, *ver, 'I', system, ""), &system_version));
    if (whole) {
      std::string cs_ver = system_version;
      if (cs_ver.empty()) {
        const std::string* cur = Current(ResourceKind::kCodeSystem, system);
        if (cur == nullptr) {
          return FailedPrecondition(fmt::format(
              "ValueSet '{}' includes all of CodeSystem '{}', which is not in the terminology store", vs, system));
        }
        cs_ver = *cur;
      } else if (FindHeader(ResourceKind::kCodeSystem, system, cs_ver) == nullptr) {
        return FailedPrecondition(fmt::format(
            "ValueSet '{}' includes CodeSystem '{}' version '{}', which is not in the terminology store", vs,
            system, cs_ver));
      }
      CW_ASSIGN_OR_RETURN(bool in_system, HasConcept(system, cs_ver, code));
      if (in_system) return true;
    }
    if (h->flags & 2) {
      return Unimplemented(fmt::format(
          "ValueSet '{}' uses compose filters or value-set includes, which the store does not evaluate", vs));
    }
    return false;
  }

  Result<bool> Validate(std::string_view system, std::string_view code, std::string_view vs) {
    size_t hash = HashKey(Query::kValidate, vs, system, code, {});
    CacheKey probe{hash, Query::kValidate, vs, system, code, {}};
    if (const Entry* e = CacheFind(probe)) return e->present;
    CW_ASSIGN_OR_RETURN(bool member, ValidateUncached(system, code, vs));
    if (!member && !AdmitNegative()) return false;
    auto e = std::make_unique<Entry>();
    EntryBuilder b;
    auto ra = b.Add(vs), rb = b.Add(system), rc = b.Add(code);
    b.Finish(e.get(), Query::kValidate, hash, ra, rb, rc, {});
    e->present = member;
    return CacheInsert(std::move(e))->present;
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

Result<std::optional<Concept>> Store::Lookup(std::string_view system, std::string_view code,
                                             std::string_view version) {
  return impl_->Lookup(system, code, version);
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
    st.cache_hits += s.hits.load(std::memory_order_relaxed);
    st.cache_misses += s.misses.load(std::memory_order_relaxed);
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
      out.push_back(std::move(info));
    }
  }
  return out;
}

Status Store::Import(const std::vector<std::string>& files, const ImportOptions& options, ImportReport* report) {
  return impl_->Import(files, options, report);
}

Status Store::Impl::Import(const std::vector<std::string>& files, const ImportOptions& options,
                           ImportReport* report) {
  if (open_options.read_only) {
    return FailedPrecondition(fmt::format("terminology store '{}' is open read-only; cannot import", dir));
  }
  ImportReport local_report;
  ImportReport& rep = report != nullptr ? *report : local_report;
  rep = ImportReport{};

  // 1. Parse everything. Nothing is written unless every file is good.
  std::vector<Resource> parsed;
  ImportProgress prog;
  for (const auto& file : files) {
    prog.file = file;
    size_t before = parsed.size();
    auto on_bytes = [&](uint64_t done, uint64_t total) {
      prog.bytes_done = done;
      prog.bytes_total = total;
      if (options.progress) options.progress(prog);
    };
    CW_RETURN_IF_ERROR(ParseFile(file, options, &parsed, on_bytes));
    for (size_t i = before; i < parsed.size(); ++i) {
      ++prog.resources;
      prog.concepts += parsed[i].entries();
    }
    if (options.progress) options.progress(prog);
  }

  // 2. A (kind, url, version) given twice: the last one wins.
  std::map<std::tuple<int, std::string, std::string>, size_t> last;
  for (size_t i = 0; i < parsed.size(); ++i) {
    last[{static_cast<int>(parsed[i].kind), parsed[i].url, parsed[i].version}] = i;
  }

  // 3. Build one write batch.
  rocksdb::WriteBatch batch;
  auto put = [&](const std::string& k, const std::string& v) {
    ++rep.keys_written;
    return FromRocks(batch.Put(k, v), "write batch");
  };
  std::map<std::pair<int, std::string>, bool> pointer_set;  // set in this batch
  for (size_t i = 0; i < parsed.size(); ++i) {
    const Resource& r = parsed[i];
    if (last[{static_cast<int>(r.kind), r.url, r.version}] != i) continue;
    ImportReport::Item item{r.kind, r.url, r.version, r.entries(), false};
    std::string hkey = HeaderKey(r.kind, r.url, r.version);
    CW_ASSIGN_OR_RETURN(bool exists, Get(hkey, nullptr));
    item.replaced = exists;
    if (exists) {
      // Remove every record of this version (the new one is written after, in the same batch).
      std::vector<std::string> old;
      CW_RETURN_IF_ERROR(Scan(RecordPrefix(r.kind, r.url, r.version), [&](std::string_view k, std::string_view) {
        old.emplace_back(k);
        return true;
      }));
      if (r.kind == ResourceKind::kConceptMap) {
        std::string up = "U" + r.url + std::string(1, '\0') + r.version + std::string(1, '\0');
        CW_RETURN_IF_ERROR(Scan(up, [&](std::string_view k, std::string_view) {
          old.emplace_back(k);
          return true;
        }));
      }
      for (const auto& k : old) CW_RETURN_IF_ERROR(FromRocks(batch.Delete(k), "write batch"));
      rep.keys_deleted += old.size();
    }
    Header h{r.name, r.title, r.entries(), 0};
    if (r.kind == ResourceKind::kValueSet) h.flags = (r.has_expansion ? 1 : 0) | (r.unsupported_rules ? 2 : 0);
    CW_RETURN_IF_ERROR(put(hkey, EncodeHeader(h)));
    switch (r.kind) {
      case ResourceKind::kCodeSystem:
        for (const auto& c : r.concepts) CW_RETURN_IF_ERROR(put(ConceptKey(r.url, r.version, c.code), EncodeConcept(c)));
        break;
      case ResourceKind::kValueSet:
        for (const auto& rule : r.rules) {
          // I/X: value = code system version (may be empty); E: value = display.
          CW_RETURN_IF_ERROR(put(VsRuleKey(r.url, r.version, rule.rule, rule.system, rule.code),
                                 rule.rule == 'E' ? rule.display : rule.version));
        }
        break;
      case ResourceKind::kConceptMap: {
        std::map<std::string, bool> sources;
        for (const auto& el : r.elements) {
          CW_RETURN_IF_ERROR(put(MapKey(r.url, r.version, el.source_system, el.code), EncodeTargets(el.targets)));
          sources[el.source_system] = true;
        }
        for (const auto& u : r.unmapped) {
          CW_RETURN_IF_ERROR(put(UnmappedKey(r.url, r.version, u.source_system, u.target_system), EncodeUnmapped(u)));
          sources[u.source_system] = true;
        }
        for (const auto& [src, unused] : sources) CW_RETURN_IF_ERROR(put(MapIndexKey(src, r.url), ""));
        break;
      }
    }
    auto pk = std::make_pair(static_cast<int>(r.kind), r.url);
    bool has_pointer = Current(r.kind, r.url) != nullptr || pointer_set.count(pk) > 0;
    if (options.set_current || !has_pointer) {
      CW_RETURN_IF_ERROR(put(PointerKey(r.kind, r.url), r.version));
      pointer_set[pk] = true;
    }
    rep.items.push_back(std::move(item));
  }

  if (options.before_commit) CW_RETURN_IF_ERROR(options.before_commit());

  // 4. One atomic commit (see Commit).
  prog.file = {};
  prog.writing = true;
  if (options.progress) options.progress(prog);
  Status committed = Commit(&batch);
  if (!committed.ok()) {
    return Status(committed.code(), fmt::format("{}; nothing was imported", committed.message()));
  }
  RetireCache();
  return LoadState();
}

}  // namespace crosswalk::term
