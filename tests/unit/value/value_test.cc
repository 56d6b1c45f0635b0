#include "value/value.h"

#include <gtest/gtest.h>

#include <string>

#include "hl7v2/message.h"
#include "json/json_writer.h"
#include "value/arena.h"

namespace crosswalk::vm {
namespace {

class ValueTest : public ::testing::Test {
 protected:
  Value Dec(std::string_view text) {
    int64_t m;
    uint16_t s;
    bool nz = false;
    EXPECT_TRUE(ParseDecimal(text, &m, &s, &nz)) << text;
    Value v = Value::Decimal(m, s);
    if (nz) v.flags = kFlagNegativeZero;
    return v;
  }
  std::string Str(const Value& v) { return std::string(ToString(env_, v)); }
  // Runs an arithmetic op and returns the string form, or "error: ..." text.
  std::string Op(ArithOp op, const Value& a, const Value& b) {
    Value out;
    const char* err = nullptr;
    if (!Arith(env_, op, a, b, &out, &err)) return std::string("error: ") + err;
    if (out.is_absent()) return "absent";
    return std::string(ValueKindName(out.kind)) + " " + Str(out);
  }

  Arena arena_;
  ValueEnv env_{&arena_};
};

TEST_F(ValueTest, SizeIs16) { EXPECT_EQ(sizeof(Value), 16u); }

TEST_F(ValueTest, ArraysGrowInTheArena) {
  Array* a = NewArray(arena_, 1);
  for (int i = 0; i < 100; ++i) ArrayPush(arena_, a, Value::Int(i));
  ASSERT_EQ(a->size, 100u);
  EXPECT_EQ(a->items[99].i, 99);
  Array* z = NewArray(arena_, 0);
  ArrayPush(arena_, z, Value::Bool(true));
  EXPECT_EQ(z->size, 1u);
}

TEST_F(ValueTest, ObjectSetReplacesInPlaceAndKeepsOrder) {
  Object* o = NewObject(arena_, 1);
  ObjectSet(arena_, o, "b", Value::Int(1));
  ObjectSet(arena_, o, "a", Value::Int(2));
  ObjectSet(arena_, o, "c", Value::Int(3));
  ObjectSet(arena_, o, "b", Value::Int(4));
  ASSERT_EQ(o->size, 3u);
  EXPECT_EQ(o->members[0].key, "b");
  EXPECT_EQ(o->members[0].value.i, 4);
  EXPECT_EQ(ObjectGet(o, "c").i, 3);
  EXPECT_TRUE(ObjectGet(o, "zz").is_absent());
  EXPECT_EQ(Str(Value::MakeObject(o)), R"({"b":4,"a":2,"c":3})");
}

TEST_F(ValueTest, EmptyValues) {
  EXPECT_TRUE(IsEmpty(env_, Value()));
  EXPECT_TRUE(IsEmpty(env_, Value::Null()));
  EXPECT_TRUE(IsEmpty(env_, Value::String("")));
  EXPECT_TRUE(IsEmpty(env_, Value::MakeArray(NewArray(arena_))));
  EXPECT_TRUE(IsEmpty(env_, Value::MakeObject(NewObject(arena_))));
  EXPECT_FALSE(IsEmpty(env_, Value::String(" ")));
  EXPECT_FALSE(IsEmpty(env_, Value::Int(0)));
  EXPECT_FALSE(IsEmpty(env_, Value::Bool(false)));
  EXPECT_FALSE(Truthy(env_, Value::Bool(false)));
  EXPECT_TRUE(Truthy(env_, Value::Int(0)));  // 0 is a present value
  EXPECT_FALSE(Truthy(env_, Value::String("")));
}

TEST_F(ValueTest, DecimalTextRoundTrips) {
  for (const char* t : {"1.50", "-0.5", "0", "-0", "-0.0", "0.001", "123456789012345678.9", "-9223372036854775808",
                        "9223372036854775807", "100"}) {
    EXPECT_EQ(Str(Dec(t)), t);
  }
  int64_t m;
  uint16_t s;
  EXPECT_FALSE(ParseDecimal("9223372036854775808", &m, &s));  // one past INT64_MAX
  EXPECT_FALSE(ParseDecimal("1.", &m, &s));
  EXPECT_FALSE(ParseDecimal(".5", &m, &s));
  EXPECT_FALSE(ParseDecimal("+1", &m, &s));
  EXPECT_FALSE(ParseDecimal("1e3", &m, &s));
  EXPECT_FALSE(ParseDecimal("", &m, &s));
  EXPECT_FALSE(ParseDecimal("-", &m, &s));
  EXPECT_FALSE(ParseDecimal(" 1", &m, &s));
}

TEST_F(ValueTest, DecimalArithmeticIsExact) {
  EXPECT_EQ(Op(ArithOp::kAdd, Dec("0.1"), Dec("0.2")), "decimal 0.3");
  EXPECT_TRUE(Equal(env_, Dec("0.3"), [&] {
    Value out;
    const char* e;
    EXPECT_TRUE(Arith(env_, ArithOp::kAdd, Dec("0.1"), Dec("0.2"), &out, &e));
    return out;
  }()));
  EXPECT_EQ(Op(ArithOp::kAdd, Dec("1.50"), Value::Int(1)), "decimal 2.50");
  EXPECT_EQ(Op(ArithOp::kSub, Dec("1.50"), Dec("1.5")), "decimal 0.00");
  EXPECT_EQ(Op(ArithOp::kMul, Dec("1.5"), Dec("1.5")), "decimal 2.25");
  EXPECT_EQ(Op(ArithOp::kMul, Dec("1.50"), Value::Int(2)), "decimal 3.00");
  EXPECT_EQ(Op(ArithOp::kDiv, Dec("1.50"), Value::Int(2)), "decimal 0.75");
  EXPECT_EQ(Op(ArithOp::kDiv, Dec("3.00"), Dec("1.5")), "decimal 2.0");
  EXPECT_EQ(Op(ArithOp::kDiv, Value::Int(1), Dec("3.0")), "decimal 0.3333333333");
  EXPECT_EQ(Op(ArithOp::kDiv, Value::Int(2), Dec("3")), "decimal 0.6666666667");  // half away from zero
  EXPECT_EQ(Op(ArithOp::kDiv, Value::Int(-2), Dec("3")), "decimal -0.6666666667");
  EXPECT_EQ(Op(ArithOp::kMod, Dec("5.5"), Value::Int(2)), "decimal 1.5");
  EXPECT_EQ(Op(ArithOp::kMod, Dec("-5.5"), Value::Int(2)), "decimal -1.5");
  EXPECT_EQ(Op(ArithOp::kSub, Dec("-0.0"), Dec("0.5")), "decimal -0.5");
}

TEST_F(ValueTest, IntegerArithmetic) {
  EXPECT_EQ(Op(ArithOp::kAdd, Value::Int(2), Value::Int(3)), "integer 5");
  EXPECT_EQ(Op(ArithOp::kDiv, Value::Int(6), Value::Int(2)), "integer 3");
  EXPECT_EQ(Op(ArithOp::kDiv, Value::Int(7), Value::Int(2)), "decimal 3.5");
  EXPECT_EQ(Op(ArithOp::kDiv, Value::Int(-7), Value::Int(2)), "decimal -3.5");
  EXPECT_EQ(Op(ArithOp::kMod, Value::Int(-7), Value::Int(2)), "integer -1");
  EXPECT_EQ(Op(ArithOp::kMod, Value::Int(INT64_MIN), Value::Int(-1)), "integer 0");
  EXPECT_EQ(Op(ArithOp::kAdd, Value::Int(INT64_MAX), Value::Int(1)), "error: integer overflow");
  EXPECT_EQ(Op(ArithOp::kMul, Value::Int(INT64_MAX), Value::Int(2)), "error: integer overflow");
  EXPECT_EQ(Op(ArithOp::kDiv, Value::Int(INT64_MIN), Value::Int(-1)), "error: integer overflow");
  EXPECT_EQ(Op(ArithOp::kDiv, Value::Int(1), Value::Int(0)), "error: division by zero");
  EXPECT_EQ(Op(ArithOp::kDiv, Dec("1.0"), Dec("0.00")), "error: division by zero");
  EXPECT_EQ(Op(ArithOp::kMod, Value::Int(1), Value::Int(0)), "error: division by zero");
  EXPECT_EQ(Op(ArithOp::kAdd, Value::Decimal(INT64_MAX, 0), Value::Int(1)), "error: decimal overflow");
  EXPECT_EQ(Op(ArithOp::kAdd, Value::Decimal(INT64_MAX, 0), Dec("0.5")), "error: decimal overflow");
}

TEST_F(ValueTest, TypeErrorsCarryNoValues) {
  EXPECT_EQ(Op(ArithOp::kAdd, Value::String("12"), Value::Int(1)), "error: cannot add string and integer");
  EXPECT_EQ(Op(ArithOp::kMul, Value::Bool(true), Dec("1.0")), "error: cannot multiply boolean and decimal");
  Value big = Value::String("1E400");
  big.flags = kFlagNumberText;
  EXPECT_EQ(Op(ArithOp::kAdd, big, Value::Int(1)), "error: number outside the exact decimal range");
  Value out;
  const char* err = nullptr;
  EXPECT_FALSE(Negate(env_, Value::String("secret"), &out, &err));
  EXPECT_EQ(std::string(err), "cannot negate string");
  int r;
  EXPECT_FALSE(Compare(env_, Value::String("5"), Value::Int(3), &r, &err));
  EXPECT_EQ(std::string(err), "cannot compare string and integer");
}

TEST_F(ValueTest, AbsentOperandsPropagate) {
  EXPECT_EQ(Op(ArithOp::kAdd, Value(), Value::Int(1)), "absent");
  EXPECT_EQ(Op(ArithOp::kMul, Dec("1.5"), Value::Null()), "absent");
  Value out;
  const char* err;
  ASSERT_TRUE(Negate(env_, Value(), &out, &err));
  EXPECT_TRUE(out.is_absent());
  int r = 0;
  ASSERT_TRUE(Compare(env_, Value(), Value::Int(1), &r, &err));
  EXPECT_EQ(r, kUnordered);
}

TEST_F(ValueTest, NegateAndCompare) {
  Value out;
  const char* err;
  ASSERT_TRUE(Negate(env_, Dec("1.50"), &out, &err));
  EXPECT_EQ(Str(out), "-1.50");
  EXPECT_FALSE(Negate(env_, Value::Int(INT64_MIN), &out, &err));
  int r;
  ASSERT_TRUE(Compare(env_, Value::Int(1), Dec("1.0"), &r, &err));
  EXPECT_EQ(r, 0);
  ASSERT_TRUE(Compare(env_, Dec("0.30"), Dec("0.3000001"), &r, &err));
  EXPECT_EQ(r, -1);
  ASSERT_TRUE(Compare(env_, Value::Int(-3), Dec("-2.99"), &r, &err));
  EXPECT_EQ(r, -1);
  ASSERT_TRUE(Compare(env_, Value::String("b"), Value::String("abc"), &r, &err));
  EXPECT_EQ(r, 1);
  // Scales so far apart that aligning overflows 128 bits.
  ASSERT_TRUE(Compare(env_, Value::Int(INT64_MAX), Value::Decimal(1, 60), &r, &err));
  EXPECT_EQ(r, 1);
  ASSERT_TRUE(Compare(env_, Value::Int(-5), Value::Decimal(1, 60), &r, &err));
  EXPECT_EQ(r, -1);
  EXPECT_EQ(CompareNumbers(Dec("-0.0"), Value::Int(0)), 0);
}

TEST_F(ValueTest, Equality) {
  EXPECT_TRUE(Equal(env_, Value::Int(1), Dec("1.00")));
  EXPECT_FALSE(Equal(env_, Value::Int(1), Value::String("1")));
  EXPECT_TRUE(Equal(env_, Value(), Value::Null()));
  EXPECT_FALSE(Equal(env_, Value(), Value::String("")));
  EXPECT_TRUE(Equal(env_, Value::String("x"), Value::String("x")));
  Array* a = NewArray(arena_);
  ArrayPush(arena_, a, Value::Int(1));
  Array* b = NewArray(arena_);
  ArrayPush(arena_, b, Dec("1.0"));
  EXPECT_TRUE(Equal(env_, Value::MakeArray(a), Value::MakeArray(b)));
  ArrayPush(arena_, b, Value::Int(2));
  EXPECT_FALSE(Equal(env_, Value::MakeArray(a), Value::MakeArray(b)));
  Object* x = NewObject(arena_);
  ObjectSet(arena_, x, "k", Value::String("v"));
  ObjectSet(arena_, x, "n", Value::Int(1));
  Object* y = NewObject(arena_);
  ObjectSet(arena_, y, "n", Value::Int(1));
  ObjectSet(arena_, y, "k", Value::String("v"));
  EXPECT_TRUE(Equal(env_, Value::MakeObject(x), Value::MakeObject(y)));
}

TEST_F(ValueTest, ToStringForms) {
  EXPECT_EQ(Str(Value()), "");
  EXPECT_EQ(Str(Value::Null()), "");
  EXPECT_EQ(Str(Value::Bool(true)), "true");
  EXPECT_EQ(Str(Value::Int(-42)), "-42");
  EXPECT_EQ(Str(Value::Decimal(5, 3)), "0.005");
  Array* a = NewArray(arena_);
  ArrayPush(arena_, a, Value::String("a\"b"));
  ArrayPush(arena_, a, Value::Decimal(150, 2));
  EXPECT_EQ(Str(Value::MakeArray(a)), R"(["a\"b",1.50])");
  EXPECT_EQ(ValueKindName(ValueKind::kDecimal), "decimal");
}

// HL7 v2 references: Deref, IsEmpty, explicit null, escapes copied into the arena.
class V2ValueTest : public ValueTest {
 protected:
  void SetUp() override {
    text_ =
        "MSH|^~\\&|SEND|FAC|RECV|FAC|20240102030405||ADT^A01|MSG1|P|2.5\r"
        "PID|1||123^^^HOSP^MR~456^^^OTHER^PI||Doe\\T\\Smith^John||\"\"|^^|||\r";
    ASSERT_TRUE(msg_.Parse(text_).ok());
    env_.message = &msg_;
    env_.scratch = &scratch_;
  }
  Value Ref(int seg, int field, int rep = 0, int comp = 0, int sub = 0) {
    V2Ref r{};
    r.segment = seg;
    r.field = static_cast<uint16_t>(field);
    r.rep = static_cast<uint16_t>(rep);
    r.comp = static_cast<uint8_t>(comp);
    r.sub = static_cast<uint8_t>(sub);
    return Value::V2(r);
  }
  std::string text_;
  hl7v2::Message msg_;
  std::string scratch_;
};

TEST_F(V2ValueTest, DerefReadsTheFirstRepetition) {
  Value v = Deref(env_, Ref(1, 3, 0, 1));
  ASSERT_EQ(v.kind, ValueKind::kString);
  EXPECT_EQ(v.string(), "123");
  EXPECT_EQ(Str(Ref(1, 3, 2, 4)), "OTHER");
  // A view into the message when there is nothing to decode.
  EXPECT_GE(v.str, msg_.text().data());
  EXPECT_LT(v.str, msg_.text().data() + msg_.text().size());
}

TEST_F(V2ValueTest, EscapesAreDecodedIntoTheArena) {
  Value v = Deref(env_, Ref(1, 5, 0, 1));
  ASSERT_EQ(v.kind, ValueKind::kString);
  EXPECT_EQ(v.string(), "Doe&Smith");
  scratch_ = "overwritten";  // the arena copy must not depend on the scratch buffer
  EXPECT_EQ(v.string(), "Doe&Smith");
}

// The run's read memo gives the same values as uncached reads, and forgets them when the next message
// starts (Reset), even though the new message's references have the same numbers.
TEST_F(V2ValueTest, ReadCacheAgreesAndIsForgottenBetweenMessages) {
  V2ReadCache cache;
  ValueEnv cached = env_;
  cached.cache = &cache;
  for (int field = 1; field <= 12; ++field) {
    for (int comp = 0; comp <= 2; ++comp) {
      Value a = Deref(env_, Ref(1, field, 0, comp));
      Value b = Deref(cached, Ref(1, field, 0, comp));
      Value c = Deref(cached, Ref(1, field, 0, comp));  // from the memo
      ASSERT_EQ(a.kind, b.kind) << field << "." << comp;
      ASSERT_EQ(b.kind, c.kind);
      if (a.kind == ValueKind::kString) {
        EXPECT_EQ(a.string(), b.string());
        EXPECT_EQ(b.string(), c.string());
      }
    }
  }
  EXPECT_EQ(Deref(cached, Ref(1, 3, 0, 1)).string(), "123");
  hl7v2::Message next;
  std::string text = "MSH|^~\\&|SEND|FAC|RECV|FAC|20240102030405||ADT^A01|MSG2|P|2.5\rPID|1||999\r";
  ASSERT_TRUE(next.Parse(text).ok());
  cached.message = &next;
  cache.Reset();
  EXPECT_EQ(Deref(cached, Ref(1, 3, 0, 1)).string(), "999");
}

TEST_F(V2ValueTest, EmptyNullAndSeparatorsOnly) {
  Value null_field = Ref(1, 7);
  EXPECT_EQ(Deref(env_, null_field).kind, ValueKind::kNull);
  EXPECT_TRUE(IsEmpty(env_, null_field));
  EXPECT_FALSE(Truthy(env_, null_field));
  Value absent = Ref(1, 2);
  EXPECT_EQ(Deref(env_, absent).kind, ValueKind::kAbsent);
  EXPECT_TRUE(IsEmpty(env_, absent));
  EXPECT_TRUE(IsEmpty(env_, Ref(1, 8)));       // "^^": separators only
  EXPECT_TRUE(IsEmpty(env_, Ref(1, 40)));      // beyond the last field
  EXPECT_FALSE(IsEmpty(env_, Ref(1, 5)));
  EXPECT_TRUE(Equal(env_, Ref(1, 3, 1, 1), Value::String("123")));
  EXPECT_TRUE(Equal(env_, null_field, Value::Null()));
  EXPECT_EQ(Str(null_field), "");
}

TEST_F(V2ValueTest, WithoutAMessageEverythingIsAbsent) {
  env_.message = nullptr;
  EXPECT_TRUE(Deref(env_, Ref(1, 3)).is_absent());
  EXPECT_TRUE(IsEmpty(env_, Ref(1, 3)));
}

}  // namespace
}  // namespace crosswalk::vm
