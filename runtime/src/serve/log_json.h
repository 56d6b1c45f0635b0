// AuditFields as nlohmann JSON members, for audit.cc and log.cc only (not staged for the tool: it keeps
// nlohmann out of the headers the tool sees).
#pragma once

#include <nlohmann/json.hpp>

#include "serve/audit.h"

namespace crosswalk::serve {

// Adds the fields of `e` (AuditFields) to *j in order.
void AppendAuditFields(const AuditEvent& e, nlohmann::ordered_json* j);

}  // namespace crosswalk::serve
