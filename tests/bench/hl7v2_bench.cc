// HL7 v2 reader benchmarks over every fixture message (tests/fixtures/hl7v2).
//
//   BM_Hl7v2ParseOnly       index the message (Message::Parse)
//   BM_Hl7v2ParseAndVisit   index, then read every populated leaf value (decoded), as a map would
//   BM_Hl7v2ParseVisitGroups  the same plus group matching (GroupTree::Build)
//   BM_Hl7v2Split           split files into messages (batch/MLLP framing)
// Reported: bytes/s over the message bytes, items/s = messages/s. The Message, GroupTree and scratch
// string are reused across iterations, as on the per-message hot path.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "hl7v2/framing.h"
#include "hl7v2/groups.h"
#include "hl7v2/message.h"

namespace {

using crosswalk::hl7v2::Batch;
using crosswalk::hl7v2::GroupTree;
using crosswalk::hl7v2::Message;

struct Corpus {
  std::vector<std::string> files;
  std::vector<std::string_view> messages;  // only those that parse
  size_t message_bytes = 0;
  size_t file_bytes = 0;
};

const Corpus& GetCorpus() {
  static const Corpus* corpus = [] {
    auto* c = new Corpus();
    namespace fs = std::filesystem;
    for (const auto& e : fs::recursive_directory_iterator(fs::path(CW_TEST_DIR) / "fixtures" / "hl7v2")) {
      if (!e.is_regular_file() || e.path().extension() != ".hl7") continue;
      std::ifstream in(e.path(), std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      c->files.push_back(ss.str());
    }
    Batch batch;
    Message m;
    for (const std::string& f : c->files) {
      c->file_bytes += f.size();
      if (!crosswalk::hl7v2::SplitMessages(f, &batch).ok()) continue;
      for (std::string_view msg : batch.messages) {
        if (!m.Parse(msg).ok()) continue;
        c->messages.push_back(msg);
        c->message_bytes += msg.size();
      }
    }
    return c;
  }();
  return *corpus;
}

size_t VisitAll(const Message& m, std::string* scratch) {
  size_t total = 0;
  for (int seg = 0; seg < m.segment_count(); ++seg) {
    const int fields = m.field_count(seg);
    for (int f = 1; f <= fields; ++f) {
      const int reps = m.repetition_count(seg, f);
      for (int r = 1; r <= reps; ++r) {
        const int comps = m.component_count(seg, f, r);
        for (int c = 1; c <= comps; ++c) {
          const int subs = m.subcomponent_count(seg, f, r, c);
          for (int s = 1; s <= subs; ++s) total += m.Value(seg, f, r, c, s, scratch).size();
        }
      }
    }
  }
  return total;
}

void BM_Hl7v2ParseOnly(benchmark::State& state) {
  const Corpus& corpus = GetCorpus();
  Message m;
  for (auto _ : state) {
    for (std::string_view msg : corpus.messages) {
      crosswalk::Status st = m.Parse(msg);
      benchmark::DoNotOptimize(st);
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus.message_bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * corpus.messages.size()));
}
BENCHMARK(BM_Hl7v2ParseOnly);

void BM_Hl7v2ParseAndVisit(benchmark::State& state) {
  const Corpus& corpus = GetCorpus();
  Message m;
  std::string scratch;
  for (auto _ : state) {
    for (std::string_view msg : corpus.messages) {
      m.Parse(msg).IgnoreError();
      benchmark::DoNotOptimize(VisitAll(m, &scratch));
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus.message_bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * corpus.messages.size()));
}
BENCHMARK(BM_Hl7v2ParseAndVisit);

void BM_Hl7v2ParseVisitGroups(benchmark::State& state) {
  const Corpus& corpus = GetCorpus();
  Message m;
  GroupTree tree;
  std::string scratch;
  for (auto _ : state) {
    for (std::string_view msg : corpus.messages) {
      m.Parse(msg).IgnoreError();
      tree.Build(m);
      benchmark::DoNotOptimize(VisitAll(m, &scratch));
      benchmark::DoNotOptimize(tree.size());
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus.message_bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * corpus.messages.size()));
}
BENCHMARK(BM_Hl7v2ParseVisitGroups);

void BM_Hl7v2Split(benchmark::State& state) {
  const Corpus& corpus = GetCorpus();
  Batch batch;
  for (auto _ : state) {
    for (const std::string& f : corpus.files) {
      crosswalk::Status st = crosswalk::hl7v2::SplitMessages(f, &batch);
      benchmark::DoNotOptimize(st);
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus.file_bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * corpus.files.size()));
}
BENCHMARK(BM_Hl7v2Split);

}  // namespace

BENCHMARK_MAIN();
