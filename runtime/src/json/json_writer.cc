#include "json/json_writer.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/cpu_clock.h"
#include "value/arena.h"

namespace crosswalk::vm {

namespace {

// Deeper than any FHIR resource; also stops a value graph that contains itself.
constexpr int kMaxWriteDepth = 1000;

// 0: copy as is; 1: needs an escape, or (>= 0x80) a UTF-8 check.
struct EscapeTable {
  uint8_t needs[256];
  constexpr EscapeTable() : needs() {
    for (int c = 0; c < 0x20; ++c) needs[c] = 1;
    for (int c = 0x80; c < 0x100; ++c) needs[c] = 1;
    needs[static_cast<int>('"')] = 1;
    needs[static_cast<int>('\\')] = 1;
  }
};

// Length of the well-formed UTF-8 sequence at p (p[0] >= 0x80), or 0. Strings reach the writer from
// many places (HL7 v2 text, byte-based substring(), hashes...), so the writer is the last guard: output
// is always UTF-8, a bad byte is written as U+FFFD.
inline size_t Utf8Length(const unsigned char* p, const unsigned char* end) {
  const unsigned c = p[0];
  size_t len;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2, cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4, cp = c & 0x07;
  } else {
    return 0;
  }
  if (static_cast<size_t>(end - p) < len) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((p[k] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[k] & 0x3F);
  }
  if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
    return 0;
  }
  return len;
}
constexpr EscapeTable kEscape;

// Whether any of the 8 bytes at p needs an escape (< 0x20, '"' or '\\'), with word arithmetic: exact as a
// yes/no answer (the classic "has less than" / "has zero byte" tests).
inline bool NeedsEscape8(const char* p) {
  constexpr uint64_t k01 = 0x0101010101010101ULL, k80 = 0x8080808080808080ULL;
  uint64_t w;
  std::memcpy(&w, p, 8);
  const uint64_t q = w ^ (k01 * '"'), b = w ^ (k01 * '\\');
  return (((w - k01 * 0x20) & ~w) | ((q - k01) & ~q) | ((b - k01) & ~b) | w) & k80;
}

#if defined(__SSE2__)
// One bit per byte of the 16 in v that needs a look: < 0x20 (unsigned), '"', '\\' or >= 0x80.
inline unsigned Needs16(__m128i v) {
  const __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v);
  const __m128i q = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
  return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(ctl, q), v)));
}
inline unsigned Needs16(const char* p) { return Needs16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }

// A string shorter than 16 bytes is checked with one 16-byte load that may read past its end (never past
// its page). Address sanitizers see that as an overflow, so their builds take the byte loop.
#if defined(__SANITIZE_ADDRESS__)
#elif defined(__has_feature)
#if !__has_feature(address_sanitizer) && !__has_feature(memory_sanitizer)
#define CW_JSON_SHORT_STRINGS 1
#endif
#else
#define CW_JSON_SHORT_STRINGS 1
#endif
#endif

// Copies n bytes to dst, which has room for n + kShortCopy bytes (the callers reserve it): a copy of 1 to 32
// bytes whose first byte is not near the end of its page is two 16-byte loads and stores within that page
// (what lands past n is overwritten by the next write or never counted).
constexpr size_t kShortCopy = 32;
[[gnu::always_inline]] inline void CopyShort(char* dst, const char* src, size_t n) {
#if defined(CW_JSON_SHORT_STRINGS)
  if (n - 1 < kShortCopy && (reinterpret_cast<uintptr_t>(src) & 4095) <= 4096 - kShortCopy) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), _mm_loadu_si128(reinterpret_cast<const __m128i*>(src)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + 16), _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 16)));
    return;
  }
#endif
  std::memcpy(dst, src, n);
}

// Raw storage for the document being written: grown by doubling, never zero-filled, kept by the thread
// between documents (so the steady state allocates nothing). A std::string grown with resize() zero-fills
// what it adds, and a caller that clears its string between messages made every document pay for that
// again (about 8 resizes and 2x the document in memset per shipped-router message).
struct RawBuffer {
  std::unique_ptr<char[]> data;
  size_t capacity = 0;
  bool in_use = false;
};
thread_local RawBuffer t_raw;
// A thread keeps at most this much between documents; a larger one is freed after its document.
constexpr size_t kKeepBytes = size_t{4} << 20;

