// The header reader and ACK builder of crosswalk/hl7v2.h: thin wrappers over Message and BuildAck.
#include <iterator>
#include <string>

#include "crosswalk/hl7v2.h"
#include "hl7v2/framing.h"
#include "hl7v2/message.h"
#include "hl7v2/schema.h"
#include "hl7v2/writer.h"

namespace crosswalk {
namespace {

// Parses only the MSH segment of `message` (framing removed), so a broken body does not matter.
Status ParseMsh(std::string_view message, hl7v2::Message* msh) {
  std::string_view t = message;
  CW_RETURN_IF_ERROR(hl7v2::StripFraming(&t));
  while (!t.empty() && (t.front() == '\r' || t.front() == '\n')) t.remove_prefix(1);
  size_t end = t.find_first_of("\r\n");
  if (end != std::string_view::npos) t = t.substr(0, end);
  hl7v2::ParseOptions options;
  options.invalid_utf8 = InvalidUtf8::kReplace;
  return msh->Parse(t, options);
}

}  // namespace

Status ReadMessageHeader(std::string_view message, MessageHeader* out) {
  hl7v2::Message msh;
  CW_RETURN_IF_ERROR(ParseMsh(message, &msh));
  std::string scratch;
  auto value = [&](int field, int comp) { return std::string(msh.Value(0, field, 1, comp, 1, &scratch)); };
  out->message_code = value(9, 1);
  out->trigger_event = value(9, 2);
  const hl7v2::StructureDef* def = hl7v2::StructureForMessage(msh);
  out->structure = def != nullptr ? std::string(def->name) : value(9, 3);
  out->control_id = value(10, 1);
  out->processing_id = value(11, 1);
  out->version = value(12, 1);
  return Status::Ok();
}

Status BuildAck(std::string_view inbound, const AckOptions& options, std::string* out) {
  hl7v2::Message in;
  CW_RETURN_IF_ERROR(ParseMsh(inbound, &in));
  static constexpr std::string_view kCodes[] = {"AA", "AE", "AR"};
  if (static_cast<size_t>(options.code) >= std::size(kCodes)) return InvalidArgument("unknown AckCode");
  hl7v2::AckOptions o;
  o.code = kCodes[static_cast<int>(options.code)];
  o.control_id = options.control_id;
  o.timestamp = options.timestamp;
  o.text = options.text;
  o.max_text_bytes = options.max_text_bytes;
  o.error_segment = options.error_segment;
  o.error_segment_sequence = options.error_segment_sequence;
  o.error_field = options.error_field;
  o.error_code = options.error_code;
  o.severity = options.severity;
  return hl7v2::BuildAck(in, o, out);
}

}  // namespace crosswalk
