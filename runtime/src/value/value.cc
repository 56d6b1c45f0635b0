#include "value/value.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>

#include "hl7v2/message.h"
#include "value/arena.h"

namespace crosswalk::vm {

namespace {

using i128 = __int128;

constexpr int kMaxPow10 = 38;  // 10^38 < 2^127

constexpr i128 Pow10(int n) {
  i128 r = 1;
  for (int i = 0; i < n; ++i) r *= 10;
  return r;
}

struct Pow10Table {
  i128 v[kMaxPow10 + 1];
  constexpr Pow10Table() : v() {
    for (int i = 0; i <= kMaxPow10; ++i) v[i] = Pow10(i);
  }
};
constexpr Pow10Table kPow10;

constexpr i128 kI128Max = static_cast<i128>((~static_cast<unsigned __int128>(0)) >> 1);

// *out = m * 10^n; false on overflow of i128.
bool MulPow10(i128 m, int n, i128* out) {
  if (m == 0 || n == 0) {
    *out = m;
    return true;
  }
  if (n > kMaxPow10) return false;
  i128 p = kPow10.v[n];
  i128 abs = m < 0 ? -m : m;
  if (abs > kI128Max / p) return false;
  *out = m * p;
  return true;
}

bool FitsInt64(i128 v) { return v >= INT64_MIN && v <= INT64_MAX; }

bool IsNumber(const Value& v) { return v.kind == ValueKind::kInt || v.kind == ValueKind::kDecimal; }
int ScaleOf(const Value& v) { return v.kind == ValueKind::kDecimal ? v.aux : 0; }
bool IsNothing(const Value& v) { return v.kind == ValueKind::kAbsent || v.kind == ValueKind::kNull; }

// Per-thread buffers for the rare cases the env does not provide one.
std::string& ThreadScratch() {
  thread_local std::string s;
  return s;
}

// A kind name as the user thinks of it (after Deref, kV2 values are strings).
const char* UserKindName(ValueKind k) {
  switch (k) {
    case ValueKind::kAbsent: return "absent";
    case ValueKind::kNull: return "null";
    case ValueKind::kBool: return "boolean";
    case ValueKind::kInt: return "integer";
    case ValueKind::kDecimal: return "decimal";
    case ValueKind::kString: return "string";
    case ValueKind::kArray: return "array";
    case ValueKind::kObject: return "object";
    case ValueKind::kV2: return "HL7 v2 value";
    case ValueKind::kGroup: return "HL7 v2 group";
  }
  return "unknown";
}

// Formats "cannot <verb> <kind> and <kind>" into a per-thread buffer (no values, no allocation).
const char* KindError(const char* verb, ValueKind a, ValueKind b) {
  thread_local char buf[96];
  std::snprintf(buf, sizeof buf, "cannot %s %s and %s", verb, UserKindName(a), UserKindName(b));
  return buf;
}

// The raw text an HL7 v2 reference names ("" when absent). rep 0 reads the first repetition.
std::string_view V2Raw(const hl7v2::Message& msg, const V2Ref& r) {
  if (r.field == 0) return msg.segment_text(r.segment);
  return msg.Raw(r.segment, r.field, r.rep == 0 ? 1 : r.rep, r.comp, r.sub);
}

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// True when raw text holds nothing but separators and white space ("^^", "&", "  ^ "): no content. A value
// of blanks says nothing (and would be an invalid FHIR string): it is empty, as an empty one.
bool OnlySeparators(std::string_view raw, const hl7v2::Encoding& enc) {
  for (char c : raw) {
    if (c == enc.component || c == enc.subcomponent || c == enc.repetition) continue;
    if (static_cast<unsigned char>(c) > ' ' || !IsBlank(c)) return false;  // the usual value: its first byte
  }
  return true;
}

// `""` with only blanks after it: HL7's explicit null, padded or not.
[[gnu::noinline]] bool IsPaddedNull(std::string_view raw) {
  if (raw.size() < 2 || raw[0] != '"' || raw[1] != '"') return false;
  for (char c : raw.substr(2)) {
    if (!IsBlank(c)) return false;
  }
  return true;
}

[[gnu::noinline]] std::string_view WithoutTrailingBlanks(std::string_view text) {
  while (!text.empty() && IsBlank(text.back())) text.remove_suffix(1);
  return text;
}

Value DecimalOrInt(i128 m, int scale, bool* ok) {
  *ok = FitsInt64(m) && scale <= kMaxDecimalScale;
  return Value::Decimal(static_cast<int64_t>(m), static_cast<uint16_t>(scale));
}

// Exact decimal division a/b (see value.h for the rule). b's mantissa must not be 0.
bool DivideDecimal(i128 ma, int sa, i128 mb, int sb, Value* out) {
  int s = sa > sb ? sa : sb;
  if (s < 10) s = 10;
  int e = s - sa + sb;
  i128 n;
  if (!MulPow10(ma, e, &n)) return false;
  i128 q = n / mb;
  i128 r = n % mb;
  i128 ar = r < 0 ? -r : r;
  i128 amb = mb < 0 ? -mb : mb;
  if (2 * ar >= amb) q += ((n < 0) != (mb < 0)) ? -1 : 1;
  int target = sa - sb > 0 ? sa - sb : 0;
  while (s > target && q % 10 == 0) {
    q /= 10;
    --s;
  }
  // Round further only if the result still does not fit (a huge quotient with many decimals).
  if (!FitsInt64(q) || s > kMaxDecimalScale) return false;
  *out = Value::Decimal(static_cast<int64_t>(q), static_cast<uint16_t>(s));
  return true;
}

const char* OpVerb(ArithOp op) {
  switch (op) {
    case ArithOp::kAdd: return "add";
    case ArithOp::kSub: return "subtract";
    case ArithOp::kMul: return "multiply";
    case ArithOp::kDiv: return "divide";
    case ArithOp::kMod: return "take the remainder of";
  }
  return "combine";
}

// SipHash-1-3 (Aumasson and Bernstein), keyed once per process: keys come from input, and a key
// unknown to the sender keeps an object's index from being flooded with colliding keys.
struct SipKey {
  uint64_t k0, k1;
  SipKey() {
    std::random_device rd;
    k0 = (uint64_t{rd()} << 32) ^ rd();
    k1 = (uint64_t{rd()} << 32) ^ rd();
  }
};
const SipKey& Key() {
  static const SipKey key;
  return key;
}

inline uint64_t Rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

uint64_t SipHash13(const void* data, size_t len, uint64_t k0, uint64_t k1) {
  uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
  uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
  auto round = [&] {
    v0 += v1; v1 = Rotl(v1, 13); v1 ^= v0; v0 = Rotl(v0, 32);
    v2 += v3; v3 = Rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = Rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = Rotl(v1, 17); v1 ^= v2; v2 = Rotl(v2, 32);
  };
  const auto* p = static_cast<const unsigned char*>(data);
  size_t blocks = len / 8;
  for (size_t i = 0; i < blocks; ++i, p += 8) {
    uint64_t m;
    std::memcpy(&m, p, 8);
    v3 ^= m;
    round();
    v0 ^= m;
  }
  // The last len % 8 bytes, little-endian, from at most two loads (they may overlap: the same bytes land
  // in the same places), instead of one shift per byte.
  uint64_t b = uint64_t{len} << 56;
  const size_t r = len & 7;
  if (r >= 4) {
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + r - 4, 4);
    b |= uint64_t{lo} | (uint64_t{hi} << (8 * (r - 4)));
  } else if (r > 0) {
    b |= uint64_t{p[0]} | (uint64_t{p[r / 2]} << (8 * (r / 2))) | (uint64_t{p[r - 1]} << (8 * (r - 1)));
  }
  v3 ^= b;
  round();
  v0 ^= b;
  v2 ^= 0xff;
  round();
  round();
  round();
  return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t HashKey(std::string_view key) {
  const SipKey& k = Key();
  return SipHash13(key.data(), key.size(), k.k0, k.k1);
}

// Mixes two hashes (order-dependent).
inline uint64_t Combine(uint64_t h, uint64_t x) {
  h ^= x + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
  return h * 0xff51afd7ed558ccdULL;
}

}  // namespace

std::string_view ValueKindName(ValueKind kind) { return UserKindName(kind); }

// ---- construction ----

Array* NewArray(Arena& arena, uint32_t capacity) {
  Array* a = arena.AllocateArray<Array>(1);
  a->size = 0;
  a->capacity = capacity;
  a->items = capacity ? arena.AllocateArray<Value>(capacity) : nullptr;
  return a;
}

Object* NewObject(Arena& arena, uint32_t capacity) {
  Object* o = arena.AllocateArray<Object>(1);
  o->size = 0;
  o->capacity = capacity;
  o->members = capacity ? arena.AllocateArray<Member>(capacity) : nullptr;
  o->index = nullptr;
  o->index_mask = 0;
  o->key_bits = 0;
  return o;
}

void ArrayPush(Arena& arena, Array* a, Value v) {
  if (a->size == a->capacity) {
    uint32_t cap = a->capacity ? a->capacity * 2 : 4;
    Value* items = arena.AllocateArray<Value>(cap);
    if (a->size) std::memcpy(static_cast<void*>(items), a->items, sizeof(Value) * a->size);
    a->items = items;
    a->capacity = cap;
  }
  a->items[a->size++] = v;
}

namespace {

// The slot of `key` in o's index: the slot holding it, or the free slot where it would go.
uint32_t IndexSlot(const Object* o, std::string_view key, uint64_t h) {
  uint32_t slot = static_cast<uint32_t>(h) & o->index_mask;
  for (;;) {
    uint32_t at = o->index[slot];
    if (at == 0 || o->members[at - 1].key == key) return slot;
    slot = (slot + 1) & o->index_mask;
  }
}

// (Re)builds o's index for its capacity. Returns false at the first member whose key an earlier member
// already has (its position in *duplicate); the index is then left null.
bool BuildIndex(Arena& arena, Object* o, uint32_t* duplicate) {
  uint64_t slots = 16;
  while (slots < uint64_t{o->capacity} * 2) slots *= 2;
  o->index = arena.AllocateArray<uint32_t>(slots);
  std::memset(o->index, 0, sizeof(uint32_t) * slots);
  o->index_mask = static_cast<uint32_t>(slots - 1);
  for (uint32_t i = 0; i < o->size; ++i) {
    uint32_t slot = IndexSlot(o, o->members[i].key, HashKey(o->members[i].key));
    if (o->index[slot] != 0) {
      o->index = nullptr;
      o->index_mask = 0;
      if (duplicate) *duplicate = i;
      return false;
    }
    o->index[slot] = i + 1;
  }
  return true;
}

}  // namespace

void ObjectSetSlow(Arena& arena, Object* o, std::string_view key, Value v, uint32_t bit) {
  uint32_t slot = 0;
  if (o->index != nullptr) {
    slot = IndexSlot(o, key, HashKey(key));
    if (o->index[slot] != 0) {
      o->members[o->index[slot] - 1].value = v;
      return;
    }
  } else if (o->key_bits & bit) {
    // Keys are mostly constants of the program: the same key is the same pointer, and different keys
    // mostly differ in length or first byte, so memcmp runs only for a likely match.
    const char first = key.empty() ? '\0' : key[0];
    for (uint32_t i = 0; i < o->size; ++i) {
      const std::string_view k = o->members[i].key;
      if (k.size() == key.size() &&
          (k.data() == key.data() || key.empty() ||
           (k[0] == first && std::memcmp(k.data(), key.data(), key.size()) == 0))) {
        o->members[i].value = v;
        return;
      }
    }
  }
  bool grew = false;
  if (o->size == o->capacity) {
    uint32_t cap = o->capacity ? o->capacity * 2 : 4;
    Member* m = arena.AllocateArray<Member>(cap);
    if (o->size) std::memcpy(static_cast<void*>(m), o->members, sizeof(Member) * o->size);
    o->members = m;
    o->capacity = cap;
    grew = true;
  }
  o->members[o->size].key = key;
  o->members[o->size].value = v;
  ++o->size;
  o->key_bits |= bit;
  if (o->index != nullptr && !grew) {
    o->index[slot] = o->size;
  } else if (o->size > kObjectIndexMin) {
    BuildIndex(arena, o, nullptr);  // keys are unique here: it cannot fail
  }
}

Value ObjectGet(const Object* o, std::string_view key) {
  if (o == nullptr) return Value();
  if (o->index != nullptr) {
    uint32_t at = o->index[IndexSlot(o, key, HashKey(key))];
    return at ? o->members[at - 1].value : Value();
  }
  if (!(o->key_bits & ObjectKeyBit(key))) return Value();
  for (uint32_t i = 0; i < o->size; ++i) {
    if (o->members[i].key == key) return o->members[i].value;
  }
  return Value();
}

Object* NewObjectOfDistinct(Arena& arena, const Member* members, uint32_t n) {
  Object* o = NewObject(arena, n);
  if (n) std::memcpy(static_cast<void*>(o->members), members, sizeof(Member) * n);
  o->size = n;
  for (uint32_t i = 0; i < n; ++i) o->key_bits |= ObjectKeyBit(members[i].key);
  return o;
}

Object* NewObjectFrom(Arena& arena, const Member* members, uint32_t n, uint32_t* duplicate) {
  Object* o = NewObjectOfDistinct(arena, members, n);  // dropped below when two keys are the same
  if (n > kObjectIndexMin) return BuildIndex(arena, o, duplicate) ? o : nullptr;
  for (uint32_t i = 1; i < n; ++i) {
    for (uint32_t j = 0; j < i; ++j) {
      if (members[j].key == members[i].key) {
        *duplicate = i;
        return nullptr;
      }
    }
  }
  return o;
}

// ---- absent-value rules, reading ----

namespace {
bool V2IsEmptyCached(const ValueEnv& env, const Value& v);
}  // namespace

bool IsEmptyV2(const ValueEnv& env, const Value& v) { return V2IsEmptyCached(env, v); }

namespace {

// Reads an HL7 v2 reference once: *value is what Deref returns, and the result is what IsEmpty returns.
// The node's raw text is found once; the text read is its first leaf, cut from that raw text.
bool ReadV2(const ValueEnv& env, const V2Ref& r, Value* value) {
  const hl7v2::Message& msg = *env.message;
  const hl7v2::Encoding& enc = msg.encoding();
  std::string_view raw = V2Raw(msg, r);
  if (raw.empty() || OnlySeparators(raw, enc)) {
    *value = Value();
    return true;
  }
  if (raw[0] == '"' && IsPaddedNull(raw)) {  // `""`, padded or not
    *value = Value::Null();
    return true;
  }
  if (r.field == 0 || (r.segment == 0 && r.field <= 2)) {  // a whole segment; MSH-1 and MSH-2 are never split
    *value = Value::String(raw);
    return false;
  }
  // A field or component read as text is its first leaf (as HAPI's Terser reads PID-3 as PID-3.1): HL7
  // delimiters never leak into output. Paths name deeper parts explicitly (PID-3.4.2).
  std::string_view leaf = raw;
  if (r.comp == 0) leaf = leaf.substr(0, leaf.find(enc.component));
  if (r.sub == 0) leaf = leaf.substr(0, leaf.find(enc.subcomponent));
  std::string* scratch = env.scratch ? env.scratch : &ThreadScratch();
  std::string_view text = msg.Decode(leaf, scratch);
  // Trailing blanks are padding (fixed-width senders pad `SMITH     `; a segment padded before its
  // terminator): they never belong to a name, code or identifier. Leading ones stay (text indentation).
  // Text of blanks only (`\.br\` alone) is so read as empty.
  if (!text.empty() && static_cast<unsigned char>(text.back()) <= ' ') text = WithoutTrailingBlanks(text);
  if (text.empty()) {
    *value = Value();
    return leaf.size() == raw.size();  // empty unless other parts hold something (`^Culture` is present)
  }
  if (text.data() != leaf.data()) text = env.arena->Copy(text);  // decoded into the scratch buffer
  *value = Value::String(text);
  return false;
}

// The memo entry of a reference, filled on a miss.
const V2ReadCache::Entry& CachedRead(const ValueEnv& env, const V2Ref& r) {
  uint64_t key;
  static_assert(sizeof(key) == sizeof(V2Ref));
  std::memcpy(&key, &r, sizeof(key));
  V2ReadCache::Entry& e = env.cache->entries[(key * 0x9E3779B97F4A7C15ull) >> 56];
  if (e.generation != env.cache->generation || e.key != key) {
    e.empty = ReadV2(env, r, &e.value);
    e.key = key;
    e.generation = env.cache->generation;
  }
  return e;
}

// A node is empty when it holds no content at all (only delimiters and blanks, HL7's explicit null, or text
// that decodes to blanks and nothing beside it): a field `^Culture` is present (its second component has
// text) though it reads as text as absent (first leaf).
bool V2IsEmptyCached(const ValueEnv& env, const Value& v) {
  if (env.message == nullptr) return true;
  if (env.cache == nullptr) {
    Value read;
    return ReadV2(env, v.v2, &read);
  }
  return CachedRead(env, v.v2).empty;
}

}  // namespace

Value DerefV2(const ValueEnv& env, const Value& v) {
  if (env.message == nullptr) return Value();
  if (env.cache == nullptr) {
    Value r;
    ReadV2(env, v.v2, &r);
    return r;
  }
  return CachedRead(env, v.v2).value;
}


bool Equal(const ValueEnv& env, const Value& a0, const Value& b0) {
  uint64_t work = 0;
  return Equal(env, a0, b0, &work, UINT64_MAX);
}

bool Equal(const ValueEnv& env, const Value& a0, const Value& b0, uint64_t* work, uint64_t max_work) {
  Value a = Deref(env, a0);
  Value b = Deref(env, b0);
  if (IsNothing(a) || IsNothing(b)) return IsNothing(a) && IsNothing(b);
  if (IsNumber(a) && IsNumber(b)) return CompareNumbers(a, b) == 0;
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case ValueKind::kBool: return a.b == b.b;
    case ValueKind::kString: return a.string() == b.string();
    case ValueKind::kArray: {
      uint32_t na = a.arr ? a.arr->size : 0, nb = b.arr ? b.arr->size : 0;
      if (na != nb) return false;
      *work += 1 + uint64_t{na};
      if (*work > max_work) return false;  // cut short: the caller fails on its budget
      for (uint32_t i = 0; i < na; ++i) {
        if (!Equal(env, a.arr->items[i], b.arr->items[i], work, max_work)) return false;
      }
      return true;
    }
    case ValueKind::kObject: {
      // By key: every present member of a equals b's member of that key, and both have as many present
      // members (absent and null members count as missing, so the relation is symmetric).
      uint32_t na = a.obj ? a.obj->size : 0, nb = b.obj ? b.obj->size : 0;
      *work += 1 + uint64_t{na} + nb;
      if (*work > max_work) return false;
      uint32_t present_a = 0, present_b = 0;
      for (uint32_t i = 0; i < na; ++i) {
        const Member& m = a.obj->members[i];
        if (IsNothing(Deref(env, m.value))) continue;
        ++present_a;
        if (!Equal(env, m.value, ObjectGet(b.obj, m.key), work, max_work)) return false;
      }
      for (uint32_t i = 0; i < nb; ++i) present_b += IsNothing(Deref(env, b.obj->members[i].value)) ? 0 : 1;
      return present_a == present_b;
    }
    case ValueKind::kGroup: return a.group == b.group;
    default: return false;
  }
}

