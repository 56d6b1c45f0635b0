// The record format of the importer's temporary run files (term/import_sink.cc's spilled entries and
// term/external_sort.cc's sorted runs): lengths as LEB128 varints, then the bytes. Files written and read back
// by the same process; a short read is a truncated file, reported by the caller with its path.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace crosswalk::term {

inline void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// False at end of file or on a varint longer than 64 bits.
inline bool ReadVarint(FILE* f, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    int c = std::getc(f);
    if (c == EOF) return false;
    *v |= static_cast<uint64_t>(c & 0x7f) << shift;
    if ((c & 0x80) == 0) return true;
  }
  return false;
}

// Reads exactly n bytes into *out (resized to n); false on a short read.
inline bool ReadBytes(FILE* f, uint64_t n, std::string* out) {
  out->resize(n);
  return n == 0 || std::fread(out->data(), 1, n, f) == n;
}

}  // namespace crosswalk::term
