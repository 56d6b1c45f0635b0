// Streamed import of what used to be held whole (issue 15): the entries of a Bundle and the lines of an
// NDJSON file go to the import sink as each is converted, and a root ConceptMap's group elements go there as
// each closes. The memory bound is checked by the importer's own accounting (ImportReport::peak_held_entries:
// the most concepts, map elements and value-set rules held in parsed form at once), on files generated here.
// The answers and the content hashes must be those of the same resources imported the held way.
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "crosswalk/terminology.h"
#include "term_test_util.h"

namespace crosswalk::term {
namespace {

using testing::ImportInto;
using testing::OpenReadOnly;
using testing::TempDir;

void Write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string CsUrl(int i) { return fmt::format("urn:test:cs{}", i); }

// CodeSystem i with n concepts; concept k > 0 has parent (k - 1) / 4 (a `parent` property).
std::string CodeSystemJson(int i, int n) {
  std::string s = fmt::format(R"({{"resourceType":"CodeSystem","url":"{}","version":"1","content":"complete","concept":[)",
                              CsUrl(i));
  for (int k = 0; k < n; ++k) {
    if (k > 0) s += ',';
    s += fmt::format(R"({{"code":"c{}","display":"Concept {} of {}")", k, k, i);
    if (k > 0) s += fmt::format(R"(,"property":[{{"code":"parent","valueCode":"c{}"}}])", (k - 1) / 4);
    s += '}';
  }
  s += "]}";
  return s;
}

std::string ValueSetJson() {
  return R"({"resourceType":"ValueSet","url":"urn:test:vs","version":"1","compose":{"include":[)"
         R"({"system":"urn:test:cs3","filter":[{"property":"concept","op":"is-a","value":"c1"}]}]}})";
}

constexpr const char* kMap = "urn:test:map";

// A ConceptMap with `n` elements in group 0 (source urn:test:src, target urn:test:tgt) and, in group 1 (same
// source, target urn:test:tgt2), every tenth of those codes again. `order` moves keys the way a writer might:
// 0 FHIR order; 1 url and version after the groups; 2 each group's source after its elements.
std::string ConceptMapJson(int n, int order, int bad_equivalence_at = -1) {
  auto group = [&](const char* target, int step, const char* equivalence) {
    std::string els;
    for (int k = 0; k < n; k += step) {
      if (!els.empty()) els += ',';
      const char* eq = k == bad_equivalence_at ? "sameish" : equivalence;
      els += fmt::format(R"({{"code":"s{}","target":[{{"code":"t{}","equivalence":"{}"}}]}})", k, k, eq);
    }
    // A code with no target: stored as unmatched.
    els += fmt::format(R"(,{{"code":"none{}"}})", step);
    if (order == 2) return fmt::format(R"({{"target":"{}","element":[{}],"source":"urn:test:src"}})", target, els);
    return fmt::format(R"({{"source":"urn:test:src","target":"{}","element":[{}]}})", target, els);
  };
  std::string groups = "[" + group("urn:test:tgt", 1, "equivalent") + "," + group("urn:test:tgt2", 10, "wider") + "]";
  if (order == 1) {
    return fmt::format(R"({{"resourceType":"ConceptMap","group":{},"url":"{}","version":"2"}})", groups, kMap);
  }
  return fmt::format(R"({{"resourceType":"ConceptMap","url":"{}","version":"2","group":{}}})", kMap, groups);
}

uint64_t Hash(Store& store, ResourceKind kind, const std::string& url) {
  auto b = store.Bind(kind, url);
  EXPECT_TRUE(b.ok()) << b.status().ToString();
  return b.ok() ? b->content_hash : 0;
}

constexpr int kSystems = 12;
constexpr int kConcepts = 3000;

// Every answer the generated code systems and value set must give, however they were imported.
void CheckCodeSystems(Store& store) {
  for (int i = 0; i < kSystems; ++i) {
    auto c = store.Lookup(CsUrl(i), fmt::format("c{}", kConcepts - 1));
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    ASSERT_TRUE(c->has_value());
    EXPECT_EQ((*c)->display, fmt::format("Concept {} of {}", kConcepts - 1, i));
  }
  auto sub = store.Subsumes(CsUrl(5), "c0", fmt::format("c{}", kConcepts - 1));
  ASSERT_TRUE(sub.ok()) << sub.status().ToString();
  EXPECT_EQ(*sub, Subsumption::kSubsumes);
  // c5's parent is c1; c2's is c0.
  auto in = store.Validate(CsUrl(3), "c5", "urn:test:vs");
  ASSERT_TRUE(in.ok()) << in.status().ToString();
  EXPECT_TRUE(*in);
  auto out = store.Validate(CsUrl(3), "c2", "urn:test:vs");
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_FALSE(*out);
}

TEST(StreamingImport, BundleEntriesGoToTheSinkOneAtATime) {
  TempDir tmp;
  std::string bundle = R"({"resourceType":"Bundle","type":"collection","entry":[)";
  for (int i = 0; i < kSystems; ++i) bundle += fmt::format(R"({{"resource":{}}},)", CodeSystemJson(i, kConcepts));
  bundle += fmt::format(R"({{"resource":{}}}]}})", ValueSetJson());
  Write(tmp.path() + "/bundle.json", bundle);
  ImportReport rep;
  ASSERT_TRUE(ImportInto(tmp.path() + "/db", {tmp.path() + "/bundle.json"}, {}, &rep).ok());
  ASSERT_EQ(rep.items.size(), static_cast<size_t>(kSystems + 1));
  EXPECT_EQ(rep.items[0].entries, static_cast<uint64_t>(kConcepts));
  // One entry's concepts at a time, not the Bundle's 36,000.
  EXPECT_LE(rep.peak_held_entries, static_cast<uint64_t>(kConcepts));
  EXPECT_GE(rep.peak_held_entries, static_cast<uint64_t>(kConcepts));

  // The same resources one per file (a root CodeSystem streams its concepts directly; a root ValueSet is
  // held): same answers, same content hashes.
  std::vector<std::string> files;
  for (int i = 0; i < kSystems; ++i) {
    files.push_back(fmt::format("{}/cs{}.json", tmp.path(), i));
    Write(files.back(), CodeSystemJson(i, kConcepts));
  }
  files.push_back(tmp.path() + "/vs.json");
  Write(files.back(), ValueSetJson());
  ASSERT_TRUE(ImportInto(tmp.path() + "/db2", files).ok());

  auto a = OpenReadOnly(tmp.path() + "/db");
  auto b = OpenReadOnly(tmp.path() + "/db2");
  ASSERT_TRUE(a && b);
  CheckCodeSystems(*a);
  CheckCodeSystems(*b);
  for (int i = 0; i < kSystems; ++i) {
    EXPECT_EQ(Hash(*a, ResourceKind::kCodeSystem, CsUrl(i)), Hash(*b, ResourceKind::kCodeSystem, CsUrl(i)));
  }
  EXPECT_EQ(Hash(*a, ResourceKind::kValueSet, "urn:test:vs"), Hash(*b, ResourceKind::kValueSet, "urn:test:vs"));
}

TEST(StreamingImport, NdjsonLinesGoToTheSinkOneAtATimeAndTheLastVersionWins) {
  TempDir tmp;
  std::string nd;
  // cs0 twice: the second one (fewer concepts) wins, the first one's streamed records are dropped.
  nd += CodeSystemJson(0, 10) + "\n";
  for (int i = 0; i < kSystems; ++i) nd += CodeSystemJson(i, kConcepts) + "\n";
  nd += ValueSetJson() + "\n" + ConceptMapJson(500, 0) + "\n";
  Write(tmp.path() + "/all.ndjson", nd);
  ImportReport rep;
  ASSERT_TRUE(ImportInto(tmp.path() + "/db", {tmp.path() + "/all.ndjson"}, {}, &rep).ok());
  EXPECT_LE(rep.peak_held_entries, static_cast<uint64_t>(kConcepts));
  auto store = OpenReadOnly(tmp.path() + "/db");
  ASSERT_TRUE(store);
  CheckCodeSystems(*store);
  auto t = store->Translate(kMap, "urn:test:src", "s20");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  ASSERT_TRUE(t->found);
  EXPECT_EQ(t->target_code, "t20");
  EXPECT_EQ(store->stats().concepts, static_cast<uint64_t>(kSystems * kConcepts));
}

TEST(StreamingImport, ConceptMapElementsGoToTheSinkAsEachCloses) {
  TempDir tmp;
  constexpr int kElements = 200000;
  Write(tmp.path() + "/map.json", ConceptMapJson(kElements, 0));
  ImportReport rep;
  ASSERT_TRUE(ImportInto(tmp.path() + "/db", {tmp.path() + "/map.json"}, {}, &rep).ok());
  ASSERT_EQ(rep.items.size(), 1u);
  // Unique (source, code) elements: s0..s199999, none1 and none10 (the groups share their source).
  EXPECT_EQ(rep.items[0].entries, static_cast<uint64_t>(kElements + 2));
  EXPECT_LT(rep.peak_held_entries, 1000u);
  auto store = OpenReadOnly(tmp.path() + "/db");
  ASSERT_TRUE(store);
  for (int k : {0, 1, 77777, kElements - 1}) {
    auto t = store->Translate(kMap, "urn:test:src", fmt::format("s{}", k));
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    ASSERT_TRUE(t->found);
    EXPECT_EQ(t->target_code, fmt::format("t{}", k));
    EXPECT_EQ(t->target_system, "urn:test:tgt");
  }
  // A code in both groups: both targets, in document order within the element (merged across groups).
  auto all = store->TranslateAll(kMap, "urn:test:src", "s150");
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].system, "urn:test:tgt");
  EXPECT_EQ((*all)[0].equivalence, "equivalent");
  EXPECT_EQ((*all)[1].system, "urn:test:tgt2");
  EXPECT_EQ((*all)[1].equivalence, "wider");
  auto none = store->Translate(kMap, "urn:test:src", "none1");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->found);
  EXPECT_EQ(none->equivalence, "unmatched");
  TranslateOptions reverse;
  reverse.reverse = true;
  auto back = store->TranslateAll(kMap, "urn:test:tgt2", "t190", reverse);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), 1u);
  EXPECT_EQ((*back)[0].code, "s190");
}