namespace {

// Values nested deeper than this are hashed as their kind: equal values still hash alike, and the
// recursion stays shallow.
constexpr int kMaxHashDepth = 64;

// `*cut` is set when an array or object with items lay at max_depth and was hashed as its kind only.
uint64_t HashDeep(const ValueEnv& env, const Value& v0, uint64_t* work, uint64_t max_work, int depth,
                  int max_depth, bool* cut) {
  // Past max_work the hash is cut short: the caller fails on its budget then, so no equal value is missed.
  if (++*work > max_work) return 0;
  Value v = Deref(env, v0);
  switch (v.kind) {
    case ValueKind::kAbsent:
    case ValueKind::kNull: return 0x6e6f7468696e67ULL;
    case ValueKind::kBool: return v.b ? 0x74727565ULL : 0x66616c7365ULL;
    case ValueKind::kInt:
    case ValueKind::kDecimal: {
      // By value: the mantissa without trailing zeros in the fraction (1.50 hashes as 1.5, 1.0 as 1).
      int64_t m = v.i;
      int scale = ScaleOf(v);
      while (scale > 0 && m % 10 == 0) {
        m /= 10;
        --scale;
      }
      return Combine(static_cast<uint64_t>(m), static_cast<uint64_t>(scale) + 0x6e756dULL);
    }
    case ValueKind::kString: return HashKey(v.string()) ^ 0x737472ULL;
    case ValueKind::kArray: {
      uint64_t h = 0x617272ULL;
      uint32_t n = v.arr ? v.arr->size : 0;
      if (depth >= max_depth) {
        *cut |= n > 0;
        return h;
      }
      for (uint32_t i = 0; i < n && *work <= max_work; ++i) {
        h = Combine(h, HashDeep(env, v.arr->items[i], work, max_work, depth + 1, max_depth, cut));
      }
      return h;
    }
    case ValueKind::kObject: {
      // Members in any order: a sum of per-member hashes.
      uint64_t sum = 0x6f626aULL;
      uint32_t n = v.obj ? v.obj->size : 0;
      if (depth >= max_depth) {
        *cut |= n > 0;
        return sum;
      }
      for (uint32_t i = 0; i < n && *work <= max_work; ++i) {
        const Member& m = v.obj->members[i];
        if (IsNothing(Deref(env, m.value))) continue;
        sum += Combine(HashKey(m.key), HashDeep(env, m.value, work, max_work, depth + 1, max_depth, cut));
      }
      return sum;
    }
    case ValueKind::kGroup: return Combine(reinterpret_cast<uintptr_t>(v.group), 0x67727028ULL);
    case ValueKind::kV2: return 0;  // Deref never returns kV2
  }
  return 0;
}

}  // namespace

