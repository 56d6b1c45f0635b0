// Bounded-memory write path of an import: keys are buffered up to a byte budget, each full buffer is
// sorted and spilled to a run file, and Finish merges the runs into sorted, non-overlapping SST files
// (rocksdb::SstFileWriter) that the store ingests at one commit point (IngestExternalFile).
//
// Every entry carries an owner: 0 for keys that always stand, or an id from NewOwner() for the keys of one
// streamed resource, so that a resource superseded later in the same import ("the last one wins") can be
// dropped at merge time without having been held in memory.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <rocksdb/options.h>

#include "crosswalk/status.h"
#include "term/content_hash.h"
#include "term/model.h"

namespace crosswalk::term {

class ImportSink {
 public:
  // tmp_dir is created (it must not exist or be empty); it and every file in it are removed by the destructor
  // unless Finish handed them out (the caller then moves them into the store). buffer_bytes bounds the
  // buffered keys and values (plus a small per-entry overhead). Finish starts a new SST file after one
  // reaches sst_file_bytes (tests set it small).
  ImportSink(std::string tmp_dir, rocksdb::Options options, size_t buffer_bytes,
             uint64_t sst_file_bytes = uint64_t{256} << 20);
  ~ImportSink();
  ImportSink(const ImportSink&) = delete;
  ImportSink& operator=(const ImportSink&) = delete;

  uint32_t NewOwner() { return ++last_owner_; }
  // Every entry of `owner` is left out by Finish.
  void Drop(uint32_t owner) { dropped_.push_back(owner); }

  Status Put(uint32_t owner, std::string_view key, std::string_view value);
  Status Delete(uint32_t owner, std::string_view key);
  // Deletes every stored key in [begin, end) (a replaced version's record families): Finish writes one
  // range tombstone into the SST file that also holds every key added in that range, so the tombstone
  // removes the old keys and not the new ones (an ingested file's keys share one sequence number, and a
  // tombstone only covers older ones). Costs no scan of the old keys.
  void DeleteRange(std::string begin, std::string end) { ranges_.emplace_back(std::move(begin), std::move(end)); }

  // Merges everything into SST files in tmp_dir (none when nothing was added). Per key, entries of owners for
  // which dropped(owner) is true are ignored; a put beats a delete (deletes remove the keys of a replaced
  // version that the new one does not write again); of several puts the last added wins, except that the
  // parents records ('H' keys) are united, so a `child` property read after the concept adds a parent, and so
  // are map targets ('M' keys: a streamed ConceptMap whose groups share a source writes a code once per group;
  // the targets are concatenated in added order, which is document order). With `hasher`, every record written goes through it, and the content hash ('Z') key of every
  // resource version written follows the last record (the 'Z' family sorts after every other). Called once.
  Result<std::vector<std::string>> Finish(const std::function<bool(uint32_t)>& dropped,
                                          ContentHasher* hasher = nullptr);

  uint64_t entries() const { return entries_; }
  uint64_t puts_written() const { return puts_written_; }  // after Finish: keys written to the SST files
  uint64_t ranges_written() const { return ranges_written_; }  // after Finish: range tombstones written
  uint64_t runs() const { return run_files_.size(); }

  // The importer's memory accounting: the most concepts, map elements and value-set rules and members held
  // in parsed form at once (each resource before its records went to the sink, and what was still held when
  // the parse ended). NoteHeld records one such count.
  void NoteHeld(uint64_t entries) { peak_held_ = std::max(peak_held_, entries); }
  uint64_t peak_held() const { return peak_held_; }
  // The most bytes an external sort of the release loaders buffered (ExternalSorter::peak_bytes).
  void NoteSortBytes(uint64_t bytes) { peak_sort_bytes_ = std::max(peak_sort_bytes_, bytes); }
  uint64_t peak_sort_bytes() const { return peak_sort_bytes_; }

  // The sink's folder (created now if needed), for other scratch files of the import (the release loaders'
  // sort runs); it is removed with everything in it by the destructor.
  Result<std::string> ScratchDir() {
    CW_RETURN_IF_ERROR(EnsureDir());
    return dir_;
  }

 private:
  struct Entry {
    uint64_t off;
    uint32_t klen, vlen, owner;
    bool del;
  };
  Status Add(uint32_t owner, std::string_view key, std::string_view value, bool del);
  Status EnsureDir();
  Status Spill();
  void SortBuffer();

  std::string dir_;
  rocksdb::Options options_;
  size_t budget_;
  uint64_t sst_file_bytes_;
  bool dir_made_ = false;
  bool finished_ = false;
  uint32_t last_owner_ = 0;
  uint64_t entries_ = 0;
  uint64_t puts_written_ = 0;
  uint64_t peak_held_ = 0;
  uint64_t peak_sort_bytes_ = 0;
  uint64_t ranges_written_ = 0;
  std::vector<uint32_t> dropped_;
  std::vector<std::pair<std::string, std::string>> ranges_;  // DeleteRange's [begin, end)
  std::string arena_;
  std::vector<Entry> buf_;
  std::vector<std::string> run_files_;
  std::vector<std::string> sst_files_;
};

// Adds one concept's records: 'C' (the concept), and with parents 'H' (upward) and one 'D' per parent
// (downward). Keys are ASCII-lower-cased when the code system is not case-sensitive. Sets *has_hierarchy
// when the concept has a parent.
Status EmitConcept(ImportSink* sink, uint32_t owner, std::string_view url, std::string_view version,
                   bool case_sensitive, const ConceptRec& c, bool* has_hierarchy);

// Adds one map element's records: 'M' (its targets) and a 'W' reverse entry per target with a code.
Status EmitMapElement(ImportSink* sink, uint32_t owner, std::string_view url, std::string_view version,
                      const MapElementRec& el);

// Writes the content records a parsed resource holds (concepts, map elements, a value set's compose and
// expansion; not the header, the map's groups or indexes, which Store::Import writes) to the sink under the
// resource's owner (a new one when it has none), counts them in streamed_entries and frees them, so that a
// Bundle entry or an NDJSON line costs memory only while it is converted. Records the held count (NoteHeld).
Status SpillResource(ImportSink* sink, Resource* r);

}  // namespace crosswalk::term
