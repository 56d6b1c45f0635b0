// The importer's door (issue 14): nesting beyond kMaxImportJsonDepth, duplicate JSON keys, numbers out of
// range, duplicate CSV headers and invalid UTF-8 in CSV are clear errors naming the file and a position
// (line:col or a JSON pointer), never the file's content, never an escaped exception; the store is then
// unchanged. The reproducers of the reported defects (a 10,000-level concept hierarchy that overflowed the
// stack, a 150,000-level expansion that took 6.5 GB) are here as generated files.
#include <signal.h>
#include <sys/resource.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "crosswalk/terminology.h"
#include "term/model.h"
#include "term_test_util.h"

namespace crosswalk::term {
namespace {

using testing::Fixture;
using testing::ImportInto;
using testing::OpenReadOnly;
using testing::OpenWritable;
using testing::TempDir;
using testing::V2;

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Replaces the first `from` in `text` (which must be there) by `to`.
std::string ReplaceOnce(std::string text, const std::string& from, const std::string& to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "fixture no longer contains " << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// A CodeSystem whose concepts nest `levels` deep (concept c1 holds c2 ...); the deepest concept gets an
// empty `concept` array when `empty_tail`, one JSON level more.
std::string NestedCodeSystem(int levels, bool empty_tail) {
  std::string s = R"({"resourceType":"CodeSystem","url":"urn:example:deep","concept":[)";
  for (int i = 1; i <= levels; ++i) {
    s += fmt::format(R"({{"code":"c{}","display":"Level {}")", i, i);
    if (i < levels) s += R"(,"concept":[)";
  }
  if (empty_tail) s += R"(,"concept":[])";
  for (int i = levels; i >= 1; --i) s += i > 1 ? "}]" : "}";
  return s + "]}";
}

// The pointer of concept level `level` (1-based): /concept/0 repeated.
std::string ConceptPointer(int level) {
  std::string p;
  for (int i = 0; i < level; ++i) p += "/concept/0";
  return p;
}

class ImportDoorTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(ImportInto(dir_.db(), {Fixture("v2-codesystems-r4.ndjson")}).ok()); }

