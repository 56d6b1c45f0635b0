// End to end: HL7 v2 message -> FHIR JSON through the SHIPPED maps (maps/hl7v2/*.cw, compiled by the
// build into <build>/maps/hl7v2-to-fhir.cwb, with the seeded store <build>/terminology), on the ADT^A01
// and ORU^R01 messages of the peer workload (tests/bench/peer/msgs), single thread, beside the floor.
//
//   BM_E2EFloor/<group>  Message::Parse + GroupTree::Build + WriteJson of a prebuilt tree of the same
//                        output (what any converter must at least do)
//   BM_E2E/<group>       RunContext::Run = parse + map (terminology included) + write
// Counters: items_per_second = messages/s, bytes_per_second = input bytes/s, allocs_per_msg (global
// operator new calls per message in steady state), out_bytes_per_msg, vs_floor (time per message over
// the floor's; the target is <= 3).
//
// $CW_E2E_CWB / $CW_E2E_TERM override the program and the store. Until the shipped maps are built this
// falls back to the peer map (tests/bench/peer/peer.cw) and says so. Messages the program rejects (no map
// for the type yet) are listed and left out.
#define CW_BENCH_COUNT_ALLOCATIONS
#include "peer/bench_support.h"

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  namespace fs = std::filesystem;
  const char* env_cwb = std::getenv("CW_E2E_CWB");
  const char* env_term = std::getenv("CW_E2E_TERM");
  std::string cwb = env_cwb ? env_cwb : std::string(CW_BUILD_DIR) + "/maps/hl7v2-to-fhir.cwb";
  std::string term = env_term ? env_term : std::string(CW_BUILD_DIR) + "/terminology";
  if (!fs::exists(cwb)) {
    std::fprintf(stderr, "e2e_bench: %s not built yet; using the peer map %s\n", cwb.c_str(), CW_PEER_CWB);
    cwb = CW_PEER_CWB;
    term.clear();
  }
  if (!term.empty() && !fs::exists(term)) term.clear();
  std::fprintf(stderr, "e2e_bench: program %s, terminology %s\n", cwb.c_str(), term.empty() ? "(none)" : term.c_str());
  benchmark::AddCustomContext("program", cwb);
  if (!cwbench::InitSetup(cwbench::PeerGroups(fs::path(CW_SOURCE_DIR) / "tests/bench/peer/msgs"), cwb, term,
                          /*drop_rejected=*/true)) {
    return 1;
  }
  cwbench::RegisterGroups("BM_E2E");
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
