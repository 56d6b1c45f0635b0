// The release loaders' joins in bounded memory (runtime/src/term/external_sort.cc, release_loaders.cc):
// the external sort itself, and SNOMED CT RF2 and LOINC releases generated here (made-up codes, the shape
// of the real files) imported with a tiny sort budget (many runs) and with the default one (no run): the
// stored content is the same, the importer's own accounting stays within the budget, and the answers follow
// the loaders' rules.
#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "crosswalk/terminology.h"
#include "term/external_sort.h"
#include "term_test_util.h"

namespace crosswalk::term {
namespace {

using testing::ImportInto;
using testing::OpenReadOnly;
using testing::TempDir;

constexpr const char* kSct = "http://snomed.info/sct";
constexpr const char* kLoinc = "http://loinc.org";
constexpr size_t kTinyBudget = 64 << 10;  // the sorter's minimum

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

TEST(ExternalSorterTest, SortsAcrossRunsAndKeepsAddedOrderOfEqualKeys) {
  TempDir dir;
  ExternalSorter sorter(dir.path(), "t", kTinyBudget);
  std::mt19937 rng(7);
  std::vector<std::pair<std::string, std::string>> added;
  for (int i = 0; i < 40000; ++i) {
    std::string key = fmt::format("k{:05}", rng() % 3000);  // about 13 records per key
    std::string value = fmt::format("{}:{}", i, std::string(rng() % 40, 'v'));
    added.emplace_back(key, value);
    ASSERT_TRUE(sorter.Add(key, value).ok());
  }
  ASSERT_TRUE(sorter.Sort().ok());
  EXPECT_GT(sorter.runs(), 10u);
  EXPECT_LE(sorter.peak_bytes(), kTinyBudget);
  std::stable_sort(added.begin(), added.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  size_t n = 0;
  bool got = false;
  std::string_view k, v;
  while (true) {
    ASSERT_TRUE(sorter.Next(&got, &k, &v).ok());
    if (!got) break;
    ASSERT_LT(n, added.size());
    ASSERT_EQ(k, added[n].first) << n;
    ASSERT_EQ(v, added[n].second) << n;
    ++n;
  }
  EXPECT_EQ(n, added.size());
  EXPECT_EQ(sorter.records(), added.size());
}

TEST(ExternalSorterTest, InMemoryWhenWithinBudget) {
  TempDir dir;
  ExternalSorter sorter(dir.path(), "t", 1 << 20);
  for (const char* k : {"b", "a", "b", "c", "a"}) ASSERT_TRUE(sorter.Add(k, std::string(k) + "!").ok());
  ASSERT_TRUE(sorter.Sort().ok());
  EXPECT_EQ(sorter.runs(), 0u);
  std::string out;
  bool got = false;
  std::string_view k, v;
  while (sorter.Next(&got, &k, &v).ok() && got) out += std::string(k);
  EXPECT_EQ(out, "aabbc");
}

// A made-up RF2 snapshot of n active concepts (ids 100000 + i) plus inactive ones: an is-a tree of fan-out
// 5 written child-first in a shuffled order, an FSN and two synonyms each (the US English preferred one on
// every third concept, the GB one on every second, neither elsewhere), an inactive description and an
// inactive concept with a relationship to it.
struct Rf2 {
  std::vector<std::string> files;
};

Rf2 WriteRf2(const std::string& dir, int n) {
  const std::string mod = "900000000000207008";
  std::mt19937 rng(11);
  std::vector<int> order(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) order[static_cast<size_t>(i)] = i;
  std::shuffle(order.begin(), order.end(), rng);
  std::string c = "id\teffectiveTime\tactive\tmoduleId\tdefinitionStatusId\n";
  std::string d = "id\teffectiveTime\tactive\tmoduleId\tconceptId\tlanguageCode\ttypeId\tterm\tcaseSignificanceId\n";
  std::string r =
      "id\teffectiveTime\tactive\tmoduleId\tsourceId\tdestinationId\trelationshipGroup\ttypeId\t"
      "characteristicTypeId\tmodifierId\n";
  std::string us = "id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId\tacceptabilityId\n";
  std::string gb = us;
  for (int i : order) {
    int id = 100000 + i;
    c += fmt::format("{}\t2002{:04}\t1\t{}\t{}\n", id, 101 + i % 1200, mod,
                     i % 4 == 0 ? "900000000000073002" : "900000000000074008");
    d += fmt::format("{}\t20020131\t1\t{}\t{}\ten\t900000000000003001\tConcept {} (finding)\t900000000000448009\n",
                     10000000 + 10 * i, mod, id, i);
    d += fmt::format("{}\t20020131\t1\t{}\t{}\ten\t900000000000013009\tUS name {}\t900000000000448009\n",
                     10000001 + 10 * i, mod, id, i);
    d += fmt::format("{}\t20020131\t1\t{}\t{}\ten\t900000000000013009\tGB name {}\t900000000000448009\n",
                     10000002 + 10 * i, mod, id, i);
    d += fmt::format("{}\t20020131\t0\t{}\t{}\ten\t900000000000013009\tRetired name {}\t900000000000448009\n",
                     10000003 + 10 * i, mod, id, i);
    if (i > 0) {
      r += fmt::format("{}\t20020131\t1\t{}\t{}\t{}\t0\t116680003\t900000000000011006\t900000000000451002\n",
                       20000000 + i, mod, id, 100000 + (i - 1) / 5);
    }
    if (i % 3 == 0) {
      us += fmt::format("u{}\t20020131\t1\t{}\t900000000000509007\t{}\t900000000000548007\n", i, mod,
                        10000001 + 10 * i);
    }
    if (i % 2 == 0) {
      gb += fmt::format("g{}\t20020131\t1\t{}\t900000000000508004\t{}\t900000000000548007\n", i, mod,
                        10000002 + 10 * i);
    }
  }
  c += fmt::format("999999\t20020131\t0\t{}\t900000000000074008\n", mod);  // inactive
  r += fmt::format("29999999\t20020131\t1\t{}\t{}\t999999\t0\t116680003\t900000000000011006\t900000000000451002\n",
                   mod, 100001);
  Rf2 out;
  out.files = {dir + "/sct2_Concept_Snapshot_INT_20250101.txt", dir + "/sct2_Description_Snapshot-en_INT_20250101.txt",
               dir + "/sct2_Relationship_Snapshot_INT_20250101.txt",
               dir + "/der2_cRefset_LanguageSnapshot-en-GB_INT_20250101.txt",
               dir + "/der2_cRefset_LanguageSnapshot-en_INT_20250101.txt"};
  WriteFile(out.files[0], c);
  WriteFile(out.files[1], d);
  WriteFile(out.files[2], r);
  WriteFile(out.files[3], gb);  // given first: US English still wins where both prefer a synonym
  WriteFile(out.files[4], us);
  return out;
}

uint64_t HashOf(const std::string& db, const char* url) {
  auto st = OpenReadOnly(db);
  if (!st) return 0;
  auto list = st->List();
  EXPECT_TRUE(list.ok());
  for (const auto& r : *list) {
    if (r.url == url) {
      EXPECT_TRUE(r.has_content_hash);
      return r.content_hash;
    }
  }
  ADD_FAILURE() << "no " << url;
  return 0;
}

TEST(ReleaseJoin, SnomedRf2WithATinySortBudgetStoresWhatTheInMemoryJoinStores) {
  TempDir dir;
  constexpr int kConcepts = 12000;
  Rf2 rf2 = WriteRf2(dir.path(), kConcepts);

  ImportOptions tiny;
  tiny.sort_buffer_bytes = kTinyBudget;
  ImportReport small_rep, big_rep;
  Status s = ImportInto(dir.path() + "/small", rf2.files, tiny, &small_rep);
  ASSERT_TRUE(s.ok()) << s.ToString();
  s = ImportInto(dir.path() + "/big", rf2.files, {}, &big_rep);
  ASSERT_TRUE(s.ok()) << s.ToString();

  // The importer's own accounting: nothing held as parsed concepts, the sort within its budget (the
  // 12,000 concepts' 60,000 rows are about 2.5 MB of records), the default budget never reached.
  EXPECT_EQ(small_rep.peak_held_entries, 0u);
  EXPECT_GT(small_rep.peak_sort_bytes, kTinyBudget / 2);
  EXPECT_LE(small_rep.peak_sort_bytes, kTinyBudget);
  EXPECT_GT(big_rep.peak_sort_bytes, small_rep.peak_sort_bytes);
  ASSERT_EQ(small_rep.items.size(), 1u);
  EXPECT_EQ(small_rep.items[0].entries, static_cast<uint64_t>(kConcepts));
  EXPECT_EQ(HashOf(dir.path() + "/small", kSct), HashOf(dir.path() + "/big", kSct));

  auto st = OpenReadOnly(dir.path() + "/small");
  ASSERT_TRUE(st);
  for (int i : {0, 1, 2, 3, 6, 7, 11999}) {
    std::string code = std::to_string(100000 + i);
    auto c = st->Lookup(kSct, code);
    ASSERT_TRUE(c.ok() && c->has_value()) << code;
    EXPECT_EQ((*c)->version, "20250101");
    // US English preferred (every third), else GB preferred (every second), else the FSN.
    std::string want = i % 3 == 0 ? fmt::format("US name {}", i)
                       : i % 2 == 0 ? fmt::format("GB name {}", i)
                                    : fmt::format("Concept {} (finding)", i);
    EXPECT_EQ((*c)->display, want) << code;
    ASSERT_EQ((*c)->designations.size(), 3u) << code;  // the inactive description is left out
    EXPECT_EQ((*c)->designations[0].value, fmt::format("Concept {} (finding)", i));
    EXPECT_EQ((*c)->designations[2].value, fmt::format("GB name {}", i));
    std::string defined, parents;
    for (const auto& p : (*c)->properties) {
      if (p.code == "sufficientlyDefined") defined = std::string(p.value);
      if (p.code == "parent") parents += std::string(p.value) + ";";
    }
    EXPECT_EQ(defined, i % 4 == 0 ? "true" : "false");
    EXPECT_EQ(parents, i == 0 ? "" : std::to_string(100000 + (i - 1) / 5) + ";") << code;
  }
  auto inactive = st->Lookup(kSct, "999999");
  ASSERT_TRUE(inactive.ok());
  EXPECT_FALSE(inactive->has_value());
  // 11999 -> 2399 -> 479 -> 95 -> 18 -> 3 -> 0.
  auto sub = st->Subsumes(kSct, "100000", "111999");
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(*sub, Subsumption::kSubsumes);
  auto not_sub = st->Subsumes(kSct, "100001", "111999");
  ASSERT_TRUE(not_sub.ok());
  EXPECT_EQ(*not_sub, Subsumption::kNotSubsumed);
}

TEST(ReleaseJoin, SnomedConceptIdThatIsNotAnSctIdNamesThePosition) {
  TempDir dir;
  std::string path = dir.path() + "/sct2_Concept_Snapshot_INT_20250101.txt";
  WriteFile(path, "id\teffectiveTime\tactive\tmoduleId\tdefinitionStatusId\n100005\t2\t1\t3\t4\n0100\t2\t1\t3\t4\n");
  Status s = ImportInto(dir.db(), {path});
  EXPECT_EQ(s.code(), StatusCode::kParseError) << s.ToString();
  EXPECT_NE(s.message().find("sct2_Concept_Snapshot_INT_20250101.txt:3: the concept id is not an SCTID"),
            std::string_view::npos)
      << s.ToString();
  WriteFile(path, "id\teffectiveTime\tactive\tmoduleId\tdefinitionStatusId\n100005\t2\t1\t3\t4\n100006\t2\t1\t3\t4\n"
                  "100005\t2\t1\t3\t4\n100006\t2\t1\t3\t4\n");
  s = ImportInto(dir.db(), {path});
  EXPECT_EQ(s.code(), StatusCode::kParseError) << s.ToString();
  EXPECT_NE(s.message().find(":4: concept id given twice"), std::string_view::npos) << s.ToString();
}

// A made-up LOINC release: n terms (a quoted field with a line break and a comma in every 97th name, so
// records span the reader's chunks), a part hierarchy over them written leaf-first, and part links; read
// with a tiny sort budget and with the default one.
TEST(ReleaseJoin, LoincWithATinySortBudgetStoresWhatTheInMemoryJoinStores) {
  TempDir dir;
  constexpr int kTerms = 30000, kParts = 3000;
  std::string t =
      "\"LOINC_NUM\",\"COMPONENT\",\"STATUS\",\"SHORTNAME\",\"LONG_COMMON_NAME\",\"VersionLastChanged\"\r\n";
  for (int i = 0; i < kTerms; ++i) {
    std::string name = i % 97 == 0 ? fmt::format("Analyte {}, first line\nsecond \"\"line\"\"", i)
                                   : fmt::format("Analyte {} [Mass/volume] in Serum", i);
    t += fmt::format("\"{}-{}\",\"Analyte {}\",\"{}\",\"A{}\",\"{}\",\"2.{}\"\r\n", i, i % 10, i % kParts,
                     i % 50 == 0 ? "DEPRECATED" : "ACTIVE", i, name, 70 + i % 9);
  }
  std::string h = "\"PATH_TO_ROOT\",\"SEQUENCE\",\"IMMEDIATE_PARENT\",\"CODE\",\"CODE_TEXT\"\n";
  for (int i = kTerms - 1; i >= 0; --i) {
    h += fmt::format("\"\",\"1\",\"LP{}-0\",\"{}-{}\",\"Analyte {}\"\n", i % kParts, i, i % 10, i);
  }
  for (int p = kParts - 1; p >= 1; --p) h += fmt::format("\"\",\"1\",\"LP{}-0\",\"LP{}-0\",\"Part {}\"\n", (p - 1) / 8, p, p);
  h += "\"\",\"1\",\"\",\"LP0-0\",\"{component}\"\n";
  std::string l =
      "\"LoincNumber\",\"LongCommonName\",\"PartNumber\",\"PartName\",\"PartCodeSystem\",\"PartTypeName\","
      "\"LinkTypeName\",\"Property\"\n";
  for (int i = 0; i < kTerms; ++i) {
    l += fmt::format("\"{}-{}\",\"x\",\"LP{}-0\",\"P\",\"http://loinc.org\",\"COMPONENT\",\"Primary\","
                     "\"http://loinc.org/property/COMPONENT\"\n", i, i % 10, i % kParts);
  }
  l += "\"77777-7\",\"x\",\"LP1-0\",\"P\",\"http://loinc.org\",\"COMPONENT\",\"Primary\",\"http://loinc.org/property/COMPONENT\"\n";
  std::vector<std::string> files = {dir.path() + "/Loinc.csv", dir.path() + "/ComponentHierarchyBySystem.csv",
                                    dir.path() + "/LoincPartLink_Primary.csv"};
  WriteFile(files[0], "\xEF\xBB\xBF" + t);
  WriteFile(files[1], h);
  WriteFile(files[2], l);

  ImportOptions tiny;
  tiny.sort_buffer_bytes = kTinyBudget;
  ImportReport small_rep, big_rep;
  Status s = ImportInto(dir.path() + "/small", files, tiny, &small_rep);
  ASSERT_TRUE(s.ok()) << s.ToString();
  s = ImportInto(dir.path() + "/big", files, {}, &big_rep);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(small_rep.peak_held_entries, 0u);
  EXPECT_LE(small_rep.peak_sort_bytes, kTinyBudget);
  EXPECT_GT(big_rep.peak_sort_bytes, kTinyBudget);
  ASSERT_EQ(small_rep.items.size(), 1u);
  EXPECT_EQ(small_rep.items[0].entries, static_cast<uint64_t>(kTerms + kParts));  // 77777-7 is in neither file
  EXPECT_EQ(HashOf(dir.path() + "/small", kLoinc), HashOf(dir.path() + "/big", kLoinc));

  auto st = OpenReadOnly(dir.path() + "/small");
  ASSERT_TRUE(st);
  auto c = st->Lookup(kLoinc, "194-4");
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_EQ((*c)->version, "2.78");
  EXPECT_EQ((*c)->display, "Analyte 194, first line\nsecond \"line\"");
  std::string props;
  for (const auto& p : (*c)->properties) props += std::string(p.code) + "=" + std::string(p.value) + ";";
  EXPECT_EQ(props, "COMPONENT=Analyte 194;STATUS=ACTIVE;VersionLastChanged=2.75;parent=LP194-0;"
                   "COMPONENT=http://loinc.org|LP194-0;");
  auto part = st->Lookup(kLoinc, "LP2999-0");
  ASSERT_TRUE(part.ok() && part->has_value());
  EXPECT_EQ((*part)->display, "Part 2999");
  auto missing = st->Lookup(kLoinc, "77777-7");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  auto sub = st->Subsumes(kLoinc, "LP0-0", "29999-9");
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(*sub, Subsumption::kSubsumes);
}

TEST(ReleaseJoin, LoincDuplicateAndBadBytesNameTheLine) {
  TempDir dir;
  std::string path = dir.path() + "/Loinc.csv";
  WriteFile(path, "\"LOINC_NUM\",\"STATUS\",\"LONG_COMMON_NAME\"\n\"1-8\",\"ACTIVE\",\"a\"\n\"2-6\",\"ACTIVE\",\"b\"\n"
                  "\"1-8\",\"ACTIVE\",\"c\"\n");
  Status s = ImportInto(dir.db(), {path});
  EXPECT_EQ(s.code(), StatusCode::kParseError) << s.ToString();
  EXPECT_NE(s.message().find("Loinc.csv:4: duplicate LOINC_NUM"), std::string_view::npos) << s.ToString();
  WriteFile(path, "\"LOINC_NUM\",\"STATUS\",\"LONG_COMMON_NAME\"\n\"1-8\",\"ACTIVE\",\"a\"\n\"2-6\",\"ACTIVE\",\"b\xff\"\n");
  s = ImportInto(dir.db(), {path});
  EXPECT_EQ(s.code(), StatusCode::kParseError) << s.ToString();
  EXPECT_NE(s.message().find("Loinc.csv:3: invalid UTF-8"), std::string_view::npos) << s.ToString();
}

}  // namespace
}  // namespace crosswalk::term
