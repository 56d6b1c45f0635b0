// Reproducible binding (issue 15): content hashes kept at import, `crosswalk compile --term` recording the
// version and hash of every resource a program names, and the load refusing (or, when allowed, warning
// about) a store whose content differs. Also `Store::Checkpoint` taken while an import runs.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include "crosswalk/runtime.h"
#include "crosswalk/terminology.h"
#include "term/content_hash.h"
#include "cli_test_util.h"
#include "term_test_util.h"

namespace crosswalk::term {
namespace {

using testing::ImportInto;
using testing::RunCommand;
using testing::Write;
using testing::OpenReadOnly;
using testing::TempDir;

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

// A ConceptMap urn:map:sex version `version` mapping "F" to `target`.
std::string SexMap(const std::string& version, const std::string& target) {
  return R"({"resourceType":"ConceptMap","url":"urn:map:sex","version":")" + version +
         R"(","group":[{"source":"urn:s","target":"urn:t","element":[{"code":"F","target":[{"code":")" + target +
         R"(","equivalence":"equivalent"}]}]}]})";
}

constexpr const char* kColors = R"({"resourceType":"CodeSystem","url":"urn:cs:colors","version":"1",
  "content":"complete","concept":[{"code":"red","display":"Red"},{"code":"blue","display":"Blue",
  "concept":[{"code":"navy","display":"Navy"}]}]})";

TEST(ContentHash, Xxh64MatchesTheReferenceVectors) {
  EXPECT_EQ(Xxh64("", 0), 0xEF46DB3751D8E999ull);
  EXPECT_EQ(Xxh64("a", 0), 0xD24EC4F1A98C6E5Bull);
  EXPECT_EQ(Xxh64("abc", 0), 0x44BC2CF5AD770999ull);
  // 39 bytes: the 32-byte stripe loop, then an 8-byte lane and the tail bytes.
  EXPECT_EQ(Xxh64("Nobody inspects the spammish repetition", 0), 0xFBCEA83C8A378BF1ull);
}

TEST(ContentHash, SameContentSameHashWhateverTheFileForm) {
  TempDir dir;
  std::string json = Write(dir.path() + "/colors.json", kColors);
  std::string flat = kColors;
  for (char& c : flat) {
    if (c == '\n') c = ' ';
  }
  std::string ndjson = Write(dir.path() + "/colors.ndjson", flat + "\n");
  std::string bundle = Write(dir.path() + "/bundle.json",
                             R"({"resourceType":"Bundle","type":"collection","entry":[{"resource":)" + flat + "}]}");
  std::vector<uint64_t> hashes;
  for (const auto& file : {json, ndjson, bundle}) {
    std::string db = dir.path() + "/db-" + std::to_string(hashes.size());
    ASSERT_TRUE(ImportInto(db, {file}).ok());
    auto store = OpenReadOnly(db);
    auto b = store->Bind(ResourceKind::kCodeSystem, "urn:cs:colors");
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    EXPECT_EQ(b->version, "1");
    hashes.push_back(b->content_hash);
  }
  EXPECT_EQ(hashes[0], hashes[1]);
  EXPECT_EQ(hashes[0], hashes[2]);

  // One display changed: another hash. The hierarchy changed (navy under red): another hash.
  std::string changed = kColors;
  changed.replace(changed.find("Navy"), 4, "Ink!");
  std::string db = dir.path() + "/db-changed";
  ASSERT_TRUE(ImportInto(db, {Write(dir.path() + "/changed.json", changed)}).ok());
  auto store = OpenReadOnly(db);
  auto b = store->Bind(ResourceKind::kCodeSystem, "urn:cs:colors", "1");
  ASSERT_TRUE(b.ok());
  EXPECT_NE(b->content_hash, hashes[0]);
  // Unknown resources and versions are kNotFound.
  EXPECT_EQ(store->Bind(ResourceKind::kCodeSystem, "urn:cs:colors", "2").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store->Bind(ResourceKind::kValueSet, "urn:cs:colors").status().code(), StatusCode::kNotFound);
}

