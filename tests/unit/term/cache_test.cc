// The bounded answer cache (OpenOptions::max_cache_bytes): memory stays within the bound while distinct
// questions stream through, evicted answers are recomputed correctly, hot answers survive (CLOCK), and a
// result stays valid until its thread's next query even when another thread evicts its entry.
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "crosswalk/terminology.h"
#include "term_test_util.h"

namespace crosswalk::term {
namespace {

using testing::ImportInto;
using testing::TempDir;

constexpr int kConcepts = 5000;

class CacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string path = dir_.path() + "/cs.json";
    {
      std::ofstream out(path);
      out << R"({"resourceType":"CodeSystem","url":"urn:cs","concept":[)";
      for (int i = 0; i < kConcepts; ++i) {
        out << (i ? "," : "") << R"({"code":"c)" << i << R"(","display":"Concept number )" << i << R"("})";
      }
      out << "]}";
    }
    ASSERT_TRUE(ImportInto(dir_.db(), {path}).ok());
  }
  std::unique_ptr<Store> Open(size_t bound) {
    OpenOptions o;
    o.max_cache_bytes = bound;
    auto s = Store::Open(dir_.db(), o);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(*s) : nullptr;
  }
  static std::string Display(int i) { return "Concept number " + std::to_string(i); }
  TempDir dir_;
};

TEST_F(CacheTest, BoundedCacheStaysWithinItsBoundAndAnswersStayRight) {
  constexpr size_t kBound = 256 << 10;
  auto store = Open(kBound);
  ASSERT_NE(store, nullptr);
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < kConcepts; ++i) {
      auto c = store->Lookup("urn:cs", "c" + std::to_string(i));
      ASSERT_TRUE(c.ok() && c->has_value());
      ASSERT_EQ((*c)->display, Display(i));
    }
  }
  Stats st = store->stats();
  EXPECT_GT(st.cache_evictions, 0u);
  // Each of the 64 shards may overshoot its share by at most one entry (well under 1 KiB here).
  EXPECT_LE(st.cache_bytes, kBound + 64 * 1024);
  EXPECT_GT(st.cache_bytes, kBound / 2);

  // Unbounded (the default): nothing is evicted.
  auto unbounded = Open(0);
  for (int i = 0; i < kConcepts; ++i) ASSERT_TRUE(unbounded->Lookup("urn:cs", "c" + std::to_string(i)).ok());
  EXPECT_EQ(unbounded->stats().cache_evictions, 0u);
  EXPECT_EQ(unbounded->stats().cache_entries, static_cast<uint64_t>(kConcepts));
}

TEST_F(CacheTest, HotAnswersSurviveAColdScan) {
  auto store = Open(64 << 10);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Lookup("urn:cs", "c1").ok());
  uint64_t misses_before = 0;
  for (int i = 2; i < kConcepts; ++i) {
    ASSERT_TRUE(store->Lookup("urn:cs", "c1").ok());  // hot: its CLOCK bit is set again and again
    ASSERT_TRUE(store->Lookup("urn:cs", "c" + std::to_string(i)).ok());
    if (i == 2) misses_before = store->stats().cache_misses;
  }
  // Every cold code missed once; the hot one never missed again.
  EXPECT_EQ(store->stats().cache_misses - misses_before, static_cast<uint64_t>(kConcepts - 3));
}

TEST_F(CacheTest, ResultStaysValidUntilTheThreadsNextQuery) {
  auto store = Open(16 << 10);
  ASSERT_NE(store, nullptr);
  auto c = store->Lookup("urn:cs", "c42");
  ASSERT_TRUE(c.ok() && c->has_value());
  const Concept held = **c;
  std::thread flood([&] {
    for (int i = 0; i < kConcepts; ++i) ASSERT_TRUE(store->Lookup("urn:cs", "c" + std::to_string(i)).ok());
  });
  flood.join();
  EXPECT_GT(store->stats().cache_evictions, 0u);
  EXPECT_EQ(held.code, "c42");  // its entry was evicted by the other thread, but this thread still pins it
  EXPECT_EQ(held.display, Display(42));
}

}  // namespace
}  // namespace crosswalk::term
