// Every HL7 v2 fixture under tests/fixtures/hl7v2 is split, parsed, matched to its structure and
// written back; the re-parsed message must give the same value at every position.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "hl7v2/framing.h"
#include "hl7v2/groups.h"
#include "hl7v2/message.h"
#include "hl7v2/writer.h"

namespace crosswalk::hl7v2 {
namespace {

namespace fs = std::filesystem;

const fs::path kRoot = fs::path(CW_TEST_DIR) / "fixtures" / "hl7v2";

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct ManifestRow {
  int messages = -1;
  int segments = -1;
};

std::map<std::string, ManifestRow> ReadManifest() {
  std::map<std::string, ManifestRow> rows;
  std::istringstream in(ReadFile(kRoot / "MANIFEST.tsv"));
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::vector<std::string> cols;
    size_t start = 0;
    while (true) {
      size_t tab = line.find('\t', start);
      cols.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
      if (tab == std::string::npos) break;
      start = tab + 1;
    }
    if (cols.size() < 8) continue;
    ManifestRow row;
    if (!cols[6].empty()) row.messages = std::stoi(cols[6]);
    if (!cols[7].empty()) row.segments = std::stoi(cols[7]);
    std::string path = cols[0];
    if (path.rfind("hl7v2/", 0) == 0) path = path.substr(6);
    rows[path] = row;
  }
  return rows;
}

// Files that must be rejected, with the status code expected.
const std::map<std::string, StatusCode>& ExpectedFailures() {
  static const auto* m = new std::map<std::string, StatusCode>{
      {"rethinkhealth/invalid-missing-msh.hl7", StatusCode::kParseError},
      {"rethinkhealth/invalid-segment-header-length.hl7", StatusCode::kParseError},
      {"cdc-dex/fns-hl7-pipeline_fn-structure-validator_Lyme_WithBadDelimiters.hl7", StatusCode::kParseError},
  };
  return *m;
}

std::vector<std::string> FixtureFiles() {
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(kRoot)) {
    if (!e.is_regular_file()) continue;
    std::string rel = fs::relative(e.path(), kRoot).generic_string();
    if (rel == "MANIFEST.tsv" || rel == "SOURCES.md" || rel == ".gitattributes") continue;
    files.push_back(rel);
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Writes `m` back from its decoded leaf values.
std::string WriteBack(const Message& m) {
  Writer w(m.encoding());
  std::string scratch;
  for (int s = 0; s < m.segment_count(); ++s) {
    EXPECT_TRUE(w.BeginSegment(m.segment_id(s)).ok());
    for (int f = (s == 0 ? 3 : 1); f <= m.field_count(s); ++f) {
      for (int r = 1; r <= m.repetition_count(s, f); ++r) {
        for (int c = 1; c <= m.component_count(s, f, r); ++c) {
          for (int sc = 1; sc <= m.subcomponent_count(s, f, r, c); ++sc) {
            std::string_view v = m.Value(s, f, r, c, sc, &scratch);
            if (!v.empty()) EXPECT_TRUE(w.Set(f, r, c, sc, v).ok());
          }
        }
      }
    }
  }
  return std::string(w.Finish());
}

// Compares every decoded leaf of a and b.
void ExpectSameValues(const Message& a, const Message& b, const std::string& where) {
  ASSERT_EQ(a.segment_count(), b.segment_count()) << where;
  std::string sa, sb;
  EXPECT_EQ(a.encoding().field, b.encoding().field) << where;
  EXPECT_EQ(a.encoding().component, b.encoding().component) << where;
  EXPECT_EQ(a.encoding().repetition, b.encoding().repetition) << where;
  EXPECT_EQ(a.encoding().escape, b.encoding().escape) << where;
  EXPECT_EQ(a.encoding().subcomponent, b.encoding().subcomponent) << where;
  EXPECT_EQ(a.encoding().truncation, b.encoding().truncation) << where;
  for (int s = 0; s < a.segment_count(); ++s) {
    ASSERT_EQ(a.segment_id(s), b.segment_id(s)) << where;
    // Trailing empty fields are not written back.
    int fields = std::max(a.field_count(s), b.field_count(s));
    for (int f = (s == 0 ? 3 : 1); f <= fields; ++f) {
      int reps = std::max(a.repetition_count(s, f), b.repetition_count(s, f));
      for (int r = 1; r <= reps; ++r) {
        int comps = std::max(a.component_count(s, f, r), b.component_count(s, f, r));
        for (int c = 1; c <= comps; ++c) {
          int subs = std::max(a.subcomponent_count(s, f, r, c), b.subcomponent_count(s, f, r, c));
          for (int sc = 1; sc <= subs; ++sc) {
            ASSERT_EQ(a.Value(s, f, r, c, sc, &sa), b.Value(s, f, r, c, sc, &sb))
                << where << " segment " << s + 1 << " " << a.segment_id(s) << "-" << f << "[" << r << "]." << c
                << "." << sc;
          }
        }
      }
    }
  }
}

TEST(Hl7v2Fixtures, EveryFixtureParsesAndRoundTrips) {
  const auto manifest = ReadManifest();
  const auto files = FixtureFiles();
  ASSERT_GE(files.size(), 500u);
  int parsed_messages = 0, checked_counts = 0, structured = 0;
  Message msg, again;  // reused across all files (steady-state path)
  GroupTree tree;
  Batch batch;
  for (const std::string& rel : files) {
    SCOPED_TRACE(rel);
    const std::string data = ReadFile(kRoot / rel);
    Status st = SplitMessages(data, &batch);
    std::vector<Status> errors;
    int segments = 0;
    if (st.ok()) {
      for (std::string_view m : batch.messages) {
        Status ps = msg.Parse(m);
        if (!ps.ok()) {
          errors.push_back(ps);
          continue;
        }
        ++parsed_messages;
        segments += msg.segment_count();
        tree.Build(msg);
        if (tree.structure() != nullptr) ++structured;
        // Every segment is in exactly one group instance whose range holds it.
        for (int s = 0; s < msg.segment_count(); ++s) {
          const GroupInstance& g = tree.instance(tree.group_of(s));
          EXPECT_LE(g.begin, s);
          EXPECT_LT(s, g.end);
        }
        std::string written = WriteBack(msg);
        Status rs = again.Parse(written);
        ASSERT_TRUE(rs.ok()) << rs.ToString();
        ExpectSameValues(msg, again, rel);
      }
    } else {
      errors.push_back(st);
    }
    auto expected = ExpectedFailures().find(rel);
    if (expected != ExpectedFailures().end()) {
      ASSERT_FALSE(errors.empty()) << "expected a failure";
      EXPECT_EQ(errors[0].code(), expected->second) << errors[0].ToString();
      continue;
    }
    for (const Status& e : errors) ADD_FAILURE() << e.ToString();
    auto row = manifest.find(rel);
    ASSERT_NE(row, manifest.end()) << "not in MANIFEST.tsv";
    if (row->second.messages >= 0) EXPECT_EQ(static_cast<int>(batch.messages.size()), row->second.messages);
    // MANIFEST counts every non-empty line of the file, batch envelope segments included.
    int envelope = !batch.fhs.empty() + !batch.bhs.empty() + !batch.bts.empty() + !batch.fts.empty();
    if (row->second.segments >= 0) {
      EXPECT_EQ(segments + envelope, row->second.segments);
      ++checked_counts;
    }
  }
  EXPECT_GT(parsed_messages, 550);
  EXPECT_GT(checked_counts, 500);
  EXPECT_GT(structured, 400);
}

}  // namespace
}  // namespace crosswalk::hl7v2
