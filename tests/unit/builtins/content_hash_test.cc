// content_hash (vm/content_hash.h): SipHash-2-4-128 against the reference vectors, the encoding pinned
// byte for byte, and "equal hashes exactly when the JSON text is equal" over many small values.
#include "vm/content_hash.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hl7v2/message.h"
#include "json/json_writer.h"
#include "value/arena.h"
#include "vm/builtins.h"
#include "vm/hash.h"

namespace crosswalk::vm {
namespace {

std::string Hex(const uint8_t* d, size_t n) {
  std::string s(2 * n, '?');
  HexLower(d, n, s.data());
  return s;
}

// vectors_sip128 of the SipHash reference implementation (github.com/veorq/SipHash, vectors.h, CC0):
// SipHash-2-4 with 128-bit output, key 00 01 .. 0f, message 00 01 .. (len - 1), for len 0..63.
constexpr const char* kSip128Vectors[64] = {
    "a3817f04ba25a8e66df67214c7550293", "da87c1d86b99af44347659119b22fc45", "8177228da4a45dc7fca38bdef60affe4",
    "9c70b60c5267a94e5f33b6b02985ed51", "f88164c12d9c8faf7d0f6e7c7bcd5579", "1368875980776f8854527a07690e9627",
    "14eeca338b208613485ea0308fd7a15e", "a1f1ebbed8dbc153c0b84aa61ff08239", "3b62a9ba6258f5610f83e264f31497b4",
    "264499060ad9baabc47f8b02bb6d71ed", "00110dc378146956c95447d3f3d0fbba", "0151c568386b6677a2b4dc6f81e5dc18",
    "d626b266905ef35882634df68532c125", "9869e247e9c08b10d029934fc4b952f7", "31fcefac66d7de9c7ec7485fe4494902",
    "5493e99933b0a8117e08ec0f97cfc3d9", "6ee2a4ca67b054bbfd3315bf85230577", "473d06e8738db89854c066c47ae47740",
    "a426e5e423bf4885294da481feaef723", "78017731cf65fab074d5208952512eb1", "9e25fc833f2290733e9344a5e83839eb",
    "568e495abe525a218a2214cd3e071d12", "4a29b54552d16b9a469c10528eff0aae", "c9d184ddd5a9f5e0cf8ce29a9abf691c",
    "2db479ae78bd50d8882a8a178a6132ad", "8ece5f042d5e447b5051b9eacb8d8f6f", "9c0b53b4b3c307e87eaee08678141f66",
    "abf248af69a6eae4bfd3eb2f129eeb94", "0664da1668574b88b935f3027358aef4", "aa4b9dc4bf337de90cd4fd3c467c6ab7",
    "ea5c7f471faf6bde2b1ad7d4686d2287", "2939b0183223fafc1723de4f52c43d35", "7c3956ca5eeafc3e363e9d556546eb68",
    "77c6077146f01c32b6b69d5f4ea9ffcf", "37a6986cb8847edf0925f0f1309b54de", "a705f0e69da9a8f907241a2e923c8cc8",
    "3dc47d1f29c448461e9e76ed904f6711", "0d62bf01e6fc0e1a0d3c4751c5d3692b", "8c03468bca7c669ee4fd5e084bbee7b5",
    "528a5bb93baf2c9c4473cce5d0d22bd9", "df6a301e95c95dad97ae0cc8c6913bd8", "801189902c857f39e73591285e70b6db",
    "e617346ac9c231bb3650ae34ccca0c5b", "27d93437efb721aa401821dcec5adf89", "89237d9ded9c5e78d8b1c9b166cc7342",
    "4a6d8091bf5e7d651189fa94a250b14c", "0e33f96055e7ae893ffc0e3dcf492902", "e61c432b720b19d18ec8d84bdc63151b",
    "f7e5aef549f782cf379055a608269b16", "438d030fd0b7a54fa837f2ad201a6403", "a590d3ee4fbf04e3247e0d27f286423f",
    "5fe2c1a172fe93c4b15cd37caef9f538", "2c97325cbd06b36eb2133dd08b3a017c", "92c814227a6bca949ff0659f002ad39e",
    "dce850110bd8328cfbd50841d6911d87", "67f14984c7da791248e32bb5922583da", "1938f2cf72d54ee97e94166fa91d2a36",
    "74481e9646ed49fe0f6224301604698e", "57fca5de98a9d6d8006438d0583d8a1d", "9fecde1cefdc1cbed4763674d9575359",
    "e3040c00eb28f15366ca73cbd872e740", "7697009a6a831dfecca91c5993670f7a", "5853542321f567a005d547a4f04759bd",
    "5150d1772f50834a503e069a973fbd7c",
};

TEST(SipHash24x128Test, ReferenceVectors) {
  uint8_t key[16], msg[64], out[16];
  for (int i = 0; i < 16; ++i) key[i] = static_cast<uint8_t>(i);
  for (int i = 0; i < 64; ++i) msg[i] = static_cast<uint8_t>(i);
  for (size_t len = 0; len < 64; ++len) {
    SipHash24x128(msg, len, key, out);
    EXPECT_EQ(Hex(out, 16), kSip128Vectors[len]) << "len " << len;
  }
}

class ContentHashTest : public ::testing::Test {
 protected:
  ContentHashTest() { env_.value.arena = &arena_; }

