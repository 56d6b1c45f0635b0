#include "term/external_sort.h"

#include "term/run_file.h"

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

namespace crosswalk::term {
namespace {

constexpr size_t kMinBudget = 64 << 10;
constexpr size_t kRunIoBuffer = 256 << 10;

}  // namespace

ExternalSorter::ExternalSorter(std::string dir, std::string name, size_t budget_bytes)
    : dir_(std::move(dir)), name_(std::move(name)), budget_(std::max(budget_bytes, kMinBudget)) {}

ExternalSorter::~ExternalSorter() {
  runs_.clear();
  std::error_code ec;
  for (const auto& path : run_paths_) std::filesystem::remove(path, ec);
}

Status ExternalSorter::Add(std::string_view key, std::string_view value) {
  if (sorted_) return Internal("ExternalSorter: Add after Sort");
  if (key.size() > UINT32_MAX || value.size() > UINT32_MAX) return InvalidArgument("sort record too large");
  size_t add = key.size() + value.size() + sizeof(Entry);
  if (!buf_.empty() && held_bytes() + add > budget_) CW_RETURN_IF_ERROR(Spill());
  if (buf_.empty()) {
    // Reserved once per run so that growth never doubles past the budget; pages are touched only as used.
    arena_.reserve(budget_ - budget_ / 8);
    buf_.reserve(budget_ / 8 / sizeof(Entry));
  }
  buf_.push_back({arena_.size(), static_cast<uint32_t>(key.size()), static_cast<uint32_t>(value.size())});
  arena_.append(key);
  arena_.append(value);
  ++records_;
  peak_bytes_ = std::max<uint64_t>(peak_bytes_, held_bytes());
  return Status::Ok();
}

Status ExternalSorter::Spill() {
  const char* base = arena_.data();
  std::stable_sort(buf_.begin(), buf_.end(), [base](const Entry& a, const Entry& b) {
    return std::string_view(base + a.off, a.klen) < std::string_view(base + b.off, b.klen);
  });
  if (!sorted_ || !run_paths_.empty()) {
    std::string path = fmt::format("{}/{}-{:06}", dir_, name_, run_paths_.size());
    RunFileWriter run(path, "sort run", kRunIoBuffer);
    CW_RETURN_IF_ERROR(run.Open());
    run_paths_.push_back(path);
    for (const Entry& e : buf_) {
      run.Add(std::string_view(arena_).substr(e.off, e.klen), std::string_view(arena_).substr(e.off + e.klen, e.vlen));
    }
    CW_RETURN_IF_ERROR(run.Close());
    std::string().swap(arena_);
    std::vector<Entry>().swap(buf_);
  }
  return Status::Ok();
}

Status ExternalSorter::Sort() {
  if (sorted_) return Internal("ExternalSorter: Sort called twice");
  sorted_ = true;
  // With no run written, the buffer is sorted in place and handed out from memory; otherwise it becomes the
  // last run (freeing the buffer before the merge).
  CW_RETURN_IF_ERROR(Spill());
  for (const auto& path : run_paths_) {
    runs_.push_back(std::make_unique<RunFileReader>(path, "sort run", kRunIoBuffer));
    CW_RETURN_IF_ERROR(runs_.back()->Open());
    if (runs_.back()->valid()) heap_.push_back(runs_.size() - 1);
  }
  auto later = [this](size_t a, size_t b) {
    int c = runs_[a]->key().compare(runs_[b]->key());
    return c != 0 ? c > 0 : a > b;
  };
  std::make_heap(heap_.begin(), heap_.end(), later);
  return Status::Ok();
}

Status ExternalSorter::Next(bool* got, std::string_view* key, std::string_view* value) {
  *got = false;
  if (!sorted_) return Internal("ExternalSorter: Next before Sort");
  if (run_paths_.empty()) {
    if (mem_pos_ >= buf_.size()) return Status::Ok();
    const Entry& e = buf_[mem_pos_++];
    *key = std::string_view(arena_.data() + e.off, e.klen);
    *value = std::string_view(arena_.data() + e.off + e.klen, e.vlen);
    *got = true;
    return Status::Ok();
  }
  // Equal keys: the lower run index first (runs were written in added order), so the merge is stable.
  auto later = [this](size_t a, size_t b) {
    int c = runs_[a]->key().compare(runs_[b]->key());
    return c != 0 ? c > 0 : a > b;
  };
  if (current_ != SIZE_MAX) {
    CW_RETURN_IF_ERROR(runs_[current_]->Next());
    if (runs_[current_]->valid()) {
      heap_.push_back(current_);
      std::push_heap(heap_.begin(), heap_.end(), later);
    }
    current_ = SIZE_MAX;
  }
  if (heap_.empty()) return Status::Ok();
  std::pop_heap(heap_.begin(), heap_.end(), later);
  current_ = heap_.back();
  heap_.pop_back();
  *key = runs_[current_]->key();
  *value = runs_[current_]->value();
  *got = true;
  return Status::Ok();
}

}  // namespace crosswalk::term
