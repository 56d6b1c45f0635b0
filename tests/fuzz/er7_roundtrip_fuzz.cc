// libFuzzer target for the ER7 writer (runtime/src/hl7v2/writer.h): read a message, write every decoded
// value back through Writer::Set with the message's own encoding characters, read the result, and require
// the same segments and the same decoded values at the same positions.
//
//   cmake --preset fuzz && cmake --build build-fuzz --target crosswalk_er7_roundtrip_fuzz
//   build-fuzz/tests/fuzz/crosswalk_er7_roundtrip_fuzz build-fuzz/tests/fuzz/seeds/hl7v2
//
// Values come from Message::Value, so they hold everything escapes can produce (delimiters, CR, LF, any
// byte): the writer must escape each so that the reader gives back exactly that value. MSH-18 (character
// set) is not copied: the values are already UTF-8 after the first read.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "fuzz_common.h"
#include "hl7v2/message.h"
#include "hl7v2/writer.h"

namespace {

using crosswalk::fuzz::Check;
using crosswalk::hl7v2::Message;

struct Leaf {
  int seg, field, rep, comp, sub;
  std::string value;
  bool operator==(const Leaf& o) const {
    return std::tie(seg, field, rep, comp, sub, value) == std::tie(o.seg, o.field, o.rep, o.comp, o.sub, o.value);
  }
};

constexpr int kCharsetField = 18;  // MSH-18

// Every non-empty decoded leaf value (MSH-1, MSH-2 and MSH-18 excepted), in position order.
void Leaves(const Message& m, std::vector<Leaf>* out) {
  out->clear();
  std::string scratch;
  for (int seg = 0; seg < m.segment_count(); ++seg) {
    for (int f = seg == 0 ? 3 : 1; f <= m.field_count(seg); ++f) {
      if (seg == 0 && f == kCharsetField) continue;
      for (int r = 1; r <= m.repetition_count(seg, f); ++r) {
        const int comps = std::max(1, m.component_count(seg, f, r));
        for (int c = 1; c <= comps; ++c) {
          const int subs = std::max(1, m.subcomponent_count(seg, f, r, c));
          for (int s = 1; s <= subs; ++s) {
            std::string_view v = m.Value(seg, f, r, c, s, &scratch);
            if (!v.empty()) out->push_back({seg, f, r, c, s, std::string(v)});
          }
        }
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > crosswalk::fuzz::kMaxInputBytes) return 0;
  static Message first, second;
  static std::vector<Leaf> before, after;
  if (!first.Parse(std::string_view(reinterpret_cast<const char*>(data), size)).ok()) return 0;
  Leaves(first, &before);

  crosswalk::hl7v2::Writer writer(first.encoding());
  size_t next = 0;
  for (int seg = 0; seg < first.segment_count(); ++seg) {
    // Ids the reader accepts but the writer does not (e.g. lower case) are not a round trip to test.
    if (!writer.BeginSegment(first.segment_id(seg)).ok()) return 0;
    for (; next < before.size() && before[next].seg == seg; ++next) {
      const Leaf& l = before[next];
      Check(writer.Set(l.field, l.rep, l.comp, l.sub, l.value).ok(), "Writer::Set refused a position read back");
    }
  }
  std::string_view er7 = writer.Finish();

  Check(second.Parse(er7).ok(), "the writer's output does not parse");
  Check(second.segment_count() == first.segment_count(), "segment count changed in the round trip");
  for (int seg = 0; seg < first.segment_count(); ++seg) {
    Check(second.segment_id(seg) == first.segment_id(seg), "segment id changed in the round trip");
  }
  const crosswalk::hl7v2::Encoding& a = first.encoding();
  const crosswalk::hl7v2::Encoding& b = second.encoding();
  Check(a.field == b.field && a.component == b.component && a.repetition == b.repetition &&
            a.escape == b.escape && a.subcomponent == b.subcomponent && a.truncation == b.truncation,
        "encoding characters changed in the round trip");
  Leaves(second, &after);
  Check(after.size() == before.size(), "number of values changed in the round trip");
  for (size_t i = 0; i < before.size(); ++i) Check(after[i] == before[i], "a value changed in the round trip");
  return 0;
}