uint64_t HashValue(const ValueEnv& env, const Value& v, uint64_t* work, uint64_t max_work) {
  bool cut = false;
  return HashDeep(env, v, work, max_work, 0, kMaxHashDepth, &cut);
}

uint64_t HashValueShallow(const ValueEnv& env, const Value& v, int levels, bool* whole, uint64_t* work,
                          uint64_t max_work) {
  bool cut = false;
  uint64_t h = HashDeep(env, v, work, max_work, 0, std::min(levels, kMaxHashDepth), &cut);
  *whole = !cut;
  return h;
}

// ---- numbers ----

int CompareNumbers(const Value& a, const Value& b) {
  i128 ma = a.i, mb = b.i;
  int sa = ScaleOf(a), sb = ScaleOf(b);
  auto cmp = [](i128 x, i128 y) { return x < y ? -1 : (x > y ? 1 : 0); };
  if (sa == sb) return cmp(ma, mb);
  i128 t;
  if (sa < sb) {
    if (MulPow10(ma, sb - sa, &t)) return cmp(t, mb);
    return ma < 0 ? -1 : 1;  // |ma * 10^d| exceeds any int64 mantissa
  }
  if (MulPow10(mb, sa - sb, &t)) return cmp(ma, t);
  return mb < 0 ? 1 : -1;
}

