// Loads a .cwb file into a Program: bounded reader, header and section-table checks, sanity caps,
// then the full verifier (verifier.h). What is checked where: runtime/bytecode/LOADING.md.
#pragma once

#include <cstdint>
#include <string_view>

#include "bytecode/format.h"
#include "bytecode/program.h"
#include "crosswalk/status.h"

namespace crosswalk::bytecode {

// Limits applied while reading, before anything is allocated. Each one, when exceeded, gives
// kLimitExceeded with the limit's name and the byte offset of the count. A limit larger than the
// format's own cap (format.h kMax*) has the effect of that cap, which the verifier enforces (kCorrupt).
struct LoadLimits {
  // Whole file size in bytes. Default 256 MiB.
  uint64_t max_file_bytes = uint64_t{256} << 20;
  // Entries in the constant pool. Default kMaxConstants (2^20).
  uint32_t max_constants = kMaxConstants;
  // Functions. Default kMaxFunctions (2^16).
  uint32_t max_functions = kMaxFunctions;
  // 32-bit code words, all functions together. Default kMaxCodeWords (2^24).
  uint32_t max_code_words = kMaxCodeWords;
  // Bytes in any one string (constants, names, URLs, file names). Default kMaxStringBytes (2^24).
  uint32_t max_string_bytes = kMaxStringBytes;
  // Terminology references. Default kMaxTermRefs (2^16).
  uint32_t max_term_refs = kMaxTermRefs;
  // Map entry points. Default kMaxMaps (2^12).
  uint32_t max_maps = kMaxMaps;
  // Debug line table rows. Default kMaxLineEntries (2^24).
  uint32_t max_line_entries = kMaxLineEntries;
  // Source file names. Default kMaxFiles (2^12).
  uint32_t max_files = kMaxFiles;
  // Check the CRC32C. Default true. Only tests and fuzzers turn it off, to reach the deeper checks
  // with corrupted input.
  bool verify_checksum = true;
};

// Reads and fully verifies a .cwb file. Never crashes on any input and never reads outside `bytes`.
// Returns:
//   kCorrupt        bad magic, checksum, section table, truncation, malformed encoding, or any verifier
//                   failure; the message names the byte offset (Status::context().byte_offset) or, for
//                   verifier failures, the function and pc;
//   kUnimplemented  a format version outside [kMinFormatVersion, kMaxFormatVersion] (checked first
//                   after the magic, so a future layout is never misread);
//   kLimitExceeded  a LoadLimits field was exceeded.
// `bytes` need only live for the call; the Program owns copies.
// Thread-safety: pure function.
Result<Program> ReadProgram(std::string_view bytes, const LoadLimits& limits = {});

}  // namespace crosswalk::bytecode
