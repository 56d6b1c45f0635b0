// The reusable parts of `crosswalk serve`, for a host that builds its own live feed (C++17). They are in the
// crosswalk_serve library: `crosswalk::serve` from find_package(crosswalk COMPONENTS serve), `crosswalk-serve`
// from pkg-config, or the same target from add_subdirectory. docs/serve.md describes how the server puts the
// parts together; docs/embedding.md how a host links them.
//
//   MllpDeframer, AppendMllpFrame   MLLP framing over a byte stream (server or client side)
//   BuildAck (crosswalk/hl7v2.h)    the ACK of an inbound message (original or enhanced mode, ERR)
//   Inbox                           the durable inbox: group commit with a synced WAL, dedup, delivery queue,
//                                   dead letters, cursors of append-only outputs
//   FhirClient, Classify, RetryDelayMs   delivery to a FHIR server with its retry policy
//   MllpSender, ClassifyAck         delivery to an HL7 v2 receiver over MLLP, waiting for its ACK
//   AuditLog, AuditEvent            the audit trail (<inbox>/audit.jsonl): one JSON line per step, no content
//   Logger                          structured logs (JSON or text lines) filtered by level
//   WriteFileAt, SyncPath, ...      files that never show partly written under their final name
//   Server, ServerOptions, WorkerPool    the whole live feed: listener, inbox, workers, outputs, delivery
//   ParseServeConfig, ServeConfig   the configuration file of `crosswalk serve --config`
//
// No RocksDB, libcurl, OpenSSL or nlohmann type appears here; nothing here holds or logs message content
// beyond what a caller passes in (the inbox stores the message text it is given).
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crosswalk/hl7v2.h"
#include "crosswalk/runtime.h"
#include "crosswalk/status.h"

namespace crosswalk::serve {

class TlsContext;  // OpenSSL state of MllpSender's TLS (runtime/src/serve/tls.h); opaque here
class TlsConn;
class ServerCore;      // the Server's poll loop, workers and outlets (runtime/src/serve/server.h); opaque here
class WorkerPoolCore;  // the threads of a WorkerPool (runtime/src/serve/server.h); opaque here

// ---------------------------------------------------------------------------------------------------------
// MLLP framing
// MLLP framing over a byte stream: 0x0B <message> 0x1C 0x0D, with frames split across reads.
//
//   MllpDeframer d(limits.max_frame_bytes);
//   d.Append(bytes_from_read);                     // any split: a frame may arrive one byte at a time
//   std::string frame;
//   while (d.Next(&frame) == MllpDeframer::kFrame) Handle(frame);   // the message, without the envelope
//
// Bytes between frames (a peer's stray CR/LF, keep-alives) are skipped and counted. A frame that grows past
// max_frame_bytes before its end marker is an error the caller reports (kTooLarge); the stream cannot be
// resynchronised reliably after it, so the listener closes that connection.
//
// Not thread-safe: one per connection.
inline constexpr char kMllpStartByte = '\x0b';
inline constexpr char kMllpEndByte = '\x1c';
inline constexpr char kMllpTrailerByte = '\x0d';

class MllpDeframer {
 public:
  enum Result { kNeedMore, kFrame, kTooLarge };

  explicit MllpDeframer(size_t max_frame_bytes) : max_frame_bytes_(max_frame_bytes) {}

  // Adds bytes read from the stream.
  void Append(std::string_view bytes) { buf_.append(bytes.data(), bytes.size()); }

  // kFrame: *frame holds the next complete message (envelope removed). kNeedMore: no complete frame yet.
  // kTooLarge: the frame being received exceeds max_frame_bytes (sticky: every later call says so too).
  Result Next(std::string* frame);

  // Bytes skipped outside frames since construction.
  uint64_t skipped_bytes() const { return skipped_; }
  // Bytes held (an incomplete frame).
  size_t buffered() const { return buf_.size() - pos_; }

 private:
  void Compact();

