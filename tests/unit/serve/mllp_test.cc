// MllpDeframer: frames split at every byte, bytes between frames, the frame-size limit at N and N+1.
#include "serve/mllp.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace crosswalk::serve {
namespace {

std::vector<std::string> Drain(MllpDeframer* d) {
  std::vector<std::string> out;
  std::string f;
  while (d->Next(&f) == MllpDeframer::kFrame) out.push_back(f);
  return out;
}

TEST(MllpDeframerTest, TwoFramesInOneRead) {
  MllpDeframer d(1024);
  std::string s;
  AppendMllpFrame("MSH|a", &s);
  AppendMllpFrame("MSH|b\rPID|1", &s);
  d.Append(s);
  EXPECT_EQ(Drain(&d), (std::vector<std::string>{"MSH|a", "MSH|b\rPID|1"}));
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(MllpDeframerTest, EverySplitPointGivesTheSameFrames) {
  std::string s;
  AppendMllpFrame("MSH|^~\\&|A\rPID|1||x", &s);
  AppendMllpFrame("MSH|^~\\&|B", &s);
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    MllpDeframer d(1024);
    d.Append(s.substr(0, cut));
    std::vector<std::string> got = Drain(&d);
    d.Append(s.substr(cut));
    for (auto& f : Drain(&d)) got.push_back(f);
    EXPECT_EQ(got, (std::vector<std::string>{"MSH|^~\\&|A\rPID|1||x", "MSH|^~\\&|B"})) << "cut at " << cut;
  }
  // One byte per read.
  MllpDeframer d(1024);
  std::vector<std::string> got;
  for (char c : s) {
    d.Append(std::string(1, c));
    for (auto& f : Drain(&d)) got.push_back(f);
  }
  EXPECT_EQ(got.size(), 2u);
}

TEST(MllpDeframerTest, BytesBetweenFramesAreSkippedAndA1cInsideIsNotAnEnd) {
  MllpDeframer d(1024);
  std::string s = "\r\n  ";
  AppendMllpFrame(std::string("MSH|x\x1cy"), &s);  // 0x1C not followed by 0x0D is data
  s += "junk";
  AppendMllpFrame("MSH|z", &s);
  d.Append(s);
  EXPECT_EQ(Drain(&d), (std::vector<std::string>{std::string("MSH|x\x1cy"), "MSH|z"}));
  EXPECT_EQ(d.skipped_bytes(), 8u);
}

TEST(MllpDeframerTest, FrameLimitAtNAndNPlusOne) {
  const size_t n = 32;
  std::string at(n, 'a'), over(n + 1, 'a');
  {
    MllpDeframer d(n);
    std::string s;
    AppendMllpFrame(at, &s);
    d.Append(s);
    std::string f;
    EXPECT_EQ(d.Next(&f), MllpDeframer::kFrame);
    EXPECT_EQ(f, at);
  }
  {
    MllpDeframer d(n);
    std::string s;
    AppendMllpFrame(over, &s);
    d.Append(s);
    std::string f;
    EXPECT_EQ(d.Next(&f), MllpDeframer::kTooLarge);
    EXPECT_EQ(d.Next(&f), MllpDeframer::kTooLarge);  // sticky
  }
  {
    // Found before the end marker arrives: a sender cannot make us buffer without bound.
    MllpDeframer d(n);
    d.Append(std::string("\x0b") + std::string(n + 2, 'a'));
    std::string f;
    EXPECT_EQ(d.Next(&f), MllpDeframer::kTooLarge);
  }
  {
    MllpDeframer d(n);
    d.Append(std::string("\x0b") + std::string(n, 'a'));
    std::string f;
    EXPECT_EQ(d.Next(&f), MllpDeframer::kNeedMore);  // N bytes so far: still within the limit
    d.Append("\x1c\x0d");
    EXPECT_EQ(d.Next(&f), MllpDeframer::kFrame);
  }
}

}  // namespace
}  // namespace crosswalk::serve
