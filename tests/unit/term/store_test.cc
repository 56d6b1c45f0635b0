// Terminology store against a real RocksDB directory: import, lookup, validate, translate, versions,
// value sets, bad input, concurrent readers.
#include <atomic>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "crosswalk/terminology.h"
#include "term/model.h"
#include "term_test_util.h"

namespace crosswalk::term {
namespace {

using testing::Fixture;
using testing::ImportInto;
using testing::kGender;
using testing::kIg;
using testing::OpenReadOnly;
using testing::OpenWritable;
using testing::TempDir;
using testing::V2;

std::vector<std::string> BaseFiles() {
  return {Fixture("v2-codesystems-utg.ndjson"), Fixture("CodeSystem-administrative-gender.json"),
          Fixture("CodeSystem-observation-status.json"), Fixture("v2-to-fhir-ig-conceptmaps.ndjson"),
          Fixture("ConceptMap-cm-administrative-gender-v2.json"), Fixture("ConceptMap-101.json")};
}

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ImportReport report;
    Status s = ImportInto(dir_.db(), BaseFiles(), {}, &report);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_EQ(report.items.size(), 4u + 2u + 3u + 2u);
    store_ = OpenReadOnly(dir_.db());
    ASSERT_NE(store_, nullptr);
  }
  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, LookupRealV2Table) {
  auto r = store_->Lookup(V2("0001"), "F");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(r->has_value());
  const Concept& c = **r;
  EXPECT_EQ(c.system, V2("0001"));
  EXPECT_EQ(c.version, "3.0.0");
  EXPECT_EQ(c.code, "F");
  EXPECT_EQ(c.display, "Female");
  EXPECT_EQ(c.status, "active");
  ASSERT_FALSE(c.designations.empty());
  EXPECT_EQ(c.designations[0].language, "de");
  bool has_status = false;
  for (const auto& p : c.properties) has_status = has_status || (p.code == "status" && p.value == "active");
  EXPECT_TRUE(has_status);

  auto missing = store_->Lookup(V2("0001"), "nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());

  auto no_system = store_->Lookup("urn:example:none", "F");
  EXPECT_EQ(no_system.status().code(), StatusCode::kNotFound);
  auto bad_version = store_->Lookup(V2("0001"), "F", "9.9");
  EXPECT_EQ(bad_version.status().code(), StatusCode::kNotFound);
  auto explicit_version = store_->Lookup(V2("0001"), "F", "3.0.0");
  ASSERT_TRUE(explicit_version.ok());
  EXPECT_TRUE(explicit_version->has_value());
}

TEST_F(StoreTest, ValidateInCodeSystem) {
  EXPECT_TRUE(*store_->Validate(V2("0203"), "MR"));
  EXPECT_FALSE(*store_->Validate(V2("0203"), "NOT-A-CODE"));
  EXPECT_EQ(store_->Validate("urn:none", "x").status().code(), StatusCode::kNotFound);
}

TEST_F(StoreTest, TranslateThroughIgMaps) {
  std::string map = std::string(kIg) + "table-hl70001-to-administrative-gender";
  auto t = store_->Translate(map, V2("0001"), "F");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_TRUE(t->found);
  EXPECT_EQ(t->target_system, kGender);
  EXPECT_EQ(t->target_code, "female");
  EXPECT_EQ(t->target_display, "Female");
  EXPECT_EQ(t->equivalence, "equivalent");
  EXPECT_EQ(t->map_url, map);

  auto a = store_->Translate(map, V2("0001"), "A");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->target_code, "other");

  // Empty map URL: found through the index by source system.
  auto enc = store_->Translate("", V2("0004"), "E");
  ASSERT_TRUE(enc.ok());
  ASSERT_TRUE(enc->found);
  EXPECT_EQ(enc->target_code, "EMER");
  EXPECT_EQ(enc->target_system, "http://terminology.hl7.org/CodeSystem/v3-ActCode");
  // With a target system that the map also has (v2-0004 rows) but not for this code: not found.
  auto enc2 = store_->Translate("", V2("0004"), "R", V2("0004"));
  ASSERT_TRUE(enc2.ok());
  EXPECT_TRUE(enc2->found);
  EXPECT_EQ(enc2->target_code, "R");
  auto enc3 = store_->Translate("", V2("0004"), "E", V2("0004"));
  ASSERT_TRUE(enc3.ok());
  EXPECT_FALSE(enc3->found);

  // 0085 "B" is listed without a FHIR code: explicitly unmatched.
  auto b = store_->Translate(std::string(kIg) + "table-hl70085-to-observation-status", V2("0085"), "B");
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(b->found);
  EXPECT_EQ(b->equivalence, "unmatched");

  // The reverse R4 map with two targets: document order.
  auto other = store_->Translate("http://hl7.org/fhir/ConceptMap/cm-administrative-gender-v2", kGender, "other");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->target_code, "A");
  EXPECT_EQ(other->equivalence, "wider");
  EXPECT_EQ(other->target_display, "Ambiguous");  // filled from the v2-0001 code system

  EXPECT_EQ(store_->Translate("urn:no-such-map", V2("0001"), "F").status().code(), StatusCode::kNotFound);
  auto none = store_->Translate("", "urn:no-source", "F");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->found);
}

