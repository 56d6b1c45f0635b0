// Release-format loaders (runtime/src/term/release_loaders.cc) over the synthetic files of
// tests/fixtures/terminology/release, and the bounded-memory write path (ImportSink) behind every import.
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "crosswalk/terminology.h"
#include "term/import_sink.h"
#include "term/model.h"
#include "term_test_util.h"

namespace crosswalk::term {
namespace {

using testing::Fixture;
using testing::ImportInto;
using testing::OpenReadOnly;
using testing::TempDir;

constexpr const char* kLoinc = "http://loinc.org";
constexpr const char* kSct = "http://snomed.info/sct";
constexpr const char* kIcd = "http://hl7.org/fhir/sid/icd-10-cm";

std::string Release(const std::string& name) { return Fixture("release/" + name); }

std::string PropertyOf(const Concept& c, std::string_view code) {
  std::string out;
  for (const auto& p : c.properties) {
    if (p.code == code) out += (out.empty() ? "" : ",") + std::string(p.value);
  }
  return out;
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

class ReleaseLoaders : public ::testing::Test {
 protected:
  Store& Load(const std::vector<std::string>& files) {
    Status s = ImportInto(dir_.db(), files);
    EXPECT_TRUE(s.ok()) << s.ToString();
    store_ = OpenReadOnly(dir_.db());
    return *store_;
  }
  Subsumption Subsumes(const char* system, const char* a, const char* b) {
    auto r = store_->Subsumes(system, a, b);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Subsumption::kNotSubsumed;
  }
  bool Member(const char* system, const char* code, const std::string& vs) {
    auto r = store_->Validate(system, code, vs);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() && *r;
  }
  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(ReleaseLoaders, DetectsFormatsByNameAndHeader) {
  EXPECT_EQ(DetectReleaseFormat(Release("loinc/Loinc.csv")), ReleaseFormat::kLoincTable);
  EXPECT_EQ(DetectReleaseFormat(Release("loinc/ComponentHierarchyBySystem.csv")), ReleaseFormat::kLoincHierarchy);
  EXPECT_EQ(DetectReleaseFormat(Release("loinc/LoincPartLink_Primary.csv")), ReleaseFormat::kLoincPartLink);
  EXPECT_EQ(DetectReleaseFormat(Release("snomed/sct2_Concept_Snapshot_INT_20240101.txt")),
            ReleaseFormat::kSnomedConcept);
  EXPECT_EQ(DetectReleaseFormat(Release("snomed/sct2_Description_Snapshot-en_INT_20240101.txt")),
            ReleaseFormat::kSnomedDescription);
  EXPECT_EQ(DetectReleaseFormat(Release("snomed/sct2_Relationship_Snapshot_INT_20240101.txt")),
            ReleaseFormat::kSnomedRelationship);
  EXPECT_EQ(DetectReleaseFormat(Release("snomed/der2_cRefset_LanguageSnapshot-en_INT_20240101.txt")),
            ReleaseFormat::kSnomedLanguage);
  EXPECT_EQ(DetectReleaseFormat(Release("icd10cm/icd10cm_order_2024.txt")), ReleaseFormat::kIcd10CmOrder);
  EXPECT_EQ(DetectReleaseFormat(Fixture("local-lab-codes.csv")), ReleaseFormat::kNone);  // a crosswalk table
  EXPECT_EQ(DetectReleaseFormat(Fixture("CodeSystem-administrative-gender.json")), ReleaseFormat::kNone);
}

TEST_F(ReleaseLoaders, Loinc) {
  Store& st = Load({Release("loinc/Loinc.csv"), Release("loinc/ComponentHierarchyBySystem.csv"),
                    Release("loinc/LoincPartLink_Primary.csv")});
  auto c = st.Lookup(kLoinc, "99002-9");
  ASSERT_TRUE(c.ok() && c->has_value()) << c.status().ToString();
  const Concept& k = **c;
  EXPECT_EQ(k.version, "2.76");  // the highest VersionLastChanged
  EXPECT_EQ(k.display, "Glucoxate [Mass/volume] in Urine");
  EXPECT_EQ(k.status, "active");
  EXPECT_EQ(PropertyOf(k, "SYSTEM"), "Urine,http://loinc.org|LP90009-1");
  EXPECT_EQ(PropertyOf(k, "COMPONENT"), "Glucoxate,http://loinc.org|LP90002-6");
  ASSERT_EQ(k.designations.size(), 1u);
  EXPECT_EQ(k.designations[0].use_code, "SHORTNAME");
  EXPECT_EQ(k.designations[0].value, "Glucoxate Ur-mCnc");
  // A quoted field with a comma and doubled quotes; DEPRECATED is inactive.
  auto dep = st.ValidateCode(kLoinc, "99003-7", "", "");
  ASSERT_TRUE(dep.ok());
  EXPECT_TRUE(dep->valid);
  EXPECT_TRUE(dep->inactive);
  // The hierarchy file: parts are concepts, codes sit under their component.
  EXPECT_EQ(Subsumes(kLoinc, "LP90001-8", "99003-7"), Subsumption::kSubsumes);
  EXPECT_EQ(Subsumes(kLoinc, "99001-1", "LP90002-6"), Subsumption::kSubsumedBy);
  EXPECT_EQ(Subsumes(kLoinc, "LP90002-6", "99004-5"), Subsumption::kNotSubsumed);
  auto part = st.Lookup(kLoinc, "LP90003-4");
  ASSERT_TRUE(part.ok() && part->has_value());
  EXPECT_EQ((*part)->display, "Natrilite");
}

TEST_F(ReleaseLoaders, LoincHierarchyWithoutTableIsRefused) {
  Status s = ImportInto(dir_.db(), {Release("loinc/ComponentHierarchyBySystem.csv")});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find("needs Loinc.csv"), std::string_view::npos);
}

TEST_F(ReleaseLoaders, SnomedRf2) {
  Store& st = Load({Release("snomed/sct2_Concept_Snapshot_INT_20240101.txt"),
                    Release("snomed/sct2_Description_Snapshot-en_INT_20240101.txt"),
                    Release("snomed/sct2_Relationship_Snapshot_INT_20240101.txt"),
                    Release("snomed/der2_cRefset_LanguageSnapshot-en_INT_20240101.txt")});
  auto c = st.Lookup(kSct, "1000004");
  ASSERT_TRUE(c.ok() && c->has_value());
  const Concept& k = **c;
  EXPECT_EQ(k.version, "20240101");
  EXPECT_EQ(k.display, "Glucoxate disorder");  // the US English preferred synonym, not the acceptable one
  // FSN and the two active synonyms; not the inactive synonym or the definition.
  ASSERT_EQ(k.designations.size(), 3u);
  EXPECT_EQ(k.designations[0].use_code, "900000000000003001");
  EXPECT_EQ(k.designations[0].value, "Glucoxate disorder (disorder)");
  EXPECT_EQ(PropertyOf(k, "sufficientlyDefined"), "true");
  // No preferred synonym in the language file: the FSN.
  auto two = st.Lookup(kSct, "1000005");
  ASSERT_TRUE(two.ok() && two->has_value());
  EXPECT_EQ((*two)->display, "Glucoxate disorder of type two (disorder)");
  EXPECT_EQ(PropertyOf(**two, "parent"), "1000004,1000003");
  // Inactive concepts are not loaded.
  auto gone = st.Lookup(kSct, "1000006");
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
  // is-a: only active 116680003 rows (not the attribute row, not the inactive is-a row).
  EXPECT_EQ(Subsumes(kSct, "1000001", "1000005"), Subsumption::kSubsumes);
  EXPECT_EQ(Subsumes(kSct, "1000005", "1000003"), Subsumption::kSubsumedBy);
  EXPECT_EQ(Subsumes(kSct, "1000007", "1000005"), Subsumption::kNotSubsumed);
  EXPECT_EQ(Subsumes(kSct, "1000004", "1000004"), Subsumption::kEquivalent);

  // A value set filter over the loaded hierarchy.
  WriteFile(dir_.path() + "/vs.json", R"({"resourceType":"ValueSet","url":"urn:test:disorders","compose":{
    "include":[{"system":"http://snomed.info/sct","filter":[{"property":"concept","op":"is-a","value":"1000003"}]}],
    "exclude":[{"system":"http://snomed.info/sct","concept":[{"code":"1000004"}]}]}})");
  store_.reset();
  ASSERT_TRUE(ImportInto(dir_.db(), {dir_.path() + "/vs.json"}).ok());
  store_ = OpenReadOnly(dir_.db());
  EXPECT_TRUE(Member(kSct, "1000003", "urn:test:disorders"));
  EXPECT_TRUE(Member(kSct, "1000005", "urn:test:disorders"));
  EXPECT_FALSE(Member(kSct, "1000004", "urn:test:disorders"));  // excluded
  EXPECT_FALSE(Member(kSct, "1000002", "urn:test:disorders"));  // above the filter's root
  auto exp = store_->Expand("urn:test:disorders", {});
  ASSERT_TRUE(exp.ok()) << exp.status().ToString();
  EXPECT_EQ(exp->total, 2u);
}

TEST_F(ReleaseLoaders, SnomedBadLineNamesThePosition) {
  std::string concepts = dir_.path() + "/sct2_Concept_Snapshot_INT_20240101.txt";
  WriteFile(concepts, "id\teffectiveTime\tactive\tmoduleId\tdefinitionStatusId\n1\t2\t1\t3\t4\n5\t6\t1\n");
  Status s = ImportInto(dir_.db(), {concepts});
  EXPECT_EQ(s.code(), StatusCode::kParseError) << s.ToString();
  EXPECT_NE(s.message().find("sct2_Concept_Snapshot_INT_20240101.txt:3: 3 tab-separated fields"), std::string_view::npos)
      << s.ToString();
}

TEST_F(ReleaseLoaders, Icd10CmOrderFile) {
  Store& st = Load({Release("icd10cm/icd10cm_order_2024.txt")});
  auto c = st.Lookup(kIcd, "A90.119A");
  ASSERT_TRUE(c.ok() && c->has_value()) << c.status().ToString();
  EXPECT_EQ((*c)->version, "2024");
  EXPECT_EQ((*c)->display, "Synthetic infectious disease, type one, early stage, initial encounter");
  EXPECT_EQ(PropertyOf(**c, "header"), "false");
  ASSERT_EQ((*c)->designations.size(), 1u);
  EXPECT_EQ((*c)->designations[0].value, "Synth inf type one early, init");
  auto cat = st.Lookup(kIcd, "A90");
  ASSERT_TRUE(cat.ok() && cat->has_value());
  EXPECT_EQ(PropertyOf(**cat, "header"), "true");
  // Hierarchy by code prefix: A90.119A -> A90.11 -> A90.1 -> A90 (A90.119 is not in the file).
  EXPECT_EQ(Subsumes(kIcd, "A90", "A90.119A"), Subsumption::kSubsumes);
  EXPECT_EQ(Subsumes(kIcd, "A90.11", "A90.119A"), Subsumption::kSubsumes);
  EXPECT_EQ(Subsumes(kIcd, "A90.0", "A90.119A"), Subsumption::kNotSubsumed);
  EXPECT_EQ(Subsumes(kIcd, "B91", "A90"), Subsumption::kNotSubsumed);
  auto dotted_only = st.Lookup(kIcd, "A90119A");
  ASSERT_TRUE(dotted_only.ok());
  EXPECT_FALSE(dotted_only->has_value());
}

TEST_F(ReleaseLoaders, Icd10CmBadLine) {
  std::string path = dir_.path() + "/icd10cm_order_2024.txt";
  WriteFile(path, "00001 A90     0 Short                                                        Long\n00002 A90.1   2 x\n");
  Status s = ImportInto(dir_.db(), {path});
  EXPECT_EQ(s.code(), StatusCode::kParseError) << s.ToString();
  EXPECT_NE(s.message().find("icd10cm_order_2024.txt:2: not an ICD-10-CM order-file line"), std::string_view::npos)
      << s.ToString();
}

// ---- ImportSink ---------------------------------------------------------------------------------

// Loinc.csv rows and ICD-10-CM order-file lines go to the sink as they are converted: the import holds no
// parsed concept of them (ImportReport::peak_held_entries, the importer's own accounting), only codes.
TEST_F(ReleaseLoaders, TableRowsGoToTheSinkAsRead) {
  constexpr int kRows = 4000;
  std::string loinc = "\"LOINC_NUM\",\"STATUS\",\"LONG_COMMON_NAME\",\"VersionLastChanged\"\n";
  for (int i = 0; i < kRows; ++i) {
    loinc += fmt::format("\"{}-0\",\"{}\",\"Analyte {}\",\"2.{}\"\n", i, i % 7 == 0 ? "DEPRECATED" : "ACTIVE", i,
                         70 + i % 9);
  }
  WriteFile(dir_.path() + "/Loinc.csv", loinc);
  // Categories A00..A39, each with ten one-digit and 89 two-digit subcodes, written in reverse: every child
  // comes before its parent (the loader reads the file twice, so the hierarchy does not depend on order).
  std::vector<std::string> raws;
  for (int i = 0; i < kRows; ++i) {
    int cat = i / 100, sub = i % 100;
    if (sub == 0) {
      raws.push_back(fmt::format("A{:02}", cat));
    } else if (sub <= 10) {
      raws.push_back(fmt::format("A{:02}{}", cat, sub - 1));
    } else {
      raws.push_back(fmt::format("A{:02}{}{}", cat, (sub - 11) / 10, (sub - 11) % 10));
    }
  }
  std::string icd;
  for (int i = 0; i < kRows; ++i) {
    const std::string& raw = raws[kRows - 1 - i];
    icd += fmt::format("{:05} {:<7} {} {:<60} Long {}\n", i + 1, raw, raw.size() == 3 ? 0 : 1, "Short", raw);
  }
  WriteFile(dir_.path() + "/icd10cm_order_2023.txt", icd);
  ImportReport rep;
  Status s = ImportInto(dir_.db(), {dir_.path() + "/Loinc.csv", dir_.path() + "/icd10cm_order_2023.txt"}, {}, &rep);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(rep.peak_held_entries, 0u);
  ASSERT_EQ(rep.items.size(), 2u);
  store_ = OpenReadOnly(dir_.db());
  ASSERT_TRUE(store_);
  auto c = store_->Lookup(kLoinc, "3999-0");
  ASSERT_TRUE(c.ok() && c->has_value()) << c.status().ToString();
  EXPECT_EQ((*c)->version, "2.78");
  EXPECT_EQ((*c)->display, "Analyte 3999");
  auto d = store_->Lookup(kLoinc, "7-0");
  ASSERT_TRUE(d.ok() && d->has_value());
  EXPECT_EQ((*d)->status, "deprecated");
  auto sub = store_->Lookup(kIcd, "A39.88");
  ASSERT_TRUE(sub.ok() && sub->has_value()) << sub.status().ToString();
  EXPECT_EQ((*sub)->version, "2023");
  EXPECT_EQ((*sub)->display, "Long A3988");
  EXPECT_EQ(Subsumes(kIcd, "A39", "A39.88"), Subsumption::kSubsumes);
  EXPECT_EQ(Subsumes(kIcd, "A39.8", "A39.88"), Subsumption::kSubsumes);
  EXPECT_EQ(Subsumes(kIcd, "A39.9", "A39.88"), Subsumption::kNotSubsumed);
  EXPECT_EQ(store_->stats().concepts, static_cast<uint64_t>(2 * kRows));
}

TEST(ImportSinkTest, MergesRunsDropsOwnersUnitesParents) {
  TempDir dir;
  rocksdb::Options options;
  // A budget of 1 KiB: many runs.
  ImportSink sink(dir.path() + "/tmp", options, 1024);
  uint32_t kept = sink.NewOwner(), dropped = sink.NewOwner();
  for (int i = 0; i < 500; ++i) {
    std::string k = "C" + std::to_string(1000 + (i * 7919) % 500);
    ASSERT_TRUE(sink.Put(kept, k, "v" + std::to_string(i)).ok());
  }
  ASSERT_TRUE(sink.Put(dropped, "Cdropped", "x").ok());
  ASSERT_TRUE(sink.Delete(0, "Cgone").ok());
  ASSERT_TRUE(sink.Delete(0, "C1000").ok());  // a delete loses to a put of the same key, whatever the order
  ASSERT_TRUE(sink.Put(kept, "Hx", EncodeParents({"a", "b"})).ok());
  ASSERT_TRUE(sink.Put(kept, "Hx", EncodeParents({"b", "c"})).ok());
  sink.Drop(dropped);
  EXPECT_GT(sink.runs(), 5u);
  auto files = sink.Finish(nullptr);
  ASSERT_TRUE(files.ok()) << files.status().ToString();
  ASSERT_FALSE(files->empty());
  EXPECT_EQ(sink.puts_written(), 501u);  // 500 codes + Hx

  rocksdb::Options o;
  o.create_if_missing = true;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(o, dir.path() + "/db", &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), "Cgone", "old").ok());
  ASSERT_TRUE(db->IngestExternalFile(*files, rocksdb::IngestExternalFileOptions()).ok());
  std::string v;
  EXPECT_TRUE(db->Get(rocksdb::ReadOptions(), "Cgone", &v).IsNotFound());
  EXPECT_TRUE(db->Get(rocksdb::ReadOptions(), "Cdropped", &v).IsNotFound());
  ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), "C1000", &v).ok());
  EXPECT_EQ(v, "v0");
  ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), "Hx", &v).ok());
  EXPECT_EQ(v, EncodeParents({"a", "b", "c"}));
  // Each code was put once: the value of its put.
  ASSERT_TRUE(db->Get(rocksdb::ReadOptions(), "C" + std::to_string(1000 + (123 * 7919) % 500), &v).ok());
  EXPECT_EQ(v, "v123");
}

