// libFuzzer target for the .cwb loader: bounded reader + verifier, then the VM. Built only with the fuzz preset.
//
//   cmake --preset fuzz && cmake --build build-fuzz --target crosswalk_bytecode_fuzz
//   build-fuzz/tests/fuzz/crosswalk_bytecode_fuzz -max_len=262144 -max_total_time=60 build-fuzz/tests/fuzz/seeds/cwb
//
// Each input is loaded twice: as it is (checksum verified, so a seed .cwb loads), and, when that fails, with
// the checksum off and the size field patched, so that mutations reach the section table, the decoders and
// the verifier instead of stopping at the CRC. A file that loads must pass VerifyProgram, re-write to bytes
// that load to an equal Program, and disassemble; then the VM runs it (resealed, through Runtime::Load) on a
// small HL7 v2 message and a JSON document within a small budget: any outcome but a crash, a hang or a
// sanitizer report is fine. Seeds: the compiled maps of the build (build-fuzz/tests/fuzz/seeds/cwb); the runtime
// opens the build's seeded terminology store when it exists, so that programs using terminology load and run.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "bytecode/disassembler.h"
#include "bytecode/file.h"
#include "bytecode/reader.h"
#include "bytecode/verifier.h"
#include "bytecode/writer.h"
#include "crosswalk/runtime.h"
#include "fuzz_common.h"

using namespace crosswalk::bytecode;  // NOLINT: a fuzz target, not a header

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > crosswalk::fuzz::kMaxInputBytes) return 0;
  std::string bytes(reinterpret_cast<const char*>(data), size);
  crosswalk::Result<Program> r = ReadProgram(bytes);
  if (!r.ok() && bytes.size() >= kHeaderSize) {
    uint32_t n = static_cast<uint32_t>(bytes.size());
    for (int i = 0; i < 4; ++i) bytes[kFileSizeOffset + i] = static_cast<char>((n >> (8 * i)) & 0xFF);
    LoadLimits limits;
    limits.verify_checksum = false;
    r = ReadProgram(bytes, limits);
  }
  if (!r.ok()) return 0;
  if (!VerifyProgram(*r).ok()) std::abort();
  crosswalk::Result<Program> again = ReadProgram(WriteProgram(*r));
  if (!again.ok() || !(*again == *r)) std::abort();
  (void)Disassemble(*r);

  static crosswalk::Runtime* runtime = [] {
    crosswalk::RuntimeOptions ro;
    if (std::filesystem::exists(CW_BUILD_DIR "/terminology/CURRENT")) ro.terminology_dir = CW_BUILD_DIR "/terminology";
    return crosswalk::Runtime::Create(ro).value().release();
  }();
  auto program = runtime->Load(WriteProgram(*r));
  if (!program.ok()) return 0;  // e.g. it names terminology and there is no store
  crosswalk::RunContext ctx(*runtime);
  crosswalk::RunOptions options;
  options.limits.max_instructions = 100'000;
  options.limits.max_arena_bytes = 16u << 20;
  options.limits.max_output_bytes = 1u << 20;
  crosswalk::RunOutput out;
  static const std::string kHl7 =
      "MSH|^~\\&|A|B|C|D|20240101120000+0000||ADT^A01^ADT_A01|1|P|2.5.1\r"
      "PID|1||123^^^H^MR~456||Doe^Jane~Roe||19800101|F\rPV1|1|I\rOBX|1|NM|1^x^LN||4.5|mg\r";
  ctx.Run(**program, kHl7, options, &out).IgnoreError();
  ctx.Run(**program, R"({"resourceType":"Patient","id":"p","name":[{"given":["a","b"]}],"n":1.50})", options, &out)
      .IgnoreError();
  return 0;
}
