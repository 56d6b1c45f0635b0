#include "hl7v2/framing.h"

#include <string>

namespace crosswalk::hl7v2 {
namespace {

bool IsBlank(char c) { return c == '\r' || c == '\n' || c == ' ' || c == '\t'; }
bool IsIdChar(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

void StripBom(std::string_view* s) {
  if (s->size() >= 3 && (*s)[0] == '\xEF' && (*s)[1] == '\xBB' && (*s)[2] == '\xBF') s->remove_prefix(3);
}

// True when `line` starts with segment id `id` followed by a delimiter or nothing.
bool StartsSegment(std::string_view line, std::string_view id) {
  if (line.size() < 3 || line.substr(0, 3) != id) return false;
  return line.size() == 3 || !(IsIdChar(line[3]) || (line[3] >= 'a' && line[3] <= 'z'));
}

Status OutsideError(int ordinal, std::string_view line) {
  ErrorContext ctx;
  ctx.input_position = "segment " + std::to_string(ordinal);
  if (line.size() >= 3 && IsIdChar(line[0]) && IsIdChar(line[1]) && IsIdChar(line[2])) {
    ctx.input_position += " (" + std::string(line.substr(0, 3)) + ")";
  }
  return Status(StatusCode::kParseError, "data outside a message (no MSH segment before it)", std::move(ctx));
}

// Splits unframed text into messages.
Status SplitPlain(std::string_view data, int* ordinal, Batch* batch) {
  const size_t n = data.size();
  size_t i = 0;
  size_t msg_start = std::string_view::npos;
  size_t msg_end = 0;
  auto close = [&]() {
    if (msg_start != std::string_view::npos) batch->messages.push_back(data.substr(msg_start, msg_end - msg_start));
    msg_start = std::string_view::npos;
  };
  while (i < n) {
    size_t e = i;
    while (e < n && data[e] != '\r' && data[e] != '\n') ++e;
    std::string_view line = data.substr(i, e - i);
    bool blank = true;
    for (char c : line) blank = blank && IsBlank(c);
    if (!blank) {
      ++*ordinal;
      if (StartsSegment(line, "MSH")) {
        close();
        msg_start = i;
      } else if (StartsSegment(line, "FHS")) {
        close();
        batch->fhs = line;
      } else if (StartsSegment(line, "BHS")) {
        close();
        batch->bhs = line;
      } else if (StartsSegment(line, "BTS")) {
        close();
        batch->bts = line;
      } else if (StartsSegment(line, "FTS")) {
        close();
        batch->fts = line;
      } else if (msg_start == std::string_view::npos) {
        return OutsideError(*ordinal, line);
      }
    }
    // Include the terminator(s) of this line in the current message.
    while (e < n && (data[e] == '\r' || data[e] == '\n')) ++e;
    if (!blank && msg_start != std::string_view::npos) msg_end = e;
    i = e;
  }
  close();
  return Status::Ok();
}

}  // namespace

Status StripFraming(std::string_view* bytes) {
  std::string_view s = *bytes;
  StripBom(&s);
  if (!s.empty() && s.front() == kMllpStart) {
    size_t end = s.find(kMllpEnd);
    if (end == std::string_view::npos) return ParseError("MLLP frame has no end block (0x1C)");
    for (size_t k = end + 1; k < s.size(); ++k) {
      if (!IsBlank(s[k])) return ParseError("data after the end of the MLLP frame");
    }
    s = s.substr(1, end - 1);
    StripBom(&s);
  }
  *bytes = s;
  return Status::Ok();
}

Status SplitMessages(std::string_view data, Batch* batch) {
  batch->clear();
  StripBom(&data);
  int ordinal = 0;
  size_t i = 0;
  while (i < data.size() && IsBlank(data[i])) ++i;
  if (i < data.size() && data[i] == kMllpStart) {
    // A stream of MLLP frames, each holding a message or a batch.
    while (i < data.size()) {
      if (IsBlank(data[i])) {
        ++i;
        continue;
      }
      if (data[i] != kMllpStart) return ParseError("data between MLLP frames");
      size_t end = data.find(kMllpEnd, i + 1);
      if (end == std::string_view::npos) return ParseError("MLLP frame has no end block (0x1C)");
      std::string_view frame = data.substr(i + 1, end - i - 1);
      StripBom(&frame);
      CW_RETURN_IF_ERROR(SplitPlain(frame, &ordinal, batch));
      i = end + 1;
    }
  } else {
    CW_RETURN_IF_ERROR(SplitPlain(data, &ordinal, batch));
  }
  if (batch->messages.empty()) return ParseError("no HL7 v2 message (MSH segment) in the input");
  return Status::Ok();
}

}  // namespace crosswalk::hl7v2
