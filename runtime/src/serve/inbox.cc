#include "serve/inbox.h"

#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>

#include <chrono>
#include <cstdint>
#include <unordered_map>

#include "vm/hash.h"

namespace crosswalk::serve {
namespace {

constexpr char kNextKey[] = "n";
constexpr char kPendingPrefix = 'q';
constexpr char kRejectedPrefix = 'r';
constexpr char kDedupPrefix = 'd';
constexpr char kDeliveryPrefix = 'f';
constexpr char kDeadPrefix = 'x';
constexpr char kCursorPrefix = 'c';
constexpr char kJournalPrefix = 'o';
constexpr char kDedupAgePrefix = 'e';
constexpr char kDedupAgeMarker[] = "E";  // set once every dedup entry has its "e" entry

void PutU64(uint64_t v, std::string* out) {
  for (int i = 7; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
uint64_t GetU64(std::string_view s) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8 && i < s.size(); ++i) v = (v << 8) | static_cast<uint8_t>(s[i]);
  return v;
}
std::string SeqKey(char prefix, uint64_t seq) {
  std::string k(1, prefix);
  PutU64(seq, &k);
  return k;
}
void PutField(std::string_view f, std::string* out) {
  uint32_t n = static_cast<uint32_t>(f.size());
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
  out->append(f.data(), f.size());
}
bool GetField(std::string_view* in, std::string* out) {
  if (in->size() < 4) return false;
  uint32_t n = 0;
  for (int i = 3; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>((*in)[i]);
  if (in->size() - 4 < n) return false;
  out->assign(in->data() + 4, n);
  in->remove_prefix(4 + n);
  return true;
}
std::string Encode(const InboxRecord& r) {
  std::string v;
  v.reserve(r.text.size() + 256);
  for (const std::string* f : {&r.received, &r.listener, &r.peer, &r.control_id, &r.type, &r.sha256, &r.text}) {
    PutField(*f, &v);
  }
  return v;
}
bool Decode(std::string_view v, InboxRecord* r) {
  for (std::string* f : {&r->received, &r->listener, &r->peer, &r->control_id, &r->type, &r->sha256, &r->text}) {
    if (!GetField(&v, f)) return false;
  }
  return v.empty();
}
// DeliveryRecord: tries and next_ms as u64 big-endian, then the u32-length-prefixed strings last_error,
// file, listener, peer, control_id, type, sha256.
std::string EncodeDelivery(const DeliveryRecord& d) {
  std::string v;
  PutU64(d.tries, &v);
  PutU64(d.next_ms, &v);
  for (const std::string* f : {&d.last_error, &d.file, &d.listener, &d.peer, &d.control_id, &d.type, &d.sha256}) {
    PutField(*f, &v);
  }
  return v;
}
bool DecodeDelivery(uint64_t seq, std::string_view v, DeliveryRecord* d) {
  if (v.size() < 16) return false;
  d->seq = seq;
  uint64_t tries = GetU64(v.substr(0, 8));
  if (tries > UINT32_MAX) return false;
  d->tries = static_cast<uint32_t>(tries);
  d->next_ms = GetU64(v.substr(8, 8));
  v.remove_prefix(16);
  for (std::string* f : {&d->last_error, &d->file, &d->listener, &d->peer, &d->control_id, &d->type, &d->sha256}) {
    if (!GetField(&v, f)) return false;
  }
  return v.empty();
}
Status FromRocks(const rocksdb::Status& s, const char* what) {
  return IoError(std::string("inbox: ") + what + ": " + s.ToString());
}
uint64_t NowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}
// The age entry of a dedup id: "e" + seq -> the 32-byte id, then the store time (u64 ms since the epoch).
std::string DedupAge(std::string_view id, uint64_t stored_ms) {
  std::string v(id);
  PutU64(stored_ms, &v);
  return v;
}
// Gives every dedup entry of an inbox written before the age index its age entry, dated now (so it is pruned
// one window after the upgrade), then sets the marker. Once per inbox.
Status IndexDedupAges(rocksdb::DB* db) {
  std::string marker;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), kDedupAgeMarker, &marker);
  if (s.ok()) return Status::Ok();
  if (!s.IsNotFound()) return FromRocks(s, "cannot read the dedup age marker");
  rocksdb::WriteBatch batch;
  uint64_t now = NowMs();
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  std::string prefix(1, kDedupPrefix);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (it->key().size() != 33 || it->value().size() != 8) return Corrupt("inbox: a dedup entry is damaged");
    batch.Put(SeqKey(kDedupAgePrefix, GetU64(it->value().ToStringView())),
              DedupAge(std::string_view(it->key().data() + 1, 32), now));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "cannot list the dedup index");
  batch.Put(kDedupAgeMarker, "");
  rocksdb::WriteOptions wo;
  wo.sync = true;
  s = db->Write(wo, &batch);
  return s.ok() ? Status::Ok() : FromRocks(s, "cannot index the dedup entries' ages");
}

}  // namespace