TEST(StreamingImport, ConceptMapStreamedOrHeldStoresTheSameContent) {
  // Order 0 streams; 1 (url after the groups) is held; 2 (a group's source after its elements) streams,
  // finds the assumption wrong at the end and is parsed again the held way.
  TempDir tmp;
  std::vector<uint64_t> hashes;
  for (int order : {0, 1, 2}) {
    std::string file = fmt::format("{}/map{}.json", tmp.path(), order);
    Write(file, ConceptMapJson(3000, order));
    std::string db = fmt::format("{}/db{}", tmp.path(), order);
    ImportReport rep;
    ASSERT_TRUE(ImportInto(db, {file}, {}, &rep).ok()) << order;
    EXPECT_EQ(rep.items[0].entries, 3002u) << order;
    if (order == 0) EXPECT_LT(rep.peak_held_entries, 1000u);
    if (order == 1) EXPECT_GE(rep.peak_held_entries, 3002u);
    auto store = OpenReadOnly(db);
    ASSERT_TRUE(store);
    hashes.push_back(Hash(*store, ResourceKind::kConceptMap, kMap));
    auto all = store->TranslateAll(kMap, "urn:test:src", "s2990");
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    EXPECT_EQ(all->size(), 2u) << order;
  }
  EXPECT_EQ(hashes[0], hashes[1]);
  EXPECT_EQ(hashes[0], hashes[2]);
}

