// libFuzzer target for the per-message JSON reader (runtime/src/json/json_reader.h) and, for what it
// accepts, the JSON writer: read, write (absent-value rules off), read the output again, and require an
// equal value and the same text on the second write. Written with the FHIR rules and pretty-printed, the
// output must still be JSON the reader accepts.
// Differential against nlohmann/json (strict RFC 8259): a document one parser accepts the other accepts too,
// except for what ours rejects on purpose (a duplicate key in one object, nesting beyond max_depth).
//
//   cmake --preset fuzz && cmake --build build-fuzz --target crosswalk_json_read_fuzz
//   build-fuzz/tests/fuzz/crosswalk_json_read_fuzz build-fuzz/tests/fuzz/seeds/json
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "fuzz_common.h"
#include "json/json_reader.h"
#include "json/json_writer.h"
#include "value/arena.h"
#include "value/value.h"

namespace {

using crosswalk::fuzz::Check;
using namespace crosswalk::vm;  // NOLINT: a fuzz target, not a header

enum class Strict { kAccept, kReject, kNoVerdict };

// nlohmann/json's verdict on `body` as RFC 8259 text. No verdict when it contains a NUL byte (nlohmann takes
// it for the end of input) or when nlohmann rejects only a number beyond double range (the grammar allows it;
// our reader keeps such a number as its exact text).
Strict StrictVerdict(std::string_view body) {
  if (body.find('\0') != std::string_view::npos) return Strict::kNoVerdict;
  if (nlohmann::json::accept(body.begin(), body.end())) return Strict::kAccept;
  try {
    nlohmann::json doc = nlohmann::json::parse(body.begin(), body.end());
    (void)doc;
  } catch (const nlohmann::json::out_of_range&) {
    return Strict::kNoVerdict;
  } catch (const nlohmann::json::exception&) {
    return Strict::kReject;
  }
  return Strict::kAccept;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > crosswalk::fuzz::kMaxInputBytes) return 0;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  static Arena arena;        // reused with Reset, as a RunContext does
  static JsonReader reader;  // its scratch stacks are reused too
  arena.Reset();

  // A shallow depth limit on a second reader exercises the limit's error path on nested inputs.
  JsonReadOptions shallow;
  shallow.max_depth = 4;
  Value ignored;
  ReadJson(text, arena, &ignored, shallow).IgnoreError();

  // A leading byte order mark is skipped by our reader and is not JSON to nlohmann.
  std::string_view body = text.substr(0, 3) == "\xEF\xBB\xBF" ? text.substr(3) : text;
  const Strict strict = StrictVerdict(body);
  Value root;
  crosswalk::Status read = reader.Read(text, arena, &root);
  if (!read.ok()) {
    Check(root.kind == ValueKind::kAbsent, "a failed read left a value behind");
    if (strict == Strict::kAccept) {
      std::string_view why = read.message();
      Check(why.find("duplicate key") != std::string_view::npos || why.find("deeper than") != std::string_view::npos,
            "the reader rejects RFC 8259 JSON that nlohmann/json accepts");
    }
    return 0;
  }
  Check(strict != Strict::kReject, "the reader accepts text that nlohmann/json rejects as JSON");
  ValueEnv env;
  env.arena = &arena;
  JsonWriteOptions exact;
  exact.fhir_absent_rules = false;
  std::string first;
  Check(WriteJson(env, root, &first, exact).ok(), "a value read from JSON cannot be written");

  Value again;
  Check(reader.Read(first, arena, &again).ok(), "the writer's output is not JSON the reader accepts");
  Check(Equal(env, root, again), "the value changed in a write/read round trip");
  std::string second;
  Check(WriteJson(env, again, &second, exact).ok(), "a value read back cannot be written");
  Check(first == second, "writing is not stable after one round trip");

  JsonWriteOptions fhir;
  fhir.pretty = true;
  std::string pretty;
  bool written = false;
  Check(WriteJson(env, root, &pretty, fhir, &written).ok(), "a value read from JSON cannot be written (FHIR rules)");
  if (written) Check(reader.Read(pretty, arena, &again).ok(), "pretty output is not JSON the reader accepts");
  return 0;
}
