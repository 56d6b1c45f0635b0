#include "hl7v2/message.h"

#include <algorithm>
#include <cstring>
#include <string>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "hl7v2/framing.h"
#include "hl7v2/text.h"

namespace crosswalk::hl7v2 {
namespace {

// Byte classes used by the indexing loop (one table per Parse, built from the encoding).
enum : uint8_t { kPlain = 0, kFieldSep = 1, kTerminator = 2, kNul = 3, kRepSep = 4 };

// The indexing loop's scan: the first byte at or after k that is not kPlain (field separator, CR, LF,
// NUL or repetition separator), or n. SSE2 checks 16 bytes at a time while they lie inside the text.
struct PlainScanner {
  const uint8_t* cls;
#if defined(__SSE2__)
  __m128i field, cr, lf, nul, rep;
  PlainScanner(const uint8_t* table, char f, char r)
      : cls(table),
        field(_mm_set1_epi8(f)),
        cr(_mm_set1_epi8('\r')),
        lf(_mm_set1_epi8('\n')),
        nul(_mm_setzero_si128()),
        rep(_mm_set1_epi8(r)) {}
#else
  PlainScanner(const uint8_t* table, char, char) : cls(table) {}
#endif
  size_t Skip(const char* p, size_t k, size_t n) const {
#if defined(__SSE2__)
    while (k + 16 <= n) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + k));
      __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, field), _mm_cmpeq_epi8(v, rep)),
                               _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf)),
                                            _mm_cmpeq_epi8(v, nul)));
      unsigned bits = static_cast<unsigned>(_mm_movemask_epi8(m));
      if (bits != 0) return k + static_cast<size_t>(__builtin_ctz(bits));
      k += 16;
    }
#endif
    while (k < n && cls[static_cast<unsigned char>(p[k])] == kPlain) ++k;
    return k;
  }
};

// The first CR, LF or NUL at or after k, or n: the end of a segment (a NUL is an error, reported by
// Message::IndexChecked). SSE2 checks 16 bytes at a time while they lie inside the text.
size_t FindLineEnd(const char* p, size_t k, size_t n) {
#if defined(__SSE2__)
  const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n'), nul = _mm_setzero_si128();
  while (k + 16 <= n) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + k));
    __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf)), _mm_cmpeq_epi8(v, nul));
    unsigned bits = static_cast<unsigned>(_mm_movemask_epi8(m));
    if (bits != 0) return k + static_cast<size_t>(__builtin_ctz(bits));
    k += 16;
  }
#endif
  while (k < n && p[k] != '\r' && p[k] != '\n' && p[k] != '\0') ++k;
  return k;
}

bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsUpper(c) || IsDigit(c) || (c >= 'a' && c <= 'z'); }
// Delimiters must be printable, non-alphanumeric ASCII.
bool IsDelimiterChar(char c) { return c > ' ' && c < 0x7f && !IsAlnum(c); }

// The first `delim` in [p, end), or end. Reads 16 bytes at a time (SSE2) while the block lies inside
// [p, safe_end), the whole message text, so no read leaves the caller's buffer; hits past `end` are ignored.
inline const char* FindDelim(const char* p, const char* end, const char* safe_end, char delim) {
#if defined(__SSE2__)
  const __m128i d = _mm_set1_epi8(delim);
  while (p < end && p + 16 <= safe_end) {
    unsigned m = static_cast<unsigned>(
        _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), d)));
    if (m != 0) {
      const char* hit = p + __builtin_ctz(m);
      return hit < end ? hit : end;
    }
    p += 16;
  }
  if (p >= end) return end;
#else
  (void)safe_end;
#endif
  while (p < end && *p != delim) ++p;
  return p;
}