// A ValueSet document with n expansion entries (every tenth with two nested ones, one of them abstract, so
// not a member). url_last: url and version after the expansion (held).
std::string ValueSetExpansionJson(int n, bool url_last) {
  std::string contains;
  for (int k = 0; k < n; ++k) {
    if (k > 0) contains += ',';
    contains += fmt::format(R"({{"system":"urn:test:sys","code":"e{}","display":"Entry {}")", k, k);
    if (k % 10 == 0) {
      contains += fmt::format(R"(,"contains":[{{"system":"urn:test:sys","code":"n{}"}},)"
                              R"({{"system":"urn:test:sys","code":"a{}","abstract":true}}])", k, k);
    }
    contains += '}';
  }
  std::string head = R"("url":"urn:test:expanded","version":"3")";
  std::string compose = R"("compose":{"include":[{"system":"urn:test:sys"}]})";
  std::string expansion = fmt::format(R"("expansion":{{"total":{},"contains":[{}]}})", n, contains);
  if (url_last) return "{\"resourceType\":\"ValueSet\"," + compose + "," + expansion + "," + head + "}";
  return "{\"resourceType\":\"ValueSet\"," + head + "," + compose + "," + expansion + "}";
}

TEST(StreamingImport, ValueSetExpansionEntriesGoToTheSinkAsEachCloses) {
  TempDir tmp;
  constexpr int kEntries = 50000;
  std::vector<uint64_t> hashes;
  for (bool url_last : {false, true}) {
    std::string file = fmt::format("{}/vs{}.json", tmp.path(), url_last);
    Write(file, ValueSetExpansionJson(kEntries, url_last));
    std::string db = fmt::format("{}/db{}", tmp.path(), url_last);
    ImportReport rep;
    ASSERT_TRUE(ImportInto(db, {file}, {}, &rep).ok());
    ASSERT_EQ(rep.items.size(), 1u);
    // The entries (nested ones included, abstract ones not) and the compose include.
    EXPECT_EQ(rep.items[0].entries, static_cast<uint64_t>(kEntries + kEntries / 10 + 1));
    if (url_last) {
      EXPECT_GE(rep.peak_held_entries, static_cast<uint64_t>(kEntries));
    } else {
      EXPECT_LT(rep.peak_held_entries, 1000u);
    }
    auto store = OpenReadOnly(db);
    ASSERT_TRUE(store);
    hashes.push_back(Hash(*store, ResourceKind::kValueSet, "urn:test:expanded"));
    ExpandOptions page;
    page.count = 1;
    auto e = store->Expand("urn:test:expanded", page);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    EXPECT_EQ(e->total, static_cast<uint64_t>(kEntries + kEntries / 10));
    auto in = store->Validate("urn:test:sys", "n49990", "urn:test:expanded");
    ASSERT_TRUE(in.ok()) << in.status().ToString();
    EXPECT_TRUE(*in);
    auto abstract = store->Validate("urn:test:sys", "a10", "urn:test:expanded");
    ASSERT_TRUE(abstract.ok());
    EXPECT_FALSE(*abstract);
  }
  EXPECT_EQ(hashes[0], hashes[1]);
}

TEST(StreamingImport, AStreamedConceptMapErrorNamesTheElementAndWritesNothing) {
  TempDir tmp;
  Write(tmp.path() + "/map.json", ConceptMapJson(20000, 0, 15000));
  Status s = ImportInto(tmp.path() + "/db", {tmp.path() + "/map.json"});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("map.json at /group/0/element/15000/target/0/equivalence: unknown equivalence 'sameish'"),
            std::string::npos)
      << s.message();
  auto store = OpenReadOnly(tmp.path() + "/db");
  ASSERT_TRUE(store);
  auto t = store->Translate(kMap, "urn:test:src", "s1");
  EXPECT_FALSE(t.ok());
}

}  // namespace
}  // namespace crosswalk::term