// The runtime translates with no source system (a map author names the map, not the v2 table URL): each
// of the map's groups is tried in key order. A canonical "url|version" pins the map version.
TEST_F(StoreTest, TranslateWithoutSourceSystemAndWithPinnedVersion) {
  std::string map = std::string(kIg) + "table-hl70001-to-administrative-gender";
  auto t = store_->Translate(map, "", "F");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_TRUE(t->found);
  EXPECT_EQ(t->target_code, "female");
  auto none = store_->Translate(map, "", "no-such-code");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->found);

  std::string version(t->map_version);
  ASSERT_FALSE(version.empty());
  auto pinned = store_->Translate(map + "|" + version, "", "M");
  ASSERT_TRUE(pinned.ok()) << pinned.status().ToString();
  ASSERT_TRUE(pinned->found);
  EXPECT_EQ(pinned->target_code, "male");
  // A pinned version the store lacks is not found, never "no mapping".
  auto wrong = store_->Translate(map + "|no-such-version", "", "M");
  EXPECT_EQ(wrong.status().code(), StatusCode::kNotFound);
}

TEST_F(StoreTest, UnmappedFixedFromRealMap) {
  // ConceptMap 101 (FHIR R4 example): address-use -> v3 AddressUse, unmapped fixed "temp".
  auto t = store_->Translate("http://hl7.org/fhir/ConceptMap/101", "http://hl7.org/fhir/address-use", "billing");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_TRUE(t->found);
  EXPECT_EQ(t->target_code, "temp");
  EXPECT_EQ(t->equivalence, "unmapped-fixed");
}

TEST_F(StoreTest, CheckHas) {
  EXPECT_TRUE(store_->CheckHas(ResourceKind::kCodeSystem, V2("0001")).ok());
  EXPECT_TRUE(store_->CheckHas(ResourceKind::kCodeSystem, V2("0001"), "3.0.0").ok());
  EXPECT_EQ(store_->CheckHas(ResourceKind::kCodeSystem, V2("0001"), "2.0").code(), StatusCode::kNotFound);
  EXPECT_TRUE(store_->CheckHas(ResourceKind::kConceptMap, std::string(kIg) + "table-hl70004-to-v3-actcode").ok());
  Status missing = store_->CheckHas(ResourceKind::kValueSet, "urn:none");
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_NE(missing.message().find("ValueSet"), std::string_view::npos);
}

TEST_F(StoreTest, StatsAndCache) {
  Stats st = store_->stats();
  EXPECT_EQ(st.code_systems, 6u);
  EXPECT_EQ(st.concept_maps, 5u);
  EXPECT_GT(st.concepts, 150u);
  auto first = store_->Translate("", V2("0001"), "M");
  auto second = store_->Translate("", V2("0001"), "M");
  ASSERT_TRUE(first.ok() && second.ok());
  // Same cache entry: the very same memory.
  EXPECT_EQ(first->target_code.data(), second->target_code.data());
  Stats after = store_->stats();
  EXPECT_GE(after.cache_hits, 1u);
  EXPECT_GE(after.cache_entries, 1u);
}

