// crosswalk audit --inbox DIR [--control-id X] [--event E] [--seq N]
//
// Prints the audit trail of `crosswalk serve` (DIR/audit.jsonl), one JSON object per line, optionally only the
// lines of one control id, one event kind or one inbox sequence number. The trail holds no message content
// (docs/serve.md); lines that are not JSON objects (a torn last line after a power failure) are counted and
// reported on stderr, never printed.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "command.h"
#include "safe_text.h"

namespace {

constexpr const char* kUsage =
    "usage: crosswalk audit --inbox DIR [--control-id X] [--event E] [--seq N]\n"
    "  Prints the audit trail of crosswalk serve (DIR/audit.jsonl), one JSON object per line.\n"
    "  --control-id X   only the lines of messages with this MSH-10\n"
    "  --event E        only this event (received, acknowledged, converted, written, rejected, ...)\n"
    "  --seq N          only the lines of inbox message N\n";

int RunAudit(const std::vector<std::string>& args) {
  std::string inbox, control_id, event, seq_text;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* dst) {
      if (i + 1 >= args.size()) return false;
      *dst = args[++i];
      return true;
    };
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--inbox" && value(&inbox)) {
    } else if (a == "--control-id" && value(&control_id)) {
    } else if (a == "--event" && value(&event)) {
    } else if (a == "--seq" && value(&seq_text)) {
    } else {
      crosswalk::cli::PrintSafe(stderr, "crosswalk audit: unknown or incomplete option '" + a + "'");
      std::fputs(kUsage, stderr);
      return 2;
    }
  }
  if (inbox.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  uint64_t seq = 0;
  if (!seq_text.empty()) {
    char* end = nullptr;
    seq = std::strtoull(seq_text.c_str(), &end, 10);
    if (*end != '\0' || seq == 0) {
      std::fprintf(stderr, "crosswalk audit: --seq takes a positive number\n");
      return 2;
    }
  }
  std::string path = inbox + "/audit.jsonl";
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    crosswalk::cli::PrintSafe(stderr, "crosswalk audit: cannot read '" + path + "'");
    return 1;
  }
  std::string line;
  size_t bad = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      ++bad;
      continue;
    }
    if (!control_id.empty() && (!j.contains("control_id") || j["control_id"] != control_id)) continue;
    if (!event.empty() && (!j.contains("event") || j["event"] != event)) continue;
    if (seq != 0 && (!j.contains("seq") || !j["seq"].is_number_unsigned() || j["seq"].get<uint64_t>() != seq)) {
      continue;
    }
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
  }
  if (bad > 0) std::fprintf(stderr, "crosswalk audit: %zu line%s not JSON (skipped)\n", bad, bad == 1 ? "" : "s");
  return 0;
}

}  // namespace

CW_REGISTER_COMMAND(audit, "audit", "--inbox DIR [--control-id X]  print the audit trail of crosswalk serve", RunAudit);