// The nth (1-based) piece of `text` split on `delim`; empty if there are fewer pieces. `safe_end` bounds
// the block reads of FindDelim (see there).
std::string_view Nth(std::string_view text, char delim, int n, const char* safe_end) {
  if (n < 1) return {};
  const char* p = text.data();
  const char* end = p + text.size();
  for (int k = 1; k < n; ++k) {
    p = FindDelim(p, end, safe_end, delim);
    if (p == end) return {};
    ++p;
  }
  const char* q = FindDelim(p, end, safe_end, delim);
  return std::string_view(p, static_cast<size_t>(q - p));
}

#if defined(__SSE2__)
// Bits set in a 16-bit mask. Without -mpopcnt, __builtin_popcount is a call into libgcc; this is a dozen
// register operations.
inline int Popcount16(unsigned x) {
#if defined(__POPCNT__)
  return __builtin_popcount(x);
#else
  x -= (x >> 1) & 0x5555u;
  x = (x & 0x3333u) + ((x >> 2) & 0x3333u);
  x = (x + (x >> 4)) & 0x0F0Fu;
  return static_cast<int>((x + (x >> 8)) & 0x1Fu);
#endif
}
#endif

// The number of pieces of `text` split on `delim` (0 for an empty text). Counts 16 bytes at a time (SSE2);
// the last partial block is read whole when it lies inside [text, safe_end) (the message text), its bytes
// past the end masked off.
int CountPieces(std::string_view text, char delim, const char* safe_end) {
  if (text.empty()) return 0;
  int count = 1;
  const char* p = text.data();
  const char* end = p + text.size();
#if defined(__SSE2__)
  const __m128i d = _mm_set1_epi8(delim);
  auto matches = [&](const char* at) {
    return static_cast<unsigned>(
        _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(at)), d)));
  };
  for (; end - p >= 16; p += 16) count += Popcount16(matches(p));
  if (p < end && p + 16 <= safe_end) {
    return count + Popcount16(matches(p) & ((1u << (end - p)) - 1));
  }
#else
  (void)safe_end;
#endif
  for (; p < end; ++p) count += (*p == delim);
  return count;
}

std::string Position(int ordinal, std::string_view id, int field) {
  std::string s = "segment " + std::to_string(ordinal);
  if (!id.empty()) {
    s += " (";
    s += id;
    s += ")";
  }
  if (field > 0) s += ", field " + std::to_string(field);
  return s;
}

Status Error(StatusCode code, std::string message, int ordinal, std::string_view id, int field,
             size_t offset) {
  ErrorContext ctx;
  ctx.input_position = Position(ordinal, id, field);
  ctx.byte_offset = offset;
  return Status(code, std::move(message), std::move(ctx));
}

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// One byte >= 0x80 of an ISO-8859-1 or ISO-8859-15 text, as UTF-8. Latin-9 differs from Latin-1 in eight
// positions only (ISO/IEC 8859-15 table): the euro sign and S/s/Z/z caron, OE/oe ligatures, Y diaeresis.
void AppendSingleByte(unsigned char c, Charset charset, std::string* out) {
  uint32_t cp = c;
  if (charset == Charset::kLatin9) {
    switch (c) {
      case 0xA4: cp = 0x20AC; break;
      case 0xA6: cp = 0x0160; break;
      case 0xA8: cp = 0x0161; break;
      case 0xB4: cp = 0x017D; break;
      case 0xB8: cp = 0x017E; break;
      case 0xBC: cp = 0x0152; break;
      case 0xBD: cp = 0x0153; break;
      case 0xBE: cp = 0x0178; break;
      default: break;
    }
  }
  if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
  } else {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
  }
  out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
}

void AppendText(std::string_view s, Charset charset, std::string* out) {
  if (!IsSingleByte(charset)) {
    out->append(s);
    return;
  }
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out->push_back(ch);
    } else {
      AppendSingleByte(c, charset, out);
    }
  }
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Parses the optional count argument of ".sp N" / ".sk N"; default 1, capped.
int FormatCount(std::string_view arg) {
  while (!arg.empty() && arg.front() == ' ') arg.remove_prefix(1);
  if (arg.empty()) return 1;
  int n = 0;
  for (char c : arg) {
    if (!IsDigit(c)) return 1;
    n = n * 10 + (c - '0');
    if (n > kMaxFormatRepeat) return kMaxFormatRepeat;
  }
  return n;
}

}  // namespace

