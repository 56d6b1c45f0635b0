#include "json/json_reader.h"

#include <cstdint>
#include <cstring>
#include <string>

#include "value/arena.h"

namespace crosswalk::vm {

namespace {

// Byte classes inside a JSON string: 0 plain ASCII, 1 quote, 2 backslash, 3 control, 4 non-ASCII.
struct StringTable {
  uint8_t cls[256];
  constexpr StringTable() : cls() {
    for (int c = 0; c < 0x20; ++c) cls[c] = 3;
    cls[static_cast<int>('"')] = 1;
    cls[static_cast<int>('\\')] = 2;
    for (int c = 0x80; c < 0x100; ++c) cls[c] = 4;
  }
};
constexpr StringTable kStr;

constexpr uint64_t kI64Limit = static_cast<uint64_t>(INT64_MAX) + 1;  // |INT64_MIN|

// Validates one UTF-8 sequence starting at p (p[0] >= 0x80); returns its length or 0 when invalid.
size_t Utf8SequenceLength(const unsigned char* p, const unsigned char* end) {
  unsigned char c = p[0];
  auto cont = [&](size_t i) { return p + i < end && (p[i] & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && p[1] < 0xA0) return 0;   // overlong
    if (c == 0xED && p[1] >= 0xA0) return 0;  // UTF-16 surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && p[1] < 0x90) return 0;   // overlong
    if (c == 0xF4 && p[1] >= 0x90) return 0;  // > U+10FFFF
    return 4;
  }
  return 0;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

struct JsonReader::Parser {
  JsonReader& r;
  Arena& arena;
  const char* begin;
  const char* p;
  const char* end;
  const char* error = nullptr;  // static message
  const char* error_at = nullptr;
  bool limit = false;

  bool Fail(const char* what, const char* at) {
    if (!error) {
      error = what;
      error_at = at;
    }
    return false;
  }

  void SkipWs() {
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) ++p;
  }

  bool ParseValue(Value* out, int depth) {
    SkipWs();
    if (p >= end) return Fail("unexpected end of input, expected a value", p);
    switch (*p) {
      case '{': return ParseObject(out, depth + 1);
      case '[': return ParseArray(out, depth + 1);
      case '"': {
        std::string_view s;
        if (!ParseString(&s)) return false;
        *out = Value::String(s);
        return true;
      }
      case 't': return Literal("true", 4, Value::Bool(true), out);
      case 'f': return Literal("false", 5, Value::Bool(false), out);
      case 'n': return Literal("null", 4, Value::Null(), out);
      default:
        if (*p == '-' || (*p >= '0' && *p <= '9')) return ParseNumber(out);
        return Fail("expected a value", p);
    }
  }

  bool Literal(const char* word, size_t n, Value v, Value* out) {
    if (static_cast<size_t>(end - p) < n || std::memcmp(p, word, n) != 0) return Fail("invalid literal", p);
    p += n;
    *out = v;
    return true;
  }

  bool EnterDepth(int depth) {
    if (depth > r.options_.max_depth) {
      limit = true;
      return Fail("JSON nested deeper than max_depth", p);
    }
    return true;
  }

  bool ParseArray(Value* out, int depth) {
    if (!EnterDepth(depth)) return false;
    ++p;  // '['
    size_t base = r.values_.size();
    SkipWs();
    if (p < end && *p == ']') {
      ++p;
      *out = Value::MakeArray(NewArray(arena, 0));
      return true;
    }
    for (;;) {
      Value v;
      if (!ParseValue(&v, depth)) return false;
      r.values_.push_back(v);
      SkipWs();
      if (p >= end) return Fail("unexpected end of input in an array", p);
      if (*p == ',') {
        ++p;
        continue;
      }
      if (*p == ']') {
        ++p;
        break;
      }
      return Fail("expected ',' or ']' in an array", p);
    }
    uint32_t n = static_cast<uint32_t>(r.values_.size() - base);
    Array* a = arena.AllocateArray<Array>(1);
    a->size = a->capacity = n;
    a->items = arena.AllocateArray<Value>(n);
    std::memcpy(static_cast<void*>(a->items), r.values_.data() + base, sizeof(Value) * n);
    r.values_.resize(base);
    *out = Value::MakeArray(a);
    return true;
  }

  bool ParseObject(Value* out, int depth) {
    if (!EnterDepth(depth)) return false;
    ++p;  // '{'
    size_t base = r.members_.size();
    SkipWs();
    if (p < end && *p == '}') {
      ++p;
      *out = Value::MakeObject(NewObject(arena, 0));
      return true;
    }
    for (;;) {
      SkipWs();
      if (p >= end) return Fail("unexpected end of input in an object", p);
      if (*p != '"') return Fail("expected a string key in an object", p);
      const char* key_at = p;
      Member m;
      if (!ParseString(&m.key)) return false;
      // Small objects are checked here, key by key; a large one once, through its hash index, at the end
      // (checking every key against all earlier ones made an 80,000-key object take 18 s).
      if (r.members_.size() - base < kObjectIndexMin) {
        for (size_t i = base, n = r.members_.size(); i < n; ++i) {
          const std::string_view& k = r.members_[i].key;
          if (k.size() == m.key.size() && std::memcmp(k.data(), m.key.data(), k.size()) == 0) {
            return Fail("duplicate key in an object", key_at);
          }
        }
      }
      SkipWs();
      if (p >= end || *p != ':') return Fail("expected ':' after an object key", p);
      ++p;
      if (!ParseValue(&m.value, depth)) return false;
      r.members_.push_back(m);
      r.key_at_.push_back(key_at);
      SkipWs();
      if (p >= end) return Fail("unexpected end of input in an object", p);
      if (*p == ',') {
        ++p;
        continue;
      }
      if (*p == '}') {
        ++p;
        break;
      }
      return Fail("expected ',' or '}' in an object", p);
    }
    uint32_t n = static_cast<uint32_t>(r.members_.size() - base);
    Object* o;
    if (n > kObjectIndexMin) {
      uint32_t dup = 0;
      o = NewObjectFrom(arena, r.members_.data() + base, n, &dup);
      if (o == nullptr) return Fail("duplicate key in an object", r.key_at_[base + dup]);
    } else {
      o = NewObjectOfDistinct(arena, r.members_.data() + base, n);  // duplicates were refused while reading
    }
    r.members_.resize(base);
    r.key_at_.resize(base);
    *out = Value::MakeObject(o);
    return true;
  }

  // p at the opening quote.
  bool ParseString(std::string_view* out) {
    const char* start = ++p;
    const unsigned char* q = reinterpret_cast<const unsigned char*>(p);
    const unsigned char* e = reinterpret_cast<const unsigned char*>(end);
    for (;;) {
      // Fast path: plain ASCII, 8 bytes at a time when none of them is special.
      while (e - q >= 8) {
        uint64_t w;
        std::memcpy(&w, q, 8);
        // Any byte >= 0x80, < 0x20, '"' or '\\'?
        uint64_t high = w & 0x8080808080808080ULL;
        uint64_t lt20 = (w - 0x2020202020202020ULL) & ~w & 0x8080808080808080ULL;
        uint64_t xq = w ^ 0x2222222222222222ULL;
        uint64_t quote = (xq - 0x0101010101010101ULL) & ~xq & 0x8080808080808080ULL;
        uint64_t xb = w ^ 0x5C5C5C5C5C5C5C5CULL;
        uint64_t bslash = (xb - 0x0101010101010101ULL) & ~xb & 0x8080808080808080ULL;
        if (high | lt20 | quote | bslash) break;
        q += 8;
      }
      if (q >= e) {
        p = reinterpret_cast<const char*>(q);
        return Fail("unterminated string", start - 1);
      }
      switch (kStr.cls[*q]) {
        case 0: ++q; continue;
        case 1:
          *out = std::string_view(start, static_cast<size_t>(reinterpret_cast<const char*>(q) - start));
          p = reinterpret_cast<const char*>(q) + 1;
          return true;
        case 2:
          p = reinterpret_cast<const char*>(q);
          return ParseEscapedString(start, out);
        case 3: return Fail("control character in a string", reinterpret_cast<const char*>(q));
        default: {
          size_t n = Utf8SequenceLength(q, e);
          if (n == 0) return Fail("invalid UTF-8 in a string", reinterpret_cast<const char*>(q));
          q += n;
        }
      }
    }
  }

  // The string started at `start`; p is at the first backslash. Decodes into scratch, then the arena.
  bool ParseEscapedString(const char* start, std::string_view* out) {
    std::string& s = r.scratch_;
    s.assign(start, static_cast<size_t>(p - start));
    for (;;) {
      if (p >= end) return Fail("unterminated string", start - 1);
      unsigned char c = static_cast<unsigned char>(*p);
      switch (kStr.cls[c]) {
        case 0: s.push_back(static_cast<char>(c)); ++p; break;
        case 1:
          ++p;
          *out = arena.Copy(s);
          return true;
        case 2:
          if (!ParseEscape(&s)) return false;
          break;
        case 3: return Fail("control character in a string", p);
        default: {
          size_t n = Utf8SequenceLength(reinterpret_cast<const unsigned char*>(p),
                                        reinterpret_cast<const unsigned char*>(end));
          if (n == 0) return Fail("invalid UTF-8 in a string", p);
          s.append(p, n);
          p += n;
        }
      }
    }
  }

  bool Hex4(const char* at, uint32_t* cp) {
    if (end - at < 4) return Fail("truncated \\u escape", at);
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      int h = HexValue(at[i]);
      if (h < 0) return Fail("invalid \\u escape", at);
      v = v << 4 | static_cast<uint32_t>(h);
    }
    *cp = v;
    return true;
  }

