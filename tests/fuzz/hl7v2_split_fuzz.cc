// libFuzzer target for HL7 v2 framing (runtime/src/hl7v2/framing.h): SplitMessages over MLLP frames,
// FHS/BHS/BTS/FTS batch envelopes and concatenated messages, and StripFraming.
//
//   cmake --preset fuzz && cmake --build build-fuzz --target crosswalk_hl7v2_split_fuzz
//   build-fuzz/tests/fuzz/crosswalk_hl7v2_split_fuzz build-fuzz/tests/fuzz/seeds/hl7v2
//
// Invariants: every message is a view inside the input that starts with MSH, in order and without overlap;
// batch segments are views inside the input; a successful split has at least one message; StripFraming
// leaves a view inside the input. Each message is then parsed (its outcome is not checked).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_common.h"
#include "hl7v2/framing.h"
#include "hl7v2/message.h"

namespace {

using crosswalk::fuzz::Check;
using crosswalk::fuzz::Within;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > crosswalk::fuzz::kMaxInputBytes) return 0;
  std::string_view input(reinterpret_cast<const char*>(data), size);

  std::string_view stripped = input;
  if (crosswalk::hl7v2::StripFraming(&stripped).ok()) Check(Within(stripped, input), "StripFraming left the input");

  static crosswalk::hl7v2::Batch batch;  // reused: SplitMessages clears it and keeps its capacity
  static crosswalk::hl7v2::Message msg;
  if (!crosswalk::hl7v2::SplitMessages(input, &batch).ok()) return 0;
  Check(!batch.messages.empty(), "a successful split found no message");
  for (std::string_view env : {batch.fhs, batch.bhs, batch.bts, batch.fts}) {
    Check(Within(env, input), "a batch segment lies outside the input");
  }
  const char* end_of_previous = input.data();
  for (std::string_view m : batch.messages) {
    Check(Within(m, input), "a message lies outside the input");
    Check(m.substr(0, 3) == "MSH", "a message does not start with MSH");
    Check(m.data() >= end_of_previous, "messages overlap or are out of order");
    end_of_previous = m.data() + m.size();
    msg.Parse(m).IgnoreError();
  }
  return 0;
}