// The output sink: writes through a pointer into a RawBuffer, grown ahead of each write (Reserve), so the
// hot path has no per-byte capacity check; Finish() appends the document to the caller's string in one
// copy. Positions (size(), Truncate()) count from the start of the caller's string.
class Sink {
 public:
  explicit Sink(std::string* out) : out_(*out), base_(out->size()) {
    raw_ = t_raw.in_use ? &own_ : &t_raw;  // own_: a writer started while another runs on this thread
    raw_->in_use = true;
    buf_ = raw_->data.get();
    cap_ = raw_->capacity;
  }
  ~Sink() {
    raw_->in_use = false;
    if (raw_->capacity > kKeepBytes) *raw_ = RawBuffer();
  }
  Sink(const Sink&) = delete;
  Sink& operator=(const Sink&) = delete;

  size_t size() const { return base_ + len_; }
  void Truncate(size_t n) { len_ = n - base_; }
  [[gnu::always_inline]] void Reserve(size_t n) {
    if (cap_ - len_ < n) Grow(n);
  }
  [[gnu::always_inline]] void Put(char c) {
    Reserve(1);
    buf_[len_++] = c;
  }
  [[gnu::always_inline]] void Put(const char* p, size_t n) {
    Reserve(n);
    std::memcpy(buf_ + len_, p, n);
    len_ += n;
  }
  // Put for text of any length from anywhere (quoted strings of the program, number text).
  [[gnu::always_inline]] void PutText(const char* p, size_t n) {
    Reserve(n + kShortCopy);
    CopyShort(buf_ + len_, p, n);
    len_ += n;
  }
  // `,` (when comma) then `"key":` where quoted_key is the key with its quotes already around it.
  [[gnu::always_inline]] void PutQuotedKey(bool comma, const char* quoted_key, size_t n) {
    Reserve(n + 2 + kShortCopy);
    char* o = buf_ + len_;
    *o = ',';
    o += comma;
    CopyShort(o, quoted_key, n);
    o[n] = ':';
    len_ = static_cast<size_t>(o + n + 1 - buf_);
  }
  // Appends what was written to the caller's string.
  void Finish() { out_.append(buf_, len_); }

  // Appends s as a JSON string literal (quotes included); bytes that are not UTF-8 become U+FFFD.
  void String(std::string_view s) {
#if defined(CW_JSON_SHORT_STRINGS)
    // Most strings are short and clean: one 16-byte load (within the page that holds the string's first
    // byte, so it cannot fault; an empty string may point anywhere), one test, one 16-byte store of which
    // the string's bytes are kept.
    if (s.size() - 1 < 15 && (reinterpret_cast<uintptr_t>(s.data()) & 4095) <= 4096 - 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data()));
      if ((Needs16(v) & ((1u << s.size()) - 1)) == 0) {
        Reserve(16 + 2);
        char* o = buf_ + len_;
        *o = '"';
        _mm_storeu_si128(reinterpret_cast<__m128i*>(o + 1), v);
        o[1 + s.size()] = '"';
        len_ += s.size() + 2;
        return;
      }
    }
