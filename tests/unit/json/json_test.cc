#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

#include "json/json_reader.h"
#include "json/json_writer.h"
#include "value/arena.h"

namespace crosswalk::vm {
namespace {

std::string ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Number lexemes outside strings, in document order.
std::vector<std::string> NumberTokens(std::string_view t) {
  std::vector<std::string> out;
  for (size_t i = 0; i < t.size();) {
    char c = t[i];
    if (c == '"') {
      for (++i; i < t.size() && t[i] != '"'; ++i) {
        if (t[i] == '\\') ++i;
      }
      ++i;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      size_t b = i;
      while (i < t.size() && std::string_view("+-.eE0123456789").find(t[i]) != std::string_view::npos) ++i;
      out.emplace_back(t.substr(b, i - b));
    } else {
      ++i;
    }
  }
  return out;
}

class JsonTest : public ::testing::Test {
 protected:
  Status Read(std::string_view text, Value* v, JsonReadOptions options = {}) {
    JsonReader reader(options);
    return reader.Read(text, arena_, v);
  }
  // Read then compact write (FHIR rules off: exact round trip).
  std::string RoundTrip(std::string_view text) {
    Value v;
    Status s = Read(text, &v);
    if (!s.ok()) return "error: " + s.ToString();
    std::string out;
    JsonWriteOptions o;
    o.fhir_absent_rules = false;
    EXPECT_TRUE(WriteJson(env_, v, &out, o).ok());
    return out;
  }
  std::string Write(const Value& v, JsonWriteOptions o = {}) {
    std::string out;
    Status s = WriteJson(env_, v, &out, o);
    if (!s.ok()) return "error: " + s.ToString();
    return out;
  }