  size_t max_frame_bytes_;
  std::string buf_;
  size_t pos_ = 0;    // start of unconsumed bytes
  size_t scan_ = 0;   // where the search for the end marker resumes (never rescans bytes)
  bool in_frame_ = false;
  bool too_large_ = false;
  uint64_t skipped_ = 0;
};

// Appends `message` wrapped in an MLLP envelope to *out.
void AppendMllpFrame(std::string_view message, std::string* out);

// ---------------------------------------------------------------------------------------------------------
// The durable inbox
// The durable inbox of `crosswalk serve`: every accepted message is stored here, with a synced write-ahead
// log, before its ACK leaves.
//
// Key layout (one RocksDB database in the inbox directory, default column family):
//   "n"                     -> next sequence number (u64 big-endian); written in every Store batch
//   "q" + seq (u64 BE)      -> a stored message not yet done (record below); keys sort in arrival order
//   "r" + seq (u64 BE)      -> a message the map rejected: u32 length + reason, then the record
//   "d" + id (32 bytes)     -> seq: the dedup index, kept after the message is done
//   "f" + seq (u64 BE)      -> a converted message waiting for delivery to a FHIR server (DeliveryRecord)
//   "x" + seq (u64 BE)      -> a dead letter: delivery gave up (DeliveryRecord, last_error = the reason)
//   "c" + name              -> a cursor (u64 BE): the committed length of an append-only output (NDJSON)
//   "o" + seq (u64 BE)      -> a journaled output: u32 length + file name, then the bytes (Finish); deleted
//                              once a sync of the output directory made the file itself durable
// Record: u32-length-prefixed fields: received (FHIR instant), listener, peer, control id, message type,
// content SHA-256 (hex), message text.
//
// Dedup rule: id = SHA-256(sender '\0' control id '\0' SHA-256(content)), sender = MSH-3 '^' MSH-4 as
// written. A message with the id of one already stored (a resend after a lost ACK) is not stored again: it
// gets the first one's seq and the same ACK. A changed byte, another control id or another sender is a new
// message.
//
// Thread-safety: all methods may be called from several threads (RocksDB serialises the writes). Store() is
// called by the listener; Load/MarkDone/MarkRejected by workers.

// What the listener knows of a message when it stores it.
struct InboxRecord {
  std::string received;    // FHIR instant of arrival (UTC); also the run's now(), so a redelivery is identical
  std::string listener;    // "mllp:HOST:PORT"
  std::string peer;        // "ADDR:PORT" of the sender's connection
  std::string control_id;  // MSH-10 as received
  std::string type;        // MSH-9 as received (the audit writes it only when it has the shape of a code)
  std::string sha256;      // hex SHA-256 of the message text
  std::string text;        // the message (without the MLLP envelope)
};

// A converted message on its way to a FHIR server (the output file holds the body).
struct DeliveryRecord {
  uint64_t seq = 0;
  uint32_t tries = 0;       // attempts made so far
  uint64_t next_ms = 0;     // Unix time (ms) of the next attempt; 0 = at once
  uint64_t queued_ms = 0;   // Unix time (ms) the output became durable (in memory only, for the latency metric)
  std::string last_error;   // why the last attempt failed ("HTTP 503", a transport error); the reason of a dead letter
  std::string file;         // the output's name in the output directory
  std::string listener, peer, control_id, type, sha256;  // for the audit trail
};

// How a worker's batch ended for one message (Inbox::Finish).
struct FinishedItem {
  enum Kind { kDone, kRejected, kConverted };
  uint64_t seq = 0;
  Kind kind = kDone;
  std::string reason;         // kRejected: why (no message content)
  DeliveryRecord delivery;    // kConverted: what to queue for delivery
  // The output written for the message, journaled in the same write (see Inbox::Journal) when output_name is
  // not empty: its file need not be synced before the message leaves the inbox.
  std::string output_name;
  std::string_view output;    // must stay valid until Finish returns
};

// An output whose bytes the inbox keeps until its file is known durable (Inbox::Journal).
struct JournalEntry {
  uint64_t seq = 0;
  std::string name;   // the file name in the output directory
  std::string data;   // its bytes
};

// A message the map rejected, as Inbox::Rejected lists it (no content).
struct RejectedMessage {
  uint64_t seq = 0;
  std::string reason;      // why (a Status text: positions and limits, never values)
  std::string received;    // FHIR instant of arrival
  std::string control_id;  // MSH-10 as received
  std::string type;        // MSH-9 as received
};

// A message to store; Store() fills seq and duplicate.
struct InboxItem {
  InboxRecord record;
  std::string sender;      // MSH-3 '^' MSH-4, part of the dedup id
  uint64_t seq = 0;        // out: the message's sequence number (the first one's for a duplicate)
  bool duplicate = false;  // out: already stored earlier (not stored again)
};

class Inbox {
 public:
  // Opens (creating if needed) the inbox database in `dir`. `sync` = false skips the fsync of the WAL (tests
  // and benchmarks only: an ACKed message may then be lost by a power failure, not by a process crash).
  // Errors: kIoError when RocksDB cannot open the directory (e.g. another process holds its lock).
  [[nodiscard]] static Result<std::unique_ptr<Inbox>> Open(const std::string& dir, bool sync = true);
  ~Inbox();
  Inbox(const Inbox&) = delete;
  Inbox& operator=(const Inbox&) = delete;

  // Stores every item that is not a duplicate in ONE write (group commit: one WAL sync for the group).
  // On error nothing of the group is stored (kIoError).
  [[nodiscard]] Status Store(std::vector<InboxItem>* items);
  // Reads a stored, not yet done message. kNotFound when it is done (or rejected) already.
  [[nodiscard]] Status Load(uint64_t seq, InboxRecord* out);
  // Sequence numbers of the stored messages not yet done, in arrival order (restart recovery).
  [[nodiscard]] Status Pending(std::vector<uint64_t>* seqs);
  // The message is delivered: its record is deleted (the dedup index stays). Not synced: if the mark is lost
  // in a crash the message is delivered again to the same output name (delivery is idempotent).
  [[nodiscard]] Status MarkDone(uint64_t seq);
  // The message is converted and its output is durable, but it still has to reach a FHIR server: in one
  // write, its record is deleted and `delivery` queued ("f" + seq). Not synced, as MarkDone.
  [[nodiscard]] Status MarkConverted(const DeliveryRecord& delivery);
  // The delivery queue, in arrival order (restart recovery).
  [[nodiscard]] Status Deliveries(std::vector<DeliveryRecord>* out);
  // Records a failed attempt (tries, next_ms, last_error). Not synced: a lost update costs one more try.
  [[nodiscard]] Status UpdateDelivery(const DeliveryRecord& delivery);
  // The server accepted the message: it leaves the queue. Not synced: if the mark is lost in a crash the
  // message is sent again (delivery is at least once; see docs/serve.md for idempotent transactions).
  [[nodiscard]] Status MarkDelivered(uint64_t seq);
  // Delivery gave up (a permanent refusal, or too many tries): the message moves to the dead letters with
  // `reason` (synced). kNotFound when it is not in the queue.
  [[nodiscard]] Status DeadLetter(const DeliveryRecord& delivery, std::string_view reason);
  // The dead letters, in order (last_error = the reason).
  [[nodiscard]] Status DeadLetters(std::vector<DeliveryRecord>* out);
  // Puts a dead letter back in the delivery queue with no tries made (synced); *replayed (when given) is the
  // record as queued. kNotFound when `seq` is not a dead letter. A running server delivers it when asked
  // through its admin endpoint (Server::ReplayDeadLetter); otherwise the next start does.
  [[nodiscard]] Status Replay(uint64_t seq, DeliveryRecord* replayed = nullptr);
  // Ends a batch in ONE write: each item is marked done, rejected or converted (as MarkDone, MarkRejected,
  // MarkConverted), and when `cursor` is not empty the cursor of that name is set to `cursor_value` in the
  // same write, so an append-only output's committed length and the marks of what it holds never disagree
  // after a crash. Items with an output_name journal their output ("o" + seq) in the same write. Synced when
  // an item is rejected (the rejected record is then the message's only copy) or journals an output (the
  // journal is then what makes the output durable).
  // Errors: kIoError; kNotFound when a rejected item is not pending (nothing is written then).
  [[nodiscard]] Status Finish(const std::vector<FinishedItem>& items, std::string_view cursor = {},
                              uint64_t cursor_value = 0);
  // The outputs journaled by Finish and not yet forgotten, in sequence order. After a crash, a host rewrites
  // each file from here (the same bytes under the same name), makes the folder durable, then forgets them.
  [[nodiscard]] Status Journal(std::vector<JournalEntry>* out);
  // Deletes journal entries whose files are durable now (not synced: a lost delete costs one rewrite).
  [[nodiscard]] Status ForgetJournal(const std::vector<uint64_t>& seqs);
  // The value of a cursor set by Finish (*found = true), or 0 when it was never set (*found = false).
  [[nodiscard]] Status Cursor(std::string_view cursor, uint64_t* value, bool* found);
  // The map rejected the message: it moves to the rejected records with the reason (no message content).
  [[nodiscard]] Status MarkRejected(uint64_t seq, std::string_view reason);
  // Rejected messages, in order (reason, and from the stored record its arrival time, control id and type).
  [[nodiscard]] Status Rejected(std::vector<RejectedMessage>* out);
  // Puts a rejected message back among the stored messages not yet done, with its sequence number, arrival
  // time and text unchanged (synced), so that the next start of the server runs it again: with a fixed
  // program it gets its output (the server then removes the <seq>.rejected file), or it is rejected again.
  // kNotFound when `seq` is not a rejected message. *replayed (when given) is the message as put back.
  [[nodiscard]] Status ReplayRejected(uint64_t seq, InboxRecord* replayed = nullptr);

