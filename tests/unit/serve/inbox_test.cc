// Inbox: group commit, the dedup rule, arrival order, done/rejected records, sequence numbers never reused.
#include "serve/inbox.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

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

}  // namespace
}  // namespace crosswalk::serve
