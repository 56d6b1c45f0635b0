// crosswalk dead-letters [list] (--inbox DIR | --server HOST:PORT) [--rejected]
// crosswalk dead-letters (--inbox DIR | --server HOST:PORT)
//                        (--replay SEQ... | --replay-all | --replay-rejected SEQ... | --replay-rejected-all)
//
// Lists the messages `crosswalk serve` gave up delivering to its FHIR server or MLLP receiver (one line each:
// sequence number, tries, output file, control id, reason), or puts them back in the delivery queue; the next
// start of the server delivers them. With --rejected, the same for the messages the program rejected: put
// back among the stored messages, the next start runs them again (with the program it then has, e.g. one
// fixed since). Each replay is audited (`replayed`). The server holds the inbox's lock while it runs, so
// --inbox works with the server stopped (the error then says the database is locked); a running server takes
// replays on its metrics endpoint instead (--server: POST /dead-letters/replay or /rejected/replay, from this
// machine only), and delivers or runs them at once; it lists them there too (GET /dead-letters or /rejected,
// printed in the same lines as the listing of a stopped server's inbox). No message content is printed.
#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "command.h"
#include "crosswalk/serve.h"
#include "options.h"
#include "safe_text.h"

namespace {

// Sends `method` `target` to a running server's metrics endpoint (HTTP/1.0, 10 s at most): the HTTP status
// and the body's text, or status 0 and the reason in *body when no answer came.
int Request(const std::string& host, uint16_t port, const char* method, const std::string& target,
            std::string* body) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &list); rc != 0) {
    *body = "cannot resolve '" + host + "': " + ::gai_strerror(rc);
    return 0;
  }
  int fd = -1;
  for (addrinfo* a = list; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    timeval tv{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  ::freeaddrinfo(list);
  if (fd < 0) {
    *body = "cannot connect to " + host + ":" + std::to_string(port) + " (is the server running with --metrics?)";
    return 0;
  }
  std::string request = std::string(method) + " " + target + " HTTP/1.0\r\nHost: " + host +
                        "\r\nX-Crosswalk-Admin: 1\r\nContent-Length: 0\r\n\r\n";
  std::string answer;
  bool sent = ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size());
  char buf[4096];
  ssize_t n = 0;
  while (sent && (n = ::recv(fd, buf, sizeof buf, 0)) > 0) answer.append(buf, static_cast<size_t>(n));
  ::close(fd);
  size_t end = answer.find("\r\n\r\n");
  if (!sent || n < 0 || answer.rfind("HTTP/1.", 0) != 0 || answer.size() < 12 || end == std::string::npos) {
    *body = "no answer from " + host + ":" + std::to_string(port);
    return 0;
  }
  *body = answer.substr(end + 4);
  return std::atoi(answer.c_str() + 9);
}

// The line of a dead letter, the same for a stopped server's inbox and a running server's listing. Two
// spaces between fields: PrintSafe writes a tab as \x09 (it keeps control bytes out of terminals).
std::string DeadLetterLine(uint64_t seq, uint64_t tries, const std::string& file, const std::string& control_id,
                           const std::string& reason) {
  return std::to_string(seq) + "  " + std::to_string(tries) + " tries  " + file + "  " + control_id + "  " + reason;
}
std::string RejectedLine(uint64_t seq, const std::string& reason) { return std::to_string(seq) + "  " + reason; }

// Reports a failed request (status 0: no answer); returns 1.
int RequestFailed(int status, std::string body) {
  while (!body.empty() && body.back() == '\n') body.pop_back();
  crosswalk::cli::PrintSafe(stderr, "crosswalk dead-letters: " +
                                        (status == 0 ? body : "the server answered " + std::to_string(status) +
                                                                  (body.empty() ? "" : ": " + body)));
  return 1;
}

bool ParseServer(const std::string& server, std::string* host, uint16_t* port) {
  if (crosswalk::serve::ParseHostPort(server, host, port) && *port != 0) return true;
  crosswalk::cli::PrintSafe(stderr, "crosswalk dead-letters: --server takes HOST:PORT, not '" + server + "'");
  return false;
}

// The dead letters or rejected messages of a running server (GET /dead-letters or /rejected: NDJSON), printed
// as the listing of a stopped server's inbox is.
int ListOnServer(const std::string& server, bool rejected) {
  std::string host;
  uint16_t port = 0;
  if (!ParseServer(server, &host, &port)) return 2;
  std::string body;
  int status = Request(host, port, "GET", rejected ? "/rejected" : "/dead-letters", &body);
  if (status != 200) return RequestFailed(status, std::move(body));
  size_t count = 0;
  for (size_t at = 0; at < body.size();) {
    size_t end = body.find('\n', at);
    std::string_view line = std::string_view(body).substr(at, end == std::string::npos ? end : end - at);
    at = end == std::string::npos ? body.size() : end + 1;
    if (line.empty()) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains("seq") || !j["seq"].is_number_unsigned() || !j.contains("reason") ||
        !j["reason"].is_string()) {
      crosswalk::cli::PrintSafe(stderr, "crosswalk dead-letters: line " + std::to_string(count + 1) +
                                            " of the server's listing is not a listing entry");
      return 1;
    }
    const uint64_t seq = j["seq"].get<uint64_t>();
    const std::string reason = j["reason"].get<std::string>();
    if (rejected) {
      crosswalk::cli::PrintSafe(stdout, RejectedLine(seq, reason));
    } else {
      crosswalk::cli::PrintSafe(stdout, DeadLetterLine(seq, j.value("tries", uint64_t{0}), j.value("file", ""),
                                                       j.value("control_id", ""), reason));
    }
    ++count;
  }
  if (rejected) {
    std::fprintf(stderr, "%zu rejected message%s\n", count, count == 1 ? "" : "s");
  } else {
    std::fprintf(stderr, "%zu dead letter%s\n", count, count == 1 ? "" : "s");
  }
  return 0;
}