  // p at a backslash.
  bool ParseEscape(std::string* s) {
    const char* at = p;
    if (end - p < 2) return Fail("unterminated string", at);
    char c = p[1];
    p += 2;
    switch (c) {
      case '"': s->push_back('"'); return true;
      case '\\': s->push_back('\\'); return true;
      case '/': s->push_back('/'); return true;
      case 'b': s->push_back('\b'); return true;
      case 'f': s->push_back('\f'); return true;
      case 'n': s->push_back('\n'); return true;
      case 'r': s->push_back('\r'); return true;
      case 't': s->push_back('\t'); return true;
      case 'u': {
        uint32_t cp;
        if (!Hex4(p, &cp)) return false;
        p += 4;
        if (cp >= 0xDC00 && cp <= 0xDFFF) return Fail("lone low surrogate in a \\u escape", at);
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          uint32_t lo;
          if (end - p < 6 || p[0] != '\\' || p[1] != 'u') return Fail("lone high surrogate in a \\u escape", at);
          if (!Hex4(p + 2, &lo)) return false;
          if (lo < 0xDC00 || lo > 0xDFFF) return Fail("lone high surrogate in a \\u escape", at);
          p += 6;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        AppendUtf8(cp, s);
        return true;
      }
      default: return Fail("invalid escape in a string", at);
    }
  }

