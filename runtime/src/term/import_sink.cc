#include "term/import_sink.h"

#include <algorithm>
#include <filesystem>
#include <memory>
#include <queue>
#include <utility>

#include <fmt/format.h>
#include <rocksdb/env.h>
#include <rocksdb/sst_file_writer.h>

#include "term/model.h"
#include "term/run_file.h"

namespace crosswalk::term {
namespace {

constexpr size_t kIoBuffer = 1 << 20;

Status Rocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return Status::Ok();
  return IoError(fmt::format("cannot write the terminology store: {}: {}", what, s.ToString()));
}

// Sequential reader of one run file (written by Spill): each record's tail is its delete flag (one byte) and
// owner (a varint).
class RunReader {
 public:
  explicit RunReader(std::string path) : file_(std::move(path), "run file", kIoBuffer) {}
  Status Open() {
    CW_RETURN_IF_ERROR(file_.Open());
    return ReadTail();
  }
  Status Next() {
    CW_RETURN_IF_ERROR(file_.Next());
    return ReadTail();
  }
  bool valid() const { return file_.valid(); }
  std::string_view key() const { return file_.key(); }
  std::string_view value() const { return file_.value(); }
  uint32_t owner() const { return owner_; }
  bool del() const { return del_; }

 private:
  Status ReadTail() {
    if (!file_.valid()) return Status::Ok();
    int d = std::getc(file_.file());
    uint64_t owner = 0;
    if (d == EOF || !ReadVarint(file_.file(), &owner)) return file_.Truncated();
    del_ = d != 0;
    owner_ = static_cast<uint32_t>(owner);
    return Status::Ok();
  }

  RunFileReader file_;
  uint32_t owner_ = 0;
  bool del_ = false;
};

// Unites parents lists (EncodeParents values), keeping first-seen order.
std::string UniteParents(const std::vector<std::string_view>& values) {
  std::vector<std::string> all;
  for (std::string_view v : values) {
    Decoder d(v);
    uint64_t n = 0;
    if (!d.U64(&n)) continue;
    for (uint64_t i = 0; i < n; ++i) {
      std::string_view p;
      if (!d.Str(&p)) break;
      if (std::find(all.begin(), all.end(), p) == all.end()) all.emplace_back(p);
    }
  }
  return EncodeParents(all);
}

// Concatenates map target lists (EncodeTargets values) in the given order.
std::string UniteTargets(const std::vector<std::string_view>& values) {
  uint64_t total = 0;
  std::string body;
  for (std::string_view v : values) {
    Decoder d(v);
    uint64_t n = 0;
    if (!d.U64(&n)) continue;
    total += n;
    body.append(d.rest());
  }
  Encoder e;
  e.U64(total);
  e.out().append(body);
  return std::move(e.out());
}

}  // namespace

ImportSink::ImportSink(std::string tmp_dir, rocksdb::Options options, size_t buffer_bytes, uint64_t sst_file_bytes)
    : dir_(std::move(tmp_dir)),
      options_(std::move(options)),
      budget_(std::max<size_t>(buffer_bytes, 1024)),
      sst_file_bytes_(sst_file_bytes) {}

ImportSink::~ImportSink() {
  if (!dir_made_) return;
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

Status ImportSink::EnsureDir() {
  if (dir_made_) return Status::Ok();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);  // left by a killed import
  if (!std::filesystem::create_directories(dir_, ec) || ec) {
    return IoError(fmt::format("cannot write the terminology store: cannot create '{}': {}", dir_, ec.message()));
  }
  dir_made_ = true;
  return Status::Ok();
}

Status ImportSink::Put(uint32_t owner, std::string_view key, std::string_view value) {
  return Add(owner, key, value, false);
}

Status ImportSink::Delete(uint32_t owner, std::string_view key) { return Add(owner, key, {}, true); }

