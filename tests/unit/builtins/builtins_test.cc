#include "vm/builtins.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <string>
#include <vector>

#include "hl7v2/message.h"
#include "json/json_writer.h"
#include "value/arena.h"
#include "vm/hash.h"

namespace crosswalk::vm {
namespace {

class BuiltinsTest : public ::testing::Test {
 protected:
  BuiltinsTest() {
    env_.value.arena = &arena_;
    env_.now = "2024-05-06T07:08:09Z";
  }

  // Calls a builtin by name; returns "absent", the string form prefixed with its kind, or "error: ...".
  std::string Call(std::string_view name, std::initializer_list<Value> args) {
    const BuiltinInfo* info = FindBuiltin(name);
    EXPECT_NE(info, nullptr) << name;
    if (!info) return "no such builtin";
    std::vector<Value> a(args);
    EXPECT_GE(static_cast<int>(a.size()), info->min_args) << name;
    EXPECT_LE(static_cast<int>(a.size()), info->max_args) << name;
    Value out;
    env_.error.clear();
    if (!CallBuiltin(info->id, env_, a.data(), static_cast<int>(a.size()), &out)) return "error: " + env_.error;
    return Show(out);
  }
  std::string Show(const Value& v) {
    if (v.is_absent()) return "absent";
    switch (v.kind) {
      case ValueKind::kString: return std::string(v.string());
      case ValueKind::kBool: return v.b ? "true" : "false";
      case ValueKind::kInt: return "int " + std::string(ToString(env_.value, v));
      case ValueKind::kDecimal: return "dec " + std::string(ToString(env_.value, v));
      default: return std::string(ValueKindName(v.kind)) + " " + std::string(ToString(env_.value, v));
    }
  }
  static Value S(std::string_view s) { return Value::String(s); }
  static Value I(int64_t i) { return Value::Int(i); }
  static Value D(int64_t m, uint16_t s) { return Value::Decimal(m, s); }
  Value Arr(std::initializer_list<Value> items) {
    Array* a = NewArray(arena_);
    for (const Value& v : items) ArrayPush(arena_, a, v);
    return Value::MakeArray(a);
  }

