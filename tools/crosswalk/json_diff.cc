#include "json_diff.h"

#include <string_view>

#include "json/json_writer.h"
#include "value/arena.h"

namespace crosswalk::cli {
namespace {

bool IsIdentifier(std::string_view key) {
  if (key.empty() || (key[0] >= '0' && key[0] <= '9')) return false;
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string MemberPath(const std::string& parent, std::string_view key) {
  std::string p = parent;
  if (IsIdentifier(key)) {
    p += '.';
    p += key;
  } else {
    p += '[';
    vm::AppendJsonString(key, &p);
    p += ']';
  }
  return p;
}

std::string Show(const vm::Value& v) {
  std::string text;
  vm::JsonWriteOptions options;
  options.fhir_absent_rules = false;
  vm::Arena unused;
  if (!vm::WriteJson(vm::ValueEnv{&unused}, v, &text, options).ok()) text = "(no JSON form)";
  if (text.size() > kMaxShownBytes) {
    text.resize(kMaxShownBytes);
    text += "...";
  }
  return text;
}

// Scalars equal as written: same kind and same bits (decimals by mantissa and scale, so 1.50 != 1.5).
bool SameScalar(const vm::Value& a, const vm::Value& b) {
  if (a.kind != b.kind || a.flags != b.flags) return false;
  switch (a.kind) {
    case vm::ValueKind::kNull:
      return true;
    case vm::ValueKind::kBool:
      return a.b == b.b;
    case vm::ValueKind::kInt:
      return a.i == b.i;
    case vm::ValueKind::kDecimal:
      return a.i == b.i && a.aux == b.aux;
    case vm::ValueKind::kString:
      return a.string() == b.string();
    default:
      return false;
  }
}

struct Differ {
  size_t max;
  std::vector<JsonDifference>* out;
  size_t count = 0;

  void Add(const std::string& path, const vm::Value* expected, const vm::Value* actual) {
    if (count++ >= max) return;
    out->push_back({path, expected ? Show(*expected) : std::string(), actual ? Show(*actual) : std::string()});
  }

  void Walk(const std::string& path, const vm::Value& e, const vm::Value& a) {
    using vm::ValueKind;
    if (e.kind == ValueKind::kObject && a.kind == ValueKind::kObject) {
      for (uint32_t i = 0; i < e.obj->size; ++i) {
        const vm::Member& m = e.obj->members[i];
        vm::Value other = vm::ObjectGet(a.obj, m.key);
        if (other.is_absent()) {
          Add(MemberPath(path, m.key), &m.value, nullptr);
        } else {
          Walk(MemberPath(path, m.key), m.value, other);
        }
      }
      for (uint32_t i = 0; i < a.obj->size; ++i) {
        const vm::Member& m = a.obj->members[i];
        if (vm::ObjectGet(e.obj, m.key).is_absent()) Add(MemberPath(path, m.key), nullptr, &m.value);
      }
      return;
    }
    if (e.kind == ValueKind::kArray && a.kind == ValueKind::kArray) {
      uint32_t n = e.arr->size > a.arr->size ? e.arr->size : a.arr->size;
      for (uint32_t i = 0; i < n; ++i) {
        std::string item = path + "[" + std::to_string(i) + "]";
        if (i >= a.arr->size) {
          Add(item, &e.arr->items[i], nullptr);
        } else if (i >= e.arr->size) {
          Add(item, nullptr, &a.arr->items[i]);
        } else {
          Walk(item, e.arr->items[i], a.arr->items[i]);
        }
      }
      return;
    }
    if (!SameScalar(e, a)) Add(path, &e, &a);
  }
};

}  // namespace

size_t DiffJson(const vm::Value& expected, const vm::Value& actual, size_t max, std::vector<JsonDifference>* out) {
  Differ d{max, out};
  d.Walk("$", expected, actual);
  return d.count;
}

std::string DescribeDifference(const JsonDifference& d) {
  if (d.actual.empty()) return d.path + ": missing (expected " + d.expected + ")";
  if (d.expected.empty()) return d.path + ": unexpected " + d.actual;
  return d.path + ": expected " + d.expected + ", got " + d.actual;
}

}  // namespace crosswalk::cli
