#include "serve/server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <random>

#include "hl7v2/message.h"
#include "hl7v2/writer.h"
#include "serve/log_json.h"
#include "serve/mllp.h"

namespace crosswalk::serve {
namespace fs = std::filesystem;

namespace {

// Bytes read from one connection per poll round, so one busy sender cannot starve the others.
constexpr size_t kReadPerRound = 256u << 10;
// ACK bytes a peer may leave unread before we stop reading from it (it is not reading its ACKs).
constexpr size_t kMaxUnsentBytes = 1u << 20;
// How often a paused listener (back-pressure) looks again at the inbox depth.
constexpr int kPausedPollMs = 5;
// Temporary output names start with this; stale ones (a crash mid-write) are removed at start.
constexpr const char kTempPrefix[] = ".cw-tmp-";
// Messages a worker takes from the queue at once; their outputs are made durable together (one syncfs and one
// directory fsync per batch instead of two fsyncs per message).
constexpr size_t kWorkerBatch = 64;
// Queue entries a worker looks at to fill its batch with messages whose ordering key no other worker holds.
constexpr size_t kScanWindow = 1024;
// The checkpointer makes the output folder durable (and forgets the journaled outputs) this often, or sooner
// when this many outputs are journaled. Often, so that each syncfs() has little to write: every fsync on the
// disk (the inbox WAL, so each ACK) waits behind it. At 1,000 ADT^A01/s a checkpoint once a second put the
// ACK p99 at 11-16 ms, once per 100 ms at 4-7 ms, end-to-end throughput unchanged (docs/serve.md).
constexpr int kCheckpointMs = 100;
// At shutdown, how long a delivery in flight (a POST, an MLLP send) may take to finish before it is aborted.
constexpr int kDeliveryGraceMs = 3000;
// The longest wait before an output that could not be written is tried again.
constexpr uint64_t kMaxOutputRetryMs = 60'000;

std::string ErrnoText(int err) { return std::strerror(err); }

uint64_t UnixMs() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

// "2026-11-30T06:10:00.123Z" (NowInstant's form) -> Unix ms; 0 when it has another form.
int64_t InstantMs(const std::string& t) {
  std::tm tm{};
  int ms = 0;
  if (t.size() != 24 || std::sscanf(t.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                                    &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7) {
    return 0;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + ms;
}

std::string SeqName(uint64_t seq) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llu", static_cast<unsigned long long>(seq));
  return buf;
}

// "20261130061000+0000": an HL7 DTM for the ACK's MSH-7.
std::string NowDtm() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d%H%M%S+0000", &tm);
  return buf;
}

// Writes `data` to dir/<temp prefix>name (not synced: the batch is synced at once with SyncPath). "" or the
// reason (file name and errno, never content).
std::string WriteTemp(const std::string& dir, const std::string& name, std::string_view data) {
  std::string temp_path = dir + "/" + kTempPrefix + name;
  std::string error = WriteFileAt(temp_path, data);
  return error.empty() ? error : "'" + temp_path + "': " + error;
}

// SyncPath with the folder named in the reason.
std::string SyncDir(const std::string& dir, bool whole_fs) {
  std::string error = SyncPath(dir, whole_fs);
  return error.empty() ? error : "cannot sync '" + dir + "': " + error;
}

// The acknowledgment mode of an inbound message (MSH-15 accept acknowledgment type): original mode when
// MSH-15 is empty (AA/AE/AR), enhanced mode otherwise (CA/CE/CR), sent as MSH-15 asks: AL always, NE never,
// ER only on error, SU only on success.
struct AckMode {
  bool enhanced = false;
  bool on_success = true;
  bool on_error = true;
};

// The application acknowledgment an enhanced-mode message asks for (MSH-16, HL7 table 0155): AL always, SU on
// success, ER on error, NE or empty none. Original mode (MSH-15 empty) has none: its AA was the answer.
struct AppAckMode {
  bool on_success = false;
  bool on_error = false;
  bool any() const { return on_success || on_error; }
};

AppAckMode AppAckModeOf(const hl7v2::Message& m) {
  AppAckMode mode;
  if (hl7v2::TrimBlanks(m.Raw(0, 15)).empty()) return mode;
  std::string_view app = hl7v2::TrimBlanks(m.Raw(0, 16));
  mode.on_success = app == "AL" || app == "SU";
  mode.on_error = app == "AL" || app == "ER";
  return mode;
}

AckMode ModeOf(const hl7v2::Message& m) {
  AckMode mode;
  std::string_view accept = hl7v2::TrimBlanks(m.Raw(0, 15));
  if (accept.empty()) return mode;
  mode.enhanced = true;
  if (accept == "NE") mode.on_success = mode.on_error = false;
  if (accept == "ER") mode.on_success = false;
  if (accept == "SU") mode.on_error = false;
  return mode;
}

// The header of a frame whose message does not parse (an invalid segment further down, a byte that is not
// UTF-8): its first segment alone, so that the refusal still goes back to the sender with its control id
// (MSA-2) and follows its MSH-15. False when even that is not an MSH that parses.
bool ParseHeaderOnly(std::string_view text, hl7v2::Message* msg) {
  while (!text.empty() && (text.front() == '\r' || text.front() == '\n')) text.remove_prefix(1);
  text = text.substr(0, text.find_first_of("\r\n"));
  hl7v2::ParseOptions options;
  options.invalid_utf8 = InvalidUtf8::kReplace;
  return msg->Parse(text, options).ok() && msg->segment_count() == 1;
}

// An ACK for a frame that is not an HL7 v2 message we can address (no MSH, too large): minimal MSH, MSA with
// no control id, ERR with the reason.
std::string BareAck(std::string_view code, std::string_view ack_id, std::string_view text) {
  hl7v2::Writer w;
  std::string out;
  if (!w.BeginSegment("MSH").ok() || !w.Set(3, 1, 1, 1, "CROSSWALK").ok() || !w.Set(7, 1, 1, 1, NowDtm()).ok() ||
      !w.Set(9, 1, 1, 1, "ACK").ok() || !w.Set(10, 1, 1, 1, ack_id).ok() || !w.Set(11, 1, 1, 1, "P").ok() ||
      !w.Set(12, 1, 1, 1, "2.5").ok() || !w.BeginSegment("MSA").ok() || !w.Set(1, 1, 1, 1, code).ok() ||
      !w.Set(3, 1, 1, 1, text).ok() || !w.BeginSegment("ERR").ok() || !w.Set(3, 1, 1, 1, "207").ok() ||
      !w.Set(4, 1, 1, 1, "E").ok() || !w.Set(8, 1, 1, 1, text).ok()) {
    return {};
  }
  out.assign(w.Finish());
  return out;
}

std::string OrderingKeyOf(const hl7v2::Message& m) {
  std::string key(hl7v2::TrimBlanks(m.Raw(0, 3)));
  key += '^';
  key += hl7v2::TrimBlanks(m.Raw(0, 4));
  if (hl7v2::TrimBlanks(m.Raw(0, 9, 1, 1)) == "ADT") {
    key += '\0';
    if (int pid = m.FindSegment("PID"); pid >= 0) key += hl7v2::TrimBlanks(m.Raw(pid, 3, 1, 1));
  }
  return key;
}

// "ADDR:PORT" (IPv4) or "[ADDR]:PORT" (IPv6) of an accepted connection.
std::string PeerName(const sockaddr_storage& addr) {
  char ip[INET6_ADDRSTRLEN] = "?";
  if (addr.ss_family == AF_INET6) {
    const auto& a6 = reinterpret_cast<const sockaddr_in6&>(addr);
    ::inet_ntop(AF_INET6, &a6.sin6_addr, ip, sizeof ip);
    return "[" + std::string(ip) + "]:" + std::to_string(ntohs(a6.sin6_port));
  }
  const auto& a4 = reinterpret_cast<const sockaddr_in&>(addr);
  ::inet_ntop(AF_INET, &a4.sin_addr, ip, sizeof ip);
  return std::string(ip) + ":" + std::to_string(ntohs(a4.sin_port));
}

uint64_t KeyHash(std::string_view key) { return std::hash<std::string_view>()(key); }

}  // namespace

std::string ServerCore::OrderingKey(std::string_view message_text) {
  hl7v2::Message m;
  if (!m.Parse(message_text).ok()) return {};
  return OrderingKeyOf(m);
}

struct ServerCore::Connection {
  int fd = -1;
  uint64_t serial = 0;  // application ACKs find their connection by it (never reused, unlike a peer address)
  std::string peer;
  MllpDeframer deframer;
  std::string out;        // ACK bytes not yet sent
  bool closing = false;   // close once `out` is sent (peer closed, or the stream cannot be resynchronised)
  std::unique_ptr<TlsConn> tls;  // null: plain TCP
  bool tls_read_wants_write = false;  // TLS must send before it can read on (renegotiation, key update)
  explicit Connection(size_t max_frame) : deframer(max_frame) {}
  ~Connection() {
    if (tls) tls->Shutdown();
    if (fd >= 0) ::close(fd);
  }
};

struct ServerCore::Frame {
  Connection* conn;
  std::string text;
  bool too_large = false;
};

ServerCore::ServerCore(const ServerOptions& options, Binding binding)
    : options_(options), binding_(std::move(binding)) {}

ServerCore::~ServerCore() {
  connections_.clear();  // each Connection closes its socket
  if (listen_fd_ >= 0) ::close(listen_fd_);
  for (int fd : {stop_pipe_[0], stop_pipe_[1], wake_pipe_[0], wake_pipe_[1]}) {
    if (fd >= 0) ::close(fd);
  }
  if (ndjson_fd_ >= 0) ::close(ndjson_fd_);
}

Result<std::unique_ptr<ServerCore>> ServerCore::Create(const ServerOptions& options,
                                                       std::shared_ptr<const Runtime> runtime,
                                                       std::shared_ptr<const Program> program) {
  if (options.inbox_dir.empty()) return InvalidArgument("serve: the inbox directory is required");
  if (options.out_dir.empty()) {
    // Without a folder the NDJSON file is the only durable output; deliveries are sent from the folder's files.
    if (options.ndjson_path.empty()) return InvalidArgument("serve: an output directory or an NDJSON file is required");
    if (!options.fhir.base_url.empty() || !options.mllp_out.host.empty()) {
      return InvalidArgument("serve: delivery to a FHIR server or an MLLP receiver needs an output directory");
    }
  }
  if (options.workers < 1 || options.workers > 1024) return InvalidArgument("serve: workers must be 1 to 1024");
  if (options.max_connections < 1 || options.max_frame_bytes < 16 || options.max_pending < 1) {
    return InvalidArgument("serve: max_connections and max_pending must be at least 1, max_frame_bytes at least 16");
  }
  if (!program || !runtime) return InvalidArgument("serve: no program");
  CW_RETURN_IF_ERROR(CheckOutputs(options, *program));
  std::unique_ptr<ServerCore> s(new ServerCore(options, Binding{std::move(runtime), std::move(program)}));
  if (!options.fhir.base_url.empty()) {
    auto client = FhirClient::Create(options.fhir);
    if (!client.ok()) return InvalidArgument("serve: " + std::string(client.status().message()));
    s->fhir_ = std::move(*client);
  }
  if (!options.mllp_out.host.empty()) {
    auto sender = MllpSender::Create(options.mllp_out);
    if (!sender.ok()) return InvalidArgument("serve: " + std::string(sender.status().message()));
    s->mllp_out_ = std::move(*sender);
    bool v6 = options.mllp_out.host.find(':') != std::string::npos;
    s->mllp_out_name_ = std::string(options.mllp_out.tls ? "mllps://" : "mllp://") + (v6 ? "[" + options.mllp_out.host + "]" : options.mllp_out.host) + ":" +
                        std::to_string(options.mllp_out.port);
  }
  std::error_code ec;
  for (const std::string& dir : {options.inbox_dir, options.out_dir}) {
    if (dir.empty()) continue;
    fs::create_directories(dir, ec);
    if (!fs::is_directory(dir)) return IoError("serve: cannot create the directory '" + dir + "'");
  }
  // Outputs half-written by a crash: their messages are still in the inbox and will be written again.
  if (!options.out_dir.empty()) {
    for (const auto& e : fs::directory_iterator(options.out_dir, ec)) {
      if (e.path().filename().string().rfind(kTempPrefix, 0) == 0) fs::remove(e.path(), ec);
    }
  }
  CW_ASSIGN_OR_RETURN(s->inbox_, Inbox::Open(options.inbox_dir + "/db", options.sync));
  CW_RETURN_IF_ERROR(s->audit_.Open(options.inbox_dir));
  s->audit_.set_logger(options.logger);
  if (!options.ndjson_path.empty()) CW_RETURN_IF_ERROR(s->OpenNdjson());
  if (::pipe2(s->stop_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) return IoError("serve: pipe: " + ErrnoText(errno));
  if (::pipe2(s->wake_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) return IoError("serve: pipe: " + ErrnoText(errno));
  CW_RETURN_IF_ERROR(s->Listen());
  if (!options.tls.cert_file.empty() || !options.tls.key_file.empty() || !options.tls.client_ca_file.empty()) {
    auto tls = TlsContext::Create(options.tls);
    if (!tls.ok()) return InvalidArgument("serve: " + std::string(tls.status().message()));
    s->tls_ = std::move(*tls);
  }
  if (options.metrics) {
    CW_ASSIGN_OR_RETURN(s->metrics_, MetricsEndpoint::Start(
                                         options.metrics_host, options.metrics_port,
                                         [p = s.get()] { return p->RenderMetrics(); },
                                         [p = s.get()](std::string_view method, std::string_view target,
                                                       std::string_view peer, std::string* body) {
                                           return p->Admin(method, target, peer, body);
                                         }));
  }
  return s;
}

// The NDJSON file is cut back to the length committed with the marks of the messages it holds: lines past
// it belong to messages still in the inbox, which run again. The first open of a path records its length
// (a file that exists is kept whole); a file shorter than its cursor was rotated or cut by someone else, and
// its present length becomes the cursor.
Status ServerCore::OpenNdjson() {
  const std::string& path = options_.ndjson_path;
  ndjson_fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (ndjson_fd_ < 0) return IoError("serve: cannot open the NDJSON output '" + path + "': " + ErrnoText(errno));
  struct stat st {};
  if (::fstat(ndjson_fd_, &st) != 0) return IoError("serve: cannot stat '" + path + "': " + ErrnoText(errno));
  uint64_t size = static_cast<uint64_t>(st.st_size);
  uint64_t committed = 0;
  bool known = false;
  CW_RETURN_IF_ERROR(inbox_->Cursor("ndjson:" + path, &committed, &known));
  if (known && committed < size) {
    if (::ftruncate(ndjson_fd_, static_cast<off_t>(committed)) != 0) {
      return IoError("serve: cannot cut '" + path + "' back to its committed length: " + ErrnoText(errno));
    }
    size = committed;
  }
  ndjson_size_ = size;
  if (!known || committed != size) CW_RETURN_IF_ERROR(inbox_->Finish({}, "ndjson:" + path, size));
  return Status::Ok();
}

// HL7 v2 outputs are written only to the output folder (the NDJSON file takes JSON lines): a program with a
// map to HL7 v2 needs one, or its outputs would have nowhere to go.
Status ServerCore::CheckOutputs(const ServerOptions& options, const Program& program) {
  if (!options.out_dir.empty()) return Status::Ok();
  for (const Program::MapInfo& m : program.maps()) {
    if (m.target_kind == "hl7v2") {
      return InvalidArgument("serve: map '" + m.name + "' writes HL7 v2, which needs an output directory (the NDJSON file takes JSON only)");
    }
  }
  return Status::Ok();
}

Status ServerCore::Reload(std::shared_ptr<const Runtime> runtime, std::shared_ptr<const Program> program) {
  if (!program || !runtime) return InvalidArgument("serve: no program");
  CW_RETURN_IF_ERROR(CheckOutputs(options_, *program));
  size_t maps = program->maps().size();
  {
    std::lock_guard<std::mutex> lock(mu_);
    binding_ = Binding{std::move(runtime), std::move(program)};
  }
  std::string detail = std::to_string(maps) + " maps";
  audit_.Write({.event = "reloaded", .listener = listener_name_, .detail = detail});
  return Status::Ok();
}

Status ServerCore::ReloadTls() {
  const TlsOptions& o = options_.tls;
  std::unique_ptr<TlsContext> fresh;
  if (!o.cert_file.empty() || !o.key_file.empty() || !o.client_ca_file.empty()) {
    auto tls = TlsContext::Create(o);
    if (!tls.ok()) return InvalidArgument("serve: " + std::string(tls.status().message()));
    fresh = std::move(*tls);
  }
  // The FHIR client's files are checked before the MLLP sender swaps its own, so that a damaged FHIR file
  // leaves every file in use in use; FhirClient::ReloadTls checks them again as it takes them (a file
  // rewritten between the two checks is refused there, after the MLLP sender took its files).
  if (fhir_) CW_RETURN_IF_ERROR(CheckFhirTls(options_.fhir));
  if (mllp_out_) CW_RETURN_IF_ERROR(mllp_out_->ReloadTls());
  bool fhir_reloaded = false;
  if (fhir_) CW_RETURN_IF_ERROR(fhir_->ReloadTls(&fhir_reloaded));
  const bool mllp_reloaded = mllp_out_ && options_.mllp_out.tls;
  if (!fresh && !mllp_reloaded && !fhir_reloaded) return Status::Ok();
  if (fresh) {
    std::lock_guard<std::mutex> lock(tls_mu_);
    tls_ = std::move(fresh);
  }
  // Which destinations took their files, never a path or a byte of them.
  std::string detail = "TLS";
  if (mllp_reloaded || fhir_reloaded) {
    detail += " (";
    if (fresh) detail += "listener, ";
    if (mllp_reloaded) detail += "MLLP out, ";
    if (fhir_reloaded) detail += "FHIR, ";
    detail.resize(detail.size() - 2);
    detail += ")";
  }
  audit_.Write({.event = "reloaded", .listener = listener_name_, .detail = detail});
  return Status::Ok();
}

std::string ServerCore::RenderMetrics() const {
  std::string out;
  auto metric = [&](const char* name, const char* type, const char* help, uint64_t value) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += ' ';
    out += type;
    out += '\n';
    out += name;
    out += ' ';
    out += std::to_string(value);
    out += '\n';
  };
  const Stats& s = stats_;
  metric("crosswalk_frames_received_total", "counter", "MLLP frames taken off the wire.", s.received);
  metric("crosswalk_messages_stored_total", "counter", "New messages stored in the inbox (and acknowledged).", s.stored);
  metric("crosswalk_messages_duplicate_total", "counter", "Resends recognised by the dedup rule.", s.duplicates);
  metric("crosswalk_frames_refused_total", "counter", "Frames answered AR/CR without storage.", s.malformed);
  metric("crosswalk_outputs_written_total", "counter", "Outputs made durable.", s.written);
  metric("crosswalk_messages_rejected_total", "counter", "Messages the program rejected.", s.rejected);
  metric("crosswalk_output_errors_total", "counter", "Outputs that could not be written (tried again later).",
         s.output_errors);
  metric("crosswalk_dedup_pruned_total", "counter", "Dedup ids forgotten after the dedup window.", s.dedup_pruned);
  metric("crosswalk_connections_refused_total", "counter", "Connections over the limit.", s.refused_connections);
  metric("crosswalk_fhir_delivered_total", "counter", "Outputs the FHIR server accepted.", s.delivered);
  metric("crosswalk_fhir_retries_total", "counter", "Failed FHIR delivery attempts that will be retried.", s.retries);
  metric("crosswalk_fhir_dead_letters_total", "counter", "FHIR deliveries given up.", s.dead_letters);
  metric("crosswalk_mllp_delivered_total", "counter", "HL7 v2 outputs the MLLP receiver acknowledged (AA/CA).",
         s.mllp_delivered);
  metric("crosswalk_mllp_retries_total", "counter", "Failed MLLP delivery attempts that will be retried.",
         s.mllp_retries);
  metric("crosswalk_mllp_dead_letters_total", "counter", "MLLP deliveries given up.", s.mllp_dead_letters);
  metric("crosswalk_app_acks_total", "counter", "Application ACKs sent (--app-acks).", s.app_acks);
  metric("crosswalk_app_acks_undelivered_total", "counter",
         "Application ACKs not sent: the connection their message came on was closed.", s.app_acks_undelivered);
  metric("crosswalk_pending_messages", "gauge", "Messages stored and not yet done (delivery included).",
         pending_.load());
  metric("crosswalk_open_connections", "gauge", "Open MLLP connections.", open_connections_.load());
  s.ack_seconds.Render("crosswalk_ack_seconds", "Frames read to stored (synced) with their ACKs queued.", &out);
  s.convert_seconds.Render("crosswalk_convert_seconds", "Message stored to its output durable.", &out);
  s.deliver_seconds.Render("crosswalk_deliver_seconds", "Output durable to accepted by the FHIR server.", &out);
  return out;
}

Status ServerCore::Listen() {
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  int family = AF_INET;
  if (options_.host.find(':') != std::string::npos) {  // an IPv6 literal (given as [ADDR]:PORT)
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&addr);
    a6->sin6_family = family = AF_INET6;
    a6->sin6_port = htons(options_.port);
    if (::inet_pton(AF_INET6, options_.host.c_str(), &a6->sin6_addr) != 1) {
      return InvalidArgument("serve: '" + options_.host + "' is not an IPv6 address");
    }
    addr_len = sizeof *a6;
  } else {
    auto* a4 = reinterpret_cast<sockaddr_in*>(&addr);
    a4->sin_family = AF_INET;
    a4->sin_port = htons(options_.port);
    if (::inet_pton(AF_INET, options_.host.c_str(), &a4->sin_addr) != 1) {
      return InvalidArgument("serve: '" + options_.host + "' is not an IPv4 address");
    }
    addr_len = sizeof *a4;
  }
  listen_fd_ = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (listen_fd_ < 0) return IoError("serve: socket: " + ErrnoText(errno));
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  // [::] takes IPv6 only; IPv4 senders need a listener of their own (the system's default may differ).
  if (family == AF_INET6) ::setsockopt(listen_fd_, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  std::string shown = family == AF_INET6 ? "[" + options_.host + "]" : options_.host;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), addr_len) != 0) {
    return IoError("serve: cannot listen on " + shown + ":" + std::to_string(options_.port) + ": " + ErrnoText(errno));
  }
  if (::listen(listen_fd_, 128) != 0) return IoError("serve: listen: " + ErrnoText(errno));
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port
                                   : reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  listener_name_ = "mllp:" + shown + ":" + std::to_string(port_);
  return Status::Ok();
}

