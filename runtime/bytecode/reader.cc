// Bounded reader for .cwb files: steps 1-3 of runtime/bytecode/LOADING.md (bounded reads, header and
// section table, sanity caps before allocation), then the verifier (steps 4-7).
#include "bytecode/reader.h"

#include <algorithm>
#include <string>
#include <utility>

#include "bytecode/file.h"
#include "bytecode/verifier.h"

namespace crosswalk::bytecode {
namespace {

Status CorruptAt(size_t offset, std::string what) {
  ErrorContext ctx;
  ctx.byte_offset = offset;
  return Status(StatusCode::kCorrupt, "corrupt .cwb at byte " + std::to_string(offset) + ": " + what,
                std::move(ctx));
}

Status LimitAt(size_t offset, std::string_view limit, uint64_t value, uint64_t max) {
  ErrorContext ctx;
  ctx.byte_offset = offset;
  return Status(StatusCode::kLimitExceeded,
                ".cwb at byte " + std::to_string(offset) + ": " + std::to_string(value) +
                    " exceeds LoadLimits::" + std::string(limit) + " (" + std::to_string(max) + ")",
                std::move(ctx));
}

// A cursor over bytes [pos, end) of the file. Every read is bounds-checked and reports the absolute
// file offset on failure. This is the only code that indexes into the file.
class Cursor {
 public:
  Cursor(std::string_view file, size_t begin, size_t end) : file_(file), pos_(begin), end_(end) {}

  size_t pos() const { return pos_; }
  size_t remaining() const { return end_ - pos_; }

  Status U8(uint8_t* v, const char* what) {
    if (remaining() < 1) return Truncated(what);
    *v = static_cast<uint8_t>(file_[pos_++]);
    return Status::Ok();
  }
  Status U16(uint16_t* v, const char* what) {
    if (remaining() < 2) return Truncated(what);
    *v = static_cast<uint16_t>(Byte(0) | Byte(1) << 8);
    pos_ += 2;
    return Status::Ok();
  }
  Status U32(uint32_t* v, const char* what) {
    if (remaining() < 4) return Truncated(what);
    *v = Byte(0) | Byte(1) << 8 | Byte(2) << 16 | Byte(3) << 24;
    pos_ += 4;
    return Status::Ok();
  }
  // LEB128, at most 10 bytes; bits beyond 64 are an error.
  Status Varint64(uint64_t* v, const char* what) {
    size_t start = pos_;
    uint64_t result = 0;
    for (int shift = 0; shift < 70; shift += 7) {
      if (remaining() < 1) return Truncated(what);
      uint8_t b = static_cast<uint8_t>(file_[pos_++]);
      if (shift == 63 && (b & 0x7E) != 0) return CorruptAt(start, std::string(what) + ": varint overflows 64 bits");
      result |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        *v = result;
        return Status::Ok();
      }
    }
    return CorruptAt(start, std::string(what) + ": varint longer than 10 bytes");
  }
  Status Varint32(uint32_t* v, const char* what) {
    size_t start = pos_;
    uint64_t w = 0;
    CW_RETURN_IF_ERROR(Varint64(&w, what));
    if (w > UINT32_MAX) return CorruptAt(start, std::string(what) + ": value does not fit 32 bits");
    *v = static_cast<uint32_t>(w);
    return Status::Ok();
  }
  Status Zigzag(int64_t* v, const char* what) {
    uint64_t w = 0;
    CW_RETURN_IF_ERROR(Varint64(&w, what));
    *v = static_cast<int64_t>(w >> 1) ^ -static_cast<int64_t>(w & 1);
    return Status::Ok();
  }
  // A varint length, checked against the limit and the bytes left, then the bytes.
  Status String(std::string* s, const char* what, const LoadLimits& limits) {
    size_t start = pos_;
    uint32_t n = 0;
    CW_RETURN_IF_ERROR(Varint32(&n, what));
    if (n > limits.max_string_bytes) return LimitAt(start, "max_string_bytes", n, limits.max_string_bytes);
    if (n > remaining()) return Truncated(what);
    s->assign(file_.substr(pos_, n));
    pos_ += n;
    return Status::Ok();
  }
  // An item count, checked against its limit and against the bytes left (each item takes at least
  // `min_item_bytes`) before the caller reserves anything.
  Status Count(uint32_t* n, const char* what, std::string_view limit_name, uint32_t limit,
               size_t min_item_bytes) {
    size_t start = pos_;
    CW_RETURN_IF_ERROR(Varint32(n, what));
    if (*n > limit) return LimitAt(start, limit_name, *n, limit);
    if (static_cast<uint64_t>(*n) * min_item_bytes > remaining()) {
      return CorruptAt(start, std::string(what) + " " + std::to_string(*n) + " exceeds the " +
                                  std::to_string(remaining()) + " bytes left in the section");
    }
    return Status::Ok();
  }
  Status ExpectEnd(const char* section) const {
    if (pos_ != end_) return CorruptAt(pos_, std::string("trailing bytes in the ") + section + " section");
    return Status::Ok();
  }

