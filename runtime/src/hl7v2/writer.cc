#include "hl7v2/writer.h"

#include <algorithm>

#include "hl7v2/text.h"

namespace crosswalk::hl7v2 {
namespace {

constexpr int kMaxPosition = 65535;

bool ValidId(std::string_view id) {
  if (id.size() != 3) return false;
  for (char c : id) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

std::string_view ErrorCodeText(std::string_view code) {
  struct Row {
    std::string_view code, text;
  };
  static constexpr Row kRows[] = {
      {"0", "Message accepted"},         {"100", "Segment sequence error"},
      {"101", "Required field missing"}, {"102", "Data type error"},
      {"103", "Table value not found"},  {"200", "Unsupported message type"},
      {"201", "Unsupported event code"}, {"202", "Unsupported processing id"},
      {"203", "Unsupported version id"}, {"204", "Unknown key identifier"},
      {"205", "Duplicate key identifier"}, {"206", "Application record locked"},
      {"207", "Application internal error"},
  };
  for (const Row& r : kRows) {
    if (r.code == code) return r.text;
  }
  return {};
}

}  // namespace

static void AppendHexEscape(unsigned char c, char escape, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  const char seq[5] = {escape, 'X', kHex[c >> 4], kHex[c & 0xF], escape};
  out->append(seq, 5);
}

void AppendEscaped(std::string_view value, const Encoding& enc, std::string* out) {
  out->reserve(out->size() + value.size());
  const char e = enc.escape;
  for (size_t i = 0; i < value.size(); ++i) {
    char c = value[i];
    auto u = static_cast<unsigned char>(c);
    char code = 0;
    if (c == enc.field) {
      code = 'F';
    } else if (c == enc.component) {
      code = 'S';
    } else if (c == enc.repetition) {
      code = 'R';
    } else if (c == enc.escape) {
      code = 'E';
    } else if (c == enc.subcomponent) {
      code = 'T';
    } else if (enc.truncation != '\0' && c == enc.truncation) {
      code = 'P';
    } else if (c == '\n') {
      out->push_back(e);
      out->append(".br");
      out->push_back(e);
      continue;
    } else if (u < 0x20 || u == 0x7F) {
      // CR, NUL, the MLLP bytes 0x0B/0x1C and every other control: never written raw.
      AppendHexEscape(u, e, out);
      continue;
    } else if (u >= 0x80) {
      size_t len = Utf8SequenceAt(value, i);
      if (len == 0) {
        out->append("\xEF\xBF\xBD");  // not UTF-8: U+FFFD
      } else {
        out->append(value.substr(i, len));
        i += len - 1;
      }
      continue;
    } else {
      out->push_back(c);
      continue;
    }
    out->push_back(e);
    out->push_back(code);
    out->push_back(e);
  }
}

static void AppendRawSafe(std::string_view raw, const Encoding& enc, std::string* out) {
  out->reserve(out->size() + raw.size());
  for (char c : raw) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      AppendHexEscape(u, enc.escape, out);
    } else {
      out->push_back(c);
    }
  }
}

std::string Escape(std::string_view value, const Encoding& enc) {
  std::string out;
  AppendEscaped(value, enc, &out);
  return out;
}

void Writer::Reset() {
  out_.clear();
  items_.clear();
  values_.clear();
  segment_id_.clear();
  in_segment_ = false;
}

void Writer::Reset(const Encoding& encoding) {
  Reset();
  enc_ = encoding;
}

Status Writer::BeginSegment(std::string_view id) {
  if (!ValidId(id)) return InvalidArgument("segment id must be 3 upper-case letters or digits");
  FlushSegment();
  segment_id_.assign(id);
  in_segment_ = true;
  return Status::Ok();
}

Status Writer::Set(int field, int rep, int comp, int sub, std::string_view value) {
  if (rep < 1 || comp < 1 || sub < 1) return InvalidArgument("repetition, component and subcomponent start at 1");
  return Add(field, rep, comp, sub, value, true);
}

Status Writer::SetRaw(int field, int rep, int comp, int sub, std::string_view raw) {
  return Add(field, rep, comp, sub, raw, false);
}

