// Shared by the libFuzzer targets in this folder (never by the library): the input cap and a check that
// aborts with a named reason, so a broken invariant is reported by libFuzzer as a crash with its input.
#pragma once

#include <cstddef>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace crosswalk::fuzz {

// Inputs larger than this are ignored (wasm3 caps its fuzzer at the same size).
inline constexpr size_t kMaxInputBytes = 256u << 10;

// Aborts when `cond` is false. `what` names the invariant (never the input: it is in the crash file).
inline void Check(bool cond, const char* what) {
  if (!cond) {
    std::fprintf(stderr, "fuzz invariant broken: %s\n", what);
    std::abort();
  }
}

// True when the non-empty view `part` lies inside `whole`.
inline bool Within(std::string_view part, std::string_view whole) {
  if (part.empty()) return true;
  auto p = reinterpret_cast<uintptr_t>(part.data());
  auto w = reinterpret_cast<uintptr_t>(whole.data());
  return p >= w && p + part.size() <= w + whole.size();
}

}  // namespace crosswalk::fuzz
