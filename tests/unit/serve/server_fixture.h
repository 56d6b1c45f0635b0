// The in-process Server of the serve tests: a fresh temporary folder, the shipped program
// (<build>/maps/hl7v2-to-fhir.cwb) on the shipped store, options with sync off (the crash test in
// serve_cli_test.cc runs with sync on), and Start/Stop around Server::Run on a thread.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "serve/server.h"

namespace crosswalk::serve::test {

inline std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ServerFixture : public testing::Test {
 protected:
  // `prefix` names the temporary folder (cw_<prefix>_<pid>_<n>).
  explicit ServerFixture(const char* prefix) : prefix_(prefix) {}

  void SetUp() override {
    static std::atomic<int> n{0};
    dir_ = (std::filesystem::temp_directory_path() /
            ("cw_" + prefix_ + "_" + std::to_string(::getpid()) + "_" + std::to_string(n++)))
               .string();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto rt = Runtime::Create({.terminology_dir = std::string(CW_BUILD_DIR) + "/terminology"});
    ASSERT_TRUE(rt.ok()) << rt.status().ToString();
    runtime_ = std::move(*rt);
    auto prog = runtime_->Load(Slurp(std::string(CW_BUILD_DIR) + "/maps/hl7v2-to-fhir.cwb"));
    ASSERT_TRUE(prog.ok()) << prog.status().ToString();
    program_ = *prog;
    options_.inbox_dir = dir_ + "/inbox";
    options_.out_dir = dir_ + "/out";
    options_.sync = false;
  }
  void TearDown() override {
    Stop();
    std::filesystem::remove_all(dir_);
  }

  void Start() {
    auto s = Server::Create(options_, runtime_, program_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(*s);
    thread_ = std::thread([this] { run_status_ = server_->Run(); });
  }
  void Stop() {
    if (!server_) return;
    server_->RequestStop();
    thread_.join();
    EXPECT_TRUE(run_status_.ok()) << run_status_.ToString();
    server_.reset();
  }
  // Polls `done` every 5 ms for at most 60 s (a hang guard: under ASan on a loaded machine a few hundred
  // conversions of the shipped maps can take well over the few seconds they take otherwise).
  static bool WaitFor(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }
  std::string Audit() const { return Slurp(options_.inbox_dir + "/audit.jsonl"); }

  std::string prefix_;
  std::string dir_;
  std::shared_ptr<Runtime> runtime_;
  std::shared_ptr<const Program> program_;
  ServerOptions options_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  Status run_status_;
};

}  // namespace crosswalk::serve::test
