// HL7 v2 ER7 writer and ACK builder.
//
//   Writer w;                                  // default encoding |^~\&; reusable (Reset keeps capacity)
//   CW_RETURN_IF_ERROR(w.BeginSegment("MSH"));  // MSH-1 and MSH-2 come from the encoding
//   CW_RETURN_IF_ERROR(w.Set(9, 1, 1, 1, "ORU"));
//   CW_RETURN_IF_ERROR(w.Set(9, 1, 2, 1, "R01"));
//   CW_RETURN_IF_ERROR(w.BeginSegment("PID"));
//   CW_RETURN_IF_ERROR(w.Set(5, 1, 1, 1, "O'Brien & Sons"));   // written "O'Brien \T\ Sons"
//   std::string_view er7 = w.Finish();         // segments terminated by \r
//
// Positions use HL7 numbering (see message.h). Values may be set in any order; the segment is assembled
// when the next one begins (or at Finish), with only the delimiters needed (no trailing empties).
// Setting the same position twice keeps the last value. Nothing here reads the clock: the ACK's
// control id and timestamp are arguments.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crosswalk/status.h"
#include "hl7v2/message.h"

namespace crosswalk::hl7v2 {

// Appends `value` escaped for `enc`: field, component, repetition, escape, subcomponent and truncation
// characters become \F\ \S\ \R\ \E\ \T\ \P\; LF becomes \.br\ and every other control byte (C0,
// CR, NUL, the MLLP bytes 0x0B and 0x1C, and DEL) \Xhh\, so no value can end a segment or an MLLP frame.
// Bytes that are not UTF-8 become U+FFFD. For valid UTF-8 `value`, Message::Value() gives it back exactly.
void AppendEscaped(std::string_view value, const Encoding& enc, std::string* out);
std::string Escape(std::string_view value, const Encoding& enc = {});

class Writer {
 public:
  explicit Writer(const Encoding& encoding = {}) : enc_(encoding) {}

  const Encoding& encoding() const { return enc_; }
  // Forgets everything written (capacity is kept); optionally switches the encoding.
  void Reset();
  void Reset(const Encoding& encoding);

  // Ends the current segment, if any, and starts `id` (3 upper-case letters/digits).
  Status BeginSegment(std::string_view id);
  // Sets an escaped value. field >= 1 (>= 3 for MSH), rep/comp/sub >= 1.
  Status Set(int field, int rep, int comp, int sub, std::string_view value);
  // Sets text that is already ER7 for that position (copied as is, except that control bytes are
  // written \Xhh\). 0 for rep/comp/sub means the whole field/repetition/component, e.g.
  // SetRaw(3, 0, 0, 0, "A^B~C").
  Status SetRaw(int field, int rep, int comp, int sub, std::string_view raw);
  // Sets the explicit null "".
  Status SetNull(int field, int rep, int comp, int sub) { return SetRaw(field, rep, comp, sub, "\"\""); }

  // Ends the last segment; returns the whole message text (valid until the next call on this Writer).
  std::string_view Finish();

 private:
  struct Item {
    uint16_t field, rep, comp, sub;
    uint32_t order;  // insertion order: the last Set of a position wins
    uint32_t offset, length;  // into values_
  };
  Status Add(int field, int rep, int comp, int sub, std::string_view text, bool escape);
  void FlushSegment();

  Encoding enc_;
  std::string out_;
  std::string segment_id_;
  bool in_segment_ = false;
  std::vector<Item> items_;
  std::string values_;
};

// What an ACK says. The caller supplies the ACK's own control id and timestamp (deterministic).
struct AckOptions {
  std::string_view code = "AA";   // MSA-1: AA, AE, AR (or CA, CE, CR)
  std::string_view control_id;    // MSH-10 of the ACK
  std::string_view timestamp;     // MSH-7 of the ACK, e.g. "20240501120000+0000"
  std::string_view text;          // MSA-3 and ERR-8 (escaped); empty for none
  size_t max_text_bytes = kDefaultAckTextBytes;  // text is cut to this (on a UTF-8 boundary)
  // Error location for ERR-2 (segment id, its 1-based sequence among segments with that id, field).
  std::string_view error_segment;
  int error_segment_sequence = 1;
  int error_field = 0;
  // ERR-3 (HL7 table 0357), e.g. "207" (application internal error); defaults to 207 when code is not
  // AA/CA. ERR-4 severity: E, W or I.
  std::string_view error_code;
  char severity = 'E';
};

// Builds the ACK to `inbound`: MSH with sending and receiving application/facility swapped, the
// inbound encoding characters, MSH-9 ACK^<trigger>^ACK, MSH-11/MSH-12 (and MSH-18) copied; MSA with
// the inbound MSH-10; ERR (v2.5+ layout) unless the code is AA/CA with no error location. *out is
// replaced. Raw text copied from `inbound` has its control bytes escaped. kInvalidArgument for an unknown
// ack code, an empty control id/timestamp or a severity other than E, W, I.
Status BuildAck(const Message& inbound, const AckOptions& options, std::string* out);

}  // namespace crosswalk::hl7v2
