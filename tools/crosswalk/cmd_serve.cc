// crosswalk serve PROGRAM.cwb --mllp HOST:PORT --inbox DIR --out-dir DIR [--term DIR] [-j N] [options]
//
// A live feed: MLLP in, each message stored in a durable inbox before its ACK leaves, workers run the
// program and write one output per message, every step in the audit trail (<inbox>/audit.jsonl). The work is
// done by crosswalk::serve::Server (runtime/src/serve/); this file parses flags and handles signals.
// docs/serve.md is the reference.
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "command.h"
#include "options.h"
#include "crosswalk/runtime.h"
#include "safe_text.h"
#include "serve/durable_file.h"
#include "serve/server.h"

namespace {

crosswalk::serve::Server* g_server = nullptr;

extern "C" void OnStopSignal(int) {
  if (g_server != nullptr) g_server->RequestStop();
}

bool ParseCount(const std::string& v, size_t min, size_t max, size_t* out) {
  char* end = nullptr;
  unsigned long long n = std::strtoull(v.c_str(), &end, 10);
  if (v.empty() || v[0] == '-' || *end != '\0' || n < min || n > max) return false;
  *out = static_cast<size_t>(n);
  return true;
}

// Reads the whole program file; "" on success, else the reason.
std::string ReadProgram(const std::string& path, std::string* out) {
  std::string error = crosswalk::serve::ReadWholeFile(path, out);
  return error.empty() ? error : "cannot read '" + path + "': " + error;
}

int RunServe(const std::vector<std::string>& args) {
  // SIGHUP is taken by one thread with sigwait (the reloader below): blocked here, before any thread starts
  // (RocksDB's and the server's inherit the mask), so it can never hit a thread with its default action.
  sigset_t hup;
  sigemptyset(&hup);
  sigaddset(&hup, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &hup, nullptr);
  crosswalk::serve::ServerOptions o;
  std::string program_path, term_dir, mllp, metrics;
  bool allow_term_drift = false;
  size_t fhir_max_tries = o.fhir.max_tries;
  std::vector<std::string> vars;
  namespace cli = crosswalk::cli;
  auto app = cli::MakeApp(
      "crosswalk serve", "PROGRAM.cwb --mllp HOST:PORT --inbox DIR --out-dir DIR [--term DIR] [-j N] [options]",
      "Receives HL7 v2 over MLLP, stores each message durably, ACKs it, runs the program on it and writes\n"
      "OUT-DIR/<seq>.json (or .hl7, or .rejected with the reason). Stops on SIGTERM or SIGINT.",
      "SIGHUP reloads PROGRAM.cwb from its path (same --term store) without dropping a connection or a stored\n"
      "message; a program that does not load is refused and the running one kept.\n"
      "Exit status: 0 after a clean stop; 1 on a failure (one line on stderr); 2 on a usage error.\n");
  app->add_option("PROGRAM.cwb", program_path, "")->required();
  app->add_option("--mllp", mllp,
                  "IPv4 address and port to listen on (port 0: any free port; the line\n"
                  "'crosswalk serve: listening on HOST:PORT' on stdout names it)")
      ->required()
      ->type_name("HOST:PORT");
  app->add_option("--inbox", o.inbox_dir, "durable inbox (RocksDB) and audit trail (DIR/audit.jsonl)")
      ->required()
      ->type_name("DIR");
  app->add_option("--out-dir", o.out_dir, "one output file per message, named by its inbox sequence number")
      ->required()
      ->type_name("DIR");
  app->add_option("--term", term_dir, "terminology store used by the program")->type_name("DIR");
  app->add_flag("--allow-term-drift", allow_term_drift,
                "load a program whose terminology differs from what it was compiled against (a warning)");
  app->add_option("--map", o.run_options.map_name, "run this map on every message instead of choosing by message type")
      ->type_name("NAME");
  app->add_option("-j", o.workers, "worker threads (default 1)")
      ->type_name("N")
      ->check(cli::Number(1, 1024, "a number of threads"));
  app->add_option("--max-connections", o.max_connections, "open connections (default 64); more are closed at once")
      ->type_name("N")
      ->check(cli::Number(1, 100000));
  app->add_option("--max-frame-bytes", o.max_frame_bytes,
                  "bytes of one MLLP frame (default 4194304); a larger one gets AR and its\n"
                  "connection is closed")
      ->type_name("N")
      ->check(cli::Number(16, size_t{1} << 30, "a number of bytes"));
  app->add_option("--max-pending", o.max_pending,
                  "stored messages not yet done (default 10000); at the limit the listener\n"
                  "stops reading sockets until the workers catch up")
      ->type_name("N")
      ->check(cli::Number(1, size_t{1} << 32, "a number of messages"));
  app->add_option("--zone", o.run_options.default_zone, "zone for HL7 times that carry none (+HH:MM, -HH:MM or Z)")
      ->type_name("ZONE");
  app->add_option("--var", vars, "a host variable returned by var(\"K\") (repeatable)")
      ->type_name("K=V")
      ->allow_extra_args(false)
      ->check(cli::NameValue());
  bool no_sync = false;
  app->add_flag("--no-sync", no_sync,
                "no fsync of the inbox and outputs (tests only: an ACK then survives a crash\n"
                "of the process but not of the machine)");
  app->add_option("--fhir-base", o.fhir.base_url,
                  "also POST each JSON output (a transaction Bundle) to this FHIR server, in order;\n"
                  "429, 5xx, timeouts and connection errors are retried with backoff (Retry-After\n"
                  "honoured), other refusals and too many tries become dead letters\n"
                  "(crosswalk dead-letters --inbox DIR lists and replays them)")
      ->type_name("URL");
  app->add_option("--fhir-header", o.fhir.headers,
                  "'Name: value' sent with every request, e.g. an Authorization header (repeatable)")
      ->type_name("H")
      ->allow_extra_args(false);
  app->add_option("--fhir-ca", o.fhir.ca_file, "PEM certificates to verify the FHIR server with (default: the system's)")
      ->type_name("FILE");
  app->add_option("--fhir-max-tries", fhir_max_tries, "attempts before a dead letter (default 10)")
      ->type_name("N")
      ->check(cli::Number(1, size_t{1} << 32));
  app->add_option("--fhir-timeout-ms", o.fhir.timeout_ms, "one attempt, connection included (default 30000)")
      ->type_name("N")
      ->check(cli::Number(1, size_t{1} << 32));
  app->add_option("--fhir-backoff-ms", o.fhir.backoff_initial_ms,
                  "first retry delay, doubled per try up to 300000 (default 1000)")
      ->type_name("N")
      ->check(cli::Number(1, size_t{1} << 32));
  app->add_option("--tls-cert", o.tls.cert_file,
                  "TLS on the MLLP listener: PEM certificate (then its chain); needs --tls-key")
      ->type_name("FILE");
  app->add_option("--tls-key", o.tls.key_file, "PEM private key of the certificate")->type_name("FILE");
  app->add_option("--tls-client-ca", o.tls.client_ca_file,
                  "require client certificates issued by these PEM CAs (mutual TLS)")
      ->type_name("FILE");
  app->add_option("--metrics", metrics,
                  "serve GET /metrics (Prometheus text) and GET /health on this address (use\n"
                  "127.0.0.1: no credentials are asked)")
      ->type_name("HOST:PORT");
  app->add_option("--fhir-token-url", o.fhir.oauth.token_url,
                  "SMART Backend Services: get access tokens from this OAuth2 token endpoint with\n"
                  "a client assertion (private_key_jwt) signed by --fhir-key; needs --fhir-client-id")
      ->type_name("URL");
  app->add_option("--fhir-client-id", o.fhir.oauth.client_id, "the registered client id (iss and sub of the assertion)")
      ->type_name("ID");
  app->add_option("--fhir-key", o.fhir.oauth.key_file, "PEM private key: RSA >= 2048 bits (RS384) or EC P-384 (ES384)")
      ->type_name("FILE");
  app->add_option("--fhir-kid", o.fhir.oauth.kid, "key id in the assertion's header (as in the client's JWKS)")
      ->type_name("KID");
  app->add_option("--fhir-scope", o.fhir.oauth.scope, "scopes asked for (default system/*.write)")->type_name("SCOPE");
  if (int rc = cli::Parse(*app, args); rc != cli::kParsed) return rc;
  if (no_sync) o.sync = false;
  o.fhir.max_tries = static_cast<uint32_t>(std::min<size_t>(fhir_max_tries, UINT32_MAX));
  for (const auto& v : vars) {
    size_t eq = v.find('=');
    o.run_options.variables.emplace_back(v.substr(0, eq), v.substr(eq + 1));
  }
  size_t colon = mllp.rfind(':');
  size_t port = 0;
  if (colon == std::string::npos || colon == 0 || !ParseCount(mllp.substr(colon + 1), 0, 65535, &port)) {
    return cli::UsageError(*app, "--mllp takes HOST:PORT, not '" + mllp + "'");
  }
  o.host = mllp.substr(0, colon);
  o.port = static_cast<uint16_t>(port);
  if (!metrics.empty()) {
    size_t mcolon = metrics.rfind(':');
    size_t mport = 0;
    if (mcolon == std::string::npos || mcolon == 0 || !ParseCount(metrics.substr(mcolon + 1), 0, 65535, &mport)) {
      return cli::UsageError(*app, "--metrics takes HOST:PORT, not '" + metrics + "'");
    }
    o.metrics = true;
    o.metrics_host = metrics.substr(0, mcolon);
    o.metrics_port = static_cast<uint16_t>(mport);
  }

  std::string bytes;
  if (std::string error = ReadProgram(program_path, &bytes); !error.empty()) {
    crosswalk::cli::PrintSafe(stderr, "crosswalk serve: " + error);
    return 1;
  }
  crosswalk::cli::LoadedProgram loaded;
  if (!crosswalk::cli::LoadProgram("serve", bytes, term_dir, program_path, &loaded, allow_term_drift)) return 1;
  if (std::string why = cli::MissingMap(*loaded.program, o.run_options.map_name); !why.empty()) {
    return cli::UsageError(*app, why);
  }
  auto server = crosswalk::serve::Server::Create(o, *loaded.runtime, loaded.program);
  if (!server.ok()) {
    crosswalk::cli::PrintSafe(stderr, "crosswalk serve: " + server.status().ToString());
    return 1;
  }
  g_server = server->get();
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  std::printf("crosswalk serve: listening on %s:%u\n", o.host.c_str(), static_cast<unsigned>((*server)->port()));
  if (o.metrics) {
    std::printf("crosswalk serve: metrics on http://%s:%u/metrics\n", o.metrics_host.c_str(),
                static_cast<unsigned>((*server)->metrics_port()));
  }
  std::fflush(stdout);
  // The reloader: on SIGHUP, load the program file again with the same runtime (and store) and swap it in.
  std::atomic<bool> done{false};
  crosswalk::serve::Server* srv = server->get();
  const crosswalk::Runtime* rt = loaded.runtime.get();
  std::thread reloader([&] {
    for (;;) {
      int sig = 0;
      if (sigwait(&hup, &sig) != 0) continue;
      if (done) return;
      std::string next;
      std::string error = ReadProgram(program_path, &next);
      if (error.empty()) {
        auto fresh = rt->Load(next);
        if (!fresh.ok()) {
          error = fresh.status().ToString();
        } else if (error = cli::MissingMap(**fresh, o.run_options.map_name); error.empty()) {
          srv->Reload(*fresh);
          crosswalk::cli::PrintSafe(stderr, "crosswalk serve: reloaded " + program_path + " (" +
                                                std::to_string((*fresh)->maps().size()) + " maps)");
          continue;
        }
      }
      crosswalk::cli::PrintSafe(stderr, "crosswalk serve: reload refused, the running program is kept: " + error);
    }
  });
  crosswalk::Status st = (*server)->Run();
  done = true;
  pthread_kill(reloader.native_handle(), SIGHUP);
  reloader.join();
  const auto& s = (*server)->stats();
  std::fprintf(stderr,
               "crosswalk serve: stopped: %llu frames received, %llu stored, %llu duplicates, %llu refused, "
               "%llu written, %llu rejected, %llu delivered, %llu retries, %llu dead letters\n",
               static_cast<unsigned long long>(s.received), static_cast<unsigned long long>(s.stored),
               static_cast<unsigned long long>(s.duplicates), static_cast<unsigned long long>(s.malformed),
               static_cast<unsigned long long>(s.written), static_cast<unsigned long long>(s.rejected),
               static_cast<unsigned long long>(s.delivered), static_cast<unsigned long long>(s.retries),
               static_cast<unsigned long long>(s.dead_letters));
  g_server = nullptr;
  if (!st.ok()) {
    crosswalk::cli::PrintSafe(stderr, "crosswalk serve: " + st.ToString());
    return 1;
  }
  return 0;
}

}  // namespace

CW_REGISTER_COMMAND(serve, "serve",
                    "PROGRAM.cwb --mllp HOST:PORT --inbox DIR --out-dir DIR  receive MLLP, store, ACK, convert",
                    RunServe);