// The replays asked for, sent to a running server: 0 when every one was queued.
int ReplayOnServer(const std::string& server, const std::vector<uint64_t>& seqs, bool all, bool rejected) {
  std::string host;
  uint16_t port = 0;
  if (!ParseServer(server, &host, &port)) return 2;
  std::string target = rejected ? "/rejected/replay?" : "/dead-letters/replay?";
  if (all) {
    target += "all";
  } else {
    for (size_t i = 0; i < seqs.size(); ++i) target += (i ? "&seq=" : "seq=") + std::to_string(seqs[i]);
  }
  std::string body;
  int status = Request(host, port, "POST", target, &body);
  if (status != 200) return RequestFailed(status, std::move(body));
  size_t queued = 0;
  for (size_t at = 0; (at = body.find("queued ", at)) != std::string::npos; at += 7) ++queued;
  std::fprintf(stderr, "%zu %s queued on the running server (%s)\n", queued,
               rejected ? (queued == 1 ? "rejected message" : "rejected messages")
                        : (queued == 1 ? "dead letter" : "dead letters"),
               rejected ? "run again now" : "delivered in turn");
  return 0;
}

int RunDeadLetters(const std::vector<std::string>& args) {
  std::string inbox_dir, server;
  std::vector<uint64_t> replay, replay_rejected;
  bool replay_all = false, rejected = false, replay_rejected_all = false;
  auto app = crosswalk::cli::MakeApp(
      "crosswalk dead-letters",
      "[list] (--inbox DIR | --server HOST:PORT) [--rejected]\n"
      "(--inbox DIR | --server HOST:PORT) (--replay SEQ... | --replay-all | --replay-rejected SEQ... |\n"
      "                                    --replay-rejected-all)",
      "Lists the messages crosswalk serve could not deliver to its FHIR server or MLLP receiver (seq, tries,\n"
      "output file, control id, reason), or queues them for delivery again at the server's next start.\n"
      "With --rejected: lists the messages the program rejected (seq, reason), or puts them back so that\n"
      "the server's next start runs them again (after the program was fixed).\n"
      "With --server, the listing comes from a running server's metrics endpoint, and the replays go there:\n"
      "it delivers or runs them now.",
      "Exit status: 0 on success; 1 on a failure; 2 on a usage error.\n");
  std::string verb;
  app->add_option("list", verb, "the word list, optional: listing is what is done when no replay is asked")
      ->type_name("list")
      ->check(crosswalk::cli::OneOf({"list"}));
  app->add_option("--inbox", inbox_dir,
                  "the inbox of crosswalk serve (stop the server first: it holds the inbox's lock)")
      ->type_name("DIR");
  app->add_option("--server", server,
                  "a running crosswalk serve's --metrics address (on this machine): list or replay\n"
                  "there, at once, instead of in a stopped server's inbox")
      ->type_name("HOST:PORT");
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
  if (server.empty() == inbox_dir.empty()) {
    return crosswalk::cli::UsageError(*app, "give --inbox DIR (a stopped server) or --server HOST:PORT (a running one)");
  }
  const bool replay_dead = replay_all || !replay.empty();
  const bool replay_rej = replay_rejected_all || !replay_rejected.empty();
  if (!verb.empty() && (replay_dead || replay_rej)) {
    return crosswalk::cli::UsageError(*app, "list does not take a replay option");
  }
  if (!server.empty()) {
    if (!replay_dead && !replay_rej) return ListOnServer(server, rejected);
    if (replay_dead == replay_rej || rejected) {
      return crosswalk::cli::UsageError(
          *app, "--server takes one of --replay, --replay-all, --replay-rejected, --replay-rejected-all, or none "
                "(a listing, with --rejected for the rejected messages)");
    }
    return ReplayOnServer(server, replay_dead ? replay : replay_rejected,
                          replay_dead ? replay_all : replay_rejected_all, replay_rej);
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
    std::vector<crosswalk::serve::RejectedMessage> list;
    if (crosswalk::Status st = (*inbox)->Rejected(&list); !st.ok()) {
      crosswalk::cli::PrintSafe(stderr, "crosswalk dead-letters: " + st.ToString());
      return 1;
    }
    if (replay_rejected_all) {
      for (const auto& r : list) replay_rejected.push_back(r.seq);
    }
    if (replay_rejected.empty()) {
      for (const auto& r : list) crosswalk::cli::PrintSafe(stdout, RejectedLine(r.seq, r.reason));
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
      crosswalk::cli::PrintSafe(stdout, DeadLetterLine(d.seq, d.tries, d.file, d.control_id, d.last_error));
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
                    "--inbox DIR|--server HOST:PORT [--rejected] [--replay[-rejected] SEQ|--replay[-rejected]-all]  undelivered or rejected messages",
                    RunDeadLetters);
