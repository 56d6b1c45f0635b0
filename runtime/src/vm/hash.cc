#include "vm/hash.h"

#include <atomic>
#include <cstring>
#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define CW_HAVE_SHA_NI 1
#else
#define CW_HAVE_SHA_NI 0
#endif

namespace crosswalk::vm {

namespace {

#if CW_HAVE_SHA_NI
// x86 SHA extensions (SHA-NI) with SSSE3 and SSE4.1: CPUID leaf 7 EBX bit 29, leaf 1 ECX bits 9 and 19.
bool CpuHasShaNi() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return false;
  if (!(c & (1u << 9)) || !(c & (1u << 19))) return false;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
  return (b & (1u << 29)) != 0;
}

// One SHA-1 block with the SHA instructions: 20 groups of 4 rounds (sha1rnds4), the message schedule
// with sha1msg1 / sha1msg2, the next E with sha1nexte. Same result as the portable Sha1::Block.
__attribute__((target("sha,ssse3,sse4.1"))) void Sha1BlockShaNi(uint32_t h[5], const uint8_t* p) {
  const __m128i kBswap = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
  __m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h)), 0x1B);
  __m128i e0 = _mm_set_epi32(static_cast<int>(h[4]), 0, 0, 0);
  const __m128i abcd_save = abcd, e0_save = e0;
  __m128i msg[4];
  for (int i = 0; i < 4; ++i) {
    msg[i] = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i)), kBswap);
  }
  __m128i e1;
  // Group g covers rounds 4g..4g+3 with message words msg[g % 4]; the immediate of sha1rnds4 is g / 5.
#define CW_SHA1_GROUP(g, e_in, e_out)                                                         \
  do {                                                                                        \
    __m128i& cur = msg[(g) % 4];                                                              \
    if ((g) == 0) {                                                                           \
      e_in = _mm_add_epi32(e_in, cur);                                                        \
    } else {                                                                                  \
      e_in = _mm_sha1nexte_epu32(e_in, cur);                                                  \
    }                                                                                         \
    e_out = abcd;                                                                             \
    if ((g) >= 3 && (g) <= 18) msg[((g) + 1) % 4] = _mm_sha1msg2_epu32(msg[((g) + 1) % 4], cur); \
    abcd = _mm_sha1rnds4_epu32(abcd, e_in, (g) / 5);                                          \
    if ((g) >= 1 && (g) <= 16) msg[((g) + 3) % 4] = _mm_sha1msg1_epu32(msg[((g) + 3) % 4], cur); \
    if ((g) >= 2 && (g) <= 17) msg[((g) + 2) % 4] = _mm_xor_si128(msg[((g) + 2) % 4], cur);   \
  } while (0)
  CW_SHA1_GROUP(0, e0, e1);
  CW_SHA1_GROUP(1, e1, e0);
  CW_SHA1_GROUP(2, e0, e1);
  CW_SHA1_GROUP(3, e1, e0);
  CW_SHA1_GROUP(4, e0, e1);
  CW_SHA1_GROUP(5, e1, e0);
  CW_SHA1_GROUP(6, e0, e1);
  CW_SHA1_GROUP(7, e1, e0);
  CW_SHA1_GROUP(8, e0, e1);
  CW_SHA1_GROUP(9, e1, e0);
  CW_SHA1_GROUP(10, e0, e1);
  CW_SHA1_GROUP(11, e1, e0);
  CW_SHA1_GROUP(12, e0, e1);
  CW_SHA1_GROUP(13, e1, e0);
  CW_SHA1_GROUP(14, e0, e1);
  CW_SHA1_GROUP(15, e1, e0);
  CW_SHA1_GROUP(16, e0, e1);
  CW_SHA1_GROUP(17, e1, e0);
  CW_SHA1_GROUP(18, e0, e1);
  CW_SHA1_GROUP(19, e1, e0);
#undef CW_SHA1_GROUP
  e0 = _mm_sha1nexte_epu32(e0, e0_save);
  abcd = _mm_add_epi32(abcd, abcd_save);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(h), _mm_shuffle_epi32(abcd, 0x1B));
  h[4] = static_cast<uint32_t>(_mm_extract_epi32(e0, 3));
}

std::atomic<bool> g_sha1_hardware{CpuHasShaNi()};
#else
std::atomic<bool> g_sha1_hardware{false};
#endif

inline uint32_t Rol(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }
inline uint32_t Ror(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }
inline uint32_t LoadBe32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}
inline void StoreBe32(uint32_t v, uint8_t* p) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

// Shared Merkle–Damgård buffering for both hashes.
template <typename H>
void UpdateImpl(H* h, uint8_t* buf, size_t* used, uint64_t* total, const void* data, size_t len) {
  const uint8_t* p = static_cast<const uint8_t*>(data);
  *total += len;
  if (*used) {
    size_t take = 64 - *used < len ? 64 - *used : len;
    std::memcpy(buf + *used, p, take);
    *used += take;
    p += take;
    len -= take;
    if (*used < 64) return;
    h->BlockFn(buf);
    *used = 0;
  }
  while (len >= 64) {
    h->BlockFn(p);
    p += 64;
    len -= 64;
  }
  std::memcpy(buf, p, len);
  *used = len;
}