  std::string Write(const std::string& name, const std::string& text) {
    std::string path = files_.path() + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  // Imports `path` after a good file (which must not be written either) and returns the status.
  Status Import(const std::string& path) { return ImportInto(dir_.db(), {Fixture("local-lab-codes.csv"), path}); }

  void ExpectUnchanged() {
    auto store = OpenReadOnly(dir_.db());
    ASSERT_NE(store, nullptr);
    Stats st = store->stats();
    EXPECT_EQ(st.code_systems, 2u);
    EXPECT_EQ(st.value_sets, 0u);
    EXPECT_EQ(st.concept_maps, 0u);
    EXPECT_EQ((*store->Lookup(V2("0001"), "F"))->display, "Female");
  }

  // No internal error, no escaped nlohmann message, none of `content`. The file's own path may be named (the
  // user wrote it); it is cut out first, as its random temporary folder can hold any short `content` ("k0").
  void ExpectClean(const Status& s, const std::vector<std::string>& content) const {
    std::string m = s.ToString();
    for (size_t at; (at = m.find(files_.path())) != std::string::npos;) m.erase(at, files_.path().size());
    EXPECT_NE(s.code(), StatusCode::kInternal) << m;
    EXPECT_EQ(m.find("json.exception"), std::string::npos) << m;
    EXPECT_EQ(m.find("internal"), std::string::npos) << m;
    for (const auto& c : content) EXPECT_EQ(m.find(c), std::string::npos) << "'" << c << "' leaked: " << m;
  }

  TempDir dir_, files_;
};

// ---- nesting ----

TEST_F(ImportDoorTest, ConceptHierarchyAtTheDepthLimitImports) {
  // Root object 1, then two JSON levels per concept level: 127 levels + the empty tail array = 256.
  static_assert(kMaxImportJsonDepth == 256, "the shapes below are computed for 256");
  std::string path = Write("deep.json", NestedCodeSystem(127, /*empty_tail=*/true));
  Status s = Import(path);
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto store = OpenReadOnly(dir_.db());
  auto c = store->Lookup("urn:example:deep", "c127");
  ASSERT_TRUE(c.ok() && c->has_value()) << c.status().ToString();
  ASSERT_EQ((*c)->properties.size(), 1u);
  EXPECT_EQ((*c)->properties[0].code, "parent");
  EXPECT_EQ((*c)->properties[0].value, "c126");
  std::vector<ResourceInfo> list = *store->List();
  bool found = false;
  for (const auto& r : list) {
    if (r.url == "urn:example:deep") {
      found = true;
      EXPECT_EQ(r.entries, 127u);
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(ImportDoorTest, ConceptHierarchyOneLevelPastTheLimitIsLimitExceeded) {
  // 128 levels without the tail: the deepest concept object is at depth 2 * 128 + 1 = 257.
  std::string path = Write("deep.json", NestedCodeSystem(128, /*empty_tail=*/false));
  Status s = Import(path);
  EXPECT_EQ(s.code(), StatusCode::kLimitExceeded) << s.ToString();
  std::string want = fmt::format("deep.json at {}: JSON nested deeper than 256 levels (kMaxImportJsonDepth)",
                                 ConceptPointer(127) + "/concept/0");
  EXPECT_NE(s.message().find(want), std::string_view::npos) << s.ToString();
  ExpectClean(s, {"Level 1", "c128"});
  ExpectUnchanged();
}

TEST_F(ImportDoorTest, TenThousandLevelHierarchyIsRejectedNotAStackOverflow) {
  // The reported reproducer: 10,000 nested concepts (about 289 KB) crashed the importer.
  std::string text = NestedCodeSystem(10000, false);
  ASSERT_GT(text.size(), 250000u);
  Status s = Import(Write("hierarchy-10000.json", text));
  EXPECT_EQ(s.code(), StatusCode::kLimitExceeded) << s.ToString();
  EXPECT_NE(s.message().find("hierarchy-10000.json at /concept/0/concept/0/"), std::string_view::npos);
  EXPECT_LT(s.message().size(), 2000u);  // the pointer stops at the limit, it does not grow with the input
  ExpectClean(s, {"Level"});
  ExpectUnchanged();
}

TEST_F(ImportDoorTest, ExpansionContains150kDeepIsRejected) {
  // The reported reproducer: expansion.contains nested 150,000 deep took 6.5 GB, then crashed.
  std::string s = R"({"resourceType":"ValueSet","url":"urn:example:vs","expansion":{"contains":[)";
  constexpr int kLevels = 150000;
  s.reserve(kLevels * 64);
  for (int i = 0; i < kLevels; ++i) {
    s += fmt::format(R"({{"system":"urn:example:cs","code":"k{}","contains":[)", i);
  }
  for (int i = 0; i < kLevels; ++i) s += "]}";
  s += "]}}";
  Status st = Import(Write("expansion.json", s));
  EXPECT_EQ(st.code(), StatusCode::kLimitExceeded) << st.ToString();
  EXPECT_NE(st.message().find("expansion.json at /expansion/contains/0/contains/0/contains/0"), std::string_view::npos)
      << st.ToString();
  ExpectClean(st, {"k0", "k1", "urn:example:cs"});
  ExpectUnchanged();
}

TEST_F(ImportDoorTest, DeepNdjsonLineNamesTheLineAndBundlesInBundlesAreBounded) {
  // Line 2 of an NDJSON file: a Bundle whose entry is a Bundle whose entry is a Bundle ...
  std::string bundle = R"({"resourceType":"Bundle","entry":[{"resource":)";
  std::string line2;
  for (int i = 0; i < 100; ++i) line2 += bundle;
  line2 += R"({"resourceType":"CodeSystem","url":"urn:example:nested"})";
  for (int i = 0; i < 100; ++i) line2 += "}]}";
  std::string good = R"({"resourceType":"CodeSystem","url":"urn:example:first","concept":[{"code":"a"}]})";
  Status s = Import(Write("nested.ndjson", good + "\n" + line2 + "\n"));
  EXPECT_EQ(s.code(), StatusCode::kLimitExceeded) << s.ToString();
  EXPECT_NE(s.message().find("nested.ndjson:2 at /entry/0/resource/entry/0/resource/"), std::string_view::npos)
      << s.ToString();
  ExpectUnchanged();
  // 60 Bundles deep (the concept object at level 183) is within the limit and imports the innermost resource.
  line2.clear();
  for (int i = 0; i < 60; ++i) line2 += bundle;
  line2 += R"({"resourceType":"CodeSystem","url":"urn:example:nested","concept":[{"code":"n"}]})";
  for (int i = 0; i < 60; ++i) line2 += "}]}";
  ASSERT_TRUE(Import(Write("nested-ok.ndjson", good + "\n" + line2 + "\n")).ok());
  auto store = OpenReadOnly(dir_.db());
  EXPECT_TRUE(store->Lookup("urn:example:nested", "n")->has_value());
}

// ---- duplicate keys, numbers ----

TEST_F(ImportDoorTest, DuplicateKeyIsAnErrorWithItsPointer) {
  // The real administrative-gender CodeSystem with a second "display" in its second concept.
  std::string text = ReadText(Fixture("CodeSystem-administrative-gender.json"));
  text = ReplaceOnce(text, R"("code":"female","display":"Female")",
                     R"("code":"female","display":"Female","display":"Secret Other Display")");
  Status s = Import(Write("dup.json", text));
  EXPECT_EQ(s.code(), StatusCode::kParseError) << s.ToString();
  EXPECT_NE(s.message().find("dup.json at /concept/1/display: duplicate key in an object"), std::string_view::npos)
      << s.ToString();
  ExpectClean(s, {"Secret Other Display", "Female"});
  ExpectUnchanged();
  // Top level, and in NDJSON.
  Status t = Import(Write("dup.ndjson", "\n" R"({"resourceType":"CodeSystem","url":"urn:a","url":"urn:b"})" "\n"));
  EXPECT_EQ(t.code(), StatusCode::kParseError);
  EXPECT_NE(t.message().find("dup.ndjson:2 at /url: duplicate key in an object"), std::string_view::npos)
      << t.ToString();
  ExpectClean(t, {"urn:a", "urn:b"});
}

TEST_F(ImportDoorTest, KeysInPointersAreEscapedAndControlCharactersHidden) {
  std::string text = R"({"resourceType":"CodeSystem","url":"urn:a","x/y~z":{"a\u001b[31m":1,"a\u001b[31m":2}})";
  Status s = Import(Write("esc.json", text));
  EXPECT_EQ(s.code(), StatusCode::kParseError);
  EXPECT_NE(s.message().find("esc.json at /x~1y~0z/a?[31m: duplicate key"), std::string_view::npos) << s.ToString();
  EXPECT_EQ(s.message().find('\x1b'), std::string_view::npos);
}

TEST_F(ImportDoorTest, NumberOutOfRangeIsAParseErrorAtItsPosition) {
  std::string text = ReadText(Fixture("CodeSystem-administrative-gender.json"));
  text = ReplaceOnce(text, R"("valueInteger":5)", R"("valueInteger":1e999999)");
  size_t at = text.find("1e999999");
  Status s = Import(Write("overflow.json", text));
  EXPECT_EQ(s.code(), StatusCode::kParseError) << s.ToString();
  // The fixture is one line: the column is the number's first byte.
  EXPECT_NE(s.message().find(fmt::format("overflow.json:1:{}: number out of range", at + 1)), std::string_view::npos)
      << s.ToString();
  ExpectClean(s, {"1e999999", "406"});
  ExpectUnchanged();
  // Negative, and on a later line.
  Status t = Import(Write("neg.json", "{\n  \"resourceType\": \"CodeSystem\",\n  \"count\": -2e400\n}\n"));
  EXPECT_EQ(t.code(), StatusCode::kParseError);
  EXPECT_NE(t.message().find("neg.json:3:12: number out of range"), std::string_view::npos) << t.ToString();
  // Large but finite numbers are fine (kept as written where they are values).
  Status u = Import(Write("big.json", R"({"resourceType":"CodeSystem","url":"urn:example:big","count":1e300,)"
                                      R"("concept":[{"code":"a","property":[{"code":"w","valueDecimal":1e308}]}]})"));
  EXPECT_TRUE(u.ok()) << u.ToString();
}

TEST_F(ImportDoorTest, WrongTypesAreErrorsNotExceptions) {
  Status s = Import(Write("abstract.json", R"({"resourceType":"ValueSet","url":"urn:example:vs",)"
                                           R"("expansion":{"contains":[{"system":"urn:s","code":"a","abstract":"yes"}]}})"));
  EXPECT_EQ(s.code(), StatusCode::kParseError) << s.ToString();
  EXPECT_NE(s.message().find("abstract.json at /expansion/contains/0/abstract: expected true or false"),
            std::string_view::npos)
      << s.ToString();
  ExpectClean(s, {});
  ExpectUnchanged();
  // A Coding property whose system is not a string is kept as written, not thrown on.
  Status t = Import(Write("coding.json", R"({"resourceType":"CodeSystem","url":"urn:example:cs","concept":[)"
                                         R"({"code":"a","property":[{"code":"p","valueCoding":{"system":7,"code":"x"}}]}]})"));
  ASSERT_TRUE(t.ok()) << t.ToString();
  auto store = OpenReadOnly(dir_.db());
  auto c = store->Lookup("urn:example:cs", "a");
  ASSERT_TRUE(c.ok() && c->has_value());
  ASSERT_EQ((*c)->properties.size(), 1u);
  EXPECT_EQ((*c)->properties[0].value, R"({"code":"x","system":7})");
}

TEST_F(ImportDoorTest, UnknownKeywordsAreQuotedOnlyWhenShortAndPlain) {
  std::string cm = R"({"resourceType":"ConceptMap","url":"urn:m","group":[{"source":"urn:s","target":"urn:t",)"
                   R"("element":[{"code":"a","target":[{"code":"b","equivalence":"%s"}]}]}]})";
  auto with = [&](const std::string& e) { return ReplaceOnce(cm, "%s", e); };
  Status s = Import(Write("cm1.json", with("same-ish")));
  EXPECT_NE(s.message().find("at /group/0/element/0/target/0/equivalence: unknown equivalence 'same-ish'"),
            std::string_view::npos)
      << s.ToString();
  Status t = Import(Write("cm2.json", with("Patient Jane Doe, born 1980")));
  EXPECT_NE(t.message().find("/equivalence: unknown equivalence"), std::string_view::npos) << t.ToString();
  ExpectClean(t, {"Jane", "1980"});
  Status u = Import(Write("cm3.json", R"({"resourceType":"Patient Jane"})"));
  EXPECT_NE(u.message().find("cm3.json at /resourceType: resourceType is not CodeSystem"), std::string_view::npos)
      << u.ToString();
  ExpectClean(u, {"Jane"});
  ExpectUnchanged();
}

// ---- CSV ----

TEST_F(ImportDoorTest, DuplicateCsvHeaderNamesBothColumns) {
  std::string text = ReadText(Fixture("local-lab-codes.csv"));
  text = ReplaceOnce(text, "target_display,equivalence", "target_code,equivalence");
  Status s = Import(Write("dup-header.csv", text));
  EXPECT_EQ(s.code(), StatusCode::kParseError) << s.ToString();
  EXPECT_NE(s.message().find("dup-header.csv:1: header of column 5 repeats the header of column 4"),
            std::string_view::npos)
      << s.ToString();
  ExpectUnchanged();
  // Spaces around a header do not make it different; empty headers (trailing commas) may repeat.
  Status t = Import(Write("spaced.csv", "source_system, source_code ,target_system,target_code,source_code\n"));
  EXPECT_NE(t.message().find("spaced.csv:1: header of column 5 repeats the header of column 2"),
            std::string_view::npos)
      << t.ToString();
  Status u = Import(Write("trailing.csv", "source_system,source_code,target_system,target_code,,\n"
                                          "urn:s,a,urn:t,b,,\n"));
  EXPECT_TRUE(u.ok()) << u.ToString();
}

TEST_F(ImportDoorTest, InvalidUtf8InCsvNamesLineAndColumn) {
  std::string text = ReadText(Fixture("local-lab-codes.csv"));
  // "Hemoglobin" on line 3; its 'H' replaced by a lone continuation byte.
  size_t line3 = text.find('\n', text.find('\n') + 1) + 1;
  size_t at = text.find("Hemoglobin", line3);
  ASSERT_NE(at, std::string::npos);
  std::string bad = text;
  bad[at] = '\x80';
  Status s = Import(Write("bad-utf8.csv", bad));
  EXPECT_EQ(s.code(), StatusCode::kParseError) << s.ToString();
  EXPECT_NE(s.message().find(fmt::format("bad-utf8.csv:3:{}: invalid UTF-8", at - line3 + 1)), std::string_view::npos)
      << s.ToString();
  ExpectClean(s, {"emoglobin", "HGB"});
  ExpectUnchanged();
  // Each kind of invalid sequence, on line 2 column 9, and valid multi-byte text beside them.
  const char* kBad[] = {"\xC0\x80",          // overlong NUL
                        "\xE0\x80\xAF",      // overlong '/'
                        "\xED\xA0\x80",      // UTF-16 surrogate
                        "\xF4\x90\x80\x80",  // above U+10FFFF
                        "\xF5\x80\x80\x80",  // invalid lead byte
                        "\xE2\x82",          // truncated, then a comma
                        "\xFF"};
  for (const char* b : kBad) {
    std::string csv = std::string("source_system,source_code,target_system,target_code\nurn:s,ab") + b +
                      ",urn:t,M\xC3\xBCller \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80\n";
    Status t = Import(Write("seq.csv", csv));
    EXPECT_NE(t.message().find("seq.csv:2:9: invalid UTF-8"), std::string_view::npos) << t.ToString();
  }
  Status ok = Import(Write("good-utf8.csv", "source_system,source_code,target_system,target_code,target_display\n"
                                            "urn:s,a,urn:t,b,M\xC3\xBCller \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80\n"));
  EXPECT_TRUE(ok.ok()) << ok.ToString();
  // Truncated at the very end of the file.
  Status end = Import(Write("end.csv", "source_system,source_code,target_system,target_code\nurn:s,a,urn:t,\xE2\x82"));
  EXPECT_NE(end.message().find("end.csv:2:15: invalid UTF-8"), std::string_view::npos) << end.ToString();
}

// ---- write errors ----

// A code system of `n` concepts "c<i>" whose displays start with `tag`.
std::string TaggedCodeSystem(const std::string& tag, int n) {
  std::string s = R"({"resourceType":"CodeSystem","url":"urn:example:space","version":"1","concept":[)";
  for (int i = 0; i < n; ++i) s += fmt::format(R"({}{{"code":"c{}","display":"{} {}"}})", i ? "," : "", i, tag, i);
  return s + "]}";
}

// Caps the size of every file this process writes (soft RLIMIT_FSIZE, SIGXFSZ ignored: a write past it fails
// with EFBIG, as one on a full disk fails with ENOSPC) until destroyed. In-process, not in a forked child: a
// child of a process that already ran RocksDB inherits its thread pool's bookkeeping without its threads,
// and its first flush waits forever. CTest runs every test in a process of its own.
class FileSizeCap {
 public:
  explicit FileSizeCap(rlim_t bytes) {
    old_handler_ = signal(SIGXFSZ, SIG_IGN);
    ok_ = getrlimit(RLIMIT_FSIZE, &saved_) == 0;
    struct rlimit capped = saved_;
    capped.rlim_cur = bytes;
    ok_ = ok_ && setrlimit(RLIMIT_FSIZE, &capped) == 0;
  }
  ~FileSizeCap() {
    EXPECT_EQ(setrlimit(RLIMIT_FSIZE, &saved_), 0);
    signal(SIGXFSZ, old_handler_);
  }
  bool ok() const { return ok_; }

 private:
  struct rlimit saved_ {};
  void (*old_handler_)(int) = nullptr;
  bool ok_ = false;
};

TEST(ImportWriteError, FailedCommitLeavesTheHandleReadingTheOldStoreAndUsable) {
  // A store holding the "old" generation, then an import of the "new" one through the same handle with
  // every file capped at 64 KiB. The failed batch must not be served from the memtable (a commit that only
  // returned the error did: this test failed with "old 7" reading "new 7"), and the handle must take the
  // next import.
  TempDir dir, files;
  std::string old_file = files.path() + "/old.json", new_file = files.path() + "/new.json";
  std::ofstream(old_file) << TaggedCodeSystem("old", 100);
  std::ofstream(new_file) << TaggedCodeSystem("new", 20000);
  auto store = OpenWritable(dir.db());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Import({old_file}).ok());
  Status failed;
  {
    FileSizeCap cap(64 << 10);
    ASSERT_TRUE(cap.ok());
    failed = store->Import({new_file});
  }
  EXPECT_EQ(failed.code(), StatusCode::kIoError) << failed.ToString();
  EXPECT_NE(failed.message().find("cannot write the terminology store"), std::string_view::npos) << failed.ToString();
  EXPECT_NE(failed.message().find("nothing was imported"), std::string_view::npos) << failed.ToString();
  auto c = store->Lookup("urn:example:space", "c7");
  ASSERT_TRUE(c.ok() && c->has_value()) << c.status().ToString();
  EXPECT_EQ((*c)->display, "old 7");
  auto n = store->Lookup("urn:example:space", "c19999");
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_FALSE(n->has_value());
  EXPECT_EQ(store->stats().concepts, 100u);
  // The handle still writes.
  Status again = store->Import({new_file});
  ASSERT_TRUE(again.ok()) << again.ToString();
  auto d = store->Lookup("urn:example:space", "c19999");
  ASSERT_TRUE(d.ok() && d->has_value());
  EXPECT_EQ((*d)->display, "new 19999");
  store.reset();
  EXPECT_EQ(OpenReadOnly(dir.db())->stats().concepts, 20000u);
}

}  // namespace
}  // namespace crosswalk::term