// A store written before hashes were kept has no 'Z' keys: the hash is computed by a scan, and must equal
// the one the import's merge computed.
TEST(ContentHash, ScanOfTheRecordsGivesTheKeptHash) {
  TempDir dir;
  std::string db = dir.db();
  ASSERT_TRUE(ImportInto(db, {Write(dir.path() + "/colors.json", kColors),
                              Write(dir.path() + "/map.json", SexMap("1", "female"))})
                  .ok());
  uint64_t kept_cs = 0, kept_cm = 0;
  {
    auto store = OpenReadOnly(db);
    auto list = store->List();
    ASSERT_TRUE(list.ok());
    for (const auto& r : *list) EXPECT_TRUE(r.has_content_hash) << r.url;
    kept_cs = store->Bind(ResourceKind::kCodeSystem, "urn:cs:colors")->content_hash;
    kept_cm = store->Bind(ResourceKind::kConceptMap, "urn:map:sex")->content_hash;
  }
  {
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), db, &raw).ok());
    std::unique_ptr<rocksdb::DB> rdb(raw);
    std::unique_ptr<rocksdb::Iterator> it(rdb->NewIterator(rocksdb::ReadOptions()));
    int removed = 0;
    for (it->Seek("Z"); it->Valid(); it->Next()) {
      ASSERT_TRUE(rdb->Delete(rocksdb::WriteOptions(), it->key()).ok());
      ++removed;
    }
    EXPECT_EQ(removed, 2);
  }
  auto store = OpenReadOnly(db);
  auto list = store->List();
  ASSERT_TRUE(list.ok());
  for (const auto& r : *list) EXPECT_FALSE(r.has_content_hash) << r.url;
  EXPECT_EQ(store->Bind(ResourceKind::kCodeSystem, "urn:cs:colors")->content_hash, kept_cs);
  EXPECT_EQ(store->Bind(ResourceKind::kConceptMap, "urn:map:sex")->content_hash, kept_cm);
}

class ProgramBinding : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_.db();
    ASSERT_TRUE(ImportInto(db_, {Write(dir_.path() + "/m1.json", SexMap("1", "female")),
                                 Write(dir_.path() + "/colors.json", kColors)})
                    .ok());
    map_ = Write(dir_.path() + "/p.cw",
                 "map M : json -> json {\n"
                 "  sex: translate(\"F\", \"urn:map:sex\")\n"
                 "  color: lookup(\"navy\", \"urn:cs:colors|1\")\n"
                 "}\n");
    bound_ = dir_.path() + "/bound.cwb";
    unbound_ = dir_.path() + "/unbound.cwb";
    ASSERT_EQ(RunCommand("compile", {map_, "-o", bound_, "--term", db_}), 0);
    ASSERT_EQ(RunCommand("compile", {map_, "-o", unbound_}), 0);
  }

  // Loads `cwb` against the store and runs it; "LOAD: ..." or the output, then the warnings.
  std::string Run(const std::string& cwb, bool allow_drift = false) {
    auto rt = Runtime::Create({.terminology_dir = db_, .allow_terminology_drift = allow_drift});
    if (!rt.ok()) return "RUNTIME: " + rt.status().ToString();
    auto p = (*rt)->Load(ReadFile(cwb));
    if (!p.ok()) return "LOAD: " + p.status().ToString();
    RunContext ctx(**rt);
    RunOutput out;
    Status s = ctx.Run(**p, "{}", {}, &out);
    if (!s.ok()) return "RUN: " + s.ToString();
    std::string text = out.json;
    for (const auto& w : (*p)->terminology_warnings()) text += "\nwarning: " + w;
    return text;
  }

  TempDir dir_;
  std::string db_, map_, bound_, unbound_;
};

TEST_F(ProgramBinding, CompileRecordsVersionAndHash) {
  // The disassembly shows the binding of each term ref.
  auto rt = Runtime::Create({.terminology_dir = db_});
  ASSERT_TRUE(rt.ok());
  uint64_t cm = (*OpenReadOnly(db_)).Bind(ResourceKind::kConceptMap, "urn:map:sex")->content_hash;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(cm));
  ::testing::internal::CaptureStdout();
  ASSERT_EQ(RunCommand("disasm", {bound_}), 0);
  std::string listing = ::testing::internal::GetCapturedStdout();
  EXPECT_NE(listing.find("\"urn:map:sex\" bound \"1\" hash " + std::string(hex)), std::string::npos) << listing;
  EXPECT_NE(listing.find("\"urn:cs:colors\" version \"1\" bound \"1\" hash "), std::string::npos) << listing;
  EXPECT_EQ(Run(bound_), R"({"sex":"female","color":"Navy"})");
  // Compiling against a store that lacks a resource fails, naming it.
  TempDir other;
  ASSERT_TRUE(ImportInto(other.db(), {Write(other.path() + "/colors.json", kColors)}).ok());
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(RunCommand("compile", {map_, "-o", other.path() + "/x.cwb", "--term", other.db()}), 1);
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("urn:map:sex"), std::string::npos) << err;
  EXPECT_FALSE(std::filesystem::exists(other.path() + "/x.cwb"));
}

