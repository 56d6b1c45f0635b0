#include "vm/er7_output.h"

#include <charconv>

#include "json/json_writer.h"

namespace crosswalk::vm {
namespace {

bool FieldNumber(std::string_view key, int* n) {
  auto [p, ec] = std::from_chars(key.data(), key.data() + key.size(), *n);
  return ec == std::errc() && p == key.data() + key.size() && *n >= 1 && *n <= 4095;
}

// Keys and segment ids may come from the input (a spread): an error names them only when they have the
// shape of a name, never as the sender wrote them (no message content in errors).
std::string Shown(std::string_view s) {
  bool name = !s.empty() && s.size() <= 32;
  for (char c : s) {
    name = name && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  }
  return name ? std::string(s) : std::string("(not shown)");
}

std::string Where(int ordinal, std::string_view id) {
  return "segment " + std::to_string(ordinal) + " (" + Shown(id) + ")";
}

class Er7Builder {
 public:
  Er7Builder(const ValueEnv& env, hl7v2::Writer* w) : env_(env), w_(w) {}

  Status Segment(int ordinal, const Value& seg) {
    if (seg.kind != ValueKind::kObject) {
      return InvalidArgument("hl7v2 output: segment " + std::to_string(ordinal) + " is not an object");
    }
    Value id = Deref(env_, ObjectGet(seg.obj, "id"));
    if (id.kind != ValueKind::kString || id.len != 3) {
      return InvalidArgument("hl7v2 output: segment " + std::to_string(ordinal) +
                             " needs an `id` of three characters");
    }
    std::string_view sid = id.string();
    CW_RETURN_IF_ERROR(w_->BeginSegment(sid));
    for (uint32_t i = 0; i < seg.obj->size; ++i) {
      const Member& m = seg.obj->members[i];
      if (m.key == "id") continue;
      int field = 0;
      if (!FieldNumber(m.key, &field)) {
        return InvalidArgument("hl7v2 output: " + Where(ordinal, sid) + " has key '" + Shown(m.key) +
                               "', which is not a field number");
      }
      Value v = Deref(env_, m.value);
      if (v.kind == ValueKind::kArray) {
        for (uint32_t r = 0; r < v.arr->size; ++r) {
          CW_RETURN_IF_ERROR(Node(ordinal, sid, field, static_cast<int>(r) + 1, 0, 0, v.arr->items[r], 1));
        }
      } else {
        CW_RETURN_IF_ERROR(Node(ordinal, sid, field, 1, 0, 0, v, 1));
      }
    }
    return Status::Ok();
  }

 private:
  // level 1: a repetition (components below); level 2: a component (subcomponents below); 3: leaf.
  Status Node(int ordinal, std::string_view sid, int field, int rep, int comp, int sub, const Value& raw,
              int level) {
    Value v = Deref(env_, raw);
    if (v.kind == ValueKind::kAbsent || v.kind == ValueKind::kNull) return Status::Ok();
    if (v.kind == ValueKind::kObject) {
      if (level >= 3) {
        return InvalidArgument("hl7v2 output: " + Where(ordinal, sid) + " field " + std::to_string(field) +
                               " nests deeper than subcomponents");
      }
      for (uint32_t i = 0; i < v.obj->size; ++i) {
        int n = 0;
        if (!FieldNumber(v.obj->members[i].key, &n) || n > 255) {
          return InvalidArgument("hl7v2 output: " + Where(ordinal, sid) + " field " + std::to_string(field) +
                                 " has key '" + Shown(v.obj->members[i].key) + "', which is not a number");
        }
        CW_RETURN_IF_ERROR(Node(ordinal, sid, field, rep, level == 1 ? n : comp, level == 2 ? n : sub,
                                v.obj->members[i].value, level + 1));
      }
      return Status::Ok();
    }
    if (v.kind == ValueKind::kArray) {
      return InvalidArgument("hl7v2 output: " + Where(ordinal, sid) + " field " + std::to_string(field) +
                             " has an array inside a repetition");
    }
    std::string_view text = ToString(env_, v);
    if (text.empty()) return Status::Ok();
    return w_->Set(field, rep, comp ? comp : 1, sub ? sub : 1, text);
  }

  const ValueEnv& env_;
  hl7v2::Writer* w_;
};

}  // namespace

Status WriteEr7(const ValueEnv& env, const Value& root, hl7v2::Writer* writer, std::string* out) {
  Value segs = root;
  if (root.kind == ValueKind::kObject) segs = ObjectGet(root.obj, "segments");
  if (segs.kind != ValueKind::kArray || segs.arr->size == 0) {
    return InvalidArgument("hl7v2 output: the map produced no `segments`");
  }
  writer->Reset();
  Er7Builder b(env, writer);
  for (uint32_t i = 0; i < segs.arr->size; ++i) {
    CW_RETURN_IF_ERROR(b.Segment(static_cast<int>(i) + 1, segs.arr->items[i]));
  }
  std::string_view text = writer->Finish();
  out->assign(text.data(), text.size());
  return Status::Ok();
}

}  // namespace crosswalk::vm