bool Arith(const ValueEnv& env, ArithOp op, const Value& a0, const Value& b0, Value* out, const char** error) {
  Value a = Deref(env, a0);
  Value b = Deref(env, b0);
  if (IsNothing(a) || IsNothing(b)) {
    if ((IsNothing(a) || IsNumber(a)) && (IsNothing(b) || IsNumber(b))) {
      *out = Value();  // an absent operand makes the result absent (like builtins)
      return true;
    }
  }
  if (!IsNumber(a) || !IsNumber(b)) {
    bool big = (a.kind == ValueKind::kString && (a.flags & kFlagNumberText)) ||
               (b.kind == ValueKind::kString && (b.flags & kFlagNumberText));
    *error = big ? "number outside the exact decimal range" : KindError(OpVerb(op), a.kind, b.kind);
    return false;
  }
  if (a.kind == ValueKind::kInt && b.kind == ValueKind::kInt) {
    int64_t r;
    switch (op) {
      case ArithOp::kAdd:
        if (__builtin_add_overflow(a.i, b.i, &r)) break;
        *out = Value::Int(r);
        return true;
      case ArithOp::kSub:
        if (__builtin_sub_overflow(a.i, b.i, &r)) break;
        *out = Value::Int(r);
        return true;
      case ArithOp::kMul:
        if (__builtin_mul_overflow(a.i, b.i, &r)) break;
        *out = Value::Int(r);
        return true;
      case ArithOp::kDiv:
        if (b.i == 0) {
          *error = "division by zero";
          return false;
        }
        if (b.i == -1) {
          if (a.i == INT64_MIN) break;
          *out = Value::Int(-a.i);
          return true;
        }
        if (a.i % b.i == 0) {
          *out = Value::Int(a.i / b.i);
          return true;
        }
        if (!DivideDecimal(a.i, 0, b.i, 0, out)) {
          *error = "decimal overflow";
          return false;
        }
        return true;
      case ArithOp::kMod:
        if (b.i == 0) {
          *error = "division by zero";
          return false;
        }
        *out = Value::Int(b.i == -1 ? 0 : a.i % b.i);
        return true;
    }
    *error = "integer overflow";
    return false;
  }
  i128 ma = a.i, mb = b.i;
  int sa = ScaleOf(a), sb = ScaleOf(b);
  int s = sa > sb ? sa : sb;
  bool ok = false;
  switch (op) {
    case ArithOp::kAdd:
    case ArithOp::kSub:
    case ArithOp::kMod: {
      i128 x, y;
      if (!MulPow10(ma, s - sa, &x) || !MulPow10(mb, s - sb, &y)) break;
      if (op == ArithOp::kMod && y == 0) {
        *error = "division by zero";
        return false;
      }
      i128 r = op == ArithOp::kAdd ? x + y : (op == ArithOp::kSub ? x - y : x % y);
      *out = DecimalOrInt(r, s, &ok);
      break;
    }
    case ArithOp::kMul: {
      i128 r = ma * mb;  // |r| < 2^126
      int rs = sa + sb;
      while ((!FitsInt64(r) || rs > kMaxDecimalScale) && rs > 0 && r % 10 == 0) {
        r /= 10;
        --rs;
      }
      *out = DecimalOrInt(r, rs, &ok);
      break;
    }
    case ArithOp::kDiv:
      if (mb == 0) {
        *error = "division by zero";
        return false;
      }
      ok = DivideDecimal(ma, sa, mb, sb, out);
      break;
  }
  if (!ok) {
    *error = "decimal overflow";
    return false;
  }
  return true;
}