// A newer version becoming current does not change what a bound program answers: its unversioned
// reference stays on the version it was compiled against. An unbound program follows the current version.
TEST_F(ProgramBinding, UnversionedReferenceStaysOnTheCompiledVersion) {
  ASSERT_TRUE(ImportInto(db_, {Write(dir_.path() + "/m2.json", SexMap("2", "woman"))}).ok());
  EXPECT_EQ(Run(bound_), R"({"sex":"female","color":"Navy"})");
  EXPECT_EQ(Run(unbound_), R"({"sex":"woman","color":"Navy"})");
}

TEST_F(ProgramBinding, ChangedContentIsRefusedOrWarnedAbout) {
  // Version 1 replaced with other content.
  ASSERT_TRUE(ImportInto(db_, {Write(dir_.path() + "/m1b.json", SexMap("1", "F-changed"))}).ok());
  std::string refused = Run(bound_);
  EXPECT_EQ(refused.rfind("LOAD: ", 0), 0u) << refused;
  EXPECT_NE(refused.find("ConceptMap 'urn:map:sex|1' (or a resource it reaches) differs from what the program was compiled against"),
            std::string::npos)
      << refused;
  EXPECT_NE(refused.find("content hash expected "), std::string::npos) << refused;
  EXPECT_NE(refused.find("--allow-term-drift"), std::string::npos) << refused;
  // The code system did not change: it is not named.
  EXPECT_EQ(refused.find("urn:cs:colors"), std::string::npos) << refused;

  std::string warned = Run(bound_, /*allow_drift=*/true);
  EXPECT_EQ(warned.rfind(R"({"sex":"F-changed","color":"Navy"})", 0), 0u) << warned;
  EXPECT_NE(warned.find("\nwarning: terminology drift: ConceptMap 'urn:map:sex|1' (or a resource it reaches) differs"), std::string::npos)
      << warned;
  // Without bindings only presence is checked.
  EXPECT_EQ(Run(unbound_), R"({"sex":"F-changed","color":"Navy"})");
}

TEST_F(ProgramBinding, MissingCompiledVersionIsRefusedOrFallsBackWhenAllowed) {
  // A store holding only version 2 of the map.
  TempDir other;
  ASSERT_TRUE(ImportInto(other.db(), {Write(other.path() + "/m2.json", SexMap("2", "woman")),
                                      Write(other.path() + "/colors.json", kColors)})
                  .ok());
  db_ = other.db();
  std::string refused = Run(bound_);
  EXPECT_NE(refused.find("LOAD: "), std::string::npos) << refused;
  EXPECT_NE(refused.find("ConceptMap 'urn:map:sex|1', which the program was compiled against, is not in the "
                         "terminology store"),
            std::string::npos)
      << refused;
  std::string warned = Run(bound_, /*allow_drift=*/true);
  EXPECT_EQ(warned.rfind(R"({"sex":"woman","color":"Navy"})", 0), 0u) << warned;
  EXPECT_NE(warned.find("using the current version"), std::string::npos) << warned;
}

