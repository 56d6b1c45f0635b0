// Arena: a bump allocator owned by one RunContext. Reset() between messages keeps the first block, so a
// message that fits in it costs no heap allocation. Not thread-safe: one per context.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace crosswalk::vm {

class Arena {
 public:
  explicit Arena(size_t first_block_bytes = 64 * 1024) : block_bytes_(first_block_bytes) {}
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Returns `bytes` of storage aligned to `align` (a power of two, at most 16). Never returns null;
  // throws std::bad_alloc only when the OS refuses memory (caught at the public boundary).
  void* Allocate(size_t bytes, size_t align = 8) {
    uintptr_t p = (reinterpret_cast<uintptr_t>(cur_) + (align - 1)) & ~(uintptr_t{align} - 1);
    if (p + bytes > reinterpret_cast<uintptr_t>(end_)) return AllocateSlow(bytes, align);
    cur_ = reinterpret_cast<char*>(p + bytes);
    return reinterpret_cast<void*>(p);
  }

  template <typename T>
  T* AllocateArray(size_t n) {
    return static_cast<T*>(Allocate(sizeof(T) * n, alignof(T) < 8 ? 8 : alignof(T)));
  }

  // Copies `s` into the arena.
  std::string_view Copy(std::string_view s) {
    if (s.empty()) return {};
    char* p = static_cast<char*>(Allocate(s.size(), 1));
    std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }

  // Frees everything allocated since construction or the last Reset, keeping the largest block.
  void Reset();

  // Bytes handed out since the last Reset (for the arena-bytes run limit).
  size_t bytes_used() const { return used_before_current_ + static_cast<size_t>(cur_ - begin_); }
  // Number of heap blocks obtained since construction (for the allocation benchmarks).
  size_t blocks_allocated() const { return blocks_allocated_; }

 private:
  void* AllocateSlow(size_t bytes, size_t align);

  std::vector<std::unique_ptr<char[]>> blocks_;
  std::vector<size_t> block_sizes_;
  size_t current_block_ = 0;
  size_t block_bytes_;
  size_t used_before_current_ = 0;
  size_t blocks_allocated_ = 0;
  char* begin_ = nullptr;
  char* cur_ = nullptr;
  char* end_ = nullptr;
};

}  // namespace crosswalk::vm
