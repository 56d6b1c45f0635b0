// Inbox: group commit, the dedup rule, arrival order, done/rejected records, sequence numbers never reused.
#include "serve/inbox.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <rocksdb/db.h>
#include <rocksdb/iterator.h>
#include <rocksdb/write_batch.h>

#include "serve/audit.h"

namespace crosswalk::serve {
namespace {

class InboxTest : public testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> n{0};
    dir_ = (std::filesystem::temp_directory_path() /
            ("cw_inbox_" + std::to_string(::getpid()) + "_" + std::to_string(n++))).string();
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  static InboxItem Item(const std::string& sender, const std::string& control, const std::string& text) {
    InboxItem i;
    i.sender = sender;
    i.record.control_id = control;
    i.record.text = text;
    i.record.sha256 = Sha256Hex(text);
    i.record.received = "2026-01-01T00:00:00.000Z";
    return i;
  }
  std::string dir_;
};

TEST_F(InboxTest, StoresAGroupInArrivalOrderAndLoadsIt) {
  auto inbox = Inbox::Open(dir_);
  ASSERT_TRUE(inbox.ok()) << inbox.status().ToString();
  std::vector<InboxItem> items = {Item("A^F", "1", "MSH|one"), Item("A^F", "2", "MSH|two"), Item("B^F", "1", "MSH|x")};
  ASSERT_TRUE((*inbox)->Store(&items).ok());
  EXPECT_EQ(items[0].seq, 1u);
  EXPECT_EQ(items[1].seq, 2u);
  EXPECT_EQ(items[2].seq, 3u);
  std::vector<uint64_t> pending;
  ASSERT_TRUE((*inbox)->Pending(&pending).ok());
  EXPECT_EQ(pending, (std::vector<uint64_t>{1, 2, 3}));
  InboxRecord r;
  ASSERT_TRUE((*inbox)->Load(2, &r).ok());
  EXPECT_EQ(r.text, "MSH|two");
  EXPECT_EQ(r.control_id, "2");
  EXPECT_EQ(r.sha256, Sha256Hex("MSH|two"));
}

TEST_F(InboxTest, DedupRuleIsContentSenderAndControlId) {
  auto inbox = Inbox::Open(dir_);
  ASSERT_TRUE(inbox.ok());
  std::vector<InboxItem> first = {Item("A^F", "1", "MSH|one")};
  ASSERT_TRUE((*inbox)->Store(&first).ok());
  // The same message again (a resend after a lost ACK), and once more inside one group.
  std::vector<InboxItem> again = {Item("A^F", "1", "MSH|one"), Item("A^F", "9", "MSH|new"),
                                  Item("A^F", "9", "MSH|new")};
  ASSERT_TRUE((*inbox)->Store(&again).ok());
  EXPECT_TRUE(again[0].duplicate);
  EXPECT_EQ(again[0].seq, first[0].seq);
  EXPECT_FALSE(again[1].duplicate);
  EXPECT_TRUE(again[2].duplicate);
  EXPECT_EQ(again[2].seq, again[1].seq);
  // Another sender, another control id or one changed byte is a new message.
  std::vector<InboxItem> other = {Item("B^F", "1", "MSH|one"), Item("A^F", "2", "MSH|one"), Item("A^F", "1", "MSH|onE")};
  ASSERT_TRUE((*inbox)->Store(&other).ok());
  for (const auto& i : other) EXPECT_FALSE(i.duplicate);
  std::vector<uint64_t> pending;
  ASSERT_TRUE((*inbox)->Pending(&pending).ok());
  EXPECT_EQ(pending.size(), 5u);
}

TEST_F(InboxTest, DoneAndRejectedLeaveThePendingListAndSeqsAreNeverReused) {
  {
    auto inbox = Inbox::Open(dir_);
    ASSERT_TRUE(inbox.ok());
    std::vector<InboxItem> items = {Item("A^F", "1", "MSH|one"), Item("A^F", "2", "MSH|two")};
    ASSERT_TRUE((*inbox)->Store(&items).ok());
    ASSERT_TRUE((*inbox)->MarkDone(1).ok());
    ASSERT_TRUE((*inbox)->MarkRejected(2, "no map for HL7 v2 message type ZZZ^Z01").ok());
    InboxRecord r;
    EXPECT_EQ((*inbox)->Load(1, &r).code(), StatusCode::kNotFound);
    EXPECT_EQ((*inbox)->MarkRejected(1, "x").code(), StatusCode::kNotFound);
  }
  auto inbox = Inbox::Open(dir_);  // reopened: the counter survives although no message is pending
  ASSERT_TRUE(inbox.ok());
  std::vector<uint64_t> pending;
  ASSERT_TRUE((*inbox)->Pending(&pending).ok());
  EXPECT_TRUE(pending.empty());
  std::vector<RejectedMessage> rejected;
  ASSERT_TRUE((*inbox)->Rejected(&rejected).ok());
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].seq, 2u);
  EXPECT_EQ(rejected[0].reason, "no map for HL7 v2 message type ZZZ^Z01");
  EXPECT_EQ(rejected[0].control_id, "2");  // from the stored record, for listings
  EXPECT_FALSE(rejected[0].received.empty());
  std::vector<InboxItem> more = {Item("A^F", "3", "MSH|three"), Item("A^F", "1", "MSH|one")};
  ASSERT_TRUE((*inbox)->Store(&more).ok());
  EXPECT_EQ(more[0].seq, 3u);
  EXPECT_TRUE(more[1].duplicate);  // the dedup index outlives delivery
  EXPECT_EQ(more[1].seq, 1u);
}

