// The importer's temporary run files (term/run_file.h): RunFileReader reads back what RunFileWriter (or
// PutVarint) wrote, with a writer's own tail after each record, and reports a missing or truncated file by its path; the external
// sorter, which reads its spilled runs through it, fails the same way on a damaged run.
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "term/external_sort.h"
#include "term/run_file.h"
#include "term_test_util.h"

namespace crosswalk::term {
namespace {

using testing::TempDir;

std::string Record(std::string_view key, std::string_view value, char tail) {
  std::string out;
  PutVarint(&out, key.size());
  out.append(key);
  PutVarint(&out, value.size());
  out.append(value);
  out.push_back(tail);
  return out;
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

TEST(RunFileReader, ReadsRecordsAndTheWritersTail) {
  TempDir dir;
  std::string path = dir.path() + "/run";
  std::string long_value(300, 'v');  // a two-byte length
  WriteFile(path, Record("a", "", 'x') + Record("bb", long_value, 'y'));
  RunFileReader r(path, "run file", 64);
  ASSERT_TRUE(r.Open().ok());
  ASSERT_TRUE(r.valid());
  EXPECT_EQ(r.key(), "a");
  EXPECT_EQ(r.value(), "");
  EXPECT_EQ(std::getc(r.file()), 'x');
  ASSERT_TRUE(r.Next().ok());
  ASSERT_TRUE(r.valid());
  EXPECT_EQ(r.key(), "bb");
  EXPECT_EQ(r.value(), long_value);
  EXPECT_EQ(std::getc(r.file()), 'y');
  ASSERT_TRUE(r.Next().ok());
  EXPECT_FALSE(r.valid());
}

TEST(RunFileWriter, WritesWhatTheReaderReadsAcrossChunks) {
  TempDir dir;
  std::string path = dir.path() + "/run";
  RunFileWriter w(path, "run file", 16);  // small chunks: most records cross one
  ASSERT_TRUE(w.Open().ok());
  for (int i = 0; i < 1000; ++i) {
    w.Add(fmt::format("k{}", i), std::string(static_cast<size_t>(i % 200), 'v'));
    PutVarint(w.tail(), static_cast<uint64_t>(i) * 1000);
  }
  ASSERT_TRUE(w.Close().ok());
  RunFileReader r(path, "run file", 16);
  ASSERT_TRUE(r.Open().ok());
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(r.valid()) << i;
    EXPECT_EQ(r.key(), fmt::format("k{}", i));
    EXPECT_EQ(r.value().size(), static_cast<size_t>(i % 200));
    uint64_t tail = 0;
    ASSERT_TRUE(ReadVarint(r.file(), &tail));
    EXPECT_EQ(tail, static_cast<uint64_t>(i) * 1000);
    ASSERT_TRUE(r.Next().ok());
  }
  EXPECT_FALSE(r.valid());
}

TEST(RunFileWriter, AFolderThatIsNotThereIsAnIoErrorNamingTheFile) {
  TempDir dir;
  std::string path = dir.path() + "/missing/run";
  RunFileWriter w(path, "sort run", 16);
  Status s = w.Open();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_NE(s.message().find("cannot create sort run '" + path + "'"), std::string::npos) << s.message();
}

TEST(RunFileReader, EmptyFileHasNoRecords) {
  TempDir dir;
  std::string path = dir.path() + "/run";
  WriteFile(path, "");
  RunFileReader r(path, "run file", 64);
  ASSERT_TRUE(r.Open().ok());
  EXPECT_FALSE(r.valid());
}

TEST(RunFileReader, TruncatedAtEveryByteIsAnErrorNamingTheFile) {
  TempDir dir;
  std::string path = dir.path() + "/run";
  std::string whole = Record("key", "value", 't');
  // Every cut inside the key/value part (the tail is the writer's to check).
  for (size_t cut = 1; cut + 1 < whole.size(); ++cut) {
    WriteFile(path, whole.substr(0, cut));
    RunFileReader r(path, "sort run", 64);
    Status s = r.Open();
    ASSERT_FALSE(s.ok()) << "cut at " << cut;
    EXPECT_EQ(s.message(), fmt::format("sort run '{}' is truncated", path)) << "cut at " << cut;
  }
}

TEST(RunFileReader, MissingFileIsAnIoError) {
  TempDir dir;
  RunFileReader r(dir.path() + "/none", "sort run", 64);
  Status s = r.Open();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_NE(s.message().find("cannot read sort run '" + dir.path() + "/none'"), std::string::npos) << s.message();
}

TEST(ExternalSorterRuns, ADamagedSpilledRunFailsTheSort) {
  TempDir dir;
  ExternalSorter sorter(dir.path(), "s", 64 << 10);  // the smallest budget: several runs
  for (int i = 0; i < 20000; ++i) {
    ASSERT_TRUE(sorter.Add(fmt::format("k{:06}", (i * 7919) % 20000), "value").ok());
  }
  ASSERT_GE(sorter.runs(), 2u);
  std::string first = dir.path() + "/s-000000";
  ASSERT_TRUE(std::filesystem::exists(first));
  std::filesystem::resize_file(first, std::filesystem::file_size(first) - 3);
  Status s = sorter.Sort();
  bool got = true;
  std::string_view key, value;
  while (s.ok() && got) s = sorter.Next(&got, &key, &value);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), fmt::format("sort run '{}' is truncated", first));
}

}  // namespace
}  // namespace crosswalk::term
