// crosswalk serve PROGRAM.cwb --mllp HOST:PORT --inbox DIR --out-dir DIR [--term DIR] [-j N] [options]
// crosswalk serve --config FILE
//
// A live feed: MLLP in, each message stored in a durable inbox before its ACK leaves, workers run the
// program and write one output per message, every step in the audit trail (<inbox>/audit.jsonl). The work is
// done by crosswalk::serve::Server (crosswalk/serve.h, the public API: this file uses nothing else of the
// serve library); this file reads the flags or the configuration file (ParseServeConfig), starts one Server
// per listener and turns signals into stops and reloads.
// docs/serve.md is the reference.
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "command.h"
#include "options.h"
#include "crosswalk/runtime.h"
#include "crosswalk/serve.h"
#include "safe_text.h"

namespace {

namespace serve = crosswalk::serve;

std::vector<serve::Server*> g_servers;  // set before the signal handlers are installed, cleared after Run

extern "C" void OnStopSignal(int) {
  for (serve::Server* s : g_servers) s->RequestStop();
}

// Reads the whole file; "" on success, else the reason.
std::string ReadFile(const std::string& path, std::string* out) {
  std::string error = serve::ReadWholeFile(path, out);
  return error.empty() ? error : "cannot read '" + path + "': " + error;
}

// A listener's program on a runtime of its own (its terminology store opened anew): "" or the reason.
struct Loaded {
  std::shared_ptr<const crosswalk::Runtime> runtime;
  std::shared_ptr<const crosswalk::Program> program;
};
std::string LoadListener(const serve::ListenerConfig& l, Loaded* out) {
  std::string bytes;
  if (std::string error = ReadFile(l.program_path, &bytes); !error.empty()) return error;
  crosswalk::RuntimeOptions options;
  options.terminology_dir = l.term_dir;
  options.allow_terminology_drift = l.allow_term_drift;
  auto runtime = crosswalk::Runtime::Create(options);
  if (!runtime.ok()) return runtime.status().ToString();
  auto program = (*runtime)->Load(bytes);
  if (!program.ok()) return l.program_path + ": " + program.status().ToString();
  if (std::string why = crosswalk::cli::MissingMap(**program, l.options.run_options.map_name); !why.empty()) {
    return why;
  }
  for (const auto& w : (*program)->terminology_warnings()) {
    crosswalk::cli::PrintSafe(stderr, "crosswalk serve: " + l.program_path + ": warning: " + w);
  }
  out->runtime = std::move(*runtime);
  out->program = std::move(*program);
  return {};
}

int RunServe(const std::vector<std::string>& args) {
  // SIGHUP is taken by one thread with sigwait (the reloader below): blocked here, before any thread starts
  // (RocksDB's and the server's inherit the mask), so it can never hit a thread with its default action.
  sigset_t hup;
  sigemptyset(&hup);
  sigaddset(&hup, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &hup, nullptr);
  serve::ListenerConfig flags;
  serve::ServerOptions& o = flags.options;
  std::string mllp, mllp_out, metrics, config_path, log_level, log_format;
  size_t fhir_max_tries = o.fhir.max_tries;
  size_t mllp_out_max_tries = o.mllp_out.max_tries;
  std::vector<std::string> vars;
  namespace cli = crosswalk::cli;
  auto app = cli::MakeApp(
      "crosswalk serve",
      "PROGRAM.cwb --mllp HOST:PORT --inbox DIR --out-dir DIR [--term DIR] [-j N] [options]\n"
      "--config FILE [--log-level L] [--log-format F]",
      "Receives HL7 v2 over MLLP, stores each message durably, ACKs it, runs the program on it and writes\n"
      "OUT-DIR/<seq>.json (or .hl7, or .rejected with the reason). Stops on SIGTERM or SIGINT.\n"
      "With --config, the listeners of a configuration file (docs/serve.md), each with its own program,\n"
      "terminology store, inbox, workers and outputs.",
      "SIGHUP reloads each listener's PROGRAM.cwb from its path and reopens its --term store, without\n"
      "dropping a connection or a stored message; a program that does not load (or names terminology the\n"
      "store lacks) is refused and the running program and store are kept. It also reads the TLS\n"
      "certificate, key and CA files again (renewed certificates): the listener's, --mllp-out's and the\n"
      "FHIR client's (--fhir-ca, --fhir-cert, --fhir-cert-key, --fhir-key), for connections opened from\n"
      "then on.\n"
      "Exit status: 0 after a clean stop; 1 on a failure (one line on stderr); 2 on a usage error.\n");
  app->add_option("PROGRAM.cwb", flags.program_path, "");
  app->add_option("--config", config_path,
                  "a JSON file of one or more listeners (docs/serve.md); not with PROGRAM.cwb or\n"
                  "the listener options")
      ->type_name("FILE");
  app->add_option("--log-level", log_level, "debug, info (default), warn or error; over the file's log.level")
      ->type_name("L")
      ->check(cli::OneOf({"debug", "info", "warn", "error"}));
  app->add_option("--log-format", log_format,
                  "text (default: 'crosswalk serve: ...' lines) or json (one object a line);\n"
                  "over the file's log.format")
      ->type_name("F")
      ->check(cli::OneOf({"text", "json"}));
  app->add_option("--mllp", mllp,
                  "address and port to listen on, IPv4 or [IPv6] (port 0: any free port; the line\n"
                  "'crosswalk serve: listening on HOST:PORT' on stdout names it)")
      ->type_name("HOST:PORT");
  app->add_option("--inbox", o.inbox_dir, "durable inbox (RocksDB) and audit trail (DIR/audit.jsonl)")
      ->type_name("DIR");
  app->add_option("--out-dir", o.out_dir,
                  "one output file per message, named by its inbox sequence number (may be left out\n"
                  "with --ndjson and without --fhir-base / --mllp-out: then the NDJSON file is the output)")
      ->type_name("DIR");
  app->add_option("--ndjson", o.ndjson_path,
                  "also append each JSON output as one line to FILE (durable before the message\n"
                  "is done; cut back to what was committed at start, so no line is lost or repeated)")
      ->type_name("FILE");
  bool to_stdout = false;
  app->add_flag("--stdout", to_stdout,
                "also write each JSON output as one line on stdout (at least once; the start\n"
                "lines then go to stderr)");
  app->add_option("--term", flags.term_dir, "terminology store used by the program")->type_name("DIR");
  app->add_flag("--allow-term-drift", flags.allow_term_drift,
                "load a program whose terminology differs from what it was compiled against (a warning)");
  app->add_option("--map", o.run_options.map_name, "run this map on every message instead of choosing by message type")
      ->type_name("NAME");
  app->add_option("-j", o.workers,
                  "worker threads of the process (default 1), shared by all its listeners; with\n"
                  "--config, over the file's top-level workers")
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
  size_t dedup_days = 30;
  app->add_option("--dedup-days", dedup_days,
                  "days a message's dedup id is kept (default 30; 0 = for ever): within them a resend\n"
                  "is a duplicate (AA, stored once), after them a new message")
      ->type_name("N")
      ->check(cli::Number(0, 36500, "a number of days"));
  app->add_option("--zone", o.run_options.default_zone, "zone for HL7 times that carry none (+HH:MM, -HH:MM or Z)")
      ->type_name("ZONE");
  app->add_option("--var", vars, "a host variable returned by var(\"K\") (repeatable)")
      ->type_name("K=V")
      ->allow_extra_args(false)
      ->check(cli::NameValue());
  app->add_flag("--app-acks", o.app_acks,
                "also send application ACKs (enhanced mode: MSH-15 valued, MSH-16 AL, SU or ER): AA\n"
                "once the output is durable, AE when the program rejects the message, on the\n"
                "connection it came on (for senders that match ACKs by MSA-2)");
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
  app->add_option("--fhir-cert", o.fhir.client_cert_file,
                  "PEM client certificate (then its chain) presented to the FHIR server and the token\n"
                  "endpoint (mutual TLS); needs --fhir-cert-key")
      ->type_name("FILE");
  app->add_option("--fhir-cert-key", o.fhir.client_key_file, "PEM private key of --fhir-cert (unencrypted)")
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
  app->add_option("--mllp-out", mllp_out,
                  "also send each HL7 v2 output to this MLLP receiver, in order, on one kept\n"
                  "connection, and wait for its ACK: AA/CA delivered, AE/AR/CE/CR a dead letter,\n"
                  "no ACK (timeout, reset, refused) retried with backoff, then a dead letter")
      ->type_name("HOST:PORT");
  app->add_option("--mllp-out-max-tries", mllp_out_max_tries, "attempts before a dead letter (default 10)")
      ->type_name("N")
      ->check(cli::Number(1, size_t{1} << 32));
  app->add_option("--mllp-out-timeout-ms", o.mllp_out.timeout_ms,
                  "one attempt: connect, send and wait for the ACK (default 30000)")
      ->type_name("N")
      ->check(cli::Number(1, size_t{1} << 32));
  app->add_option("--mllp-out-backoff-ms", o.mllp_out.backoff_initial_ms,
                  "first retry delay, doubled per try up to 300000 (default 1000)")
      ->type_name("N")
      ->check(cli::Number(1, size_t{1} << 32));
  app->add_flag("--mllp-out-app-acks", o.mllp_out.app_acks,
                "for a message in enhanced mode with MSH-16 AL, wait for the receiver's application ACK\n"
                "after its CA (AA delivered, AE/AR a dead letter, none in time a retry)");
  app->add_flag("--mllp-out-tls", o.mllp_out.tls,
                "TLS toward --mllp-out, the receiver's certificate verified with the system's CAs\n"
                "(implied by the --mllp-out-ca, -cert, -key and -server-name options)");
  app->add_option("--mllp-out-ca", o.mllp_out.tls_ca_file, "PEM CAs to verify the MLLP receiver's certificate with")
      ->type_name("FILE");
  app->add_option("--mllp-out-cert", o.mllp_out.tls_cert_file,
                  "PEM client certificate presented to the MLLP receiver (mutual TLS); needs --mllp-out-key")
      ->type_name("FILE");
  app->add_option("--mllp-out-key", o.mllp_out.tls_key_file, "PEM private key of --mllp-out-cert")->type_name("FILE");
  app->add_option("--mllp-out-server-name", o.mllp_out.tls_server_name,
                  "the name the receiver's certificate must carry (default: the --mllp-out host)")
      ->type_name("NAME");
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
  const bool j_given = app->get_option("-j")->count() > 0;
  const unsigned j = o.workers;

  serve::ServeConfig config;
  if (!config_path.empty()) {
    std::vector<std::string> given;
    for (const CLI::Option* opt : app->get_options()) {
      std::string name = opt->get_name();
      if (opt->count() > 0 && name != "--config" && name != "--log-level" && name != "--log-format" &&
          name != "-j" && name != "--help") {
        given.push_back(name);
      }
    }
    if (!given.empty()) {
      return cli::UsageError(*app, "--config cannot be combined with " + given.front() +
                                       " (the file describes every listener)");
    }
    std::string text;
    if (std::string error = ReadFile(config_path, &text); !error.empty()) {
      cli::PrintSafe(stderr, "crosswalk serve: " + error);
      return 1;
    }
    std::string base = std::filesystem::path(config_path).parent_path().string();
    auto parsed = serve::ParseServeConfig(text, base.empty() ? "." : base);
    if (!parsed.ok()) {
      cli::PrintSafe(stderr, "crosswalk serve: " + config_path + ": " + std::string(parsed.status().message()));
      return 1;
    }
    config = std::move(*parsed);
  } else {
    if (flags.program_path.empty()) return cli::UsageError(*app, "PROGRAM.cwb (or --config FILE) is required");
    for (const char* name : {"--mllp", "--inbox"}) {
      if (app->get_option(name)->count() == 0) return cli::UsageError(*app, std::string(name) + " is required");
    }
    if (o.out_dir.empty()) {
      if (o.ndjson_path.empty()) return cli::UsageError(*app, "--out-dir (or --ndjson) is required");
      if (!o.fhir.base_url.empty() || !mllp_out.empty()) {
        return cli::UsageError(*app, "--fhir-base and --mllp-out send the files of --out-dir: give --out-dir");
      }
    }
    if (no_sync) o.sync = false;
    o.dedup_seconds = dedup_days * 86400;
    o.stdout_output = to_stdout;
    o.fhir.max_tries = static_cast<uint32_t>(std::min<size_t>(fhir_max_tries, UINT32_MAX));
    o.mllp_out.max_tries = static_cast<uint32_t>(std::min<size_t>(mllp_out_max_tries, UINT32_MAX));
    if (!mllp_out.empty() && (!serve::ParseHostPort(mllp_out, &o.mllp_out.host, &o.mllp_out.port) ||
                              o.mllp_out.port == 0)) {
      return cli::UsageError(*app, "--mllp-out takes HOST:PORT (a port other than 0), not '" + mllp_out + "'");
    }
    if (!o.mllp_out.tls_ca_file.empty() || !o.mllp_out.tls_cert_file.empty() || !o.mllp_out.tls_key_file.empty() ||
        !o.mllp_out.tls_server_name.empty()) {
      o.mllp_out.tls = true;
    }
    if (o.mllp_out.tls_cert_file.empty() != o.mllp_out.tls_key_file.empty()) {
      return cli::UsageError(*app, "--mllp-out-cert and --mllp-out-key go together");
    }
    if (o.fhir.client_cert_file.empty() != o.fhir.client_key_file.empty()) {
      return cli::UsageError(*app, "--fhir-cert and --fhir-cert-key go together");
    }
    for (const char* name : {"--fhir-cert", "--fhir-cert-key"}) {
      if (o.fhir.base_url.empty() && app->get_option(name)->count() > 0) {
        return cli::UsageError(*app, std::string(name) + " needs --fhir-base");
      }
    }
    for (const char* name : {"--mllp-out-max-tries", "--mllp-out-timeout-ms", "--mllp-out-backoff-ms",
                             "--mllp-out-app-acks", "--mllp-out-tls", "--mllp-out-ca", "--mllp-out-cert", "--mllp-out-key",
                             "--mllp-out-server-name"}) {
      if (mllp_out.empty() && app->get_option(name)->count() > 0) {
        return cli::UsageError(*app, std::string(name) + " needs --mllp-out");
      }
    }
    for (const auto& v : vars) {
      size_t eq = v.find('=');
      o.run_options.variables.emplace_back(v.substr(0, eq), v.substr(eq + 1));
    }
    if (!serve::ParseHostPort(mllp, &o.host, &o.port)) {
      return cli::UsageError(*app, "--mllp takes HOST:PORT, not '" + mllp + "'");
    }
    if (!metrics.empty()) {
      if (!serve::ParseHostPort(metrics, &o.metrics_host, &o.metrics_port)) {
        return cli::UsageError(*app, "--metrics takes HOST:PORT, not '" + metrics + "'");
      }
      o.metrics = true;
    }
    config.listeners.push_back(std::move(flags));
  }
  if (!log_level.empty()) (void)serve::ParseLogLevel(log_level, &config.log_level);
  if (!log_format.empty()) (void)serve::ParseLogFormat(log_format, &config.log_format);
  const serve::Logger logger(config.log_level, config.log_format);
  const bool named = !config_path.empty();  // lines name the listener when a file defines them
  auto suffix = [&](const serve::ListenerConfig& l) { return named ? " (" + l.name + ")" : std::string(); };

  // One pool of worker threads for the whole process: -j, else the file's "workers", else the listeners'
  // "workers" summed. A listener's own "workers" caps its share; without one it may use the whole pool.
  const unsigned pool_size = j_given || config_path.empty() ? j : serve::PoolSize(config);
  auto pool = std::make_shared<serve::WorkerPool>(pool_size);  // outlives the servers (declared before them)
  std::vector<std::unique_ptr<serve::Server>> servers;
  bool stdout_taken = false;
  for (serve::ListenerConfig& l : config.listeners) {
    l.options.pool = pool;
    if (!l.workers_given) l.options.workers = pool_size;
    Loaded loaded;
    if (std::string error = LoadListener(l, &loaded); !error.empty()) {
      if (!named && error.rfind("--map:", 0) == 0) return cli::UsageError(*app, error);
      logger.Say(serve::LogLevel::kError, "failed", error + suffix(l));
      return 1;
    }
    l.options.logger = &logger;
    stdout_taken = stdout_taken || l.options.stdout_output;
    auto server = serve::Server::Create(l.options, loaded.runtime, loaded.program);
    if (!server.ok()) {
      logger.Say(serve::LogLevel::kError, "failed", server.status().ToString() + suffix(l));
      return 1;
    }
    servers.push_back(std::move(*server));
  }
  g_servers.clear();
  for (auto& s : servers) g_servers.push_back(s.get());
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  // The start lines go to stdout (scripts read the port there), unless stdout carries outputs.
  FILE* start_out = stdout_taken ? stderr : stdout;
  for (size_t i = 0; i < servers.size(); ++i) {
    const serve::ListenerConfig& l = config.listeners[i];
    // listener_name() is "mllp:" + the address as the audit names it ([ADDR]:PORT for IPv6).
    std::string address = servers[i]->listener_name().substr(5);
    std::fprintf(start_out, "crosswalk serve: listening on %s%s\n", address.c_str(), suffix(l).c_str());
    if (l.options.metrics) {
      std::fprintf(start_out, "crosswalk serve: metrics on http://%s:%u/metrics%s\n", l.options.metrics_host.c_str(),
                   static_cast<unsigned>(servers[i]->metrics_port()), suffix(l).c_str());
    }
    logger.Say(serve::LogLevel::kDebug, "listening",
               "listening on " + address + suffix(l), l.name);
  }
  std::fflush(start_out);
  // The reloader: on SIGHUP, each listener's program file is loaded again on a runtime with its terminology
  // store reopened, and swapped in; a listener whose program or store does not load keeps what it runs.
  std::atomic<bool> done{false};
  std::thread reloader([&] {
    for (;;) {
      int sig = 0;
      if (sigwait(&hup, &sig) != 0) continue;
      if (done) return;
      for (size_t i = 0; i < servers.size(); ++i) {
        const serve::ListenerConfig& l = config.listeners[i];
        Loaded fresh;
        if (std::string error = LoadListener(l, &fresh); !error.empty()) {
          logger.Say(serve::LogLevel::kError, "reload-refused",
                     "reload refused, the running program is kept: " + error + suffix(l), l.name);
          continue;
        }
        size_t maps = fresh.program->maps().size();
        if (crosswalk::Status st = servers[i]->Reload(std::move(fresh.runtime), std::move(fresh.program)); !st.ok()) {
          logger.Say(serve::LogLevel::kError, "reload-refused",
                     "reload refused, the running program is kept: " + std::string(st.message()) + suffix(l), l.name);
          continue;
        }
        logger.Say(serve::LogLevel::kInfo, "reloaded",
                   "reloaded " + l.program_path + " (" + std::to_string(maps) + " maps)" + suffix(l), l.name);
      }
      // Renewed certificates: each listener's TLS files (and its MLLP and FHIR destinations') are read again.
      for (size_t i = 0; i < servers.size(); ++i) {
        const serve::ListenerConfig& l = config.listeners[i];
        const serve::FhirOptions& f = l.options.fhir;
        const bool fhir_tls = !f.base_url.empty() && (f.base_url.rfind("https:", 0) == 0 || !f.ca_file.empty() ||
                                                      !f.client_cert_file.empty() || !f.oauth.token_url.empty());
        if (l.options.tls.cert_file.empty() && !l.options.mllp_out.tls && !fhir_tls) continue;
        if (crosswalk::Status st = servers[i]->ReloadTls(); !st.ok()) {
          logger.Say(serve::LogLevel::kError, "reload-refused",
                     "TLS reload refused, the certificates in use are kept: " + st.ToString() + suffix(l), l.name);
        } else {
          logger.Say(serve::LogLevel::kInfo, "reloaded", "reloaded the TLS certificates" + suffix(l), l.name);
        }
      }
    }
  });
  // One thread per listener; the first to fail stops the others.
  std::vector<crosswalk::Status> results(servers.size());
  std::vector<std::thread> runners;
  for (size_t i = 1; i < servers.size(); ++i) {
    runners.emplace_back([&, i] {
      results[i] = servers[i]->Run();
      if (!results[i].ok()) OnStopSignal(SIGTERM);
    });
  }
  results[0] = servers[0]->Run();
  if (!results[0].ok()) OnStopSignal(SIGTERM);
  for (auto& t : runners) t.join();
  done = true;
  pthread_kill(reloader.native_handle(), SIGHUP);
  reloader.join();
  g_servers.clear();
  int rc = 0;
  for (size_t i = 0; i < servers.size(); ++i) {
    const auto& s = servers[i]->stats();
    // MLLP delivery's counts follow when the listener has a destination, so the line of the others is as before.
    std::string tail;
    if (!config.listeners[i].options.mllp_out.host.empty()) {
      tail = "; MLLP out: " + std::to_string(s.mllp_delivered) + " delivered, " + std::to_string(s.mllp_retries) +
             " retries, " + std::to_string(s.mllp_dead_letters) + " dead letters";
    }
    // Outputs that could not be written (tried again while the server ran; what is left is in the inbox).
    if (s.output_errors > 0) tail += "; " + std::to_string(s.output_errors) + " output errors";
    char line[640];
    std::snprintf(line, sizeof line,
                  "stopped: %llu frames received, %llu stored, %llu duplicates, %llu refused, %llu written, "
                  "%llu rejected, %llu delivered, %llu retries, %llu dead letters%s",
                  static_cast<unsigned long long>(s.received), static_cast<unsigned long long>(s.stored),
                  static_cast<unsigned long long>(s.duplicates), static_cast<unsigned long long>(s.malformed),
                  static_cast<unsigned long long>(s.written), static_cast<unsigned long long>(s.rejected),
                  static_cast<unsigned long long>(s.delivered), static_cast<unsigned long long>(s.retries),
                  static_cast<unsigned long long>(s.dead_letters), tail.c_str());
    const serve::ListenerConfig& l = config.listeners[i];
    logger.Say(serve::LogLevel::kInfo, "stopped", line + suffix(l), l.name);
    if (!results[i].ok()) {
      logger.Say(serve::LogLevel::kError, "failed", results[i].ToString() + suffix(l), l.name);
      rc = 1;
    }
  }
  return rc;
}

}  // namespace

CW_REGISTER_COMMAND(serve, "serve",
                    "PROGRAM.cwb --mllp HOST:PORT --inbox DIR --out-dir DIR | --config FILE  receive MLLP, store, ACK, convert",
                    RunServe);
