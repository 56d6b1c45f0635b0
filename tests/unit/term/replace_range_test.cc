// Replacing a stored version by range deletions (ImportSink::DeleteRange, Store::Import): the tombstone
// removes the old version's keys and not the new ones, the SST files stay non-overlapping when a range's
// keys would span several files, and keys outside the range are untouched.
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "crosswalk/terminology.h"
#include "term/import_sink.h"
#include "term_test_util.h"

namespace crosswalk::term {
namespace {

using testing::ImportInto;
using testing::OpenReadOnly;
using testing::TempDir;

// A record key of version 1 of urn:x: family letter, URL, NUL, version, NUL, code.
std::string Key(const char* family, int i) {
  return std::string(family) + "urn:x" + '\0' + "1" + '\0' + fmt::format("{:05}", i);
}

TEST(ReplaceByRange, TombstoneKeepsTheNewKeysAcrossManySstFiles) {
  TempDir dir;
  rocksdb::Options o;
  o.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(o, dir.path() + "/db", &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  // The old version: 'C' keys 0..999 and 'D' keys 0..99; neighbours before and after both ranges.
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(db->Put({}, Key("C", i), "old").ok());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(db->Put({}, Key("D", i), "old").ok());
  ASSERT_TRUE(db->Put({}, "Burn:before", "keep").ok());
  ASSERT_TRUE(db->Put({}, "Eurn:after", "keep").ok());
  ASSERT_TRUE(db->Flush({}).ok());

  // The new version writes every third 'C' key and no 'D' key; SST files of at most 512 bytes, so the
  // 'C' range's new keys would span dozens of files if a file could end inside the range.
  ImportSink sink(dir.path() + "/tmp", o, 1 << 20, /*sst_file_bytes=*/512);
  ASSERT_TRUE(sink.Put(0, "Aurn:first", "new").ok());
  for (int i = 0; i < 1000; i += 3) ASSERT_TRUE(sink.Put(0, Key("C", i), "new").ok());
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(sink.Put(0, fmt::format("Furn:{:05}", i), "new").ok());
  std::string c = std::string("Curn:x\0" "1\0", 9), d = std::string("Durn:x\0" "1\0", 9);
  std::string c_end = c, d_end = d;
  c_end.back() = '\1';
  d_end.back() = '\1';
  sink.DeleteRange(d, d_end);
  sink.DeleteRange(c, c_end);
  auto files = sink.Finish(nullptr);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  EXPECT_EQ(sink.ranges_written(), 2u);
  EXPECT_GT(files->size(), 3u);  // the 'F' keys after the ranges did split into files
  rocksdb::IngestExternalFileOptions io;
  io.move_files = true;
  rocksdb::Status s = db->IngestExternalFile(*files, io);
  ASSERT_TRUE(s.ok()) << s.ToString();

  std::string v;
  for (int i = 0; i < 1000; ++i) {
    rocksdb::Status g = db->Get({}, Key("C", i), &v);
    if (i % 3 == 0) {
      ASSERT_TRUE(g.ok()) << i;
      EXPECT_EQ(v, "new");
    } else {
      EXPECT_TRUE(g.IsNotFound()) << i;
    }
  }
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(db->Get({}, Key("D", i), &v).IsNotFound()) << i;
  ASSERT_TRUE(db->Get({}, "Burn:before", &v).ok());
  ASSERT_TRUE(db->Get({}, "Eurn:after", &v).ok());
  ASSERT_TRUE(db->Get({}, "Aurn:first", &v).ok());
  ASSERT_TRUE(db->Get({}, "Furn:00199", &v).ok());
  // After a full compaction the old keys are gone from disk too, and the answers stay.
  rocksdb::CompactRangeOptions co;
  co.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForce;
  ASSERT_TRUE(db->CompactRange(co, nullptr, nullptr).ok());
  EXPECT_TRUE(db->Get({}, Key("C", 1), &v).IsNotFound());
  ASSERT_TRUE(db->Get({}, Key("C", 999), &v).ok());
}

TEST(ReplaceByRange, ReimportOfAVersionWithAHierarchyAnswersOnlyTheNewContent) {
  TempDir dir;
  std::string v1 = dir.path() + "/v1.json", v2 = dir.path() + "/v2.json";
  std::string a = R"({"resourceType":"CodeSystem","url":"urn:r","version":"1","concept":[)";
  std::string b = a;
  for (int i = 0; i < 3000; ++i) {
    a += fmt::format(R"({}{{"code":"c{}","display":"one {}"{}}})", i ? "," : "", i, i,
                     i ? fmt::format(R"(,"property":[{{"code":"parent","valueCode":"c{}"}}])", (i - 1) / 4) : "");
    if (i % 2 == 0) {  // the new version keeps the even codes, under another parent
      b += fmt::format(R"({}{{"code":"c{}","display":"two {}"{}}})", i ? "," : "", i, i,
                       i ? R"(,"property":[{"code":"parent","valueCode":"c0"}])" : "");
    }
  }
  a += "]}";
  b += "]}";
  std::ofstream(v1) << a;
  std::ofstream(v2) << b;
  ASSERT_TRUE(ImportInto(dir.db(), {v1}).ok());
  ImportReport rep;
  ASSERT_TRUE(ImportInto(dir.db(), {v2}, {}, &rep).ok());
  ASSERT_EQ(rep.items.size(), 1u);
  EXPECT_TRUE(rep.items[0].replaced);
  EXPECT_EQ(rep.keys_deleted, 3000u);  // the replaced version's concepts
  auto st = OpenReadOnly(dir.db());
  ASSERT_TRUE(st);
  EXPECT_EQ(st->stats().concepts, 1500u);
  EXPECT_FALSE(st->Lookup("urn:r", "c1")->has_value());
  EXPECT_EQ((*st->Lookup("urn:r", "c2998"))->display, "two 2998");
  // Old edges are gone: c2998's old parent was c749 (itself gone); now c0 is its only ancestor.
  EXPECT_EQ(*st->Subsumes("urn:r", "c0", "c2998"), Subsumption::kSubsumes);
  EXPECT_EQ(*st->Subsumes("urn:r", "c2", "c2998"), Subsumption::kNotSubsumed);
  auto vs = st->List();
  ASSERT_TRUE(vs.ok());
  ASSERT_EQ(vs->size(), 1u);
  EXPECT_EQ((*vs)[0].entries, 1500u);
}

}  // namespace
}  // namespace crosswalk::term