void Message::Clear() {
  text_ = {};
  encoding_ = Encoding();
  charset_ = Charset::kUtf8;
  replace_utf8_ = false;
  plain_ = false;
  segments_.clear();
  bounds_.clear();
  last_comp_ = ComponentMemo();
}

Status Message::Parse(std::string_view bytes, const ParseOptions& options) {
  Clear();
  std::string_view t = bytes;
  CW_RETURN_IF_ERROR(StripFraming(&t));
  while (!t.empty() && (t.front() == '\r' || t.front() == '\n')) t.remove_prefix(1);
  if (t.size() > options.max_message_bytes || t.size() >= UINT32_MAX) {
    return LimitExceeded("message is " + std::to_string(t.size()) + " bytes, over max_message_bytes (" +
                         std::to_string(options.max_message_bytes) + ")");
  }
  if (t.size() < 3 || t.substr(0, 3) != "MSH") {
    if (t.size() >= 3 && (t.substr(0, 3) == "FHS" || t.substr(0, 3) == "BHS")) {
      return Error(StatusCode::kParseError, "batch header: split batches with SplitMessages first", 1,
                   t.substr(0, 3), 0, 0);
    }
    return Error(StatusCode::kParseError, "the message does not start with an MSH segment", 1, {}, 0, 0);
  }
  if (t.size() < 4 || !IsDelimiterChar(t[3])) {
    return Error(StatusCode::kParseError, "MSH-1 field separator missing or not a delimiter character", 1,
                 "MSH", 1, 3);
  }
  // MSH-2: the encoding characters, up to the next field separator or segment end.
  Encoding enc;
  enc.field = t[3];
  size_t msh2_end = 4;
  while (msh2_end < t.size() && t[msh2_end] != enc.field && t[msh2_end] != '\r' && t[msh2_end] != '\n') {
    ++msh2_end;
  }
  std::string_view chars = t.substr(4, msh2_end - 4);
  char ec[5] = {0, 0, 0, 0, 0};
  size_t nchars = chars.size();
  if (nchars == 5 && chars[2] == chars[3] && chars[4] != chars[2]) {
    // Quirk: "^~\\&" (escape char doubled by a string-escaping generator) is read as "^~\&".
    ec[0] = chars[0], ec[1] = chars[1], ec[2] = chars[2], ec[3] = chars[4];
    nchars = 4;
  } else if (nchars == 4 || nchars == 5) {
    std::memcpy(ec, chars.data(), nchars);
  } else {
    return Error(StatusCode::kParseError, "MSH-2 must hold 4 or 5 encoding characters", 1, "MSH", 2, 4);
  }
  for (size_t a = 0; a < nchars; ++a) {
    bool ok = IsDelimiterChar(ec[a]) && ec[a] != enc.field;
    for (size_t b = 0; b < a; ++b) ok = ok && ec[a] != ec[b];
    if (!ok) {
      return Error(StatusCode::kParseError,
                   "MSH-2 encoding characters must be distinct, non-alphanumeric and differ from MSH-1", 1,
                   "MSH", 2, 4 + a);
    }
  }
  enc.component = ec[0];
  enc.repetition = ec[1];
  enc.escape = ec[2];
  enc.subcomponent = ec[3];
  enc.truncation = nchars == 5 ? ec[4] : '\0';

  text_ = t;
  encoding_ = enc;
  // Limits that no segment of at most this many bytes can reach: such a segment needs no field-by-field
  // check, only its terminator (see IndexChecked for the others).
  const size_t unchecked_max = std::min<size_t>(
      {static_cast<size_t>(std::max(options.max_fields_per_segment, 0)),
       static_cast<size_t>(std::max(options.max_repetitions, 0)), options.max_field_bytes});
  const char* p = t.data();
  const size_t n = t.size();
  size_t i = 0;
  while (true) {
    while (i < n && (p[i] == '\r' || p[i] == '\n')) ++i;
    if (i >= n) break;
    const int ordinal = static_cast<int>(segments_.size()) + 1;
    const bool first = segments_.empty();
    // A line of blanks only is skipped like an empty line.
    if (p[i] == ' ' || p[i] == '\t') {
      size_t k = i;
      while (k < n && (p[k] == ' ' || p[k] == '\t')) ++k;
      if (k >= n || p[k] == '\r' || p[k] == '\n') {
        i = k;
        continue;
      }
    }
    if (static_cast<int>(segments_.size()) >= options.max_segments) {
      Clear();
      return Error(StatusCode::kLimitExceeded,
                   "more than max_segments (" + std::to_string(options.max_segments) + ") segments",
                   ordinal, {}, 0, i);
    }
    if (n - i < 3 || !IsUpper(p[i]) || !(IsUpper(p[i + 1]) || IsDigit(p[i + 1])) ||
        !(IsUpper(p[i + 2]) || IsDigit(p[i + 2])) ||
        (i + 3 < n && p[i + 3] != enc.field && p[i + 3] != '\r' && p[i + 3] != '\n')) {
      Clear();
      return Error(StatusCode::kParseError,
                   "invalid segment id (expected 3 upper-case letters or digits, then the field separator)",
                   ordinal, {}, 0, i);
    }
    std::string_view id(p + i, 3);
    if (!first && (id == "MSH" || id == "FHS" || id == "BHS" || id == "BTS" || id == "FTS")) {
      Clear();
      return Error(StatusCode::kParseError,
                   "a second message or batch segment inside one message: split with SplitMessages first",
                   ordinal, id, 0, i);
    }
    Segment seg;
    seg.begin = static_cast<uint32_t>(i);
    size_t j = first ? n : FindLineEnd(p, i + 3, n);
    if (first || (j < n && p[j] == '\0') || j - i > unchecked_max) {
      // MSH (always split), a NUL byte somewhere in the segment, or long enough for a limit to apply.
      Status st = IndexChecked(options, t, ordinal, i, msh2_end, &seg);
      if (!st.ok()) {
        Clear();
        return st;
      }
    } else {
      seg.end = static_cast<uint32_t>(j);
      seg.first_bound = kUnsplit;
      seg.bound_count = 0;
    }
    segments_.push_back(seg);
    i = seg.end;
  }

  // MSH-18 (first repetition) names the character set.
  std::string_view cs = Raw(0, 18, 1);
  Charset charset;
  if (!ParseCharset(cs, &charset)) {
    Clear();
    return Error(StatusCode::kUnimplemented, "MSH-18 names a character set this reader does not support", 1,
                 "MSH", 18, 0);
  }
  // Senders often label UTF-8 text as 8859/1 (or /15); text that is valid UTF-8 is taken as UTF-8.
  // Pure ASCII text keeps its label, so that its \X..\ escapes keep their Latin-1 (Latin-9) meaning.
  if (IsSingleByte(charset) && IsValidUtf8(t) && !IsAscii(t)) charset = Charset::kUtf8;
  charset_ = charset;
  // The first escape character after MSH-2 (where \X..\ escapes and every other escape begin).
  const size_t first_escape = encoding_.escape == '\0' ? std::string_view::npos : t.find(encoding_.escape, msh2_end);
  if (charset == Charset::kUtf8) {
    Status st = CheckUtf8(options, first_escape);
    if (!st.ok()) {
      Clear();
      return st;
    }
  }
  // Decode() is the identity for a value after MSH-2 that holds no escape character, in a message with
  // nothing to repair and nothing to convert from a single-byte set (the usual message). A message's
  // escapes are mostly in a few notes: values before the first one and after the last one skip the scans.
  if (!replace_utf8_ && (charset == Charset::kUtf8 || IsAscii(t))) {
    plain_from_ = static_cast<uint32_t>(msh2_end);
    if (first_escape == std::string_view::npos) {
      escapes_begin_ = escapes_end_ = static_cast<uint32_t>(t.size());
    } else {
      const void* last = memrchr(t.data() + first_escape, encoding_.escape, t.size() - first_escape);
      escapes_begin_ = static_cast<uint32_t>(first_escape);
      escapes_end_ = static_cast<uint32_t>(static_cast<const char*>(last) - t.data() + 1);
    }
    plain_ = true;
  }
  return Status::Ok();
}

