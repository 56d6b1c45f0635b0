// crosswalk inspect MESSAGE.hl7|-
//
// Prints every populated value of every message in the file (batch, MLLP and concatenated messages
// are split as they are read, so a file of any size is inspected in bounded memory), with its HL7 path,
// decoded escapes and the segment group it belongs to:
//
//   # message 1: ORU^R01^ORU_R01, structure ORU_R01, 12 segments
//   OBX #5 [PATIENT_RESULT/ORDER_OBSERVATION/OBSERVATION]
//   OBX-3[1].1 = 8480-6
//   OBX-8[1] (explicit null "")
//
// Paths: SEG-F[r] for a field repetition, then .c when the repetition has components, then .s when the
// component has subcomponents. The user asked to see the data, so values are printed, but never a byte
// that could act on the terminal or forge an output line: C0 and C1 controls, DEL, bytes that are not
// UTF-8, line/paragraph separators and bidirectional overrides are shown as \n, \r, \t, \xHH or
// \uHHHH. Each field is walked once, piece by piece, so the time is linear in the message size.
//
// A part of the input that is not a message, or a message that does not parse, is reported on stderr
// (one line, position only, no content) and the others are still printed; the exit status is then 1.
#include <cstdio>
#include <string>
#include <vector>

#include "command.h"
#include "crosswalk/hl7v2.h"
#include "options.h"
#include "pieces.h"
#include "safe_text.h"

namespace {

using crosswalk::cli::ForEachPiece;

using crosswalk::MessageView;
using crosswalk::Status;

void AppendHex(const char* prefix, unsigned v, int digits, std::string* out) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%s%0*X", prefix, digits, v);
  out->append(buf);
}