std::string Sha256Hex(std::string_view data) {
  vm::Sha256 h;
  h.Update(data.data(), data.size());
  uint8_t d[32];
  h.Final(d);
  char hex[64];
  vm::HexLower(d, 32, hex);
  return std::string(hex, 64);
}

std::string Inbox::DedupId(std::string_view sender, std::string_view control_id, std::string_view sha256_hex) {
  vm::Sha256 h;
  h.Update(sender.data(), sender.size());
  h.Update("", 1);
  h.Update(control_id.data(), control_id.size());
  h.Update("", 1);
  h.Update(sha256_hex.data(), sha256_hex.size());
  uint8_t d[32];
  h.Final(d);
  return std::string(reinterpret_cast<const char*>(d), 32);
}

struct Inbox::Impl {
  std::unique_ptr<rocksdb::DB> db;
  bool sync = true;
  uint64_t next_seq = 1;  // only Store() uses it; Store() is called by one thread (the listener)
};

Result<std::unique_ptr<Inbox>> Inbox::Open(const std::string& dir, bool sync) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.max_open_files = 256;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(options, dir, &raw);
  if (!s.ok()) return FromRocks(s, "cannot open the database");
  std::unique_ptr<rocksdb::DB> db(raw);
  std::string next;
  uint64_t next_seq = 1;
  s = db->Get(rocksdb::ReadOptions(), kNextKey, &next);
  if (s.ok() && next.size() == 8) {
    next_seq = GetU64(next);
  } else if (!s.IsNotFound()) {
    return s.ok() ? Corrupt("inbox: the sequence counter is damaged") : FromRocks(s, "cannot read the counter");
  }
  CW_RETURN_IF_ERROR(IndexDedupAges(db.get()));
  auto impl = std::make_unique<Impl>();
  impl->db = std::move(db);
  impl->sync = sync;
  impl->next_seq = next_seq;
  return std::unique_ptr<Inbox>(new Inbox(std::move(impl)));
}

Inbox::Inbox(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Inbox::~Inbox() {
  if (impl_ && impl_->db) impl_->db->Close().PermitUncheckedError();
}

Status Inbox::Store(std::vector<InboxItem>* items) {
  rocksdb::WriteBatch batch;
  std::unordered_map<std::string, uint64_t> in_group;  // a resend inside the same group
  uint64_t next = impl_->next_seq;
  uint64_t now = NowMs();
  for (InboxItem& item : *items) {
    std::string id = DedupId(item.sender, item.record.control_id, item.record.sha256);
    std::string key(1, kDedupPrefix);
    key += id;
    item.duplicate = false;
    if (auto it = in_group.find(key); it != in_group.end()) {
      item.seq = it->second;
      item.duplicate = true;
      continue;
    }
    std::string existing;
    rocksdb::Status s = impl_->db->Get(rocksdb::ReadOptions(), key, &existing);
    if (s.ok() && existing.size() == 8) {
      item.seq = GetU64(existing);
      item.duplicate = true;
      continue;
    }
    if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "cannot read the dedup index");
    item.seq = next++;
    std::string seq;
    PutU64(item.seq, &seq);
    batch.Put(key, seq);
    batch.Put(SeqKey(kDedupAgePrefix, item.seq), DedupAge(id, now));
    batch.Put(SeqKey(kPendingPrefix, item.seq), Encode(item.record));
    in_group.emplace(std::move(key), item.seq);
  }
  if (next == impl_->next_seq) return Status::Ok();  // only duplicates: nothing new to make durable
  std::string counter;
  PutU64(next, &counter);
  batch.Put(kNextKey, counter);
  rocksdb::WriteOptions wo;
  wo.sync = impl_->sync;
  rocksdb::Status s = impl_->db->Write(wo, &batch);
  if (!s.ok()) return FromRocks(s, "cannot store the messages");
  impl_->next_seq = next;
  return Status::Ok();
}