// Checkpoints taken by a read-only Store while another handle replaces a 20k-concept version hold the old
// content or the new one, never a mix; each opens and answers.
TEST(Checkpoint, CopyTakenDuringAnImportIsConsistent) {
  TempDir dir;
  constexpr int kConcepts = 20000;
  auto code_system = [&](const std::string& tag) {
    std::string s = R"({"resourceType":"CodeSystem","url":"urn:cs:big","version":"1","content":"complete","concept":[)";
    for (int i = 0; i < kConcepts; ++i) {
      if (i) s += ',';
      s += R"({"code":"c)" + std::to_string(i) + R"(","display":")" + tag + std::to_string(i) + "\"}";
    }
    return s + "]}";
  };
  std::string old_file = Write(dir.path() + "/old.json", code_system("old-"));
  std::string new_file = Write(dir.path() + "/new.json", code_system("new-"));
  ASSERT_TRUE(ImportInto(dir.db(), {old_file}).ok());

  auto reader = OpenReadOnly(dir.db());
  ASSERT_TRUE(reader);
  std::vector<std::string> copies;
  ASSERT_TRUE(reader->Checkpoint(dir.path() + "/before").ok());
  copies.push_back(dir.path() + "/before");
  EXPECT_EQ(reader->Checkpoint(dir.path() + "/before").code(), StatusCode::kInvalidArgument);

  std::atomic<bool> done{false};
  Status imported;
  std::thread writer([&] {
    imported = ImportInto(dir.db(), {new_file});
    done = true;
  });
  while (!done) {
    std::string out = dir.path() + "/during-" + std::to_string(copies.size());
    Status s = reader->Checkpoint(out);
    EXPECT_TRUE(s.ok()) << s.ToString();  // not ASSERT: the writer thread must be joined
    if (!s.ok()) break;
    copies.push_back(out);
  }
  writer.join();
  ASSERT_TRUE(imported.ok()) << imported.ToString();
  ASSERT_TRUE(reader->Checkpoint(dir.path() + "/after").ok());
  copies.push_back(dir.path() + "/after");

  int old_copies = 0, new_copies = 0;
  for (const auto& copy : copies) {
    auto store = OpenReadOnly(copy);
    ASSERT_TRUE(store) << copy;
    std::string seen;
    for (int i : {0, 1, kConcepts / 3, kConcepts / 2, kConcepts - 2, kConcepts - 1}) {
      auto c = store->Lookup("urn:cs:big", "c" + std::to_string(i));
      ASSERT_TRUE(c.ok() && c->has_value()) << copy << " c" << i;
      std::string display((*c)->display);
      std::string tag = display.substr(0, 4);
      EXPECT_EQ(display, tag + std::to_string(i));
      if (seen.empty()) seen = tag;
      EXPECT_EQ(tag, seen) << copy << ": a mix of the old and the new version";
    }
    EXPECT_EQ(store->stats().concepts, static_cast<uint64_t>(kConcepts)) << copy;
    (seen == "old-" ? old_copies : new_copies) += 1;
  }
  EXPECT_GE(old_copies, 1);  // "before"
  EXPECT_GE(new_copies, 1);  // "after"
}

TEST(Checkpoint, ThroughTheTool) {
  TempDir dir;
  ASSERT_TRUE(ImportInto(dir.db(), {Write(dir.path() + "/colors.json", kColors)}).ok());
  ::testing::internal::CaptureStdout();
  EXPECT_EQ(RunCommand("term", {"checkpoint", dir.db(), dir.path() + "/copy"}), 0);
  EXPECT_EQ(RunCommand("term", {"checkpoint", "--db", dir.db(), dir.path() + "/copy2"}), 0);
  EXPECT_EQ(::testing::internal::GetCapturedStdout(),
            "checkpoint: " + dir.path() + "/copy\ncheckpoint: " + dir.path() + "/copy2\n");
  auto copy = OpenReadOnly(dir.path() + "/copy");
  ASSERT_TRUE(copy);
  auto c = copy->Lookup("urn:cs:colors", "navy");
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_EQ((*c)->display, "Navy");
  // The copy keeps the content hashes.
  EXPECT_EQ(copy->Bind(ResourceKind::kCodeSystem, "urn:cs:colors")->content_hash,
            OpenReadOnly(dir.db())->Bind(ResourceKind::kCodeSystem, "urn:cs:colors")->content_hash);
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(RunCommand("term", {"checkpoint", dir.db(), dir.path() + "/copy"}), 1);  // exists
  EXPECT_EQ(RunCommand("term", {"checkpoint", dir.db()}), 2);                       // no OUT
  EXPECT_EQ(RunCommand("term", {"checkpoint", dir.path() + "/none", dir.path() + "/copy3"}), 1);
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("exists"), std::string::npos) << err;
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/copy3"));
}

}  // namespace
}  // namespace crosswalk::term
