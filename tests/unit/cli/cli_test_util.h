// Helpers for the CLI tests: a temp folder per test, running the built tool, mutating programs.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "bytecode/file.h"

namespace crosswalk::clitest {

// The built tool: tools/crosswalk/crosswalk, or tools/crosswalk when CMake puts it in the tools/ folder.
inline std::string ToolPath() {
  std::string nested = std::string(CW_BUILD_DIR) + "/tools/crosswalk/crosswalk";
  std::error_code ec;
  if (std::filesystem::is_regular_file(nested, ec)) return nested;
  return std::string(CW_BUILD_DIR) + "/tools/crosswalk";
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Proc {
  int status = -1;  // exit status; 128+N for signal N
  std::string out, err;
};

// A realistic map exercising most constructs; also used as the seed for corruption.
inline constexpr const char* kGoodMap = R"(map Adt : hl7v2 "ADT^*" -> fhir "Patient" {
  resourceType: "Patient"
  id: PID-3.1
  name[]: for xpn in PID-5 => { family: xpn.1, given[]: xpn.2 }
  gender: match PID-8 { "M" => "male" "F" | "f" => "female" _ => null }
  birthDate: date(PID-7)
  warn "no id" if not PID-3
}
map Doc : json -> json {
  total: Sum(input.xs)
  label: "n=${count(input.xs)}"
  tags[]: for t in input.tags where t != "" => upper(t)
}
def Sum(xs) = if count(xs) == 0 then 0 else first(xs) + Sum(Rest(xs))
def Rest(xs) {
  let n = count(xs)
  return for x in xs where x != first(xs) => x
}
)";

inline constexpr const char* kAdt =
    "MSH|^~\\&|SND|FAC|RCV|FAC|20240102030405||ADT^A01^ADT_A01|MSG1|P|2.5.1\r"
    "PID|1||12345^^^MRN^MR||DOE^JOHN||19800101|M\r";

// One random corruption of `b`, resealed (file size and CRC32C recomputed) most of the time so the reader
// and verifier meet the damage rather than the checksum.
inline std::string Mutate(const std::string& good, std::mt19937_64& rng) {
  std::string b = good;
  auto pick = [&](size_t n) { return n == 0 ? 0 : static_cast<size_t>(rng() % n); };
  int kind = static_cast<int>(rng() % 8);
  switch (kind) {
    case 0:  // truncate
      b.resize(pick(b.size()));
      break;
    case 1:  // flip one bit
      if (!b.empty()) b[pick(b.size())] ^= static_cast<char>(1u << (rng() % 8));
      break;
    case 2:  // a few random bytes
      for (int i = 0, n = 1 + static_cast<int>(rng() % 4); i < n && !b.empty(); ++i) b[pick(b.size())] = static_cast<char>(rng());
      break;
    case 3:  // a 32-bit word set to an extreme
      if (b.size() >= 4) {
        size_t at = pick(b.size() - 3);
        uint32_t v = rng() % 2 ? 0xFFFFFFFFu : static_cast<uint32_t>(rng() % 300);
        for (int i = 0; i < 4; ++i) b[at + i] = static_cast<char>(v >> (8 * i));
      }
      break;
    case 4:  // insert bytes
      b.insert(pick(b.size() + 1), std::string(1 + rng() % 8, static_cast<char>(rng())));
      break;
    case 5:  // delete a range
      if (!b.empty()) {
        size_t at = pick(b.size());
        b.erase(at, 1 + rng() % 16);
      }
      break;
    case 6:  // copy a range over another
      if (b.size() > 32) {
        size_t n = 1 + rng() % 16, from = pick(b.size() - n), to = pick(b.size() - n);
        b.replace(to, n, b.substr(from, n));
      }
      break;
    default:  // byte in the code area set to an opcode-sized value
      if (b.size() > bytecode::kHeaderSize) b[bytecode::kHeaderSize + pick(b.size() - bytecode::kHeaderSize)] = static_cast<char>(rng() % 64);
      break;
  }
  if (rng() % 8 != 0 && b.size() >= bytecode::kHeaderSize) {  // reseal 7 times out of 8
    auto put = [&](size_t at, uint32_t v) {
      for (int i = 0; i < 4; ++i) b[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
    };
    put(bytecode::kFileSizeOffset, static_cast<uint32_t>(b.size()));
    put(bytecode::kChecksumOffset, bytecode::Crc32c(std::string_view(b).substr(bytecode::kHeaderSize)));
  }
  return b;
}

class CliTest : public testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> n{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("cw_cli_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  std::string Write(const std::string& name, const std::string& text) const {
    std::ofstream(Path(name), std::ios::binary) << text;
    return Path(name);
  }
  // Runs `crosswalk ARGS` through the shell (ARGS may hold redirections), with a 20 s timeout.
  Proc Tool(const std::string& args) const {
    std::string out = Path("stdout.txt"), err = Path("stderr.txt");
    std::string cmd = "timeout 20 " + ToolPath() + " " + args + " >" + out + " 2>" + err;
    int raw = std::system(cmd.c_str());
    Proc p;
    p.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
    p.out = ReadFile(out);
    p.err = ReadFile(err);
    return p;
  }
  std::string CompileGood() const {
    std::string src = Write("good.cw", kGoodMap);
    Proc p = Tool("compile " + src + " -o " + Path("good.cwb"));
    EXPECT_EQ(p.status, 0) << p.err;
    return Path("good.cwb");
  }

  std::filesystem::path dir_;
};

}  // namespace crosswalk::clitest