template <typename H>
void FinalPad(H* h, uint8_t* buf, size_t used, uint64_t total) {
  buf[used++] = 0x80;
  if (used > 56) {
    std::memset(buf + used, 0, 64 - used);
    h->BlockFn(buf);
    used = 0;
  }
  std::memset(buf + used, 0, 56 - used);
  uint64_t bits = total * 8;
  for (int i = 0; i < 8; ++i) buf[56 + i] = static_cast<uint8_t>(bits >> (56 - 8 * i));
  h->BlockFn(buf);
}

constexpr uint32_t kK256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

}  // namespace

// ---- SipHash-2-4, 128-bit output ----

namespace {
inline uint64_t Rotl64(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }
inline uint64_t LoadLe64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
inline void StoreLe64(uint64_t v, uint8_t* p) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
}  // namespace

void SipHash24x128(const void* data, size_t len, const uint8_t key[16], uint8_t out[16]) {
  const uint64_t k0 = LoadLe64(key), k1 = LoadLe64(key + 8);
  uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
  uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
  v1 ^= 0xee;  // the 128-bit variant
  auto round = [&] {
    v0 += v1; v1 = Rotl64(v1, 13); v1 ^= v0; v0 = Rotl64(v0, 32);
    v2 += v3; v3 = Rotl64(v3, 16); v3 ^= v2;
    v0 += v3; v3 = Rotl64(v3, 21); v3 ^= v0;
    v2 += v1; v1 = Rotl64(v1, 17); v1 ^= v2; v2 = Rotl64(v2, 32);
  };
  const auto* p = static_cast<const uint8_t*>(data);
  const uint8_t* const end = p + (len & ~size_t{7});
  for (; p != end; p += 8) {
    const uint64_t m = LoadLe64(p);
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  uint64_t b = uint64_t{len} << 56;
  for (size_t i = 0; i < (len & 7); ++i) b |= uint64_t{p[i]} << (8 * i);
  v3 ^= b;
  round();
  round();
  v0 ^= b;
  v2 ^= 0xee;
  for (int i = 0; i < 4; ++i) round();
  StoreLe64(v0 ^ v1 ^ v2 ^ v3, out);
  v1 ^= 0xdd;
  for (int i = 0; i < 4; ++i) round();
  StoreLe64(v0 ^ v1 ^ v2 ^ v3, out + 8);
}

// ---- SHA-1 (FIPS 180-4) ----

Sha1::Sha1() : h_{0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0} {}

bool SetSha1Hardware(bool enabled) {
#if CW_HAVE_SHA_NI
  static const bool available = CpuHasShaNi();
  g_sha1_hardware.store(enabled && available, std::memory_order_relaxed);
#else
  (void)enabled;
#endif
  return g_sha1_hardware.load(std::memory_order_relaxed);
}

void Sha1::Block(const uint8_t* p) {
#if CW_HAVE_SHA_NI
  if (g_sha1_hardware.load(std::memory_order_relaxed)) {
    Sha1BlockShaNi(h_, p);
    return;
  }
#endif
  uint32_t w[80];
  for (int i = 0; i < 16; ++i) w[i] = LoadBe32(p + 4 * i);
  for (int i = 16; i < 80; ++i) w[i] = Rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
  uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4];
  for (int i = 0; i < 80; ++i) {
    uint32_t f, k;
    if (i < 20) {
      f = (b & c) | (~b & d);
      k = 0x5A827999;
    } else if (i < 40) {
      f = b ^ c ^ d;
      k = 0x6ED9EBA1;
    } else if (i < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8F1BBCDC;
    } else {
      f = b ^ c ^ d;
      k = 0xCA62C1D6;
    }
    uint32_t t = Rol(a, 5) + f + e + k + w[i];
    e = d;
    d = c;
    c = Rol(b, 30);
    b = a;
    a = t;
  }
  h_[0] += a;
  h_[1] += b;
  h_[2] += c;
  h_[3] += d;
  h_[4] += e;
}

namespace {
struct Sha1Blocks {
  Sha1* s;
  void (Sha1::*fn)(const uint8_t*);
  void BlockFn(const uint8_t* p) { (s->*fn)(p); }
};
struct Sha256Blocks {
  Sha256* s;
  void (Sha256::*fn)(const uint8_t*);
  void BlockFn(const uint8_t* p) { (s->*fn)(p); }
};
}  // namespace

void Sha1::Update(const void* data, size_t len) {
  Sha1Blocks b{this, &Sha1::Block};
  UpdateImpl(&b, buf_, &used_, &total_, data, len);
}

void Sha1::Final(uint8_t digest[20]) {
  Sha1Blocks b{this, &Sha1::Block};
  FinalPad(&b, buf_, used_, total_);
  for (int i = 0; i < 5; ++i) StoreBe32(h_[i], digest + 4 * i);
}

// ---- SHA-256 (FIPS 180-4) ----

Sha256::Sha256()
    : h_{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19} {}