Status Writer::Add(int field, int rep, int comp, int sub, std::string_view text, bool escape) {
  if (!in_segment_) return FailedPrecondition("no segment started (call BeginSegment first)");
  const bool msh = segment_id_ == "MSH";
  if (field < (msh ? 3 : 1) || field > kMaxPosition || rep < 0 || rep > kMaxPosition || comp < 0 ||
      comp > kMaxPosition || sub < 0 || sub > kMaxPosition) {
    return InvalidArgument(msh ? "MSH positions start at field 3 (MSH-1/MSH-2 come from the encoding)"
                               : "field position out of range");
  }
  Item item;
  item.field = static_cast<uint16_t>(field);
  item.rep = static_cast<uint16_t>(std::max(rep, 1));
  item.comp = static_cast<uint16_t>(std::max(comp, 1));
  item.sub = static_cast<uint16_t>(std::max(sub, 1));
  item.order = static_cast<uint32_t>(items_.size());
  item.offset = static_cast<uint32_t>(values_.size());
  if (escape) {
    AppendEscaped(text, enc_, &values_);
  } else {
    AppendRawSafe(text, enc_, &values_);
  }
  item.length = static_cast<uint32_t>(values_.size()) - item.offset;
  items_.push_back(item);
  return Status::Ok();
}

void Writer::FlushSegment() {
  if (!in_segment_) return;
  out_.append(segment_id_);
  int field = 0;
  if (segment_id_ == "MSH") {
    out_.push_back(enc_.field);
    out_.push_back(enc_.component);
    out_.push_back(enc_.repetition);
    out_.push_back(enc_.escape);
    out_.push_back(enc_.subcomponent);
    if (enc_.truncation != '\0') out_.push_back(enc_.truncation);
    field = 2;
  }
  std::sort(items_.begin(), items_.end(), [](const Item& a, const Item& b) {
    if (a.field != b.field) return a.field < b.field;
    if (a.rep != b.rep) return a.rep < b.rep;
    if (a.comp != b.comp) return a.comp < b.comp;
    if (a.sub != b.sub) return a.sub < b.sub;
    return a.order < b.order;
  });
  int rep = 1, comp = 1, sub = 1;
  for (size_t i = 0; i < items_.size(); ++i) {
    const Item& it = items_[i];
    // A later Set of the same position wins.
    if (i + 1 < items_.size()) {
      const Item& nx = items_[i + 1];
      if (nx.field == it.field && nx.rep == it.rep && nx.comp == it.comp && nx.sub == it.sub) continue;
    }
    if (it.field != field) {
      out_.append(static_cast<size_t>(it.field - field), enc_.field);
      field = it.field;
      rep = comp = sub = 1;
    }
    if (it.rep != rep) {
      out_.append(static_cast<size_t>(it.rep - rep), enc_.repetition);
      rep = it.rep;
      comp = sub = 1;
    }
    if (it.comp != comp) {
      out_.append(static_cast<size_t>(it.comp - comp), enc_.component);
      comp = it.comp;
      sub = 1;
    }
    if (it.sub != sub) {
      out_.append(static_cast<size_t>(it.sub - sub), enc_.subcomponent);
      sub = it.sub;
    }
    out_.append(values_, it.offset, it.length);
  }
  out_.push_back('\r');
  items_.clear();
  values_.clear();
  in_segment_ = false;
}

std::string_view Writer::Finish() {
  FlushSegment();
  return out_;
}