Status Message::IndexChecked(const ParseOptions& options, std::string_view t, int ordinal, size_t i,
                             size_t msh2_end, Segment* seg) {
  const Encoding& enc = encoding_;
  uint8_t cls[256];
  std::memset(cls, kPlain, sizeof(cls));
  cls[static_cast<unsigned char>(enc.field)] = kFieldSep;
  cls[static_cast<unsigned char>('\r')] = kTerminator;
  cls[static_cast<unsigned char>('\n')] = kTerminator;
  cls[0] = kNul;
  cls[static_cast<unsigned char>(enc.repetition)] = kRepSep;
  const PlainScanner scanner(cls, enc.field, enc.repetition);

  const char* p = t.data();
  const size_t n = t.size();
  const int max_fields = options.max_fields_per_segment;
  const std::string_view id(p + i, 3);
  seg->first_bound = static_cast<uint32_t>(bounds_.size());
  size_t j = i + 3;
  int field = 0;
  if (ordinal == 1) {
    bounds_.push_back(static_cast<uint32_t>(j));  // MSH-1 is this separator
    j = msh2_end;
    field = 2;
  }
  while (j < n && p[j] == enc.field) {
    bounds_.push_back(static_cast<uint32_t>(j));
    if (++field > max_fields) {
      return Error(StatusCode::kLimitExceeded,
                   "more than max_fields_per_segment (" + std::to_string(max_fields) + ") fields", ordinal, id,
                   field, j);
    }
    size_t k = j + 1;
    int reps = 1;
    while (true) {
      k = scanner.Skip(p, k, n);
      if (k >= n) break;
      uint8_t c = cls[static_cast<unsigned char>(p[k])];
      if (c == kRepSep) {
        if (++reps > options.max_repetitions) {
          return Error(StatusCode::kLimitExceeded,
                       "more than max_repetitions (" + std::to_string(options.max_repetitions) + ") repetitions",
                       ordinal, id, field, k);
        }
        ++k;
        continue;
      }
      if (c == kNul) return Error(StatusCode::kParseError, "NUL byte in the message", ordinal, id, field, k);
      break;  // field separator or terminator
    }
    if (k - (j + 1) > options.max_field_bytes) {
      return Error(StatusCode::kLimitExceeded,
                   "field longer than max_field_bytes (" + std::to_string(options.max_field_bytes) + ")", ordinal,
                   id, field, j + 1);
    }
    j = k;
  }
  if (j < n && p[j] == '\0') {
    return Error(StatusCode::kParseError, "NUL byte in the message", ordinal, id, field, j);
  }
  bounds_.push_back(static_cast<uint32_t>(j));
  seg->end = static_cast<uint32_t>(j);
  seg->bound_count = static_cast<uint32_t>(bounds_.size()) - seg->first_bound;
  return Status::Ok();
}

