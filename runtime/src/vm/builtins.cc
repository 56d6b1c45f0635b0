#include "vm/builtins.h"

#include <cstring>
#include <string>

#include "common/cpu_clock.h"
#include "hl7v2/message.h"
#include "json/json_writer.h"
#include "value/arena.h"
#include "vm/builtins_impl.h"
#include "vm/content_hash.h"
#include "vm/hash.h"

namespace crosswalk::vm {

const BuiltinFn kBuiltins[] = {
#define CW_BUILTIN(id, name, min, max, result, iterable) &builtins::Builtin_##id,
#include "bytecode/builtins.def"
#undef CW_BUILTIN
};
static_assert(sizeof(kBuiltins) / sizeof(kBuiltins[0]) == kBuiltinCount);

const BuiltinInfo kBuiltinTable[] = {
#define CW_BUILTIN(id, name, min, max, result, iterable) {name, min, max, BuiltinId::id},
#include "bytecode/builtins.def"
#undef CW_BUILTIN
};
static_assert(sizeof(kBuiltinTable) / sizeof(kBuiltinTable[0]) == kBuiltinCount);

const BuiltinInfo* FindBuiltin(std::string_view name) {
  for (const BuiltinInfo& info : kBuiltinTable) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

namespace builtins {

bool Fail(BuiltinEnv& env, std::string_view fn, std::string_view what) {
  env.error.assign(fn);
  env.error.append(": ");
  env.error.append(what);
  return false;
}

bool ChargeSlow(BuiltinEnv& env, std::string_view fn, uint64_t units) {
  if (units >= env.work_left) {
    env.limit_exceeded = true;
    return Fail(env, fn, "instruction limit exceeded (RunLimits::max_instructions)");
  }
  env.work_left -= units;
  env.units_since_clock += units;
  if (env.units_since_clock >= kCpuCheckUnits) {
    env.units_since_clock = 0;
    if (env.cpu_deadline_ns != 0 && ThreadCpuNanos() > env.cpu_deadline_ns) {
      env.limit_exceeded = true;
      return Fail(env, fn, "CPU time limit exceeded (RunLimits::max_cpu_time_ms)");
    }
  }
  return true;
}

size_t FindText(std::string_view s, std::string_view x, size_t from) {
  if (from > s.size()) return std::string_view::npos;
  if (x.empty()) return from;
  const void* hit = memmem(s.data() + from, s.size() - from, x.data(), x.size());
  return hit ? static_cast<size_t>(static_cast<const char*>(hit) - s.data()) : std::string_view::npos;
}

bool StringArgSlow(BuiltinEnv& env, std::string_view fn, const Value& v, std::string_view* s) {
  switch (v.kind) {
    case ValueKind::kArray:
    case ValueKind::kObject:
    case ValueKind::kGroup: {
      std::string what = "expected a string, got ";
      what.append(ValueKindName(v.kind));
      return Fail(env, fn, what);
    }
    default: *s = ToString(env.value, v); return true;
  }
}

bool IntArgSlow(BuiltinEnv& env, std::string_view fn, std::string_view what, const Value& v, int64_t* i) {
  if (v.kind == ValueKind::kInt) {
    *i = v.i;
    return true;
  }
  if (v.kind == ValueKind::kDecimal) {
    int64_t m = v.i;
    for (int s = 0; s < v.aux; ++s) {
      if (m % 10 != 0) return Fail(env, fn, std::string(what) + " must be an integer");
      m /= 10;
    }
    *i = m;
    return true;
  }
  return Fail(env, fn, std::string(what) + " must be an integer");
}

namespace {

// memcpy that accepts an empty view with a null data pointer.
void CopyBytes(char* dst, std::string_view src) {
  if (!src.empty()) std::memcpy(dst, src.data(), src.size());
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

std::string_view TrimView(std::string_view s) {
  // Every space of IsSpace is at most ' ': text that starts and ends above it is returned whole.
  if (!s.empty() && static_cast<unsigned char>(s.front()) > ' ' && static_cast<unsigned char>(s.back()) > ' ') return s;
  size_t b = 0, e = s.size();
  while (b < e && IsSpace(s[b])) ++b;
  while (e > b && IsSpace(s[e - 1])) --e;
  return s.substr(b, e - b);
}

Value StrOrAbsent(std::string_view s) { return s.empty() ? Value() : Value::String(s); }

// Reads the main string argument; *done is set (with *out = absent) when it is empty.
inline bool MainString(BuiltinEnv& env, std::string_view fn, const Value* args, std::string_view* s, Value* out,
                       bool* done) {
  if (args[0].kind == ValueKind::kString && args[0].len != 0) {  // the usual case, without Deref
    *done = false;
    *s = args[0].string();
    return true;
  }
  Value v = Arg(env, args, 0);
  *done = false;
  if (EmptyValue(env, v)) {
    *out = Value();
    *done = true;
    return true;
  }
  return StringArg(env, fn, v, s);
}

// An optional string argument: empty values give "".
inline bool OtherString(BuiltinEnv& env, std::string_view fn, const Value* args, int i, std::string_view* s) {
  if (args[i].kind == ValueKind::kString) {
    *s = args[i].string();
    return true;
  }
  Value v = Arg(env, args, i);
  if (EmptyValue(env, v)) {
    *s = {};
    return true;
  }
  return StringArg(env, fn, v, s);
}

Value CaseMap(BuiltinEnv& env, std::string_view s, bool upper) {
  size_t i = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (upper ? (c >= 'a' && c <= 'z') : (c >= 'A' && c <= 'Z')) break;
  }
  if (i == s.size()) return Value::String(s);  // nothing to change: no copy
  char* p = AllocChars(env, s.size());
  std::memcpy(p, s.data(), s.size());
  for (; i < s.size(); ++i) {
    char c = p[i];
    if (upper && c >= 'a' && c <= 'z') p[i] = static_cast<char>(c - 32);
    if (!upper && c >= 'A' && c <= 'Z') p[i] = static_cast<char>(c + 32);
  }
  return Value::String(std::string_view(p, s.size()));
}

// Decimal text as HL7 NM allows it: optional sign, digits with an optional point (".5", "5.", "+1.20").
bool ParseNumericText(std::string_view t, int64_t* m, uint16_t* scale) {
  t = TrimView(t);
  if (t.empty()) return false;
  bool neg = false;
  if (t[0] == '+' || t[0] == '-') {
    neg = t[0] == '-';
    t.remove_prefix(1);
  }
  size_t dot = t.find('.');
  std::string_view ip = dot == std::string_view::npos ? t : t.substr(0, dot);
  std::string_view fp = dot == std::string_view::npos ? std::string_view() : t.substr(dot + 1);
  if (ip.empty() && fp.empty()) return false;
  // Rebuild a canonical "[-]digits[.digits]" on the stack and parse it exactly.
  char buf[kMaxNumberChars + 4];
  if (ip.size() + fp.size() + 3 > sizeof buf) {
    // Long inputs: only leading zeros could make them fit; strip them.
    while (ip.size() > 1 && ip[0] == '0') ip.remove_prefix(1);
    if (ip.size() + fp.size() + 3 > sizeof buf) return false;
  }
  size_t n = 0;
  if (neg) buf[n++] = '-';
  if (ip.empty()) {
    buf[n++] = '0';
  } else {
    std::memcpy(buf + n, ip.data(), ip.size());
    n += ip.size();
  }
  if (!fp.empty()) {
    buf[n++] = '.';
    std::memcpy(buf + n, fp.data(), fp.size());
    n += fp.size();
  }
  bool negzero;
  return ParseDecimal(std::string_view(buf, n), m, scale, &negzero);
}

bool IsStrictNumber(std::string_view t) {
  t = TrimView(t);
  size_t i = 0;
  if (i < t.size() && t[i] == '-') ++i;
  size_t d = 0;
  while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i, ++d;
  if (d == 0) return false;
  if (i < t.size() && t[i] == '.') {
    ++i;
    size_t f = 0;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i, ++f;
    if (f == 0) return false;
  }
  return i == t.size();
}

bool NumberArg(BuiltinEnv& env, std::string_view fn, const Value& v) {
  if (v.kind == ValueKind::kInt || v.kind == ValueKind::kDecimal) return true;
  std::string what = "expected a number, got ";
  what.append(ValueKindName(v.kind));
  what.append(v.kind == ValueKind::kString ? " (use decimal() or integer())" : "");
  return Fail(env, fn, what);
}

}  // namespace

// ---- strings ----

bool Builtin_kTrim(BuiltinEnv& env, const Value* args, int, Value* out) {
  std::string_view s;
  bool done;
  if (!MainString(env, "trim", args, &s, out, &done)) return false;
  if (!done) *out = StrOrAbsent(TrimView(s));
  return true;
}

bool Builtin_kUpper(BuiltinEnv& env, const Value* args, int, Value* out) {
  std::string_view s;
  bool done;
  if (!MainString(env, "upper", args, &s, out, &done)) return false;
  if (!done && !Charge(env, "upper", TextUnits(s.size()))) return false;
  if (!done) *out = CaseMap(env, s, true);
  return true;
}

bool Builtin_kLower(BuiltinEnv& env, const Value* args, int, Value* out) {
  std::string_view s;
  bool done;
  if (!MainString(env, "lower", args, &s, out, &done)) return false;
  if (!done && !Charge(env, "lower", TextUnits(s.size()))) return false;
  if (!done) *out = CaseMap(env, s, false);
  return true;
}

bool Builtin_kSubstring(BuiltinEnv& env, const Value* args, int nargs, Value* out) {
  std::string_view s;
  bool done;
  if (!MainString(env, "substring", args, &s, out, &done)) return false;
  if (done) return true;
  int64_t start, len = INT64_MAX;
  if (!IntArg(env, "substring", "start", Arg(env, args, 1), &start)) return false;
  if (nargs > 2) {
    Value l = Arg(env, args, 2);
    if (!EmptyValue(env, l) && !IntArg(env, "substring", "length", l, &len)) return false;
  }
  int64_t size = static_cast<int64_t>(s.size());
  if (start < 0) start = 0;
  if (start > size) start = size;
  if (len < 0) len = 0;
  if (len > size - start) len = size - start;
  *out = StrOrAbsent(s.substr(static_cast<size_t>(start), static_cast<size_t>(len)));
  return true;
}

bool Builtin_kSplit(BuiltinEnv& env, const Value* args, int, Value* out) {
  std::string_view s, sep;
  bool done;
  if (!MainString(env, "split", args, &s, out, &done)) return false;
  if (done) return true;
  if (!OtherString(env, "split", args, 1, &sep)) return false;
  if (sep.empty()) return Fail(env, "split", "the separator is empty");
  if (!Charge(env, "split", TextUnits(s.size()))) return false;
  uint32_t parts = 1;
  for (size_t pos = FindText(s, sep); pos != std::string_view::npos; pos = FindText(s, sep, pos + sep.size())) ++parts;
  if (!Charge(env, "split", parts)) return false;
  Array* a = NewArray(*env.value.arena, parts);
  size_t begin = 0;
  for (uint32_t i = 0; i < parts; ++i) {
    size_t pos = i + 1 < parts ? FindText(s, sep, begin) : s.size();
    a->items[i] = Value::String(s.substr(begin, pos - begin));
    begin = pos + sep.size();
  }
  a->size = parts;
  *out = Value::MakeArray(a);
  return true;
}

bool Builtin_kJoin(BuiltinEnv& env, const Value* args, int nargs, Value* out) {
  Value v = Arg(env, args, 0);
  if (EmptyValue(env, v)) {
    *out = Value();
    return true;
  }
  std::string_view sep;
  if (nargs > 1 && !OtherString(env, "join", args, 1, &sep)) return false;
  const Value* items = &v;
  uint32_t n = 1;
  if (v.kind == ValueKind::kArray) {
    items = v.arr->items;
    n = v.arr->size;
  }
  // Two passes: lengths, then copy (string forms of numbers are made once, in the arena).
  size_t total = 0, count = 0;
  if (!Charge(env, "join", n)) return false;
  for (uint32_t i = 0; i < n; ++i) {
    Value item = Deref(env.value, items[i]);
    if (EmptyValue(env, item)) continue;
    std::string_view s;
    if (!StringArg(env, "join", item, &s)) return false;
    total += s.size() + (count ? sep.size() : 0);
    ++count;
  }
  if (!Charge(env, "join", TextUnits(total))) return false;
  if (total == 0) {
    *out = Value();
    return true;
  }
  char* p = AllocChars(env, total);
  size_t at = 0;
  count = 0;
  for (uint32_t i = 0; i < n; ++i) {
    Value item = Deref(env.value, items[i]);
    if (EmptyValue(env, item)) continue;
    std::string_view s = ToString(env.value, item);
    if (count++) {
      CopyBytes(p + at, sep);
      at += sep.size();
    }
    CopyBytes(p + at, s);
    at += s.size();
  }
  *out = Value::String(std::string_view(p, at));
  return true;
}

bool Builtin_kReplace(BuiltinEnv& env, const Value* args, int, Value* out) {
  std::string_view s, from, to;
  bool done;
  if (!MainString(env, "replace", args, &s, out, &done)) return false;
  if (done) return true;
  if (!OtherString(env, "replace", args, 1, &from) || !OtherString(env, "replace", args, 2, &to)) return false;
  if (from.empty()) return Fail(env, "replace", "the text to replace is empty");
  if (!Charge(env, "replace", TextUnits(s.size()))) return false;
  size_t hits = 0;
  for (size_t pos = FindText(s, from); pos != std::string_view::npos; pos = FindText(s, from, pos + from.size())) ++hits;
  if (!Charge(env, "replace", hits + TextUnits(hits * to.size()))) return false;
  if (hits == 0) {
    *out = Value::String(s);
    return true;
  }
  size_t total = s.size() - hits * from.size() + hits * to.size();
  if (total == 0) {
    *out = Value();
    return true;
  }
  char* p = AllocChars(env, total);
  size_t at = 0, begin = 0;
  for (size_t pos = FindText(s, from); pos != std::string_view::npos; pos = FindText(s, from, begin)) {
    std::memcpy(p + at, s.data() + begin, pos - begin);
    at += pos - begin;
    CopyBytes(p + at, to);
    at += to.size();
    begin = pos + from.size();
  }
  std::memcpy(p + at, s.data() + begin, s.size() - begin);
  *out = Value::String(std::string_view(p, total));
  return true;
}

bool Builtin_kStartsWith(BuiltinEnv& env, const Value* args, int, Value* out) {
  std::string_view s, x;
  bool done;
  if (!MainString(env, "starts_with", args, &s, out, &done)) return false;
  if (done) return true;
  if (!OtherString(env, "starts_with", args, 1, &x)) return false;
  *out = Value::Bool(s.substr(0, x.size()) == x);
  return true;
}

bool Builtin_kEndsWith(BuiltinEnv& env, const Value* args, int, Value* out) {
  std::string_view s, x;
  bool done;
  if (!MainString(env, "ends_with", args, &s, out, &done)) return false;
  if (done) return true;
  if (!OtherString(env, "ends_with", args, 1, &x)) return false;
  *out = Value::Bool(s.size() >= x.size() && s.substr(s.size() - x.size()) == x);
  return true;
}

bool Builtin_kContains(BuiltinEnv& env, const Value* args, int, Value* out) {
  Value v = Arg(env, args, 0);
  if (EmptyValue(env, v)) {
    *out = Value();
    return true;
  }
  if (v.kind == ValueKind::kArray) {
    for (uint32_t i = 0; i < v.arr->size; ++i) {
      uint64_t work = 1;
      bool equal = Equal(env.value, v.arr->items[i], args[1], &work, env.work_left);
      if (!Charge(env, "contains", work)) return false;
      if (equal) {
        *out = Value::Bool(true);
        return true;
      }
    }
    *out = Value::Bool(false);
    return true;
  }
  std::string_view s, x;
  if (!StringArg(env, "contains", v, &s) || !OtherString(env, "contains", args, 1, &x)) return false;
  if (!Charge(env, "contains", TextUnits(s.size()))) return false;
  *out = Value::Bool(FindText(s, x) != std::string_view::npos);
  return true;
}

bool Builtin_kLength(BuiltinEnv& env, const Value* args, int, Value* out) {
  Value v = Arg(env, args, 0);
  switch (v.kind) {
    case ValueKind::kAbsent:
    case ValueKind::kNull: *out = Value::Int(0); return true;
    case ValueKind::kArray: *out = Value::Int(v.arr ? v.arr->size : 0); return true;
    case ValueKind::kObject: *out = Value::Int(v.obj ? v.obj->size : 0); return true;
    default: {
      std::string_view s;
      if (!StringArg(env, "length", v, &s)) return false;
      *out = Value::Int(static_cast<int64_t>(s.size()));
      return true;
    }
  }
}

bool Builtin_kPadLeft(BuiltinEnv& env, const Value* args, int, Value* out) {
  constexpr int64_t kMaxPadWidth = 4096;
  std::string_view s, fill;
  bool done;
  if (!MainString(env, "pad_left", args, &s, out, &done)) return false;
  if (done) return true;
  int64_t width;
  if (!IntArg(env, "pad_left", "width", Arg(env, args, 1), &width)) return false;
  if (width < 0 || width > kMaxPadWidth) return Fail(env, "pad_left", "width must be between 0 and 4096");
  if (!OtherString(env, "pad_left", args, 2, &fill)) return false;
  if (fill.size() != 1) return Fail(env, "pad_left", "the pad character must be one byte");
  if (static_cast<int64_t>(s.size()) >= width) {
    *out = Value::String(s);
    return true;
  }
  size_t w = static_cast<size_t>(width);
  char* p = AllocChars(env, w);
  std::memset(p, fill[0], w - s.size());
  CopyBytes(p + (w - s.size()), s);
  *out = Value::String(std::string_view(p, w));
  return true;
}

// ---- numbers ----

bool Builtin_kDecimal(BuiltinEnv& env, const Value* args, int, Value* out) {
  Value v = Arg(env, args, 0);
  *out = Value();
  if (v.kind == ValueKind::kInt) {
    *out = Value::Decimal(v.i, 0);
  } else if (v.kind == ValueKind::kDecimal) {
    *out = v;
  } else if (v.kind == ValueKind::kString) {
    int64_t m;
    uint16_t scale;
    if (ParseNumericText(v.string(), &m, &scale)) *out = Value::Decimal(m, scale);
  }
  return true;
}

bool Builtin_kInteger(BuiltinEnv& env, const Value* args, int, Value* out) {
  Value v = Arg(env, args, 0);
  *out = Value();
  if (v.kind == ValueKind::kInt) {
    *out = v;
  } else if (v.kind == ValueKind::kDecimal) {
    int64_t m = v.i;
    bool whole = true;
    for (int k = 0; k < v.aux && whole; ++k) {
      whole = m % 10 == 0;
      m /= 10;
    }
    if (whole) *out = Value::Int(m);
  } else if (v.kind == ValueKind::kString) {
    std::string_view t = TrimView(v.string());
    int64_t m;
    uint16_t scale;
    if (t.find('.') == std::string_view::npos && ParseNumericText(t, &m, &scale)) *out = Value::Int(m);
  }
  return true;
}

bool Builtin_kIsNumber(BuiltinEnv& env, const Value* args, int, Value* out) {
  Value v = Arg(env, args, 0);
  if (EmptyValue(env, v)) {
    *out = Value();
  } else if (v.kind == ValueKind::kInt || v.kind == ValueKind::kDecimal) {
    *out = Value::Bool(true);
  } else {
    *out = Value::Bool(v.kind == ValueKind::kString && IsStrictNumber(v.string()));
  }
  return true;
}

bool Builtin_kRound(BuiltinEnv& env, const Value* args, int nargs, Value* out) {
  Value v = Arg(env, args, 0);
  if (EmptyValue(env, v)) {
    *out = Value();
    return true;
  }
  if (!NumberArg(env, "round", v)) return false;
  int64_t digits = 0;
  if (nargs > 1 && !IntArg(env, "round", "digits", Arg(env, args, 1), &digits)) return false;
  if (digits < 0 || digits > 18) return Fail(env, "round", "digits must be between 0 and 18");
  if (v.kind == ValueKind::kInt || v.aux <= digits) {
    *out = v;
    return true;
  }
  // Half away from zero: drop (scale - digits) digits.
  int drop = v.aux - static_cast<int>(digits);
  __int128 m = v.i, p = 1;
  for (int i = 0; i < drop; ++i) p *= 10;
  __int128 q = m / p, r = m % p;
  if ((r < 0 ? -r : r) * 2 >= p) q += m < 0 ? -1 : 1;
  if (q > INT64_MAX || q < INT64_MIN) return Fail(env, "round", "result out of range");
  *out = digits == 0 ? Value::Int(static_cast<int64_t>(q))
                     : Value::Decimal(static_cast<int64_t>(q), static_cast<uint16_t>(digits));
  return true;
}

bool Builtin_kAbs(BuiltinEnv& env, const Value* args, int, Value* out) {
  Value v = Arg(env, args, 0);
  if (EmptyValue(env, v)) {
    *out = Value();
    return true;
  }
  if (!NumberArg(env, "abs", v)) return false;
  if (v.i == INT64_MIN) return Fail(env, "abs", "result out of range");
  *out = v;
  out->flags = 0;
  if (v.i < 0) out->i = -v.i;
  return true;
}

bool Builtin_kString(BuiltinEnv& env, const Value* args, int, Value* out) {
  Value v = Arg(env, args, 0);
  if (v.kind == ValueKind::kGroup) return Fail(env, "string", "an HL7 v2 group has no string form");
  *out = EmptyValue(env, v) ? Value() : StrOrAbsent(ToString(env.value, v));
  return true;
}

// ---- collections and presence ----

bool Builtin_kCount(BuiltinEnv& env, const Value* args, int, Value* out) {
  const Value& raw = args[0];
  if (raw.kind == ValueKind::kV2 && raw.v2.field != 0 && raw.v2.rep == 0 && raw.v2.comp == 0 &&
      env.value.message != nullptr) {
    *out = Value::Int(env.value.message->repetition_count(raw.v2.segment, raw.v2.field));
    return true;
  }
  Value v = Deref(env.value, raw);
  if (v.kind == ValueKind::kArray) {
    *out = Value::Int(v.arr ? v.arr->size : 0);
  } else {
    *out = Value::Int(EmptyValue(env, v) ? 0 : 1);
  }
  return true;
}

namespace {
bool FirstOrLast(BuiltinEnv& env, const Value* args, Value* out, bool last) {
  const Value& raw = args[0];
  if (raw.kind == ValueKind::kV2 && raw.v2.field != 0 && raw.v2.rep == 0 && env.value.message != nullptr) {
    int n = env.value.message->repetition_count(raw.v2.segment, raw.v2.field);
    if (n == 0) {
      *out = Value();
      return true;
    }
    *out = raw;
    out->v2.rep = static_cast<uint16_t>(last ? n : 1);
    return true;
  }
  Value v = Deref(env.value, raw);
  if (v.kind == ValueKind::kArray) {
    uint32_t n = v.arr ? v.arr->size : 0;
    *out = n == 0 ? Value() : v.arr->items[last ? n - 1 : 0];
    return true;
  }
  *out = EmptyValue(env, v) ? Value() : raw;
  return true;
}
}  // namespace

bool Builtin_kFirst(BuiltinEnv& env, const Value* args, int, Value* out) { return FirstOrLast(env, args, out, false); }
bool Builtin_kLast(BuiltinEnv& env, const Value* args, int, Value* out) { return FirstOrLast(env, args, out, true); }

bool Builtin_kExists(BuiltinEnv& env, const Value* args, int, Value* out) {
  *out = Value::Bool(!IsEmpty(env.value, args[0]));
  return true;
}

bool Builtin_kIsNull(BuiltinEnv& env, const Value* args, int, Value* out) {
  *out = Value::Bool(Arg(env, args, 0).kind == ValueKind::kNull);
  return true;
}

bool Builtin_kCoalesce(BuiltinEnv& env, const Value* args, int nargs, Value* out) {
  for (int i = 0; i < nargs; ++i) {
    if (!IsEmpty(env.value, args[i])) {
      *out = args[i];
      return true;
    }
  }
  *out = Value();
  return true;
}

bool Builtin_kDistinct(BuiltinEnv& env, const Value* args, int, Value* out) {
  Value v = Arg(env, args, 0);
  if (EmptyValue(env, v)) {
    *out = Value();
    return true;
  }
  if (v.kind != ValueKind::kArray) {
    *out = v;
    return true;
  }
  // One pass with a hash set of the items kept (open addressing over positions in `a`, in the arena):
  // comparing each item with every kept one made 80,000 items take 41 s. The set is keyed by a hash of
  // each item's top level (HashValueShallow: scalars, and the members of an object whose values are
  // scalars): Bundle entries differ there (fullUrl), so most items are never hashed whole. When two
  // shallow hashes are equal, the item is first compared whole with that kept one (Equal): the usual case
  // is a duplicate (a party entry that several segments name), found in one walk of the two values instead
  // of two hashes and a compare. Only when that compare fails are the whole hashes computed (once per item,
  // kept), and from then on only equal whole hashes lead to Equal: each item meets at most one compare
  // that fails, so many items with one top level and different contents stay linear.
  constexpr int kShallowLevels = 1;
  uint32_t n = v.arr->size;
  Arena& arena = *env.value.arena;
  Array* a = NewArray(arena, n);
  uint64_t slots = 16;
  while (slots < uint64_t{n} * 2) slots *= 2;
  const uint64_t mask = slots - 1;
  uint32_t* table = arena.AllocateArray<uint32_t>(slots);  // position in a + 1; 0 = free
  struct Kept {
    uint64_t shallow, whole;
    bool whole_known;
  };
  Kept* kept = arena.AllocateArray<Kept>(n ? n : 1);
  std::memset(table, 0, sizeof(uint32_t) * slots);
  // Work is charged for every node hashed and compared; it depends only on the values (two different
  // items have equal 64-bit hashes with negligible probability), never on the per-process hash key.
  auto whole_hash = [&](const Value& x, uint64_t* h) {
    uint64_t work = 0;
    *h = HashValue(env.value, x, &work, env.work_left);
    return Charge(env, "distinct", work);
  };
  auto equal_to = [&](const Value& x, const Value& y, bool* equal) {
    uint64_t work = 0;
    *equal = Equal(env.value, x, y, &work, env.work_left);
    return Charge(env, "distinct", work);
  };
  for (uint32_t i = 0; i < n; ++i) {
    const Value& item = v.arr->items[i];
    uint64_t work = 0;
    bool whole_known = false;
    uint64_t h = HashValueShallow(env.value, item, kShallowLevels, &whole_known, &work, env.work_left);
    if (!Charge(env, "distinct", work)) return false;
    uint64_t whole = h;  // when whole_known
    uint64_t slot = h & mask;
    bool seen = false;
    // Probes are not charged: their number depends on the per-process hash key, and the count must not.
    for (uint32_t at; (at = table[slot]) != 0; slot = (slot + 1) & mask) {
      Kept& k = kept[at - 1];
      if (k.shallow != h) continue;
      bool equal;
      if (!whole_known) {
        // The first kept item with this top level (in insertion order, so the work charged does not
        // depend on the hash key): a compare first; when it fails, hashes from then on.
        if (!equal_to(a->items[at - 1], item, &equal)) return false;
        if (equal) {
          seen = true;
          break;
        }
        if (!whole_hash(item, &whole)) return false;
        whole_known = true;
        continue;
      }
      if (!k.whole_known) {
        if (!whole_hash(a->items[at - 1], &k.whole)) return false;
        k.whole_known = true;
      }
      if (k.whole != whole) continue;
      // Equal hashes: in practice only equal values, so this runs once per duplicate (deterministic).
      if (!equal_to(a->items[at - 1], item, &equal)) return false;
      if (equal) {
        seen = true;
        break;
      }
    }
    if (seen) continue;
    kept[a->size] = Kept{h, whole, whole_known};
    a->items[a->size++] = item;
    table[slot] = a->size;
  }
  *out = Value::MakeArray(a);
  return true;
}

// ---- identifiers and hashing ----

bool Builtin_kUuid5(BuiltinEnv& env, const Value* args, int, Value* out) {
  std::string_view ns_text, name;
  Value name_v = Arg(env, args, 1);
  if (EmptyValue(env, name_v)) {
    *out = Value();
    return true;
  }
  if (!OtherString(env, "uuid5", args, 0, &ns_text) || !StringArg(env, "uuid5", name_v, &name)) return false;
  // The namespace is nearly always the same constant: its parse is kept per thread.
  struct ParsedNamespace {
    std::string text;
    uint8_t bytes[16];
  };
  thread_local ParsedNamespace last;
  uint8_t ns[16];
  if (!last.text.empty() && ns_text == last.text) {
    std::memcpy(ns, last.bytes, 16);
  } else {
    if (!ParseUuidOrNamespace(ns_text, ns)) {
      return Fail(env, "uuid5", "the namespace is not a UUID nor one of dns, url, oid, x500");
    }
    last.text.assign(ns_text.data(), ns_text.size());
    std::memcpy(last.bytes, ns, 16);
  }
  char* p = AllocChars(env, 36);
  // Maps derive the same id many times per message (the shipped ADT^A01 map: about 110 calls for 28
  // distinct ids, some over the JSON of a whole resource), so the last ids are kept per thread in a
  // direct-mapped table checked by namespace and full name: a hit is a compare instead of SHA-1 blocks.
  // The slot is picked from the length and three 8-byte samples of the name (cheap; a clash only misses).
  struct MemoEntry {
    uint8_t ns[16];
    std::string name;
    char id[36];
    bool used = false;
  };
  constexpr size_t kMemoSlots = 64, kMemoMaxName = 4096;
  thread_local MemoEntry memo[kMemoSlots];
  MemoEntry* slot = nullptr;
  if (name.size() <= kMemoMaxName) {
    uint64_t h = name.size() * 0x9E3779B97F4A7C15ULL;
    if (name.size() >= 8) {
      for (size_t at : {size_t{0}, (name.size() - 8) / 2, name.size() - 8}) {
        uint64_t w;
        std::memcpy(&w, name.data() + at, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
      }
    } else {
      for (char c : name) h = (h ^ static_cast<unsigned char>(c)) * 0xff51afd7ed558ccdULL;
    }
    slot = &memo[(h >> 32) % kMemoSlots];
    if (slot->used && slot->name == name && std::memcmp(slot->ns, ns, 16) == 0) {
      std::memcpy(p, slot->id, 36);
      *out = Value::String(std::string_view(p, 36));
      return true;
    }
  }
  Uuid5(ns, name, p);
  if (slot != nullptr) {
    std::memcpy(slot->ns, ns, 16);
    slot->name.assign(name.data(), name.size());
    std::memcpy(slot->id, p, 36);
    slot->used = true;
  }
  *out = Value::String(std::string_view(p, 36));
  return true;
}

bool Builtin_kSha256(BuiltinEnv& env, const Value* args, int, Value* out) {
  std::string_view s;
  bool done;
  if (!MainString(env, "sha256", args, &s, out, &done)) return false;
  if (done) return true;
  if (!Charge(env, "sha256", TextUnits(s.size()))) return false;
  Sha256 h;
  h.Update(s.data(), s.size());
  uint8_t d[32];
  h.Final(d);
  char* p = AllocChars(env, 64);
  HexLower(d, 32, p);
  *out = Value::String(std::string_view(p, 64));
  return true;
}

bool Builtin_kContentHash(BuiltinEnv& env, const Value* args, int, Value* out) {
  uint8_t digest[16];
  bool written = false;
  if (!ContentHash(env, args[0], digest, &written)) return false;
  if (!written) {
    *out = Value();
    return true;
  }
  char* p = AllocChars(env, 32);
  HexLower(digest, 16, p);
  *out = Value::String(std::string_view(p, 32));
  return true;
}

bool Builtin_kBase64(BuiltinEnv& env, const Value* args, int, Value* out) {
  std::string_view s;
  bool done;
  if (!MainString(env, "base64", args, &s, out, &done)) return false;
  if (done) return true;
  if (!Charge(env, "base64", TextUnits(s.size()))) return false;
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t n = (s.size() + 2) / 3 * 4;
  char* p = AllocChars(env, n);
  size_t o = 0;
  const auto* b = reinterpret_cast<const unsigned char*>(s.data());
  size_t i = 0;
  for (; i + 3 <= s.size(); i += 3) {
    uint32_t v = uint32_t{b[i]} << 16 | uint32_t{b[i + 1]} << 8 | b[i + 2];
    p[o++] = kAlphabet[v >> 18];
    p[o++] = kAlphabet[(v >> 12) & 63];
    p[o++] = kAlphabet[(v >> 6) & 63];
    p[o++] = kAlphabet[v & 63];
  }
  if (i < s.size()) {
    uint32_t v = uint32_t{b[i]} << 16 | (i + 1 < s.size() ? uint32_t{b[i + 1]} << 8 : 0);
    p[o++] = kAlphabet[v >> 18];
    p[o++] = kAlphabet[(v >> 12) & 63];
    p[o++] = i + 1 < s.size() ? kAlphabet[(v >> 6) & 63] : '=';
    p[o++] = '=';
  }
  *out = Value::String(std::string_view(p, n));
  return true;
}

bool Builtin_kFhirCode(BuiltinEnv& env, const Value* args, int, Value* out) {
  std::string_view s;
  bool done;
  if (!MainString(env, "fhir_code", args, &s, out, &done)) return false;
  if (done) return true;
  s = TrimView(s);
  for (size_t i = 1; i < s.size(); ++i) {  // [^\s]+( [^\s]+)*: single spaces between parts, no other white space
    if (IsSpace(s[i]) && (s[i] != ' ' || IsSpace(s[i - 1]))) return true;  // absent
  }
  *out = StrOrAbsent(s);
  return true;
}

// A reference's segment index is its position among the message's segments (0 = MSH), whatever group the
// structure gives it; an absent segment (V2SEG of an id the scope lacks) is no reference.
bool Builtin_kSegmentIndex(BuiltinEnv&, const Value* args, int, Value* out) {
  const Value& v = args[0];
  *out = v.kind == ValueKind::kV2 && v.v2.segment >= 0 ? Value::Int(int64_t{v.v2.segment} + 1) : Value();
  return true;
}

bool Builtin_kUrlEncode(BuiltinEnv& env, const Value* args, int, Value* out) {
  std::string_view s;
  bool done;
  if (!MainString(env, "url_encode", args, &s, out, &done)) return false;
  if (done) return true;
  auto unreserved = [](unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
  };
  size_t n = 0;
  for (unsigned char c : s) n += unreserved(c) ? 1 : 3;
  if (n == s.size()) {  // nothing to encode: the argument itself
    *out = Value::String(s);
    return true;
  }
  if (!Charge(env, "url_encode", TextUnits(n))) return false;
  static constexpr char kHex[] = "0123456789ABCDEF";
  char* p = AllocChars(env, n);
  size_t o = 0;
  for (unsigned char c : s) {
    if (unreserved(c)) {
      p[o++] = static_cast<char>(c);
    } else {
      p[o++] = '%';
      p[o++] = kHex[c >> 4];
      p[o++] = kHex[c & 15];
    }
  }
  *out = Value::String(std::string_view(p, n));
  return true;
}

// ---- the run's context ----

bool Builtin_kNow(BuiltinEnv& env, const Value*, int, Value* out) {
  *out = StrOrAbsent(env.now);
  return true;
}

bool Builtin_kVar(BuiltinEnv& env, const Value* args, int, Value* out) {
  std::string_view name;
  bool done;
  if (!MainString(env, "var", args, &name, out, &done)) return false;
  if (done) return true;
  *out = env.var ? StrOrAbsent(env.var(env.var_ctx, name)) : Value();
  return true;
}

}  // namespace builtins
}  // namespace crosswalk::vm
