// The VM's value model.
//
// A Value is 16 bytes, trivially copyable, and never owns memory: strings, arrays and objects live in the
// RunContext's Arena (or in the input message, or in the Program's constant pool), all of which outlive
// the run. Nothing here allocates on the heap.
//
//   kind     payload                                   notes
//   kAbsent  -                                         "no value": never written to output
//   kNull    -                                         JSON null; HL7 v2 explicit null ""
//   kBool    b                                         true / false
//   kInt     i (int64)                                 integers
//   kDecimal i = mantissa, aux = scale (digits after .) exact: "1.50" is {150, 2} and prints as 1.50
//   kString  str (ptr, len)                            UTF-8
//   kArray   arr                                       Array* in the arena
//   kObject  obj                                       Object* in the arena; members keep insertion order
//   kV2      v2 (segment, field, rep, comp, sub)       a reference to a node of the input HL7 v2 message
//   kGroup   group                                     an HL7 v2 group instance (or the whole message)
//
// HL7 v2 references are read lazily: AsString() decodes escapes only when the value is used.
#pragma once

#include <cstdint>
#include <string_view>

namespace crosswalk::hl7v2 {
class Message;
struct GroupInstance;
}  // namespace crosswalk::hl7v2

namespace crosswalk::vm {

class Arena;

enum class ValueKind : uint8_t {
  kAbsent = 0,
  kNull,
  kBool,
  kInt,
  kDecimal,
  kString,
  kArray,
  kObject,
  kV2,
  kGroup,
};

std::string_view ValueKindName(ValueKind kind);

struct Array;
struct Object;

// A node of the input message. field == 0 means the whole segment; rep == 0 means "no repetition
// chosen" (reads take the first; iteration visits all); comp/sub == 0 mean the whole repetition/component.
struct V2Ref {
  int32_t segment;  // segment index in the message
  uint16_t field;
  uint16_t rep;
  uint8_t comp;
  uint8_t sub;
};

struct Value {
  ValueKind kind = ValueKind::kAbsent;
  uint8_t flags = 0;
  uint16_t aux = 0;  // decimal scale
  uint32_t len = 0;  // string length
  union {
    int64_t i;
    bool b;
    const char* str;
    Array* arr;
    Object* obj;
    const hl7v2::GroupInstance* group;
    V2Ref v2;
  };

  Value() : i(0) {}

  static Value Absent() { return Value(); }
  static Value Null() {
    Value v;
    v.kind = ValueKind::kNull;
    return v;
  }
  static Value Bool(bool b) {
    Value v;
    v.kind = ValueKind::kBool;
    v.b = b;
    return v;
  }
  static Value Int(int64_t i) {
    Value v;
    v.kind = ValueKind::kInt;
    v.i = i;
    return v;
  }
  static Value Decimal(int64_t mantissa, uint16_t scale) {
    Value v;
    v.kind = ValueKind::kDecimal;
    v.i = mantissa;
    v.aux = scale;
    return v;
  }
  // `s` must outlive the run (arena, message, or constant pool).
  static Value String(std::string_view s) {
    Value v;
    v.kind = ValueKind::kString;
    v.str = s.data();
    v.len = static_cast<uint32_t>(s.size());
    return v;
  }
  static Value MakeArray(Array* a) {
    Value v;
    v.kind = ValueKind::kArray;
    v.arr = a;
    return v;
  }
  static Value MakeObject(Object* o) {
    Value v;
    v.kind = ValueKind::kObject;
    v.obj = o;
    return v;
  }
  static Value V2(V2Ref ref) {
    Value v;
    v.kind = ValueKind::kV2;
    v.v2 = ref;
    return v;
  }
  static Value Group(const hl7v2::GroupInstance* g) {
    Value v;
    v.kind = ValueKind::kGroup;
    v.group = g;
    return v;
  }

  bool is_absent() const { return kind == ValueKind::kAbsent; }
  std::string_view string() const { return {str, len}; }  // kind must be kString
};
static_assert(sizeof(Value) == 16, "Value must stay 16 bytes");

struct Array {
  uint32_t size = 0;
  uint32_t capacity = 0;
  Value* items = nullptr;
};

struct Member {
  std::string_view key;
  Value value;
};

struct Object {
  uint32_t size = 0;
  uint32_t capacity = 0;
  Member* members = nullptr;
};

// What the value operations need besides the arena: the input message for kV2 reads.
struct ValueEnv {
  Arena* arena = nullptr;
  const hl7v2::Message* message = nullptr;  // null when the input is not HL7 v2
};

// ---- construction (arena) ----
Array* NewArray(Arena& arena, uint32_t capacity = 4);
Object* NewObject(Arena& arena, uint32_t capacity = 4);
void ArrayPush(Arena& arena, Array* a, Value v);
// Sets key to v, replacing an existing member of the same key (keeps its position).
void ObjectSet(Arena& arena, Object* o, std::string_view key, Value v);
// Member lookup; Absent when missing.
Value ObjectGet(const Object* o, std::string_view key);

// ---- FHIR's absent-value rules ----
// True for absent, null, "", an empty array, an empty object, and a kV2 reference that reads as empty
// or as HL7's explicit null "". Such values are never written to output.
bool IsEmpty(const ValueEnv& env, const Value& v);

// ---- reading ----
// Resolves a kV2 reference to the value it names: kString (decoded, escapes resolved), kNull for HL7's
// explicit null "", kAbsent when the node is not present. Other kinds are returned unchanged.
// Decoded text is copied into the arena only when it had escapes.
Value Deref(const ValueEnv& env, const Value& v);

// Truthiness for `if`, `and`, `or`, `not`, filters: false for empty values (IsEmpty) and false;
// true otherwise (0 is true: it is a present value).
bool Truthy(const ValueEnv& env, const Value& v);

// String form used by string building and output of scalars: strings as they are, integers and decimals
// as written (1.50 stays "1.50"), true/false, kV2 decoded. Absent and null give "". Arrays and objects
// give their compact JSON. Returns a view valid for the run.
std::string_view ToString(const ValueEnv& env, const Value& v);

// Equality for `==` and `match`: numbers by value (1 == 1.0), strings bytewise, kV2 by its decoded
// string, arrays/objects deeply. Absent equals only absent and null.
bool Equal(const ValueEnv& env, const Value& a, const Value& b);

}  // namespace crosswalk::vm