 private:
  uint32_t Byte(size_t i) const { return static_cast<uint8_t>(file_[pos_ + i]); }
  Status Truncated(const char* what) const { return CorruptAt(pos_, std::string("truncated ") + what); }

  std::string_view file_;
  size_t pos_;
  size_t end_;
};

Status ReadConstants(Cursor& c, const LoadLimits& l, Program& p) {
  uint32_t n = 0;
  CW_RETURN_IF_ERROR(c.Count(&n, "constant count", "max_constants", l.max_constants, 1));
  p.constants.resize(n);
  for (Constant& k : p.constants) {
    size_t at = c.pos();
    uint8_t tag = 0;
    CW_RETURN_IF_ERROR(c.U8(&tag, "constant tag"));
    k.tag = static_cast<Constant::Tag>(tag);
    switch (k.tag) {
      case Constant::Tag::kNull: break;
      case Constant::Tag::kBool: {
        uint8_t b = 0;
        CW_RETURN_IF_ERROR(c.U8(&b, "bool constant"));
        k.i = b;  // 0 or 1, checked by the verifier
        break;
      }
      case Constant::Tag::kInt: CW_RETURN_IF_ERROR(c.Zigzag(&k.i, "int constant")); break;
      case Constant::Tag::kDecimal: {
        CW_RETURN_IF_ERROR(c.Zigzag(&k.i, "decimal mantissa"));
        size_t scale_at = c.pos();
        uint32_t scale = 0;
        CW_RETURN_IF_ERROR(c.Varint32(&scale, "decimal scale"));
        // Only the width is the reader's business; the verifier checks the range.
        if (scale > UINT16_MAX) return CorruptAt(scale_at, "decimal scale does not fit 16 bits");
        k.scale = static_cast<uint16_t>(scale);
        break;
      }
      case Constant::Tag::kString: CW_RETURN_IF_ERROR(c.String(&k.s, "string constant", l)); break;
      default: return CorruptAt(at, "unknown constant tag " + std::to_string(tag));
    }
  }
  return Status::Ok();
}

Status ReadFunctions(Cursor& c, const LoadLimits& l, Program& p) {
  uint32_t n = 0;
  CW_RETURN_IF_ERROR(c.Count(&n, "function count", "max_functions", l.max_functions, 5));
  p.functions.resize(n);
  for (Function& f : p.functions) {
    CW_RETURN_IF_ERROR(c.String(&f.name, "function name", l));
    CW_RETURN_IF_ERROR(c.Varint32(&f.num_params, "function num_params"));
    CW_RETURN_IF_ERROR(c.Varint32(&f.num_registers, "function num_registers"));
    CW_RETURN_IF_ERROR(c.Varint32(&f.code_begin, "function code_begin"));
    CW_RETURN_IF_ERROR(c.Varint32(&f.code_end, "function code_end"));
  }
  return Status::Ok();
}

Status ReadCode(Cursor& c, const LoadLimits& l, Program& p) {
  uint32_t n = 0;
  CW_RETURN_IF_ERROR(c.Count(&n, "code word count", "max_code_words", l.max_code_words, 4));
  p.code.resize(n);
  for (uint32_t& w : p.code) CW_RETURN_IF_ERROR(c.U32(&w, "code word"));
  return Status::Ok();
}

Status ReadMaps(Cursor& c, const LoadLimits& l, Program& p) {
  uint32_t n = 0;
  CW_RETURN_IF_ERROR(c.Count(&n, "map count", "max_maps", l.max_maps, 5));
  p.maps.resize(n);
  for (MapEntry& m : p.maps) {
    uint8_t source = 0, target = 0;
    CW_RETURN_IF_ERROR(c.String(&m.name, "map name", l));
    CW_RETURN_IF_ERROR(c.U8(&source, "map source kind"));
    CW_RETURN_IF_ERROR(c.U8(&target, "map target kind"));
    m.source = static_cast<Kind>(source);  // range checked by the verifier
    m.target = static_cast<Kind>(target);
    CW_RETURN_IF_ERROR(c.String(&m.message_type, "map message type", l));
    CW_RETURN_IF_ERROR(c.Varint32(&m.function, "map function"));
  }
  return Status::Ok();
}

Status ReadTermRefs(Cursor& c, const LoadLimits& l, Program& p) {
  uint32_t n = 0;
  CW_RETURN_IF_ERROR(c.Count(&n, "term ref count", "max_term_refs", l.max_term_refs, 3));
  p.term_refs.resize(n);
  for (TermRef& t : p.term_refs) {
    uint8_t type = 0;
    CW_RETURN_IF_ERROR(c.U8(&type, "term ref type"));
    t.type = static_cast<TermRef::Type>(type);  // range checked by the verifier
    CW_RETURN_IF_ERROR(c.String(&t.url, "term ref url", l));
    CW_RETURN_IF_ERROR(c.String(&t.version, "term ref version", l));
  }
  return Status::Ok();
}

// Term bindings: a string version and a u64 content hash (two u32, low half first) per term ref.
Status ReadTermBindings(Cursor& c, const LoadLimits& l, Program& p) {
  uint32_t n = 0;
  CW_RETURN_IF_ERROR(c.Count(&n, "term binding count", "max_term_refs", l.max_term_refs, 9));
  p.term_bindings.resize(n);
  for (TermBinding& b : p.term_bindings) {
    CW_RETURN_IF_ERROR(c.String(&b.version, "term binding version", l));
    uint32_t lo = 0, hi = 0;
    CW_RETURN_IF_ERROR(c.U32(&lo, "term binding hash"));
    CW_RETURN_IF_ERROR(c.U32(&hi, "term binding hash"));
    b.content_hash = uint64_t{hi} << 32 | lo;
  }
  return Status::Ok();
}

Status ReadFiles(Cursor& c, const LoadLimits& l, Program& p) {
  uint32_t n = 0;
  CW_RETURN_IF_ERROR(c.Count(&n, "file count", "max_files", l.max_files, 1));
  p.files.resize(n);
  for (std::string& f : p.files) CW_RETURN_IF_ERROR(c.String(&f, "file name", l));
  return Status::Ok();
}

Status ReadLines(Cursor& c, const LoadLimits& l, Program& p) {
  uint32_t n = 0;
  CW_RETURN_IF_ERROR(c.Count(&n, "line entry count", "max_line_entries", l.max_line_entries, 4));
  p.lines.resize(n);
  for (LineEntry& e : p.lines) {
    CW_RETURN_IF_ERROR(c.Varint32(&e.pc, "line entry pc"));
    CW_RETURN_IF_ERROR(c.Varint32(&e.file, "line entry file"));
    CW_RETURN_IF_ERROR(c.Varint32(&e.line, "line entry line"));
    CW_RETURN_IF_ERROR(c.Varint32(&e.col, "line entry col"));
  }
  return Status::Ok();
}

using SectionReader = Status (*)(Cursor&, const LoadLimits&, Program&);
constexpr SectionReader kSectionReaders[kNumSectionIds] = {
    ReadConstants, ReadFunctions, ReadCode, ReadMaps, ReadTermRefs, ReadFiles, ReadLines, ReadTermBindings,
};
constexpr const char* kSectionNames[kNumSectionIds] = {
    "constants", "functions", "code", "maps", "term refs", "files", "lines", "term bindings",
};

Result<Program> Read(std::string_view bytes, LoadLimits limits) {
  // The format's own caps bound every limit (README.md "Limits").
  limits.max_constants = std::min(limits.max_constants, kMaxConstants);
  limits.max_functions = std::min(limits.max_functions, kMaxFunctions);
  limits.max_code_words = std::min(limits.max_code_words, kMaxCodeWords);
  limits.max_string_bytes = std::min(limits.max_string_bytes, kMaxStringBytes);
  limits.max_term_refs = std::min(limits.max_term_refs, kMaxTermRefs);
  limits.max_maps = std::min(limits.max_maps, kMaxMaps);
  limits.max_line_entries = std::min(limits.max_line_entries, kMaxLineEntries);
  limits.max_files = std::min(limits.max_files, kMaxFiles);

  if (bytes.size() > limits.max_file_bytes) return LimitAt(0, "max_file_bytes", bytes.size(), limits.max_file_bytes);

  // ---- header ----
  if (bytes.size() < sizeof(kMagic) || bytes.substr(0, sizeof(kMagic)) != std::string_view(kMagic, sizeof(kMagic))) {
    return CorruptAt(0, "bad magic (not a .cwb file)");
  }
  Cursor h(bytes, sizeof(kMagic), bytes.size());
  uint16_t version = 0, flags = 0;
  uint32_t section_count = 0, file_size = 0, checksum = 0;
  CW_RETURN_IF_ERROR(h.U16(&version, "header (format version)"));
  if (version < kMinFormatVersion || version > kMaxFormatVersion) {
    ErrorContext ctx;
    ctx.byte_offset = kVersionOffset;
    return Status(StatusCode::kUnimplemented,
                  ".cwb format version " + std::to_string(version) + " is not supported (this build reads " +
                      std::to_string(kMinFormatVersion) + ".." + std::to_string(kMaxFormatVersion) + ")",
                  std::move(ctx));
  }
  CW_RETURN_IF_ERROR(h.U16(&flags, "header (flags)"));
  CW_RETURN_IF_ERROR(h.U32(&section_count, "header (section count)"));
  CW_RETURN_IF_ERROR(h.U32(&file_size, "header (file size)"));
  CW_RETURN_IF_ERROR(h.U32(&checksum, "header (checksum)"));
  if (file_size != bytes.size()) {
    return CorruptAt(kFileSizeOffset, "header says " + std::to_string(file_size) + " bytes, file has " +
                                          std::to_string(bytes.size()) + " (truncated or padded)");
  }
  if (limits.verify_checksum) {
    uint32_t actual = Crc32c(bytes.substr(kHeaderSize));
    if (actual != checksum) return CorruptAt(kChecksumOffset, "checksum mismatch (file damaged)");
  }
  if (flags != 0) return CorruptAt(kFlagsOffset, "unknown flags " + std::to_string(flags));
  if (section_count > kNumSectionIds) {
    return CorruptAt(kSectionCountOffset, "section count " + std::to_string(section_count) + " exceeds " +
                                              std::to_string(kNumSectionIds));
  }

  // ---- section table: known ids, strictly increasing, contiguous, covering the file exactly ----
  struct Section {
    uint32_t id = 0, offset = 0, length = 0;
  };
  Section sections[kNumSectionIds];
  uint64_t expected = kHeaderSize + uint64_t{section_count} * kSectionEntrySize;
  if (expected > bytes.size()) return CorruptAt(kHeaderSize, "section table runs past the end of the file");
  uint32_t prev_id = 0;
  for (uint32_t i = 0; i < section_count; ++i) {
    size_t at = h.pos();
    Section& s = sections[i];
    CW_RETURN_IF_ERROR(h.U32(&s.id, "section table"));
    CW_RETURN_IF_ERROR(h.U32(&s.offset, "section table"));
    CW_RETURN_IF_ERROR(h.U32(&s.length, "section table"));
    if (s.id == 0 || s.id > kNumSectionIds) return CorruptAt(at, "unknown section id " + std::to_string(s.id));
    if (s.id <= prev_id) return CorruptAt(at, "section id " + std::to_string(s.id) + " duplicated or out of order");
    if (s.id == static_cast<uint32_t>(SectionId::kTermBindings) && version < kTermBindingsFormat) {
      return CorruptAt(at, "section id " + std::to_string(s.id) + " (term bindings) in a format " +
                               std::to_string(version) + " file (format " + std::to_string(kTermBindingsFormat) +
                               " on)");
    }
    prev_id = s.id;
    if (s.offset < expected) return CorruptAt(at + 4, "section " + std::to_string(s.id) + " overlaps what precedes it");
    if (s.offset > expected) return CorruptAt(at + 4, "gap before section " + std::to_string(s.id));
    expected += s.length;
    if (expected > bytes.size()) return CorruptAt(at + 8, "section " + std::to_string(s.id) + " runs past the end of the file");
  }
  if (expected != bytes.size()) return CorruptAt(static_cast<size_t>(expected), "trailing bytes after the last section");

  // ---- sections (a missing section is empty) ----
  Program program;
  for (uint32_t i = 0; i < section_count; ++i) {
    const Section& s = sections[i];
    Cursor c(bytes, s.offset, size_t{s.offset} + s.length);
    CW_RETURN_IF_ERROR(kSectionReaders[s.id - 1](c, limits, program));
    CW_RETURN_IF_ERROR(c.ExpectEnd(kSectionNames[s.id - 1]));
  }

  CW_RETURN_IF_ERROR(VerifyProgram(program, version));
  return program;
}

}  // namespace

Result<Program> ReadProgram(std::string_view bytes, const LoadLimits& limits) {
  try {
    return Read(bytes, limits);
  } catch (const std::bad_alloc&) {
    return Status(StatusCode::kLimitExceeded, ".cwb load ran out of memory");
  }
}

}  // namespace crosswalk::bytecode