void ServerCore::RequestStop() noexcept {
  char b = 1;
  ssize_t n = ::write(stop_pipe_[1], &b, 1);
  (void)n;  // a full pipe already holds a stop request
}

void ServerCore::Accept() {
  for (;;) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    int fd = ::accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;  // EAGAIN, or a connection that went away before we took it
    std::string peer = PeerName(addr);
    if (connections_.size() >= options_.max_connections) {
      ::close(fd);
      ++stats_.refused_connections;
      std::string detail = "max_connections (" + std::to_string(options_.max_connections) + ") reached";
      audit_.Write({.event = "refused", .listener = listener_name_, .peer = peer, .detail = detail});
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto c = std::make_unique<Connection>(options_.max_frame_bytes);
    c->fd = fd;
    c->serial = ++connection_serial_;
    c->peer = peer;
    std::shared_ptr<TlsContext> tls;
    {
      std::lock_guard<std::mutex> lock(tls_mu_);
      tls = tls_;
    }
    // The session holds its own reference to the OpenSSL context: a ReloadTls meanwhile does not end it.
    if (tls) c->tls = std::make_unique<TlsConn>(*tls, fd);
    audit_.Write({.event = "connected", .listener = listener_name_, .peer = peer});
    connections_.push_back(std::move(c));
    open_connections_ = connections_.size();
  }
}

