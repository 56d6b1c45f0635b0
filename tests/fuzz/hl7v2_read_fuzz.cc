// libFuzzer target for the HL7 v2 reader (runtime/src/hl7v2/message.h): Parse, then read every value the
// way `crosswalk inspect` walks a message (every field, repetition, component and subcomponent, raw and
// decoded), build the segment-group tree, and build an ACK that must parse again.
//
//   cmake --preset fuzz && cmake --build build-fuzz --target crosswalk_hl7v2_read_fuzz
//   build-fuzz/tests/fuzz/crosswalk_hl7v2_read_fuzz build-fuzz/tests/fuzz/seeds/hl7v2
//
// The inspect printer itself is a CLI command (tools/crosswalk/cmd_inspect.cc, anonymous namespace), not a
// library function; its walk is repeated here over the same Message calls.
// Invariants: a failed Parse leaves the Message empty; every raw view lies inside the message text; counts
// are consistent with the field count; an ACK built from a parsed message parses.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_common.h"
#include "hl7v2/groups.h"
#include "hl7v2/message.h"
#include "hl7v2/writer.h"

namespace {

using crosswalk::fuzz::Check;
using crosswalk::fuzz::Within;
using crosswalk::hl7v2::GroupTree;
using crosswalk::hl7v2::Message;

// Reads every position of every segment; returns a checksum so the reads are not optimised away.
size_t ReadEverything(const Message& m) {
  std::string scratch;
  size_t sum = 0;
  const std::string_view text = m.text();
  for (int seg = 0; seg < m.segment_count(); ++seg) {
    Check(m.segment_id(seg).size() >= 1, "segment id is empty");
    Check(Within(m.segment_text(seg), text), "segment text outside the message");
    const int fields = m.field_count(seg);
    Check(m.Raw(seg, fields + 1).empty(), "a field after field_count() is present");
    for (int f = 1; f <= fields; ++f) {
      std::string_view whole = m.Raw(seg, f);
      Check(Within(whole, text), "field raw view outside the message");
      if (seg == 0 && f <= 2) {
        sum += m.Value(seg, f, 1, 1, 1, &scratch).size();
        continue;
      }
      const int reps = m.repetition_count(seg, f);
      Check(reps >= 0 && (reps == 0) == whole.empty(), "repetition count disagrees with the field text");
      for (int r = 1; r <= reps + 1; ++r) {
        std::string_view rep = m.Raw(seg, f, r);
        Check(Within(rep, whole), "repetition outside its field");
        if (r > reps) {
          Check(rep.empty(), "a repetition after repetition_count() is present");
          break;
        }
        const int comps = m.component_count(seg, f, r);
        for (int c = 1; c <= comps; ++c) {
          std::string_view comp = m.Raw(seg, f, r, c);
          Check(Within(comp, rep), "component outside its repetition");
          const int subs = m.subcomponent_count(seg, f, r, c);
          for (int s = 1; s <= subs; ++s) {
            std::string_view sub = m.Raw(seg, f, r, c, s);
            Check(Within(sub, comp), "subcomponent outside its component");
            sum += Message::IsExplicitNull(sub);
            sum += m.Value(seg, f, r, c, s, &scratch).size();
          }
          sum += m.Value(seg, f, r, c, 0, &scratch).size();
        }
        sum += m.Value(seg, f, r, 0, 0, &scratch).size();
      }
    }
  }
  return sum;
}

void WalkGroups(const Message& m, GroupTree* tree) {
  tree->Build(m);
  Check(tree->size() >= 1, "group tree has no root");
  for (int seg = 0; seg < m.segment_count(); ++seg) {
    int g = tree->group_of(seg);
    Check(g >= 0 && g < tree->size(), "segment in no group");
    const auto& inst = tree->instance(g);
    Check(inst.begin <= seg && seg < inst.end, "segment outside its group's range");
    (void)tree->Path(g);
    (void)tree->matched(seg);
  }
  // Depth-first over every instance through the sibling links: each is visited once.
  int visited = 0;
  int stack[64];
  int depth = 0;
  stack[depth++] = tree->root();
  while (depth > 0) {
    int inst = stack[--depth];
    ++visited;
    Check(visited <= tree->size(), "group tree links form a cycle");
    for (int c = tree->FirstChild(inst); c >= 0; c = tree->NextSibling(c)) {
      Check(tree->instance(c).parent == inst, "child's parent link is wrong");
      if (depth < 64) stack[depth++] = c;
    }
    for (int s = tree->FindSegment(inst, "OBX"); s >= 0; s = tree->FindSegment(inst, "OBX", s + 1)) {
      Check(s < m.segment_count(), "FindSegment out of range");
    }
  }
}

void BuildAndReadAck(const Message& m) {
  crosswalk::hl7v2::AckOptions o;
  o.code = "AE";
  o.control_id = "ACK1";
  o.timestamp = "20240501120000+0000";
  o.text = "fuzz ^|~\\& text";
  o.error_segment = m.segment_id(m.segment_count() - 1);
  o.error_segment_sequence = 1;
  o.error_field = 3;
  std::string ack;
  if (!crosswalk::hl7v2::BuildAck(m, o, &ack).ok()) return;
  Message reread;
  Check(reread.Parse(ack).ok(), "an ACK built from a parsed message does not parse");
  Check(reread.FindSegment("MSA") > 0, "the ACK has no MSA");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > crosswalk::fuzz::kMaxInputBytes) return 0;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  static Message msg;  // reused, as a RunContext reuses its Message
  static GroupTree tree;

  // Tight limits first, so that every limit's error path runs, then the defaults.
  crosswalk::hl7v2::ParseOptions tight;
  tight.max_segments = 8;
  tight.max_fields_per_segment = 12;
  tight.max_repetitions = 3;
  tight.max_field_bytes = 64;
  if (!msg.Parse(bytes, tight).ok()) Check(msg.segment_count() == 0, "a failed Parse left segments behind");

  if (!msg.Parse(bytes).ok()) {
    Check(msg.segment_count() == 0, "a failed Parse left segments behind");
    return 0;
  }
  Check(msg.segment_count() >= 1 && msg.segment_id(0) == "MSH", "a parsed message does not start with MSH");
  volatile size_t sink = ReadEverything(msg);
  (void)sink;
  WalkGroups(msg, &tree);
  BuildAndReadAck(msg);
  return 0;
}