TEST_F(InboxTest, ASecondOpenOfTheSameInboxIsAClearError) {
  auto a = Inbox::Open(dir_);
  ASSERT_TRUE(a.ok());
  auto b = Inbox::Open(dir_);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kIoError);
  EXPECT_NE(b.status().ToString().find("inbox: cannot open the database"), std::string::npos);
}

TEST(AuditTest, MessageTypeShape) {
  EXPECT_TRUE(LooksLikeMessageType("ADT^A01^ADT_A01"));
  EXPECT_TRUE(LooksLikeMessageType("ORU^R01"));
  EXPECT_TRUE(LooksLikeMessageType("ACK"));
  EXPECT_FALSE(LooksLikeMessageType(""));
  EXPECT_FALSE(LooksLikeMessageType("ADT^"));
  EXPECT_FALSE(LooksLikeMessageType("Smith^John"));       // lower case: not a code
  EXPECT_FALSE(LooksLikeMessageType("ADT^A01^ADT_A01^X")); // four components
  EXPECT_FALSE(LooksLikeMessageType("ADTX^A01"));
  EXPECT_FALSE(LooksLikeMessageType("ADT^A01 DOE"));
}

// An audit line is one JSON object whatever a sender puts in its control id (quotes, backslashes, control
// characters, bytes that are not UTF-8: U+FFFD), with the fields in AuditFields' order and numbers unquoted.
TEST(AuditTest, ALineIsJsonWhateverTheControlIdHolds) {
  AuditEvent e;
  e.event = "received";
  e.listener = "mllp:127.0.0.1:2575";
  e.seq = 7;
  const std::string hostile = std::string("a\"b\\c\x01") + "d\xff\n";
  e.control_id = hostile;
  e.type = "ADT^A01^ADT_A01";
  e.bytes = 812;
  e.outcome = "stored";
  std::string line;
  AppendAuditJson("2026-12-02T05:00:00.000Z", "info", e, &line);
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;  // one line
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(line);
  std::vector<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"time", "level", "event", "listener", "seq", "control_id", "type", "bytes",
                                            "outcome"}));
  EXPECT_EQ(j["control_id"], std::string("a\"b\\c\x01") + "d\xEF\xBF\xBD\n");
  EXPECT_EQ(j["seq"], 7);
  EXPECT_EQ(j["bytes"], 812);
  EXPECT_EQ(j["level"], "info");
  std::string plain;
  AppendAuditJson("t", "", e, &plain);
  EXPECT_EQ(plain.rfind(R"({"time":"t","event":"received",)", 0), 0u) << plain;
}

uint64_t NowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

