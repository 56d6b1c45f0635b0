#include "vm/content_hash.h"

#include <cstring>
#include <string>

#include "vm/builtins_impl.h"
#include "vm/hash.h"

namespace crosswalk::vm {
namespace {

using builtins::Charge;
using builtins::Fail;
using builtins::TextUnits;

constexpr uint8_t kContentHashKey[16] = {'c', 'r', 'o', 's', 's', 'w', 'a', 'l',
                                         'k', '.', 'h', 'a', 's', 'h', '.', '1'};
constexpr std::string_view kFn = "content_hash";

// Writes E(v) (content_hash.h) into a buffer, rolling back what an empty array or object began, as the
// JSON writer does.
class Encoder {
 public:
  Encoder(BuiltinEnv& env, std::string* out) : env_(env), out_(*out) {}

  // True when something was written; false when v encodes to nothing or on failure (failed()).
  bool Put(const Value& v, int depth) {
    switch (v.kind) {
      case ValueKind::kAbsent:
      case ValueKind::kNull: return false;
      case ValueKind::kBool: out_.push_back(v.b ? 't' : 'f'); return true;
      case ValueKind::kInt:
      case ValueKind::kDecimal: {
        char buf[kMaxNumberChars];
        PutText('n', std::string_view(buf, FormatNumber(v, buf)));
        return true;
      }
      case ValueKind::kString:
        if (v.len == 0) return false;
        PutText((v.flags & kFlagNumberText) ? 'n' : 's', v.string());
        return true;
      case ValueKind::kV2: {
        Value d = Deref(env_.value, v);
        return d.kind != ValueKind::kV2 && Put(d, depth);
      }
      case ValueKind::kArray: return PutArray(v.arr, depth);
      case ValueKind::kObject: return PutObject(v.obj, depth);
      case ValueKind::kGroup:
        failed_ = true;
        Fail(env_, kFn, "an HL7 v2 group has no content");
        return false;
    }
    return false;
  }

  bool failed() const { return failed_; }

 private:
  void PutLength(size_t n) {
    while (n >= 0x80) {
      out_.push_back(static_cast<char>(0x80 | (n & 0x7f)));
      n >>= 7;
    }
    out_.push_back(static_cast<char>(n));
  }

  void PutText(char tag, std::string_view s) {
    out_.push_back(tag);
    PutLength(s.size());
    out_.append(s);
    text_bytes_ += s.size();
  }

  // Entering a container of n items or members: the depth limit, and the work so far charged to the run.
  bool Enter(int depth, uint32_t n) {
    if (depth >= kMaxContentHashDepth) {
      failed_ = true;
      Fail(env_, kFn, "value nested too deeply");
      return false;
    }
    uint64_t units = 1 + uint64_t{n} + text_bytes_ / 64;
    text_bytes_ %= 64;
    if (!Charge(env_, kFn, units)) {
      failed_ = true;
      return false;
    }
    return true;
  }

  bool PutArray(const Array* a, int depth) {
    const uint32_t n = a ? a->size : 0;
    if (!Enter(depth, n)) return false;
    const size_t start = out_.size();
    out_.push_back('[');
    bool any = false;
    for (uint32_t i = 0; i < n; ++i) {
      if (Put(a->items[i], depth + 1)) {
        any = true;
      } else if (failed_) {
        return false;
      }
    }
    if (!any) {
      out_.resize(start);
      return false;
    }
    out_.push_back(']');
    return true;
  }

  bool PutObject(const Object* o, int depth) {
    const uint32_t n = o ? o->size : 0;
    if (!Enter(depth, n)) return false;
    const size_t start = out_.size();
    out_.push_back('{');
    bool any = false;
    for (uint32_t i = 0; i < n; ++i) {
      const Member& m = o->members[i];
      if (m.value.kind == ValueKind::kAbsent) continue;
      const size_t mark = out_.size();
      PutLength(m.key.size());
      out_.append(m.key);
      if (Put(m.value, depth + 1)) {
        any = true;
      } else {
        if (failed_) return false;
        out_.resize(mark);
      }
    }
    if (!any) {
      out_.resize(start);
      return false;
    }
    out_.push_back('}');
    return true;
  }

  BuiltinEnv& env_;
  std::string& out_;
  uint64_t text_bytes_ = 0;  // bytes of text not charged yet
  bool failed_ = false;
};

}  // namespace

bool ContentHash(BuiltinEnv& env, const Value& v, uint8_t digest[16], bool* written) {
  thread_local std::string buffer;
  buffer.clear();
  Encoder encoder(env, &buffer);
  *written = encoder.Put(v, 0);
  if (encoder.failed()) return false;
  if (!*written) return true;
  if (!Charge(env, kFn, TextUnits(buffer.size()))) return false;
  // Maps hash the same content many times per message (the shipped maps' PartyId: a party's reference and
  // its entry, the same organisation named by several fields), so the last encodings are kept per thread
  // in a direct-mapped table: a hit is a compare of the encoding instead of hashing it. The slot is picked
  // from the length and three 8-byte samples (cheap; a clash only misses).
  struct MemoEntry {
    std::string encoding;
    uint8_t digest[16];
    bool used = false;
  };
  constexpr size_t kMemoSlots = 64, kMemoMaxBytes = 4096;
  thread_local MemoEntry memo[kMemoSlots];
  MemoEntry* slot = nullptr;
  if (buffer.size() <= kMemoMaxBytes) {
    uint64_t h = buffer.size() * 0x9E3779B97F4A7C15ULL;
    if (buffer.size() >= 8) {
      for (size_t at : {size_t{0}, (buffer.size() - 8) / 2, buffer.size() - 8}) {
        uint64_t w;
        std::memcpy(&w, buffer.data() + at, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
      }
    } else {
      for (char c : buffer) h = (h ^ static_cast<unsigned char>(c)) * 0xff51afd7ed558ccdULL;
    }
    slot = &memo[(h >> 32) % kMemoSlots];
    if (slot->used && slot->encoding == buffer) {
      std::memcpy(digest, slot->digest, 16);
      return true;
    }
  }
  SipHash24x128(buffer.data(), buffer.size(), kContentHashKey, digest);
  if (slot != nullptr) {
    slot->encoding.assign(buffer);
    std::memcpy(slot->digest, digest, 16);
    slot->used = true;
  }
  return true;
}

}  // namespace crosswalk::vm