  // A valid JSON number that does not fit kInt/kDecimal exactly: kept as its text (kFlagNumberText).
  bool NumberText(const char* start, Value* out) {
    *out = Value::String(std::string_view(start, static_cast<size_t>(p - start)));
    out->flags = kFlagNumberText;
    return true;
  }

  bool ParseNumber(Value* out) {
    const char* start = p;
    bool neg = false;
    if (*p == '-') {
      neg = true;
      ++p;
    }
    uint64_t m = 0;
    bool overflow = false;
    auto digit = [&](char ch) {
      uint64_t d = static_cast<uint64_t>(ch - '0');
      if (m > (kI64Limit - d) / 10) {
        overflow = true;
      } else {
        m = m * 10 + d;
      }
    };
    if (p >= end || *p < '0' || *p > '9') return Fail("invalid number", start);
    if (*p == '0') {
      ++p;
      if (p < end && *p >= '0' && *p <= '9') return Fail("invalid number (leading zero)", start);
    } else {
      while (p < end && *p >= '0' && *p <= '9') digit(*p++);
    }
    int scale = 0;
    bool is_int = true;
    if (p < end && *p == '.') {
      ++p;
      is_int = false;
      if (p >= end || *p < '0' || *p > '9') return Fail("invalid number (digit expected after '.')", start);
      while (p < end && *p >= '0' && *p <= '9') {
        digit(*p++);
        ++scale;
      }
    }
    int64_t exp = 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
      ++p;
      is_int = false;
      bool eneg = false;
      if (p < end && (*p == '+' || *p == '-')) eneg = *p++ == '-';
      if (p >= end || *p < '0' || *p > '9') return Fail("invalid number (digit expected in exponent)", start);
      while (p < end && *p >= '0' && *p <= '9') {
        if (exp < 100000) exp = exp * 10 + (*p - '0');
        ++p;
      }
      if (eneg) exp = -exp;
    }
    if (overflow || (!neg && m > static_cast<uint64_t>(INT64_MAX))) return NumberText(start, out);
    int64_t mant = neg ? static_cast<int64_t>(0 - m) : static_cast<int64_t>(m);
    if (is_int) {
      if (neg && m == 0) {
        *out = Value::Decimal(0, 0);
        out->flags = kFlagNegativeZero;
      } else {
        *out = Value::Int(mant);
      }
      return true;
    }
    int64_t new_scale = scale - exp;
    if (new_scale > kMaxDecimalScale) return NumberText(start, out);
    if (mant == 0 && new_scale < 0) new_scale = 0;
    if (new_scale < 0) {
      for (int64_t i = 0; i < -new_scale; ++i) {
        if (__builtin_mul_overflow(mant, int64_t{10}, &mant)) return NumberText(start, out);
      }
      new_scale = 0;
    }
    *out = Value::Decimal(mant, static_cast<uint16_t>(new_scale));
    if (neg && m == 0) out->flags = kFlagNegativeZero;
    return true;
  }
};

