#include "bytecode/writer.h"

#include <utility>
#include <vector>

#include "bytecode/file.h"

namespace crosswalk::bytecode {
namespace {

// Appends little-endian fixed-width integers and LEB128 varints (see README.md "Encodings").
class Sink {
 public:
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U16(uint16_t v) {
    U8(v & 0xFF);
    U8(v >> 8);
  }
  void U32(uint32_t v) {
    for (int i = 0; i < 4; ++i) U8((v >> (8 * i)) & 0xFF);
  }
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      U8(static_cast<uint8_t>(v) | 0x80);
      v >>= 7;
    }
    U8(static_cast<uint8_t>(v));
  }
  void Zigzag(int64_t v) { Varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63)); }
  void String(const std::string& s) {
    Varint(s.size());
    out_ += s;
  }
  std::string& bytes() { return out_; }

 private:
  std::string out_;
};

std::string Constants(const Program& p) {
  Sink s;
  s.Varint(p.constants.size());
  for (const Constant& k : p.constants) {
    s.U8(static_cast<uint8_t>(k.tag));
    switch (k.tag) {
      case Constant::Tag::kNull: break;
      case Constant::Tag::kBool: s.U8(k.i != 0 ? 1 : 0); break;
      case Constant::Tag::kInt: s.Zigzag(k.i); break;
      case Constant::Tag::kDecimal:
        s.Zigzag(k.i);
        s.Varint(k.scale);
        break;
      case Constant::Tag::kString: s.String(k.s); break;
    }
  }
  return std::move(s.bytes());
}

std::string Functions(const Program& p) {
  Sink s;
  s.Varint(p.functions.size());
  for (const Function& f : p.functions) {
    s.String(f.name);
    s.Varint(f.num_params);
    s.Varint(f.num_registers);
    s.Varint(f.code_begin);
    s.Varint(f.code_end);
  }
  return std::move(s.bytes());
}

std::string Code(const Program& p) {
  Sink s;
  s.Varint(p.code.size());
  for (uint32_t w : p.code) s.U32(w);
  return std::move(s.bytes());
}

std::string Maps(const Program& p) {
  Sink s;
  s.Varint(p.maps.size());
  for (const MapEntry& m : p.maps) {
    s.String(m.name);
    s.U8(static_cast<uint8_t>(m.source));
    s.U8(static_cast<uint8_t>(m.target));
    s.String(m.message_type);
    s.Varint(m.function);
  }
  return std::move(s.bytes());
}

std::string TermRefs(const Program& p) {
  Sink s;
  s.Varint(p.term_refs.size());
  for (const TermRef& t : p.term_refs) {
    s.U8(static_cast<uint8_t>(t.type));
    s.String(t.url);
    s.String(t.version);
  }
  return std::move(s.bytes());
}

std::string TermBindings(const Program& p) {
  Sink s;
  s.Varint(p.term_bindings.size());
  for (const TermBinding& b : p.term_bindings) {
    s.String(b.version);
    s.U32(static_cast<uint32_t>(b.content_hash));
    s.U32(static_cast<uint32_t>(b.content_hash >> 32));
  }
  return std::move(s.bytes());
}

std::string Files(const Program& p) {
  Sink s;
  s.Varint(p.files.size());
  for (const std::string& f : p.files) s.String(f);
  return std::move(s.bytes());
}

std::string Lines(const Program& p) {
  Sink s;
  s.Varint(p.lines.size());
  for (const LineEntry& e : p.lines) {
    s.Varint(e.pc);
    s.Varint(e.file);
    s.Varint(e.line);
    s.Varint(e.col);
  }
  return std::move(s.bytes());
}

}  // namespace

std::string WriteProgram(const Program& program) {
  std::vector<std::pair<SectionId, std::string>> sections;
  sections.emplace_back(SectionId::kConstants, Constants(program));
  sections.emplace_back(SectionId::kFunctions, Functions(program));
  sections.emplace_back(SectionId::kCode, Code(program));
  sections.emplace_back(SectionId::kMaps, Maps(program));
  sections.emplace_back(SectionId::kTermRefs, TermRefs(program));
  sections.emplace_back(SectionId::kFiles, Files(program));
  sections.emplace_back(SectionId::kLines, Lines(program));
  // Only a program bound to a store has term bindings; without them the file has sections 1-7 only, as
  // files of formats 1-3 do.
  if (!program.term_bindings.empty()) sections.emplace_back(SectionId::kTermBindings, TermBindings(program));

  size_t size = kHeaderSize + sections.size() * kSectionEntrySize;
  for (const auto& [id, body] : sections) size += body.size();

  Sink out;
  out.bytes().reserve(size);
  out.bytes().append(kMagic, sizeof(kMagic));
  out.U16(kFormatVersion);
  out.U16(0);  // flags
  out.U32(static_cast<uint32_t>(sections.size()));
  out.U32(static_cast<uint32_t>(size));
  out.U32(0);  // checksum, patched below
  uint32_t offset = static_cast<uint32_t>(kHeaderSize + sections.size() * kSectionEntrySize);
  for (const auto& [id, body] : sections) {
    out.U32(static_cast<uint32_t>(id));
    out.U32(offset);
    out.U32(static_cast<uint32_t>(body.size()));
    offset += static_cast<uint32_t>(body.size());
  }
  for (const auto& [id, body] : sections) out.bytes() += body;

  std::string bytes = std::move(out.bytes());
  uint32_t crc = Crc32c(std::string_view(bytes).substr(kHeaderSize));
  for (int i = 0; i < 4; ++i) bytes[kChecksumOffset + i] = static_cast<char>((crc >> (8 * i)) & 0xFF);
  return bytes;
}

}  // namespace crosswalk::bytecode
