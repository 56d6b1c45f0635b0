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
#include "safe_text.h"
#include "serve/inbox.h"

namespace {

constexpr const char* kUsage =
    "usage: crosswalk dead-letters --inbox DIR [--replay SEQ]... [--replay-all]\n"
    "  Lists the messages crosswalk serve could not deliver to the FHIR server (seq, tries, output file,\n"
    "  control id, reason), or queues them for delivery again at the server's next start.\n"
    "  --inbox DIR     the inbox of crosswalk serve (stop the server first: it holds the inbox's lock)\n"
    "  --replay SEQ    queue this dead letter again (repeatable)\n"
    "  --replay-all    queue every dead letter again\n"
    "Exit status: 0 on success; 1 on a failure; 2 on a usage error.\n";

int RunDeadLetters(const std::vector<std::string>& args) {
  std::string inbox_dir;
  std::vector<uint64_t> replay;
  bool replay_all = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--inbox" && i + 1 < args.size()) {
      inbox_dir = args[++i];
    } else if (a == "--replay" && i + 1 < args.size()) {
      const std::string& v = args[++i];
      char* end = nullptr;
      unsigned long long n = std::strtoull(v.c_str(), &end, 10);
      if (v.empty() || v[0] == '-' || *end != '\0' || n == 0) {
        crosswalk::cli::PrintSafe(stderr, "crosswalk dead-letters: --replay takes a sequence number, not '" + v + "'");
        return 2;
      }
      replay.push_back(n);
    } else if (a == "--replay-all") {
      replay_all = true;
    } else {
      crosswalk::cli::PrintSafe(stderr, "crosswalk dead-letters: unknown or incomplete option '" + a + "'");
      std::fputs(kUsage, stderr);
      return 2;
    }
  }
  if (inbox_dir.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
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
