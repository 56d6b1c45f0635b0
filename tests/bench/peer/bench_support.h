// Shared by the per-message benchmarks (tests/bench/{peer,e2e,vm}_bench.cc): heap-allocation counting,
// loading the peer workload's messages, and the "floor" (read the message + write an output of the same
// size, no mapping).
//
// Heap allocations are counted by replacing the global operator new/delete in each benchmark binary
// (define CW_BENCH_COUNT_ALLOCATIONS in exactly one translation unit before including this header).
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <new>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "crosswalk/runtime.h"
#include "hl7v2/groups.h"
#include "hl7v2/message.h"
#include "json/json_reader.h"
#include "json/json_writer.h"
#include "value/arena.h"
#include "value/value.h"

namespace cwbench {

// Number of operator new calls in this process (relaxed: the benchmarks are single-threaded).
inline std::atomic<uint64_t> g_allocations{0};
inline uint64_t Allocations() { return g_allocations.load(std::memory_order_relaxed); }

inline std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The peers' normalisation (peers/lib/load.js): line endings -> \r, trailing \r removed, BOM removed.
inline std::string Normalise(std::string_view raw) {
  if (raw.size() >= 3 && raw.substr(0, 3) == "\xEF\xBB\xBF") raw.remove_prefix(3);
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\r' && i + 1 < raw.size() && raw[i + 1] == '\n') ++i;
    out.push_back(c == '\n' ? '\r' : c);
  }
  while (!out.empty() && out.back() == '\r') out.pop_back();
  return out;
}

struct Msg {
  std::string name;  // path under msgs/
  std::string type;  // MSH-9.1^MSH-9.2
  std::string text;  // normalised
};

// MSH-9.1^MSH-9.2 without the library (as the peers do).
inline std::string MessageType(const std::string& text) {
  std::string_view msh(text);
  msh = msh.substr(0, msh.find('\r'));
  if (msh.size() < 8) return {};
  const char fs = msh[3], cs = msh[4];
  size_t pos = 0;
  for (int i = 0; i < 8 && pos != std::string_view::npos; ++i) {
    pos = msh.find(fs, pos);
    if (pos != std::string_view::npos) ++pos;
  }
  if (pos == std::string_view::npos) return {};
  std::string_view f = msh.substr(pos, msh.find(fs, pos) - pos);
  size_t c1 = f.find(cs);
  std::string_view t = f.substr(0, c1), trig;
  if (c1 != std::string_view::npos) {
    trig = f.substr(c1 + 1);
    trig = trig.substr(0, trig.find(cs));
  }
  return std::string(t) + "^" + std::string(trig);
}

// The peer benchmark's message groups (bench.js): each own message alone, then the shared ADT and the
// shared ORU messages as two groups.
struct Group {
  std::string name;
  std::vector<Msg> msgs;
  size_t bytes = 0;
};

inline std::vector<Group> PeerGroups(const std::filesystem::path& msg_dir) {
  namespace fs = std::filesystem;
  std::vector<std::string> rels;
  for (const auto& e : fs::recursive_directory_iterator(msg_dir)) {
    if (e.is_regular_file() && e.path().extension() == ".hl7") rels.push_back(fs::relative(e.path(), msg_dir).string());
  }
  std::sort(rels.begin(), rels.end());
  std::vector<Group> own;
  Group shared_adt{"shared ADT", {}, 0}, shared_oru{"shared ORU", {}, 0};
  for (const std::string& rel : rels) {
    Msg m{rel, "", Normalise(ReadFile(msg_dir / rel))};
    m.type = MessageType(m.text);
    const bool adt = m.type.rfind("ADT^", 0) == 0, oru = m.type == "ORU^R01";
    if (!adt && !oru) continue;
    if (rel.find('/') == std::string::npos) {
      own.push_back(Group{m.type + " (" + rel + ")", {m}, m.text.size()});
    } else {
      Group& g = adt ? shared_adt : shared_oru;
      g.bytes += m.text.size();
      g.msgs.push_back(std::move(m));
    }
  }
  for (Group* g : {&shared_adt, &shared_oru}) {
    if (g->msgs.empty()) continue;
    g->name += " x" + std::to_string(g->msgs.size());
    own.push_back(std::move(*g));
  }
  return own;
}

