// The peer workload (tests/bench/peer/peer.cw, the mapping of the peer benchmark in
// ../shared/peers) on the peer messages (tests/bench/peer/msgs), single thread, grouped as the peers'
// bench.js groups them. tools/scripts/bench-peers.sh runs this beside the JavaScript peers.
//
//   BM_PeerFloor/<group>  the floor: Message::Parse + GroupTree::Build + WriteJson of a prebuilt tree of
//                         the same output (no mapping)
//   BM_Peer/<group>       RunContext::Run(peer.cwb) = parse + map + write the FHIR JSON
// Counters: items_per_second = messages/s, bytes_per_second = input bytes/s, allocs_per_msg (global
// operator new calls per message in steady state), out_bytes_per_msg, vs_floor (time per message over
// the floor's, both measured in this process).
//
// The program is the build's peer.cwb (compiled from peer.cw); override with $CW_PEER_CWB.
#define CW_BENCH_COUNT_ALLOCATIONS
#include "peer/bench_support.h"

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  const char* cwb = std::getenv("CW_PEER_CWB");
  if (!cwbench::InitSetup(cwbench::PeerGroups(std::filesystem::path(CW_SOURCE_DIR) / "tests/bench/peer/msgs"),
                          cwb ? cwb : CW_PEER_CWB, "", /*drop_rejected=*/false)) {
    return 1;
  }
  cwbench::RegisterGroups("BM_Peer");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
