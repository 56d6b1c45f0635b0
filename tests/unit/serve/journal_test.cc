// The output journal (sync on): a batch's outputs are renamed into place unsynced and their bytes journaled in
// the inbox write that ends the batch; a checkpoint syncs the folder and forgets them; a start after a crash
// writes every journaled output again. Files lost with the page cache (a power cut) are simulated by deleting
// them while their journal entries are kept.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "mllp_client.h"
#include "server_fixture.h"
#include "serve/inbox.h"

namespace crosswalk::serve {
namespace {

namespace fs = std::filesystem;

TEST(InboxJournalTest, FinishJournalsOutputsUntilForgotten) {
  std::string dir = (fs::temp_directory_path() / ("cw_journal_" + std::to_string(::getpid()))).string();
  fs::remove_all(dir);
  {
    auto inbox = Inbox::Open(dir, /*sync=*/false);
    ASSERT_TRUE(inbox.ok()) << inbox.status().ToString();
    std::vector<InboxItem> items(2);
    for (size_t i = 0; i < items.size(); ++i) {
      items[i].record.control_id = "C" + std::to_string(i);
      items[i].record.sha256 = Sha256Hex(items[i].record.control_id);
      items[i].record.text = "MSH|...";
    }
    ASSERT_TRUE((*inbox)->Store(&items).ok());
    std::vector<FinishedItem> finish(2);
    finish[0].seq = items[0].seq;
    finish[0].output_name = "0000000000000001.json";
    finish[0].output = "{\"a\":1}\n";
    finish[1].seq = items[1].seq;  // no output journaled
    ASSERT_TRUE((*inbox)->Finish(finish).ok());
  }
  auto inbox = Inbox::Open(dir, false);  // what was journaled survives a reopen
  ASSERT_TRUE(inbox.ok());
  std::vector<JournalEntry> journal;
  ASSERT_TRUE((*inbox)->Journal(&journal).ok());
  ASSERT_EQ(journal.size(), 1u);
  EXPECT_EQ(journal[0].seq, 1u);
  EXPECT_EQ(journal[0].name, "0000000000000001.json");
  EXPECT_EQ(journal[0].data, "{\"a\":1}\n");
  std::vector<uint64_t> pending;
  ASSERT_TRUE((*inbox)->Pending(&pending).ok());
  EXPECT_TRUE(pending.empty());
  ASSERT_TRUE((*inbox)->ForgetJournal({1}).ok());
  ASSERT_TRUE((*inbox)->Journal(&journal).ok());
  EXPECT_TRUE(journal.empty());
  inbox->reset();
  fs::remove_all(dir);
}

class JournalServerTest : public test::ServerFixture {
 protected:
  JournalServerTest() : ServerFixture("journal") {}
};

std::string Adt(const std::string& control) {
  return "MSH|^~\\&|SND|FAC|RCV|FAC|20240102030405||ADT^A01^ADT_A01|" + control +
         "|P|2.5.1\rPID|1||12345^^^MRN^MR||DOE^JOHN||19800101|M\r";
}

TEST_F(JournalServerTest, ACheckpointForgetsTheJournalAndAStartRestoresLostFiles) {
  options_.sync = true;
  Start();
  {
    test::MllpClient c;
    ASSERT_TRUE(c.Connect(server_->port()));
    for (const char* id : {"J1", "J2", "J3"}) {
      ASSERT_TRUE(c.Send(Adt(id)));
      std::string ack;
      ASSERT_EQ(c.ReadAck(&ack), test::MllpClient::kAck);
    }
  }
  ASSERT_TRUE(WaitFor([&] { return server_->stats().written == 3; }));
  Stop();  // the last checkpoint runs at the stop
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(options_.out_dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  ASSERT_EQ(names, (std::vector<std::string>{"0000000000000001.json", "0000000000000002.json", "0000000000000003.json"}));
  std::string second = test::Slurp(options_.out_dir + "/0000000000000002.json");
  {
    auto inbox = Inbox::Open(options_.inbox_dir + "/db", false);
    ASSERT_TRUE(inbox.ok());
    std::vector<JournalEntry> journal;
    ASSERT_TRUE((*inbox)->Journal(&journal).ok());
    EXPECT_TRUE(journal.empty());
    // A crash before the checkpoint, with the file lost: its entry is still journaled, as the server wrote it.
    std::vector<FinishedItem> finish(1);
    finish[0].seq = 2;
    finish[0].output_name = "0000000000000002.json";
    finish[0].output = second;
    ASSERT_TRUE((*inbox)->Finish(finish).ok());
  }
  fs::remove(options_.out_dir + "/0000000000000002.json");
  Start();
  Stop();
  EXPECT_EQ(test::Slurp(options_.out_dir + "/0000000000000002.json"), second);
  EXPECT_NE(Audit().find("1 journaled outputs written again"), std::string::npos);
  auto inbox = Inbox::Open(options_.inbox_dir + "/db", false);
  ASSERT_TRUE(inbox.ok());
  std::vector<JournalEntry> journal;
  ASSERT_TRUE((*inbox)->Journal(&journal).ok());
  EXPECT_TRUE(journal.empty());
}

}  // namespace
}  // namespace crosswalk::serve