void ServerCore::ReadFrom(Connection* c, std::vector<Frame>* frames) {
  char buf[64 << 10];
  size_t total = 0;
  c->tls_read_wants_write = false;
  while (total < kReadPerRound) {
    ssize_t n = 0;
    if (c->tls) {
      size_t got = 0;
      TlsConn::Io io = c->tls->Read(buf, sizeof buf, &got);
      if (io == TlsConn::Io::kWantRead) break;
      if (io == TlsConn::Io::kWantWrite) {
        c->tls_read_wants_write = true;
        break;
      }
      if (io == TlsConn::Io::kError && !c->tls->handshake_done()) {
        // A plain-TCP sender, an unknown client certificate, no common protocol: nothing was received.
        audit_.Write({.event = "tls-failed", .listener = listener_name_, .peer = c->peer, .detail = c->tls->error()});
      }
      n = io == TlsConn::Io::kDone ? static_cast<ssize_t>(got) : 0;
    } else {
      n = ::read(c->fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    }
    if (n <= 0) {  // the peer closed, or the connection broke: frames already complete are still handled
      c->closing = true;
      break;
    }
    total += static_cast<size_t>(n);
    c->deframer.Append(std::string_view(buf, static_cast<size_t>(n)));
  }
  for (;;) {
    Frame f{c, {}, false};
    MllpDeframer::Result r = c->deframer.Next(&f.text);
    if (r == MllpDeframer::kNeedMore) break;
    if (r == MllpDeframer::kTooLarge) {
      f.too_large = true;
      f.text.clear();
      frames->push_back(std::move(f));
      c->closing = true;
      break;
    }
    frames->push_back(std::move(f));
  }
}

// The application ACKs workers made, onto the connections their messages came on (listener thread). A
// connection closed meanwhile cannot take its ACK: audited as `app-ack-undelivered` (HL7 has no way to send it
// later; the sender's own timeout and resend find the message a duplicate and get its commit ACK again).
void ServerCore::SendAppAcks() {
  std::vector<AppAck> acks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    acks.swap(app_acks_);
  }
  for (const AppAck& a : acks) {
    Connection* conn = nullptr;
    for (auto& c : connections_) {
      if (c->serial == a.connection && !c->closing) conn = c.get();
    }
    AuditEvent e{.event = "app-acknowledged", .listener = listener_name_, .seq = a.seq, .control_id = a.control_id,
                 .type = a.type, .outcome = a.code};
    if (conn == nullptr) {
      ++stats_.app_acks_undelivered;
      e.event = "app-ack-undelivered";
      e.detail = "the connection the message came on is closed";
    } else {
      ++stats_.app_acks;
      e.peer = conn->peer;
      AppendMllpFrame(a.frame, &conn->out);
    }
    audit_.Write(e);
  }
}

