// An import killed half way leaves the store as it was: a child process imports a large code system
// over an existing version and is SIGKILLed (a) just before its single write, (b) at arbitrary times.
// The store must then answer entirely as before or entirely as after, never a mix.
//
// (b) runs `crosswalk term import` (fork + exec): a child only forked from this process, which has run
// RocksDB, inherits the bookkeeping of RocksDB's background thread pool without its threads, so its flush
// waits forever and it could only ever be killed before committing. (a) stops before any flush.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "crosswalk/terminology.h"
#include "term_test_util.h"

namespace crosswalk::term {
namespace {

using testing::OpenReadOnly;
using testing::OpenWritable;
using testing::TempDir;

constexpr int kConcepts = 200000;
constexpr const char* kUrl = "urn:example:big";

// One CodeSystem resource as NDJSON with kConcepts concepts whose display carries `tag`.
void WriteBig(const std::string& path, const std::string& tag) {
  std::ofstream out(path);
  out << R"({"resourceType":"CodeSystem","url":")" << kUrl << R"(","version":"1","concept":[)";
  for (int i = 0; i < kConcepts; ++i) {
    out << (i ? "," : "") << R"({"code":"c)" << i << R"(","display":")" << tag << " " << i << R"("})";
  }
  out << "]}\n";
}

// Which generation every probed concept shows: "old", "new", or "mixed".
std::string Generation(const std::string& db) {
  auto store = OpenReadOnly(db);
  if (!store) return "unopenable";
  int old_count = 0, new_count = 0;
  for (int i = 0; i < kConcepts; i += 997) {
    auto c = store->Lookup(kUrl, fmt::format("c{}", i));
    if (!c.ok() || !c->has_value()) return "missing";
    std::string_view d = (*c)->display;
    if (d.substr(0, 3) == "old") ++old_count;
    if (d.substr(0, 3) == "new") ++new_count;
  }
  if (old_count > 0 && new_count == 0) return "old";
  if (new_count > 0 && old_count == 0) return "new";
  return "mixed";
}

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    old_file_ = files_.path() + "/old.ndjson";
    new_file_ = files_.path() + "/new.ndjson";
    WriteBig(old_file_, "old");
    WriteBig(new_file_, "new");
    auto store = OpenWritable(dir_.db());
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(store->Import({old_file_}).ok());
  }  // store closed before any fork: the child owns the only RocksDB handle

  // Starts a child that imports new_file_: with `hook_kill`, a fork that SIGKILLs itself just before the
  // write; otherwise the crosswalk tool.
  pid_t StartImport(bool hook_kill) {
    std::string tool = std::string(CW_BUILD_DIR) + "/tools/crosswalk/crosswalk";
    if (!std::filesystem::is_regular_file(tool)) tool = std::string(CW_BUILD_DIR) + "/tools/crosswalk";
    std::string db = dir_.db();
    std::vector<char*> argv = {tool.data(), const_cast<char*>("term"), const_cast<char*>("import"),
                               const_cast<char*>("--db"), db.data(), new_file_.data(), nullptr};
    pid_t pid = fork();
    if (pid == 0 && !hook_kill) {
      int null = open("/dev/null", O_WRONLY);
      if (null >= 0) dup2(null, 1);
      execv(tool.c_str(), argv.data());
      _exit(5);
    }
    if (pid == 0) {
      OpenOptions o;
      o.read_only = false;
      auto store = Store::Open(dir_.db(), o);
      if (!store.ok()) _exit(3);
      ImportOptions io;
      if (hook_kill) {
        io.before_commit = [] {
          raise(SIGKILL);
          return Status::Ok();
        };
      }
      Status s = (*store)->Import({new_file_}, io);
      _exit(s.ok() ? 0 : 4);
    }
    return pid;
  }

  TempDir dir_, files_;
  std::string old_file_, new_file_;
};

TEST_F(CrashTest, KilledJustBeforeTheWriteLeavesStoreAsBefore) {
  pid_t pid = StartImport(/*hook_kill=*/true);
  ASSERT_GT(pid, 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  EXPECT_EQ(Generation(dir_.db()), "old");
}

TEST_F(CrashTest, KilledAtArbitraryTimesIsAllOrNothing) {
  int killed = 0;
  for (int delay_ms : {5, 50, 150, 300, 600, 1000}) {
    pid_t pid = StartImport(false);
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status)) ++killed;
    std::string gen = Generation(dir_.db());
    EXPECT_TRUE(gen == "old" || gen == "new") << "after kill at " << delay_ms << " ms: " << gen;
    if (WIFEXITED(status)) {
      EXPECT_EQ(WEXITSTATUS(status), 0);
      EXPECT_EQ(gen, "new");
    }
    // Back to the old generation for the next round (a completed import replaced it).
    if (gen == "new") {
      auto store = OpenWritable(dir_.db());
      ASSERT_TRUE(store->Import({old_file_}).ok());
    }
  }
  EXPECT_GT(killed, 0) << "no child was killed mid-import; the test proved nothing";
  // Unkilled, the same child completes: the new generation is reachable, so "old" above means something.
  pid_t pid = StartImport(false);
  ASSERT_GT(pid, 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(Generation(dir_.db()), "new");
}

}  // namespace
}  // namespace crosswalk::term