Status Inbox::Load(uint64_t seq, InboxRecord* out) {
  std::string v;
  rocksdb::Status s = impl_->db->Get(rocksdb::ReadOptions(), SeqKey(kPendingPrefix, seq), &v);
  if (s.IsNotFound()) return NotFound("inbox: message " + std::to_string(seq) + " is not pending");
  if (!s.ok()) return FromRocks(s, "cannot read a message");
  if (!Decode(v, out)) return Corrupt("inbox: the record of message " + std::to_string(seq) + " is damaged");
  return Status::Ok();
}

Status Inbox::Pending(std::vector<uint64_t>* seqs) {
  seqs->clear();
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions()));
  std::string prefix(1, kPendingPrefix);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    if (it->key().size() != 9) return Corrupt("inbox: a pending key is damaged");
    seqs->push_back(GetU64(std::string_view(it->key().data() + 1, 8)));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "cannot list the pending messages");
  return Status::Ok();
}

Status Inbox::PruneDedup(uint64_t stored_before_ms, size_t max, size_t* pruned) {
  *pruned = 0;
  rocksdb::WriteBatch batch;
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions()));
  std::string prefix(1, kDedupAgePrefix);
  std::string ignored;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix) && *pruned < max; it->Next()) {
    std::string_view v = it->value().ToStringView();
    if (it->key().size() != 9 || v.size() != 40) return Corrupt("inbox: a dedup age entry is damaged");
    if (GetU64(v.substr(32)) >= stored_before_ms) break;  // entries are in arrival order
    uint64_t seq = GetU64(std::string_view(it->key().data() + 1, 8));
    // Still to be converted or delivered: kept (a resend must stay a duplicate while the message is here).
    bool here = false;
    for (char p : {kPendingPrefix, kDeliveryPrefix}) {
      rocksdb::Status s = impl_->db->Get(rocksdb::ReadOptions(), SeqKey(p, seq), &ignored);
      if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "cannot read a message");
      here = here || s.ok();
    }
    if (here) continue;
    std::string key(1, kDedupPrefix);
    key.append(v.data(), 32);
    batch.Delete(key);
    batch.Delete(it->key());
    ++*pruned;
  }
  if (!it->status().ok()) return FromRocks(it->status(), "cannot list the dedup ages");
  if (*pruned == 0) return Status::Ok();
  // Not synced: a lost prune is done again by the next pass.
  rocksdb::Status s = impl_->db->Write(rocksdb::WriteOptions(), &batch);
  if (!s.ok()) {
    *pruned = 0;
    return FromRocks(s, "cannot prune the dedup index");
  }
  return Status::Ok();
}

Status Inbox::MarkDone(uint64_t seq) {
  rocksdb::Status s = impl_->db->Delete(rocksdb::WriteOptions(), SeqKey(kPendingPrefix, seq));
  return s.ok() ? Status::Ok() : FromRocks(s, "cannot mark a message done");
}

Status Inbox::MarkRejected(uint64_t seq, std::string_view reason) {
  std::string v;
  rocksdb::Status s = impl_->db->Get(rocksdb::ReadOptions(), SeqKey(kPendingPrefix, seq), &v);
  if (s.IsNotFound()) return NotFound("inbox: message " + std::to_string(seq) + " is not pending");
  if (!s.ok()) return FromRocks(s, "cannot read a message");
  std::string rec;
  PutField(reason, &rec);
  rec += v;
  rocksdb::WriteBatch batch;
  batch.Put(SeqKey(kRejectedPrefix, seq), rec);
  batch.Delete(SeqKey(kPendingPrefix, seq));
  rocksdb::WriteOptions wo;
  wo.sync = impl_->sync;  // the rejected record holds the only copy of the message from now on
  s = impl_->db->Write(wo, &batch);
  return s.ok() ? Status::Ok() : FromRocks(s, "cannot record a rejection");
}