Status ImportSink::Add(uint32_t owner, std::string_view key, std::string_view value, bool del) {
  if (finished_) return Internal("ImportSink: add after Finish");
  buf_.push_back({arena_.size(), static_cast<uint32_t>(key.size()), static_cast<uint32_t>(value.size()), owner, del});
  arena_.append(key);
  arena_.append(value);
  ++entries_;
  if (arena_.size() + buf_.size() * sizeof(Entry) >= budget_) return Spill();
  return Status::Ok();
}

void ImportSink::SortBuffer() {
  const char* base = arena_.data();
  std::stable_sort(buf_.begin(), buf_.end(), [base](const Entry& a, const Entry& b) {
    return std::string_view(base + a.off, a.klen) < std::string_view(base + b.off, b.klen);
  });
}

Status ImportSink::Spill() {
  CW_RETURN_IF_ERROR(EnsureDir());
  SortBuffer();
  std::string path = fmt::format("{}/run-{:06}", dir_, run_files_.size());
  RunFileWriter run(path, "run file", kIoBuffer);
  CW_RETURN_IF_ERROR(run.Open());
  run_files_.push_back(path);
  for (const Entry& e : buf_) {
    run.Add(std::string_view(arena_).substr(e.off, e.klen), std::string_view(arena_).substr(e.off + e.klen, e.vlen));
    run.tail()->push_back(e.del ? 1 : 0);
    PutVarint(run.tail(), e.owner);
  }
  CW_RETURN_IF_ERROR(run.Close());
  buf_.clear();
  std::string().swap(arena_);
  std::vector<Entry>().swap(buf_);
  return Status::Ok();
}