#endif
    static constexpr char kHex[] = "0123456789abcdef";
    Reserve(s.size() * 6 + 2);  // the worst case: every byte \u00XX
    char* o = buf_ + len_;
    *o++ = '"';
    const char* p = s.data();
    const char* end = p + s.size();
    const char* run = p;
    while (p < end) {
#if defined(__SSE2__)
      // 16 bytes at a time: a byte needs a look when it is < 0x20 (unsigned), '"', '\\' or >= 0x80. The last
      // block of a string of 16 bytes or more is the string's last 16 bytes, overlapping what was looked at;
      // the bits of the bytes before p are dropped.
      if (s.size() >= 16) {
        const char* block = end - p >= 16 ? p : end - 16;
        const unsigned bits = Needs16(block) >> (p - block);
        if (bits == 0) {
          p = block + 16;
          continue;
        }
        p += __builtin_ctz(bits);
      } else
#endif
      if (end - p >= 8) {
        if (!NeedsEscape8(p)) {
          p += 8;
          continue;
        }
        if (!kEscape.needs[static_cast<unsigned char>(*p)]) {
          ++p;
          continue;
        }
      } else if (s.size() >= 8 && !NeedsEscape8(end - 8)) {
        // The tail of a string of 8 bytes or more, checked with the (overlapping) last 8 bytes: clean.
        p = end;
        continue;
      } else if (!kEscape.needs[static_cast<unsigned char>(*p)]) {
        ++p;
        continue;
      }
      unsigned char c = static_cast<unsigned char>(*p);
      if (c >= 0x80) {
        size_t len = Utf8Length(reinterpret_cast<const unsigned char*>(p), reinterpret_cast<const unsigned char*>(end));
        if (len != 0) {
          p += len;
          continue;
        }
        std::memcpy(o, run, static_cast<size_t>(p - run));
        o += p - run;
        *o++ = '\xEF';
        *o++ = '\xBF';
        *o++ = '\xBD';
        ++p;
        run = p;
        continue;
      }
      std::memcpy(o, run, static_cast<size_t>(p - run));
      o += p - run;
      *o++ = '\\';
      switch (c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        default:
          *o++ = 'u';
          *o++ = '0';
          *o++ = '0';
          *o++ = kHex[c >> 4];
          *o++ = kHex[c & 0xF];
      }
      ++p;
      run = p;
    }
    std::memcpy(o, run, static_cast<size_t>(end - run));
    o += end - run;
    *o++ = '"';
    len_ = static_cast<size_t>(o - buf_);
  }

 private:
  [[gnu::noinline]] void Grow(size_t n) {
    const size_t cap = std::max({cap_ * 2, len_ + n + 64, size_t{4096}});
    std::unique_ptr<char[]> data(new char[cap]);
    if (len_ != 0) std::memcpy(data.get(), buf_, len_);
    raw_->data = std::move(data);
    raw_->capacity = cap;
    buf_ = raw_->data.get();
    cap_ = cap;
  }

  std::string& out_;
  const size_t base_;  // out_'s size at entry
  RawBuffer* raw_;
  RawBuffer own_;
  char* buf_;
  size_t cap_;
  size_t len_ = 0;
};

class Writer {
 public:
  Writer(const ValueEnv& env, Sink* out, const JsonWriteOptions& options, size_t base)
      : env_(env), out_(*out), options_(options), base_(base) {}

  // Appends v; returns true when something was written. On failure status_ is set and false returned.
  bool Write(const Value& v, int level) {
    // Containers first: the loops below call Write for nothing else.
    if (v.kind == ValueKind::kObject) return WriteObject(v.obj, level);
    if (v.kind == ValueKind::kArray) return WriteArray(v.arr, level);
    const Value* value = &v;
    Value read;
    switch (Classify(value, &read, options_.fhir_absent_rules)) {
      case Leaf::kSkip: return false;
      case Leaf::kScalar: WriteScalar(*value, quoted_begin_, quoted_end_); return true;
      case Leaf::kContainer: break;  // what is left: a group (a reference reads text, never a container)
    }
    status_ = InvalidArgument("cannot write an HL7 v2 group as JSON");
    return false;
  }

  const Status& status() const { return status_; }
  bool failed() const { return !status_.ok(); }

 private:
  // A string of options_.quoted (see there) is copied with its quotes; any other is escaped.
  void PutString(std::string_view s) { PutString(s, quoted_begin_, quoted_end_); }
  [[gnu::always_inline]] void PutString(std::string_view s, const char* quoted_begin, const char* quoted_end) {
    if (IsQuoted(s.data(), s.size(), quoted_begin, quoted_end)) {
      out_.PutText(s.data() - 1, s.size() + 2);
    } else {
      out_.String(s);
    }
  }
  // Whether the n bytes at d are one text of options_.quoted, between its quotes.
  // The bounds are passed in: the loops keep them in registers (a byte written through char* could alias
  // the writer's members, so the compiler reloads those after every write).
  static bool IsQuoted(const char* d, size_t n, const char* begin, const char* end) {
    return d > begin && d + n < end && d[-1] == '"' && d[n] == '"';
  }

  void Newline(int level) {
    out_.Put('\n');
    for (int i = 0; i < level; ++i) out_.Put("  ", 2);
  }

  // Entering a container of n items or members at `level`.
  bool Enter(int level, uint32_t n) {
    if (level >= kMaxWriteDepth) {
      status_ = LimitExceeded("value nested too deeply to write as JSON");
      return false;
    }
    work_ += 1 + uint64_t{n};
    if (work_ >= next_check_) return CheckWork();
    return true;
  }