// Dedup ids are forgotten by age (PruneDedup), oldest first and at most `max` a call, except those of messages
// still to be converted or delivered; a resend of a forgotten message is then a new message.
TEST_F(InboxTest, PruneDedupForgetsOldIdsOfMessagesThatAreDone) {
  auto inbox = Inbox::Open(dir_);
  ASSERT_TRUE(inbox.ok());
  std::vector<InboxItem> items;
  for (int i = 1; i <= 6; ++i) items.push_back(Item("A^F", std::to_string(i), "MSH|" + std::to_string(i)));
  ASSERT_TRUE((*inbox)->Store(&items).ok());
  for (uint64_t seq : {1u, 3u, 4u, 5u}) ASSERT_TRUE((*inbox)->MarkDone(seq).ok());
  DeliveryRecord d;
  d.seq = 6;
  d.file = "0000000000000006.json";
  ASSERT_TRUE((*inbox)->MarkConverted(d).ok());  // 6 waits for delivery; 2 is still pending
  size_t pruned = 0;
  // Nothing is older than a time before the messages were stored.
  ASSERT_TRUE((*inbox)->PruneDedup(NowMs() - 60'000, 100, &pruned).ok());
  EXPECT_EQ(pruned, 0u);
  // Everything is older than a time after: the done ones go, two at a time.
  uint64_t later = NowMs() + 1000;
  ASSERT_TRUE((*inbox)->PruneDedup(later, 2, &pruned).ok());
  EXPECT_EQ(pruned, 2u);
  ASSERT_TRUE((*inbox)->PruneDedup(later, 100, &pruned).ok());
  EXPECT_EQ(pruned, 2u);
  ASSERT_TRUE((*inbox)->PruneDedup(later, 100, &pruned).ok());
  EXPECT_EQ(pruned, 0u);
  // Resends: the forgotten ones are new messages (new seqs), the pending and the undelivered are duplicates.
  std::vector<InboxItem> again;
  for (int i = 1; i <= 6; ++i) again.push_back(Item("A^F", std::to_string(i), "MSH|" + std::to_string(i)));
  ASSERT_TRUE((*inbox)->Store(&again).ok());
  for (int i : {0, 2, 3, 4}) EXPECT_FALSE(again[i].duplicate) << i;
  EXPECT_GT(again[0].seq, 6u);
  EXPECT_TRUE(again[1].duplicate);
  EXPECT_EQ(again[1].seq, 2u);
  EXPECT_TRUE(again[5].duplicate);
  EXPECT_EQ(again[5].seq, 6u);
}

// An inbox written before the age index (no "e" entries, no "E" marker): Open dates its dedup ids then, so
// they are kept for a window from the upgrade and pruned after it.
TEST_F(InboxTest, AnInboxFromBeforeTheAgeIndexGetsItsIdsDatedAtOpen) {
  {
    auto inbox = Inbox::Open(dir_);
    ASSERT_TRUE(inbox.ok());
    std::vector<InboxItem> items = {Item("A^F", "1", "MSH|1"), Item("A^F", "2", "MSH|2")};
    ASSERT_TRUE((*inbox)->Store(&items).ok());
    ASSERT_TRUE((*inbox)->MarkDone(1).ok());
    ASSERT_TRUE((*inbox)->MarkDone(2).ok());
  }
  {
    // Make it an old inbox: remove the age entries and the marker.
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), dir_, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    rocksdb::WriteBatch batch;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
    int ages = 0;
    for (it->Seek("e"); it->Valid() && it->key().starts_with("e"); it->Next()) {
      batch.Delete(it->key());
      ++ages;
    }
    EXPECT_EQ(ages, 2);
    batch.Delete("E");
    ASSERT_TRUE(db->Write(rocksdb::WriteOptions(), &batch).ok());
  }
  uint64_t before_open = NowMs();
  auto inbox = Inbox::Open(dir_);
  ASSERT_TRUE(inbox.ok()) << inbox.status().ToString();
  size_t pruned = 0;
  ASSERT_TRUE((*inbox)->PruneDedup(before_open - 1, 100, &pruned).ok());
  EXPECT_EQ(pruned, 0u);  // dated at the open, not before
  ASSERT_TRUE((*inbox)->PruneDedup(NowMs() + 1000, 100, &pruned).ok());
  EXPECT_EQ(pruned, 2u);
  std::vector<InboxItem> again = {Item("A^F", "1", "MSH|1")};
  ASSERT_TRUE((*inbox)->Store(&again).ok());
  EXPECT_FALSE(again[0].duplicate);
}

}  // namespace
}  // namespace crosswalk::serve