bool Negate(const ValueEnv& env, const Value& a0, Value* out, const char** error) {
  Value a = Deref(env, a0);
  if (IsNothing(a)) {
    *out = Value();
    return true;
  }
  if (a.kind == ValueKind::kInt) {
    if (a.i == INT64_MIN) {
      *error = "integer overflow";
      return false;
    }
    *out = Value::Int(-a.i);
    return true;
  }
  if (a.kind == ValueKind::kDecimal) {
    if (a.i == INT64_MIN) {
      *error = "decimal overflow";
      return false;
    }
    *out = Value::Decimal(-a.i, a.aux);
    return true;
  }
  thread_local char buf[64];
  std::snprintf(buf, sizeof buf, "cannot negate %s", UserKindName(a.kind));
  *error = buf;
  return false;
}

bool Compare(const ValueEnv& env, const Value& a0, const Value& b0, int* result, const char** error) {
  Value a = Deref(env, a0);
  Value b = Deref(env, b0);
  if (IsNothing(a) || IsNothing(b)) {
    *result = kUnordered;
    return true;
  }
  if (IsNumber(a) && IsNumber(b)) {
    *result = CompareNumbers(a, b);
    return true;
  }
  if (a.kind == ValueKind::kString && b.kind == ValueKind::kString) {
    int c = a.string().compare(b.string());
    *result = c < 0 ? -1 : (c > 0 ? 1 : 0);
    return true;
  }
  if (a.kind == ValueKind::kBool && b.kind == ValueKind::kBool) {
    *result = static_cast<int>(a.b) - static_cast<int>(b.b);
    return true;
  }
  *error = KindError("compare", a.kind, b.kind);
  return false;
}

