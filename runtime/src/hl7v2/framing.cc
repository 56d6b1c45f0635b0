#include "hl7v2/framing.h"

#include <string>

#include "crosswalk/hl7v2.h"

namespace crosswalk::hl7v2 {
namespace {

bool IsBlank(char c) { return c == '\r' || c == '\n' || c == ' ' || c == '\t'; }
void StripBom(std::string_view* s) {
  if (s->size() >= 3 && (*s)[0] == '\xEF' && (*s)[1] == '\xBB' && (*s)[2] == '\xBF') s->remove_prefix(3);
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
  MessageSplitter splitter;
  splitter.Feed(data);
  splitter.Finish();
  SplitItem item;
  Status first_error;
  while (splitter.Next(&item)) {
    // Offsets are positions in `data`: the views below point into the caller's bytes, not the splitter's.
    std::string_view text = data.substr(static_cast<size_t>(item.offset), static_cast<size_t>(item.length));
    switch (item.kind) {
      case SplitItem::Kind::kMessage: batch->messages.push_back(text); break;
      case SplitItem::Kind::kEnvelope:
        if (text.substr(0, 3) == "FHS") batch->fhs = text;
        if (text.substr(0, 3) == "BHS") batch->bhs = text;
        if (text.substr(0, 3) == "BTS") batch->bts = text;
        if (text.substr(0, 3) == "FTS") batch->fts = text;
        break;
      case SplitItem::Kind::kError:
        if (first_error.ok()) first_error = item.error;
        break;
    }
  }
  if (!first_error.ok()) return first_error;
  if (batch->messages.empty()) return ParseError("no HL7 v2 message (MSH segment) in the input");
  return Status::Ok();
}

}  // namespace crosswalk::hl7v2
