// The calling thread's CPU time, for RunLimits::max_cpu_time_ms. Read only every few tens of thousands of
// instructions or items (a clock_gettime costs about as much as a hundred instructions), never per step.
#pragma once

#include <ctime>
#include <cstdint>

namespace crosswalk {

// CPU time used by this thread, in nanoseconds (CLOCK_THREAD_CPUTIME_ID: time spent waiting for a core
// does not count, so a busy host does not make a message fail).
inline int64_t ThreadCpuNanos() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace crosswalk
