// crosswalk dead-letters --inbox DIR [--replay SEQ]... [--replay-all]
// crosswalk dead-letters --inbox DIR --rejected [--replay-rejected SEQ]... [--replay-rejected-all]
//
// Lists the messages `crosswalk serve` gave up delivering to its FHIR server or MLLP receiver (one line each:
// sequence number, tries, output file, control id, reason), or puts them back in the delivery queue; the next
// start of the server delivers them. With --rejected, the same for the messages the program rejected: put
// back among the stored messages, the next start runs them again (with the program it then has, e.g. one
// fixed since). Each replay is audited (`replayed`). The server holds the inbox's lock while it runs, so this
// is done with the server stopped (the error then says the database is locked). No message content is
// printed.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "command.h"
#include "options.h"
#include "safe_text.h"
#include "serve/audit.h"
#include "serve/inbox.h"

namespace {

int RunDeadLetters(const std::vector<std::string>& args) {
  std::string inbox_dir;
  std::vector<uint64_t> replay, replay_rejected;
  bool replay_all = false, rejected = false, replay_rejected_all = false;
  auto app = crosswalk::cli::MakeApp(
      "crosswalk dead-letters",
      "--inbox DIR [--replay SEQ]... [--replay-all]\n"
      "--inbox DIR --rejected [--replay-rejected SEQ]... [--replay-rejected-all]",
      "Lists the messages crosswalk serve could not deliver to its FHIR server or MLLP receiver (seq, tries,\n"
      "output file, control id, reason), or queues them for delivery again at the server's next start.\n"
      "With --rejected: lists the messages the program rejected (seq, reason), or puts them back so that\n"
      "the server's next start runs them again (after the program was fixed).",
      "Exit status: 0 on success; 1 on a failure; 2 on a usage error.\n");
  app->add_option("--inbox", inbox_dir,
                  "the inbox of crosswalk serve (stop the server first: it holds the inbox's lock)")
      ->required()
      ->type_name("DIR");
  app->add_option("--replay", replay, "queue this dead letter again (repeatable)")
      ->type_name("SEQ")
      ->allow_extra_args(false)
      ->check(crosswalk::cli::Number(1, UINT64_MAX, "a sequence number"));
  app->add_flag("--replay-all", replay_all, "queue every dead letter again");
  app->add_flag("--rejected", rejected, "list the messages the program rejected instead of the dead letters");
  app->add_option("--replay-rejected", replay_rejected,
                  "run this rejected message again at the next start (repeatable)")
      ->type_name("SEQ")
      ->allow_extra_args(false)
      ->check(crosswalk::cli::Number(1, UINT64_MAX, "a sequence number"));
  app->add_flag("--replay-rejected-all", replay_rejected_all, "run every rejected message again at the next start");
  if (int rc = crosswalk::cli::Parse(*app, args); rc != crosswalk::cli::kParsed) return rc;
  if (::access((inbox_dir + "/db/CURRENT").c_str(), F_OK) != 0) {
    crosswalk::cli::PrintSafe(stderr, "crosswalk dead-letters: no inbox of crosswalk serve in '" + inbox_dir + "'");
    return 1;
  }
  auto inbox = crosswalk::serve::Inbox::Open(inbox_dir + "/db");
  if (!inbox.ok()) {
    crosswalk::cli::PrintSafe(stderr, "crosswalk dead-letters: " + inbox.status().ToString());
    return 1;
  }
  const bool for_rejected = rejected || replay_rejected_all || !replay_rejected.empty();
  if (for_rejected && (replay_all || !replay.empty())) {
    return crosswalk::cli::UsageError(*app, "--replay and --replay-all are for dead letters, not with --rejected");
  }
  // Replays are audited in the inbox's trail, beside what the server wrote about the same messages.
  crosswalk::serve::AuditLog audit;
  auto audit_replay = [&](uint64_t seq, std::string_view control_id, std::string_view detail) {
    audit.Write({.event = "replayed", .seq = seq, .control_id = control_id, .outcome = "queued", .detail = detail});
  };
  if (for_rejected) {
    std::vector<std::pair<uint64_t, std::string>> list;
    if (crosswalk::Status st = (*inbox)->Rejected(&list); !st.ok()) {
      crosswalk::cli::PrintSafe(stderr, "crosswalk dead-letters: " + st.ToString());
      return 1;
    }
    if (replay_rejected_all) {
      for (const auto& [seq, reason] : list) replay_rejected.push_back(seq);
    }
    if (replay_rejected.empty()) {
      for (const auto& [seq, reason] : list) crosswalk::cli::PrintSafe(stdout, std::to_string(seq) + "  " + reason);
      std::fprintf(stderr, "%zu rejected message%s\n", list.size(), list.size() == 1 ? "" : "s");
      return 0;
    }
    if (crosswalk::Status st = audit.Open(inbox_dir); !st.ok()) {
      crosswalk::cli::PrintSafe(stderr, "crosswalk dead-letters: " + st.ToString());
      return 1;
    }
    for (uint64_t seq : replay_rejected) {
      if (crosswalk::Status st = (*inbox)->ReplayRejected(seq); !st.ok()) {
        crosswalk::cli::PrintSafe(stderr, "crosswalk dead-letters: " + st.ToString());
        return 1;
      }
      audit_replay(seq, {}, "rejected message put back; the next start runs it again");
    }
    audit.Sync();
    std::fprintf(stderr, "%zu rejected message%s put back; the next start of crosswalk serve runs %s again\n",
                 replay_rejected.size(), replay_rejected.size() == 1 ? "" : "s",
                 replay_rejected.size() == 1 ? "it" : "them");
    return 0;
  }
  std::vector<crosswalk::serve::DeliveryRecord> dead;
  if (crosswalk::Status st = (*inbox)->DeadLetters(&dead); !st.ok()) {
    crosswalk::cli::PrintSafe(stderr, "crosswalk dead-letters: " + st.ToString());
    return 1;
  }
  if (replay_all) {
    for (const auto& d : dead) replay.push_back(d.seq);
  }
  if (replay.empty()) {
    for (const auto& d : dead) {
      // Two spaces between fields: PrintSafe writes a tab as \x09 (it keeps control bytes out of terminals).
      std::string line = std::to_string(d.seq) + "  " + std::to_string(d.tries) + " tries  " + d.file + "  " +
                         d.control_id + "  " + d.last_error;
      crosswalk::cli::PrintSafe(stdout, line);
    }
    std::fprintf(stderr, "%zu dead letter%s\n", dead.size(), dead.size() == 1 ? "" : "s");
    return 0;
  }
  if (crosswalk::Status st = audit.Open(inbox_dir); !st.ok()) {
    crosswalk::cli::PrintSafe(stderr, "crosswalk dead-letters: " + st.ToString());
    return 1;
  }
  for (uint64_t seq : replay) {
    if (crosswalk::Status st = (*inbox)->Replay(seq); !st.ok()) {
      crosswalk::cli::PrintSafe(stderr, "crosswalk dead-letters: " + st.ToString());
      return 1;
    }
    std::string control_id;
    for (const auto& d : dead) {
      if (d.seq == seq) control_id = d.control_id;
    }
    audit_replay(seq, control_id, "dead letter queued for delivery again");
  }
  audit.Sync();
  std::fprintf(stderr, "%zu message%s queued for delivery at the next start of crosswalk serve\n", replay.size(),
               replay.size() == 1 ? "" : "s");
  return 0;
}

}  // namespace

CW_REGISTER_COMMAND(dead_letters, "dead-letters",
                    "--inbox DIR [--rejected] [--replay[-rejected] SEQ|--replay[-rejected]-all]  undelivered or rejected messages",
                    RunDeadLetters);
