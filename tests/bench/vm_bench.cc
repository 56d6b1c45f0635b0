// VM dispatch: tight loops in maps, compiled in process (crosswalk::compiler::CompileSource) and run with
// RunContext::Run on a JSON input {"a": [0, 1, ..., N-1]}.
//
//   BM_VmJsonFloor/N  read the same input (JsonReader) and write a tiny output: the part of every run that
//                     is not the loop
//   BM_VmArith/N      count(for x in input.a where (x * 3 + x % 7) % 5 == 1 => x): per item ITERNEXT, 4
//                     arithmetic ops, a compare, a branch and an append
//   BM_VmCall/N       the same test through a user function call per item
//   BM_VmObjects/N    builds an output object per item ({ i: x, twice: x * 2 }): SETK/APPEND and the writer
// items_per_second counts loop items; allocs_per_run counts global operator new calls per run (steady state).
#define CW_BENCH_COUNT_ALLOCATIONS
#include "crosswalk/compiler/compiler.h"
#include "peer/bench_support.h"

namespace {

constexpr const char* kSource = R"(
map Arith : json "Arith" -> json {
  n: count(for x in input.a where (x * 3 + x % 7) % 5 == 1 => x)
}
def Test(x) = (x * 3 + x % 7) % 5 == 1
map Call : json "Call" -> json {
  n: count(for x in input.a where Test(x) => x)
}
map Objects : json "Objects" -> json {
  for x in input.a { items[]: { i: x, twice: x * 2 } }
}
)";

struct Env {
  std::unique_ptr<crosswalk::Runtime> runtime;
  std::shared_ptr<const crosswalk::Program> program;
};

const Env& GetEnv() {
  static const Env* env = [] {
    auto r = crosswalk::compiler::CompileSource("vm_bench.cw", kSource);
    if (!r.ok()) {
      std::fprintf(stderr, "%s", crosswalk::compiler::FormatDiagnostics(r).c_str());
      std::abort();
    }
    auto* e = new Env();
    e->runtime = crosswalk::Runtime::Create({}).value();
    auto p = e->runtime->Load(*r.bytecode);
    if (!p.ok()) {
      std::fprintf(stderr, "vm_bench: %s\n", p.status().ToString().c_str());
      std::abort();
    }
    e->program = *p;
    return e;
  }();
  return *env;
}

std::string Input(const char* type, int64_t n) {
  std::string s = std::string("{\"resourceType\":\"") + type + "\",\"a\":[";
  for (int64_t i = 0; i < n; ++i) {
    if (i) s += ',';
    s += std::to_string(i);
  }
  return s + "]}";
}

void RunMap(benchmark::State& state, const char* type) {
  const Env& env = GetEnv();
  const std::string input = Input(type, state.range(0));
  crosswalk::RunContext ctx(*env.runtime);
  crosswalk::RunOutput out;
  crosswalk::RunOptions options;
  options.input_kind = crosswalk::InputKind::kJson;
  crosswalk::Status st = ctx.Run(*env.program, input, options, &out);
  if (!st.ok()) {
    state.SkipWithError(st.ToString().c_str());
    return;
  }
  const uint64_t a0 = cwbench::Allocations();
  for (auto _ : state) {
    st = ctx.Run(*env.program, input, options, &out);
    benchmark::DoNotOptimize(out.json.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * input.size()));
  state.counters["allocs_per_run"] =
      static_cast<double>(cwbench::Allocations() - a0) / static_cast<double>(state.iterations());
}

void BM_VmJsonFloor(benchmark::State& state) {
  const std::string input = Input("Arith", state.range(0));
  crosswalk::vm::JsonReader reader;
  crosswalk::vm::Arena arena;
  std::string out;
  const uint64_t a0 = cwbench::Allocations();
  for (auto _ : state) {
    arena.Reset();
    crosswalk::vm::Value v;
    if (!reader.Read(input, arena, &v).ok()) std::abort();
    out.clear();
    out += "{\"n\":1}";
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * input.size()));
  state.counters["allocs_per_run"] =
      static_cast<double>(cwbench::Allocations() - a0) / static_cast<double>(state.iterations());
}

void BM_VmArith(benchmark::State& state) { RunMap(state, "Arith"); }
void BM_VmCall(benchmark::State& state) { RunMap(state, "Call"); }
void BM_VmObjects(benchmark::State& state) { RunMap(state, "Objects"); }

BENCHMARK(BM_VmJsonFloor)->Arg(10'000);
BENCHMARK(BM_VmArith)->Arg(10'000);
BENCHMARK(BM_VmCall)->Arg(10'000);
BENCHMARK(BM_VmObjects)->Arg(10'000);

}  // namespace

BENCHMARK_MAIN();
