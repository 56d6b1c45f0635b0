// The audit trail of `crosswalk serve`: one JSON object per line in <inbox>/audit.jsonl. AuditEvent and
// AuditLog are public (crosswalk/serve.h); this header holds the rule of what a line may hold (AuditFields).
//
//   {"time":"2026-11-30T06:10:00.123Z","event":"received","listener":"mllp:127.0.0.1:2575",
//    "peer":"127.0.0.1:50112","seq":7,"control_id":"MSG00001","type":"ADT^A01^ADT_A01",
//    "sha256":"9f2c…","bytes":812,"outcome":"stored"}
//
// Events: connected, refused (a connection over the limit), received (outcome stored | duplicate |
// malformed | too-large | store-failed), acknowledged (outcome = the ACK code), converted (map),
// written (file), rejected (reason), error (an output write tried again later, a record that cannot be read),
// and the others in docs/serve.md ("The audit trail"). Never message content: the
// control id is the sender's message identifier, the type is written only when it has the shape of a code
// (ADT^A01^ADT_A01), reasons are Status texts (positions, never values), the content is a SHA-256.
//
// Lines are appended with one write() each (O_APPEND), so they survive a crash of the process; they are not
// fsynced per line (the inbox, not the audit, is what an ACK promises). Thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "crosswalk/serve.h"
#include "crosswalk/status.h"

namespace crosswalk::serve {

// True when `type` has the shape of an HL7 message type: 3 letters/digits, then up to two ^-separated
// components of letters, digits and '_' (at most 7 each).
bool LooksLikeMessageType(std::string_view type);

// One field of an audit or log line after "event".
struct AuditField {
  std::string_view key;
  std::string value;
  bool number = false;  // written without quotes in JSON
};
// The fields of `e` that are set (listener, peer, seq, control_id, type, sha256, bytes, outcome, detail), with
// the rules above: the one place that decides what an audit or log line may hold.
std::vector<AuditField> AuditFields(const AuditEvent& e);

// Appends one JSON line (without its newline): {"time":..., "level":... (when not empty), "event":..., then
// AuditFields(e)}. Written directly, not through a JSON library: it runs several times per message. Text is
// escaped as the output writer escapes it (bytes that are not UTF-8 become U+FFFD).
void AppendAuditJson(std::string_view time, std::string_view level, const AuditEvent& e, std::string* out);

}  // namespace crosswalk::serve