TEST_F(StoreTest, WritableRejectsSecondWriterAndReadOnlyRejectsImport) {
  Status s = store_->Import({Fixture("epic-sex.csv")});
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  auto w = OpenWritable(dir_.db());
  ASSERT_NE(w, nullptr);
  OpenOptions o;
  o.read_only = false;
  auto second = Store::Open(dir_.db(), o);  // RocksDB LOCK held by `w`
  EXPECT_FALSE(second.ok());
}

TEST(StoreOpen, MissingDirectoryIsNotFound) {
  TempDir dir;
  auto s = Store::Open(dir.path() + "/nothing-here");
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound);
}

TEST(StoreImport, CsvCanonicalColumnsAndDerivedUrl) {
  TempDir dir;
  ImportReport report;
  ASSERT_TRUE(ImportInto(dir.db(), {Fixture("local-lab-codes.csv")}, {}, &report).ok());
  ASSERT_EQ(report.items.size(), 1u);
  EXPECT_EQ(report.items[0].url, "urn:crosswalk:conceptmap:local-lab-codes");
  EXPECT_EQ(report.items[0].entries, 5u);
  auto store = OpenReadOnly(dir.db());
  auto t = store->Translate("urn:crosswalk:conceptmap:local-lab-codes", "urn:example:lab", "NA,SER");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->target_code, "2951-2");
  EXPECT_EQ(t->target_display, "Sodium [Moles/volume] in Serum or Plasma");
  auto k = store->Translate("", "urn:example:lab", "K");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->target_code, "2823-3");
  EXPECT_EQ(k->equivalence, "wider");
  auto xyz = store->Translate("", "urn:example:lab", "XYZ");
  ASSERT_TRUE(xyz.ok());
  EXPECT_FALSE(xyz->found);
  EXPECT_EQ(xyz->equivalence, "unmatched");
  EXPECT_EQ(DerivedCsvMapUrl("dir/Local Lab Codes (v2).CSV"), "urn:crosswalk:conceptmap:local-lab-codes-v2");
}