  bool CheckWork() {
    if (work_ >= options_.max_work) {
      status_ = LimitExceeded("instruction limit exceeded writing the output (RunLimits::max_instructions)");
      return false;
    }
    while (next_check_ <= work_) next_check_ += kClockUnits;
    if (next_check_ > options_.max_work) next_check_ = options_.max_work;
    if (options_.cpu_deadline_ns != 0 && ThreadCpuNanos() > options_.cpu_deadline_ns) {
      status_ = LimitExceeded("CPU time limit exceeded writing the output (RunLimits::max_cpu_time_ms)");
      return false;
    }
    return true;
  }

  bool CheckSize() {
    if (out_.size() - base_ > options_.max_output_bytes) {
      status_ = LimitExceeded("output too large (max_output_bytes)");
      return false;
    }
    return true;
  }

  // A container's items and members: a scalar is decided before anything of it is written (an absent value,
  // a null or an empty string under options_.fhir_absent_rules writes nothing, key included), so only arrays
  // and objects, which may turn out empty, are written speculatively and rolled back. An HL7 v2 reference
  // is read first and then treated as what it reads.
  enum class Leaf { kSkip, kScalar, kContainer };
  [[gnu::always_inline]] Leaf Classify(const Value*& v, Value* read, bool fhir) {
    if (v->kind == ValueKind::kV2) {
      *read = Deref(env_, *v);
      if (read->kind == ValueKind::kV2) return Leaf::kSkip;
      v = read;
    }
    switch (v->kind) {
      case ValueKind::kAbsent: return Leaf::kSkip;
      case ValueKind::kNull: return fhir ? Leaf::kSkip : Leaf::kScalar;
      case ValueKind::kString: return v->len == 0 && fhir ? Leaf::kSkip : Leaf::kScalar;
      case ValueKind::kBool:
      case ValueKind::kInt:
      case ValueKind::kDecimal: return Leaf::kScalar;
      default: return Leaf::kContainer;
    }
  }
  // Writes a scalar that Classify accepted.
  [[gnu::always_inline]] void WriteScalar(const Value& v, const char* quoted_begin, const char* quoted_end) {
    switch (v.kind) {
      case ValueKind::kString:
        if (v.flags & kFlagNumberText) {
          out_.PutText(v.str, v.len);
        } else {
          PutString(v.string(), quoted_begin, quoted_end);
        }
        return;
      case ValueKind::kNull: out_.Put("null", 4); return;
      case ValueKind::kBool:
        if (v.b) {
          out_.Put("true", 4);
        } else {
          out_.Put("false", 5);
        }
        return;
      default: {
        char buf[kMaxNumberChars];
        out_.Put(buf, FormatNumber(v, buf));
      }
    }
  }

  bool WriteArray(const Array* a, int level) {
    uint32_t n = a ? a->size : 0;
    if (!Enter(level, n)) return false;
    size_t start = out_.size();
    out_.Put('[');
    bool any = false;
    const bool pretty = options_.pretty, fhir = options_.fhir_absent_rules;
    for (uint32_t i = 0; i < n; ++i) {
      const Value* item = &a->items[i];
      Value read;
      const Leaf leaf = Classify(item, &read, fhir);
      if (leaf == Leaf::kSkip) continue;
      size_t mark = out_.size();
      if (any) out_.Put(',');
      if (pretty) Newline(level + 1);
      if (leaf == Leaf::kScalar) {
        WriteScalar(*item, quoted_begin_, quoted_end_);
      } else if (!Write(*item, level + 1)) {
        if (failed()) return false;
        out_.Truncate(mark);
        continue;
      }
      any = true;
    }
    if (!any && fhir) {
      out_.Truncate(start);
      return false;
    }
    if (any && options_.pretty) Newline(level);
    out_.Put(']');
    return CheckSize();
  }

