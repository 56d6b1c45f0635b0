// crosswalk dead-letters --inbox DIR [--replay SEQ]... [--replay-all]
//
// Lists the messages `crosswalk serve --fhir-base` gave up delivering (one line each: sequence number, tries,
// output file, control id, reason), or puts them back in the delivery queue; the next start of the server
// delivers them. The server holds the inbox's lock while it runs, so this is done with the server stopped
// (the error then says the database is locked). No message content is printed.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "command.h"
#include "options.h"
#include "safe_text.h"
#include "serve/inbox.h"

namespace {

int RunDeadLetters(const std::vector<std::string>& args) {
  std::string inbox_dir;
  std::vector<uint64_t> replay;
  bool replay_all = false;
  auto app = crosswalk::cli::MakeApp(
      "crosswalk dead-letters", "--inbox DIR [--replay SEQ]... [--replay-all]",
      "Lists the messages crosswalk serve could not deliver to the FHIR server (seq, tries, output file,\n"
      "control id, reason), or queues them for delivery again at the server's next start.",
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
      std::string line = std::to_string(d.seq) + "\t" + std::to_string(d.tries) + " tries\t" + d.file + "\t" +
                         d.control_id + "\t" + d.last_error;
      crosswalk::cli::PrintSafe(stdout, line);
    }
    std::fprintf(stderr, "%zu dead letter%s\n", dead.size(), dead.size() == 1 ? "" : "s");
    return 0;
  }
  for (uint64_t seq : replay) {
    if (crosswalk::Status st = (*inbox)->Replay(seq); !st.ok()) {
      crosswalk::cli::PrintSafe(stderr, "crosswalk dead-letters: " + st.ToString());
      return 1;
    }
  }
  std::fprintf(stderr, "%zu message%s queued for delivery at the next start of crosswalk serve\n", replay.size(),
               replay.size() == 1 ? "" : "s");
  return 0;
}

}  // namespace

CW_REGISTER_COMMAND(dead_letters, "dead-letters", "--inbox DIR [--replay SEQ|--replay-all]  undelivered messages",
                    RunDeadLetters);