void Message::SplitFields(Segment* s) const {
  // Parse() checked this segment: it holds no NUL and no limit applies. Its id is followed by the field
  // separator or ends the segment.
  const char* p = text_.data();
  const char* end = p + s->end;
  const char* safe_end = p + text_.size();
  s->first_bound = static_cast<uint32_t>(bounds_.size());
  for (const char* q = p + s->begin + 3; q < end; q = FindDelim(q + 1, end, safe_end, encoding_.field)) {
    bounds_.push_back(static_cast<uint32_t>(q - p));
  }
  bounds_.push_back(s->end);
  s->bound_count = static_cast<uint32_t>(bounds_.size()) - s->first_bound;
}

void Message::Locate(size_t offset, int* seg, int* field) const {
  // The last segment that begins at or before `offset`.
  int lo = 0, hi = segment_count() - 1;
  while (lo < hi) {
    int mid = (lo + hi + 1) / 2;
    if (segments_[mid].begin <= offset) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  *seg = lo;
  const Segment& s = Split(lo);
  // bounds_[first_bound + k] is the separator before field k+1 (k+2 for MSH, whose MSH-1 is that byte).
  int k = 0;
  while (static_cast<uint32_t>(k) + 1 < s.bound_count && bounds_[s.first_bound + k + 1] <= offset) ++k;
  if (offset < bounds_[s.first_bound]) {
    *field = 0;
  } else {
    *field = IsMsh(lo) ? (k == 0 ? (offset == bounds_[s.first_bound] ? 1 : 2) : k + 2) : k + 1;
  }
}

Status Message::CheckUtf8(const ParseOptions& options, size_t first_escape) {
  const bool replace = options.invalid_utf8 == InvalidUtf8::kReplace;
  auto reject = [&](size_t offset, const char* what) {
    int seg = 0, field = 0;
    Locate(offset, &seg, &field);
    return Error(StatusCode::kParseError,
                 std::string(what) + " (MSH-18 says UTF-8 or nothing; InvalidUtf8::kReplace reads it as U+FFFD)",
                 seg + 1, segment_id(seg), field, offset);
  };
  size_t bad = FindInvalidUtf8(text_);
  if (bad != std::string_view::npos) {
    if (!replace) return reject(bad, "invalid UTF-8");
    replace_utf8_ = true;
    return Status::Ok();
  }
  // Hex escapes can spell bytes that are not UTF-8 either; only fields that hold "<escape>X" are decoded.
  if (first_escape == std::string_view::npos) return Status::Ok();
  const char pattern[2] = {encoding_.escape, 'X'};
  std::string_view needle(pattern, 2);
  size_t at = text_.find(needle, first_escape);
  if (at == std::string_view::npos) return Status::Ok();
  std::string decoded;
  while (at != std::string_view::npos) {
    int seg = 0, field = 0;
    Locate(at, &seg, &field);
    uint32_t b = 0, e = 0;
    size_t next_from = at + 2;
    if (field > 2 || (field > 0 && !IsMsh(seg))) {
      if (FieldSpan(seg, field, &b, &e)) {
        decoded.clear();
        Unescape(text_.substr(b, e - b), encoding_, charset_, &decoded);
        if (!IsValidUtf8(decoded)) {
          if (!replace) return reject(b, "a \\X..\\ escape gives bytes that are not UTF-8");
          replace_utf8_ = true;
          return Status::Ok();
        }
        next_from = e;
      }
    }
    at = text_.find(needle, next_from);
  }
  return Status::Ok();
}

std::string_view Message::segment_id(int seg) const {
  if (seg < 0 || seg >= segment_count()) return {};
  return text_.substr(segments_[seg].begin, 3);
}

std::string_view Message::segment_text(int seg) const {
  if (seg < 0 || seg >= segment_count()) return {};
  const Segment& s = segments_[seg];
  return text_.substr(s.begin, s.end - s.begin);
}

int Message::field_count(int seg) const {
  if (seg < 0 || seg >= segment_count()) return 0;
  const Segment& s = Split(seg);
  return static_cast<int>(s.bound_count) - (IsMsh(seg) ? 0 : 1);
}

bool Message::FieldSpan(int seg, int field, uint32_t* begin, uint32_t* end) const {
  if (seg < 0 || seg >= segment_count() || field < 1) return false;
  const Segment& s = Split(seg);
  int idx;
  if (IsMsh(seg)) {
    if (field == 1) {
      *begin = s.begin + 3;
      *end = *begin + 1;
      return true;
    }
    idx = field - 2;
  } else {
    idx = field - 1;
  }
  if (static_cast<uint32_t>(idx) + 1 >= s.bound_count) return false;
  *begin = bounds_[s.first_bound + idx] + 1;
  *end = bounds_[s.first_bound + idx + 1];
  return true;
}

std::string_view Message::Raw(int seg, int field, int rep, int comp, int sub) const {
  const char* safe_end = text_.data() + text_.size();
  std::string_view f;
  if (comp > 0 && comp >= last_comp_.comp && seg == last_comp_.seg && field == last_comp_.field &&
      rep == last_comp_.rep) {
    // The same repetition as the last component read (never MSH-1/MSH-2: those are not memoised).
    const char* p = text_.data() + last_comp_.begin;
    const char* end = text_.data() + last_comp_.end;
    for (int k = last_comp_.comp; k < comp; ++k) {
      p = FindDelim(p, end, safe_end, encoding_.component);
      if (p == end) return {};
      ++p;
    }
    f = std::string_view(p, static_cast<size_t>(FindDelim(p, end, safe_end, encoding_.component) - p));
    last_comp_.comp = comp;
    last_comp_.begin = static_cast<uint32_t>(p - text_.data());
  } else {
    uint32_t b, e;
    if (!FieldSpan(seg, field, &b, &e)) return {};
    f = text_.substr(b, e - b);
    if (IsMsh(seg) && field <= 2) return (rep <= 1 && comp <= 1 && sub <= 1) ? f : std::string_view();
    if (rep == 0) return f;
    f = Nth(f, encoding_.repetition, rep, safe_end);
    if (comp == 0) return f;
    std::string_view r = f;
    f = Nth(r, encoding_.component, comp, safe_end);
    if (f.data() == nullptr) return f;  // fewer components (or repetitions)
    last_comp_ = ComponentMemo{seg, field, rep, comp, static_cast<uint32_t>(f.data() - text_.data()),
                               static_cast<uint32_t>(r.data() + r.size() - text_.data())};
  }
  if (sub == 0) return f;
  return Nth(f, encoding_.subcomponent, sub, safe_end);
}

int Message::repetition_count(int seg, int field) const {
  std::string_view f = Raw(seg, field);
  if (f.empty()) return 0;
  if (IsMsh(seg) && field <= 2) return 1;
  return CountPieces(f, encoding_.repetition, text_.data() + text_.size());
}

int Message::component_count(int seg, int field, int rep) const {
  std::string_view r = Raw(seg, field, rep);
  if (r.empty()) return 0;
  if (IsMsh(seg) && field <= 2) return 1;
  return CountPieces(r, encoding_.component, text_.data() + text_.size());
}

int Message::subcomponent_count(int seg, int field, int rep, int comp) const {
  std::string_view c = Raw(seg, field, rep, comp);
  if (c.empty()) return 0;
  if (IsMsh(seg) && field <= 2) return 1;
  return CountPieces(c, encoding_.subcomponent, text_.data() + text_.size());
}

std::string_view Message::Value(int seg, int field, int rep, int comp, int sub, std::string* scratch) const {
  std::string_view raw = Raw(seg, field, rep, comp, sub);
  if (raw.empty() || (IsMsh(seg) && field <= 2)) return raw;
  return Decode(raw, scratch);
}

std::string_view Message::DecodeSlow(std::string_view raw, std::string* scratch) const {
  if (raw.empty()) return raw;
  bool decode = raw.find(encoding_.escape) != std::string_view::npos;
  if (!decode && IsSingleByte(charset_)) {
    for (char c : raw) {
      if (static_cast<unsigned char>(c) >= 0x80) {
        decode = true;
        break;
      }
    }
  }
  if (!decode) {
    if (!replace_utf8_ || IsValidUtf8(raw)) return raw;
    scratch->clear();
    AppendUtf8Replacing(raw, scratch);
    return *scratch;
  }
  scratch->clear();
  Unescape(raw, encoding_, charset_, scratch);
  if (replace_utf8_ && !IsValidUtf8(*scratch)) {
    std::string bad;
    bad.swap(*scratch);
    AppendUtf8Replacing(bad, scratch);
  }
  return *scratch;
}

int Message::FindSegment(std::string_view id, int from, int to) const {
  if (to < 0 || to > segment_count()) to = segment_count();
  if (from < 0) from = 0;
  for (int s = from; s < to; ++s) {
    if (text_.compare(segments_[s].begin, 3, id) == 0 && id.size() == 3) return s;
  }
  return -1;
}

void Message::Unescape(std::string_view raw, const Encoding& enc, Charset charset, std::string* out) {
  const size_t n = raw.size();
  size_t i = 0;
  while (i < n) {
    const void* hit = std::memchr(raw.data() + i, enc.escape, n - i);
    size_t esc = hit ? static_cast<size_t>(static_cast<const char*>(hit) - raw.data()) : n;
    AppendText(raw.substr(i, esc - i), charset, out);
    if (esc >= n) break;
    size_t close = raw.find(enc.escape, esc + 1);
    if (close == std::string_view::npos) {  // unterminated: kept literally
      AppendText(raw.substr(esc), charset, out);
      break;
    }
    std::string_view seq = raw.substr(esc + 1, close - esc - 1);
    i = close + 1;
    bool handled = true;
    if (seq.size() == 1) {
      switch (seq[0]) {
        case 'F': out->push_back(enc.field); break;
        case 'S': out->push_back(enc.component); break;
        case 'T': out->push_back(enc.subcomponent); break;
        case 'R': out->push_back(enc.repetition); break;
        case 'E': out->push_back(enc.escape); break;
        case 'P':
          if (enc.truncation != '\0') {
            out->push_back(enc.truncation);
          } else {
            handled = false;
          }
          break;
        case 'H':
        case 'N': break;  // highlighting on/off: dropped
        default: handled = false;
      }
    } else if (seq.size() >= 3 && seq[0] == 'X' && (seq.size() - 1) % 2 == 0) {
      size_t start = out->size();
      for (size_t k = 1; k + 1 < seq.size() && handled; k += 2) {
        int hi = HexDigit(seq[k]), lo = HexDigit(seq[k + 1]);
        if (hi < 0 || lo < 0) {
          handled = false;
          break;
        }
        auto byte = static_cast<unsigned char>(hi * 16 + lo);
        if (IsSingleByte(charset) && byte >= 0x80) {
          AppendSingleByte(byte, charset, out);
        } else {
          out->push_back(static_cast<char>(byte));
        }
      }
      if (!handled) out->resize(start);
    } else if (!seq.empty() && seq[0] == '.') {
      std::string_view cmd = seq.substr(1, 2);
      std::string_view arg = seq.size() > 3 ? seq.substr(3) : std::string_view();
      if (cmd == "br" && arg.empty()) {
        out->push_back('\n');
      } else if (cmd == "sp") {
        out->append(static_cast<size_t>(FormatCount(arg)), '\n');
      } else if (cmd == "sk") {
        out->append(static_cast<size_t>(FormatCount(arg)), ' ');
      } else if (cmd == "ce" && arg.empty()) {
        out->push_back('\n');
      } else if (cmd == "fi" || cmd == "nf" || cmd == "in" || cmd == "ti") {
        // fill mode / indentation: no plain-text meaning, dropped
      } else {
        handled = false;
      }
    } else if (seq.size() >= 5 && (seq[0] == 'C' || seq[0] == 'M')) {
      // ISO 2022 character-set switches (\Cxxyy\, \Mxxyyzz\): dropped; the bytes that follow are kept.
      bool hex = (seq.size() == 5 || seq.size() == 7);
      for (size_t k = 1; k < seq.size(); ++k) hex = hex && HexDigit(seq[k]) >= 0;
      handled = hex;
    } else {
      handled = false;
    }
    if (!handled) {  // unknown or locally defined (\Z..\): kept literally
      out->push_back(enc.escape);
      AppendText(seq, charset, out);
      out->push_back(enc.escape);
    }
  }
}

}  // namespace crosswalk::hl7v2
