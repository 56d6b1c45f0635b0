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
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crosswalk/status.h"

namespace rocksdb {
class DB;
}

namespace crosswalk::serve {

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
  // Puts a dead letter back in the delivery queue with no tries made (synced). kNotFound when `seq` is not a
  // dead letter. The next start of the server delivers it.
  [[nodiscard]] Status Replay(uint64_t seq);
  // The map rejected the message: it moves to the rejected records with the reason (no message content).
  [[nodiscard]] Status MarkRejected(uint64_t seq, std::string_view reason);
  // Rejected messages: seq and reason, in order.
  [[nodiscard]] Status Rejected(std::vector<std::pair<uint64_t, std::string>>* out);

  // The dedup id of a message (32 raw bytes).
  static std::string DedupId(std::string_view sender, std::string_view control_id, std::string_view sha256_hex);

 private:
  Inbox(std::unique_ptr<rocksdb::DB> db, bool sync, uint64_t next_seq);
  std::unique_ptr<rocksdb::DB> db_;
  bool sync_;
  uint64_t next_seq_;  // only Store() uses it; Store() is called by one thread (the listener)
};

// Hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

}  // namespace crosswalk::serve
