// Helpers for the terminology store tests: a fresh temporary directory per test, fixture paths.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "crosswalk/terminology.h"

namespace crosswalk::term::testing {

inline std::string Fixture(const std::string& name) {
  return std::string(CW_TEST_DIR) + "/fixtures/terminology/" + name;
}

inline constexpr const char* kV2 = "http://terminology.hl7.org/CodeSystem/v2-";
inline constexpr const char* kIg = "http://hl7.org/fhir/uv/v2mappings/ConceptMap/";
inline constexpr const char* kGender = "http://hl7.org/fhir/administrative-gender";

inline std::string V2(const char* table) { return std::string(kV2) + table; }

// A fresh directory, removed when the object dies.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cw-term-XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    char* p = mkdtemp(buf.data());
    EXPECT_NE(p, nullptr);
    path_ = p != nullptr ? p : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string db() const { return path_ + "/db"; }

 private:
  std::string path_;
};

inline std::unique_ptr<Store> OpenWritable(const std::string& dir) {
  OpenOptions o;
  o.read_only = false;
  auto s = Store::Open(dir, o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(*s) : nullptr;
}

inline std::unique_ptr<Store> OpenReadOnly(const std::string& dir) {
  auto s = Store::Open(dir);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(*s) : nullptr;
}

// Imports files into a new or existing store at dir (opened read-write, then closed).
inline Status ImportInto(const std::string& dir, const std::vector<std::string>& files,
                         const ImportOptions& options = {}, ImportReport* report = nullptr) {
  auto store = OpenWritable(dir);
  if (!store) return Internal("open failed");
  return store->Import(files, options, report);
}

}  // namespace crosswalk::term::testing