// ---- decimal text ----

bool ParseDecimal(std::string_view text, int64_t* mantissa, uint16_t* scale, bool* negative_zero) {
  size_t i = 0, n = text.size();
  bool neg = false;
  if (i < n && text[i] == '-') {
    neg = true;
    ++i;
  }
  uint64_t m = 0;
  size_t int_digits = 0, frac_digits = 0;
  constexpr uint64_t kLimit = static_cast<uint64_t>(INT64_MAX) + 1;  // |INT64_MIN|
  auto add = [&](char c) {
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (m > (kLimit - d) / 10) return false;
    m = m * 10 + d;
    return true;
  };
  while (i < n && text[i] >= '0' && text[i] <= '9') {
    if (!add(text[i])) return false;
    ++i;
    ++int_digits;
  }
  if (int_digits == 0) return false;
  if (i < n && text[i] == '.') {
    ++i;
    while (i < n && text[i] >= '0' && text[i] <= '9') {
      if (!add(text[i])) return false;
      ++i;
      ++frac_digits;
    }
    if (frac_digits == 0) return false;
  }
  if (i != n || frac_digits > kMaxDecimalScale) return false;
  if (!neg && m > static_cast<uint64_t>(INT64_MAX)) return false;
  *mantissa = neg ? static_cast<int64_t>(0 - m) : static_cast<int64_t>(m);
  *scale = static_cast<uint16_t>(frac_digits);
  if (negative_zero) *negative_zero = neg && m == 0;
  return true;
}

