#include "json_diff.h"

#include <nlohmann/json.hpp>
#include <string_view>
#include <unordered_map>

namespace crosswalk::cli {
namespace {

using nlohmann::json;

// Builds a JsonNode from nlohmann's SAX events, keeping each number's text.
class TreeBuilder : public nlohmann::json_sax<json> {
 public:
  explicit TreeBuilder(JsonNode* root) : root_(root) {}
  std::string error;

  bool null() override { return Put(JsonNode{}); }
  bool boolean(bool v) override {
    JsonNode n;
    n.kind = JsonNode::Kind::kBool;
    n.boolean = v;
    return Put(std::move(n));
  }
  bool number_integer(number_integer_t v) override { return Number(JsonNode::Kind::kInteger, std::to_string(v)); }
  bool number_unsigned(number_unsigned_t v) override { return Number(JsonNode::Kind::kInteger, std::to_string(v)); }
  bool number_float(number_float_t, const string_t& text) override { return Number(JsonNode::Kind::kDecimal, text); }
  bool string(string_t& v) override {
    JsonNode n;
    n.kind = JsonNode::Kind::kString;
    n.text = std::move(v);
    return Put(std::move(n));
  }
  bool binary(binary_t&) override { return false; }  // not produced when parsing JSON text
  bool start_object(std::size_t) override { return Open(JsonNode::Kind::kObject); }
  bool key(string_t& k) override {
    stack_.back()->members.emplace_back(std::move(k), JsonNode{});
    return true;
  }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override { return Open(JsonNode::Kind::kArray); }
  bool end_array() override { return Close(); }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) override {
    // e.what() quotes the last token read, which is content: keep only the reason after its last ": ".
    std::string_view what = e.what();
    size_t colon = what.rfind(": ");
    error = "byte " + std::to_string(position) + ": " +
            std::string(colon == std::string_view::npos ? what : what.substr(colon + 2));
    return false;
  }

 private:
  // Where the next value goes: the root, the last member of an open object, or a new item of an open array.
  JsonNode* Slot() {
    if (stack_.empty()) return root_;
    JsonNode* top = stack_.back();
    if (top->kind == JsonNode::Kind::kObject) return &top->members.back().second;
    top->items.emplace_back();
    return &top->items.back();
  }
  bool Put(JsonNode n) {
    *Slot() = std::move(n);
    return true;
  }
  bool Number(JsonNode::Kind kind, std::string text) {
    JsonNode n;
    n.kind = kind;
    n.text = std::move(text);
    return Put(std::move(n));
  }
  bool Open(JsonNode::Kind kind) {
    if (stack_.size() >= kMaxJsonDepth) {
      error = "nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
      return false;
    }
    JsonNode* n = Slot();
    n->kind = kind;
    stack_.push_back(n);
    return true;
  }
  bool Close() {
    stack_.pop_back();
    return true;
  }

  JsonNode* root_;
  std::vector<JsonNode*> stack_;  // open arrays and objects; pointers stay valid: a parent grows only
                                  // after its open child is closed
};

bool IsIdentifier(std::string_view key) {
  if (key.empty() || (key[0] >= '0' && key[0] <= '9')) return false;
  for (char c : key) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string Quote(std::string_view s) { return json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace); }

std::string MemberPath(const std::string& parent, std::string_view key) {
  if (IsIdentifier(key)) return parent + "." + std::string(key);
  return parent + "[" + Quote(key) + "]";
}

// Compact JSON of `n`, stopping once `limit` bytes are written.
void Write(const JsonNode& n, size_t limit, std::string* out) {
  if (out->size() > limit) return;
  switch (n.kind) {
    case JsonNode::Kind::kNull:
      *out += "null";
      return;
    case JsonNode::Kind::kBool:
      *out += n.boolean ? "true" : "false";
      return;
    case JsonNode::Kind::kInteger:
    case JsonNode::Kind::kDecimal:
      *out += n.text;
      return;
    case JsonNode::Kind::kString:
      *out += Quote(n.text);
      return;
    case JsonNode::Kind::kArray:
      *out += '[';
      for (size_t i = 0; i < n.items.size() && out->size() <= limit; ++i) {
        if (i > 0) *out += ',';
        Write(n.items[i], limit, out);
      }
      *out += ']';
      return;
    case JsonNode::Kind::kObject:
      *out += '{';
      for (size_t i = 0; i < n.members.size() && out->size() <= limit; ++i) {
        if (i > 0) *out += ',';
        *out += Quote(n.members[i].first);
        *out += ':';
        Write(n.members[i].second, limit, out);
      }
      *out += '}';
      return;
  }
}

std::string Show(const JsonNode& n) {
  std::string text;
  Write(n, kMaxShownBytes, &text);
  if (text.size() > kMaxShownBytes) {
    text.resize(kMaxShownBytes);
    text += "...";
  }
  return text;
}

bool SameScalar(const JsonNode& a, const JsonNode& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case JsonNode::Kind::kNull:
      return true;
    case JsonNode::Kind::kBool:
      return a.boolean == b.boolean;
    case JsonNode::Kind::kInteger:
    case JsonNode::Kind::kDecimal:
    case JsonNode::Kind::kString:
      return a.text == b.text;
    default:
      return false;
  }
}

using Index = std::unordered_map<std::string_view, const JsonNode*>;

Index IndexOf(const JsonNode& object) {
  Index index;
  index.reserve(object.members.size());
  for (const auto& [key, value] : object.members) index.emplace(key, &value);  // the first of duplicate keys
  return index;
}

struct Differ {
  size_t max;
  std::vector<JsonDifference>* out;
  size_t count = 0;

  void Add(const std::string& path, const JsonNode* expected, const JsonNode* actual) {
    if (count++ >= max) return;
    out->push_back({path, expected ? Show(*expected) : std::string(), actual ? Show(*actual) : std::string()});
  }

  void Walk(const std::string& path, const JsonNode& e, const JsonNode& a) {
    if (e.kind == JsonNode::Kind::kObject && a.kind == JsonNode::Kind::kObject) {
      Index in_a = IndexOf(a), in_e = IndexOf(e);
      for (const auto& [key, value] : e.members) {
        auto other = in_a.find(key);
        if (other == in_a.end()) {
          Add(MemberPath(path, key), &value, nullptr);
        } else {
          Walk(MemberPath(path, key), value, *other->second);
        }
      }
      for (const auto& [key, value] : a.members) {
        if (in_e.count(key) == 0) Add(MemberPath(path, key), nullptr, &value);
      }
      return;
    }
    if (e.kind == JsonNode::Kind::kArray && a.kind == JsonNode::Kind::kArray) {
      size_t n = e.items.size() > a.items.size() ? e.items.size() : a.items.size();
      for (size_t i = 0; i < n; ++i) {
        std::string item = path + "[" + std::to_string(i) + "]";
        if (i >= a.items.size()) {
          Add(item, &e.items[i], nullptr);
        } else if (i >= e.items.size()) {
          Add(item, nullptr, &a.items[i]);
        } else {
          Walk(item, e.items[i], a.items[i]);
        }
      }
      return;
    }
    if (!SameScalar(e, a)) Add(path, &e, &a);
  }
};

}  // namespace

bool ParseJson(std::string_view text, JsonNode* out, std::string* error) {
  *out = JsonNode{};
  TreeBuilder builder(out);
  bool ok = json::sax_parse(text.begin(), text.end(), &builder);
  if (!ok) *error = builder.error.empty() ? "not JSON" : builder.error;
  return ok;
}

size_t DiffJson(const JsonNode& expected, const JsonNode& actual, size_t max, std::vector<JsonDifference>* out) {
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
