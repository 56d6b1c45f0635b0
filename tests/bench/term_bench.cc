// Terminology store benchmarks: translate / lookup / validate per second (cache hit and cold), and
// import throughput (concepts per second). Run by hand:
//   build/tests/bench/term_bench --benchmark_min_time=0.5
// The store is built once in a temporary directory from tests/fixtures/terminology plus a generated
// code system and CSV crosswalk of kBigConcepts rows.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "crosswalk/terminology.h"

namespace {

using crosswalk::term::ImportOptions;
using crosswalk::term::OpenOptions;
using crosswalk::term::Store;
using crosswalk::term::Subsumption;

constexpr int kBigConcepts = 100000;
// The is-a benchmark's hierarchy (issue 15: an is-a check on a 400k-concept hierarchy under 2 us warm).
constexpr int kIsaConcepts = 400000;
const std::string kV2 = "http://terminology.hl7.org/CodeSystem/v2-";
const std::string kMap = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/table-hl70001-to-administrative-gender";

std::string Fixture(const std::string& name) { return std::string(CW_TEST_DIR) + "/fixtures/terminology/" + name; }

struct Env {
  std::string root, db, big_cs, big_csv, isa_cs;
  Env() {
    root = (std::filesystem::temp_directory_path() / fmt::format("cw-term-bench-{}", getpid())).string();
    std::filesystem::create_directories(root);
    db = root + "/db";
    big_cs = root + "/big.ndjson";
    big_csv = root + "/big.csv";
    isa_cs = root + "/isa.json";
    {
      // A tree of fan-out 8 (depth 7), one JSON document (streamed import).
      std::ofstream out(isa_cs);
      out << R"({"resourceType":"CodeSystem","url":"urn:bench:isa","version":"1","concept":[)";
      for (int i = 0; i < kIsaConcepts; ++i) {
        out << (i ? "," : "") << R"({"code":"C)" << i << R"(","display":"Concept )" << i << '"';
        if (i > 0) out << R"(,"property":[{"code":"parent","valueCode":"C)" << (i - 1) / 8 << R"("}])";
        out << "}";
      }
      out << "]}\n";
    }
    {
      std::ofstream out(big_cs);
      out << R"({"resourceType":"CodeSystem","url":"urn:bench:cs","version":"1","concept":[)";
      for (int i = 0; i < kBigConcepts; ++i) {
        // An is-a tree of fan-out 8 (C0 the root): depth 6 at 100k concepts.
        out << (i ? "," : "") << R"({"code":"C)" << i << R"(","display":"Concept number )" << i
            << R"(","property":[{"code":"status","valueCode":"active"})";
        if (i > 0) out << R"(,{"code":"parent","valueCode":"C)" << (i - 1) / 8 << R"("})";
        out << "]}";
      }
      out << "]}\n";
    }
    {
      std::ofstream out(big_csv);
      out << "source_system,source_code,target_system,target_code,target_display,equivalence\n";
      for (int i = 0; i < kBigConcepts; ++i) {
        out << "urn:bench:local,L" << i << ",http://loinc.org," << i << "-" << (i % 10) << ",Display " << i
            << ",equivalent\n";
      }
    }
    OpenOptions o;
    o.read_only = false;
    auto store = Store::Open(db, o);
    if (!store.ok()) std::abort();
    ImportOptions io;
    io.csv_map_url = "urn:bench:map";
    auto s = (*store)->Import({Fixture("v2-codesystems-utg.ndjson"), Fixture("CodeSystem-administrative-gender.json"),
                               Fixture("v2-to-fhir-ig-conceptmaps.ndjson"), big_cs, big_csv, isa_cs},
                              io);
    if (!s.ok()) {
      fmt::print(stderr, "bench setup: {}\n", s.ToString());
      std::abort();
    }
  }
  ~Env() {
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  }
};

Env& GetEnv() {
  static Env env;
  return env;
}

std::unique_ptr<Store> OpenRO() {
  auto s = Store::Open(GetEnv().db);
  if (!s.ok()) std::abort();
  return std::move(*s);
}

