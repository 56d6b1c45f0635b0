// JSON read and write throughput (MB/s) of the per-message path against nlohmann::json, on the real FHIR R4
// examples in tests/fixtures/fhir. Run: build/tests/bench/json_bench --benchmark_min_time=0.5
//
// Arg 0 is the large lab Bundle (Bundle-101.json, 130 KB), arg 1 a small Patient (Patient-example.json),
// arg 2 a mid-size Observation. Our reader reuses its scratch stacks and the arena (Reset per iteration),
// as a RunContext does; our writer appends to a reused std::string.
#include <benchmark/benchmark.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "json/json_reader.h"
#include "json/json_writer.h"
#include "value/arena.h"

namespace {

using crosswalk::vm::Arena;
using crosswalk::vm::JsonReader;
using crosswalk::vm::JsonWriteOptions;
using crosswalk::vm::Value;
using crosswalk::vm::ValueEnv;

const std::string& Fixture(int index) {
  static const std::vector<std::string> files = [] {
    std::vector<std::string> out;
    for (const char* name : {"Bundle-101.json", "Patient-example.json", "Observation-blood-pressure.json"}) {
      std::ifstream in(std::string(CW_TEST_DIR) + "/fixtures/fhir/" + name, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      out.push_back(ss.str());
    }
    return out;
  }();
  return files[static_cast<size_t>(index)];
}

void BM_ReadCrosswalk(benchmark::State& state) {
  const std::string& text = Fixture(static_cast<int>(state.range(0)));
  Arena arena;
  JsonReader reader;
  for (auto _ : state) {
    arena.Reset();
    Value v;
    if (!reader.Read(text, arena, &v).ok()) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(v);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

void BM_ReadNlohmann(benchmark::State& state) {
  const std::string& text = Fixture(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    nlohmann::json j = nlohmann::json::parse(text);
    benchmark::DoNotOptimize(j);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

void BM_WriteCrosswalk(benchmark::State& state) {
  const std::string& text = Fixture(static_cast<int>(state.range(0)));
  Arena arena;
  Value v;
  if (!crosswalk::vm::ReadJson(text, arena, &v).ok()) state.SkipWithError("parse failed");
  ValueEnv env{&arena};
  std::string out;
  JsonWriteOptions options;
  options.fhir_absent_rules = state.range(1) != 0;
  for (auto _ : state) {
    out.clear();
    if (!crosswalk::vm::WriteJson(env, v, &out, options).ok()) state.SkipWithError("write failed");
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * out.size()));
}

void BM_WriteNlohmann(benchmark::State& state) {
  const std::string& text = Fixture(static_cast<int>(state.range(0)));
  nlohmann::json j = nlohmann::json::parse(text);
  size_t bytes = 0;
  for (auto _ : state) {
    std::string out = j.dump();
    bytes = out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}

BENCHMARK(BM_ReadCrosswalk)->Arg(0)->Arg(1)->Arg(2);
BENCHMARK(BM_ReadNlohmann)->Arg(0)->Arg(1)->Arg(2);
BENCHMARK(BM_WriteCrosswalk)->Args({0, 1})->Args({0, 0})->Args({1, 1})->Args({2, 1});
BENCHMARK(BM_WriteNlohmann)->Arg(0)->Arg(1)->Arg(2);

}  // namespace

BENCHMARK_MAIN();