// Parses each frame, stores the good ones in one synced write, then queues their ACKs (group commit).
void ServerCore::HandleFrames(std::vector<Frame>* frames) {
  const auto started = std::chrono::steady_clock::now();
  struct Parsed {
    hl7v2::Message msg;
    std::string error;  // why the frame is refused ("" when it can be stored)
    AckMode mode;
    int item = -1;      // index into items
  };
  std::vector<Parsed> parsed(frames->size());
  std::vector<InboxItem> items;
  items.reserve(frames->size());
  std::vector<uint64_t> keys;  // per item: its ordering key's hash
  std::string received = NowInstant();
  for (size_t i = 0; i < frames->size(); ++i) {
    Frame& f = (*frames)[i];
    Parsed& p = parsed[i];
    ++stats_.received;
    if (f.too_large) {
      p.error = "the frame exceeds max_frame_bytes (" + std::to_string(options_.max_frame_bytes) + ")";
      continue;
    }
    Status st = p.msg.Parse(f.text);
    if (!st.ok()) {
      p.error = "the message cannot be parsed: " + st.ToString();
      if (ParseHeaderOnly(f.text, &p.msg)) {
        p.mode = ModeOf(p.msg);
      } else {
        p.msg = hl7v2::Message();
      }
      continue;
    }
    p.mode = ModeOf(p.msg);
    if (p.msg.Raw(0, 9).empty()) {
      p.error = "MSH-9 (message type) is empty";
      continue;
    }
    if (p.msg.Raw(0, 10).empty()) {
      p.error = "MSH-10 (message control id) is empty";
      continue;
    }
    InboxItem item;
    item.record.received = received;
    item.record.listener = listener_name_;
    item.record.peer = f.conn->peer;
    item.record.control_id = std::string(p.msg.Raw(0, 10));
    item.record.type = std::string(p.msg.Raw(0, 9, 1));
    item.record.sha256 = Sha256Hex(f.text);
    item.sender = std::string(p.msg.Raw(0, 3)) + "^" + std::string(p.msg.Raw(0, 4));
    item.record.text = f.text;  // the parsed Message keeps views into f.text, which stays alive
    p.item = static_cast<int>(items.size());
    items.push_back(std::move(item));
    keys.push_back(KeyHash(OrderingKeyOf(p.msg)));
  }
  Status stored = items.empty() ? Status::Ok() : inbox_->Store(&items);
  size_t added = 0;
  std::vector<std::pair<uint64_t, uint64_t>> app_ack_waits;  // (seq, connection serial)
  for (size_t i = 0; i < frames->size(); ++i) {
    Frame& f = (*frames)[i];
    Parsed& p = parsed[i];
    std::string ack_id = "CW" + std::to_string(++ack_counter_);
    std::string ack, code;
    AuditEvent received_event{.event = "received", .listener = listener_name_, .peer = f.conn->peer,
                              .bytes = static_cast<int64_t>(f.text.size())};
    std::string sha;
    if (p.item < 0) {
      ++stats_.malformed;
      code = p.mode.enhanced ? "CR" : "AR";
      sha = f.text.empty() ? std::string() : Sha256Hex(f.text);
      if (p.msg.segment_count() > 0) {
        received_event.control_id = p.msg.Raw(0, 10);
        received_event.type = p.msg.Raw(0, 9, 1);
      }
      received_event.sha256 = sha;
      received_event.outcome = f.too_large ? "too-large" : "malformed";
      received_event.detail = p.error;
      audit_.Write(received_event);
      if (!p.mode.on_error) continue;
      hl7v2::AckOptions o;
      o.code = code;
      o.control_id = ack_id;
      std::string ts = NowDtm();
      o.timestamp = ts;
      o.text = p.error;
      if (p.msg.segment_count() == 0 || !hl7v2::BuildAck(p.msg, o, &ack).ok()) ack = BareAck(code, ack_id, p.error);
    } else {
      const InboxItem& item = items[static_cast<size_t>(p.item)];
      received_event.control_id = item.record.control_id;
      received_event.type = item.record.type;
      received_event.sha256 = item.record.sha256;
      std::string detail;
      if (!stored.ok()) {
        code = p.mode.enhanced ? "CE" : "AE";
        received_event.outcome = "store-failed";
        detail = stored.ToString();
        received_event.detail = detail;
      } else {
        code = p.mode.enhanced ? "CA" : "AA";
        received_event.seq = item.seq;
        received_event.outcome = item.duplicate ? "duplicate" : "stored";
        if (item.duplicate) {
          ++stats_.duplicates;
        } else {
          ++stats_.stored;
          ++added;
          if (options_.app_acks && AppAckModeOf(p.msg).any()) app_ack_waits.emplace_back(item.seq, f.conn->serial);
        }
      }
      audit_.Write(received_event);
      bool success = stored.ok();
      if (success ? !p.mode.on_success : !p.mode.on_error) continue;
      hl7v2::AckOptions o;
      o.code = code;
      o.control_id = ack_id;
      std::string ts = NowDtm();
      o.timestamp = ts;
      if (!success) o.text = "the message could not be stored; send it again";
      if (!hl7v2::BuildAck(p.msg, o, &ack).ok()) ack = BareAck(code, ack_id, "cannot build the ACK");
    }
    AppendMllpFrame(ack, &f.conn->out);
    audit_.Write({.event = "acknowledged", .listener = listener_name_, .peer = f.conn->peer,
                  .seq = p.item >= 0 && stored.ok() ? items[static_cast<size_t>(p.item)].seq : 0,
                  .control_id = received_event.control_id, .type = received_event.type, .outcome = code});
  }
  double ack_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  for (size_t i = 0; i < frames->size(); ++i) stats_.ack_seconds.Observe(ack_seconds);
  if (added > 0) {
    std::lock_guard<std::mutex> lock(mu_);
    for (size_t i = 0; i < items.size(); ++i) {
      if (!items[i].duplicate) queue_.push_back({items[i].seq, keys[i]});
    }
    for (const auto& [seq, connection] : app_ack_waits) app_ack_connection_[seq] = connection;
    app_acks_waiting_ = app_ack_connection_.size();
    pending_ += added;
  }
  if (added > 0) pool().Wake();
}

void ServerCore::Flush(Connection* c) {
  while (!c->out.empty()) {
    if (c->tls) {
      size_t sent = 0;
      TlsConn::Io io = c->tls->Write(c->out.data(), c->out.size(), &sent);
      if (io == TlsConn::Io::kWantRead || io == TlsConn::Io::kWantWrite) return;  // poll asks again
      if (io != TlsConn::Io::kDone) {
        c->out.clear();
        c->closing = true;
        return;
      }
      c->out.erase(0, sent);
      continue;
    }
    ssize_t n = ::send(c->fd, c->out.data(), c->out.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0) {  // the peer is gone: its ACKs are lost, the messages are stored (a resend is deduplicated)
      c->out.clear();
      c->closing = true;
      return;
    }
    c->out.erase(0, static_cast<size_t>(n));
  }
}