  Arena arena_;
  ValueEnv env_{&arena_};
};

TEST_F(JsonTest, ScalarsAndStructure) {
  EXPECT_EQ(RoundTrip(R"( {"a":[1,-2,true,false,null,"x"],"b":{},"c":[]} )"),
            R"({"a":[1,-2,true,false,null,"x"],"b":{},"c":[]})");
  EXPECT_EQ(RoundTrip("\xEF\xBB\xBF[1]"), "[1]");  // BOM skipped
  Value v;
  ASSERT_TRUE(Read(R"({"z":1,"a":2,"m":3})", &v).ok());
  ASSERT_EQ(v.kind, ValueKind::kObject);
  EXPECT_EQ(v.obj->members[0].key, "z");  // member order kept
  EXPECT_EQ(v.obj->members[2].key, "m");
}

TEST_F(JsonTest, NumbersKeptExactly) {
  EXPECT_EQ(RoundTrip("[1.50,-0.5,0.0,-0.0,-0,0,100,1.000,9223372036854775807,-9223372036854775808]"),
            "[1.50,-0.5,0.0,-0.0,-0,0,100,1.000,9223372036854775807,-9223372036854775808]");
  Value v;
  ASSERT_TRUE(Read("1.50", &v).ok());
  EXPECT_EQ(v.kind, ValueKind::kDecimal);
  EXPECT_EQ(v.i, 150);
  EXPECT_EQ(v.aux, 2);
  ASSERT_TRUE(Read("42", &v).ok());
  EXPECT_EQ(v.kind, ValueKind::kInt);
  // Exponents are applied exactly.
  EXPECT_EQ(RoundTrip("[1.5e-3,2E2,1E-22,-1.25E+1,0e5]"), "[0.0015,200,0.0000000000000000000001,-12.5,0]");
  // Beyond the exact range: kept as number text, written back unchanged (FHIR's own Observation-decimal).
  EXPECT_EQ(RoundTrip("[1.000000000000000000E-245,-1.000000000000000000E+245,12345678901234567890,1e400]"),
            "[1.000000000000000000E-245,-1.000000000000000000E+245,12345678901234567890,1e400]");
  ASSERT_TRUE(Read("12345678901234567890", &v).ok());
  EXPECT_EQ(v.kind, ValueKind::kString);
  EXPECT_TRUE(v.flags & kFlagNumberText);
  for (const char* bad : {"01", "1.", ".5", "-", "+1", "1e", "1e+", "--1", "0x10", "1.e3", "NaN", "Infinity"}) {
    EXPECT_EQ(Read(bad, &v).code(), StatusCode::kParseError) << bad;
  }
}

TEST_F(JsonTest, StringEscapes) {
  Value v;
  ASSERT_TRUE(Read(R"("a\"b\\c\/d\b\f\n\r\t\u0041\u00e9\u20ac\ud83d\ude00")", &v).ok());
  EXPECT_EQ(v.string(), "a\"b\\c/d\b\f\n\r\tA\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  // Written back: short escapes, control chars as \u00XX, UTF-8 kept, '/' not escaped.
  EXPECT_EQ(Write(v), R"("a\"b\\c/d\b\f\n\r\tAé€😀")");
  EXPECT_EQ(Write(Value::String(std::string_view("\x01\x1f\x7f", 3))), R"("\u0001\u001f)"
                                                                        "\x7f\"");
  // Strings without escapes are views into the input.
  std::string text = R"(["plain"])";
  ASSERT_TRUE(Read(text, &v).ok());
  EXPECT_EQ(v.arr->items[0].str, text.data() + 2);
  EXPECT_EQ(RoundTrip(R"(["\u0000"])"), R"(["\u0000"])");
}

// The escaper byte at a time, as RFC 8259 and the writer's contract say (bad UTF-8 becomes U+FFFD).
std::string ReferenceJsonString(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t len = c >= 0xC2 && c <= 0xDF ? 2 : (c & 0xF0) == 0xE0 ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
      bool ok = len != 0 && i + len <= s.size();
      uint32_t cp = len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
      for (size_t k = 1; ok && k < len; ++k) {
        ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
        cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
      }
      ok = ok && !(len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) &&
           !(len == 4 && (cp < 0x10000 || cp > 0x10FFFF));
      if (ok) {
        out.append(s.substr(i, len));
        i += len - 1;
      } else {
        out.append("\xEF\xBF\xBD");
      }
    } else if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20) {
      const char* shortform = c == '\b' ? "b" : c == '\f' ? "f" : c == '\n' ? "n" : c == '\r' ? "r" : c == '\t' ? "t" : nullptr;
      out.push_back('\\');
      if (shortform) {
        out.append(shortform);
      } else {
        out.append("u00");
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
      }
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
  return out;
}

// The writer scans 16 bytes, then 8, then one at a time, and checks a string's tail with an overlapping last
// block: every length from 0 to 48 with one or two bytes that need a look at every position (each
// escape class, valid and broken UTF-8) must write what the byte-at-a-time reference writes.
TEST_F(JsonTest, StringEscapesAtEveryPositionAndLength) {
  const std::vector<std::string> specials = {"\"", "\\", "\x01", "\n", "\x1f", "\x7f", "\xC3\xA9", "\xE2\x82\xAC",
                                             "\xF0\x9F\x98\x80", "\xFF", "\xC3", "\xE2\x82", "\xED\xA0\x80"};
  size_t checked = 0;
  for (size_t len = 0; len <= 48; ++len) {
    std::string plain(len, 'a');
    for (size_t i = 0; i < len; ++i) plain[i] = static_cast<char>('a' + i % 26);
    std::string out;
    AppendJsonString(plain, &out);
    ASSERT_EQ(out, ReferenceJsonString(plain)) << len;
    for (size_t at = 0; at <= len; ++at) {
      for (const std::string& x : specials) {
        std::string s = plain.substr(0, at) + x + plain.substr(at);
        out.clear();
        AppendJsonString(s, &out);
        ASSERT_EQ(out, ReferenceJsonString(s)) << "length " << len << ", at " << at;
        for (size_t at2 = at + x.size(); at2 <= s.size(); at2 += 3) {  // a second one after it
          std::string t = s.substr(0, at2) + specials[(at + at2) % specials.size()] + s.substr(at2);
          out.clear();
          AppendJsonString(t, &out);
          ASSERT_EQ(out, ReferenceJsonString(t)) << "length " << len << ", at " << at << " and " << at2;
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 90000u);  // 95,693 strings with two specials
}

// Short strings and keys are checked and copied 16 or 32 bytes at a time when those bytes lie in the string's
// page. Strings that end right before an unreadable page, at every length and with a special byte at every
// position, must write what the byte-at-a-time reference writes (and not fault); so must objects and arrays
// holding them as keys and values.
TEST_F(JsonTest, ShortStringsEndingAtAnUnreadablePage) {
  const long page = sysconf(_SC_PAGESIZE);
  ASSERT_GT(page, 0);
  void* map = mmap(nullptr, 2 * static_cast<size_t>(page), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(map, MAP_FAILED);
  char* const wall = static_cast<char*>(map) + page;
  ASSERT_EQ(mprotect(wall, static_cast<size_t>(page), PROT_NONE), 0);
  const std::vector<std::string> specials = {"", "\"", "\\", "\x01", "\n", "\xC3\xA9", "\xFF", "\xE2\x82"};
  for (size_t len = 0; len <= 40; ++len) {
    for (const std::string& x : specials) {
      for (size_t at = 0; at + x.size() <= len; at += (x.empty() ? len + 1 : 1)) {
        std::string s(len, 'k');
        s.replace(at, x.size(), x);
        char* text = wall - len;  // the string's last byte is the last readable one
        std::memcpy(text, s.data(), len);
        const std::string_view view(text, len);
        std::string out;
        AppendJsonString(view, &out);
        ASSERT_EQ(out, ReferenceJsonString(s)) << "length " << len << ", at " << at;
        if (len == 0) continue;
        Object* o = NewObject(arena_);
        ObjectSet(arena_, o, view, Value::String(view));
        Array* a = NewArray(arena_);
        ArrayPush(arena_, a, Value::String(view));
        ObjectSet(arena_, o, "a", Value::MakeArray(a));
        const std::string q = ReferenceJsonString(s);
        ASSERT_EQ(Write(Value::MakeObject(o)), "{" + q + ":" + q + ",\"a\":[" + q + "]}") << "length " << len;
      }
    }
  }
  munmap(map, 2 * static_cast<size_t>(page));
}

TEST_F(JsonTest, InvalidStringsAndUtf8) {
  Value v;
  for (const char* bad : {R"("\ud83d")", R"("\ud83dx")", R"("\ude00")", R"("\ud83d\u0041")", R"("\u12")",
                          R"("\u12G4")", R"("\x")", "\"a", "\"tab\there\"", "\"\xC3\"", "\"\xC0\xAF\"",
                          "\"\xED\xA0\x80\"", "\"\xF4\x90\x80\x80\"", "\"\xFF\""}) {
    Status s = Read(bad, &v);
    EXPECT_EQ(s.code(), StatusCode::kParseError) << bad;
  }
  EXPECT_TRUE(Read("\"\xF0\x9F\x98\x80 \xE2\x82\xAC\"", &v).ok());
}

TEST_F(JsonTest, ErrorsHaveLineColumnAndOffsetButNoText) {
  Value v;
  std::string doc = "{\n  \"name\": \"SECRET-PATIENT\",\n  \"x\" 1\n}";
  Status s = Read(doc, &v);
  ASSERT_EQ(s.code(), StatusCode::kParseError);
  EXPECT_EQ(s.context().input_position, "line 3, column 7");
  EXPECT_EQ(s.context().byte_offset, doc.find(" 1") + 1);
  EXPECT_EQ(s.ToString().find("SECRET"), std::string::npos);
  EXPECT_NE(s.ToString().find("expected ':'"), std::string::npos) << s.ToString();
  EXPECT_TRUE(v.is_absent());
  EXPECT_EQ(Read("", &v).code(), StatusCode::kParseError);
  EXPECT_EQ(Read("[1] 2", &v).code(), StatusCode::kParseError);
  EXPECT_EQ(Read("[1,]", &v).code(), StatusCode::kParseError);
  EXPECT_EQ(Read("{\"a\":1,}", &v).code(), StatusCode::kParseError);
  EXPECT_EQ(Read("{\"a\":1,\"a\":2}", &v).code(), StatusCode::kParseError);  // duplicate key
  EXPECT_EQ(Read("tru", &v).code(), StatusCode::kParseError);
}

TEST_F(JsonTest, DepthLimitAtNAndNPlusOne) {
  JsonReadOptions o;
  o.max_depth = 256;
  Value v;
  std::string ok = std::string(256, '[') + std::string(256, ']');
  EXPECT_TRUE(Read(ok, &v, o).ok());
  std::string deep = std::string(257, '[') + std::string(257, ']');
  Status s = Read(deep, &v, o);
  EXPECT_EQ(s.code(), StatusCode::kLimitExceeded);
  EXPECT_NE(s.ToString().find("max_depth"), std::string::npos);
  // Objects count too.
  std::string objs;
  for (int i = 0; i < 257; ++i) objs += "{\"a\":";
  objs += "1" + std::string(257, '}');
  EXPECT_EQ(Read(objs, &v, o).code(), StatusCode::kLimitExceeded);
}

TEST_F(JsonTest, InputSizeLimitAtNAndNPlusOne) {
  JsonReadOptions o;
  o.max_input_bytes = 7;
  Value v;
  EXPECT_TRUE(Read("[1,2,3]", &v, o).ok());
  EXPECT_EQ(Read("[1,2,34]", &v, o).code(), StatusCode::kLimitExceeded);
}

TEST_F(JsonTest, WriterAppliesAbsentRulesDeeply) {
  Object* o = NewObject(arena_);
  ObjectSet(arena_, o, "resourceType", Value::String("Patient"));
  ObjectSet(arena_, o, "gender", Value::String(""));
  ObjectSet(arena_, o, "active", Value::Null());
  ObjectSet(arena_, o, "missing", Value());
  Object* name = NewObject(arena_);
  ObjectSet(arena_, name, "family", Value::String(""));
  Array* given = NewArray(arena_);
  ArrayPush(arena_, given, Value::String(""));
  ArrayPush(arena_, given, Value());
  ObjectSet(arena_, name, "given", Value::MakeArray(given));
  Array* names = NewArray(arena_);
  ArrayPush(arena_, names, Value::MakeObject(name));
  ObjectSet(arena_, o, "name", Value::MakeArray(names));
  Array* ids = NewArray(arena_);
  ArrayPush(arena_, ids, Value::String(""));
  ArrayPush(arena_, ids, Value::String("a"));
  ObjectSet(arena_, o, "ids", Value::MakeArray(ids));
  ObjectSet(arena_, o, "n", Value::Decimal(-5, 1));
  EXPECT_EQ(Write(Value::MakeObject(o)), R"({"resourceType":"Patient","ids":["a"],"n":-0.5})");
  JsonWriteOptions keep;
  keep.fhir_absent_rules = false;
  EXPECT_EQ(Write(Value::MakeObject(o), keep),
            R"({"resourceType":"Patient","gender":"","active":null,"name":[{"family":"","given":[""]}],"ids":["","a"],"n":-0.5})");
  // A wholly empty value writes nothing.
  std::string out = "prefix";
  bool written = true;
  ASSERT_TRUE(WriteJson(env_, Value::MakeObject(name), &out, {}, &written).ok());
  EXPECT_FALSE(written);
  EXPECT_EQ(out, "prefix");
}

// Constants quoted once (the VM's object keys and constant strings) are copied as they are; a piece of one
// (substring of a constant), a string that needs escaping and a string outside the buffer are escaped as usual.
TEST_F(JsonTest, QuotedConstantsWriteLikeEscapedOnes) {
  const std::vector<std::string> texts = {"resourceType", "Patient", "", "a\"b", "tab\there", "é ok", "bad\xff"};
  std::vector<std::string_view> views(texts.begin(), texts.end());
  std::string buffer;
  const std::vector<std::string_view> q = QuoteConstants(views, &buffer);
  ASSERT_EQ(q.size(), texts.size());
  EXPECT_EQ(buffer, "\"resourceType\"\"Patient\"\"\"\"\u00e9 ok\"");
  for (size_t i = 0; i < q.size(); ++i) EXPECT_EQ(q[i], texts[i]);
  EXPECT_EQ(q[3].data(), texts[3].data());  // needs escaping: not in the buffer
  Object* o = NewObject(arena_);
  ObjectSet(arena_, o, q[0], Value::String(q[1]));
  ObjectSet(arena_, o, q[5], Value::String(q[3]));
  ObjectSet(arena_, o, q[1], Value::String(q[0].substr(0, 8)));
  ObjectSet(arena_, o, "x", Value::String(q[4]));
  ObjectSet(arena_, o, q[6], Value::String(q[2]));
  JsonWriteOptions plain;
  plain.fhir_absent_rules = false;
  JsonWriteOptions fast = plain;
  fast.quoted = buffer;
  const std::string expected = "{\"resourceType\":\"Patient\",\"\u00e9 ok\":\"a\\\"b\",\"Patient\":\"resource\","
                               "\"x\":\"tab\\there\",\"bad\ufffd\":\"\"}";
  EXPECT_EQ(Write(Value::MakeObject(o), plain), expected);
  EXPECT_EQ(Write(Value::MakeObject(o), fast), expected);
}

TEST_F(JsonTest, PrettyPrinting) {
  Value v;
  ASSERT_TRUE(Read(R"({"a":[1,{"b":"c"}],"d":{},"e":[]})", &v).ok());
  JsonWriteOptions o;
  o.pretty = true;
  o.fhir_absent_rules = false;
  EXPECT_EQ(Write(v, o), "{\n  \"a\": [\n    1,\n    {\n      \"b\": \"c\"\n    }\n  ],\n  \"d\": {},\n  \"e\": []\n}");
  o.fhir_absent_rules = true;
  EXPECT_EQ(Write(v, o), "{\n  \"a\": [\n    1,\n    {\n      \"b\": \"c\"\n    }\n  ]\n}");
}

TEST_F(JsonTest, WriterLimitsAndGroups) {
  Value v;
  ASSERT_TRUE(Read(R"(["0123456789","0123456789"])", &v).ok());
  JsonWriteOptions o;
  o.max_output_bytes = 27;
  std::string out = "keep";
  EXPECT_TRUE(WriteJson(env_, v, &out, o).ok());
  EXPECT_EQ(out.size(), 4u + 27u);
  o.max_output_bytes = 26;
  out = "keep";
  EXPECT_EQ(WriteJson(env_, v, &out, o).code(), StatusCode::kLimitExceeded);
  EXPECT_EQ(out, "keep");  // restored
  Value g = Value::Group(nullptr);
  EXPECT_EQ(WriteJson(env_, g, &out).code(), StatusCode::kInvalidArgument);
  Object* holder = NewObject(arena_);  // a group as a member or an item, too
  ObjectSet(arena_, holder, "g", g);
  EXPECT_EQ(WriteJson(env_, Value::MakeObject(holder), &out).code(), StatusCode::kInvalidArgument);
  Array* items = NewArray(arena_);
  ArrayPush(arena_, items, g);
  EXPECT_EQ(WriteJson(env_, Value::MakeArray(items), &out).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(out, "keep");
}

// Real FHIR R4 examples: read -> write gives the same JSON value (compared with nlohmann), the same number
// spellings, and byte-identical text to the whitespace-minified input.
TEST_F(JsonTest, FhirExamplesRoundTrip) {
  std::filesystem::path dir = std::filesystem::path(CW_TEST_DIR) / "fixtures" / "fhir";
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    ++files;
    SCOPED_TRACE(entry.path().filename().string());
    std::string text = ReadFile(entry.path());
    arena_.Reset();
    Value v;
    Status s = Read(text, &v);
    ASSERT_TRUE(s.ok()) << s.ToString();
    std::string out;
    JsonWriteOptions o;
    o.fhir_absent_rules = false;
    ASSERT_TRUE(WriteJson(env_, v, &out, o).ok());
    EXPECT_EQ(nlohmann::json::parse(out), nlohmann::json::parse(text));
    // Number spellings are byte-identical, except exponents, which are normalised when they fit exactly
    // (1E-22 -> 0.0000000000000000000001; compared by value).
    std::vector<std::string> got = NumberTokens(out), want = NumberTokens(text);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) {
      if (want[i].find_first_of("eE") == std::string::npos || got[i].find_first_of("eE") != std::string::npos) {
        EXPECT_EQ(got[i], want[i]);
      } else {
        EXPECT_EQ(std::stod(got[i]), std::stod(want[i]));
      }
    }
    EXPECT_LE(out.size(), text.size());
    // Pretty output parses back to the same value.
    std::string pretty;
    o.pretty = true;
    ASSERT_TRUE(WriteJson(env_, v, &pretty, o).ok());
    EXPECT_EQ(nlohmann::json::parse(pretty), nlohmann::json::parse(text));
    // Reading our own output again gives the same bytes.
    Value v2;
    ASSERT_TRUE(Read(out, &v2).ok());
    std::string out2;
    o.pretty = false;
    ASSERT_TRUE(WriteJson(env_, v2, &out2, o).ok());
    EXPECT_EQ(out, out2);
  }
  EXPECT_GE(files, 5);
}

}  // namespace
}  // namespace crosswalk::vm

namespace crosswalk::vm {
namespace {

// Every prefix of a real document is an error (never a crash, never accepted unless complete).
TEST(JsonTruncationTest, PrefixesOfRealDocumentsAreErrors) {
  std::string text = ReadFile(std::filesystem::path(CW_TEST_DIR) / "fixtures" / "fhir" / "Observation-decimal.json");
  Arena arena;
  JsonReader reader;
  for (size_t n = 0; n + 1 < text.size(); n += 7) {
    Value v;
    Status s = reader.Read(std::string_view(text).substr(0, n), arena, &v);
    EXPECT_FALSE(s.ok()) << n;
    arena.Reset();
  }
}

}  // namespace
}  // namespace crosswalk::vm