  // "absent", the 32 hex digits, or "error: ...".
  std::string Hash(const Value& v) {
    env_.error.clear();
    env_.limit_exceeded = false;
    Value out;
    if (!CallBuiltin(BuiltinId::kContentHash, env_, &v, 1, &out)) return "error: " + env_.error;
    if (out.is_absent()) return "absent";
    EXPECT_EQ(out.kind, ValueKind::kString);
    return std::string(out.string());
  }
  std::string Json(const Value& v) {
    std::string s;
    EXPECT_TRUE(WriteJson(env_.value, v, &s).ok());
    return s;
  }
  static Value S(std::string_view s) { return Value::String(s); }
  Value Arr(std::initializer_list<Value> items) {
    Array* a = NewArray(arena_);
    for (const Value& v : items) ArrayPush(arena_, a, v);
    return Value::MakeArray(a);
  }
  Value Obj(std::initializer_list<std::pair<std::string_view, Value>> members) {
    Object* o = NewObject(arena_);
    for (const auto& [k, v] : members) ObjectSet(arena_, o, k, v);
    return Value::MakeObject(o);
  }

  Arena arena_;
  BuiltinEnv env_;
};

// The definition in content_hash.h, byte for byte: expected values from an independent implementation
// (Python, SipHash-2-4-128 checked against the same reference vectors) over the encoding written out by hand.
TEST_F(ContentHashTest, EncodingIsPinned) {
  // '{' 0c "resourceType" 's' 0c "Organization" 04 "name" 's' 0b "Good Health" 0a "identifier"
  // '[' '{' 05 "value" 's' 03 "123" '}' ']' 06 "active" 't' 01 "n" 'n' 04 "1.50" '}'
  Value org = Obj({{"resourceType", S("Organization")},
                   {"name", S("Good Health")},
                   {"identifier", Arr({Obj({{"value", S("123")}})})},
                   {"active", Value::Bool(true)},
                   {"n", Value::Decimal(150, 2)}});
  EXPECT_EQ(Hash(org), "971dc7ae41079369f36816e0982b5af7");
  EXPECT_EQ(Hash(S("abc")), "d65151bd1e3c83dba100b986a128d5cc");  // 's' 03 "abc"
  // A length of 200 takes two LEB128 bytes (c8 01): '[' 's' c8 01 "xx...x" ']'
  std::string long_text(200, 'x');
  EXPECT_EQ(Hash(Arr({S(long_text)})), "00462154bc0637130b29625d3ff5374c");
}

TEST_F(ContentHashTest, RepeatsAndNearMissesGiveTheirOwnHashes) {
  // The per-thread memo picks a slot from the length and three samples: contents that differ elsewhere
  // share a slot and must still get their own hashes, in any order.
  std::string a(100, 'a'), b = a, c = a;
  b[20] = 'b';
  c[70] = 'c';
  std::string ha = Hash(S(a)), hb = Hash(S(b)), hc = Hash(S(c));
  EXPECT_NE(ha, hb);
  EXPECT_NE(ha, hc);
  EXPECT_NE(hb, hc);
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(Hash(S(c)), hc);
    EXPECT_EQ(Hash(S(a)), ha);
    EXPECT_EQ(Hash(S(b)), hb);
  }
  // Longer than the memo keeps: hashed every time, same answer.
  std::string big(5000, 'x');
  std::string h = Hash(S(big));
  EXPECT_EQ(Hash(S(big)), h);
  big[2500] = 'y';
  EXPECT_NE(Hash(S(big)), h);
}

TEST_F(ContentHashTest, NothingToWriteIsAbsent) {
  EXPECT_EQ(Hash(Value()), "absent");
  EXPECT_EQ(Hash(Value::Null()), "absent");
  EXPECT_EQ(Hash(S("")), "absent");
  EXPECT_EQ(Hash(Arr({})), "absent");
  EXPECT_EQ(Hash(Obj({{"a", Value::Null()}, {"b", Arr({S(""), Obj({})})}})), "absent");
}

TEST_F(ContentHashTest, EmptyPartsAreLeftOutAsTheWriterLeavesThemOut) {
  Value plain = Obj({{"a", S("x")}, {"c", Arr({S("y")})}});
  Value with_empties = Obj({{"a", S("x")},
                            {"b", Obj({{"d", S("")}, {"e", Arr({Value::Null()})}})},
                            {"c", Arr({Value(), S("y"), S(""), Obj({})})},
                            {"z", Value::Null()}});
  EXPECT_EQ(Json(plain), Json(with_empties));
  EXPECT_EQ(Hash(plain), Hash(with_empties));
}

TEST_F(ContentHashTest, HashesAlikeExactlyWhenTheJsonTextIsTheSame) {
  // Small values that differ in one way each: kinds, number spellings, boundaries between strings, member
  // order, nesting. Every pair hashes alike exactly when it writes the same JSON.
  Value number_text = S("1.0");
  number_text.flags = kFlagNumberText;
  std::vector<Value> values = {
      S("1"), Value::Int(1), Value::Decimal(10, 1), number_text, S("1.0"), Value::Decimal(100, 2),
      Value::Bool(true), S("true"), Value::Bool(false),
      Arr({S("a"), S("b")}), Arr({S("ab")}), Arr({S("a"), S("b"), S("")}), Arr({Arr({S("a")}), S("b")}),
      Obj({{"ab", S("c")}}), Obj({{"a", S("bc")}}), Obj({{"a", S("b")}, {"c", S("d")}}),
      Obj({{"c", S("d")}, {"a", S("b")}}), Obj({{"a", S("b")}, {"c", S("d")}, {"e", Value::Null()}}),
      Obj({{"a", Arr({S("b")})}}), Obj({{"a", Obj({{"b", S("c")}})}}), Arr({Obj({{"a", S("b")}})}),
      Obj({{"", S("x")}}), Obj({{"x", S("")}, {"", S("x")}}), S("\"quoted\""), S("\xC3\xA9"),
  };
  for (size_t i = 0; i < values.size(); ++i) {
    for (size_t j = 0; j < values.size(); ++j) {
      bool same_json = Json(values[i]) == Json(values[j]);
      EXPECT_EQ(Hash(values[i]) == Hash(values[j]), same_json) << Json(values[i]) << " vs " << Json(values[j]);
    }
  }
}

TEST_F(ContentHashTest, Hl7v2NodesHashAsTheTextTheyRead) {
  std::string text =
      "MSH|^~\\&|A|B|C|D|20240102||ADT^A01|1|P|2.5\r"
      "PID|1||123^^^H^MR||Doe\\T\\Roe^Jane||19800229|\"\"\r";
  hl7v2::Message msg;
  ASSERT_TRUE(msg.Parse(text).ok());
  std::string scratch;
  env_.value.message = &msg;
  env_.value.scratch = &scratch;
  auto ref = [](int field, int comp) {
    V2Ref r{};
    r.segment = 1;
    r.field = static_cast<uint16_t>(field);
    r.comp = static_cast<uint8_t>(comp);
    return Value::V2(r);
  };
  EXPECT_EQ(Hash(Obj({{"family", ref(5, 1)}, {"given", ref(5, 2)}})),
            Hash(Obj({{"family", S("Doe&Roe")}, {"given", S("Jane")}})));
  // Explicit null "" and an absent field write nothing.
  EXPECT_EQ(Hash(Obj({{"a", S("x")}, {"b", ref(8, 0)}, {"c", ref(30, 0)}})), Hash(Obj({{"a", S("x")}})));
}

TEST_F(ContentHashTest, GroupsDeepNestingAndTheBudgetAreErrors) {
  EXPECT_EQ(Hash(Arr({Value::Group(nullptr)})), "error: content_hash: an HL7 v2 group has no content");
  // kMaxContentHashDepth arrays one inside the other hash; one more is an error.
  Value nested = S("x");
  for (int i = 0; i < kMaxContentHashDepth; ++i) nested = Arr({nested});
  EXPECT_EQ(Hash(nested).size(), 32u);
  EXPECT_EQ(Hash(Arr({nested})), "error: content_hash: value nested too deeply");

  // Work: 1 + 2 for the array, 1 + 1 for the object, 1 for hashing 20 bytes = 6 units.
  Value v = Arr({Obj({{"k", S("v")}}), S("w")});
  env_.work_left = UINT64_MAX;
  ASSERT_EQ(Hash(v).size(), 32u);
  EXPECT_EQ(UINT64_MAX - env_.work_left, 6u);
  env_.work_left = 7;
  EXPECT_EQ(Hash(v).size(), 32u);
  env_.work_left = 6;
  EXPECT_EQ(Hash(v).substr(0, 7), "error: ");
  EXPECT_TRUE(env_.limit_exceeded);
}

}  // namespace
}  // namespace crosswalk::vm