  // Forgets the dedup ids of messages stored before `stored_before_ms` (ms since the epoch), oldest first, at
  // most `max` of them, except those of messages still to be converted or delivered; *pruned says how many.
  // A resend of a forgotten message is stored as a new one. Not synced (a lost prune is done again).
  [[nodiscard]] Status PruneDedup(uint64_t stored_before_ms, size_t max, size_t* pruned);

  // The dedup id of a message (32 raw bytes).
  static std::string DedupId(std::string_view sender, std::string_view control_id, std::string_view sha256_hex);

 private:
  struct Impl;  // the RocksDB database, the sync flag and the next sequence number
  explicit Inbox(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// ---------------------------------------------------------------------------------------------------------
// Delivery to a FHIR server
// Delivery of converted messages to a FHIR R4 server: a transaction Bundle POSTed to the server's base URL
// over HTTP(S) with libcurl, and the retry policy around it.
//
//   FhirClient::Post  -> HttpResult (status, transport error, Retry-After)
//   Classify          -> delivered (2xx) | retry (transport error, timeout, 408, 425, 429, 500, 502, 503, 504)
//                        | dead (any other status: the server refused the content; sending it again won't help)
//   RetryDelayMs      -> exponential backoff with jitter, at least what Retry-After asked for
//
// Nothing of the message reaches a log: results carry the HTTP status and libcurl's error text (host and
// transport only); response bodies are read and dropped (an OperationOutcome may echo patient data).

// SMART Backend Services (OAuth2 client credentials with a private_key_jwt assertion), off when token_url is
// empty. The key never leaves the process; errors name the endpoint's status and OAuth error code only.
struct OAuthOptions {
  std::string token_url;  // empty: no OAuth
  std::string client_id;
  std::string key_file;   // PEM private key: RSA (RS384) or EC P-384 (ES384)
  std::string kid;        // key id in the JWT header (the key's id in the client's JWKS)
  std::string scope = "system/*.write";
  std::string ca_file;    // PEM certificates for the token endpoint; empty = the system's
  uint64_t timeout_ms = 30000;
  // Mutual TLS toward the token endpoint (PEM certificate chain and its private key); FhirClient fills them
  // with FhirOptions' client certificate when both are empty (the authorisation server is usually the same).
  std::string client_cert_file;
  std::string client_key_file;
};

struct FhirOptions {
  std::string base_url;              // http:// or https:// ... ; the transaction endpoint (POST [base])
  std::vector<std::string> headers;  // "Name: value" sent with every request (e.g. an Authorization header)
  std::string ca_file;               // PEM bundle to verify the server with; empty = the system's CAs
  // Mutual TLS: a client certificate chain and its private key (PEM, the key unencrypted), presented to the
  // FHIR server (and to the token endpoint, see OAuthOptions). Both or neither.
  std::string client_cert_file;
  std::string client_key_file;
  uint32_t max_tries = 10;           // attempts before a message becomes a dead letter (>= 1)
  uint64_t timeout_ms = 30000;       // one attempt, connection included
  uint64_t backoff_initial_ms = 1000;
  uint64_t backoff_max_ms = 300000;  // 5 minutes
  // SMART Backend Services (oauth.h): with a token URL, every request carries "Authorization: Bearer TOKEN";
  // a 401 drops the cached token and is retried with a new one.
  OAuthOptions oauth;
};

struct HttpResult {
  long status = 0;                // HTTP status; 0 when no response came (see error)
  std::string error;              // transport error (libcurl's text), empty when a response came
  int64_t retry_after_ms = -1;    // the Retry-After header (seconds or HTTP-date), -1 when absent
  bool aborted = false;           // the abort flag was raised during the attempt (not an attempt: no verdict)
  bool token_refused = false;     // 401 with an OAuth token: the token was dropped, a retry gets a new one
  bool token_failed = false;      // no token could be had (error says why); the FHIR server was not called
};

enum class Verdict { kDelivered, kRetry, kDead };

// What to do after an attempt.
Verdict Classify(const HttpResult& r);
// "HTTP 503" or "transport: <libcurl error>".
std::string Describe(const HttpResult& r);
// The wait before attempt `tries + 1` after `tries` failed ones (tries >= 1): initial * 2^(tries-1) capped at
// backoff_max_ms, scaled by a jitter factor in [0.5, 1.0) from `random` (any 64-bit value), and never less than
// Retry-After (itself capped at 24 hours).
uint64_t RetryDelayMs(const FhirOptions& options, uint32_t tries, int64_t retry_after_ms, uint64_t random);
// The same policy with the backoff given directly (initial_ms * 2^(tries-1), capped at max_ms, jittered).
uint64_t RetryDelayMs(uint64_t initial_ms, uint64_t max_ms, uint32_t tries, int64_t retry_after_ms, uint64_t random);

// One libcurl handle (connections are kept alive between posts). Not thread-safe: one per delivering thread.
class FhirClient {
 public:
  // kInvalidArgument when the URL is not http(s), a header has no ':', or a TLS file (CA, client certificate
  // and key, which must match) or the SMART key cannot be used: checked with OpenSSL here, naming the file.
  [[nodiscard]] static Result<std::unique_ptr<FhirClient>> Create(const FhirOptions& options);
  ~FhirClient();
  FhirClient(const FhirClient&) = delete;
  FhirClient& operator=(const FhirClient&) = delete;

  // POSTs `body` (a FHIR JSON Bundle) to the base URL. Returns early with aborted = true once *abort is set.
  HttpResult Post(std::string_view body, const std::atomic<bool>* abort);
  // Access tokens fetched so far (0 without OAuth).
  uint64_t tokens_fetched() const;
  // Reads the CA, the client certificate and key, and the SMART key again (renewed files at the same paths).
  // They are checked now; the next Post starts from a new libcurl handle (a new connection and TLS session,
  // the files read again; the token endpoint's too). The cached access token is dropped when the SMART key
  // or the client certificate changed (a token may be bound to either), else kept until it expires. Ok and
  // *reloaded = false when there is nothing to reload (plain http, no files, no OAuth). kInvalidArgument
  // naming the file that cannot be used: the files in use stay. Thread-safe against Post.
  [[nodiscard]] Status ReloadTls(bool* reloaded = nullptr);

 private:
  FhirClient() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// ---------------------------------------------------------------------------------------------------------
// Delivery to an HL7 v2 receiver over MLLP
// Each message is sent in an MLLP envelope on one connection per destination, kept open between messages,
// and the sender waits for the receiver's ACK of that message (MSA-2 = the message's MSH-10):
//
//   ACK AA or CA                         -> delivered
//   ACK AE, AR, CE or CR                 -> rejected by the receiver: a dead letter (reason: the code, and
//                                           ERR-3.1 when the ACK has one; never the ACK's text)
//   no ACK within timeout_ms, connection refused, reset or closed, a frame that is not an ACK
//                                        -> retried with backoff (RetryDelayMs), then a dead letter
//
// After a failed attempt the connection is closed, so an ACK that comes late cannot be taken for the ACK of
// the next message; ACKs of other control ids (a late one on a kept connection) are skipped. A message is
// sent again only when no ACK of it came, with the same bytes and so the same MSH-10: a receiver that keeps
// the control ids it has accepted (as `crosswalk serve`'s own inbox does) accepts it once.

struct MllpOutOptions {
  std::string host;                  // name or address (IPv4 or IPv6); empty: no MLLP delivery
  uint16_t port = 0;
  uint32_t max_tries = 10;           // attempts before a message becomes a dead letter (>= 1)
  uint64_t timeout_ms = 30000;       // one attempt: connecting, sending and waiting for the ACK
  uint64_t backoff_initial_ms = 1000;
  uint64_t backoff_max_ms = 300000;  // 5 minutes
  size_t max_ack_bytes = size_t{1} << 20;  // an ACK frame larger than this is a protocol error (retried)
  // Wait for the application ACK of a message in enhanced mode asking for one always (MSH-15 valued, MSH-16
  // AL): its CA is then not the answer, the application ACK that follows on the connection is (within
  // timeout_ms of the CA). Off by default: a receiver may send application ACKs on a connection of its own,
  // and then every such message would end as a dead letter.
  bool app_acks = false;
  // TLS toward the receiver (OpenSSL, TLS 1.2 or later), off unless `tls` is set. The receiver's
  // certificate is always verified: against ca_file (PEM), or the system's CAs when it is empty, and for the
  // name server_name (default: host; a DNS name or an IP address). cert_file and key_file (PEM) present a
  // client certificate, for receivers that ask for one (mutual TLS).
  bool tls = false;
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_server_name;
};

struct MllpResult {
  std::string code;        // MSA-1 of the message's ACK (AA, AE, AR, CA, CE, CR); empty when none came
  std::string error_code;  // ERR-3.1 of a negative ACK (HL7 table 0357), when present
  std::string error;       // why no ACK came: connection refused, reset, closed, timeout, not an ACK
  bool invalid = false;    // the message itself cannot be sent (no MSH-10): not retried
  bool aborted = false;    // the abort flag was raised during the attempt (not an attempt: no verdict)
};

// What to do after an attempt (Verdict is shared with FHIR delivery).
Verdict ClassifyAck(const MllpResult& r);
// "ACK AE (ERR-3 207)", "ACK AA" or "transport: connection refused".
std::string DescribeAck(const MllpResult& r);

// One connection to one receiver, opened on first use and after a failure. Not thread-safe: one per
// delivering thread.
class MllpSender {
 public:
  // kInvalidArgument when host is empty or timeout_ms / max_tries is 0.
  [[nodiscard]] static Result<std::unique_ptr<MllpSender>> Create(const MllpOutOptions& options);
  ~MllpSender();
  MllpSender(const MllpSender&) = delete;
  MllpSender& operator=(const MllpSender&) = delete;

  // Sends `message` (ER7; segments separated by CR) and waits for its ACK. Returns early with aborted = true
  // once *abort is set (checked at least every 100 ms).
  MllpResult Send(std::string_view message, const std::atomic<bool>* abort);
  // Connections opened so far.
  uint64_t connections_opened() const { return connections_; }
  // Reads the TLS files again (CA, client certificate and key) for the connections opened from now on; the
  // kept connection goes on with its session. Ok and nothing done without TLS. kInvalidArgument naming the
  // file that cannot be used (the previous files stay in use). Thread-safe against Send.
  [[nodiscard]] Status ReloadTls();

 private:
  explicit MllpSender(const MllpOutOptions& options);
  std::string Connect(std::chrono::steady_clock::time_point deadline, const std::atomic<bool>* abort, bool* aborted);
  void Close();
  MllpOutOptions options_;
  int fd_ = -1;
  uint64_t connections_ = 0;
  std::mutex tls_mu_;
  std::shared_ptr<TlsContext> tls_ctx_;  // null: plain TCP (under tls_mu_: ReloadTls swaps it)
  std::unique_ptr<TlsConn> tls_;         // the TLS session of fd_ (with tls_ctx_)
};

// ---------------------------------------------------------------------------------------------------------
// The audit trail
// One JSON object per line in <dir>/audit.jsonl:
//
//   {"time":"2026-11-30T06:10:00.123Z","event":"received","listener":"mllp:127.0.0.1:2575",
//    "peer":"127.0.0.1:50112","seq":7,"control_id":"MSG00001","type":"ADT^A01^ADT_A01",
//    "sha256":"9f2c…","bytes":812,"outcome":"stored"}
//
// Never message content: the control id is the sender's message identifier (cut to 64 bytes), the type is
// written only when it has the shape of a message type code (ADT^A01^ADT_A01), reasons are Status texts
// (positions and limits, never values), the content is its SHA-256. docs/serve.md lists the events.

// One step of a message or a connection. Fields left at their defaults are not written.
struct AuditEvent {
  std::string_view event{};
  std::string_view listener{};
  std::string_view peer{};
  uint64_t seq = 0;              // 0: none
  std::string_view control_id{};
  std::string_view type{};       // dropped unless it looks like a message type code
  std::string_view sha256{};
  int64_t bytes = -1;            // -1: none
  std::string_view outcome{};
  std::string_view detail{};     // a reason (Status text) or a file name
};

class Logger;

// Lines are appended with one write() each (O_APPEND), so they survive a crash of the process; they are not
// fsynced per line (the inbox, not the audit, is what an ACK promises). Thread-safe.
class AuditLog {
 public:
  AuditLog() = default;
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Opens <dir>/audit.jsonl for appending (created if missing). kIoError when it cannot.
  [[nodiscard]] Status Open(const std::string& dir);
  // Appends one line (with the current UTC time). Errors are counted, not returned: a full disk must not stop
  // the ACKs of messages the inbox holds.
  void Write(const AuditEvent& e);
  uint64_t write_errors() const { return write_errors_; }
  // Makes the lines durable (fdatasync), e.g. at shutdown.
  void Sync();
  // Also sends each event to `logger` (not owned; must outlive this log) at its level (see Logger). Null: none.
  void set_logger(const Logger* logger) { logger_ = logger; }

 private:
  const Logger* logger_ = nullptr;
  std::mutex mu_;
  int fd_ = -1;
  uint64_t write_errors_ = 0;
};

// The current time as a FHIR instant in UTC with milliseconds ("2026-11-30T06:10:00.123Z").
std::string NowInstant();

// ---------------------------------------------------------------------------------------------------------
// Structured logs
// One line per event on a descriptor (stderr by default), JSON or text, filtered by level:
//
//   {"time":"2026-11-30T06:10:00.123Z","level":"warn","event":"retry","listener":"mllp:127.0.0.1:2575",
//    "seq":7,"control_id":"MSG00001","detail":"HTTP 503; try 1 of 10, next in 734 ms"}
//   crosswalk serve: warn retry listener=mllp:127.0.0.1:2575 seq=7 control_id=MSG00001 detail="HTTP 503; ..."
//
// A line carries what an audit line may carry, never message content. The levels of the audit events:
// error for failures that need someone (error, dead-lettered, received/store-failed), warn for refusals and
// retries (refused, tls-failed, rejected, retry, received/malformed or too-large), debug for the rest.
enum class LogLevel { kDebug, kInfo, kWarn, kError };
enum class LogFormat { kJson, kText };

// "debug", "info", "warn", "error" -> *out; false (and *out untouched) for another word.
bool ParseLogLevel(std::string_view text, LogLevel* out);
// "json", "text" -> *out; false (and *out untouched) for another word.
bool ParseLogFormat(std::string_view text, LogFormat* out);
std::string_view LogLevelName(LogLevel level);

// Thread-safe: each line is one write() to the descriptor.
class Logger {
 public:
  // Lines at `level` or above go to `fd` (not owned; must stay open while the Logger is used) in `format`;
  // text lines start with `prefix`.
  Logger(LogLevel level, LogFormat format, int fd = 2, std::string prefix = "crosswalk serve: ")
      : level_(level), format_(format), fd_(fd), prefix_(std::move(prefix)) {}

  bool enabled(LogLevel level) const { return level >= level_; }
  LogFormat format() const { return format_; }
  // Writes `e` as one line when `level` is enabled: JSON {"time","level","event",fields...}, or text
  // "PREFIX LEVEL EVENT key=value ...".
  void Write(LogLevel level, const AuditEvent& e) const;
  // A line of the host's own (start, reload, stop): JSON {"time","level","event","listener","detail":
  // message}, or text "PREFIX message".
  void Say(LogLevel level, std::string_view event, std::string_view message, std::string_view listener = {}) const;

 private:
  void Emit(std::string line) const;
  LogLevel level_;
  LogFormat format_;
  int fd_;
  std::string prefix_;
};

// ---------------------------------------------------------------------------------------------------------
// Durable files
// Files written so that a crash never shows a partial one under its final name: write under a temporary
// name, make it durable (one syncfs for a whole batch), rename into place, fsync the folder. Every function
// returns "" on success or the reason (the step and the OS error text; paths, never content).

// Writes all of `data` to `fd`, retrying on EINTR and short writes.
std::string WriteAll(int fd, std::string_view data);
// Creates (or truncates) `path` and writes `data` to it, not synced; on failure the file is removed and the
// reason says which step failed ("cannot create: ..." or "cannot write: ...").
std::string WriteFileAt(const std::string& path, std::string_view data);
// Reads the whole file at `path` into *out.
std::string ReadWholeFile(const std::string& path, std::string* out);
// syncfs() of the file system holding `dir` (`whole_fs`: every dirty page there, reporting a write-back error
// of any of them), or fsync() of the folder itself (so that renames in it survive a crash).
std::string SyncPath(const std::string& dir, bool whole_fs);

// ---------------------------------------------------------------------------------------------------------
// The server
// The live feed of `crosswalk serve`, one listener per Server:
//
//   peer ──MLLP──► listener (poll) ──frames of one read round──► Inbox::Store (one synced WAL write) ──► ACKs
//                                                                        │
//                  workers (a WorkerPool) ◄── sequence numbers in arrival order (per ordering key)
//                      │  RunContext::Run (now() = the message's arrival time)
//                      ▼
//      out_dir/<seq>.json | .hl7 | .rejected  ──► NDJSON, stdout, FHIR server, MLLP receiver (retries, dead
//                                                  letters)                 every step ──► <inbox>/audit.jsonl
//
// Guarantees: an AA/CA leaves only after the message is in the inbox with a synced WAL; a message stays in
// the inbox until its output (or .rejected file) is durable under its final name (without out_dir: until its
// line is appended to the NDJSON file and synced); a restart after a crash
// redelivers without duplicating (outputs are named by sequence number). docs/serve.md is the reference.

// Limits, each with its default; exceeding one is reported in the audit trail (and the ACK when one can be
// addressed), never by dropping a stored message.
inline constexpr size_t kDefaultMaxConnections = 64;
inline constexpr size_t kDefaultMaxFrameBytes = size_t{4} << 20;
inline constexpr size_t kDefaultMaxPending = 10000;

// TLS on the MLLP listener (OpenSSL; TLS 1.2 at least).
struct TlsOptions {
  std::string cert_file;       // PEM: the server certificate, then its chain; empty = plain TCP
  std::string key_file;        // PEM private key of the certificate
  std::string client_ca_file;  // PEM CAs whose client certificates are accepted; empty = none asked
};

// The threads that run programs for one or more Servers of a process (`-j N` is the process's total, however
// many listeners it has). A worker takes a batch from one Server at a time, visiting the attached Servers in
// turn from where it last found work, so every listener makes progress. Thread-safe. It must outlive the
// Servers that use it (hold it in ServerOptions::pool, declared before them).
class WorkerPool {
 public:
  explicit WorkerPool(unsigned threads);  // 1..1024 threads, started at once
  ~WorkerPool();                          // stops and joins them; every Server using it must have stopped
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  unsigned size() const;

 private:
  friend class ServerCore;
  std::unique_ptr<WorkerPoolCore> core_;
};

struct ServerOptions {
  std::string host = "127.0.0.1";  // address to listen on: an IPv4 or IPv6 literal (without brackets)
  uint16_t port = 0;               // 0: an ephemeral port (see Server::port())
  std::string inbox_dir;           // the RocksDB inbox and audit.jsonl (created if missing)
  // Outputs, one file per message (created if missing). May be empty when ndjson_path is set and there is no
  // FHIR or MLLP delivery (they send the folder's files): then the NDJSON file is the only output, rejected
  // messages are kept in the inbox only, and a program with a map to HL7 v2 is refused.
  std::string out_dir;
  // Threads running the program (1..1024): without `pool`, the Server's own pool of this many (-j N); with
  // `pool`, at most this many of the shared pool's threads run this Server's batches at once.
  unsigned workers = 1;
  // A pool shared with the other Servers of the process (null: the Server makes its own of `workers`).
  std::shared_ptr<WorkerPool> pool;
  // Open connections (default 64). A connection beyond it is accepted and closed at once (audit: refused).
  size_t max_connections = kDefaultMaxConnections;
  // Bytes of one MLLP frame (default 4 MiB). A larger frame gets an AR (text names the limit) and its
  // connection is closed, since the stream cannot be resynchronised reliably.
  size_t max_frame_bytes = kDefaultMaxFrameBytes;
  // Stored messages not yet done (default 10000). At the limit the listener stops reading sockets until the
  // workers catch up (back-pressure).
  size_t max_pending = kDefaultMaxPending;
  // fsync the inbox WAL and the outputs (default on). Off: tests and benchmarks only.
  bool sync = true;
  // Application acknowledgments (HL7 enhanced mode, MSH-16): a message whose MSH-15 is valued and whose MSH-16
  // is AL, SU or ER gets, after its commit ACK (CA), a second ACK on the same connection once it is done: AA
  // when its output is durable, AE when the program rejected it (as MSH-16 asks: AL both, SU the first, ER the
  // second). Its MSH-10 is "CWA" + the message's inbox sequence number. Off by default: a sender must match
  // ACKs by MSA-2 to take them, and one that does not would read an application ACK as the next commit ACK.
  bool app_acks = false;
  // An output that cannot be written (disk full, I/O error) leaves its message in the inbox, at the head of
  // the queue; it is tried again after this many milliseconds (default 1000), doubled after each failed try
  // in a row up to 60 s. The later messages of its ordering key wait behind it; other keys go on. The
  // message stays pending (max_pending), so a full disk ends in back-pressure, never in a lost message.
  uint32_t output_retry_ms = 1000;
  // How long a message's dedup id is kept (default 30 days; 0 = for ever). Within it, a resend of the same
  // bytes from the same sender with the same control id is a duplicate (AA again, stored once); after it, the
  // id is forgotten (a pass a minute, and one at start) and such a resend is a new message. The ids of
  // messages still to be converted or delivered are kept whatever their age. Each id costs about 90 bytes.
  uint64_t dedup_seconds = 30ull * 24 * 3600;
  // How each message is run. `now` is set per message to its arrival time (so redelivery is identical).
  RunOptions run_options;
  // Delivery to a FHIR server (off when fhir.base_url is empty): each JSON output, once durable in out_dir,
  // is POSTed to the base URL by one delivering thread, in the order the outputs became durable; failures
  // are retried (Classify, RetryDelayMs) and give up into the inbox's dead letters. A message waiting for
  // delivery counts as pending (max_pending), so a server that is down holds the senders back instead of the
  // disk filling up.
  FhirOptions fhir;
  // Delivery to an HL7 v2 receiver over MLLP (off when mllp_out.host is empty): each HL7 v2 output (.hl7),
  // once durable in out_dir, is sent by one delivering thread on one kept connection, in the order the
  // outputs became durable, and its ACK awaited (AA/CA delivered; AE/AR/CE/CR a dead letter; no ACK retried
  // with backoff, then a dead letter). Counts as pending until resolved, as FHIR delivery does.
  MllpOutOptions mllp_out;
  // TLS on the MLLP listener: on when tls.cert_file is set; client certificates are required when
  // tls.client_ca_file is set.
  TlsOptions tls;
  // NDJSON output (off when empty): each JSON output is also appended as one line to this file, durable
  // (fdatasync) before its message leaves the inbox; a start cuts the file back to its committed length, so
  // a crash neither loses nor repeats a line. HL7 v2 outputs are not written here.
  std::string ndjson_path;
  // Also write each JSON output as one line on standard output (flushed before its message is done; at least
  // once: a crash between the write and the mark repeats the line at the next start).
  bool stdout_output = false;
  // Every audit event is also logged at its level. Not owned; must outlive the Server. Null: none.
  const Logger* logger = nullptr;
  // The health, metrics and admin endpoint (GET /health, /metrics, /dead-letters, /rejected; POST replays):
  // off unless `metrics` is set; port 0 = any free port. Admin requests are taken from loopback peers only.
  bool metrics = false;
  std::string metrics_host = "127.0.0.1";
  uint16_t metrics_port = 0;
};

// Counts of a Server since its start (relaxed atomics: read them from any thread).
struct ServerStats {
  std::atomic<uint64_t> received{0};    // frames taken off the wire
  std::atomic<uint64_t> stored{0};      // new messages stored
  std::atomic<uint64_t> duplicates{0};  // resends recognised by the dedup rule
  std::atomic<uint64_t> malformed{0};   // frames answered AR/CR without storage
  std::atomic<uint64_t> written{0};     // outputs made durable
  std::atomic<uint64_t> rejected{0};    // messages the program rejected (.rejected written)
  std::atomic<uint64_t> refused_connections{0};
  std::atomic<uint64_t> delivered{0};          // outputs the FHIR server accepted
  std::atomic<uint64_t> retries{0};            // failed FHIR attempts that will be retried
  std::atomic<uint64_t> dead_letters{0};       // FHIR deliveries given up
  std::atomic<uint64_t> mllp_delivered{0};     // HL7 v2 outputs the MLLP receiver acknowledged (AA/CA)
  std::atomic<uint64_t> mllp_retries{0};       // failed MLLP attempts that will be retried
  std::atomic<uint64_t> mllp_dead_letters{0};  // MLLP deliveries given up (AE/AR/CE/CR, too many tries)
  std::atomic<uint64_t> output_errors{0};      // outputs that could not be written (tried again later)
  std::atomic<uint64_t> dedup_pruned{0};       // dedup ids forgotten after options.dedup_seconds
  std::atomic<uint64_t> app_acks{0};            // application ACKs sent (options.app_acks)
  std::atomic<uint64_t> app_acks_undelivered{0};  // application ACKs whose connection was gone
};

// Thread-safety: Create and Run from one thread; RequestStop from anywhere, a signal handler included; the
// rest from any thread.
class Server {
 public:
  // Opens the inbox and the audit trail, creates out_dir and binds the listening socket (so port() is known
  // before Run()). `program` must have been loaded by `runtime`; the Server keeps both alive. Errors:
  // kInvalidArgument (options), kIoError (bind, inbox, directories, TLS files, NDJSON file).
  [[nodiscard]] static Result<std::unique_ptr<Server>> Create(const ServerOptions& options,
                                                              std::shared_ptr<const Runtime> runtime,
                                                              std::shared_ptr<const Program> program);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The bound port.
  uint16_t port() const;
  // "mllp:HOST:PORT" ("mllp:[ADDR]:PORT" for IPv6): the listener in the audit trail and the logs.
  const std::string& listener_name() const;
  // The metrics endpoint's port (0 without one).
  uint16_t metrics_port() const;
  // The Prometheus text the metrics endpoint serves.
  std::string RenderMetrics() const;
  const ServerStats& stats() const;

  // Recovers the messages stored but not done (they are processed first, in order), starts the workers and
  // serves until RequestStop(). Then: stops accepting and reading, sends the ACKs already built, lets each
  // worker finish the batch it holds (the others stay in the inbox for the next start), closes the inbox.
  // Errors: kIoError when the poll loop fails.
  [[nodiscard]] Status Run();
  // Asks Run() to return. Async-signal-safe (writes one byte to a pipe).
  void RequestStop() noexcept;

  // Runs `program` on every message taken from now on, without dropping a connection or a stored message:
  // batches already taken finish with the program (and runtime) they started with. `program` must have been
  // loaded by `runtime`, which may be a new Runtime on a reopened terminology store. Audited (`reloaded`).
  // kInvalidArgument, and the running program kept, for a program whose outputs this server cannot write (a
  // map to HL7 v2 without out_dir).
  [[nodiscard]] Status Reload(std::shared_ptr<const Runtime> runtime, std::shared_ptr<const Program> program);
  // Reads the TLS files again without dropping a connection: the listener's certificate chain, key and client
  // CA (options.tls) for the connections accepted from now on, the MLLP destination's CA and client
  // certificate (options.mllp_out) for its next connection, and the FHIR client's CA, client certificate and
  // SMART key (options.fhir, FhirClient::ReloadTls) for its next attempt; open sessions go on with what they
  // started with. For certificate renewal (the CLI calls it on SIGHUP). Ok and nothing done without TLS.
  // kInvalidArgument naming the file that cannot be used: then nothing is swapped and the files in use stay.
  // Audited (`reloaded`, detail "TLS", or "TLS (listener, MLLP out, FHIR)" naming what took new files).
  [[nodiscard]] Status ReloadTls();

  // Replays while the server runs (the inbox is this process's: `crosswalk dead-letters --inbox` cannot open
  // it now). ReplayDeadLetter puts a dead letter back at the end of its destination's delivery queue, with no
  // tries made; ReplayRejected puts a rejected message back at the end of the queue of stored messages, and a
  // worker runs it on the program of the moment (its old <seq>.rejected file is removed once its new output
  // is in place). Each is one synced inbox write and an audit event `replayed`. kNotFound when `seq` is not a dead letter / rejected message;
  // kFailedPrecondition when the server is not running (before Run, or stopping).
  [[nodiscard]] Status ReplayDeadLetter(uint64_t seq);
  [[nodiscard]] Status ReplayRejected(uint64_t seq);

  // The ordering key of a message: messages with the same key are converted and delivered in arrival order,
  // messages with different keys may run in parallel. The key is the sender (MSH-3 '^' MSH-4 as written)
  // and, for ADT messages (MSH-9.1 = ADT), the patient identifier PID-3.1 (first repetition).
  static std::string OrderingKey(std::string_view message_text);

 private:
  explicit Server(std::unique_ptr<ServerCore> core);
  std::unique_ptr<ServerCore> core_;
};

// ---------------------------------------------------------------------------------------------------------
// The configuration file of `crosswalk serve --config FILE` (JSON): one or more listeners, each bound to its
// program, terminology store, map, inbox, outputs and limits (docs/serve.md, "Configuration file"):
//
//   {"log": {"level": "info", "format": "json"}, "workers": 4,
//    "listeners": [{"name": "adt", "mllp": "0.0.0.0:2575", "program": "hl7v2-to-fhir.cwb",
//                   "term": "terminology", "inbox": "inbox-adt", "workers": 2,
//                   "outputs": {"dir": "out-adt", "fhir": {"base": "https://fhir.example.org/r4"}}}]}

struct ListenerConfig {
  std::string name;               // "listeners[i]" when not given; names the listener in logs
  std::string program_path;       // the .cwb (reloaded from this path on SIGHUP)
  std::string term_dir;           // the terminology store ("" = none; reopened on SIGHUP)
  bool allow_term_drift = false;  // load a program whose terminology content changed (a warning)
  ServerOptions options;          // host/port, inbox, outputs, limits, FHIR, TLS, metrics, run options
  bool workers_given = false;     // the listener has a "workers" key (its cap on the shared pool)
};

struct ServeConfig {
  LogLevel log_level = LogLevel::kInfo;
  LogFormat log_format = LogFormat::kText;
  bool log_given = false;  // the file has a "log" object
  // The process's worker threads, shared by every listener (top-level "workers"); 0 when not given, and then
  // PoolSize() sums the listeners' "workers" (1 for a listener without one).
  unsigned workers = 0;
  std::vector<ListenerConfig> listeners;
};

// The size of the process's shared worker pool: `workers` when given, else the sum over the listeners of
// their "workers" (1 each by default), at most 1024.
unsigned PoolSize(const ServeConfig& config);

// Parses the configuration text; `base_dir` resolves relative paths. Every value is checked: an unknown
// key, a value of the wrong type or range, or two listeners sharing an address, name, inbox, output folder
// or NDJSON file (or both on stdout) is kInvalidArgument naming the key's path
// ("listeners[1].outputs.dir: ...").
[[nodiscard]] Result<ServeConfig> ParseServeConfig(std::string_view text, const std::string& base_dir);

// "HOST:PORT" or "[IPv6]:PORT" -> host (without the brackets), port; false when it has another form (an IPv6
// address needs its brackets).
bool ParseHostPort(std::string_view text, std::string* host, uint16_t* port);

}  // namespace crosswalk::serve