// The floor of the per-message path: index the message (Message::Parse + GroupTree::Build) and write a
// prebuilt Value tree of the same output (WriteJson), with no mapping. One per group.
class Floor {
 public:
  // outputs[i] is the JSON output for msgs[i] (what the map produces).
  bool Init(const Group& g, const std::vector<std::string>& outputs) {
    texts_ = outputs;
    trees_.resize(outputs.size());
    crosswalk::vm::JsonReader reader;
    for (size_t i = 0; i < outputs.size(); ++i) {
      if (!reader.Read(texts_[i], arena_, &trees_[i]).ok()) return false;
    }
    group_ = &g;
    return true;
  }
  // One message: returns output bytes.
  size_t Run(size_t i) {
    const Msg& m = group_->msgs[i];
    if (!message_.Parse(m.text).ok()) std::abort();
    tree_.Build(message_);
    out_.clear();
    crosswalk::vm::ValueEnv env{&arena_, &message_, &scratch_};
    if (!crosswalk::vm::WriteJson(env, trees_[i], &out_).ok()) std::abort();
    benchmark::DoNotOptimize(out_.data());
    return out_.size();
  }

 private:
  const Group* group_ = nullptr;
  std::vector<std::string> texts_;
  std::vector<crosswalk::vm::Value> trees_;
  crosswalk::vm::Arena arena_;
  crosswalk::hl7v2::Message message_;
  crosswalk::hl7v2::GroupTree tree_;
  std::string out_, scratch_;
};

// ns per message of each group's floor, measured in this process (for the vs_floor counters).
inline std::map<std::string, double>& FloorNsPerMsg() {
  static std::map<std::string, double> m;
  return m;
}

// ns per message of each group's lazy hand-written converter (peer_bench only; for vs_hand).
inline std::map<std::string, double>& HandNsPerMsg() {
  static std::map<std::string, double> m;
  return m;
}

// Wall time of a benchmark's loop, for ratios between benchmarks of the same process.
class LoopTimer {
 public:
  LoopTimer() : t0_(std::chrono::steady_clock::now()) {}
  double NsPer(double n) const {
    return n > 0 ? std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0_).count() / n : 0;
  }

 private:
  std::chrono::steady_clock::time_point t0_;
};

// ---- a program run over message groups, beside its floor ----
struct Setup {
  std::vector<Group> groups;
  std::unique_ptr<crosswalk::Runtime> runtime;
  std::shared_ptr<const crosswalk::Program> program;
  std::vector<std::vector<std::string>> outputs;  // per group, per message
};

inline Setup*& TheSetup() {
  static Setup* s = nullptr;
  return s;
}

// Loads `cwb_path` (with the terminology store `term_dir`, empty for none) and runs it once on every
// message. A message the program rejects is reported and left out of its group when drop_rejected,
// otherwise it is an error. Empty groups are removed.
inline bool InitSetup(std::vector<Group> groups, const std::string& cwb_path, const std::string& term_dir,
                      bool drop_rejected) {
  auto* s = new Setup();
  crosswalk::RuntimeOptions ro;
  ro.terminology_dir = term_dir;
  auto rt = crosswalk::Runtime::Create(ro);
  if (!rt.ok()) {
    std::fprintf(stderr, "bench: %s\n", rt.status().ToString().c_str());
    return false;
  }
  s->runtime = std::move(*rt);
  auto prog = s->runtime->Load(ReadFile(cwb_path));
  if (!prog.ok()) {
    std::fprintf(stderr, "bench: %s: %s\n", cwb_path.c_str(), prog.status().ToString().c_str());
    return false;
  }
  s->program = *prog;
  crosswalk::RunContext ctx(*s->runtime);
  crosswalk::RunOutput out;
  for (Group& g : groups) {
    Group kept{g.name, {}, 0};
    std::vector<std::string> outs;
    for (Msg& m : g.msgs) {
      crosswalk::Status st = ctx.Run(*s->program, m.text, {}, &out);
      if (!st.ok()) {
        std::fprintf(stderr, "bench: %s: %s\n", m.name.c_str(), st.ToString().c_str());
        if (!drop_rejected) return false;
        continue;
      }
      outs.push_back(out.json);
      kept.bytes += m.text.size();
      kept.msgs.push_back(std::move(m));
    }
    if (kept.msgs.empty()) continue;
    s->groups.push_back(std::move(kept));
    s->outputs.push_back(std::move(outs));
  }
  TheSetup() = s;
  return true;
}

