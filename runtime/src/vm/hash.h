// SHA-1 (for RFC 4122 name-based UUIDs, version 5) and SHA-256 (the sha256 builtin), written out so the
// runtime needs no crypto library. Incremental; no heap allocation. Not for secrets: SHA-1 is used only
// because RFC 4122 requires it for uuid5.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace crosswalk::vm {

class Sha1 {
 public:
  Sha1();
  void Update(const void* data, size_t len);
  void Final(uint8_t digest[20]);

 private:
  void Block(const uint8_t* p);
  uint32_t h_[5];
  uint64_t total_ = 0;
  uint8_t buf_[64];
  size_t used_ = 0;
};

// SHA-1 blocks use the CPU's SHA instructions (x86 SHA-NI) when it has them, else portable code (the same
// digests). SetSha1Hardware(false) forces the portable code (tests compare the two); returns whether the
// SHA instructions are now in use.
bool SetSha1Hardware(bool enabled);

class Sha256 {
 public:
  Sha256();
  void Update(const void* data, size_t len);
  void Final(uint8_t digest[32]);

 private:
  void Block(const uint8_t* p);
  uint32_t h_[8];
  uint64_t total_ = 0;
  uint8_t buf_[64];
  size_t used_ = 0;
};

// SipHash-2-4 with a 128-bit output (Aumasson and Bernstein; the reference code's siphash() with
// outlen 16): `out` is the reference's 16 output bytes. Keyed, portable, about 1.5 cycles per byte; a
// good hash for telling contents apart, not a cryptographic digest (no claim against crafted collisions).
void SipHash24x128(const void* data, size_t len, const uint8_t key[16], uint8_t out[16]);

// Writes 2*n lower-case hex digits of data into out.
void HexLower(const uint8_t* data, size_t n, char* out);

// Parses a UUID in text form (8-4-4-4-12 hex, optionally "urn:uuid:"-prefixed or in braces, or 32 hex
// digits) or one of RFC 4122's namespace names "dns", "url", "oid", "x500" into 16 bytes.
bool ParseUuidOrNamespace(std::string_view text, uint8_t out[16]);

// RFC 4122 version-5 UUID of `name` in `ns`, as 36 lower-case characters written to out.
void Uuid5(const uint8_t ns[16], std::string_view name, char out[36]);

}  // namespace crosswalk::vm
