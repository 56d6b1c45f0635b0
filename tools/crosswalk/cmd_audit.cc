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
#include "options.h"
#include "safe_text.h"

namespace {

// "2026-11-30", "2026-11-30T06", ... "2026-11-30T06:10:00.123Z": a UTC instant or a prefix of one. Returns
// the form that compares as text with the audit's times (the trailing Z dropped), or "" when malformed.
std::string TimeKey(std::string t) {
  if (!t.empty() && t.back() == 'Z') t.pop_back();
  static const char* shape = "dddd-dd-ddTdd:dd:dd";
  size_t i = 0;
  for (; i < t.size() && shape[i] != '\0'; ++i) {
    bool ok = shape[i] == 'd' ? (t[i] >= '0' && t[i] <= '9') : t[i] == shape[i];
    if (!ok) return "";
  }
  if (i < 10) return "";  // at least the date
  if (i < t.size()) {     // fractional seconds
    if (i != 19 || t[i] != '.' || t.size() == 20) return "";
    for (size_t k = 20; k < t.size(); ++k) {
      if (t[k] < '0' || t[k] > '9') return "";
    }
  }
  if (t.size() > 10 && t.size() < 13) return "";  // "2026-11-30T" or "2026-11-30T0"
  return t;
}

// One audit line as a FHIR R4 AuditEvent. The type says what happened to the message: DICOM 110107 Import
// for the steps of receiving and converting it, 110106 Export for its delivery; the subtype is our event.
nlohmann::json AuditEvent(const nlohmann::json& j) {
  auto str = [&](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string(); };
  std::string event = str("event"), outcome = str("outcome");
  bool exported = event == "delivered" || event == "retry" || event == "dead-lettered";
  nlohmann::json a = {{"resourceType", "AuditEvent"}};
  a["type"] = {{"system", "http://dicom.nema.org/resources/ontology/DCM"},
               {"code", exported ? "110106" : "110107"},
               {"display", exported ? "Export" : "Import"}};
  a["subtype"] = nlohmann::json::array({{{"system", "urn:crosswalk:audit-event"}, {"code", event}}});
  a["action"] = "E";
  a["recorded"] = str("time");
  // 0 success, 4 minor failure (the message is kept and retried or reported), 8 serious failure.
  std::string code = "0";
  if (event == "rejected" || event == "retry" || event == "error" || outcome == "malformed" ||
      outcome == "too-large" || outcome == "AR" || outcome == "AE" || outcome == "CR" || outcome == "CE") {
    code = "4";
  }
  if (event == "dead-lettered" || event == "refused" || event == "tls-failed" || outcome == "store-failed") code = "8";
  a["outcome"] = code;
  if (!str("detail").empty()) a["outcomeDesc"] = str("detail");
  nlohmann::json agent = {{"who", {{"display", "crosswalk serve"}}}, {"requestor", false}};
  std::string peer = str("peer");
  if (!peer.empty()) {
    nlohmann::json sender = {{"who", {{"display", "sender " + peer}}}, {"requestor", true}};
    sender["network"] = {{"address", peer.substr(0, peer.rfind(':'))}, {"type", "2"}};
    a["agent"] = nlohmann::json::array({sender, agent});
  } else {
    a["agent"] = nlohmann::json::array({agent});
  }
  std::string listener = str("listener");
  a["source"] = {{"observer", {{"display", listener.empty() ? "crosswalk serve" : listener}}}};
  nlohmann::json entity = {{"type", {{"system", "http://terminology.hl7.org/CodeSystem/audit-entity-type"},
                                     {"code", "2"}, {"display", "System Object"}}}};
  if (!str("control_id").empty()) entity["what"] = {{"identifier", {{"value", str("control_id")}}}};
  nlohmann::json detail = nlohmann::json::array();
  if (j.contains("seq") && j["seq"].is_number_unsigned()) {
    detail.push_back({{"type", "inbox-seq"}, {"valueString", std::to_string(j["seq"].get<uint64_t>())}});
  }
  if (!str("type").empty()) detail.push_back({{"type", "message-type"}, {"valueString", str("type")}});
  if (!str("sha256").empty()) detail.push_back({{"type", "sha256"}, {"valueString", str("sha256")}});
  if (!outcome.empty()) detail.push_back({{"type", "outcome"}, {"valueString", outcome}});
  if (!detail.empty()) entity["detail"] = detail;
  if (entity.contains("what") || entity.contains("detail")) a["entity"] = nlohmann::json::array({entity});
  return a;
}

int RunAudit(const std::vector<std::string>& args) {
  std::string inbox, control_id, event, outcome, since, until, format = "jsonl";
  uint64_t seq = 0;
  auto app = crosswalk::cli::MakeApp(
      "crosswalk audit",
      "--inbox DIR [--control-id X] [--event E] [--outcome O] [--seq N]\n"
      "[--since TIME] [--until TIME] [--format jsonl|auditevent]",
      "Prints the audit trail of crosswalk serve (DIR/audit.jsonl), one JSON object per line.");
  app->add_option("--inbox", inbox, "the inbox of crosswalk serve")->required()->type_name("DIR");
  app->add_option("--control-id", control_id, "only the lines of messages with this MSH-10")->type_name("X");
  app->add_option("--event", event,
                  "only this event (received, acknowledged, converted, written, rejected, delivered, ...)")
      ->type_name("E");
  app->add_option("--outcome", outcome, "only lines with this outcome (stored, duplicate, AA, AR, ok, 201, ...)")
      ->type_name("O");
  app->add_option("--seq", seq, "only the lines of inbox message N")
      ->type_name("N")
      ->check(crosswalk::cli::Number(1, UINT64_MAX, "a sequence number"));
  app->add_option("--since", since, "only lines at or after TIME, a UTC instant or a prefix of one (2026-11-30T06)")
      ->type_name("TIME");
  app->add_option("--until", until, "only lines before TIME (same form)")->type_name("TIME");
  app->add_option("--format", format,
                  "jsonl (the lines as written, the default) or auditevent (one FHIR R4 AuditEvent per\n"
                  "line, NDJSON)")
      ->type_name("F")
      ->check(crosswalk::cli::OneOf({"jsonl", "auditevent"}));
  if (int rc = crosswalk::cli::Parse(*app, args); rc != crosswalk::cli::kParsed) return rc;
  for (std::string* t : {&since, &until}) {
    if (t->empty()) continue;
    std::string key = TimeKey(*t);
    if (key.empty()) {
      return crosswalk::cli::UsageError(
          *app, "'" + *t + "' is not a UTC instant or a prefix of one (e.g. 2026-11-30T06:10)");
    }
    *t = key;
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
    if (!outcome.empty() && (!j.contains("outcome") || j["outcome"] != outcome)) continue;
    if (!since.empty() || !until.empty()) {
      std::string time = j.contains("time") && j["time"].is_string() ? TimeKey(j["time"].get<std::string>()) : "";
      if (time.empty() || (!since.empty() && time < since) || (!until.empty() && time >= until)) continue;
    }
    if (format == "auditevent") {
      std::string out = AuditEvent(j).dump();
      std::fwrite(out.data(), 1, out.size(), stdout);
    } else {
      std::fwrite(line.data(), 1, line.size(), stdout);
    }
    std::fputc('\n', stdout);
  }
  if (bad > 0) std::fprintf(stderr, "crosswalk audit: %zu line%s not JSON (skipped)\n", bad, bad == 1 ? "" : "s");
  return 0;
}

}  // namespace

CW_REGISTER_COMMAND(audit, "audit", "--inbox DIR [--control-id X]  print the audit trail of crosswalk serve", RunAudit);