Status JsonReader::Read(std::string_view text, Arena& arena, Value* out) {
  *out = Value();
  if (text.size() > options_.max_input_bytes) {
    return Status(StatusCode::kLimitExceeded, "JSON input larger than max_input_bytes");
  }
  values_.clear();
  members_.clear();
  key_at_.clear();
  Parser ps{*this, arena, text.data(), text.data(), text.data() + text.size()};
  if (text.size() >= 3 && std::memcmp(text.data(), "\xEF\xBB\xBF", 3) == 0) ps.p += 3;
  Value v;
  if (ps.ParseValue(&v, 0)) {
    ps.SkipWs();
    if (ps.p == ps.end) {
      *out = v;
      return Status::Ok();
    }
    ps.Fail("unexpected text after the JSON value", ps.p);
  }
  // Line and column of the error, counted only now.
  size_t offset = static_cast<size_t>(ps.error_at - text.data());
  uint32_t line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  size_t col = offset - line_start + 1;
  ErrorContext ctx;
  ctx.input_position = "line " + std::to_string(line) + ", column " + std::to_string(col);
  ctx.byte_offset = offset;
  std::string msg = std::string("JSON: ") + ps.error + " (byte " + std::to_string(offset) + ")";
  return Status(ps.limit ? StatusCode::kLimitExceeded : StatusCode::kParseError, std::move(msg), std::move(ctx));
}

Status ReadJson(std::string_view text, Arena& arena, Value* out, const JsonReadOptions& options) {
  JsonReader reader(options);
  return reader.Read(text, arena, out);
}

}  // namespace crosswalk::vm