TEST(StoreImport, CsvMappedColumns) {
  TempDir dir;
  ImportOptions opts;
  for (const char* a : {"source_system=LocalSystem", "source_code=LocalCode", "source_display=LocalName",
                        "target_system=FhirSystem", "target_code=FhirCode", "map_url=Map", "map_version=Ver"}) {
    ASSERT_TRUE(opts.csv_columns.Set(a).ok()) << a;
  }
  EXPECT_EQ(opts.csv_columns.Set("nonsense=X").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(opts.csv_columns.Set("source_code").code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(ImportInto(dir.db(), {Fixture("epic-sex.csv")}, opts).ok());
  auto store = OpenReadOnly(dir.db());
  auto t = store->Translate("urn:example:map:epic-sex", "urn:example:epic:sex", "1");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->target_code, "female");
  EXPECT_EQ(t->map_version, "2");
  EXPECT_TRUE(store->CheckHas(ResourceKind::kConceptMap, "urn:example:map:epic-sex", "2").ok());
  // Without the mapping the header lacks the canonical columns: a clear error.
  TempDir dir2;
  Status s = ImportInto(dir2.db(), {Fixture("epic-sex.csv")});
  EXPECT_EQ(s.code(), StatusCode::kParseError);
  EXPECT_NE(s.message().find("epic-sex.csv:1: no column for source_system"), std::string_view::npos)
      << s.ToString();
}

TEST(StoreImport, ValueSetIncludeExcludeExpansion) {
  TempDir dir;
  ASSERT_TRUE(ImportInto(dir.db(), {Fixture("v2-codesystems-utg.ndjson"), Fixture("CodeSystem-administrative-gender.json"),
                                    Fixture("valuesets-bundle.json"), Fixture("ValueSet-ucum-common-units.json")})
                  .ok());
  auto store = OpenReadOnly(dir.db());
  // Whole system include minus listed excludes.
  EXPECT_TRUE(*store->Validate(V2("0001"), "F", "urn:example:vs:sex-no-unknown"));
  EXPECT_FALSE(*store->Validate(V2("0001"), "U", "urn:example:vs:sex-no-unknown"));
  EXPECT_FALSE(*store->Validate(V2("0001"), "N", "urn:example:vs:sex-no-unknown"));
  EXPECT_FALSE(*store->Validate(V2("0001"), "ZZ", "urn:example:vs:sex-no-unknown"));  // not in the system
  EXPECT_FALSE(*store->Validate(V2("0004"), "E", "urn:example:vs:sex-no-unknown"));   // other system
  // Listed concepts.
  EXPECT_TRUE(*store->Validate(V2("0085"), "F", "urn:example:vs:result-status-final"));
  EXPECT_FALSE(*store->Validate(V2("0085"), "P", "urn:example:vs:result-status-final"));
  // Explicit expansion decides.
  EXPECT_TRUE(*store->Validate(kGender, "male", "urn:example:vs:expanded"));
  EXPECT_FALSE(*store->Validate(kGender, "other", "urn:example:vs:expanded"));
  // Filters are evaluated: MR is listed; SS is not below "XX" (not a code of the flat table 0203).
  EXPECT_TRUE(*store->Validate(V2("0203"), "MR", "urn:example:vs:filtered"));
  EXPECT_FALSE(*store->Validate(V2("0203"), "SS", "urn:example:vs:filtered"));
  // A real value set (IZ Gateway UCUM units).
  EXPECT_TRUE(*store->Validate("http://unitsofmeasure.org", "mg/dL", "https://izgateway.org/fhir/ValueSet/ucum-common-units"));
  EXPECT_FALSE(*store->Validate("http://unitsofmeasure.org", "no-such-unit",
                                "https://izgateway.org/fhir/ValueSet/ucum-common-units"));
  EXPECT_EQ(store->Validate(V2("0001"), "F", "urn:none").status().code(), StatusCode::kNotFound);
}

TEST(StoreImport, UnmappedProvidedAndOtherMap) {
  TempDir dir;
  ASSERT_TRUE(ImportInto(dir.db(), {Fixture("unmapped-rules.json")}).ok());
  auto store = OpenReadOnly(dir.db());
  auto p = store->Translate("urn:example:map:provided", "urn:example:local", "zz");
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->found);
  EXPECT_EQ(p->target_code, "zz");
  EXPECT_EQ(p->target_system, "urn:example:remote");
  EXPECT_EQ(p->equivalence, "unmapped-provided");
  auto o = store->Translate("urn:example:map:other", "urn:example:local", "a");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->target_code, "A");
  EXPECT_EQ(o->map_url, "urn:example:map:provided");
  auto loop = store->Translate("urn:example:map:loop", "urn:example:local", "a");
  EXPECT_EQ(loop.status().code(), StatusCode::kLimitExceeded);
}