Status ServerCore::Run() {
  std::vector<uint64_t> recovered;
  CW_RETURN_IF_ERROR(inbox_->Pending(&recovered));
  std::vector<DeliveryRecord> undelivered;
  CW_RETURN_IF_ERROR(inbox_->Deliveries(&undelivered));
  size_t queued = 0;  // undelivered messages with a destination now
  std::vector<Queued> recovered_keys;
  recovered_keys.reserve(recovered.size());
  for (uint64_t seq : recovered) {
    InboxRecord rec;
    // A record that cannot be read is reported by the worker that takes it.
    uint64_t key = inbox_->Load(seq, &rec).ok() ? KeyHash(OrderingKey(rec.text)) : 0;
    recovered_keys.push_back({seq, key});
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.assign(recovered_keys.begin(), recovered_keys.end());
    // Without a destination for it now, what an earlier run queued for delivery stays queued in the inbox.
    for (DeliveryRecord& d : undelivered) {
      if (Outlet* o = OutletFor(d.file)) {
        o->queue.push_back(std::move(d));
        ++queued;
      }
    }
    pending_ = recovered.size() + queued;
  }
  if (!recovered.empty()) {
    std::string detail = std::to_string(recovered.size()) + " stored messages not done";
    audit_.Write({.event = "recovered", .listener = listener_name_, .detail = detail});
  }
  if (queued > 0) {
    std::string detail = std::to_string(queued) + " converted messages not yet delivered";
    audit_.Write({.event = "recovered", .listener = listener_name_, .detail = detail});
  }
  if (options_.sync) {
    CW_RETURN_IF_ERROR(RestoreJournal());
    if (!options_.out_dir.empty()) checkpointer_ = std::thread([this] { CheckpointLoop(); });
  }
  if (options_.dedup_seconds > 0) pruner_ = std::thread([this] { PruneLoop(); });
  pool_ = options_.pool ? options_.pool : std::make_shared<WorkerPool>(options_.workers);
  worker_state_ = std::vector<WorkerState>(pool_->size());
  pool().Attach(this);
  {
    std::lock_guard<std::mutex> admin(admin_mu_);
    std::lock_guard<std::mutex> lock(mu_);
    running_ = true;
  }
  for (Outlet* o : {&fhir_outlet_, &mllp_outlet_}) o->done = false;
  abort_delivery_ = false;
  if (fhir_) fhir_outlet_.thread = std::thread([this] { DeliveryLoop(&fhir_outlet_); });
  if (mllp_out_) mllp_outlet_.thread = std::thread([this] { DeliveryLoop(&mllp_outlet_); });

  Status result;
  std::vector<pollfd> fds;
  std::vector<Frame> frames;
  bool stop = false;
  while (!stop) {
    bool paused = pending_.load() >= options_.max_pending;
    fds.clear();
    fds.push_back({stop_pipe_[0], POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    bool buffered = false;  // TLS records already decrypted: readable without the socket being readable
    for (auto& c : connections_) {
      short ev = 0;
      bool readable = !paused && !c->closing && c->out.size() < kMaxUnsentBytes;
      if (readable) ev |= POLLIN;
      if (!c->out.empty() || (readable && c->tls_read_wants_write)) ev |= POLLOUT;
      buffered = buffered || (readable && c->tls && c->tls->has_buffered());
      fds.push_back({c->fd, ev, 0});
    }
    const size_t wake = fds.size();  // after the connections: their positions stay i + 2
    fds.push_back({wake_pipe_[0], POLLIN, 0});
    int n = ::poll(fds.data(), fds.size(), buffered ? 0 : paused ? kPausedPollMs : 1000);
    if (n < 0) {
      if (errno == EINTR) continue;
      result = IoError("serve: poll: " + ErrnoText(errno));
      break;
    }
    if (fds[0].revents) stop = true;
    frames.clear();
    for (size_t i = 0; i < connections_.size(); ++i) {
      short re = fds[i + 2].revents;
      Connection* conn = connections_[i].get();
      bool tls_ready = (fds[i + 2].events & POLLIN) && conn->tls &&
                       (conn->tls->has_buffered() || (conn->tls_read_wants_write && (re & POLLOUT)));
      if ((re & (POLLIN | POLLHUP | POLLERR)) || tls_ready) {
        if (fds[i + 2].events & POLLIN) {
          ReadFrom(connections_[i].get(), &frames);
        } else if (re & (POLLHUP | POLLERR)) {
          connections_[i]->closing = true;
        }
      }
    }
    if (!frames.empty()) HandleFrames(&frames);  // also on stop: these frames were received whole
    if (fds[wake].revents & POLLIN) {
      char drain[64];
      while (::read(wake_pipe_[0], drain, sizeof drain) > 0) {
      }
      SendAppAcks();
    }
    for (auto& c : connections_) Flush(c.get());
    // Close the connections that are done (peer closed, or an unrecoverable frame) once their ACKs are out.
    for (size_t i = 0; i < connections_.size();) {
      Connection* c = connections_[i].get();
      if (c->closing && c->out.empty()) {
        audit_.Write({.event = "disconnected", .listener = listener_name_, .peer = c->peer});
        connections_.erase(connections_.begin() + static_cast<long>(i));  // closes the socket
        open_connections_ = connections_.size();
      } else {
        ++i;
      }
    }
    if (!stop && (fds[1].revents & POLLIN)) Accept();
  }

  // Shutdown: no new connections or frames; ACKs already built get one last chance to leave.
  ::close(listen_fd_);
  listen_fd_ = -1;
  SendAppAcks();
  for (auto& c : connections_) Flush(c.get());
  connections_.clear();  // closes the sockets
  open_connections_ = 0;
  {
    std::lock_guard<std::mutex> admin(admin_mu_);  // a replay in progress ends first; later ones are refused
    std::lock_guard<std::mutex> lock(mu_);
    running_ = false;
  }
  stopping_ = true;
  {
    std::lock_guard<std::mutex> lock(mu_);
    fhir_outlet_.cv.notify_all();
    mllp_outlet_.cv.notify_all();
  }
  pool().Detach(this);  // each worker inside one of this Server's batches finishes it
  pool_.reset();        // the Server's own pool: its threads are joined here
  worker_state_.clear();
  if (checkpointer_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(journal_mu_);
      journal_cv_.notify_all();
    }
    checkpointer_.join();
    CheckpointOutputs();  // what the last batches wrote
  }
  // A delivery in flight gets a grace period to finish and be marked delivered: aborting a POST the FHIR
  // server has already taken would send it again at the next start (harmless with idempotent Bundles, but a
  // clean stop should not cause it). Then it is aborted, and stays queued for the next start.
  const auto grace_end = std::chrono::steady_clock::now() + std::chrono::milliseconds(kDeliveryGraceMs);
  for (Outlet* o : {&fhir_outlet_, &mllp_outlet_}) {
    while (o->thread.joinable() && !o->done && std::chrono::steady_clock::now() < grace_end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  abort_delivery_ = true;
  for (Outlet* o : {&fhir_outlet_, &mllp_outlet_}) {
    if (o->thread.joinable()) o->thread.join();
  }
  if (pruner_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(prune_mu_);
      prune_cv_.notify_all();
    }
    pruner_.join();
  }
  audit_.Write({.event = "stopped", .listener = listener_name_,
                .detail = std::to_string(pending_.load()) + " stored messages left for the next start"});
  audit_.Sync();
  inbox_.reset();  // closes the database
  return result;
}

// Outputs journaled by a run that ended before its checkpoint (a crash): each file is written again from the
// inbox (the same bytes under the same name), made durable, and the journal forgotten.
Status ServerCore::RestoreJournal() {
  std::vector<JournalEntry> entries;
  CW_RETURN_IF_ERROR(inbox_->Journal(&entries));
  if (entries.empty()) return Status::Ok();
  if (options_.out_dir.empty()) {
    return FailedPrecondition("serve: the inbox holds " + std::to_string(entries.size()) +
                              " outputs an earlier run wrote to an output directory and did not make durable; "
                              "start once with that --out-dir");
  }
  for (const JournalEntry& e : entries) {
    if (std::string error = WriteTemp(options_.out_dir, e.name, e.data); !error.empty()) {
      return IoError("serve: cannot restore a journaled output: " + error);
    }
  }
  if (std::string error = SyncDir(options_.out_dir, /*whole_fs=*/true); !error.empty()) return IoError("serve: " + error);
  std::vector<uint64_t> seqs;
  for (const JournalEntry& e : entries) {
    std::string temp = options_.out_dir + "/" + kTempPrefix + e.name;
    if (::rename(temp.c_str(), (options_.out_dir + "/" + e.name).c_str()) != 0) {
      return IoError("serve: cannot rename '" + temp + "' into place: " + ErrnoText(errno));
    }
    seqs.push_back(e.seq);
  }
  if (std::string error = SyncDir(options_.out_dir, /*whole_fs=*/false); !error.empty()) return IoError("serve: " + error);
  CW_RETURN_IF_ERROR(inbox_->ForgetJournal(seqs));
  std::string detail = std::to_string(entries.size()) + " journaled outputs written again";
  audit_.Write({.event = "recovered", .listener = listener_name_, .detail = detail});
  return Status::Ok();
}

void ServerCore::PruneLoop() {
  const uint64_t window_ms = options_.dedup_seconds * 1000;
  const auto interval = std::chrono::milliseconds(std::clamp<uint64_t>(window_ms / 4, 100, 60'000));
  constexpr size_t kChunk = 10'000;  // per write, so a long backlog never holds the database in one batch
  std::unique_lock<std::mutex> lock(prune_mu_);
  while (!stopping_) {
    lock.unlock();
    uint64_t now = static_cast<uint64_t>(UnixMs());
    uint64_t cutoff = now > window_ms ? now - window_ms : 0;
    size_t total = 0, pruned = 0;
    do {
      if (Status st = inbox_->PruneDedup(cutoff, kChunk, &pruned); !st.ok()) {
        std::string detail = st.ToString();
        audit_.Write({.event = "error", .listener = listener_name_, .detail = detail});
        break;
      }
      total += pruned;
    } while (pruned == kChunk && !stopping_);
    if (total > 0) {
      stats_.dedup_pruned += total;
      std::string detail = std::to_string(total) + " dedup ids older than " +
                           std::to_string(options_.dedup_seconds) + " s forgotten";
      audit_.Write({.event = "pruned", .listener = listener_name_, .detail = detail});
    }
    lock.lock();
    prune_cv_.wait_for(lock, interval, [&] { return stopping_.load(); });
  }
}

void ServerCore::CheckpointLoop() {
  std::unique_lock<std::mutex> lock(journal_mu_);
  while (!stopping_) {
    journal_cv_.wait_for(lock, std::chrono::milliseconds(kCheckpointMs),
                         [&] { return stopping_.load() || journaled_.size() >= kCheckpointEntries; });
    if (stopping_) return;  // Run() checkpoints once more after the workers stopped
    lock.unlock();
    CheckpointOutputs();
    lock.lock();
  }
}

// One syncfs and one fsync of the folder make every output renamed into place so far durable; then their
// journal entries are forgotten. On failure they stay journaled (and are restored at the next start).
void ServerCore::CheckpointOutputs() {
  std::vector<uint64_t> seqs;
  {
    std::lock_guard<std::mutex> lock(journal_mu_);
    seqs.swap(journaled_);
  }
  if (seqs.empty()) return;
  std::string error = SyncDir(options_.out_dir, /*whole_fs=*/true);
  if (error.empty()) error = SyncDir(options_.out_dir, /*whole_fs=*/false);
  Status st = error.empty() ? inbox_->ForgetJournal(seqs) : IoError(error);
  if (!st.ok()) {
    std::string detail = st.ToString();
    audit_.Write({.event = "error", .listener = listener_name_, .detail = detail});
  }
}

std::chrono::steady_clock::time_point ServerCore::TakeBatch(unsigned index, std::vector<Queued>* batch) {
  // A share of the queue (at least one message, at most kWorkerBatch), in arrival order, skipping the
  // messages whose key another worker holds (they wait for it, so a key's messages stay in order) and those
  // whose key is held back for a retry.
  using Clock = std::chrono::steady_clock;
  Clock::time_point next_retry = Clock::time_point::max();
  if (!retry_at_.empty()) {
    Clock::time_point now = Clock::now();
    std::erase_if(retry_at_, [&](const auto& kv) { return kv.second <= now; });
    for (const auto& [key, at] : retry_at_) next_retry = std::min(next_retry, at);
  }
  size_t workers = std::min<size_t>(options_.workers, pool_->size());
  size_t want = std::min(kWorkerBatch, std::max<size_t>(1, queue_.size() / workers));
  size_t scan = std::min(queue_.size(), kScanWindow);
  size_t kept = 0;
  for (size_t i = 0; i < scan; ++i) {
    Queued q = queue_[i];
    bool take = false;
    if (batch->size() < want && (retry_at_.empty() || !retry_at_.contains(q.key))) {
      auto [it, inserted] = held_.try_emplace(q.key, index);
      take = inserted || it->second == index;
    }
    if (take) {
      batch->push_back(q);
    } else {
      queue_[kept++] = q;
    }
  }
  queue_.erase(queue_.begin() + static_cast<long>(kept), queue_.begin() + static_cast<long>(scan));
  return next_retry;
}

uint64_t ServerCore::OutputRetryMs(unsigned failures) const {
  uint64_t ms = std::max<uint64_t>(1, options_.output_retry_ms);
  for (unsigned i = 1; i < failures && ms < kMaxOutputRetryMs; ++i) ms *= 2;
  return std::min(ms, kMaxOutputRetryMs);
}

Status ServerCore::ReplayDeadLetter(uint64_t seq) {
  std::lock_guard<std::mutex> admin(admin_mu_);
  return ReplayLocked(/*dead_letter=*/true, seq);
}

Status ServerCore::ReplayRejected(uint64_t seq) {
  std::lock_guard<std::mutex> admin(admin_mu_);
  return ReplayLocked(/*dead_letter=*/false, seq);
}

Status ServerCore::ReplayLocked(bool dead_letter, uint64_t seq) {
  if (!running_) {
    return FailedPrecondition("serve: the server is not running; replay with crosswalk dead-letters --inbox");
  }
  if (dead_letter) {
    DeliveryRecord d;
    CW_RETURN_IF_ERROR(inbox_->Replay(seq, &d));
    audit_.Write({.event = "replayed", .listener = listener_name_, .seq = seq, .control_id = d.control_id,
                  .outcome = "queued", .detail = "dead letter queued for delivery again (running server)"});
    std::lock_guard<std::mutex> lock(mu_);
    // Without a destination for it now, it stays queued in the inbox (as at a start).
    if (Outlet* o = OutletFor(d.file)) {
      o->queue.push_back(std::move(d));
      ++pending_;
      o->cv.notify_all();
    }
    return Status::Ok();
  }
  InboxRecord rec;
  CW_RETURN_IF_ERROR(inbox_->ReplayRejected(seq, &rec));
  audit_.Write({.event = "replayed", .listener = listener_name_, .seq = seq, .outcome = "queued",
                .detail = "rejected message put back; running it again (running server)"});
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back({seq, KeyHash(OrderingKey(rec.text))});
    ++pending_;
  }
  pool().Wake();
  return Status::Ok();
}

// One line of a listing: what an audit line may hold of the message (seq, control id cut to 64 bytes, type
// only when it has the shape of a code: AuditFields decides), then the listing's own fields.
static std::string ListingLine(const AuditEvent& e,
                               std::initializer_list<std::pair<const char*, nlohmann::ordered_json>> more) {
  nlohmann::ordered_json j;
  AppendAuditFields(e, &j);
  for (const auto& [key, value] : more) j[key] = value;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

int ServerCore::List(std::string_view path, std::string_view peer, std::string* body) {
  const bool dead_letter = path == "/dead-letters";
  body->clear();
  size_t count = 0;
  Status st;
  if (dead_letter) {
    std::vector<DeliveryRecord> dead;
    st = inbox_->DeadLetters(&dead);
    for (const DeliveryRecord& d : dead) {
      *body += ListingLine({.seq = d.seq, .control_id = d.control_id, .type = d.type},
                           {{"tries", d.tries}, {"file", d.file}, {"reason", d.last_error}});
    }
    count = dead.size();
  } else {
    std::vector<RejectedMessage> rejected;
    st = inbox_->Rejected(&rejected);
    for (const RejectedMessage& r : rejected) {
      *body += ListingLine({.seq = r.seq, .control_id = r.control_id, .type = r.type},
                           {{"received", r.received}, {"reason", r.reason}});
    }
    count = rejected.size();
  }
  if (!st.ok()) {
    *body = st.ToString() + "\n";
    return 500;
  }
  // Who looked, and how many they saw (the listing itself holds no content, but reading the inbox is a step).
  std::string detail = std::to_string(count) + (dead_letter ? " dead letters" : " rejected messages");
  audit_.Write({.event = "listed", .listener = listener_name_, .peer = peer, .outcome = "ok", .detail = detail});
  return 200;
}

int ServerCore::Admin(std::string_view method, std::string_view target, std::string_view peer, std::string* body) {
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  if (method == "GET") {
    if (path != "/dead-letters" && path != "/rejected") {
      *body = "not found (GET /dead-letters or /rejected)\n";
      return 404;
    }
    if (!query.empty()) {
      *body = "GET " + std::string(path) + " takes no query\n";
      return 400;
    }
    std::lock_guard<std::mutex> admin(admin_mu_);
    if (!running_) {
      *body = "the server is not running\n";
      return 503;
    }
    return List(path, peer, body);
  }
  const bool dead_letter = path == "/dead-letters/replay";
  if (!dead_letter && path != "/rejected/replay") {
    *body = "not found (POST /dead-letters/replay or /rejected/replay, with ?seq=N or ?all)\n";
    return 404;
  }
  std::lock_guard<std::mutex> admin(admin_mu_);
  if (!running_) {
    *body = "the server is not running\n";
    return 503;
  }
  std::vector<uint64_t> seqs;
  if (query == "all") {
    Status st;
    if (dead_letter) {
      std::vector<DeliveryRecord> dead;
      st = inbox_->DeadLetters(&dead);
      for (const DeliveryRecord& d : dead) seqs.push_back(d.seq);
    } else {
      std::vector<RejectedMessage> rejected;
      st = inbox_->Rejected(&rejected);
      for (const RejectedMessage& r : rejected) seqs.push_back(r.seq);
    }
    if (!st.ok()) {
      *body = st.ToString() + "\n";
      return 500;
    }
  } else {
    // seq=N, repeatable: seq=3&seq=7
    while (!query.empty()) {
      size_t amp = query.find('&');
      std::string_view param = query.substr(0, amp);
      query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
      uint64_t seq = 0;
      bool ok = param.size() > 4 && param.size() <= 4 + 19 && param.substr(0, 4) == "seq=";
      for (char c : ok ? param.substr(4) : std::string_view()) {
        ok = ok && c >= '0' && c <= '9';
        seq = seq * 10 + static_cast<uint64_t>(c - '0');
      }
      if (!ok || seq == 0) {
        *body = "expected ?seq=N (N >= 1, repeatable as seq=N&seq=M) or ?all\n";
        return 400;
      }
      seqs.push_back(seq);
    }
    if (seqs.empty()) {
      *body = "expected ?seq=N (N >= 1, repeatable as seq=N&seq=M) or ?all\n";
      return 400;
    }
  }
  body->clear();
  for (uint64_t seq : seqs) {
    Status st = ReplayLocked(dead_letter, seq);
    if (!st.ok()) {
      *body += st.ToString() + "\n";
      return st.code() == StatusCode::kNotFound ? 404 : 500;
    }
    *body += "queued " + std::to_string(seq) + "\n";
  }
  return 200;
}

bool ServerCore::TryRunBatch(unsigned index) {
  WorkerState& w = worker_state_[index];
  using Clock = std::chrono::steady_clock;
  w.batch.clear();
  w.failed.clear();
  Binding binding;
  {
    std::unique_lock<std::mutex> lock(mu_);
    // When stopping, what is left stays in the inbox for the next start.
    if (stopping_ || queue_.empty() || active_batches_ >= options_.workers) return false;
    Clock::time_point next_retry = TakeBatch(index, &w.batch);
    if (next_retry != Clock::time_point::max()) {
      lock.unlock();
      pool().WakeAt(next_retry);  // keys held back for a retry: someone looks again then
      lock.lock();
    }
    if (w.batch.empty()) return false;  // every queued key is held by another worker or held back
    ++active_batches_;
    binding = binding_;
  }
  if (binding.runtime != w.runtime) {  // the first batch here, or a reload onto a reopened store
    w.ctx = std::make_unique<RunContext>(*binding.runtime);
    w.runtime = binding.runtime;
  }
  ProcessBatch(w.batch, binding, w.ctx.get(), &w.out, &w.failed);
  Clock::time_point retry = Clock::time_point::max();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!w.failed.empty()) {
      // Back to the head of the queue (before the later messages of their keys, which stay behind them), the
      // keys held back until the retry time.
      retry = Clock::now() + std::chrono::milliseconds(OutputRetryMs(++output_failures_));
      queue_.insert(queue_.begin(), w.failed.begin(), w.failed.end());
      for (const Queued& q : w.failed) retry_at_[q.key] = retry;
    } else {
      output_failures_ = 0;
    }
    for (const Queued& q : w.batch) held_.erase(q.key);
    --active_batches_;
  }
  pool().Wake();  // the keys released may let other workers take the messages waiting behind them
  if (retry != Clock::time_point::max()) pool().WakeAt(retry);
  return true;
}

WorkerPoolCore::WorkerPoolCore(unsigned threads) {
  threads = std::clamp(threads, 1u, 1024u);
  threads_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this, i] { Loop(i); });
}