// A streamed CodeSystem given twice in one import: the last wins, the first one's streamed records are gone.
TEST(StreamedImport, LastOfTwoStreamedVersionsWinsAndCaseSensitiveAfterConceptsIsReparsed) {
  TempDir dir;
  WriteFile(dir.path() + "/a.json",
            R"({"resourceType":"CodeSystem","url":"urn:t","version":"1","concept":[{"code":"OLD"},{"code":"B","display":"b1"}]})");
  WriteFile(dir.path() + "/b.json",
            R"({"resourceType":"CodeSystem","url":"urn:t","version":"1","concept":[{"code":"B","display":"b2",
                "concept":[{"code":"C"}]}]})");
  // caseSensitive after the concepts: keys must still be folded.
  WriteFile(dir.path() + "/c.json",
            R"({"resourceType":"CodeSystem","url":"urn:ci","concept":[{"code":"Abc"}],"caseSensitive":false})");
  ASSERT_TRUE(ImportInto(dir.db(), {dir.path() + "/a.json", dir.path() + "/b.json", dir.path() + "/c.json"}).ok());
  auto st = OpenReadOnly(dir.db());
  auto old = st->Lookup("urn:t", "OLD");
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(old->has_value());
  auto b = st->Lookup("urn:t", "B");
  ASSERT_TRUE(b.ok() && b->has_value());
  EXPECT_EQ((*b)->display, "b2");
  auto sub = st->Subsumes("urn:t", "B", "C");
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(*sub, Subsumption::kSubsumes);
  auto ci = st->Lookup("urn:ci", "aBC");
  ASSERT_TRUE(ci.ok() && ci->has_value()) << ci.status().ToString();
  EXPECT_EQ((*ci)->code, "Abc");
}

}  // namespace
}  // namespace crosswalk::term