void Sha256::Block(const uint8_t* p) {
  uint32_t w[64];
  for (int i = 0; i < 16; ++i) w[i] = LoadBe32(p + 4 * i);
  for (int i = 16; i < 64; ++i) {
    uint32_t s0 = Ror(w[i - 15], 7) ^ Ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
    uint32_t s1 = Ror(w[i - 2], 17) ^ Ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
    w[i] = w[i - 16] + s0 + w[i - 7] + s1;
  }
  uint32_t a = h_[0], b = h_[1], c = h_[2], d = h_[3], e = h_[4], f = h_[5], g = h_[6], h = h_[7];
  for (int i = 0; i < 64; ++i) {
    uint32_t S1 = Ror(e, 6) ^ Ror(e, 11) ^ Ror(e, 25);
    uint32_t ch = (e & f) ^ (~e & g);
    uint32_t t1 = h + S1 + ch + kK256[i] + w[i];
    uint32_t S0 = Ror(a, 2) ^ Ror(a, 13) ^ Ror(a, 22);
    uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
    uint32_t t2 = S0 + maj;
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h_[0] += a;
  h_[1] += b;
  h_[2] += c;
  h_[3] += d;
  h_[4] += e;
  h_[5] += f;
  h_[6] += g;
  h_[7] += h;
}

void Sha256::Update(const void* data, size_t len) {
  Sha256Blocks b{this, &Sha256::Block};
  UpdateImpl(&b, buf_, &used_, &total_, data, len);
}

void Sha256::Final(uint8_t digest[32]) {
  Sha256Blocks b{this, &Sha256::Block};
  FinalPad(&b, buf_, used_, total_);
  for (int i = 0; i < 8; ++i) StoreBe32(h_[i], digest + 4 * i);
}

// ---- helpers ----

void HexLower(const uint8_t* data, size_t n, char* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[data[i] >> 4];
    out[2 * i + 1] = kHex[data[i] & 0xF];
  }
}

bool ParseUuidOrNamespace(std::string_view t, uint8_t out[16]) {
  // RFC 4122 appendix C namespaces: 6ba7b81x-9dad-11d1-80b4-00c04fd430c8, x = 0 dns, 1 url, 2 oid, 4 x500.
  static constexpr uint8_t kBase[16] = {0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1,
                                        0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
  int which = -1;
  if (t == "dns" || t == "DNS") which = 0;
  if (t == "url" || t == "URL") which = 1;
  if (t == "oid" || t == "OID") which = 2;
  if (t == "x500" || t == "X500") which = 4;
  if (which >= 0) {
    std::memcpy(out, kBase, 16);
    out[3] = static_cast<uint8_t>(0x10 + which);
    return true;
  }
  if (t.size() >= 9 && (t.substr(0, 9) == "urn:uuid:" || t.substr(0, 9) == "URN:UUID:")) t.remove_prefix(9);
  if (t.size() >= 2 && t.front() == '{' && t.back() == '}') t = t.substr(1, t.size() - 2);
  if (t.size() != 36 && t.size() != 32) return false;
  int nibbles = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (t.size() == 36 && (i == 8 || i == 13 || i == 18 || i == 23)) {
      if (c != '-') return false;
      continue;
    }
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else {
      return false;
    }
    if (nibbles % 2 == 0) {
      out[nibbles / 2] = static_cast<uint8_t>(v << 4);
    } else {
      out[nibbles / 2] |= static_cast<uint8_t>(v);
    }
    ++nibbles;
  }
  return nibbles == 32;
}

void Uuid5(const uint8_t ns[16], std::string_view name, char out[36]) {
  // Maps derive many ids per message from one namespace and a long common prefix (message id, time): the
  // SHA-1 state after the first 64-byte block (namespace + 48 bytes of name) is kept per thread and reused
  // when the next call starts the same way.
  constexpr size_t kPrefix = 64 - 16;
  struct FirstBlock {
    bool valid = false;
    uint8_t block[64];
    Sha1 state;
  };
  thread_local FirstBlock cached;
  Sha1 sha;
  if (name.size() >= kPrefix) {
    uint8_t block[64];
    std::memcpy(block, ns, 16);
    std::memcpy(block + 16, name.data(), kPrefix);
    if (cached.valid && std::memcmp(cached.block, block, 64) == 0) {
      sha = cached.state;
    } else {
      sha.Update(block, 64);
      std::memcpy(cached.block, block, 64);
      cached.state = sha;
      cached.valid = true;
    }
    sha.Update(name.data() + kPrefix, name.size() - kPrefix);
  } else {
    sha.Update(ns, 16);
    sha.Update(name.data(), name.size());
  }
  uint8_t d[20];
  sha.Final(d);
  d[6] = static_cast<uint8_t>((d[6] & 0x0F) | 0x50);  // version 5
  d[8] = static_cast<uint8_t>((d[8] & 0x3F) | 0x80);  // RFC 4122 variant
  char hex[32];
  HexLower(d, 16, hex);
  char* p = out;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) *p++ = '-';
    *p++ = hex[i];
  }
}

}  // namespace crosswalk::vm
