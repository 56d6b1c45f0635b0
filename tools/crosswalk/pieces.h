// Walking an HL7 v2 field by hand, piece by piece, as `inspect` and `coverage` print and count it.
#pragma once

#include <cstddef>
#include <string_view>

namespace crosswalk::cli {

// Calls fn(piece, ordinal) for each piece of `text` split on `delim`, left to right in one pass; ordinals
// count from 1. An empty text is one empty piece.
template <typename Fn>
void ForEachPiece(std::string_view text, char delim, Fn fn) {
  size_t start = 0;
  int ordinal = 1;
  while (true) {
    size_t end = text.find(delim, start);
    if (end == std::string_view::npos) {
      fn(text.substr(start), ordinal);
      return;
    }
    fn(text.substr(start, end - start), ordinal++);
    start = end + 1;
  }
}

}  // namespace crosswalk::cli
