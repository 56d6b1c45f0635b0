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
#include <string>
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
// Packed into 8 bytes so that Value stays 16 (with a plain int32 segment the union was 12 bytes and Value
// 24): segment indices up to 2^19-1 (far above hl7v2::ParseOptions::max_segments), fields up to 4095
// (max_fields_per_segment is 1000).
struct V2Ref {
  int32_t segment : 20;  // segment index in the message
  uint32_t field : 12;
  uint16_t rep;
  uint8_t comp;
  uint8_t sub;
};
static_assert(sizeof(V2Ref) == 8, "V2Ref must stay 8 bytes");

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

// Members in insertion order. Small objects are searched linearly; once an object has more than
// kObjectIndexMin members it also carries a hash index, so that get and set stay O(1) however many members
// an input or a map gives it (a linear search made a 200,000-field object quadratic to build).
struct Object {
  uint32_t size = 0;
  uint32_t capacity = 0;
  Member* members = nullptr;
  // Open addressing, linear probing: index_mask + 1 slots (a power of two, at least 2 * capacity), each
  // holding a member position + 1, 0 for a free slot. Null while the object is small.
  uint32_t* index = nullptr;
  uint32_t index_mask = 0;
  // One bit per member key, chosen by its length and first and last bytes (ObjectKeyBit): a key whose bit is
  // clear is not a member, so ObjectSet appends it without searching (most keys a map sets are new).
  uint32_t key_bits = 0;
};

// Object::key_bits' bit for `key`: by content (the same text from anywhere has the same bit), cheap (length,
// first and last byte, one multiply), and spread so that the few keys of one object mostly have bits of their
// own. The multiplier was picked among random odd constants for the fewest shared bits within the member
// sets of FHIR's common types; over the objects of this repository's golden outputs, members sharing a bit
// fell from 11,613 (the earlier mix) to 1,226.
inline uint32_t ObjectKeyBit(std::string_view key) {
  uint64_t x = key.size();
  if (!key.empty()) {
    x |= uint64_t{static_cast<unsigned char>(key.front())} << 8 | uint64_t{static_cast<unsigned char>(key.back())} << 16;
  }
  return 1u << ((x * 0xFAB2C5A72073FB51ull) >> 59);
}

// Objects with more members than this get a hash index (a linear search of up to 32 short keys is as fast
// as hashing one key).
inline constexpr uint32_t kObjectIndexMin = 32;

// A memo of HL7 v2 reads for one run: maps re-read the same field (`obx.6.1` for unit, code and system),
// and test a node (`if pid.8`) before reading it; each read scans the field. One entry holds both what
// Deref returns and what IsEmpty returns, found with one scan. Direct-mapped, 256 entries; Reset()
// between messages is one increment (a generation number), so it costs nothing per message.
struct V2ReadCache {
  struct Entry {
    uint64_t key = 0;
    uint32_t generation = 0;
    bool empty = true;  // IsEmpty of the reference
    Value value;        // Deref of the reference
  };
  Entry entries[256];
  uint32_t generation = 1;
  void Reset() {
    if (++generation == 0) {  // wrapped: forget everything once
      for (Entry& e : entries) e.generation = 0;
      generation = 1;
    }
  }
};

// What the value operations need besides the arena: the input message for kV2 reads.
struct ValueEnv {
  Arena* arena = nullptr;
  const hl7v2::Message* message = nullptr;  // null when the input is not HL7 v2
  // Decode buffer for kV2 reads (escapes). Owned by the RunContext and reused between messages; when
  // null a thread-local buffer is used.
  std::string* scratch = nullptr;
  // Memo of Deref results for the current message; null = no memo. Must be Reset() for each message.
  V2ReadCache* cache = nullptr;
};

// Value::flags bits.
// kDecimal with mantissa 0 written with a minus sign ("-0", "-0.0"): kept so that JSON numbers
// round-trip byte for byte. Arithmetic and comparison treat it as 0.
inline constexpr uint8_t kFlagNegativeZero = 1;
// kString holding the text of a JSON number that cannot be kept exactly as kInt/kDecimal (more than 18-19
// significant digits, or an exponent beyond kMaxDecimalScale, e.g. FHIR's own 1.000000000000000000E-245).
// The JSON writer writes it back unquoted and unchanged; arithmetic on it is an error.
inline constexpr uint8_t kFlagNumberText = 2;

