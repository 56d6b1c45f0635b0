// External merge sort of (key, value) records in bounded memory, for the joins of the release loaders
// (docs/terminology.md, "Scale"): records are buffered up to a byte budget, each full buffer is sorted and
// written to a run file, and the runs are merged back in key order. Equal keys come out in the order they
// were added (the sort is stable), so a loader can key its records by code and keep each file's row order.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crosswalk/status.h"
#include "term/run_file.h"

namespace crosswalk::term {

class ExternalSorter {
 public:
  // Run files are written as `<dir>/<name>-N` (dir must exist when the first run is written) and removed by
  // the destructor. budget_bytes bounds the buffered keys, values and their index (at least 64 KiB).
  ExternalSorter(std::string dir, std::string name, size_t budget_bytes);
  ~ExternalSorter();
  ExternalSorter(const ExternalSorter&) = delete;
  ExternalSorter& operator=(const ExternalSorter&) = delete;

  Status Add(std::string_view key, std::string_view value);
  // Ends the adding: the buffer is sorted (and written as the last run when there are runs already).
  Status Sort();
  // After Sort: the next record in key order; *got is false at the end. The views stay valid until the
  // next call.
  Status Next(bool* got, std::string_view* key, std::string_view* value);

  uint64_t records() const { return records_; }
  uint64_t runs() const { return run_paths_.size(); }
  // The most bytes the buffer held at once (keys, values and index entries): the sorter's memory
  // accounting, never above the budget plus one record.
  uint64_t peak_bytes() const { return peak_bytes_; }

 private:
  struct Entry {
    uint64_t off;
    uint32_t klen, vlen;
  };
  size_t held_bytes() const { return arena_.size() + buf_.size() * sizeof(Entry); }
  Status Spill();

  std::string dir_, name_;
  size_t budget_;
  bool sorted_ = false;
  uint64_t records_ = 0;
  uint64_t peak_bytes_ = 0;
  std::string arena_;
  std::vector<Entry> buf_;
  size_t mem_pos_ = 0;  // next buffered entry to hand out when nothing was spilled
  std::vector<std::string> run_paths_;
  std::vector<std::unique_ptr<RunFileReader>> runs_;
  std::vector<size_t> heap_;  // indexes into runs_, a min-heap by (key, index)
  size_t current_ = SIZE_MAX;  // the run whose record Next handed out last (advanced on the next call)
};

}  // namespace crosswalk::term