WorkerPoolCore::~WorkerPoolCore() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void WorkerPoolCore::Attach(ServerCore* s) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    members_.push_back({s});
    ++generation_;
  }
  cv_.notify_all();
}

void WorkerPoolCore::Detach(ServerCore* s) {
  std::unique_lock<std::mutex> lock(mu_);
  auto it = std::find_if(members_.begin(), members_.end(), [s](const Member& m) { return m.server == s; });
  if (it == members_.end()) return;
  // A worker inside one of its batches holds no pointer into members_ (it finds its member again by server),
  // so waiting here while the vector stays put is enough.
  idle_cv_.wait(lock, [&] {
    auto m = std::find_if(members_.begin(), members_.end(), [s](const Member& x) { return x.server == s; });
    return m->busy == 0;
  });
  members_.erase(std::find_if(members_.begin(), members_.end(), [s](const Member& m) { return m.server == s; }));
}

void WorkerPoolCore::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++generation_;
  }
  cv_.notify_all();
}

void WorkerPoolCore::WakeAt(std::chrono::steady_clock::time_point when) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (when >= wake_at_) return;
    wake_at_ = when;
  }
  cv_.notify_all();  // sleeping workers take the earlier time
}

// Visits the members in turn, starting after the one that last had work for this worker, and runs one batch
// of the first that has one. A pass that found nothing sleeps until a Wake that came after the pass began.
void WorkerPoolCore::Loop(unsigned index) {
  size_t next = index;  // spread the workers' starting points over the members
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (stop_) return;
    uint64_t seen = generation_;
    bool ran = false;
    for (size_t tried = 0; tried < members_.size() && !stop_; ++tried) {
      size_t i = (next + tried) % members_.size();
      ServerCore* s = members_[i].server;
      ++members_[i].busy;
      lock.unlock();
      bool had = s->TryRunBatch(index);
      lock.lock();
      // Members may have been attached or detached meanwhile (never this one: it was busy).
      auto m = std::find_if(members_.begin(), members_.end(), [s](const Member& x) { return x.server == s; });
      if (--m->busy == 0) idle_cv_.notify_all();
      if (had) {
        next = static_cast<size_t>(m - members_.begin()) + 1;
        ran = true;
        break;
      }
    }
    // Nothing to run: sleep until a Wake, a stop, or the earliest WakeAt time (one worker takes that turn).
    while (!ran && !stop_ && generation_ == seen) {
      if (wake_at_ == std::chrono::steady_clock::time_point::max()) {
        cv_.wait(lock);
      } else if (std::chrono::steady_clock::now() >= wake_at_) {
        wake_at_ = std::chrono::steady_clock::time_point::max();
        break;
      } else {
        cv_.wait_until(lock, wake_at_);
      }
    }
  }
}

