// crosswalk inspect MESSAGE.hl7|-
//
// Prints every populated value of every message in the file (batch, MLLP and concatenated messages
// are split), with its HL7 path, decoded escapes and the segment group it belongs to:
//
//   # message 1: ORU^R01^ORU_R01, structure ORU_R01, 12 segments
//   OBX #5 [PATIENT_RESULT/ORDER_OBSERVATION/OBSERVATION]
//   OBX-3[1].1 = 8480-6
//   OBX-8[1] (explicit null "")
//
// Paths: SEG-F[r] for a field repetition, then .c when the repetition has components, then .s when the
// component has subcomponents. Control characters in values are shown as \n, \r, \t or \xHH. The user
// asked to see the data, so values are printed; errors (exit 1) are one line without message content.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "command.h"
#include "hl7v2/framing.h"
#include "hl7v2/groups.h"
#include "hl7v2/message.h"

namespace {

using crosswalk::Status;
using crosswalk::hl7v2::Batch;
using crosswalk::hl7v2::GroupTree;
using crosswalk::hl7v2::Message;

void AppendPrintable(std::string_view v, std::string* out) {
  for (char ch : v) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '\n') {
      out->append("\\n");
    } else if (c == '\r') {
      out->append("\\r");
    } else if (c == '\t') {
      out->append("\\t");
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02X", c);
      out->append(buf);
    } else {
      out->push_back(ch);
    }
  }
}

void PrintLeaf(const Message& m, std::string_view path, int seg, int f, int r, int c, int s, std::string* scratch,
               std::string* out) {
  std::string_view raw = m.Raw(seg, f, r, c, s);
  if (raw.empty()) return;
  out->append(path);
  if (Message::IsExplicitNull(raw)) {
    out->append(" (explicit null \"\")\n");
    return;
  }
  out->append(" = ");
  AppendPrintable(m.Value(seg, f, r, c, s, scratch), out);
  out->push_back('\n');
}

void PrintMessage(const Message& m, const GroupTree& tree, int index, std::string* out) {
  std::string scratch;
  out->append("# message " + std::to_string(index) + ": ");
  AppendPrintable(m.Raw(0, 9), out);
  out->append(", structure ");
  out->append(tree.structure() ? tree.structure()->name : std::string_view("unknown"));
  out->append(", " + std::to_string(m.segment_count()) + " segments\n");
  for (int seg = 0; seg < m.segment_count(); ++seg) {
    std::string id(m.segment_id(seg));
    std::string group = tree.Path(tree.group_of(seg));
    out->append(id + " #" + std::to_string(seg + 1) + " [" +
                (group.empty() ? std::string(tree.instance(0).name()) : group) + "]");
    if (!tree.matched(seg)) out->append(" (not in the structure)");
    out->push_back('\n');
    for (int f = 1; f <= m.field_count(seg); ++f) {
      std::string fpath = id + "-" + std::to_string(f);
      if (seg == 0 && f <= 2) {
        PrintLeaf(m, fpath, seg, f, 1, 1, 1, &scratch, out);
        continue;
      }
      for (int r = 1; r <= m.repetition_count(seg, f); ++r) {
        std::string rpath = fpath + "[" + std::to_string(r) + "]";
        int comps = m.component_count(seg, f, r);
        if (comps <= 1 && m.subcomponent_count(seg, f, r, 1) <= 1) {
          PrintLeaf(m, rpath, seg, f, r, 1, 1, &scratch, out);
          continue;
        }
        for (int c = 1; c <= comps; ++c) {
          std::string cpath = rpath + "." + std::to_string(c);
          int subs = m.subcomponent_count(seg, f, r, c);
          if (subs <= 1) {
            PrintLeaf(m, cpath, seg, f, r, c, 1, &scratch, out);
            continue;
          }
          for (int s = 1; s <= subs; ++s) {
            PrintLeaf(m, cpath + "." + std::to_string(s), seg, f, r, c, s, &scratch, out);
          }
        }
      }
    }
  }
}

int Fail(const std::string& reason) {
  std::fprintf(stderr, "crosswalk inspect: %s\n", reason.c_str());
  return 1;
}

int RunInspect(const std::vector<std::string>& args) {
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
    std::printf("usage: crosswalk inspect MESSAGE.hl7|-\n"
                "Prints every populated value of every message (batch/MLLP aware) with its path and group.\n");
    return 0;
  }
  if (args.size() != 1) {
    std::fprintf(stderr, "usage: crosswalk inspect MESSAGE.hl7|-\n");
    return 2;
  }
  std::string data;
  if (args[0] == "-") {
    data.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(args[0], std::ios::binary);
    if (!in) return Fail("cannot open " + args[0]);
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) return Fail("cannot read " + args[0]);
    data = ss.str();
  }
  Batch batch;
  if (Status st = crosswalk::hl7v2::SplitMessages(data, &batch); !st.ok()) return Fail(st.ToString());
  Message msg;
  GroupTree tree;
  std::string out;
  for (size_t i = 0; i < batch.messages.size(); ++i) {
    if (Status st = msg.Parse(batch.messages[i]); !st.ok()) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      std::fflush(stdout);
      return Fail("message " + std::to_string(i + 1) + ": " + st.ToString());
    }
    tree.Build(msg);
    if (i > 0) out.push_back('\n');
    PrintMessage(msg, tree, static_cast<int>(i + 1), &out);
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : Fail("cannot write the output");
}

}  // namespace

CW_REGISTER_COMMAND(inspect, "inspect", "MESSAGE.hl7|-  print every populated value with its path and group",
                    RunInspect);
