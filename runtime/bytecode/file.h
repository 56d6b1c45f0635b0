// The .cwb container layout: header fields, section ids, and the checksum. Shared by the writer
// (WriteProgram) and the bounded reader (ReadProgram). The byte-level specification is README.md in
// this folder; keep the two in step. Not installed for integrators.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace crosswalk::bytecode {

// Header (little-endian, 20 bytes):
//   0  char[4] magic "CWBC"
//   4  u16     format version (kMinFormatVersion..kMaxFormatVersion)
//   6  u16     flags (none defined in version 1; must be 0)
//   8  u32     section count (<= kNumSectionIds)
//  12  u32     file size in bytes (the whole file, header included)
//  16  u32     CRC32C of every byte after the header (section table and sections)
inline constexpr size_t kHeaderSize = 20;
inline constexpr size_t kVersionOffset = 4;
inline constexpr size_t kFlagsOffset = 6;
inline constexpr size_t kSectionCountOffset = 8;
inline constexpr size_t kFileSizeOffset = 12;
inline constexpr size_t kChecksumOffset = 16;

// Section table entry (12 bytes): u32 id, u32 offset (from the start of the file), u32 length.
inline constexpr size_t kSectionEntrySize = 12;

// Order-sensitive: the numeric values are the encoding. Append only.
enum class SectionId : uint32_t {
  kConstants = 1,
  kFunctions = 2,
  kCode = 3,
  kMaps = 4,
  kTermRefs = 5,
  kFiles = 6,
  kLines = 7,
  kTermBindings = 8,  // format 4 on
};
inline constexpr uint32_t kNumSectionIds = 8;
// The first format version that may hold each section (a file of an older version with it is corrupt).
inline constexpr uint16_t kTermBindingsFormat = 4;

// Decimal constants: digits after the point. An int64 mantissa has at most 19 digits.
inline constexpr uint16_t kMaxDecimalScale = 18;

// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), as used by iSCSI and RocksDB's block checksums.
// Guards against accidental damage (truncated copies, flipped bits); it is not a defence against attacks.
// `crc` continues a previous call: Crc32c(b, Crc32c(a)) == Crc32c(a + b).
uint32_t Crc32c(std::string_view bytes, uint32_t crc = 0) noexcept;

}  // namespace crosswalk::bytecode
