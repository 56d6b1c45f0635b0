// Structured logs of `crosswalk serve` on stderr: one line per event, JSON or text, filtered by level. The
// Logger is public (crosswalk/serve.h); this header holds the level of each audit event.
//
//   {"time":"2026-11-30T06:10:00.123Z","level":"warn","event":"retry","listener":"mllp:127.0.0.1:2575",
//    "seq":7,"control_id":"MSG00001","detail":"HTTP 503; try 1 of 10, next in 734 ms"}
//   2026-11-30T06:10:00.123Z warn retry listener=mllp:127.0.0.1:2575 seq=7 control_id=MSG00001 detail="HTTP 503; ..."
//
// The lines carry what an audit event may carry (AuditEvent: ids, hashes, counts, reasons that name
// positions and limits), never message content. The audit trail forwards each of its events here at the
// level LevelOfAuditEvent gives; the tool adds its own (listening, reloaded, stopped).
//
// Thread-safe: each line is one write() to the descriptor.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "crosswalk/serve.h"
#include "serve/audit.h"

namespace crosswalk::serve {

// The level an audit event is logged at: error for failures that need someone (error, dead-lettered,
// received/store-failed), warn for refusals and retries (refused, tls-failed, rejected, retry, received/
// malformed or too-large), debug for the rest (connection and per-message steps; recovered, stopped and
// reloaded, which the tool reports itself at info).
LogLevel LevelOfAuditEvent(const AuditEvent& e);

}  // namespace crosswalk::serve