  Arena arena_;
  BuiltinEnv env_;
};

TEST_F(BuiltinsTest, TableMatchesBuiltinsDef) {
  for (uint32_t i = 0; i < kBuiltinCount; ++i) {
    const BuiltinInfo& info = kBuiltinTable[i];
    EXPECT_EQ(static_cast<uint32_t>(info.id), i);
    EXPECT_EQ(FindBuiltin(info.name), &info);
    EXPECT_EQ(info.name, bytecode::kBuiltinInfo[i].name);
    EXPECT_NE(kBuiltins[i], nullptr);
  }
  EXPECT_EQ(FindBuiltin("no_such"), nullptr);
  const BuiltinInfo* sub = FindBuiltin("substring");
  ASSERT_NE(sub, nullptr);
  EXPECT_EQ(sub->min_args, 2);
  EXPECT_EQ(sub->max_args, 3);
}

TEST_F(BuiltinsTest, EmptyMainArgumentGivesAbsent) {
  for (const char* name : {"trim", "upper", "lower", "decimal", "integer", "is_number", "round", "abs", "string",
                           "date", "datetime", "instant", "hl7_dtm", "first", "last", "distinct", "sha256"}) {
    EXPECT_EQ(Call(name, {Value()}), "absent") << name;
    EXPECT_EQ(Call(name, {Value::Null()}), "absent") << name;
    EXPECT_EQ(Call(name, {S("")}), "absent") << name;
  }
  EXPECT_EQ(Call("substring", {Value(), I(1)}), "absent");
  EXPECT_EQ(Call("split", {Value(), S(",")}), "absent");
  EXPECT_EQ(Call("starts_with", {Value(), S("a")}), "absent");
  EXPECT_EQ(Call("uuid5", {S("dns"), Value()}), "absent");
}

TEST_F(BuiltinsTest, Strings) {
  EXPECT_EQ(Call("trim", {S("  a b \t\r\n")}), "a b");
  EXPECT_EQ(Call("trim", {S("   ")}), "absent");
  EXPECT_EQ(Call("upper", {S("abc-Ä1")}), "ABC-Ä1");  // ASCII only
  EXPECT_EQ(Call("lower", {S("ABC")}), "abc");
  EXPECT_EQ(Call("upper", {I(12)}), "12");
  EXPECT_EQ(Call("upper", {Arr({S("a")})}), "error: upper: expected a string, got array");
  EXPECT_EQ(Call("substring", {S("hello"), I(1), I(3)}), "ell");
  EXPECT_EQ(Call("substring", {S("hello"), I(3)}), "lo");
  EXPECT_EQ(Call("substring", {S("hello"), I(-2), I(2)}), "he");
  EXPECT_EQ(Call("substring", {S("hello"), I(9)}), "absent");
  EXPECT_EQ(Call("substring", {S("hello"), I(1), I(99)}), "ello");
  EXPECT_EQ(Call("substring", {S("hello"), D(15, 1)}), "error: substring: start must be an integer");
  EXPECT_EQ(Call("split", {S("a,,b,"), S(",")}), R"(array ["a","b"])");  // JSON form skips ""
  {
    Value out;
    Value args[] = {S("a,,b,"), S(",")};
    ASSERT_TRUE(CallBuiltin(BuiltinId::kSplit, env_, args, 2, &out));
    ASSERT_EQ(out.arr->size, 4u);  // empty parts kept as ""
    EXPECT_EQ(out.arr->items[1].string(), "");
    EXPECT_EQ(out.arr->items[3].string(), "");
  }
  EXPECT_EQ(Call("split", {S("a::b"), S("::")}), R"(array ["a","b"])");
  EXPECT_EQ(Call("split", {S("ab"), S("")}), "error: split: the separator is empty");
  EXPECT_EQ(Call("join", {Arr({S("a"), S(""), Value(), I(3), D(150, 2)}), S(", ")}), "a, 3, 1.50");
  EXPECT_EQ(Call("join", {Arr({S("x"), S("y")})}), "xy");
  EXPECT_EQ(Call("join", {Arr({S(""), Value()})}), "absent");
  EXPECT_EQ(Call("replace", {S("a-b-c"), S("-"), S("+")}), "a+b+c");
  EXPECT_EQ(Call("replace", {S("a-b-c"), S("-"), Value()}), "abc");
  EXPECT_EQ(Call("replace", {S("aaa"), S("aa"), S("b")}), "ba");
  EXPECT_EQ(Call("replace", {S("abc"), S("x"), S("y")}), "abc");
  EXPECT_EQ(Call("replace", {S("--"), S("-"), S("")}), "absent");
  EXPECT_EQ(Call("starts_with", {S("urn:oid:1.2"), S("urn:oid:")}), "true");
  EXPECT_EQ(Call("starts_with", {S("ur"), S("urn")}), "false");
  EXPECT_EQ(Call("ends_with", {S("file.json"), S(".json")}), "true");
  EXPECT_EQ(Call("ends_with", {S("n"), S("json")}), "false");
  EXPECT_EQ(Call("contains", {S("hello"), S("ll")}), "true");
  EXPECT_EQ(Call("contains", {S("hello"), S("x")}), "false");
  EXPECT_EQ(Call("contains", {Arr({I(1), S("a")}), D(10, 1)}), "true");
  EXPECT_EQ(Call("contains", {Arr({I(1), S("a")}), S("b")}), "false");
  EXPECT_EQ(Call("length", {S("héllo")}), "int 6");  // bytes
  EXPECT_EQ(Call("length", {Arr({I(1), I(2)})}), "int 2");
  EXPECT_EQ(Call("length", {Value()}), "int 0");
  EXPECT_EQ(Call("pad_left", {S("42"), I(5), S("0")}), "00042");
  EXPECT_EQ(Call("pad_left", {I(7), I(3), S("0")}), "007");
  EXPECT_EQ(Call("pad_left", {S("123456"), I(3), S("0")}), "123456");
  EXPECT_EQ(Call("pad_left", {S("1"), I(3), S("00")}), "error: pad_left: the pad character must be one byte");
  EXPECT_EQ(Call("pad_left", {S("1"), I(5000), S("0")}), "error: pad_left: width must be between 0 and 4096");
}

TEST_F(BuiltinsTest, Numbers) {
  EXPECT_EQ(Call("decimal", {S("-12.50")}), "dec -12.50");
  EXPECT_EQ(Call("decimal", {S(" +1.20 ")}), "dec 1.20");
  EXPECT_EQ(Call("decimal", {S(".5")}), "dec 0.5");
  EXPECT_EQ(Call("decimal", {S("7")}), "dec 7");
  EXPECT_EQ(Call("decimal", {S("1,5")}), "absent");
  EXPECT_EQ(Call("decimal", {S("1e3")}), "absent");
  EXPECT_EQ(Call("decimal", {S("abc")}), "absent");
  EXPECT_EQ(Call("decimal", {S("99999999999999999999")}), "absent");
  EXPECT_EQ(Call("decimal", {I(3)}), "dec 3");
  EXPECT_EQ(Call("integer", {S(" 42 ")}), "int 42");
  EXPECT_EQ(Call("integer", {S("-7")}), "int -7");
  EXPECT_EQ(Call("integer", {S("4.2")}), "absent");
  EXPECT_EQ(Call("integer", {D(420, 2)}), "absent");
  EXPECT_EQ(Call("integer", {D(400, 2)}), "int 4");
  EXPECT_EQ(Call("is_number", {S(" -1.5 ")}), "true");
  EXPECT_EQ(Call("is_number", {S("1.")}), "false");
  EXPECT_EQ(Call("is_number", {S("+1")}), "false");
  EXPECT_EQ(Call("is_number", {S("12a")}), "false");
  EXPECT_EQ(Call("is_number", {D(1, 1)}), "true");
  EXPECT_EQ(Call("round", {D(2345, 3), I(2)}), "dec 2.35");
  EXPECT_EQ(Call("round", {D(-2345, 3), I(2)}), "dec -2.35");  // half away from zero
  EXPECT_EQ(Call("round", {D(25, 1)}), "int 3");
  EXPECT_EQ(Call("round", {D(-25, 1)}), "int -3");
  EXPECT_EQ(Call("round", {D(24, 1)}), "int 2");
  EXPECT_EQ(Call("round", {D(15, 1), I(3)}), "dec 1.5");
  EXPECT_EQ(Call("round", {I(7), I(2)}), "int 7");
  EXPECT_EQ(Call("round", {S("1.5")}), "error: round: expected a number, got string (use decimal() or integer())");
  EXPECT_EQ(Call("round", {D(15, 1), I(-1)}), "error: round: digits must be between 0 and 18");
  EXPECT_EQ(Call("abs", {D(-150, 2)}), "dec 1.50");
  EXPECT_EQ(Call("abs", {I(-3)}), "int 3");
  EXPECT_EQ(Call("abs", {I(INT64_MIN)}), "error: abs: result out of range");
  EXPECT_EQ(Call("string", {D(150, 2)}), "1.50");
  EXPECT_EQ(Call("string", {Value::Bool(false)}), "false");
}

TEST_F(BuiltinsTest, Dates) {
  EXPECT_EQ(Call("date", {S("20240229")}), "2024-02-29");
  EXPECT_EQ(Call("date", {S("20230229")}), "absent");  // not a leap year
  EXPECT_EQ(Call("date", {S("19000229")}), "absent");  // century rule
  EXPECT_EQ(Call("date", {S("20000229")}), "2000-02-29");
  EXPECT_EQ(Call("date", {S("202402")}), "2024-02");
  EXPECT_EQ(Call("date", {S("2024")}), "2024");
  EXPECT_EQ(Call("date", {S("20241301")}), "absent");
  EXPECT_EQ(Call("date", {S("20240431")}), "absent");
  EXPECT_EQ(Call("date", {S("20240100")}), "absent");
  EXPECT_EQ(Call("date", {S("2024010")}), "absent");  // odd digit count
  EXPECT_EQ(Call("date", {S("20240102133005+0530")}), "2024-01-02");
  EXPECT_EQ(Call("date", {S("2024-01-02T10:00:00Z")}), "2024-01-02");
  EXPECT_EQ(Call("date", {S("0000")}), "absent");

  EXPECT_EQ(Call("datetime", {S("2024022913")}), "2024-02-29T13:00:00");
  EXPECT_EQ(Call("datetime", {S("202402291330+0530")}), "2024-02-29T13:30:00+05:30");
  EXPECT_EQ(Call("datetime", {S("20240229133005.12-0500")}), "2024-02-29T13:30:05.12-05:00");
  EXPECT_EQ(Call("datetime", {S("20240229133005.1234+0000")}), "2024-02-29T13:30:05.1234+00:00");
  EXPECT_EQ(Call("datetime", {S("20240229133005-0000")}), "2024-02-29T13:30:05-00:00");
  EXPECT_EQ(Call("datetime", {S("20240229133005Z")}), "2024-02-29T13:30:05Z");
  EXPECT_EQ(Call("datetime", {S("20240229+0500")}), "2024-02-29");
  EXPECT_EQ(Call("datetime", {S("202402")}), "2024-02");
  EXPECT_EQ(Call("datetime", {S("20240229133005.12345")}), "absent");  // HL7: at most 4 digits
  EXPECT_EQ(Call("datetime", {S("2024022913.5")}), "absent");          // fraction needs seconds
  EXPECT_EQ(Call("datetime", {S("2024022924")}), "absent");
  EXPECT_EQ(Call("datetime", {S("202402291360")}), "absent");
  EXPECT_EQ(Call("datetime", {S("20240229133060")}), "absent");
  EXPECT_EQ(Call("datetime", {S("202402291330+1500")}), "absent");
  EXPECT_EQ(Call("datetime", {S("202402291330+1401")}), "absent");
  EXPECT_EQ(Call("datetime", {S("202402291330+1400")}), "2024-02-29T13:30:00+14:00");
  EXPECT_EQ(Call("datetime", {S("202402291330+0560")}), "absent");
  EXPECT_EQ(Call("datetime", {S("202402291330+05")}), "absent");
  EXPECT_EQ(Call("datetime", {S(" 202402291330 ")}), "2024-02-29T13:30:00");
  EXPECT_EQ(Call("datetime", {S("2024-02-29T13:30:05.123456789+01:00")}), "2024-02-29T13:30:05.123456789+01:00");
  EXPECT_EQ(Call("datetime", {S("2024-02-30")}), "absent");
  EXPECT_EQ(Call("datetime", {I(2024)}), "2024");

  // A default zone fills in for times without one (and never replaces the source's zone).
  env_.default_zone = "-05:00";
  EXPECT_EQ(Call("datetime", {S("202402291330")}), "2024-02-29T13:30:00-05:00");
  EXPECT_EQ(Call("datetime", {S("202402291330+0100")}), "2024-02-29T13:30:00+01:00");
  EXPECT_EQ(Call("datetime", {S("20240229")}), "2024-02-29");
  EXPECT_EQ(Call("instant", {S("20240229133005")}), "2024-02-29T13:30:05-05:00");
  env_.default_zone = "Z";
  EXPECT_EQ(Call("datetime", {S("202402291330")}), "2024-02-29T13:30:00Z");
  env_.default_zone = "bogus";
  EXPECT_EQ(Call("datetime", {S("202402291330")}), "2024-02-29T13:30:00");
  env_.default_zone = "";

  EXPECT_EQ(Call("instant", {S("20240229133005+0530")}), "2024-02-29T13:30:05+05:30");
  EXPECT_EQ(Call("instant", {S("20240229133005.5-0500")}), "2024-02-29T13:30:05.5-05:00");
  EXPECT_EQ(Call("instant", {S("202402291330+0530")}), "absent");  // no seconds
  EXPECT_EQ(Call("instant", {S("20240229133005")}), "absent");     // no zone

  EXPECT_EQ(Call("hl7_dtm", {S("2024-02-29T13:30:05.123+05:30")}), "20240229133005.123+0530");
  EXPECT_EQ(Call("hl7_dtm", {S("2024-02-29T13:30:05.123456Z")}), "20240229133005.1234+0000");
  EXPECT_EQ(Call("hl7_dtm", {S("2024-02-29T13:30:05-05:00")}), "20240229133005-0500");
  EXPECT_EQ(Call("hl7_dtm", {S("2024-02-29")}), "20240229");
  EXPECT_EQ(Call("hl7_dtm", {S("2024-02")}), "202402");
  EXPECT_EQ(Call("hl7_dtm", {S("2024")}), "2024");
  EXPECT_EQ(Call("hl7_dtm", {S("2024-02-29T25:00:00Z")}), "absent");
  EXPECT_EQ(Call("hl7_dtm", {S("20240229133005")}), "20240229133005");  // HL7 in, HL7 out
  EXPECT_EQ(Call("date", {Arr({S("2024")})}), "error: date: expected a string, got array");
}

TEST_F(BuiltinsTest, CollectionsAndPresence) {
  Value arr = Arr({S("a"), S("b"), S("a"), D(10, 1), I(1)});
  EXPECT_EQ(Call("count", {arr}), "int 5");
  EXPECT_EQ(Call("count", {Value()}), "int 0");
  EXPECT_EQ(Call("count", {S("x")}), "int 1");
  EXPECT_EQ(Call("first", {arr}), "a");
  EXPECT_EQ(Call("last", {arr}), "int 1");
  EXPECT_EQ(Call("first", {S("x")}), "x");
  EXPECT_EQ(Call("first", {Arr({})}), "absent");
  EXPECT_EQ(Call("exists", {Value()}), "false");
  EXPECT_EQ(Call("exists", {S("")}), "false");
  EXPECT_EQ(Call("exists", {I(0)}), "true");
  EXPECT_EQ(Call("is_null", {Value::Null()}), "true");
  EXPECT_EQ(Call("is_null", {Value()}), "false");
  EXPECT_EQ(Call("coalesce", {Value(), S(""), Value::Null(), S("x"), S("y")}), "x");
  EXPECT_EQ(Call("coalesce", {Value()}), "absent");
  EXPECT_EQ(Call("distinct", {arr}), R"(array ["a","b",1.0])");
}

TEST_F(BuiltinsTest, V2ArgumentsAreReadFirst) {
  std::string text =
      "MSH|^~\\&|A|B|C|D|20240102||ADT^A01|1|P|2.5\r"
      "PID|1||123^^^H^MR~456^^^O^PI~789||Doe^Jane||19800229|\"\"\r";
  hl7v2::Message msg;
  ASSERT_TRUE(msg.Parse(text).ok());
  std::string scratch;
  env_.value.message = &msg;
  env_.value.scratch = &scratch;
  auto ref = [](int seg, int field, int rep, int comp) {
    V2Ref r{};
    r.segment = seg;
    r.field = static_cast<uint16_t>(field);
    r.rep = static_cast<uint16_t>(rep);
    r.comp = static_cast<uint8_t>(comp);
    return Value::V2(r);
  };
  EXPECT_EQ(Call("date", {ref(1, 7, 0, 0)}), "1980-02-29");
  EXPECT_EQ(Call("upper", {ref(1, 5, 0, 1)}), "DOE");
  EXPECT_EQ(Call("count", {ref(1, 3, 0, 0)}), "int 3");
  EXPECT_EQ(Call("count", {ref(1, 4, 0, 0)}), "int 0");
  Value out;
  Value arg = ref(1, 3, 0, 0);
  ASSERT_TRUE(CallBuiltin(BuiltinId::kLast, env_, &arg, 1, &out));
  ASSERT_EQ(out.kind, ValueKind::kV2);  // stays lazy
  EXPECT_EQ(out.v2.rep, 3);
  EXPECT_EQ(std::string(ToString(env_.value, out)), "789");
  EXPECT_EQ(Call("is_null", {ref(1, 8, 0, 0)}), "true");
  EXPECT_EQ(Call("exists", {ref(1, 8, 0, 0)}), "false");
  EXPECT_EQ(Call("is_null", {ref(1, 9, 0, 0)}), "false");
  EXPECT_EQ(Call("coalesce", {ref(1, 8, 0, 0), ref(1, 5, 0, 2)}), "HL7 v2 value Jane");
}

TEST_F(BuiltinsTest, Uuid5MatchesRfc4122AndPython) {
  // Python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")
  EXPECT_EQ(Call("uuid5", {S("dns"), S("python.org")}), "886313e1-3b8a-5372-9b90-0c9aee199e5d");
  EXPECT_EQ(Call("uuid5", {S("6ba7b810-9dad-11d1-80b4-00c04fd430c8"), S("python.org")}),
            "886313e1-3b8a-5372-9b90-0c9aee199e5d");
  EXPECT_EQ(Call("uuid5", {S("urn:uuid:6BA7B810-9DAD-11D1-80B4-00C04FD430C8"), S("python.org")}),
            "886313e1-3b8a-5372-9b90-0c9aee199e5d");
  // Python: uuid.uuid5(uuid.NAMESPACE_URL, "http://python.org/")
  EXPECT_EQ(Call("uuid5", {S("url"), S("http://python.org/")}), "4c565f0d-3f5a-5890-b41b-20cf47701c5e");
  // Python: uuid.uuid5(uuid.NAMESPACE_OID, "1.2.3")
  EXPECT_EQ(Call("uuid5", {S("oid"), S("1.2.3")}), "42d5e23b-3a02-5135-85c6-52d1102f1f00");
  EXPECT_EQ(Call("uuid5", {S("not-a-uuid"), S("x")}),
            "error: uuid5: the namespace is not a UUID nor one of dns, url, oid, x500");
  EXPECT_EQ(Call("uuid5", {S("dns"), I(12)}), Call("uuid5", {S("dns"), S("12")}));
}

TEST_F(BuiltinsTest, Sha256Vectors) {
  EXPECT_EQ(Call("sha256", {S("abc")}), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Call("sha256", {S("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")}),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // Empty input is absent by the builtin convention; the hash itself handles it (FIPS 180-4 vector).
  Sha256 h;
  uint8_t d[32];
  h.Final(d);
  char hex[64];
  HexLower(d, 32, hex);
  EXPECT_EQ(std::string(hex, 64), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // One million 'a' fed in odd-sized pieces (buffering across blocks).
  Sha256 m;
  std::string chunk(997, 'a');
  size_t left = 1000000;
  while (left) {
    size_t n = left < chunk.size() ? left : chunk.size();
    m.Update(chunk.data(), n);
    left -= n;
  }
  m.Final(d);
  HexLower(d, 32, hex);
  EXPECT_EQ(std::string(hex, 64), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// The SHA instructions (when the CPU has them) and the portable code give the same digests for every
// length around the block and padding boundaries, fed whole or in pieces.
TEST(Sha1Test, HardwareAndPortableAgree) {
  std::string data;
  for (int i = 0; i < 300; ++i) data.push_back(static_cast<char>((i * 131 + 7) & 0xFF));
  auto digest = [&](size_t n, size_t piece) {
    Sha1 h;
    for (size_t at = 0; at < n; at += piece) h.Update(data.data() + at, std::min(piece, n - at));
    uint8_t d[20];
    h.Final(d);
    return std::string(reinterpret_cast<const char*>(d), 20);
  };
  const bool hardware = SetSha1Hardware(true);
  std::vector<std::string> fast;
  for (size_t n = 0; n <= data.size(); ++n) fast.push_back(digest(n, n % 7 == 0 ? 13 : 300));
  SetSha1Hardware(false);
  for (size_t n = 0; n <= data.size(); ++n) EXPECT_EQ(digest(n, 300), fast[n]) << n;
  SetSha1Hardware(true);
  EXPECT_EQ(SetSha1Hardware(true), hardware);
}

TEST(Sha1Test, FipsVectors) {
  auto hex = [](std::string_view s) {
    Sha1 h;
    h.Update(s.data(), s.size());
    uint8_t d[20];
    h.Final(d);
    char out[40];
    HexLower(d, 20, out);
    return std::string(out, 40);
  };
  EXPECT_EQ(hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

TEST_F(BuiltinsTest, RunContext) {
  EXPECT_EQ(Call("now", {}), "2024-05-06T07:08:09Z");
  env_.now = {};
  EXPECT_EQ(Call("now", {}), "absent");
  EXPECT_EQ(Call("var", {S("facility")}), "absent");  // no host lookup
  env_.var = [](void* ctx, std::string_view name) -> std::string_view {
    return name == "facility" ? *static_cast<std::string_view*>(ctx) : std::string_view();
  };
  std::string_view facility = "GENERAL";
  env_.var_ctx = &facility;
  EXPECT_EQ(Call("var", {S("facility")}), "GENERAL");
  EXPECT_EQ(Call("var", {S("other")}), "absent");
}

}  // namespace
}  // namespace crosswalk::vm

namespace crosswalk::vm {
namespace {

// Ids derived from one namespace and a long shared prefix reuse the SHA-1 state of the first block: the
// results must equal Python's uuid.uuid5 in any call order (values computed with Python 3.11).
TEST_F(BuiltinsTest, Uuid5WithSharedPrefixesInAnyOrder) {
  const char* a = "crosswalk-hl7v2-to-fhir/MSG00001/20240312083015-0500/Patient/0";
  const char* b = "crosswalk-hl7v2-to-fhir/MSG00001/20240312083015-0500/Encounter/1";
  const char* c = "crosswalk-hl7v2-to-fhir/MSG00002/20240312083015-0500/Patient/0";
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(Call("uuid5", {S("url"), S(a)}), "c3d03d04-1687-5377-8316-3644ff9203c8");
    EXPECT_EQ(Call("uuid5", {S("url"), S(b)}), "232e6464-3f12-5941-a32f-09c477262616");
    EXPECT_EQ(Call("uuid5", {S("url"), S(c)}), "834643bf-34ca-58a4-9071-2465f3c5ede2");
    EXPECT_EQ(Call("uuid5", {S("dns"), S("python.org")}), "886313e1-3b8a-5372-9b90-0c9aee199e5d");
    EXPECT_EQ(Call("uuid5", {S("url"), S(a)}), "c3d03d04-1687-5377-8316-3644ff9203c8");
  }
}

// uuid5 keeps recent ids per thread (by namespace and whole name): names that differ only in bytes its
// slot choice does not sample, and the same name under another namespace, must never share an id.
TEST_F(BuiltinsTest, Uuid5RepeatedNamesAndNearCollisions) {
  const char* a = "crosswalk/party/Practitioner/{\"id\":\"A1\",\"x\":\"0123\"}";
  const char* b = "crosswalk/party/Practitioner/{\"id\":\"B1\",\"x\":\"0123\"}";  // differs at byte 36 only
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(Call("uuid5", {S("url"), S(a)}), "e7c74e16-3b39-5804-a15e-42aed2138755");
    EXPECT_EQ(Call("uuid5", {S("url"), S(a)}), "e7c74e16-3b39-5804-a15e-42aed2138755");
    EXPECT_EQ(Call("uuid5", {S("url"), S(b)}), "2707d4c3-2487-5dc6-97a6-725ce9adbca2");
    EXPECT_EQ(Call("uuid5", {S("dns"), S(a)}), "0a7bf3f1-1ba3-59bb-bfe8-e0f9787817c8");
  }
}

// RFC 4648 section 10 test vectors.
TEST_F(BuiltinsTest, UrlEncode) {
  EXPECT_EQ(Call("url_encode", {S("AZaz09-._~")}), "AZaz09-._~");  // unreserved: kept
  EXPECT_EQ(Call("url_encode", {S("urn:oid:1.2.3|MR 12&x=#5+%")}), "urn%3Aoid%3A1.2.3%7CMR%2012%26x%3D%235%2B%25");
  EXPECT_EQ(Call("url_encode", {S("a/b?c")}), "a%2Fb%3Fc");
  EXPECT_EQ(Call("url_encode", {S("\xC3\xA9\xFF")}), "%C3%A9%FF");  // each UTF-8 byte, upper-case hex
  EXPECT_EQ(Call("url_encode", {S("")}), "absent");
}

// FHIR R4 `code`: [^\s]+( [^\s]+)* (single spaces between parts; no tab, line break or doubled space).
TEST_F(BuiltinsTest, FhirCode) {
  EXPECT_EQ(Call("fhir_code", {S("M")}), "M");
  EXPECT_EQ(Call("fhir_code", {S("  10828004 ")}), "10828004");  // trimmed, as trim()
  EXPECT_EQ(Call("fhir_code", {S("a b c")}), "a b c");          // single spaces between parts
  EXPECT_EQ(Call("fhir_code", {S("a b\tc")}), "absent");
  EXPECT_EQ(Call("fhir_code", {S("one.\nTwo")}), "absent");      // a report's lines
  EXPECT_EQ(Call("fhir_code", {S("Staph   Strep")}), "absent");     // prose, not a code
  EXPECT_EQ(Call("fhir_code", {S("ACTION\n\nNBS")}), "absent");
  EXPECT_EQ(Call("fhir_code", {S("a \tb")}), "absent");
  EXPECT_EQ(Call("fhir_code", {S(" \t ")}), "absent");
  EXPECT_EQ(Call("fhir_code", {S("")}), "absent");
}

TEST_F(BuiltinsTest, Base64) {
  EXPECT_EQ(Call("base64", {S("f")}), "Zg==");
  EXPECT_EQ(Call("base64", {S("fo")}), "Zm8=");
  EXPECT_EQ(Call("base64", {S("foo")}), "Zm9v");
  EXPECT_EQ(Call("base64", {S("foob")}), "Zm9vYg==");
  EXPECT_EQ(Call("base64", {S("fooba")}), "Zm9vYmE=");
  EXPECT_EQ(Call("base64", {S("foobar")}), "Zm9vYmFy");
  EXPECT_EQ(Call("base64", {S("")}), "absent");
  EXPECT_EQ(Call("base64", {S("\xC3\xA9\xFF")}), "w6n/");
}

}  // namespace
}  // namespace crosswalk::vm
