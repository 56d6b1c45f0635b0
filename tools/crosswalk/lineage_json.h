// The machine-readable form of a run's lineage (crosswalk run --lineage FILE): one JSON object per line,
// one line per output value. Paths and map locations only; codes only when the run had log_phi.
#pragma once

#include <string>
#include <string_view>

#include "crosswalk/runtime.h"

namespace crosswalk::cli {

// {"message":LABEL,"output":"$.name[0].family","map":"adt.cw:12:3","from":["PID-5[1].1"],"when":["PID-8"],
//  "terminology":[{"op":"translate","via":URL,"result":"mapped","at":"adt.cw:9:11","inputs":["PID-8"]}]}
// (no newline).
std::string LineageJsonLine(std::string_view message_label, const LineageRecord& record);

}  // namespace crosswalk::cli