// Runs a batch, then makes its outputs durable together:
//   write every output under a temporary name -> one syncfs -> rename each into place -> one fsync of the
//   directory -> mark each message done (or rejected) in the inbox.
// A crash anywhere before the mark leaves the message in the inbox; its redelivery rewrites the same name.
// An output that cannot be written leaves its message in the inbox too, handed back in *failed.
void ServerCore::ProcessBatch(const std::vector<Queued>& batch, const Binding& binding, RunContext* ctx,
                              RunOutput* out, std::vector<Queued>* failed) {
  const Program& program = *binding.program;  // the whole batch runs one program, even across a Reload
  struct Item {
    uint64_t seq = 0;
    uint64_t key = 0;  // ordering key
    InboxRecord rec;
    bool rejected = false;
    std::string reason;  // why the program rejected it (Status text: positions, never values)
    std::string name;    // output file name
    std::string data;
    std::string error;   // why the output could not be made durable
    uint64_t app_ack_connection = 0;  // options_.app_acks: the connection to send its application ACK on
    std::string app_ack_msh;          // its MSH segment, to address that ACK
  };
  std::vector<Item> items;
  items.reserve(batch.size());
  size_t finished = 0;  // messages that need no more work (done already, or unreadable: reported)
  for (const Queued& q : batch) {
    uint64_t seq = q.seq;
    Item it;
    it.seq = seq;
    it.key = q.key;
    Status st = inbox_->Load(seq, &it.rec);
    if (!st.ok()) {
      // kNotFound: done already. Anything else: the record cannot be read; it stays and is reported.
      if (st.code() != StatusCode::kNotFound) {
        std::string detail = st.ToString();
        audit_.Write({.event = "error", .listener = listener_name_, .seq = seq, .detail = detail});
      }
      ++finished;
      continue;
    }
    RunOptions options = options_.run_options;
    options.now = it.rec.received;  // the same now() on every delivery of this message
    Status run = ctx->Run(program, it.rec.text, options, out);
    it.name = SeqName(seq);
    if (run.ok()) {
      audit_.Write({.event = "converted", .listener = it.rec.listener, .peer = it.rec.peer, .seq = seq,
                    .control_id = it.rec.control_id, .type = it.rec.type, .sha256 = it.rec.sha256,
                    .outcome = "ok", .detail = out->map_name});
      it.name += out->kind == OutputKind::kHl7v2 ? ".hl7" : ".json";
      if (out->kind == OutputKind::kJson) out->json += '\n';
      it.data.swap(out->json);
    } else {
      it.rejected = true;
      it.reason = run.ToString();
      it.name += ".rejected";
      it.data = it.reason + "\n";
    }
    if (options_.app_acks && app_acks_waiting_.load(std::memory_order_relaxed) > 0) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        auto found = app_ack_connection_.find(seq);
        if (found != app_ack_connection_.end()) it.app_ack_connection = found->second;
      }
      if (it.app_ack_connection != 0) it.app_ack_msh = it.rec.text.substr(0, it.rec.text.find_first_of("\r\n"));
    }
    it.rec.text.clear();  // not needed any more; the batch holds only outputs
    items.push_back(std::move(it));
  }
  // The files are not synced here: their bytes are journaled in the inbox write that ends the batch (one WAL
  // sync), and the checkpointer makes the folder durable every 100 ms (CheckpointOutputs).
  const bool folder = !options_.out_dir.empty();
  for (Item& it : items) {
    if (folder) {
      it.error = WriteTemp(options_.out_dir, it.name, it.data);
    } else if (!it.rejected && !it.name.ends_with(".json")) {
      it.error = "an HL7 v2 output needs an output directory";  // CheckOutputs refuses such programs
    }
  }
  std::vector<uint64_t> failed_keys;  // a message not written holds back the later ones of its key
  for (Item& it : items) {
    if (it.error.empty() && std::find(failed_keys.begin(), failed_keys.end(), it.key) != failed_keys.end()) {
      it.error = "an earlier message of its ordering key could not be written";
    }
    if (!folder) {
      if (!it.error.empty()) failed_keys.push_back(it.key);
      continue;  // the NDJSON append below is its write
    }
    std::string temp = options_.out_dir + "/" + kTempPrefix + it.name;
    if (!it.error.empty()) {
      failed_keys.push_back(it.key);
      ::unlink(temp.c_str());
      continue;
    }
    if (::rename(temp.c_str(), (options_.out_dir + "/" + it.name).c_str()) != 0) {
      it.error = "cannot rename '" + temp + "' into place: " + ErrnoText(errno);
      failed_keys.push_back(it.key);
      ::unlink(temp.c_str());
      continue;
    }
    // A message rejected before and replayed (crosswalk dead-letters --replay-rejected) has its output now:
    // its old .rejected file goes, so each message has one output. Looked up first: unlink() takes the
    // folder's lock for writing even when there is nothing to remove, and the other workers' creates wait.
    if (!it.rejected) {
      std::string old = options_.out_dir + "/" + SeqName(it.seq) + ".rejected";
      if (::access(old.c_str(), F_OK) == 0) ::unlink(old.c_str());
    }
  }
  // One inbox write marks the batch (and commits the NDJSON file's new length with it).
  std::vector<FinishedItem> finish;
  std::vector<std::string_view> lines;  // JSON outputs for the NDJSON file and stdout
  for (Item& it : items) {
    if (!it.error.empty()) continue;
    FinishedItem f;
    f.seq = it.seq;
    if (options_.sync && folder) {
      f.output_name = it.name;
      f.output = it.data;
    }
    if (it.rejected) {
      f.kind = FinishedItem::kRejected;
      f.reason = it.reason;
    } else if (OutletFor(it.name) != nullptr) {
      f.kind = FinishedItem::kConverted;
      DeliveryRecord& d = f.delivery;
      d.seq = it.seq;
      d.file = it.name;
      d.listener = it.rec.listener;
      d.peer = it.rec.peer;
      d.control_id = it.rec.control_id;
      d.type = it.rec.type;
      d.sha256 = it.rec.sha256;
      d.queued_ms = UnixMs();
    }
    if (!it.rejected && it.name.ends_with(".json")) lines.push_back(it.data);
    finish.push_back(std::move(f));
  }
  std::string batch_error;
  if (!finish.empty()) {
    if (ndjson_fd_ >= 0 || options_.stdout_output) {
      std::lock_guard<std::mutex> lock(ndjson_mu_);
      uint64_t committed = ndjson_size_;
      batch_error = AppendLines(lines, &committed);
      if (batch_error.empty()) {
        Status st = ndjson_fd_ >= 0 ? inbox_->Finish(finish, "ndjson:" + options_.ndjson_path, committed)
                                    : inbox_->Finish(finish);
        if (st.ok()) {
          ndjson_size_ = committed;
        } else {
          batch_error = st.ToString();
        }
      }
      if (!batch_error.empty() && ndjson_fd_ >= 0 && ::ftruncate(ndjson_fd_, static_cast<off_t>(ndjson_size_)) != 0) {
        batch_error += "; cannot cut the NDJSON output back: " + ErrnoText(errno);
      }
    } else if (Status st = inbox_->Finish(finish); !st.ok()) {
      batch_error = st.ToString();
    }
  }
  if (batch_error.empty() && options_.sync && folder && !finish.empty()) {
    std::lock_guard<std::mutex> lock(journal_mu_);
    for (const FinishedItem& f : finish) journaled_.push_back(f.seq);
    if (journaled_.size() >= kCheckpointEntries) journal_cv_.notify_one();
  }
  std::vector<DeliveryRecord> to_deliver;
  if (batch_error.empty()) {
    for (FinishedItem& f : finish) {
      if (f.kind == FinishedItem::kConverted) to_deliver.push_back(std::move(f.delivery));
    }
  }
  for (Item& it : items) {
    AuditEvent e{.listener = it.rec.listener, .peer = it.rec.peer, .seq = it.seq, .control_id = it.rec.control_id,
                 .type = it.rec.type, .sha256 = it.rec.sha256};
    if (it.error.empty() && !batch_error.empty()) it.error = batch_error;
    if (!it.error.empty()) {
      // The message stays in the inbox, back at the head of the queue; its key waits for the retry time
      // (retrying at once would spin on a full disk).
      ++stats_.output_errors;
      failed->push_back({it.seq, it.key});
      it.error += "; kept in the inbox, tried again later";
      e.event = "error";
      e.detail = it.error;
    } else if (it.rejected) {
      ++stats_.rejected;
      e.event = "rejected";
      e.outcome = it.name;
      e.detail = it.reason;
    } else {
      ++stats_.written;
      if (int64_t at = InstantMs(it.rec.received); at > 0) {
        stats_.convert_seconds.Observe(static_cast<double>(static_cast<int64_t>(UnixMs()) - at) / 1000.0);
      }
      e.event = "written";
      e.outcome = "ok";
      e.detail = it.name;
    }
    audit_.Write(e);
  }
  if (options_.app_acks) {
    // Application ACKs of the messages now done (an output not yet written gets its ACK when it is): AA for
    // a durable output, AE for a message the program rejected, as each message's MSH-16 asks.
    std::vector<AppAck> acks;
    std::vector<uint64_t> done;
    for (const Item& it : items) {
      if (it.app_ack_connection == 0 || !it.error.empty()) continue;
      done.push_back(it.seq);
      hl7v2::Message msh;
      if (!msh.Parse(it.app_ack_msh).ok()) continue;
      AppAckMode mode = AppAckModeOf(msh);
      if (!(it.rejected ? mode.on_error : mode.on_success)) continue;
      AppAck a{.connection = it.app_ack_connection, .seq = it.seq, .control_id = it.rec.control_id,
               .type = it.rec.type, .code = it.rejected ? "AE" : "AA", .frame = {}};
      std::string id = "CWA" + std::to_string(it.seq);
      std::string ts = NowDtm();
      std::string text = it.rejected ? "the program rejected the message: " + it.reason : std::string();
      hl7v2::AckOptions o;
      o.code = a.code;
      o.control_id = id;
      o.timestamp = ts;
      o.text = text;
      if (hl7v2::BuildAck(msh, o, &a.frame).ok()) acks.push_back(std::move(a));
    }
    if (!done.empty()) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        for (uint64_t seq : done) app_ack_connection_.erase(seq);
        app_acks_waiting_ = app_ack_connection_.size();
        for (AppAck& a : acks) app_acks_.push_back(std::move(a));
      }
      if (!acks.empty()) {
        char b = 1;
        ssize_t n = ::write(wake_pipe_[1], &b, 1);
        (void)n;  // a full pipe already holds a wake-up
      }
    }
  }
  // Messages queued for delivery stay pending until the FHIR server has them (or they are dead letters).
  pending_ -= finished + items.size() - to_deliver.size() - failed->size();
  if (!to_deliver.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    for (DeliveryRecord& d : to_deliver) {
      Outlet* o = OutletFor(d.file);
      o->queue.push_back(std::move(d));
      o->cv.notify_one();
    }
  }
}