// ---- construction (arena) ----
Array* NewArray(Arena& arena, uint32_t capacity = 4);
Object* NewObject(Arena& arena, uint32_t capacity = 4);
void ArrayPush(Arena& arena, Array* a, Value v);
// Sets key to v, replacing an existing member of the same key (keeps its position).
void ObjectSetSlow(Arena& arena, Object* o, std::string_view key, Value v, uint32_t key_bit);
inline void ObjectSet(Arena& arena, Object* o, std::string_view key, Value v) {
  const uint32_t bit = ObjectKeyBit(key);
  // Inline: a key that is surely new, in an object with room and no index (the usual member of a literal).
  if ((o->key_bits & bit) == 0 && o->index == nullptr && o->size < o->capacity && o->size < kObjectIndexMin) {
    o->members[o->size].key = key;
    o->members[o->size].value = v;
    ++o->size;
    o->key_bits |= bit;
    return;
  }
  // The last member again (an array member set after each of its appends): the same constant key.
  if (o->size != 0) {
    Member& last = o->members[o->size - 1];
    if (last.key.data() == key.data() && last.key.size() == key.size()) {
      last.value = v;
      return;
    }
  }
  ObjectSetSlow(arena, o, key, v, bit);
}
// Member lookup; Absent when missing.
Value ObjectGet(const Object* o, std::string_view key);
// An object of exactly `members` (copied) with its index built when it is large: for readers that
// collect the members first. When two members have the same key, returns null and sets *duplicate to the
// position of the later one (keys are compared bytewise).
Object* NewObjectFrom(Arena& arena, const Member* members, uint32_t n, uint32_t* duplicate);
// An object of `members` (copied) that the caller knows to have distinct keys, at most kObjectIndexMin.
Object* NewObjectOfDistinct(Arena& arena, const Member* members, uint32_t n);

// A hash of v consistent with Equal (Equal values hash alike): numbers by value (1, 1.0 and 1.00 alike),
// kV2 by its decoded text, arrays by their items in order, objects by their members in any order
// (members that are absent or null are left out, as Equal leaves them out). The hash is keyed per
// process: it orders nothing that is written out. Adds the number of nodes visited to *work and stops
// early (with a hash that no longer agrees with Equal) once *work passes max_work: a value graph that
// shares its parts ([x, x] nested 60 times) would otherwise be walked along every path. A caller that
// charges *work to a budget of max_work fails then, so the partial hash is never used.
uint64_t HashValue(const ValueEnv& env, const Value& v, uint64_t* work, uint64_t max_work = UINT64_MAX);

// HashValue of the top `levels` levels only: an array or object with items nested deeper hashes as its
// kind. Equal values still hash alike (it is a coarser hash), and it costs only the nodes it visits:
// `distinct` over whole Bundle entries tells them apart by their fullUrl without hashing every resource. *whole is set when nothing was cut: the result is then HashValue's.
uint64_t HashValueShallow(const ValueEnv& env, const Value& v, int levels, bool* whole, uint64_t* work,
                          uint64_t max_work = UINT64_MAX);

// ---- FHIR's absent-value rules ----
// True for absent, null, "", an empty array, an empty object, and a kV2 reference that reads as empty
// or as HL7's explicit null "". Such values are never written to output. Inline: the interpreter asks for
// every value it stores; only a kV2 reference leaves the header (it reads the message).
bool IsEmptyV2(const ValueEnv& env, const Value& v);
[[gnu::always_inline]] inline bool IsEmpty(const ValueEnv& env, const Value& v) {
  switch (v.kind) {
    case ValueKind::kAbsent:
    case ValueKind::kNull: return true;
    case ValueKind::kString: return v.len == 0;
    case ValueKind::kArray: return v.arr == nullptr || v.arr->size == 0;
    case ValueKind::kObject: return v.obj == nullptr || v.obj->size == 0;
    case ValueKind::kV2: return IsEmptyV2(env, v);
    case ValueKind::kGroup: return v.group == nullptr;
    default: return false;
  }
}

// ---- reading ----
// Resolves a kV2 reference to the value it names: kString (decoded, escapes resolved), kNull for HL7's
// explicit null "", kAbsent when the node is not present. Other kinds are returned unchanged.
// Decoded text is copied into the arena only when it had escapes.
Value DerefV2(const ValueEnv& env, const Value& v);
inline Value Deref(const ValueEnv& env, const Value& v) { return v.kind == ValueKind::kV2 ? DerefV2(env, v) : v; }

