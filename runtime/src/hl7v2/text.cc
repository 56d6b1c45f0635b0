#include "hl7v2/text.h"

#include <cstdint>
#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace crosswalk::hl7v2 {

namespace {
bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a == b) return true;  // names are mostly written as the standard spells them
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 32);
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 32);
    if (x != y) return false;
  }
  return true;
}
}  // namespace

bool ParseCharset(std::string_view v, Charset* charset) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  if (v == "\"\"") v = {};  // the HL7 null: no character set named, as when MSH-18 is empty
  static constexpr std::string_view kUtf8Names[] = {"", "ASCII", "UNICODE UTF-8", "UTF-8", "UTF8",
                                                    "UNICODE"};
  static constexpr std::string_view kLatin1Names[] = {"8859/1", "ISO-8859-1", "ISO_8859-1", "ISO8859-1",
                                                      "LATIN1", "ISO IR100"};
  for (auto name : kUtf8Names) {
    if (EqualsIgnoreCase(v, name)) {
      *charset = Charset::kUtf8;
      return true;
    }
  }
  for (auto name : kLatin1Names) {
    if (EqualsIgnoreCase(v, name)) {
      *charset = Charset::kLatin1;
      return true;
    }
  }
  static constexpr std::string_view kLatin9Names[] = {"8859/15", "ISO-8859-15", "ISO_8859-15", "ISO8859-15",
                                                      "LATIN9"};
  for (auto name : kLatin9Names) {
    if (EqualsIgnoreCase(v, name)) {
      *charset = Charset::kLatin9;
      return true;
    }
  }
  return false;
}

size_t Utf8SequenceAt(std::string_view text, size_t at) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  unsigned char c = p[at];
  if (c < 0x80) return 1;
  size_t len;
  uint32_t cp;
  if ((c & 0xE0) == 0xC0) {
    len = 2, cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, cp = c & 0x07;
  } else {
    return 0;
  }
  if (at + len > n) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((p[at + k] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[at + k] & 0x3F);
  }
  if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return len;
}

size_t FindInvalidUtf8(std::string_view text) {
  const size_t n = text.size();
  size_t i = 0;
  const char* p = text.data();
  while (i < n) {
#if defined(__SSE2__)
    // ASCII runs: 64 bytes per step (a byte >= 0x80 sets its sign bit in the OR of the four blocks).
    while (n - i >= 64) {
      __m128i a = _mm_or_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)),
                               _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i + 16)));
      __m128i b = _mm_or_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i + 32)),
                               _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i + 48)));
      if (_mm_movemask_epi8(_mm_or_si128(a, b)) != 0) break;
      i += 64;
    }
    if (i == n) break;  // the whole rest was ASCII in 64-byte blocks
#endif
    if (n - i >= 8) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      if ((w & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    size_t len = Utf8SequenceAt(text, i);
    if (len == 0) return i;
    i += len;
  }
  return std::string_view::npos;
}

void AppendUtf8Replacing(std::string_view text, std::string* out) {
  size_t i = 0;
  while (i < text.size()) {
    size_t bad = FindInvalidUtf8(text.substr(i));
    if (bad == std::string_view::npos) {
      out->append(text.substr(i));
      return;
    }
    out->append(text.substr(i, bad));
    out->append("\xEF\xBF\xBD");  // U+FFFD
    i += bad + 1;
  }
}

std::string_view Utf8Prefix(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t end = max_bytes;
  // Back up over continuation bytes to the start of the sequence that crosses the limit.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return text.substr(0, end);
}

}  // namespace crosswalk::hl7v2
