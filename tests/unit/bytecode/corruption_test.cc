// Random corruption: thousands of seeded byte flips, truncations, insertions and deletions of valid files.
// Every one must either load (and then be a verified, re-writable Program) or be rejected with a Status;
// none may crash, hang or trip a sanitizer. Run once with the checksum on (most damage stops there) and
// once with the file resealed, so that the section table, the reader and the verifier see the damage.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>

#include "bytecode/disassembler.h"
#include "bytecode/reader.h"
#include "bytecode/verifier.h"
#include "bytecode/writer.h"
#include "test_programs.h"

namespace crosswalk::bytecode {
namespace {

using testing::Reseal;

std::string Mutate(std::string b, std::mt19937_64& rng) {
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % (n == 0 ? 1 : n)); };
  int edits = 1 + static_cast<int>(rng() % 3);
  for (int e = 0; e < edits && !b.empty(); ++e) {
    switch (rng() % 7) {
      case 0:  // flip one bit
        b[pick(b.size())] ^= static_cast<char>(1u << (rng() % 8));
        break;
      case 1:  // random byte
        b[pick(b.size())] = static_cast<char>(rng());
        break;
      case 2:  // truncate
        b.resize(pick(b.size()));
        break;
      case 3:  // insert bytes
        b.insert(pick(b.size() + 1), std::string(1 + pick(8), static_cast<char>(rng())));
        break;
      case 4:  // delete bytes
      {
        size_t at = pick(b.size());
        b.erase(at, 1 + pick(8));
        break;
      }
      case 5:  // an interesting 32-bit value
      {
        static const uint32_t kValues[] = {0, 1, 0x7F, 0x80, 0xFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF};
        if (b.size() >= 4) {
          uint32_t v = kValues[pick(std::size(kValues))];
          size_t at = pick(b.size() - 3);
          for (int i = 0; i < 4; ++i) b[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
        }
        break;
      }
      case 6:  // an instruction word replaced by a random opcode with random operands
      {
        if (b.size() >= 4) {
          size_t at = pick(b.size() - 3);
          uint32_t w = static_cast<uint32_t>(rng()) & 0xFFFF00FFu;
          w = (w & ~0xFFu) | static_cast<uint32_t>(rng() % (kOpCount + 2));
          for (int i = 0; i < 4; ++i) b[at + i] = static_cast<char>((w >> (8 * i)) & 0xFF);
        }
        break;
      }
    }
  }
  return b;
}

struct Tally {
  int loaded = 0;
  std::map<StatusCode, int> rejected;
  int invalid_program = 0;  // rejections by the verifier (steps 4-7)
};

void RunCorruption(uint64_t seed, int iterations, bool reseal, Tally& tally) {
  const std::string seeds[] = {WriteProgram(testing::EveryOpcodeProgram()), WriteProgram(testing::MinimalProgram())};
  std::mt19937_64 rng(seed);
  LoadLimits limits;
  limits.verify_checksum = !reseal;
  for (int i = 0; i < iterations; ++i) {
    std::string b = Mutate(seeds[i % 2], rng);
    if (reseal) Reseal(b);
    Result<Program> r = ReadProgram(b, limits);
    if (r.ok()) {
      ++tally.loaded;
      ASSERT_TRUE(VerifyProgram(*r).ok()) << "iteration " << i;
      Result<Program> again = ReadProgram(WriteProgram(*r));
      ASSERT_TRUE(again.ok()) << "iteration " << i << ": " << again.status().ToString();
      ASSERT_EQ(*again, *r) << "iteration " << i;
      EXPECT_FALSE(Disassemble(*r).empty());
    } else {
      ++tally.rejected[r.status().code()];
      if (r.status().message().find("invalid program") != std::string_view::npos) ++tally.invalid_program;
      ASSERT_NE(r.status().code(), StatusCode::kInternal) << r.status().ToString();
      ASSERT_FALSE(r.status().message().empty());
    }
  }
}

TEST(CorruptionTest, RandomDamageWithChecksum) {
  Tally t;
  RunCorruption(0xC0FFEE, 10000, /*reseal=*/false, t);
  // The checksum (or the size field) catches nearly everything; a mutation that restores the bytes loads.
  EXPECT_GT(t.rejected[StatusCode::kCorrupt], 9000);
}

TEST(CorruptionTest, RandomDamageResealed) {
  Tally t;
  RunCorruption(0x5EED, 20000, /*reseal=*/true, t);
  // The deeper layers must actually be exercised.
  EXPECT_GT(t.invalid_program, 1000) << "verifier rejections";
  EXPECT_GT(t.rejected[StatusCode::kCorrupt], 10000);
  EXPECT_GT(t.loaded, 0);
}

TEST(CorruptionTest, EveryCodeWordReplaced) {
  // Each code word of the every-opcode program replaced by each opcode byte (operands kept): exhaustive
  // over (word, opcode), straight into the verifier.
  const Program base = testing::EveryOpcodeProgram();
  for (size_t pc = 0; pc < base.code.size(); ++pc) {
    for (uint32_t op = 0; op < 256; ++op) {
      Program p = base;
      p.code[pc] = (p.code[pc] & ~0xFFu) | op;
      Status s = VerifyProgram(p);
      if (s.ok()) {
        EXPECT_FALSE(Disassemble(p).empty());
      } else {
        EXPECT_EQ(s.code(), StatusCode::kCorrupt);
      }
    }
  }
}

}  // namespace
}  // namespace crosswalk::bytecode