TEST(StoreImport, VersionsAndCurrentPointer) {
  TempDir dir;
  ASSERT_TRUE(ImportInto(dir.db(), {Fixture("v2-codesystems-r4.ndjson")}).ok());   // 0001 version 2.9
  {
    auto store = OpenReadOnly(dir.db());
    auto c = store->Lookup(V2("0001"), "F");
    ASSERT_TRUE(c.ok() && c->has_value());
    EXPECT_EQ((*c)->version, "2.9");
  }
  ASSERT_TRUE(ImportInto(dir.db(), {Fixture("v2-codesystems-utg.ndjson")}).ok());  // 0001 version 3.0.0
  {
    auto store = OpenReadOnly(dir.db());
    EXPECT_EQ((*store->Lookup(V2("0001"), "F"))->version, "3.0.0");       // current moved
    EXPECT_EQ((*store->Lookup(V2("0001"), "F", "2.9"))->version, "2.9");  // old one beside it
    EXPECT_EQ(store->stats().code_system_versions, 2u + 4u);
  }
  // Re-importing the older version does not make it current again (highest version wins).
  ASSERT_TRUE(ImportInto(dir.db(), {Fixture("v2-codesystems-r4.ndjson")}).ok());
  {
    auto store = OpenReadOnly(dir.db());
    EXPECT_EQ((*store->Lookup(V2("0001"), "F"))->version, "3.0.0");
  }
  // --make-current: the imported version, even a lower one.
  ImportOptions make;
  make.current = ImportOptions::CurrentPolicy::kImported;
  ASSERT_TRUE(ImportInto(dir.db(), {Fixture("v2-codesystems-r4.ndjson")}, make).ok());
  {
    auto store = OpenReadOnly(dir.db());
    EXPECT_EQ((*store->Lookup(V2("0001"), "F"))->version, "2.9");
  }
  // --keep-current: the pointer stays where it is, even below the highest version.
  ImportOptions keep;
  keep.current = ImportOptions::CurrentPolicy::kKeep;
  ASSERT_TRUE(ImportInto(dir.db(), {Fixture("v2-codesystems-utg.ndjson")}, keep).ok());
  {
    auto store = OpenReadOnly(dir.db());
    EXPECT_EQ((*store->Lookup(V2("0001"), "F"))->version, "2.9");  // pointer kept
  }
}

TEST(StoreImport, ReimportReplacesVersion) {
  TempDir dir;
  TempDir files;
  std::string v1 = files.path() + "/cs1.json", v2 = files.path() + "/cs2.json";
  std::ofstream(v1) << R"({"resourceType":"CodeSystem","url":"urn:example:cs","version":"1",
    "concept":[{"code":"a","display":"A one"},{"code":"b","display":"B one"}]})";
  std::ofstream(v2) << R"({"resourceType":"CodeSystem","url":"urn:example:cs","version":"1",
    "concept":[{"code":"a","display":"A two"},{"code":"c","display":"C two"}]})";
  ASSERT_TRUE(ImportInto(dir.db(), {v1}).ok());
  ImportReport report;
  ASSERT_TRUE(ImportInto(dir.db(), {v2}, {}, &report).ok());
  ASSERT_EQ(report.items.size(), 1u);
  EXPECT_TRUE(report.items[0].replaced);
  EXPECT_EQ(report.keys_deleted, 2u);
  auto store = OpenReadOnly(dir.db());
  EXPECT_EQ((*store->Lookup("urn:example:cs", "a"))->display, "A two");
  EXPECT_FALSE(store->Lookup("urn:example:cs", "b")->has_value());  // old key gone
  EXPECT_TRUE(store->Lookup("urn:example:cs", "c")->has_value());
  EXPECT_EQ(store->stats().concepts, 2u);
}

TEST(StoreImport, ImportThroughOpenStoreKeepsOldViewsValid) {
  TempDir dir;
  auto store = OpenWritable(dir.db());
  ASSERT_TRUE(store->Import({Fixture("v2-codesystems-r4.ndjson")}).ok());
  auto before = store->Lookup(V2("0001"), "F");
  ASSERT_TRUE(before.ok() && before->has_value());
  std::string_view display = (*before)->display;
  ASSERT_TRUE(store->Import({Fixture("v2-codesystems-utg.ndjson")}).ok());
  EXPECT_EQ(display, "Female");  // still readable: cache memory is retired, not freed
  EXPECT_EQ((*store->Lookup(V2("0001"), "F"))->version, "3.0.0");
}

// ---- bad input: error with position, store unchanged ----

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(ImportInto(dir_.db(), {Fixture("v2-codesystems-r4.ndjson")}).ok());
  }
  void ExpectUnchanged() {
    auto store = OpenReadOnly(dir_.db());
    Stats st = store->stats();
    EXPECT_EQ(st.code_systems, 2u);
    EXPECT_EQ(st.concept_maps, 0u);
    EXPECT_EQ((*store->Lookup(V2("0001"), "F"))->version, "2.9");
    EXPECT_EQ(store->Lookup("urn:example:ok", "a").status().code(), StatusCode::kNotFound);
  }
  Status Import(const std::vector<std::string>& files) {
    // A good file first: it must not be written either.
    std::vector<std::string> all = {Fixture("local-lab-codes.csv")};
    all.insert(all.end(), files.begin(), files.end());
    return ImportInto(dir_.db(), all);
  }
  TempDir dir_;
};