// Truthiness for `if`, `and`, `or`, `not`, filters: false for empty values (IsEmpty) and false;
// true otherwise (0 is true: it is a present value).
inline bool Truthy(const ValueEnv& env, const Value& v) { return v.kind == ValueKind::kBool ? v.b : !IsEmpty(env, v); }

// Equality for `==` and `match`: numbers by value (1 == 1.0), strings bytewise, kV2 by its decoded
// string, arrays/objects deeply (objects by key, in any order; a member that is absent or null counts as
// missing). Absent equals only absent and null.
bool Equal(const ValueEnv& env, const Value& a, const Value& b);
// The same, counting work: 1 + items (1 + members of both) per pair of arrays (objects) compared is added
// to *work. Once *work passes max_work the comparison stops and returns false: values that share their
// parts can make a comparison exponential, and a caller that charges *work to a budget of max_work fails
// then, so the cut-short answer is never used.
bool Equal(const ValueEnv& env, const Value& a, const Value& b, uint64_t* work, uint64_t max_work);

// ---- numbers (ADD SUB MUL DIV MOD NEG, LT LE GT GE) ----
// Operands are dereferenced (kV2) first. Only kInt and kDecimal are numbers: a string that looks like a
// number is a type error (maps call decimal() / integer()). On error these return false and set *error
// to a static message that names kinds, never values ("cannot add string and integer").
//
//   int op int      -> int for + - * %; overflow is an error ("integer overflow").
//   int / int       -> int when the division is exact (6/2 = 3), otherwise a decimal (7/2 = 3.5).
//   with a decimal  -> exact decimal (mantissa int64 + scale):
//                      + - : scales aligned to the larger one (0.1 + 0.2 = 0.3, 1.50 + 1 = 2.50);
//                      *   : scales added (1.5 * 1.5 = 2.25; trailing zeros dropped only to fit);
//                      /   : exact quotient when it has at most S = max(scale_a, scale_b, 10) decimals,
//                            otherwise rounded half away from zero to S decimals; then trailing zeros are
//                            dropped down to scale max(scale_a - scale_b, 0) (1.50 / 2 = 0.75,
//                            3.00 / 1.5 = 2.0, 1 / 3.0 = 0.3333333333);
//                      %   : remainder with the sign of the dividend, at the larger scale.
//   a result that does not fit (mantissa beyond int64, scale beyond kMaxDecimalScale) -> "decimal overflow";
//   division or remainder by zero -> "division by zero".
// An absent or null operand (with a number or another absent/null) gives absent, not an error, so that
// `decimal(OBX-5) * 1000` simply stays absent when OBX-5 is empty.
// *error points to static or thread-local storage valid until the next failing call on this thread.
enum class ArithOp : uint8_t { kAdd, kSub, kMul, kDiv, kMod };
bool Arith(const ValueEnv& env, ArithOp op, const Value& a, const Value& b, Value* out, const char** error);
bool Negate(const ValueEnv& env, const Value& a, Value* out, const char** error);

// Ordering for < <= > >=: numbers by value (int and decimal mixed), strings bytewise (kV2 decoded),
// booleans false < true. *result is -1, 0 or 1. When an operand is absent or null *result is kUnordered
// and the call succeeds: the VM makes every ordering test false then (an absent birth date is neither
// before nor after a date). Any other pair (a string and a number, an array) is an error
// ("cannot compare string and integer").
inline constexpr int kUnordered = -2147483647 - 1;
bool Compare(const ValueEnv& env, const Value& a, const Value& b, int* result, const char** error);

// Compares two numbers (kInt / kDecimal, not dereferenced) by value: <0, 0, >0.
int CompareNumbers(const Value& a, const Value& b);

// ---- decimal text ----
// The largest scale a decimal may have (digits after the point).
inline constexpr uint16_t kMaxDecimalScale = 64;
// Enough room for any FormatNumber output.
inline constexpr size_t kMaxNumberChars = 96;

// Parses -?digits(.digits)? exactly (no '+', no exponent, no spaces). "1.50" -> {150, 2}; "-0.0" ->
// {0, 1} with *negative_zero set. False when not that shape or when the mantissa does not fit int64.
bool ParseDecimal(std::string_view text, int64_t* mantissa, uint16_t* scale, bool* negative_zero = nullptr);
// Writes an int or decimal as written ({150,2} -> "1.50", {-5,1} -> "-0.5") into buf (at least
// kMaxNumberChars bytes); returns the length. kind must be kInt or kDecimal.
size_t FormatNumber(const Value& v, char* buf);

}  // namespace crosswalk::vm