  bool WriteObject(const Object* o, int level) {
    uint32_t n = o ? o->size : 0;
    if (!Enter(level, n)) return false;
    size_t start = out_.size();
    out_.Put('{');
    bool any = false;
    const bool pretty = options_.pretty, fhir = options_.fhir_absent_rules;
    const char* const quoted_begin = quoted_begin_;
    const char* const quoted_end = quoted_end_;
    for (uint32_t i = 0; i < n; ++i) {
      const Member& m = o->members[i];
      const Value* value = &m.value;
      Value read;
      const Leaf leaf = Classify(value, &read, fhir);
      if (leaf == Leaf::kSkip) continue;
      size_t mark = out_.size();
      const char* k = m.key.data();
      if (!pretty && IsQuoted(k, m.key.size(), quoted_begin, quoted_end)) {
        out_.PutQuotedKey(any, k - 1, m.key.size() + 2);  // the usual case: a key of the program
      } else {
        if (any) out_.Put(',');
        if (pretty) Newline(level + 1);
        PutString(m.key);
        if (pretty) {
          out_.Put(": ", 2);
        } else {
          out_.Put(':');
        }
      }
      if (leaf == Leaf::kScalar) {
        WriteScalar(*value, quoted_begin, quoted_end);
      } else if (!Write(*value, level + 1)) {
        if (failed()) return false;
        out_.Truncate(mark);
        continue;
      }
      any = true;
    }
    if (!any && fhir) {
      out_.Truncate(start);
      return false;
    }
    if (any && pretty) Newline(level);
    out_.Put('}');
    return CheckSize();
  }

  const ValueEnv& env_;
  Sink& out_;
  const JsonWriteOptions& options_;
  const char* const quoted_begin_ = options_.quoted.data();
  const char* const quoted_end_ = options_.quoted.data() + options_.quoted.size();
  size_t base_;
  Status status_;
  static constexpr uint64_t kClockUnits = 65536;
  uint64_t work_ = 0;
  uint64_t next_check_ = options_.max_work < kClockUnits ? options_.max_work : kClockUnits;
};

}  // namespace

void AppendJsonString(std::string_view s, std::string* out) {
  Sink sink(out);
  sink.String(s);
  sink.Finish();
}

Status WriteJson(const ValueEnv& env, const Value& v, std::string* out, const JsonWriteOptions& options,
                 bool* written) {
  size_t base = out->size();
  Sink sink(out);
  Writer w(env, &sink, options, base);
  bool wrote = w.Write(v, 0);
  if (w.failed()) {  // *out was not touched
    if (written) *written = false;
    return w.status();
  }
  if (sink.size() - base > options.max_output_bytes) {
    if (written) *written = false;
    return LimitExceeded("output too large (max_output_bytes)");
  }
  sink.Finish();
  if (written) *written = wrote;
  return Status::Ok();
}

std::vector<std::string_view> QuoteConstants(const std::vector<std::string_view>& strings, std::string* buffer) {
  auto plain = [](std::string_view s) {  // what Sink::String would copy unchanged
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
      if (*p >= 0x80) {
        size_t len = Utf8Length(p, end);
        if (len == 0) return false;
        p += len;
      } else if (kEscape.needs[*p]) {
        return false;
      } else {
        ++p;
      }
    }
    return true;
  };
  size_t total = 0;
  for (std::string_view s : strings) total += plain(s) ? s.size() + 2 : 0;
  buffer->clear();
  buffer->reserve(total);
  std::vector<std::string_view> out;
  out.reserve(strings.size());
  for (std::string_view s : strings) {
    if (!plain(s)) {
      out.push_back(s);
      continue;
    }
    buffer->push_back('"');
    out.emplace_back(buffer->data() + buffer->size(), s.size());
    buffer->append(s);
    buffer->push_back('"');
  }
  return out;
}

std::string_view ToString(const ValueEnv& env, const Value& v) {
  switch (v.kind) {
    case ValueKind::kAbsent:
    case ValueKind::kNull: return {};
    case ValueKind::kBool: return v.b ? std::string_view("true") : std::string_view("false");
    case ValueKind::kInt:
    case ValueKind::kDecimal: {
      char buf[kMaxNumberChars];
      size_t n = FormatNumber(v, buf);
      return env.arena->Copy(std::string_view(buf, n));
    }
    case ValueKind::kString: return v.string();
    case ValueKind::kV2: {
      Value d = Deref(env, v);
      return d.kind == ValueKind::kString ? d.string() : std::string_view();
    }
    case ValueKind::kArray:
    case ValueKind::kObject: {
      thread_local std::string buf;
      buf.clear();
      if (!WriteJson(env, v, &buf).ok()) return {};
      return env.arena->Copy(buf);
    }
    case ValueKind::kGroup: return {};
  }
  return {};
}

}  // namespace crosswalk::vm