Result<std::vector<std::string>> ImportSink::Finish(const std::function<bool(uint32_t)>& dropped,
                                                    ContentHasher* hasher) {
  if (finished_) return Internal("ImportSink: Finish called twice");
  finished_ = true;
  CW_RETURN_IF_ERROR(EnsureDir());
  SortBuffer();

  // Cursors: the run files in the order written, then the in-memory buffer (the newest entries).
  std::vector<std::unique_ptr<RunReader>> runs;
  for (const auto& path : run_files_) {
    runs.push_back(std::make_unique<RunReader>(path));
    CW_RETURN_IF_ERROR(runs.back()->Open());
  }
  size_t mem_pos = 0;
  const size_t mem_index = runs.size();
  auto valid = [&](size_t i) { return i == mem_index ? mem_pos < buf_.size() : runs[i]->valid(); };
  auto key_of = [&](size_t i) -> std::string_view {
    if (i == mem_index) return std::string_view(arena_.data() + buf_[mem_pos].off, buf_[mem_pos].klen);
    return runs[i]->key();
  };
  // Min-heap by (key, cursor index): equal keys come out oldest cursor first.
  auto later = [&](size_t a, size_t b) {
    int c = key_of(a).compare(key_of(b));
    return c != 0 ? c > 0 : a > b;
  };
  std::priority_queue<size_t, std::vector<size_t>, decltype(later)> heap(later);
  for (size_t i = 0; i <= mem_index; ++i) {
    if (valid(i)) heap.push(i);
  }

  std::unique_ptr<rocksdb::SstFileWriter> writer;
  uint64_t written_in_file = 0;
  auto open_writer = [&]() -> Status {
    std::string path = fmt::format("{}/import-{:06}.sst", dir_, sst_files_.size());
    writer = std::make_unique<rocksdb::SstFileWriter>(rocksdb::EnvOptions(), options_);
    CW_RETURN_IF_ERROR(Rocks(writer->Open(path), "SST file"));
    sst_files_.push_back(path);
    written_in_file = 0;
    return Status::Ok();
  };
  auto close_writer = [&]() -> Status {
    if (!writer) return Status::Ok();
    Status s = Rocks(writer->Finish(), "SST file");
    writer.reset();
    return s;
  };

  // Range tombstones, by begin: each goes into the file open when the merge reaches its begin, and that
  // file is not closed before the merge has passed its end, so the range's new keys share its file (and
  // no two files overlap, as one ingestion needs).
  std::sort(ranges_.begin(), ranges_.end());
  size_t next_range = 0;
  std::string hold_until;  // no new file while the merge is inside a written range
  auto write_ranges_upto = [&](std::string_view key) -> Status {
    while (next_range < ranges_.size() && (key.data() == nullptr || ranges_[next_range].first <= key)) {
      if (!writer) CW_RETURN_IF_ERROR(open_writer());
      const auto& [begin, end] = ranges_[next_range++];
      CW_RETURN_IF_ERROR(Rocks(writer->DeleteRange(begin, end), "SST file"));
      ++ranges_written_;
      if (end > hold_until) hold_until = end;
    }
    return Status::Ok();
  };

  struct Item {
    std::string value;
    uint32_t owner;
    bool del;
  };
  std::string key;
  std::vector<Item> items;
  while (!heap.empty()) {
    size_t first = heap.top();
    key.assign(key_of(first));
    CW_RETURN_IF_ERROR(write_ranges_upto(key));
    items.clear();
    // Every entry with this key, cursor by cursor in index order (each cursor's entries are in added order).
    std::vector<size_t> cursors;
    while (!heap.empty() && key_of(heap.top()) == key) {
      cursors.push_back(heap.top());
      heap.pop();
    }
    std::sort(cursors.begin(), cursors.end());
    for (size_t i : cursors) {
      while (valid(i) && key_of(i) == key) {
        if (i == mem_index) {
          const Entry& e = buf_[mem_pos];
          items.push_back({std::string(arena_, e.off + e.klen, e.vlen), e.owner, e.del});
          ++mem_pos;
        } else {
          items.push_back({std::string(runs[i]->value()), runs[i]->owner(), runs[i]->del()});
          CW_RETURN_IF_ERROR(runs[i]->Next());
        }
      }
      if (valid(i)) heap.push(i);
    }
    // Resolve.
    const Item* last_put = nullptr;
    bool any_delete = false;
    std::vector<std::string_view> puts;
    for (const Item& it : items) {
      if (it.owner != 0 && ((dropped && dropped(it.owner)) ||
                            std::find(dropped_.begin(), dropped_.end(), it.owner) != dropped_.end())) {
        continue;
      }
      if (it.del) {
        any_delete = true;
      } else {
        last_put = &it;
        puts.push_back(it.value);
      }
    }
    if (last_put == nullptr && !any_delete) continue;
    if (!writer) CW_RETURN_IF_ERROR(open_writer());
    if (last_put != nullptr) {
      if (puts.size() > 1 && (key[0] == 'H' || key[0] == 'M')) {
        std::string united = key[0] == 'H' ? UniteParents(puts) : UniteTargets(puts);
        CW_RETURN_IF_ERROR(Rocks(writer->Put(key, united), "SST file"));
        if (hasher != nullptr) hasher->Add(key, united);
      } else {
        CW_RETURN_IF_ERROR(Rocks(writer->Put(key, last_put->value), "SST file"));
        if (hasher != nullptr) hasher->Add(key, last_put->value);
      }
      written_in_file += key.size() + last_put->value.size();
      ++puts_written_;
    } else {
      CW_RETURN_IF_ERROR(Rocks(writer->Delete(key), "SST file"));
      written_in_file += key.size();
    }
    if (written_in_file >= sst_file_bytes_ && key >= hold_until) CW_RETURN_IF_ERROR(close_writer());
  }
  CW_RETURN_IF_ERROR(write_ranges_upto(std::string_view()));  // ranges after the last key
  if (hasher != nullptr && !hasher->hashes().empty()) {
    std::vector<std::pair<std::string, std::string>> trailer;
    for (const auto& [id, h] : hasher->hashes()) {
      trailer.emplace_back(ContentHashKey(static_cast<ResourceKind>(std::get<0>(id)), std::get<1>(id), std::get<2>(id)),
                           EncodeContentHash(h));
    }
    std::sort(trailer.begin(), trailer.end());
    if (!writer) CW_RETURN_IF_ERROR(open_writer());
    for (const auto& [k, v] : trailer) {
      CW_RETURN_IF_ERROR(Rocks(writer->Put(k, v), "SST file"));
      ++puts_written_;
    }
  }
  CW_RETURN_IF_ERROR(close_writer());
  runs.clear();
  std::error_code ec;
  for (const auto& path : run_files_) std::filesystem::remove(path, ec);
  std::string().swap(arena_);
  std::vector<Entry>().swap(buf_);
  return sst_files_;
}