size_t FormatNumber(const Value& v, char* buf) {
  if (v.kind == ValueKind::kInt) {
    auto res = std::to_chars(buf, buf + kMaxNumberChars, v.i);
    return static_cast<size_t>(res.ptr - buf);
  }
  char digits[24];
  bool neg = v.i < 0 || (v.i == 0 && (v.flags & kFlagNegativeZero));
  uint64_t abs = v.i < 0 ? 0 - static_cast<uint64_t>(v.i) : static_cast<uint64_t>(v.i);
  auto res = std::to_chars(digits, digits + sizeof digits, abs);
  size_t nd = static_cast<size_t>(res.ptr - digits);
  size_t scale = v.aux > kMaxDecimalScale ? kMaxDecimalScale : v.aux;
  char* p = buf;
  if (neg) *p++ = '-';
  if (scale == 0) {
    std::memcpy(p, digits, nd);
    return static_cast<size_t>(p + nd - buf);
  }
  if (nd <= scale) {
    *p++ = '0';
    *p++ = '.';
    for (size_t k = nd; k < scale; ++k) *p++ = '0';
    std::memcpy(p, digits, nd);
    return static_cast<size_t>(p + nd - buf);
  }
  size_t int_len = nd - scale;
  std::memcpy(p, digits, int_len);
  p += int_len;
  *p++ = '.';
  std::memcpy(p, digits + int_len, scale);
  return static_cast<size_t>(p + scale - buf);
}

}  // namespace crosswalk::vm