inline void BM_Floor(benchmark::State& state, size_t gi) {
  const Setup& s = *TheSetup();
  const Group& g = s.groups[gi];
  Floor floor;
  if (!floor.Init(g, s.outputs[gi])) {
    state.SkipWithError("output does not read back");
    return;
  }
  size_t out_bytes = 0;
  for (size_t i = 0; i < g.msgs.size(); ++i) out_bytes += floor.Run(i);  // warm: capacities grown
  const uint64_t a0 = Allocations();
  LoopTimer timer;
  for (auto _ : state) {
    for (size_t i = 0; i < g.msgs.size(); ++i) floor.Run(i);
  }
  const double n = static_cast<double>(state.iterations() * g.msgs.size());
  FloorNsPerMsg()[g.name] = timer.NsPer(n);
  state.SetItemsProcessed(static_cast<int64_t>(n));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * g.bytes));
  state.counters["allocs_per_msg"] = static_cast<double>(Allocations() - a0) / n;
  state.counters["out_bytes_per_msg"] = static_cast<double>(out_bytes) / static_cast<double>(g.msgs.size());
}

inline void BM_Map(benchmark::State& state, size_t gi) {
  const Setup& s = *TheSetup();
  const Group& g = s.groups[gi];
  crosswalk::RunContext ctx(*s.runtime);
  crosswalk::RunOutput out;
  const crosswalk::RunOptions options;
  size_t out_bytes = 0;
  for (const Msg& m : g.msgs) {  // warm: arena and buffers grown
    if (!ctx.Run(*s.program, m.text, options, &out).ok()) std::abort();
    out_bytes += out.json.size();
  }
  const uint64_t a0 = Allocations();
  LoopTimer timer;
  for (auto _ : state) {
    for (const Msg& m : g.msgs) {
      crosswalk::Status st = ctx.Run(*s.program, m.text, options, &out);
      benchmark::DoNotOptimize(st);
      benchmark::DoNotOptimize(out.json.data());
    }
  }
  const double n = static_cast<double>(state.iterations() * g.msgs.size());
  const double ns = timer.NsPer(n);
  state.SetItemsProcessed(static_cast<int64_t>(n));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * g.bytes));
  state.counters["allocs_per_msg"] = static_cast<double>(Allocations() - a0) / n;
  state.counters["out_bytes_per_msg"] = static_cast<double>(out_bytes) / static_cast<double>(g.msgs.size());
  auto it = FloorNsPerMsg().find(g.name);
  if (it != FloorNsPerMsg().end() && it->second > 0) state.counters["vs_floor"] = ns / it->second;
  auto hand = HandNsPerMsg().find(g.name);
  if (hand != HandNsPerMsg().end() && hand->second > 0) state.counters["vs_hand"] = ns / hand->second;
}

// Registers <prefix>Floor/<group> then <prefix>/<group> for every group (floor first: vs_floor needs it).
// $CW_BENCH_ITERATIONS=N fixes the iteration count (for instruction counts under callgrind: the difference
// of two runs with different N, divided, cancels the set-up).
inline void RegisterGroups(const std::string& prefix) {
  const Setup& s = *TheSetup();
  const char* it = std::getenv("CW_BENCH_ITERATIONS");
  const long iterations = it ? std::atol(it) : 0;
  for (size_t gi = 0; gi < s.groups.size(); ++gi) {
    auto* f = benchmark::RegisterBenchmark((prefix + "Floor/" + s.groups[gi].name).c_str(), BM_Floor, gi);
    auto* m = benchmark::RegisterBenchmark((prefix + "/" + s.groups[gi].name).c_str(), BM_Map, gi);
    if (iterations > 0) {
      f->Iterations(iterations);
      m->Iterations(iterations);
    }
    f->UseRealTime();
    m->UseRealTime();
  }
}

}  // namespace cwbench

#ifdef CW_BENCH_COUNT_ALLOCATIONS
void* operator new(std::size_t n) {
  cwbench::g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  cwbench::g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  cwbench::g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  cwbench::g_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(n ? n : 1);
}
void* operator new(std::size_t n, std::align_val_t a) {
  cwbench::g_allocations.fetch_add(1, std::memory_order_relaxed);
  size_t al = static_cast<size_t>(a);
  if (void* p = std::aligned_alloc(al, (n + al - 1) / al * al)) return p;
  throw std::bad_alloc();
}
// GCC 12 pairs these free() calls, once inlined into callers, with the library operator new rather than
// the malloc-based replacements above and warns (-Wmismatched-new-delete); a false positive.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif
