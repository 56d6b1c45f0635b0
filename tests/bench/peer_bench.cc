// The peer workload (tests/bench/peer/peer.cw, the mapping of the peer benchmark in
// ../shared/peers) on the peer messages (tests/bench/peer/msgs), single thread, grouped as the peers'
// bench.js groups them. tools/scripts/bench-peers.sh runs this beside the JavaScript peers.
//
//   BM_PeerFloor/<group>  the floor: Message::Parse + GroupTree::Build + WriteJson of a prebuilt tree of
//                         the same output (no mapping)
//   BM_PeerHand/<group>   the lazy hand-written C++ converter of the same mapping (peer/handwritten.h): splits
//                         only the segments the mapping reads; checked to write Crosswalk's output byte for
//                         byte, else the group is reported and not timed
//   BM_Peer/<group>       RunContext::Run(peer.cwb) = parse + map + write the FHIR JSON
// Counters: items_per_second = messages/s, bytes_per_second = input bytes/s, allocs_per_msg (global
// operator new calls per message in steady state), out_bytes_per_msg, vs_floor and vs_hand (time per
// message over the floor's and over the hand-written converter's, all measured in this process).
//
// The program is the build's peer.cwb (compiled from peer.cw); override with $CW_PEER_CWB.
#define CW_BENCH_COUNT_ALLOCATIONS
#include "peer/bench_support.h"
#include "peer/handwritten.h"

namespace {

void BM_Hand(benchmark::State& state, size_t gi) {
  const cwbench::Setup& s = *cwbench::TheSetup();
  const cwbench::Group& g = s.groups[gi];
  cwbench::hand::Converter converter;
  std::string out;
  for (size_t i = 0; i < g.msgs.size(); ++i) {  // also warms the output string
    if (!converter.Convert(g.msgs[i].text, &out) || out != s.outputs[gi][i]) {
      state.SkipWithError(("the hand-written converter's output differs from Crosswalk's: " + g.msgs[i].name).c_str());
      return;
    }
  }
  const uint64_t a0 = cwbench::Allocations();
  cwbench::LoopTimer timer;
  for (auto _ : state) {
    for (const cwbench::Msg& m : g.msgs) {
      converter.Convert(m.text, &out);
      benchmark::DoNotOptimize(out.data());
    }
  }
  const double n = static_cast<double>(state.iterations() * g.msgs.size());
  cwbench::HandNsPerMsg()[g.name] = timer.NsPer(n);
  state.SetItemsProcessed(static_cast<int64_t>(n));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * g.bytes));
  state.counters["allocs_per_msg"] = static_cast<double>(cwbench::Allocations() - a0) / n;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  const char* cwb = std::getenv("CW_PEER_CWB");
  if (!cwbench::InitSetup(cwbench::PeerGroups(std::filesystem::path(CW_SOURCE_DIR) / "tests/bench/peer/msgs"),
                          cwb ? cwb : CW_PEER_CWB, "", /*drop_rejected=*/false)) {
    return 1;
  }
  const char* iterations = std::getenv("CW_BENCH_ITERATIONS");
  for (size_t gi = 0; gi < cwbench::TheSetup()->groups.size(); ++gi) {  // before BM_Peer: vs_hand needs it
    auto* b = benchmark::RegisterBenchmark(("BM_PeerHand/" + cwbench::TheSetup()->groups[gi].name).c_str(), BM_Hand, gi);
    if (iterations && std::atol(iterations) > 0) b->Iterations(std::atol(iterations));
    b->UseRealTime();
  }
  cwbench::RegisterGroups("BM_Peer");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