// The same four codes translated again and again: every call after the first four is a cache hit.
void TranslateTheSameCodes(benchmark::State& state, Store& store) {
  const std::string src = kV2 + "0001";
  const char* codes[] = {"F", "M", "U", "O"};
  size_t i = 0;
  for (auto _ : state) {
    auto r = store.Translate(kMap, src, codes[i++ & 3]);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

// Cache hit: the same few codes again and again.
void BM_TranslateHit(benchmark::State& state) {
  // Shared by the threads of the multi-threaded run; deliberately leaked (no exit-time destruction).
  static Store* store = OpenRO().release();
  TranslateTheSameCodes(state, *store);
}
BENCHMARK(BM_TranslateHit);
BENCHMARK(BM_TranslateHit)->Threads(2);

// Cache hit with a bounded cache (what a Runtime opens: RuntimeOptions::terminology_cache_bytes, 64 MiB by
// default): the answer's entry is pinned for the calling thread, one more reference count per hit.
void BM_TranslateHitBounded(benchmark::State& state) {
  static Store* store = [] {
    OpenOptions o;
    o.max_cache_bytes = size_t{64} << 20;
    auto s = Store::Open(GetEnv().db, o);
    if (!s.ok()) std::abort();
    return s->release();
  }();
  TranslateTheSameCodes(state, *store);
}
BENCHMARK(BM_TranslateHitBounded);
BENCHMARK(BM_TranslateHitBounded)->Threads(2);

// Cold: every code once per fresh Store (RocksDB point read + decode + cache insert).
void BM_TranslateCold(benchmark::State& state) {
  std::unique_ptr<Store> store = OpenRO();
  int i = 0;
  std::string code;
  for (auto _ : state) {
    if (i == kBigConcepts) {
      state.PauseTiming();
      store = OpenRO();
      i = 0;
      state.ResumeTiming();
    }
    code = fmt::format("L{}", (i++ * 7919) % kBigConcepts);
    auto r = store->Translate("urn:bench:map", "urn:bench:local", code);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TranslateCold);

void BM_LookupHit(benchmark::State& state) {
  std::unique_ptr<Store> store = OpenRO();
  const std::string sys = kV2 + "0203";
  const char* codes[] = {"MR", "SS", "PI", "DL"};
  size_t i = 0;
  for (auto _ : state) {
    auto r = store->Lookup(sys, codes[i++ & 3]);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LookupHit);

void BM_LookupCold(benchmark::State& state) {
  std::unique_ptr<Store> store = OpenRO();
  int i = 0;
  std::string code;
  for (auto _ : state) {
    if (i == kBigConcepts) {
      state.PauseTiming();
      store = OpenRO();
      i = 0;
      state.ResumeTiming();
    }
    code = fmt::format("C{}", (i++ * 7919) % kBigConcepts);
    auto r = store->Lookup("urn:bench:cs", code);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LookupCold);

void BM_ValidateHit(benchmark::State& state) {
  std::unique_ptr<Store> store = OpenRO();
  const std::string sys = kV2 + "0004";
  for (auto _ : state) {
    auto r = store->Validate(sys, "E");
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ValidateHit);

// $subsumes on the generated tree, uncached (a walk up the parents: one point read per ancestor, from
// RocksDB's block cache once warm): leaf against root, the longest walk.
void BM_SubsumesWarm(benchmark::State& state) {
  std::unique_ptr<Store> store = OpenRO();
  const std::string leaf = fmt::format("C{}", kBigConcepts - 1);
  for (auto _ : state) {
    auto r = store->Subsumes("urn:bench:cs", "C0", leaf);
    if (!r.ok() || *r != Subsumption::kSubsumes) std::abort();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SubsumesWarm);

// is-a on the 400k-concept hierarchy, warm: the deepest leaf against the root (subsumes, 7 levels) and
// against a concept of another branch (not-subsumed: both walks run to the root).
void BM_SubsumesWarm400k(benchmark::State& state) {
  std::unique_ptr<Store> store = OpenRO();
  const std::string leaf = fmt::format("C{}", kIsaConcepts - 1);
  const Subsumption want = state.range(0) == 0 ? Subsumption::kSubsumes : Subsumption::kNotSubsumed;
  const std::string other = state.range(0) == 0 ? "C0" : "C8";
  for (auto _ : state) {
    auto r = store->Subsumes("urn:bench:isa", other, leaf);
    if (!r.ok() || *r != want) std::abort();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SubsumesWarm400k)->Arg(0)->Arg(1);

// Lookup hit with a bounded cache (pins the answer for the thread: one more atomic).
void BM_LookupHitBounded(benchmark::State& state) {
  OpenOptions o;
  o.max_cache_bytes = size_t{64} << 20;
  auto s = Store::Open(GetEnv().db, o);
  if (!s.ok()) std::abort();
  for (auto _ : state) {
    auto r = (*s)->Lookup(kV2 + "0001", "F");
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LookupHitBounded);

// Import throughput: the generated code system (kBigConcepts concepts) into a fresh store.
void BM_ImportConcepts(benchmark::State& state) {
  Env& env = GetEnv();
  int round = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::string db = fmt::format("{}/import-{}", env.root, round++);
    OpenOptions o;
    o.read_only = false;
    auto store = Store::Open(db, o);
    if (!store.ok()) std::abort();
    state.ResumeTiming();
    auto s = (*store)->Import({env.big_cs});
    if (!s.ok()) std::abort();
    state.PauseTiming();
    store->reset();
    std::error_code ec;
    std::filesystem::remove_all(db, ec);
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * kBigConcepts);
  state.SetLabel("items = concepts");
}
BENCHMARK(BM_ImportConcepts)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_MAIN();