// Appends v with every byte that could drive a terminal or start a new line escaped (see the top).
void AppendPrintable(std::string_view v, std::string* out) {
  size_t i = 0;
  while (i < v.size()) {
    auto c = static_cast<unsigned char>(v[i]);
    if (c >= 0x20 && c < 0x7f) {
      out->push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    if (c == '\n') {
      out->append("\\n");
      ++i;
      continue;
    }
    if (c == '\r') {
      out->append("\\r");
      ++i;
      continue;
    }
    if (c == '\t') {
      out->append("\\t");
      ++i;
      continue;
    }
    if (c < 0x80) {  // other C0 controls (ESC starts ANSI sequences) and DEL
      AppendHex("\\x", c, 2, out);
      ++i;
      continue;
    }
    size_t len = crosswalk::cli::Utf8Length(v, i);
    if (len == 0) {
      AppendHex("\\x", c, 2, out);
      ++i;
      continue;
    }
    uint32_t cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
    for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(v[i + k]) & 0x3F);
    // C1 controls (U+009B is a one-byte CSI), line and paragraph separators, bidirectional controls.
    if (cp <= 0x9F || cp == 0x2028 || cp == 0x2029 || (cp >= 0x202A && cp <= 0x202E) ||
        (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F || cp == 0x061C) {
      AppendHex("\\u", cp, 4, out);
    } else {
      out->append(v.substr(i, len));
    }
    i += len;
  }
}

// One leaf: `raw` is the still-escaped text at that position.
void PrintLeaf(const MessageView& m, std::string_view path, std::string_view raw, std::string* scratch,
               std::string* out) {
  if (raw.empty()) return;
  out->append(path);
  if (MessageView::IsExplicitNull(raw)) {
    out->append(" (explicit null \"\")\n");
    return;
  }
  out->append(" = ");
  AppendPrintable(m.Decode(raw, scratch), out);
  out->push_back('\n');
}

void PrintMessage(const MessageView& m, int index, std::string* out) {
  std::string scratch;
  const MessageView::Delimiters enc = m.delimiters();
  out->append("# message " + std::to_string(index) + ": ");
  AppendPrintable(m.field(0, 9), out);
  out->append(", structure ");
  out->append(m.structure().empty() ? std::string_view("unknown") : m.structure());
  out->append(", " + std::to_string(m.segment_count()) + " segments\n");
  std::string path;
  for (int seg = 0; seg < m.segment_count(); ++seg) {
    std::string id(m.segment_id(seg));
    out->append(id + " #" + std::to_string(seg + 1) + " [" + m.group_path(seg) + "]");
    if (!m.in_structure(seg)) out->append(" (not in the structure)");
    out->push_back('\n');
    for (int f = 1; f <= m.field_count(seg); ++f) {
      std::string fpath = id + "-" + std::to_string(f);
      std::string_view field = m.field(seg, f);
      if (field.empty()) continue;
      if (seg == 0 && f <= 2) {  // MSH-1 and MSH-2 are the delimiters themselves: never split or decoded
        out->append(fpath + " = ");
        AppendPrintable(field, out);
        out->push_back('\n');
        continue;
      }
      ForEachPiece(field, enc.repetition, [&](std::string_view rep, int r) {
        if (rep.empty()) return;
        std::string rpath = fpath + "[" + std::to_string(r) + "]";
        if (rep.find(enc.component) == std::string_view::npos &&
            rep.find(enc.subcomponent) == std::string_view::npos) {
          PrintLeaf(m, rpath, rep, &scratch, out);
          return;
        }
        ForEachPiece(rep, enc.component, [&](std::string_view comp, int c) {
          if (comp.empty()) return;
          std::string cpath = rpath + "." + std::to_string(c);
          if (comp.find(enc.subcomponent) == std::string_view::npos) {
            PrintLeaf(m, cpath, comp, &scratch, out);
            return;
          }
          ForEachPiece(comp, enc.subcomponent, [&](std::string_view sub, int s) {
            if (sub.empty()) return;
            path.assign(cpath).append(".").append(std::to_string(s));
            PrintLeaf(m, path, sub, &scratch, out);
          });
        });
      });
    }
  }
}

int Fail(const std::string& reason) {
  std::fprintf(stderr, "crosswalk inspect: %s\n", reason.c_str());
  return 1;
}

int RunInspect(const std::vector<std::string>& args) {
  std::string path;
  auto app = crosswalk::cli::MakeApp(
      "crosswalk inspect", "MESSAGE.hl7|-",
      "Prints every populated value of every message (batch/MLLP aware) with its path and group.\n"
      "Control characters in values are escaped. Parts of the input that are not messages, and\n"
      "messages that do not parse, are reported on stderr (no content); the exit status is then 1.");
  app->add_option("MESSAGE", path, "the messages to print; - reads standard input")
      ->required()
      ->type_name("MESSAGE.hl7|-");
  if (int rc = crosswalk::cli::Parse(*app, args); rc != crosswalk::cli::kParsed) return rc;
  std::FILE* in = stdin;
  if (path != "-") {
    in = std::fopen(path.c_str(), "rb");
    if (in == nullptr) return Fail("cannot open " + path);
  }
  crosswalk::MessageSplitter splitter;
  crosswalk::SplitItem item;
  MessageView msg;
  std::string out;
  int messages = 0, printed = 0, problems = 0;
  bool write_failed = false;
  auto drain = [&]() {
    while (splitter.Next(&item)) {
      if (item.kind == crosswalk::SplitItem::Kind::kEnvelope) continue;
      if (item.kind == crosswalk::SplitItem::Kind::kError) {
        ++problems;
        std::fprintf(stderr, "crosswalk inspect: %s\n", item.error.ToString().c_str());
        continue;
      }
      ++messages;
      if (Status st = msg.Parse(item.text); !st.ok()) {
        ++problems;
        std::fprintf(stderr, "crosswalk inspect: message %d (byte %llu): %s\n", messages,
                     static_cast<unsigned long long>(item.offset), st.ToString().c_str());
        continue;
      }
      out.clear();
      if (printed++ > 0) out.push_back('\n');
      PrintMessage(msg, messages, &out);
      if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size()) write_failed = true;
    }
  };
  std::vector<char> chunk(1 << 16);
  while (true) {
    size_t n = std::fread(chunk.data(), 1, chunk.size(), in);
    if (n > 0) {
      splitter.Feed(std::string_view(chunk.data(), n));
      drain();
    }
    if (n < chunk.size()) break;
  }
  bool read_failed = std::ferror(in) != 0;
  if (in != stdin) std::fclose(in);
  if (read_failed) return Fail("cannot read " + path);
  splitter.Finish();
  drain();
  if (std::fflush(stdout) != 0 || write_failed) return Fail("cannot write the output");
  if (messages == 0 && problems == 0) return Fail("no HL7 v2 message (MSH segment) in the input");
  if (problems > 0) {
    std::fprintf(stderr, "crosswalk inspect: %d message(s) printed, %d part(s) of the input rejected\n", printed,
                 problems);
    return 1;
  }
  return 0;
}

}  // namespace

CW_REGISTER_COMMAND(inspect, "inspect", "MESSAGE.hl7|-  print every populated value with its path and group",
                    RunInspect);