Status EmitConcept(ImportSink* sink, uint32_t owner, std::string_view url, std::string_view version,
                   bool case_sensitive, const ConceptRec& c, bool* has_hierarchy) {
  auto key = [&](const std::string& code) { return case_sensitive ? code : FoldCase(code); };
  std::string k = key(c.code);
  CW_RETURN_IF_ERROR(sink->Put(owner, ConceptKey(url, version, k), EncodeConcept(c)));
  if (c.parents.empty()) return Status::Ok();
  *has_hierarchy = true;
  CW_RETURN_IF_ERROR(sink->Put(owner, ParentsKey(url, version, k), EncodeParents(c.parents)));
  for (const auto& parent : c.parents) {
    std::string d = ChildPrefix(url, version, key(parent));
    d.append(k);
    CW_RETURN_IF_ERROR(sink->Put(owner, d, ""));
  }
  return Status::Ok();
}

Status EmitMapElement(ImportSink* sink, uint32_t owner, std::string_view url, std::string_view version,
                      const MapElementRec& el) {
  CW_RETURN_IF_ERROR(sink->Put(owner, MapKey(url, version, el.source_system, el.code), EncodeTargets(el.targets)));
  for (const auto& t : el.targets) {
    if (t.code.empty() || IsNegativeEquivalence(t.equivalence)) continue;
    std::string w = ReversePrefix(url, version, t.system, t.code);
    w.append(el.source_system);
    w.push_back('\0');
    w.append(el.code);
    CW_RETURN_IF_ERROR(sink->Put(owner, w, t.equivalence));
  }
  return Status::Ok();
}

Status SpillResource(ImportSink* sink, Resource* r) {
  uint64_t held = r->held_entries();
  sink->NoteHeld(held);
  if (r->owner == 0) r->owner = sink->NewOwner();
  switch (r->kind) {
    case ResourceKind::kCodeSystem:
      for (const auto& c : r->concepts) {
        CW_RETURN_IF_ERROR(EmitConcept(sink, r->owner, r->url, r->version, r->case_sensitive, c, &r->streamed_hierarchy));
      }
      std::vector<ConceptRec>().swap(r->concepts);
      break;
    case ResourceKind::kValueSet:
      CW_RETURN_IF_ERROR(sink->Put(r->owner, ComposeKey(r->url, r->version), EncodeCompose(r->includes, r->excludes)));
      for (const auto& e : r->expansion) {
        CW_RETURN_IF_ERROR(sink->Put(r->owner, ExpansionKey(r->url, r->version, e.code, e.system), e.display));
      }
      std::vector<VsComponent>().swap(r->includes);
      std::vector<VsComponent>().swap(r->excludes);
      std::vector<VsRule>().swap(r->expansion);
      break;
    case ResourceKind::kConceptMap:
      for (const auto& el : r->elements) CW_RETURN_IF_ERROR(EmitMapElement(sink, r->owner, r->url, r->version, el));
      std::vector<MapElementRec>().swap(r->elements);
      break;
  }
  r->streamed_entries += held;
  return Status::Ok();
}

}  // namespace crosswalk::term
