// crosswalk inspect: linear in the message size, control characters escaped, bad parts reported apart.
#include <string>

#include "cli_test_util.h"

namespace crosswalk::clitest {
namespace {

class InspectTest : public CliTest {};

int CountLines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

TEST_F(InspectTest, ControlCharactersInValuesAreEscaped) {
  // Raw ESC (an ANSI "clear screen"), escapes that decode to CR, LF, ESC and NUL, a C1 CSI (U+009B),
  // a line separator (U+2028) and a right-to-left override (U+202E).
  std::string msg = std::string("MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5.1\r") +
                    "NTE|1||\x1b[2J|x\\X0D0A\\y\\.br\\z|\\X1B\\]0;title\\X07\\|a\\X00\\b|"
                    "\xC2\x9B" "31m\xE2\x80\xA8" "fake\xE2\x80\xAE" "txt|caf\xC3\xA9\r";
  Proc p = Tool("inspect " + Write("m.hl7", msg));
  ASSERT_EQ(p.status, 0) << p.err;
  for (char c : p.out) {
    auto u = static_cast<unsigned char>(c);
    EXPECT_TRUE(c == '\n' || (u >= 0x20 && u != 0x7f)) << "raw byte " << static_cast<int>(u);
  }
  EXPECT_EQ(p.out.find("\xC2\x9B"), std::string::npos);
  EXPECT_EQ(p.out.find("\xE2\x80\xA8"), std::string::npos);
  EXPECT_EQ(p.out.find("\xE2\x80\xAE"), std::string::npos);
  EXPECT_NE(p.out.find("NTE-3[1] = \\x1B[2J\n"), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("NTE-4[1] = x\\r\\ny\\nz\n"), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("NTE-5[1] = \\x1B]0;title\\x07\n"), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("NTE-6[1] = a\\x00b\n"), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("NTE-7[1] = \\u009B31m\\u2028fake\\u202Etxt\n"), std::string::npos) << p.out;
  EXPECT_NE(p.out.find("NTE-8[1] = caf\xC3\xA9\n"), std::string::npos) << p.out;  // ordinary text as is
  // A header, two segment lines, 12 MSH values and 7 NTE values: nothing forged a line.
  EXPECT_EQ(CountLines(p.out), 1 + 2 + 12 + 7) << p.out;
}

// 20,000 components took 4.5 s and 100,000 more than 20 s (each component was found from the field's
// start). 200,000 must finish well inside the tool's 20 s timeout.
TEST_F(InspectTest, LinearInTheNumberOfComponents) {
  std::string msg = "MSH|^~\\&|A|B|C|D|20240101||ORU^R01|1|P|2.5.1\rOBX|1|TX|||";
  const int kComponents = 200'000;
  for (int i = 0; i < kComponents; ++i) {
    if (i > 0) msg.push_back('^');
    msg += "v";
  }
  msg += "\rNTE|1||" + std::string(50'000, 'r') + "\r";
  std::string reps = "NTE|2||";
  const int kReps = 5'000;  // ParseOptions::max_repetitions
  for (int i = 0; i < kReps; ++i) reps += i ? "~w" : "w";
  msg += reps + "\r";
  Proc p = Tool("inspect " + Write("big.hl7", msg));
  ASSERT_EQ(p.status, 0) << p.err;
  EXPECT_NE(p.out.find("OBX-5[1].200000 = v\n"), std::string::npos);
  EXPECT_NE(p.out.find("NTE-3[5000] = w\n"), std::string::npos);
  // A header and 4 segment lines; MSH-1..7, MSH-9.1, MSH-9.2, MSH-10..12 (12); OBX-1, OBX-2 and every
  // OBX-5 component; NTE-1 and NTE-3; NTE-1 and every NTE-3 repetition.
  EXPECT_EQ(CountLines(p.out), 1 + 4 + 12 + 2 + kComponents + 2 + 1 + kReps);
}

// One stray byte after good frames used to reject the whole file.
TEST_F(InspectTest, BadPartsAreReportedApartAndGoodMessagesPrinted) {
  auto frame = [](const std::string& m) { return "\x0b" + m + "\x1c\r"; };
  std::string good = "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5.1\rPID|1||SECRET-ID\r";
  std::string bad_utf8 = "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|2|P|2.5.1\rPID|1||M\xFCllerSECRET\r";
  std::string data = frame(good) + frame(good) + frame(bad_utf8) + frame(good);
  const size_t stray_at = data.size();
  data += "SECRETJUNK";
  Proc p = Tool("inspect " + Write("s.hl7", data));
  EXPECT_EQ(p.status, 1);
  EXPECT_NE(p.out.find("# message 1:"), std::string::npos);
  // Messages are numbered by their place in the input: the third is reported, the others printed.
  EXPECT_NE(p.out.find("# message 2:"), std::string::npos);
  EXPECT_EQ(p.out.find("# message 3:"), std::string::npos);
  EXPECT_NE(p.out.find("# message 4:"), std::string::npos);
  EXPECT_NE(p.err.find("byte " + std::to_string(stray_at) + ": data outside a message"), std::string::npos) << p.err;
  EXPECT_NE(p.err.find("message 3 (byte "), std::string::npos) << p.err;
  EXPECT_NE(p.err.find("segment 2 (PID), field 3"), std::string::npos) << p.err;
  EXPECT_NE(p.err.find("3 message(s) printed, 2 part(s) of the input rejected"), std::string::npos) << p.err;
  EXPECT_EQ(p.err.find("SECRET"), std::string::npos) << p.err;
  // The same bytes through stdin, in one pipe.
  Proc q = Tool("inspect - < " + Path("s.hl7"));
  EXPECT_EQ(q.status, 1);
  EXPECT_EQ(q.out, p.out);
  // Nothing at all is an error; a clean file exits 0.
  EXPECT_EQ(Tool("inspect " + Write("e.hl7", "\r\n")).status, 1);
  EXPECT_EQ(Tool("inspect " + Write("g.hl7", frame(good) + frame(good))).status, 0);
}

}  // namespace
}  // namespace crosswalk::clitest
