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
#include "crosswalk/runtime.h"
#include "safe_text.h"
#include "serve/durable_file.h"
#include "serve/server.h"

namespace {

constexpr const char* kUsage =
    "usage: crosswalk serve PROGRAM.cwb --mllp HOST:PORT --inbox DIR --out-dir DIR [--term DIR] [-j N] [options]\n"
    "  Receives HL7 v2 over MLLP, stores each message durably, ACKs it, runs the program on it and writes\n"
    "  OUT-DIR/<seq>.json (or .hl7, or .rejected with the reason). Stops on SIGTERM or SIGINT.\n"
    "  --mllp HOST:PORT       IPv4 address and port to listen on (port 0: any free port; the line\n"
    "                         'crosswalk serve: listening on HOST:PORT' on stdout names it)\n"
    "  --inbox DIR            durable inbox (RocksDB) and audit trail (DIR/audit.jsonl)\n"
    "  --out-dir DIR          one output file per message, named by its inbox sequence number\n"
    "  --term DIR             terminology store used by the program\n"
    "  -j N                   worker threads (default 1)\n"
    "  --max-connections N    open connections (default 64); more are closed at once\n"
    "  --max-frame-bytes N    bytes of one MLLP frame (default 4194304); a larger one gets AR and its\n"
    "                         connection is closed\n"
    "  --max-pending N        stored messages not yet done (default 10000); at the limit the listener\n"
    "                         stops reading sockets until the workers catch up\n"
    "  --zone ZONE            zone for HL7 times that carry none (+HH:MM, -HH:MM or Z)\n"
    "  --var K=V              a host variable returned by var(\"K\") (repeatable)\n"
    "  --no-sync              no fsync of the inbox and outputs (tests only: an ACK then survives a crash\n"
    "                         of the process but not of the machine)\n"
    "  --fhir-base URL        also POST each JSON output (a transaction Bundle) to this FHIR server, in order;\n"
    "                         429, 5xx, timeouts and connection errors are retried with backoff (Retry-After\n"
    "                         honoured), other refusals and too many tries become dead letters\n"
    "                         (crosswalk dead-letters --inbox DIR lists and replays them)\n"
    "  --fhir-header H        'Name: value' sent with every request, e.g. an Authorization header (repeatable)\n"
    "  --fhir-ca FILE         PEM certificates to verify the FHIR server with (default: the system's)\n"
    "  --fhir-max-tries N     attempts before a dead letter (default 10)\n"
    "  --fhir-timeout-ms N    one attempt, connection included (default 30000)\n"
    "  --fhir-backoff-ms N    first retry delay, doubled per try up to 300000 (default 1000)\n"
    "  --tls-cert FILE        TLS on the MLLP listener: PEM certificate (then its chain); needs --tls-key\n"
    "  --tls-key FILE         PEM private key of the certificate\n"
    "  --tls-client-ca FILE   require client certificates issued by these PEM CAs (mutual TLS)\n"
    "  --metrics HOST:PORT    serve GET /metrics (Prometheus text) and GET /health on this address (use\n"
    "                         127.0.0.1: no credentials are asked)\n"
    "  --fhir-token-url URL   SMART Backend Services: get access tokens from this OAuth2 token endpoint with\n"
    "                         a client assertion (private_key_jwt) signed by --fhir-key; needs --fhir-client-id\n"
    "  --fhir-client-id ID    the registered client id (iss and sub of the assertion)\n"
    "  --fhir-key FILE        PEM private key: RSA >= 2048 bits (RS384) or EC P-384 (ES384)\n"
    "  --fhir-kid KID         key id in the assertion's header (as in the client's JWKS)\n"
    "  --fhir-scope SCOPE     scopes asked for (default system/*.write)\n"
    "SIGHUP reloads PROGRAM.cwb from its path (same --term store) without dropping a connection or a stored\n"
    "message; a program that does not load is refused and the running one kept.\n"
    "Exit status: 0 after a clean stop; 1 on a failure (one line on stderr); 2 on a usage error.\n";

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
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](std::string* dst) {
      if (i + 1 >= args.size()) return false;
      *dst = args[++i];
      return true;
    };
    std::string v;
    size_t n = 0;
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--term" && value(&term_dir)) {
    } else if (a == "--mllp" && value(&mllp)) {
    } else if (a == "--metrics" && value(&metrics)) {
    } else if (a == "--tls-cert" && value(&o.tls.cert_file)) {
    } else if (a == "--tls-key" && value(&o.tls.key_file)) {
    } else if (a == "--tls-client-ca" && value(&o.tls.client_ca_file)) {
    } else if (a == "--inbox" && value(&o.inbox_dir)) {
    } else if (a == "--out-dir" && value(&o.out_dir)) {
    } else if (a == "--zone" && value(&o.run_options.default_zone)) {
    } else if (a == "--var" && value(&v)) {
      size_t eq = v.find('=');
      if (eq == std::string::npos) {
        std::fprintf(stderr, "crosswalk serve: --var takes NAME=VALUE\n");
        return 2;
      }
      o.run_options.variables.emplace_back(v.substr(0, eq), v.substr(eq + 1));
    } else if (a == "-j" && value(&v)) {
      if (!ParseCount(v, 1, 1024, &n)) {
        std::fprintf(stderr, "crosswalk serve: -j takes a number of threads from 1 to 1024\n");
        return 2;
      }
      o.workers = static_cast<unsigned>(n);
    } else if (a == "--max-connections" && value(&v)) {
      if (!ParseCount(v, 1, 100000, &o.max_connections)) {
        std::fprintf(stderr, "crosswalk serve: --max-connections takes a number from 1 to 100000\n");
        return 2;
      }
    } else if (a == "--max-frame-bytes" && value(&v)) {
      if (!ParseCount(v, 16, size_t{1} << 30, &o.max_frame_bytes)) {
        std::fprintf(stderr, "crosswalk serve: --max-frame-bytes takes a number of bytes from 16 to 1073741824\n");
        return 2;
      }
    } else if (a == "--max-pending" && value(&v)) {
      if (!ParseCount(v, 1, size_t{1} << 32, &o.max_pending)) {
        std::fprintf(stderr, "crosswalk serve: --max-pending takes a positive number of messages\n");
        return 2;
      }
    } else if (a == "--no-sync") {
      o.sync = false;
    } else if (a == "--fhir-base" && value(&o.fhir.base_url)) {
    } else if (a == "--fhir-ca" && value(&o.fhir.ca_file)) {
    } else if (a == "--fhir-token-url" && value(&o.fhir.oauth.token_url)) {
    } else if (a == "--fhir-client-id" && value(&o.fhir.oauth.client_id)) {
    } else if (a == "--fhir-key" && value(&o.fhir.oauth.key_file)) {
    } else if (a == "--fhir-kid" && value(&o.fhir.oauth.kid)) {
    } else if (a == "--fhir-scope" && value(&o.fhir.oauth.scope)) {
    } else if (a == "--fhir-header" && value(&v)) {
      o.fhir.headers.push_back(v);
    } else if ((a == "--fhir-max-tries" || a == "--fhir-timeout-ms" || a == "--fhir-backoff-ms") && value(&v)) {
      if (!ParseCount(v, 1, size_t{1} << 32, &n)) {
        crosswalk::cli::PrintSafe(stderr, "crosswalk serve: " + a + " takes a positive number");
        return 2;
      }
      if (a == "--fhir-max-tries") o.fhir.max_tries = static_cast<uint32_t>(std::min<size_t>(n, UINT32_MAX));
      else if (a == "--fhir-timeout-ms") o.fhir.timeout_ms = n;
      else o.fhir.backoff_initial_ms = n;
    } else if (!a.empty() && a[0] == '-') {
      crosswalk::cli::PrintSafe(stderr, "crosswalk serve: unknown or incomplete option '" + a + "'");
      std::fputs(kUsage, stderr);
      return 2;
    } else if (program_path.empty()) {
      program_path = a;
    } else {
      crosswalk::cli::PrintSafe(stderr, "crosswalk serve: unexpected argument '" + a + "'");
      return 2;
    }
  }
  if (program_path.empty() || mllp.empty() || o.inbox_dir.empty() || o.out_dir.empty()) {
    std::fprintf(stderr, "crosswalk serve: PROGRAM.cwb, --mllp, --inbox and --out-dir are required\n");
    std::fputs(kUsage, stderr);
    return 2;
  }
  size_t colon = mllp.rfind(':');
  size_t port = 0;
  if (colon == std::string::npos || colon == 0 || !ParseCount(mllp.substr(colon + 1), 0, 65535, &port)) {
    crosswalk::cli::PrintSafe(stderr, "crosswalk serve: --mllp takes HOST:PORT, not '" + mllp + "'");
    return 2;
  }
  o.host = mllp.substr(0, colon);
  o.port = static_cast<uint16_t>(port);
  if (!metrics.empty()) {
    size_t mcolon = metrics.rfind(':');
    size_t mport = 0;
    if (mcolon == std::string::npos || mcolon == 0 || !ParseCount(metrics.substr(mcolon + 1), 0, 65535, &mport)) {
      crosswalk::cli::PrintSafe(stderr, "crosswalk serve: --metrics takes HOST:PORT, not '" + metrics + "'");
      return 2;
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
  if (!crosswalk::cli::LoadProgram("serve", bytes, term_dir, program_path, &loaded)) return 1;
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
        if (fresh.ok()) {
          srv->Reload(*fresh);
          crosswalk::cli::PrintSafe(stderr, "crosswalk serve: reloaded " + program_path + " (" +
                                                std::to_string((*fresh)->maps().size()) + " maps)");
          continue;
        }
        error = fresh.status().ToString();
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
