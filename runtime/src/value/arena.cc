#include "value/arena.h"

#include <algorithm>

namespace crosswalk::vm {

void* Arena::AllocateSlow(size_t bytes, size_t align) {
  if (begin_) used_before_current_ += static_cast<size_t>(cur_ - begin_);
  size_t size = std::max(block_bytes_, bytes + align);
  block_bytes_ = std::min<size_t>(block_bytes_ * 2, size_t{64} << 20);
  blocks_.emplace_back(new char[size]);
  block_sizes_.push_back(size);
  ++blocks_allocated_;
  current_block_ = blocks_.size() - 1;
  begin_ = cur_ = blocks_.back().get();
  end_ = begin_ + size;
  return Allocate(bytes, align);
}

void Arena::Reset() {
  if (blocks_.empty()) return;
  // Keep only the largest block, so that the next message of the same size fits in one block.
  size_t largest = 0;
  for (size_t i = 1; i < blocks_.size(); ++i) {
    if (block_sizes_[i] > block_sizes_[largest]) largest = i;
  }
  if (blocks_.size() > 1) {
    std::unique_ptr<char[]> keep = std::move(blocks_[largest]);
    size_t keep_size = block_sizes_[largest];
    blocks_.clear();
    block_sizes_.clear();
    blocks_.push_back(std::move(keep));
    block_sizes_.push_back(keep_size);
  }
  current_block_ = 0;
  begin_ = cur_ = blocks_[0].get();
  end_ = begin_ + block_sizes_[0];
  used_before_current_ = 0;
}

}  // namespace crosswalk::vm