TEST_F(BadInputTest, CsvRowNamesFileAndLine) {
  Status s = Import({Fixture("bad-row.csv")});
  EXPECT_EQ(s.code(), StatusCode::kParseError);
  EXPECT_NE(s.message().find("bad-row.csv:4: empty source_code"), std::string_view::npos) << s.ToString();
  ExpectUnchanged();
}

TEST_F(BadInputTest, CsvQuotedMultilineThenBadEquivalence) {
  Status s = Import({Fixture("bad-equivalence.csv")});
  EXPECT_NE(s.message().find("bad-equivalence.csv:3: unknown equivalence 'same-ish'"), std::string_view::npos)
      << s.ToString();
  ExpectUnchanged();
}

TEST_F(BadInputTest, NdjsonNamesLineAndPointer) {
  Status s = Import({Fixture("bad-concept.ndjson")});
  EXPECT_EQ(s.code(), StatusCode::kParseError);
  EXPECT_NE(s.message().find("bad-concept.ndjson:2 at /concept/1/code: missing 'code'"), std::string_view::npos)
      << s.ToString();
  ExpectUnchanged();
}

TEST_F(BadInputTest, JsonSyntaxNamesLineAndColumn) {
  Status s = Import({Fixture("bad-syntax.json")});
  EXPECT_EQ(s.code(), StatusCode::kParseError);
  EXPECT_NE(s.message().find("bad-syntax.json:2:"), std::string_view::npos) << s.ToString();
  ExpectUnchanged();
}

TEST_F(BadInputTest, BundleNamesPointer) {
  Status s = Import({Fixture("bad-bundle.json")});
  EXPECT_NE(s.message().find("bad-bundle.json at /entry/1/resource/group/0/element/0/target/0/equivalence"),
            std::string_view::npos)
      << s.ToString();
  ExpectUnchanged();
}

TEST_F(BadInputTest, MissingFile) {
  Status s = Import({Fixture("does-not-exist.json")});
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  ExpectUnchanged();
}

TEST_F(BadInputTest, HookAbortWritesNothing) {
  ImportOptions o;
  o.before_commit = [] { return Internal("abort for test"); };
  Status s = ImportInto(dir_.db(), {Fixture("local-lab-codes.csv"), Fixture("valuesets-bundle.json")}, o);
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  ExpectUnchanged();
}

// ---- concurrent readers ----

TEST_F(StoreTest, ConcurrentReadersOnTwoReadOnlyStores) {
  auto second = OpenReadOnly(dir_.db());  // a second read-only open of the same directory
  ASSERT_NE(second, nullptr);
  const std::string map = std::string(kIg) + "table-hl70001-to-administrative-gender";
  const char* v2codes[] = {"F", "M", "O", "U", "A", "N", "X"};
  const char* fhir[] = {"female", "male", "other", "unknown", "other", "other", ""};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    Store* s = (t % 2 == 0) ? store_.get() : second.get();
    threads.emplace_back([&, s, t] {
      for (int i = 0; i < 3000; ++i) {
        int k = (i + t) % 7;
        auto r = s->Translate(map, V2("0001"), v2codes[k]);
        if (!r.ok() || r->found != (fhir[k][0] != '\0') || r->target_code != fhir[k]) ++failures;
        auto c = s->Lookup(V2("0203"), (i % 2) ? "MR" : "SS");
        if (!c.ok() || !c->has_value() || (*c)->display.empty()) ++failures;
        auto v = s->Validate(V2("0004"), (i % 3) ? "E" : "nope");
        if (!v.ok() || *v != ((i % 3) != 0)) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(store_->stats().cache_hits, 10000u);
}

}  // namespace
}  // namespace crosswalk::term