// Under ndjson_mu_. Appends each line to the NDJSON file (one write, then fdatasync) and to stdout (one
// write, flushed); *committed becomes the file's length after the lines.
std::string ServerCore::AppendLines(const std::vector<std::string_view>& lines, uint64_t* committed) {
  if (lines.empty()) return {};
  std::string buf;
  for (std::string_view line : lines) {
    buf.append(line.data(), line.size());
    if (buf.empty() || buf.back() != '\n') buf += '\n';
  }
  auto write_all = [&](int fd) -> std::string {
    size_t off = 0;
    while (off < buf.size()) {
      ssize_t n = ::write(fd, buf.data() + off, buf.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return ErrnoText(errno);
      off += static_cast<size_t>(n);
    }
    return {};
  };
  if (ndjson_fd_ >= 0) {
    if (std::string error = write_all(ndjson_fd_); !error.empty()) {
      return "cannot append to '" + options_.ndjson_path + "': " + error;
    }
    if (options_.sync && ::fdatasync(ndjson_fd_) != 0) {
      return "cannot sync '" + options_.ndjson_path + "': " + ErrnoText(errno);
    }
    *committed += buf.size();
  }
  if (options_.stdout_output) {
    std::fflush(stdout);  // what stdio holds goes first
    if (std::string error = write_all(STDOUT_FILENO); !error.empty()) return "cannot write to stdout: " + error;
  }
  return {};
}

// ---------------------------------------------------------------------------------------------------
// Delivery: JSON outputs to the FHIR server, HL7 v2 outputs to the MLLP receiver. One thread per
// destination takes its queue in order; the head is retried until it is delivered or becomes a dead letter,
// so each destination sees the messages in the order their outputs became durable.

ServerCore::Outlet* ServerCore::OutletFor(std::string_view file_name) {
  if (fhir_ && file_name.ends_with(".json")) return &fhir_outlet_;
  if (mllp_out_ && file_name.ends_with(".hl7")) return &mllp_outlet_;
  return nullptr;
}

void ServerCore::DeliveryLoop(Outlet* outlet) {
  struct Done {
    Outlet* o;
    ~Done() { o->done = true; }
  } done{outlet};
  std::random_device seed;
  std::mt19937_64 random(seed());
  std::deque<DeliveryRecord>& queue = outlet->queue;
  for (;;) {
    DeliveryRecord head;
    {
      std::unique_lock<std::mutex> lock(mu_);
      outlet->cv.wait(lock, [&] { return stopping_.load() || !queue.empty(); });
      if (stopping_) return;  // the queue is in the inbox for the next start
      uint64_t now = UnixMs();
      if (queue.front().next_ms > now) {
        outlet->cv.wait_for(lock, std::chrono::milliseconds(queue.front().next_ms - now));
        continue;
      }
      head = queue.front();
    }
    Attempt outcome = Deliver(outlet, &head, random());
    if (outcome == Attempt::kStopped) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (outcome == Attempt::kResolved) {
      queue.pop_front();
      --pending_;
    } else {
      queue.front() = head;  // tries, next_ms and last_error of the failed attempt
    }
  }
}

ServerCore::Attempt ServerCore::Deliver(Outlet* outlet, DeliveryRecord* d, uint64_t random) {
  const bool mllp = outlet->kind == Outlet::kMllp;
  AuditEvent e{.listener = d->listener, .peer = d->peer, .seq = d->seq, .control_id = d->control_id,
               .type = d->type, .sha256 = d->sha256};
  auto dead = [&](const std::string& reason) {
    Status st = inbox_->DeadLetter(*d, reason);
    e.event = st.ok() ? "dead-lettered" : "error";
    std::string detail = st.ok() ? reason : st.ToString();
    e.detail = detail;
    audit_.Write(e);
    if (!st.ok()) return Attempt::kRetryLater;  // the inbox cannot take it: keep it queued
    ++(mllp ? stats_.mllp_dead_letters : stats_.dead_letters);
    return Attempt::kResolved;
  };
  std::string body;
  if (std::string error = ReadWholeFile(options_.out_dir + "/" + d->file, &body); !error.empty()) {
    return dead("the output " + d->file + " cannot be read: " + error);
  }
  Verdict verdict;
  std::string what, outcome;
  int64_t retry_after_ms = -1;
  if (mllp) {
    MllpResult r = mllp_out_->Send(body, &abort_delivery_);
    if (r.aborted) return Attempt::kStopped;
    verdict = ClassifyAck(r);
    what = DescribeAck(r);
    outcome = r.code;
  } else {
    HttpResult r = fhir_->Post(body, &abort_delivery_);
    if (r.aborted) return Attempt::kStopped;
    verdict = Classify(r);
    what = Describe(r);
    outcome = std::to_string(r.status);
    retry_after_ms = r.retry_after_ms;
  }
  const std::string& destination = mllp ? mllp_out_name_ : options_.fhir.base_url;
  switch (verdict) {
    case Verdict::kDelivered: {
      Status st = inbox_->MarkDelivered(d->seq);
      e.event = "delivered";
      e.outcome = outcome;  // e holds views: outcome outlives Write
      e.detail = destination;
      audit_.Write(e);
      if (d->queued_ms != 0) stats_.deliver_seconds.Observe(static_cast<double>(UnixMs() - d->queued_ms) / 1000.0);
      if (!st.ok()) {
        // The destination has it; if the mark is lost the next start sends it again (at least once).
        audit_.Write({.event = "error", .listener = listener_name_, .seq = d->seq, .detail = st.ToString()});
      }
      ++(mllp ? stats_.mllp_delivered : stats_.delivered);
      return Attempt::kResolved;
    }
    case Verdict::kDead:
      ++d->tries;  // the refused attempt counts: a dead letter's tries are the attempts made (listings show them)
      return dead(what + (mllp ? " (rejected by the MLLP receiver; not retried)"
                               : " (refused by the FHIR server; not retried)"));
    case Verdict::kRetry:
      break;
  }
  ++d->tries;
  const uint32_t max_tries = mllp ? options_.mllp_out.max_tries : options_.fhir.max_tries;
  if (d->tries >= max_tries) {
    return dead(what + " (gave up after " + std::to_string(d->tries) + " tries)");
  }
  uint64_t delay = mllp ? RetryDelayMs(options_.mllp_out.backoff_initial_ms, options_.mllp_out.backoff_max_ms, d->tries,
                                       -1, random)
                        : RetryDelayMs(options_.fhir, d->tries, retry_after_ms, random);
  d->next_ms = UnixMs() + delay + 1;  // +1: UnixMs truncates, so `delay` whole milliseconds pass (Retry-After)
  d->last_error = what;
  Status st = inbox_->UpdateDelivery(*d);
  e.event = "retry";
  std::string detail = what + "; try " + std::to_string(d->tries) + " of " + std::to_string(max_tries) +
                       ", next in " + std::to_string(delay) + " ms";
  if (!st.ok()) detail += " (" + st.ToString() + ")";
  e.detail = detail;
  audit_.Write(e);
  ++(mllp ? stats_.mllp_retries : stats_.retries);
  return Attempt::kRetryLater;
}

// The public faces (crosswalk/serve.h): WorkerPool and Server forward to their cores.

WorkerPool::WorkerPool(unsigned threads) : core_(std::make_unique<WorkerPoolCore>(threads)) {}
WorkerPool::~WorkerPool() = default;
unsigned WorkerPool::size() const { return core_->size(); }

Result<std::unique_ptr<Server>> Server::Create(const ServerOptions& options, std::shared_ptr<const Runtime> runtime,
                                               std::shared_ptr<const Program> program) {
  CW_ASSIGN_OR_RETURN(std::unique_ptr<ServerCore> core,
                      ServerCore::Create(options, std::move(runtime), std::move(program)));
  return std::unique_ptr<Server>(new Server(std::move(core)));
}
Server::Server(std::unique_ptr<ServerCore> core) : core_(std::move(core)) {}
Server::~Server() = default;
uint16_t Server::port() const { return core_->port(); }
const std::string& Server::listener_name() const { return core_->listener_name(); }
uint16_t Server::metrics_port() const { return core_->metrics_port(); }
std::string Server::RenderMetrics() const { return core_->RenderMetrics(); }
const ServerStats& Server::stats() const { return core_->stats(); }
Status Server::Run() { return core_->Run(); }
void Server::RequestStop() noexcept { core_->RequestStop(); }
Status Server::Reload(std::shared_ptr<const Runtime> runtime, std::shared_ptr<const Program> program) {
  return core_->Reload(std::move(runtime), std::move(program));
}

Status Server::ReloadTls() { return core_->ReloadTls(); }
Status Server::ReplayDeadLetter(uint64_t seq) { return core_->ReplayDeadLetter(seq); }
Status Server::ReplayRejected(uint64_t seq) { return core_->ReplayRejected(seq); }
std::string Server::OrderingKey(std::string_view message_text) { return ServerCore::OrderingKey(message_text); }

}  // namespace crosswalk::serve
