// Determinism: the same input twice gives the same bytes; RunContexts on several threads sharing one Program
// give identical results; one RunContext is reused across many messages of different types.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "vm_test_util.h"

namespace crosswalk::vmtest {
namespace {

const char* kProgram = R"(
map Adt : hl7v2 "ADT^*" -> json {
  resourceType: "Patient"
  id: uuid5("6ba7b811-9dad-11d1-80b4-00c04fd430c8", PID-3.1)
  identifier[]: for cx in PID-3 => { value: cx.1, system: "urn:${cx.4.1}" }
  name[]: for xpn in PID-5 => { family: xpn.1, given[]: xpn.2 }
  score: Sum(count(PID-3) * 3)
  warn "no gender" if not PID-8
}
map Doc : json -> json { n: input.n * 1.5, tags: for t in input.tags where t != "x" => upper(t) }
def Sum(n) = if n <= 0 then 0 else n + Sum(n - 1)
)";

std::string Adt(int i) {
  return Hl7({"MSH|^~\\&|A|B|C|D|20240101||ADT^A0" + std::to_string(1 + i % 8) + "|" + std::to_string(i) + "|P|2.5.1",
              "PID|1||" + std::to_string(1000 + i) + "^^^MRN~" + std::to_string(i) + "^^^SSN||DOE" + std::to_string(i) +
                  "^JO~X^Y||19800101|" + (i % 2 ? "M" : "")});
}
std::string Doc(int i) { return R"({"n":)" + std::to_string(i) + R"(,"tags":["a","x","b)" + std::to_string(i) + R"("]})"; }

TEST(VmDeterminism, SameInputSameBytes) {
  auto p = Build(kProgram);
  ASSERT_TRUE(p);
  RunContext a(TheRuntime()), b(TheRuntime());
  RunOutput o1, o2, o3;
  ASSERT_TRUE(a.Run(*p, Adt(3), {}, &o1).ok());
  ASSERT_TRUE(a.Run(*p, Adt(3), {}, &o2).ok());
  ASSERT_TRUE(b.Run(*p, Adt(3), {}, &o3).ok());
  EXPECT_EQ(o1.json, o2.json);
  EXPECT_EQ(o1.json, o3.json);
  EXPECT_NE(o1.json.find("\"score\":21"), std::string::npos) << o1.json;
}

TEST(VmDeterminism, ContextReuseAcrossManyMessages) {
  auto p = Build(kProgram);
  ASSERT_TRUE(p);
  RunContext ctx(TheRuntime());
  RunOutput out;
  std::vector<std::string> first;
  for (int i = 0; i < 300; ++i) {
    std::string in = i % 3 == 2 ? Doc(i) : Adt(i);
    ASSERT_TRUE(ctx.Run(*p, in, {}, &out).ok()) << i;
    first.push_back(out.json);
    EXPECT_EQ(out.warnings.size(), i % 3 == 2 ? 0u : (i % 2 ? 0u : 1u)) << i;
    // An error in between must not disturb later runs.
    if (i % 50 == 0) EXPECT_FALSE(ctx.Run(*p, "MSH|garbage", {}, &out).ok());
  }
  // Fresh context, same results.
  RunContext fresh(TheRuntime());
  for (int i = 0; i < 300; ++i) {
    std::string in = i % 3 == 2 ? Doc(i) : Adt(i);
    ASSERT_TRUE(fresh.Run(*p, in, {}, &out).ok());
    EXPECT_EQ(out.json, first[i]) << i;
  }
}

TEST(VmConcurrency, ThreadsSharingOneProgramAgree) {
  auto p = Build(kProgram);
  ASSERT_TRUE(p);
  constexpr int kMessages = 200;
  std::vector<std::string> expected(kMessages);
  {
    RunContext ctx(TheRuntime());
    RunOutput out;
    for (int i = 0; i < kMessages; ++i) {
      ASSERT_TRUE(ctx.Run(*p, i % 2 ? Doc(i) : Adt(i), {}, &out).ok());
      expected[i] = out.json;
    }
  }
  constexpr int kThreads = 4;
  std::vector<std::vector<std::string>> got(kThreads, std::vector<std::string>(kMessages));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      RunContext ctx(TheRuntime());
      RunOutput out;
      for (int round = 0; round < 3; ++round) {
        for (int k = 0; k < kMessages; ++k) {
          int i = (k * 7 + t * 13) % kMessages;  // a different order per thread
          Status s = ctx.Run(*p, i % 2 ? Doc(i) : Adt(i), {}, &out);
          got[t][i] = s.ok() ? out.json : "ERROR " + s.ToString();
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kMessages; ++i) ASSERT_EQ(got[t][i], expected[i]) << "thread " << t << " message " << i;
  }
}

}  // namespace
}  // namespace crosswalk::vmtest