Status Inbox::Finish(const std::vector<FinishedItem>& items, std::string_view cursor, uint64_t cursor_value) {
  rocksdb::WriteBatch batch;
  bool sync = false;
  for (const FinishedItem& item : items) {
    std::string key = SeqKey(kPendingPrefix, item.seq);
    switch (item.kind) {
      case FinishedItem::kDone:
        break;
      case FinishedItem::kRejected: {
        std::string v;
        rocksdb::Status s = impl_->db->Get(rocksdb::ReadOptions(), key, &v);
        if (s.IsNotFound()) return NotFound("inbox: message " + std::to_string(item.seq) + " is not pending");
        if (!s.ok()) return FromRocks(s, "cannot read a message");
        std::string rec;
        PutField(item.reason, &rec);
        rec += v;
        batch.Put(SeqKey(kRejectedPrefix, item.seq), rec);
        sync = impl_->sync;
        break;
      }
      case FinishedItem::kConverted:
        batch.Put(SeqKey(kDeliveryPrefix, item.seq), EncodeDelivery(item.delivery));
        break;
    }
    batch.Delete(key);
    if (!item.output_name.empty()) {
      std::string v;
      v.reserve(item.output_name.size() + item.output.size() + 4);
      PutField(item.output_name, &v);
      v.append(item.output.data(), item.output.size());
      batch.Put(SeqKey(kJournalPrefix, item.seq), v);
      sync = impl_->sync;
    }
  }
  if (!cursor.empty()) {
    std::string key(1, kCursorPrefix);
    key.append(cursor.data(), cursor.size());
    std::string v;
    PutU64(cursor_value, &v);
    batch.Put(key, v);
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  rocksdb::Status s = impl_->db->Write(wo, &batch);
  return s.ok() ? Status::Ok() : FromRocks(s, "cannot mark a batch done");
}

Status Inbox::Journal(std::vector<JournalEntry>* out) {
  out->clear();
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions()));
  std::string prefix(1, kJournalPrefix);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string_view v(it->value().data(), it->value().size());
    JournalEntry e;
    if (it->key().size() != 9 || !GetField(&v, &e.name) || e.name.empty() || e.name.find('/') != std::string::npos) {
      return Corrupt("inbox: a journaled output is damaged");
    }
    e.seq = GetU64(std::string_view(it->key().data() + 1, 8));
    e.data.assign(v.data(), v.size());
    out->push_back(std::move(e));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "cannot list the journaled outputs");
  return Status::Ok();
}

Status Inbox::ForgetJournal(const std::vector<uint64_t>& seqs) {
  if (seqs.empty()) return Status::Ok();
  rocksdb::WriteBatch batch;
  for (uint64_t seq : seqs) batch.Delete(SeqKey(kJournalPrefix, seq));
  rocksdb::Status s = impl_->db->Write(rocksdb::WriteOptions(), &batch);
  return s.ok() ? Status::Ok() : FromRocks(s, "cannot forget journaled outputs");
}

Status Inbox::Cursor(std::string_view cursor, uint64_t* value, bool* found) {
  std::string key(1, kCursorPrefix);
  key.append(cursor.data(), cursor.size());
  std::string v;
  rocksdb::Status s = impl_->db->Get(rocksdb::ReadOptions(), key, &v);
  *value = 0;
  *found = false;
  if (s.IsNotFound()) return Status::Ok();
  if (!s.ok()) return FromRocks(s, "cannot read a cursor");
  if (v.size() != 8) return Corrupt("inbox: a cursor is damaged");
  *value = GetU64(v);
  *found = true;
  return Status::Ok();
}

Status Inbox::Rejected(std::vector<RejectedMessage>* out) {
  out->clear();
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(rocksdb::ReadOptions()));
  std::string prefix(1, kRejectedPrefix);
  InboxRecord record;
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    std::string_view v(it->value().data(), it->value().size());
    RejectedMessage r;
    if (it->key().size() != 9 || !GetField(&v, &r.reason) || !Decode(v, &record)) {
      return Corrupt("inbox: a rejected record is damaged");
    }
    r.seq = GetU64(std::string_view(it->key().data() + 1, 8));
    r.received = std::move(record.received);
    r.control_id = std::move(record.control_id);
    r.type = std::move(record.type);
    out->push_back(std::move(r));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "cannot list the rejected messages");
  return Status::Ok();
}

Status Inbox::ReplayRejected(uint64_t seq, InboxRecord* replayed) {
  std::string v;
  rocksdb::Status s = impl_->db->Get(rocksdb::ReadOptions(), SeqKey(kRejectedPrefix, seq), &v);
  if (s.IsNotFound()) return NotFound("inbox: message " + std::to_string(seq) + " is not a rejected message");
  if (!s.ok()) return FromRocks(s, "cannot read a rejected message");
  std::string_view rest = v;
  std::string reason;
  InboxRecord record;
  if (!GetField(&rest, &reason) || !Decode(rest, &record)) {
    return Corrupt("inbox: the rejected record of message " + std::to_string(seq) + " is damaged");
  }
  rocksdb::WriteBatch batch;
  batch.Delete(SeqKey(kRejectedPrefix, seq));
  batch.Put(SeqKey(kPendingPrefix, seq), std::string(rest));
  rocksdb::WriteOptions wo;
  wo.sync = impl_->sync;
  s = impl_->db->Write(wo, &batch);
  if (!s.ok()) return FromRocks(s, "cannot replay a rejected message");
  if (replayed != nullptr) *replayed = std::move(record);
  return Status::Ok();
}

