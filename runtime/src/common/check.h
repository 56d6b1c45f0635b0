// Assertions for our own bugs (STYLE.md: "the user's mistakes are data; our failures are Status; our bugs
// are assertions"). After the door (the verifier, the readers) code trusts its input: what the verifier
// proved is asserted, not tested per instruction, as Lua's lua_assert and Wren's ASSERT do.
//
//   CW_DCHECK(cond)    checked when NDEBUG is not defined (Debug and the asan preset) or when
//                      CW_ENABLE_DCHECK is; otherwise compiled out (cond is not evaluated).
//   CW_UNREACHABLE()   a state that cannot happen: a failed check when checks are on, otherwise a hint to
//                      the optimiser (__builtin_unreachable).
//
// A failed check prints the condition and the source location (never a value) and aborts.
#pragma once

#include <cstdio>
#include <cstdlib>

#if !defined(NDEBUG) || defined(CW_ENABLE_DCHECK)
#define CW_DCHECK_IS_ON 1
#else
#define CW_DCHECK_IS_ON 0
#endif

namespace crosswalk::internal {

[[noreturn]] inline void CheckFailed(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: internal check failed: %s\n", file, line, what);
  std::abort();
}

}  // namespace crosswalk::internal

#if CW_DCHECK_IS_ON
#define CW_DCHECK(cond) \
  ((cond) ? static_cast<void>(0) : ::crosswalk::internal::CheckFailed(#cond, __FILE__, __LINE__))
#define CW_UNREACHABLE() ::crosswalk::internal::CheckFailed("unreachable", __FILE__, __LINE__)
#else
#define CW_DCHECK(cond) static_cast<void>(0)
#define CW_UNREACHABLE() __builtin_unreachable()
#endif