Status BuildAck(const Message& in, const AckOptions& o, std::string* out) {
  static constexpr std::string_view kCodes[] = {"AA", "AE", "AR", "CA", "CE", "CR"};
  if (std::find(std::begin(kCodes), std::end(kCodes), o.code) == std::end(kCodes)) {
    return InvalidArgument("acknowledgment code must be AA, AE, AR, CA, CE or CR");
  }
  if (o.control_id.empty() || o.timestamp.empty()) {
    return InvalidArgument("an ACK needs a control id and a timestamp");
  }
  if (o.severity != 'E' && o.severity != 'W' && o.severity != 'I') {
    return InvalidArgument("ERR-4 severity must be E, W or I");
  }
  const std::string_view text = Utf8Prefix(o.text, o.max_text_bytes);
  if (in.segment_count() == 0) return FailedPrecondition("the inbound message is empty");
  Writer w(in.encoding());
  CW_RETURN_IF_ERROR(w.BeginSegment("MSH"));
  // Sending ↔ receiving application and facility (raw: same encoding as the inbound message).
  CW_RETURN_IF_ERROR(w.SetRaw(3, 0, 0, 0, in.Raw(0, 5)));
  CW_RETURN_IF_ERROR(w.SetRaw(4, 0, 0, 0, in.Raw(0, 6)));
  CW_RETURN_IF_ERROR(w.SetRaw(5, 0, 0, 0, in.Raw(0, 3)));
  CW_RETURN_IF_ERROR(w.SetRaw(6, 0, 0, 0, in.Raw(0, 4)));
  CW_RETURN_IF_ERROR(w.Set(7, 1, 1, 1, o.timestamp));
  CW_RETURN_IF_ERROR(w.Set(9, 1, 1, 1, "ACK"));
  std::string_view trigger = in.Raw(0, 9, 1, 2);
  if (!trigger.empty()) CW_RETURN_IF_ERROR(w.SetRaw(9, 1, 2, 0, trigger));
  CW_RETURN_IF_ERROR(w.Set(9, 1, 3, 1, "ACK"));
  CW_RETURN_IF_ERROR(w.Set(10, 1, 1, 1, o.control_id));
  // Processing id and version as the sender gave them; both are required, so an inbound MSH without them
  // (a sender's mistake) gets production and 2.5.1 rather than an ACK that is itself invalid.
  std::string_view processing = in.Raw(0, 11), version = in.Raw(0, 12);
  CW_RETURN_IF_ERROR(processing.empty() ? w.Set(11, 1, 1, 1, "P") : w.SetRaw(11, 0, 0, 0, processing));
  CW_RETURN_IF_ERROR(version.empty() ? w.Set(12, 1, 1, 1, "2.5.1") : w.SetRaw(12, 0, 0, 0, version));
  if (!in.Raw(0, 18).empty()) CW_RETURN_IF_ERROR(w.SetRaw(18, 0, 0, 0, in.Raw(0, 18)));

  CW_RETURN_IF_ERROR(w.BeginSegment("MSA"));
  CW_RETURN_IF_ERROR(w.Set(1, 1, 1, 1, o.code));
  CW_RETURN_IF_ERROR(w.SetRaw(2, 0, 0, 0, in.Raw(0, 10)));
  if (!text.empty()) CW_RETURN_IF_ERROR(w.Set(3, 1, 1, 1, text));

  const bool accepted = o.code == "AA" || o.code == "CA";
  if (!accepted || !o.error_segment.empty()) {
    CW_RETURN_IF_ERROR(w.BeginSegment("ERR"));
    if (!o.error_segment.empty()) {
      CW_RETURN_IF_ERROR(w.Set(2, 1, 1, 1, o.error_segment));
      CW_RETURN_IF_ERROR(w.Set(2, 1, 2, 1, std::to_string(std::max(o.error_segment_sequence, 1))));
      if (o.error_field > 0) CW_RETURN_IF_ERROR(w.Set(2, 1, 3, 1, std::to_string(o.error_field)));
    }
    std::string_view code = o.error_code.empty() ? (accepted ? "0" : "207") : o.error_code;
    CW_RETURN_IF_ERROR(w.Set(3, 1, 1, 1, code));
    std::string_view code_text = ErrorCodeText(code);
    if (!code_text.empty()) CW_RETURN_IF_ERROR(w.Set(3, 1, 2, 1, code_text));
    CW_RETURN_IF_ERROR(w.Set(3, 1, 3, 1, "HL70357"));
    CW_RETURN_IF_ERROR(w.Set(4, 1, 1, 1, std::string_view(&o.severity, 1)));
    if (!text.empty()) CW_RETURN_IF_ERROR(w.Set(8, 1, 1, 1, text));
  }
  out->assign(w.Finish());
  return Status::Ok();
}

}  // namespace crosswalk::hl7v2