Status Inbox::MarkConverted(const DeliveryRecord& delivery) {
  rocksdb::WriteBatch batch;
  batch.Delete(SeqKey(kPendingPrefix, delivery.seq));
  batch.Put(SeqKey(kDeliveryPrefix, delivery.seq), EncodeDelivery(delivery));
  rocksdb::Status s = impl_->db->Write(rocksdb::WriteOptions(), &batch);
  return s.ok() ? Status::Ok() : FromRocks(s, "cannot queue a message for delivery");
}

namespace {
Status ListDeliveries(rocksdb::DB* db, char prefix_char, std::vector<DeliveryRecord>* out) {
  out->clear();
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
  std::string prefix(1, prefix_char);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    DeliveryRecord d;
    if (it->key().size() != 9 ||
        !DecodeDelivery(GetU64(std::string_view(it->key().data() + 1, 8)),
                        std::string_view(it->value().data(), it->value().size()), &d)) {
      return Corrupt("inbox: a delivery record is damaged");
    }
    out->push_back(std::move(d));
  }
  if (!it->status().ok()) return FromRocks(it->status(), "cannot list the delivery queue");
  return Status::Ok();
}
}  // namespace

Status Inbox::Deliveries(std::vector<DeliveryRecord>* out) { return ListDeliveries(impl_->db.get(), kDeliveryPrefix, out); }

Status Inbox::DeadLetters(std::vector<DeliveryRecord>* out) { return ListDeliveries(impl_->db.get(), kDeadPrefix, out); }

Status Inbox::UpdateDelivery(const DeliveryRecord& delivery) {
  rocksdb::Status s = impl_->db->Put(rocksdb::WriteOptions(), SeqKey(kDeliveryPrefix, delivery.seq), EncodeDelivery(delivery));
  return s.ok() ? Status::Ok() : FromRocks(s, "cannot record a delivery attempt");
}

Status Inbox::MarkDelivered(uint64_t seq) {
  rocksdb::Status s = impl_->db->Delete(rocksdb::WriteOptions(), SeqKey(kDeliveryPrefix, seq));
  return s.ok() ? Status::Ok() : FromRocks(s, "cannot mark a message delivered");
}

Status Inbox::DeadLetter(const DeliveryRecord& delivery, std::string_view reason) {
  std::string v;
  rocksdb::Status s = impl_->db->Get(rocksdb::ReadOptions(), SeqKey(kDeliveryPrefix, delivery.seq), &v);
  if (s.IsNotFound()) return NotFound("inbox: message " + std::to_string(delivery.seq) + " is not awaiting delivery");
  if (!s.ok()) return FromRocks(s, "cannot read a delivery record");
  DeliveryRecord dead = delivery;
  dead.last_error = std::string(reason);
  rocksdb::WriteBatch batch;
  batch.Delete(SeqKey(kDeliveryPrefix, delivery.seq));
  batch.Put(SeqKey(kDeadPrefix, delivery.seq), EncodeDelivery(dead));
  rocksdb::WriteOptions wo;
  wo.sync = impl_->sync;
  s = impl_->db->Write(wo, &batch);
  return s.ok() ? Status::Ok() : FromRocks(s, "cannot record a dead letter");
}

Status Inbox::Replay(uint64_t seq, DeliveryRecord* replayed) {
  std::string v;
  rocksdb::Status s = impl_->db->Get(rocksdb::ReadOptions(), SeqKey(kDeadPrefix, seq), &v);
  if (s.IsNotFound()) return NotFound("inbox: message " + std::to_string(seq) + " is not a dead letter");
  if (!s.ok()) return FromRocks(s, "cannot read a dead letter");
  DeliveryRecord d;
  if (!DecodeDelivery(seq, v, &d)) return Corrupt("inbox: a dead letter is damaged");
  d.tries = 0;
  d.next_ms = 0;
  d.last_error.clear();
  rocksdb::WriteBatch batch;
  batch.Delete(SeqKey(kDeadPrefix, seq));
  batch.Put(SeqKey(kDeliveryPrefix, seq), EncodeDelivery(d));
  rocksdb::WriteOptions wo;
  wo.sync = impl_->sync;
  s = impl_->db->Write(wo, &batch);
  if (!s.ok()) return FromRocks(s, "cannot replay a dead letter");
  if (replayed != nullptr) *replayed = std::move(d);
  return Status::Ok();
}

}  // namespace crosswalk::serve
