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
//
// No RocksDB, libcurl, OpenSSL or nlohmann type appears here; nothing here holds or logs message content
// beyond what a caller passes in (the inbox stores the message text it is given).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "crosswalk/hl7v2.h"
#include "crosswalk/status.h"

namespace crosswalk::serve {

class TlsContext;  // OpenSSL state of MllpSender's TLS (runtime/src/serve/tls.h); opaque here
class TlsConn;

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
  // Rejected messages: seq and reason, in order.
  [[nodiscard]] Status Rejected(std::vector<std::pair<uint64_t, std::string>>* out);
  // Puts a rejected message back among the stored messages not yet done, with its sequence number, arrival
  // time and text unchanged (synced), so that the next start of the server runs it again: with a fixed
  // program it gets its output (the server then removes the <seq>.rejected file), or it is rejected again.
  // kNotFound when `seq` is not a rejected message. *replayed (when given) is the message as put back.
  [[nodiscard]] Status ReplayRejected(uint64_t seq, InboxRecord* replayed = nullptr);

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
};

struct FhirOptions {
  std::string base_url;              // http:// or https:// ... ; the transaction endpoint (POST [base])
  std::vector<std::string> headers;  // "Name: value" sent with every request (e.g. an Authorization header)
  std::string ca_file;               // PEM bundle to verify the server with; empty = the system's CAs
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
  // kInvalidArgument when the URL is not http(s) or a header has no ':'.
  [[nodiscard]] static Result<std::unique_ptr<FhirClient>> Create(const FhirOptions& options);
  ~FhirClient();
  FhirClient(const FhirClient&) = delete;
  FhirClient& operator=(const FhirClient&) = delete;

  // POSTs `body` (a FHIR JSON Bundle) to the base URL. Returns early with aborted = true once *abort is set.
  HttpResult Post(std::string_view body, const std::atomic<bool>* abort);
  // Access tokens fetched so far (0 without OAuth).
  uint64_t tokens_fetched() const;

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

 private:
  explicit MllpSender(const MllpOutOptions& options);
  std::string Connect(std::chrono::steady_clock::time_point deadline, const std::atomic<bool>* abort, bool* aborted);
  void Close();
  MllpOutOptions options_;
  int fd_ = -1;
  uint64_t connections_ = 0;
  std::unique_ptr<TlsContext> tls_ctx_;  // null: plain TCP
  std::unique_ptr<TlsConn> tls_;         // the TLS session of fd_ (with tls_ctx_)
};

}  // namespace crosswalk::serve
