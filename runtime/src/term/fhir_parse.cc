// FHIR R4 CodeSystem / ValueSet / ConceptMap JSON -> Resource (one resource, a Bundle, or NDJSON).
//
// Every error names where it is: "file:line:col" for JSON syntax, "file[:line] at /json/pointer" for a
// resource that is well-formed JSON but unusable, never the document's text (keywords such as an unknown
// equivalence are quoted only when short and plain). nlohmann/json exceptions stay inside this file.
//
// The door: DomBuilder (below) builds the document from nlohmann's SAX events with the checks the
// runtime's JSON reader makes and nlohmann/json does not: nesting at most kMaxImportJsonDepth, no
// duplicate key in one object, every number finite. Past the door the recursive walkers (nested
// concepts, nested expansion.contains, Bundles in Bundles) recurse at most kMaxImportJsonDepth / 2 deep.
#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "term/import_sink.h"
#include "term/model.h"

namespace crosswalk::term {
namespace {

using nlohmann::json;

class Ctx {
 public:
  Ctx(const std::string& file, uint64_t line) : file_(file), line_(line) {}
  std::string Where(const std::string& pointer) const {
    std::string w = file_;
    if (line_ > 0) w += fmt::format(":{}", line_);
    w += " at ";
    w += pointer.empty() ? std::string("/") : pointer;
    return w;
  }
  Status Error(const std::string& pointer, std::string_view what) const {
    return InvalidArgument(fmt::format("{}: {}", Where(pointer), what));
  }
  std::string Origin() const { return line_ > 0 ? fmt::format("{}:{}", file_, line_) : file_; }

 private:
  const std::string& file_;
  uint64_t line_;
};

bool HasNul(std::string_view s) { return s.find('\0') != std::string_view::npos; }

// One JSON pointer segment (RFC 6901: '~' -> "~0", '/' -> "~1"); control characters become '?' so a
// pointer never carries terminal escapes.
void AppendSegment(std::string* out, std::string_view key) {
  out->push_back('/');
  for (char c : key) {
    if (c == '~') {
      out->append("~0");
    } else if (c == '/') {
      out->append("~1");
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
      out->push_back('?');
    } else {
      out->push_back(c);
    }
  }
}

// Builds a json document from SAX events, checking what nlohmann/json lets through (see the file
// comment). It keeps one container pointer and one key per open level, so memory is linear in the
// nesting, and it never recurses. After a failure, `failure()` says what and where.
class DomBuilder final : public json::json_sax_t {
 public:
  enum class Failure { kNone, kSyntax, kNumberRange, kDepth, kDuplicateKey, kElement };

  // Where a closing element is: an element of an array member of the root object (/concept/7, /entry/3:
  // member "concept", index 7, outer null); an element of an array member of such an element
  // (/group/2/element/5: member "group", outer the open group object, outer_index 2, sub "element", index 5);
  // or an element of an array member of an object member of the root (/expansion/contains/4: member
  // "expansion", outer the open expansion object, outer_index 0, sub "contains", index 4).
  struct At {
    const json& root;
    const std::string& member;
    const json* outer;
    size_t outer_index;
    const std::string& sub;
    size_t index;
  };
  // Called when such an element closes. Returning true means the element was consumed: it is replaced by
  // null, so a large document never exists whole in memory. A non-Ok status stops the parse (failure()
  // kElement, element_status()).
  using ElementHook = std::function<Result<bool>(const At& at, const json& element)>;

  explicit DomBuilder(json* root, ElementHook hook = nullptr) : root_(root), hook_(std::move(hook)) {}

  bool null() override { return Place(json(nullptr)) != nullptr; }
  bool boolean(bool v) override { return Place(json(v)) != nullptr; }
  bool number_integer(number_integer_t v) override { return Place(json(v)) != nullptr; }
  bool number_unsigned(number_unsigned_t v) override { return Place(json(v)) != nullptr; }
  bool number_float(number_float_t v, const string_t& /*text*/) override { return Place(json(v)) != nullptr; }
  bool string(string_t& v) override { return Place(json(std::move(v))) != nullptr; }
  bool binary(binary_t& /*v*/) override { return Fail(Failure::kSyntax, 0); }  // not produced by JSON text
  bool start_object(std::size_t /*elements*/) override { return Open(json::value_t::object); }
  bool start_array(std::size_t /*elements*/) override { return Open(json::value_t::array); }
  bool end_object() override { return Close(); }
  bool end_array() override { return Close(); }
  bool key(string_t& k) override {
    json& obj = *stack_.back();
    keys_.back() = k;
    if (obj.contains(k)) {
      pointer_ = Pointer();
      return Fail(Failure::kDuplicateKey, 0);
    }
    pending_ = &obj[k];
    return true;
  }
  bool parse_error(std::size_t position, const std::string& last_token,
                   const nlohmann::detail::exception& ex) override {
    // 406: a number that does not fit a double (1e999999). Point at its first byte.
    if (ex.id == 406) return Fail(Failure::kNumberRange, position >= last_token.size() ? position - last_token.size() : 0);
    return Fail(Failure::kSyntax, position > 0 ? position - 1 : 0);
  }

  Failure failure() const { return failure_; }
  size_t byte() const { return byte_; }  // 0-based offset, for kSyntax and kNumberRange
  const std::string& pointer() const { return pointer_; }  // for kDepth and kDuplicateKey
  const Status& element_status() const { return element_status_; }  // for kElement

 private:
  bool Fail(Failure f, size_t byte) {
    if (failure_ == Failure::kNone) {
      failure_ = f;
      byte_ = byte;
    }
    return false;
  }

  // Puts a value where the parser is: the root, the end of the open array, or the pending object member.
  json* Place(json&& v) {
    if (stack_.empty()) {
      *root_ = std::move(v);
      return root_;
    }
    json& top = *stack_.back();
    if (top.is_array()) {
      top.push_back(std::move(v));
      return &top.back();
    }
    *pending_ = std::move(v);
    return pending_;
  }

  bool Open(json::value_t type) {
    if (stack_.size() + 1 > static_cast<size_t>(kMaxImportJsonDepth)) {
      pointer_ = Pointer();
      return Fail(Failure::kDepth, 0);
    }
    json* c = Place(json(type));
    stack_.push_back(c);
    keys_.emplace_back();
    return true;
  }

  bool Close() {
    stack_.pop_back();
    keys_.pop_back();
    if (!hook_ || stack_.empty() || stack_[0] != root_ || !root_->is_object() || !stack_.back()->is_array()) {
      return true;
    }
    static const std::string kNone;
    if (stack_.size() == 2) {
      return Offer(At{*root_, keys_[0], nullptr, 0, kNone, stack_[1]->size() - 1});
    }
    if (stack_.size() == 3 && stack_[1]->is_object()) {
      return Offer(At{*root_, keys_[0], stack_[1], 0, keys_[1], stack_[2]->size() - 1});
    }
    if (stack_.size() == 4 && stack_[1]->is_array() && stack_[2]->is_object()) {
      return Offer(At{*root_, keys_[0], stack_[2], stack_[1]->size() - 1, keys_[2], stack_[3]->size() - 1});
    }
    return true;
  }

  // Gives the element that just closed (the last of the innermost open array) to the hook.
  bool Offer(const At& at) {
    json& element = stack_.back()->back();
    Result<bool> consumed = hook_(at, element);
    if (!consumed.ok()) {
      element_status_ = consumed.status();
      return Fail(Failure::kElement, 0);
    }
    if (*consumed) element = json();
    return true;
  }

  // The pointer of the value being placed: each open level's key, or its array index (the last element
  // for an outer array, whose open child is its last element; the next index for the innermost one).
  std::string Pointer() const {
    std::string p;
    for (size_t i = 0; i < stack_.size(); ++i) {
      const json& c = *stack_[i];
      if (c.is_object()) {
        AppendSegment(&p, keys_[i]);
      } else {
        size_t index = c.size() - (i + 1 < stack_.size() ? 1 : 0);
        p += fmt::format("/{}", index);
      }
    }
    return p.empty() ? std::string("/") : p;
  }

  json* root_;
  ElementHook hook_;
  Status element_status_;
  std::vector<json*> stack_;       // open containers, outermost first
  std::vector<std::string> keys_;  // per open level: the current key (objects only)
  json* pending_ = nullptr;        // the member a key() announced
  Failure failure_ = Failure::kNone;
  size_t byte_ = 0;
  std::string pointer_;
};

// Reads an optional string member. Not a string -> error.
Status OptString(const Ctx& ctx, const json& obj, const char* name, const std::string& ptr,
                 std::string* out) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return Status::Ok();
  if (!it->is_string()) return ctx.Error(ptr + "/" + name, "expected a string");
  *out = it->get<std::string>();
  if (HasNul(*out)) return ctx.Error(ptr + "/" + name, "NUL character in string");
  return Status::Ok();
}

Status ReqString(const Ctx& ctx, const json& obj, const char* name, const std::string& ptr,
                 std::string* out) {
  CW_RETURN_IF_ERROR(OptString(ctx, obj, name, ptr, out));
  if (out->empty()) return ctx.Error(ptr + "/" + name, fmt::format("missing '{}'", name));
  return Status::Ok();
}

// Returns the array member (or null when absent); error when present but not an array.
Status OptArray(const Ctx& ctx, const json& obj, const char* name, const std::string& ptr,
                const json** out) {
  *out = nullptr;
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return Status::Ok();
  if (!it->is_array()) return ctx.Error(ptr + "/" + name, "expected an array");
  *out = &*it;
  return Status::Ok();
}

Status RequireObject(const Ctx& ctx, const json& v, const std::string& ptr) {
  if (!v.is_object()) return ctx.Error(ptr, "expected an object");
  return Status::Ok();
}

// value[x] of a concept property -> (type, text).
bool PropertyValue(const json& p, std::string* type, std::string* value) {
  for (auto it = p.begin(); it != p.end(); ++it) {
    const std::string& k = it.key();
    if (k.rfind("value", 0) != 0 || k.size() == 5) continue;
    *type = k.substr(5);
    const json& v = it.value();
    if (v.is_string()) {
      *value = v.get<std::string>();
    } else if (v.is_boolean()) {
      *value = v.get<bool>() ? "true" : "false";
    } else if (v.is_number()) {
      *value = v.dump();
    } else if (v.is_object() && *type == "Coding") {
      // value() would throw on a non-string member; such a Coding is kept as written instead.
      auto sys = v.find("system"), code = v.find("code");
      bool sys_ok = sys == v.end() || sys->is_string(), code_ok = code == v.end() || code->is_string();
      if (sys_ok && code_ok) {
        *value = (sys == v.end() ? std::string() : sys->get<std::string>()) + "|" +
                 (code == v.end() ? std::string() : code->get<std::string>());
      } else {
        *value = v.dump();
      }
    } else {
      *value = v.dump();
    }
    return true;
  }
  return false;
}

// child_edges: (child, parent) pairs from `child` properties, applied once every concept is known.
Status ParseConcepts(const Ctx& ctx, const json& list, const std::string& ptr, const std::string& parent,
                     std::set<std::string>* seen, std::vector<std::pair<std::string, std::string>>* child_edges,
                     std::vector<ConceptRec>* out);

// One concept (and its nested concepts) at pointer p.
Status ParseConcept(const Ctx& ctx, const json& c, const std::string& p, const std::string& parent,
                    std::set<std::string>* seen, std::vector<std::pair<std::string, std::string>>* child_edges,
                    std::vector<ConceptRec>* out) {
  {
    CW_RETURN_IF_ERROR(RequireObject(ctx, c, p));
    ConceptRec rec;
    CW_RETURN_IF_ERROR(ReqString(ctx, c, "code", p, &rec.code));
    if (!seen->insert(rec.code).second) return ctx.Error(p + "/code", "duplicate code in code system");
    CW_RETURN_IF_ERROR(OptString(ctx, c, "display", p, &rec.display));
    const json* desigs;
    CW_RETURN_IF_ERROR(OptArray(ctx, c, "designation", p, &desigs));
    if (desigs != nullptr) {
      for (size_t j = 0; j < desigs->size(); ++j) {
        const json& d = (*desigs)[j];
        std::string dp = fmt::format("{}/designation/{}", p, j);
        CW_RETURN_IF_ERROR(RequireObject(ctx, d, dp));
        DesignationRec dr;
        CW_RETURN_IF_ERROR(OptString(ctx, d, "language", dp, &dr.language));
        CW_RETURN_IF_ERROR(ReqString(ctx, d, "value", dp, &dr.value));
        auto use = d.find("use");
        if (use != d.end() && use->is_object()) {
          CW_RETURN_IF_ERROR(OptString(ctx, *use, "system", dp + "/use", &dr.use_system));
          CW_RETURN_IF_ERROR(OptString(ctx, *use, "code", dp + "/use", &dr.use_code));
        }
        rec.designations.push_back(std::move(dr));
      }
    }
    if (!parent.empty()) {
      rec.properties.push_back({"parent", "code", parent});
      rec.parents.push_back(parent);
    }
    const json* props;
    CW_RETURN_IF_ERROR(OptArray(ctx, c, "property", p, &props));
    std::string status;
    if (props != nullptr) {
      for (size_t j = 0; j < props->size(); ++j) {
        const json& pr = (*props)[j];
        std::string pp = fmt::format("{}/property/{}", p, j);
        CW_RETURN_IF_ERROR(RequireObject(ctx, pr, pp));
        PropertyRec prec;
        CW_RETURN_IF_ERROR(ReqString(ctx, pr, "code", pp, &prec.code));
        if (!PropertyValue(pr, &prec.type, &prec.value)) return ctx.Error(pp, "property without value[x]");
        if (prec.code == "status") status = prec.value;
        if ((prec.type == "Code" || prec.type == "code") && prec.code == "parent" && prec.value != parent) rec.parents.push_back(prec.value);
        if ((prec.type == "Code" || prec.type == "code") && prec.code == "child") child_edges->emplace_back(prec.value, rec.code);
        if (status.empty() && prec.code == "inactive" && prec.value == "true") status = "inactive";
        if (status.empty() && prec.code == "deprecated" && prec.value != "false") status = "deprecated";
        rec.properties.push_back(std::move(prec));
      }
    }
    rec.status = status.empty() ? "active" : status;
    const json* children;
    CW_RETURN_IF_ERROR(OptArray(ctx, c, "concept", p, &children));
    std::string code = rec.code;
    out->push_back(std::move(rec));
    if (children != nullptr) {
      CW_RETURN_IF_ERROR(ParseConcepts(ctx, *children, p + "/concept", code, seen, child_edges, out));
    }
  }
  return Status::Ok();
}

Status ParseConcepts(const Ctx& ctx, const json& list, const std::string& ptr, const std::string& parent,
                     std::set<std::string>* seen, std::vector<std::pair<std::string, std::string>>* child_edges,
                     std::vector<ConceptRec>* out) {
  for (size_t i = 0; i < list.size(); ++i) {
    CW_RETURN_IF_ERROR(ParseConcept(ctx, list[i], fmt::format("{}/{}", ptr, i), parent, seen, child_edges, out));
  }
  return Status::Ok();
}

// What the streaming hook converted while the document was parsed (see ParseFhirJsonText).
struct Streamed {
  bool concepts = false;  // the root CodeSystem's top-level concepts are in `concept_recs`
  std::vector<ConceptRec> concept_recs;
  std::set<std::string> seen;
  std::vector<std::pair<std::string, std::string>> child_edges;
  bool entries = false;  // the root Bundle's entries are in `resources`
  std::vector<Resource> resources;
  // Direct mode (a sink is given and url, version and caseSensitive precede `concept`): each converted
  // concept goes to the sink under `owner` at once, so only the codes seen stay in memory.
  ImportSink* sink = nullptr;
  bool direct = false;
  uint32_t owner = 0;
  std::string url, version;
  bool case_sensitive = true;
  bool hierarchy = false;
  uint64_t count = 0;
  std::set<std::string> folded;  // caseSensitive false: folded codes seen
  bool reparse = false;  // the document contradicted an assumption of direct mode (see ParseCodeSystem)
  // A root ConceptMap (direct mode needs a sink, and url and version before `group`): each group element goes
  // to the sink as it closes, under `owner`, assuming the group's source and target seen by then (FHIR JSON
  // writes them before `element`); ParseConceptMap checks the assumptions and asks for a reparse otherwise.
  enum class MapMode { kUndecided, kDirect, kHeld };
  MapMode map = MapMode::kUndecided;
  std::vector<std::optional<std::pair<std::string, std::string>>> group_systems;  // per group: (source, target)
  std::set<std::string> elements_seen;  // source \0 code: the stored elements (duplicates across groups merge)
  // A root ValueSet's expansion.contains entries, likewise (url and version before `expansion`).
  MapMode vs = MapMode::kUndecided;
  uint64_t vs_rules = 0;
  std::function<void()> tick;  // progress, called every few thousand concepts

  // Writes the concepts converted so far to the sink.
  Status Drain(const Ctx& ctx) {
    for (const auto& rec : concept_recs) {
      if (!case_sensitive && !folded.insert(FoldCase(rec.code)).second) {
        return ctx.Error("/concept", "two codes differ only in case in a code system with caseSensitive false");
      }
      CW_RETURN_IF_ERROR(EmitConcept(sink, owner, url, version, case_sensitive, rec, &hierarchy));
      if ((++count & 8191) == 0 && tick) tick();
    }
    concept_recs.clear();
    return Status::Ok();
  }
};

// The version ordering a resource declares: R5's versionAlgorithmString / versionAlgorithmCoding.code, or in
// R4 the extension artifact-versionAlgorithm (or R5's cross-version extension) with valueString /
// valueCoding. Codes of http://hl7.org/fhir/version-algorithm: semver, integer, alpha, date, natural.
Status ParseVersionAlgorithm(const Ctx& ctx, const json& r, const std::string& ptr, std::string* out) {
  auto from = [&](const json& holder, const std::string& at, const char* string_key, const char* coding_key) -> Status {
    CW_RETURN_IF_ERROR(OptString(ctx, holder, string_key, at, out));
    if (!out->empty()) return Status::Ok();
    auto coding = holder.find(coding_key);
    if (coding == holder.end() || coding->is_null()) return Status::Ok();
    if (!coding->is_object()) return ctx.Error(at + "/" + coding_key, "expected a Coding");
    return OptString(ctx, *coding, "code", at + "/" + coding_key, out);
  };
  CW_RETURN_IF_ERROR(from(r, ptr, "versionAlgorithmString", "versionAlgorithmCoding"));
  if (!out->empty()) return Status::Ok();
  auto ext = r.find("extension");
  if (ext == r.end() || !ext->is_array()) return Status::Ok();
  for (size_t i = 0; i < ext->size(); ++i) {
    const json& e = (*ext)[i];
    if (!e.is_object()) continue;
    auto url = e.find("url");
    if (url == e.end() || !url->is_string()) continue;
    const std::string& u = url->get_ref<const std::string&>();
    if (u == "http://hl7.org/fhir/StructureDefinition/artifact-versionAlgorithm" ||
        (u.rfind("http://hl7.org/fhir/5.0/StructureDefinition/extension-", 0) == 0 &&
         u.size() >= 17 && u.compare(u.size() - 17, 17, ".versionAlgorithm") == 0)) {
      CW_RETURN_IF_ERROR(from(e, ptr + "/extension/" + std::to_string(i), "valueString", "valueCoding"));
      if (!out->empty()) return Status::Ok();
    }
  }
  return Status::Ok();
}

Status ParseCommon(const Ctx& ctx, const json& r, const std::string& ptr, Resource* res) {
  CW_RETURN_IF_ERROR(ReqString(ctx, r, "url", ptr, &res->url));
  CW_RETURN_IF_ERROR(OptString(ctx, r, "version", ptr, &res->version));
  CW_RETURN_IF_ERROR(OptString(ctx, r, "name", ptr, &res->name));
  CW_RETURN_IF_ERROR(OptString(ctx, r, "title", ptr, &res->title));
  CW_RETURN_IF_ERROR(ParseVersionAlgorithm(ctx, r, ptr, &res->version_algorithm));
  res->origin = ctx.Origin();
  return Status::Ok();
}

Status ParseCodeSystem(const Ctx& ctx, const json& r, const std::string& ptr, Resource* res, Streamed* streamed) {
  res->kind = ResourceKind::kCodeSystem;
  CW_RETURN_IF_ERROR(ParseCommon(ctx, r, ptr, res));
  std::string content;
  CW_RETURN_IF_ERROR(OptString(ctx, r, "content", ptr, &content));
  if (!content.empty()) {
    if (content != "complete" && content != "fragment" && content != "not-present" && content != "example" &&
        content != "supplement") {
      return ctx.Error(ptr + "/content", fmt::format("unknown content{}", QuotedKeyword(content)));
    }
    res->content = content;
  }
  CW_RETURN_IF_ERROR(OptString(ctx, r, "supplements", ptr, &res->supplements));
  auto cs = r.find("caseSensitive");
  if (cs != r.end() && !cs->is_null()) {
    if (!cs->is_boolean()) return ctx.Error(ptr + "/caseSensitive", "expected true or false");
    res->case_sensitive = cs->get<bool>();
  }
  const json* concepts;
  CW_RETURN_IF_ERROR(OptArray(ctx, r, "concept", ptr, &concepts));
  std::set<std::string> seen;
  std::vector<std::pair<std::string, std::string>> child_edges;
  if (streamed != nullptr && streamed->concepts) {
    // Objects were converted while parsing (and replaced by null); anything else left is an error.
    for (size_t i = 0; concepts != nullptr && i < concepts->size(); ++i) {
      if (!(*concepts)[i].is_null()) CW_RETURN_IF_ERROR(RequireObject(ctx, (*concepts)[i], fmt::format("{}/concept/{}", ptr, i)));
    }
    if (streamed->direct) {
      if (res->url != streamed->url || res->version != streamed->version ||
          res->case_sensitive != streamed->case_sensitive) {
        // caseSensitive came after the concepts (keys were written unfolded): the caller parses again.
        streamed->reparse = true;
        return Status::Ok();
      }
      res->owner = streamed->owner;
      res->streamed_entries = streamed->count;
      auto key = [&](const std::string& code) { return res->case_sensitive ? code : FoldCase(code); };
      for (auto& [child, parent] : streamed->child_edges) {
        if (streamed->seen.count(child) == 0) continue;  // a child outside this resource (fragment)
        std::string k = key(child);
        // The sink unites this with the child's own parents record.
        CW_RETURN_IF_ERROR(streamed->sink->Put(res->owner, ParentsKey(res->url, res->version, k), EncodeParents({parent})));
        std::string d = ChildPrefix(res->url, res->version, key(parent));
        d.append(k);
        CW_RETURN_IF_ERROR(streamed->sink->Put(res->owner, d, ""));
        streamed->hierarchy = true;
      }
      res->streamed_hierarchy = streamed->hierarchy;
      return Status::Ok();
    }
    res->concepts = std::move(streamed->concept_recs);
    child_edges = std::move(streamed->child_edges);
  } else if (concepts != nullptr) {
    CW_RETURN_IF_ERROR(
        ParseConcepts(ctx, *concepts, ptr + "/concept", "", &seen, &child_edges, &res->concepts));
  }
  if (!res->case_sensitive) {
    // Codes that differ only in case would share one key.
    std::set<std::string> folded;
    for (size_t i = 0; i < res->concepts.size(); ++i) {
      if (!folded.insert(FoldCase(res->concepts[i].code)).second) {
        return ctx.Error(ptr + "/concept", "two codes differ only in case in a code system with caseSensitive false");
      }
    }
  }
  if (!child_edges.empty()) {
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < res->concepts.size(); ++i) index.emplace(res->concepts[i].code, i);
    for (auto& [child, parent] : child_edges) {
      auto it = index.find(child);
      if (it == index.end()) continue;  // a child outside this resource (fragment): nothing to attach to
      auto& parents = res->concepts[it->second].parents;
      if (std::find(parents.begin(), parents.end(), parent) == parents.end()) parents.push_back(parent);
    }
  }
  return Status::Ok();
}

bool KnownFilterOp(std::string_view op) {
  for (std::string_view k : {"=", "is-a", "descendent-of", "is-not-a", "regex", "in", "not-in", "generalizes",
                             "exists"}) {
    if (k == op) return true;
  }
  return false;
}

Status ParseVsComponent(const Ctx& ctx, const json& list, const std::string& ptr, std::vector<VsComponent>* out) {
  for (size_t i = 0; i < list.size(); ++i) {
    const json& inc = list[i];
    std::string p = fmt::format("{}/{}", ptr, i);
    CW_RETURN_IF_ERROR(RequireObject(ctx, inc, p));
    VsComponent comp;
    CW_RETURN_IF_ERROR(OptString(ctx, inc, "system", p, &comp.system));
    CW_RETURN_IF_ERROR(OptString(ctx, inc, "version", p, &comp.version));
    const json *concepts, *filters, *valuesets;
    CW_RETURN_IF_ERROR(OptArray(ctx, inc, "concept", p, &concepts));
    CW_RETURN_IF_ERROR(OptArray(ctx, inc, "filter", p, &filters));
    CW_RETURN_IF_ERROR(OptArray(ctx, inc, "valueSet", p, &valuesets));
    for (size_t j = 0; valuesets != nullptr && j < valuesets->size(); ++j) {
      std::string vp = fmt::format("{}/valueSet/{}", p, j);
      const json& v = (*valuesets)[j];
      if (!v.is_string() || v.get<std::string>().empty()) return ctx.Error(vp, "expected a canonical URL");
      if (HasNul(v.get<std::string>())) return ctx.Error(vp, "NUL character in string");
      comp.valuesets.push_back(v.get<std::string>());
    }
    if (comp.system.empty()) {
      if (comp.valuesets.empty()) return ctx.Error(p, "include/exclude without system or valueSet");
      if ((concepts != nullptr && !concepts->empty()) || (filters != nullptr && !filters->empty())) {
        return ctx.Error(p, "concept or filter without system");
      }
    }
    for (size_t j = 0; concepts != nullptr && j < concepts->size(); ++j) {
      const json& c = (*concepts)[j];
      std::string cp = fmt::format("{}/concept/{}", p, j);
      CW_RETURN_IF_ERROR(RequireObject(ctx, c, cp));
      VsConceptRef r;
      CW_RETURN_IF_ERROR(ReqString(ctx, c, "code", cp, &r.code));
      CW_RETURN_IF_ERROR(OptString(ctx, c, "display", cp, &r.display));
      comp.concepts.push_back(std::move(r));
    }
    for (size_t j = 0; filters != nullptr && j < filters->size(); ++j) {
      const json& f = (*filters)[j];
      std::string fp = fmt::format("{}/filter/{}", p, j);
      CW_RETURN_IF_ERROR(RequireObject(ctx, f, fp));
      VsFilter vf;
      CW_RETURN_IF_ERROR(ReqString(ctx, f, "property", fp, &vf.property));
      CW_RETURN_IF_ERROR(ReqString(ctx, f, "op", fp, &vf.op));
      CW_RETURN_IF_ERROR(ReqString(ctx, f, "value", fp, &vf.value));
      if (!KnownFilterOp(vf.op)) return ctx.Error(fp + "/op", fmt::format("unknown filter op{}", QuotedKeyword(vf.op)));
      comp.filters.push_back(std::move(vf));
    }
    if (!comp.concepts.empty() && !comp.filters.empty()) return ctx.Error(p, "both concept and filter (R4 vsd-3)");
    out->push_back(std::move(comp));
  }
  return Status::Ok();
}

Status ParseContains(const Ctx& ctx, const json& list, const std::string& ptr, Resource* res);

// One expansion.contains entry at p (and the entries nested in it).
Status ParseContainsEntry(const Ctx& ctx, const json& c, const std::string& p, Resource* res) {
  CW_RETURN_IF_ERROR(RequireObject(ctx, c, p));
  VsRule r;
  CW_RETURN_IF_ERROR(OptString(ctx, c, "system", p, &r.system));
  CW_RETURN_IF_ERROR(OptString(ctx, c, "version", p, &r.version));
  CW_RETURN_IF_ERROR(OptString(ctx, c, "code", p, &r.code));
  CW_RETURN_IF_ERROR(OptString(ctx, c, "display", p, &r.display));
  bool is_abstract = false;
  auto abstract = c.find("abstract");
  if (abstract != c.end() && !abstract->is_null()) {
    if (!abstract->is_boolean()) return ctx.Error(p + "/abstract", "expected true or false");
    is_abstract = abstract->get<bool>();
  }
  if (!r.code.empty() && !r.system.empty() && !is_abstract) res->expansion.push_back(std::move(r));
  const json* nested;
  CW_RETURN_IF_ERROR(OptArray(ctx, c, "contains", p, &nested));
  if (nested != nullptr) CW_RETURN_IF_ERROR(ParseContains(ctx, *nested, p + "/contains", res));
  return Status::Ok();
}

Status ParseContains(const Ctx& ctx, const json& list, const std::string& ptr, Resource* res) {
  for (size_t i = 0; i < list.size(); ++i) {
    CW_RETURN_IF_ERROR(ParseContainsEntry(ctx, list[i], fmt::format("{}/{}", ptr, i), res));
  }
  return Status::Ok();
}

Status ParseValueSet(const Ctx& ctx, const json& r, const std::string& ptr, Resource* res, Streamed* streamed) {
  res->kind = ResourceKind::kValueSet;
  CW_RETURN_IF_ERROR(ParseCommon(ctx, r, ptr, res));
  // Direct mode: the expansion's entries went to the sink while parsing (their places are null now).
  bool direct = streamed != nullptr && streamed->vs == Streamed::MapMode::kDirect;
  if (direct && (res->url != streamed->url || res->version != streamed->version)) {
    streamed->reparse = true;  // url or version came after the expansion
    return Status::Ok();
  }
  auto compose = r.find("compose");
  if (compose != r.end()) {
    CW_RETURN_IF_ERROR(RequireObject(ctx, *compose, ptr + "/compose"));
    const json *inc, *exc;
    CW_RETURN_IF_ERROR(OptArray(ctx, *compose, "include", ptr + "/compose", &inc));
    CW_RETURN_IF_ERROR(OptArray(ctx, *compose, "exclude", ptr + "/compose", &exc));
    if (inc != nullptr) CW_RETURN_IF_ERROR(ParseVsComponent(ctx, *inc, ptr + "/compose/include", &res->includes));
    if (exc != nullptr) CW_RETURN_IF_ERROR(ParseVsComponent(ctx, *exc, ptr + "/compose/exclude", &res->excludes));
  }
  auto expansion = r.find("expansion");
  if (expansion != r.end()) {
    CW_RETURN_IF_ERROR(RequireObject(ctx, *expansion, ptr + "/expansion"));
    res->has_expansion = true;
    const json* contains;
    CW_RETURN_IF_ERROR(OptArray(ctx, *expansion, "contains", ptr + "/expansion", &contains));
    if (contains != nullptr && !direct) {
      CW_RETURN_IF_ERROR(ParseContains(ctx, *contains, ptr + "/expansion/contains", res));
    }
  }
  if (direct) {
    // The compose goes to the sink beside the streamed entries, under the same owner.
    res->owner = streamed->owner;
    res->streamed_entries = streamed->vs_rules;
    CW_RETURN_IF_ERROR(SpillResource(streamed->sink, res));
  }
  return Status::Ok();
}

// dependsOn / product entries of a target.
Status ParseAttrs(const Ctx& ctx, const json& tg, const char* name, const std::string& tp,
                  std::vector<MapAttrRec>* out) {
  const json* list;
  CW_RETURN_IF_ERROR(OptArray(ctx, tg, name, tp, &list));
  for (size_t i = 0; list != nullptr && i < list->size(); ++i) {
    const json& a = (*list)[i];
    std::string ap = fmt::format("{}/{}/{}", tp, name, i);
    CW_RETURN_IF_ERROR(RequireObject(ctx, a, ap));
    MapAttrRec rec;
    CW_RETURN_IF_ERROR(ReqString(ctx, a, "property", ap, &rec.property));
    CW_RETURN_IF_ERROR(OptString(ctx, a, "system", ap, &rec.system));
    CW_RETURN_IF_ERROR(ReqString(ctx, a, "value", ap, &rec.value));
    CW_RETURN_IF_ERROR(OptString(ctx, a, "display", ap, &rec.display));
    out->push_back(std::move(rec));
  }
  return Status::Ok();
}

// One group element at ep (group g, target system `target`): its code ("" when absent: R4 element.code is
// 0..1, and an element without one maps nothing a caller can ask for, e.g. ConceptMap-103 in the R4 core
// package; it is accepted and not stored) and its targets (one `unmatched` target when it lists none).
Status ParseMapElement(const Ctx& ctx, const json& el, const std::string& ep, size_t g, const std::string& target,
                       std::string* code, std::vector<MapTargetRec>* parsed) {
  CW_RETURN_IF_ERROR(RequireObject(ctx, el, ep));
  CW_RETURN_IF_ERROR(OptString(ctx, el, "code", ep, code));
  const json* targets;
  CW_RETURN_IF_ERROR(OptArray(ctx, el, "target", ep, &targets));
  for (size_t t = 0; targets != nullptr && t < targets->size(); ++t) {
    const json& tg = (*targets)[t];
    std::string tp = fmt::format("{}/target/{}", ep, t);
    CW_RETURN_IF_ERROR(RequireObject(ctx, tg, tp));
    MapTargetRec tr;
    tr.group = g;
    tr.system = target;
    CW_RETURN_IF_ERROR(OptString(ctx, tg, "code", tp, &tr.code));
    CW_RETURN_IF_ERROR(OptString(ctx, tg, "display", tp, &tr.display));
    CW_RETURN_IF_ERROR(OptString(ctx, tg, "equivalence", tp, &tr.equivalence));
    if (tr.equivalence.empty()) CW_RETURN_IF_ERROR(OptString(ctx, tg, "relationship", tp, &tr.equivalence));
    if (tr.equivalence.empty()) tr.equivalence = "equivalent";
    if (!IsKnownEquivalence(tr.equivalence)) {
      return ctx.Error(tp + "/equivalence", fmt::format("unknown equivalence{}", QuotedKeyword(tr.equivalence)));
    }
    if (tr.code.empty() && !IsNegativeEquivalence(tr.equivalence)) {
      return ctx.Error(tp, "target without code");
    }
    // R4 group.target is 0..1 too: without it the target codes have no system (Match::system empty).
    CW_RETURN_IF_ERROR(ParseAttrs(ctx, tg, "dependsOn", tp, &tr.depends_on));
    CW_RETURN_IF_ERROR(ParseAttrs(ctx, tg, "product", tp, &tr.product));
    parsed->push_back(std::move(tr));
  }
  if (parsed->empty()) {
    MapTargetRec tr;
    tr.group = g;
    tr.system = target;
    tr.equivalence = "unmatched";
    parsed->push_back(std::move(tr));
  }
  return Status::Ok();
}

Status ParseConceptMap(const Ctx& ctx, const json& r, const std::string& ptr, Resource* res, Streamed* streamed) {
  res->kind = ResourceKind::kConceptMap;
  CW_RETURN_IF_ERROR(ParseCommon(ctx, r, ptr, res));
  const json* groups;
  CW_RETURN_IF_ERROR(OptArray(ctx, r, "group", ptr, &groups));
  if (groups == nullptr) return Status::Ok();
  // Direct mode: the elements went to the sink while parsing (their places are null now).
  bool direct = streamed != nullptr && streamed->map == Streamed::MapMode::kDirect;
  if (direct && (res->url != streamed->url || res->version != streamed->version)) {
    streamed->reparse = true;  // url or version came after the groups
    return Status::Ok();
  }
  // (source system, code) -> index in res->elements, to merge groups that share a source.
  std::map<std::pair<std::string, std::string>, size_t> index;
  for (size_t g = 0; g < groups->size(); ++g) {
    const json& grp = (*groups)[g];
    std::string gp = fmt::format("{}/group/{}", ptr, g);
    CW_RETURN_IF_ERROR(RequireObject(ctx, grp, gp));
    MapGroupRec group;
    // R4 group.source is 0..1: a group without one answers for any source system (see docs/terminology.md).
    CW_RETURN_IF_ERROR(OptString(ctx, grp, "source", gp, &group.source));
    CW_RETURN_IF_ERROR(OptString(ctx, grp, "sourceVersion", gp, &group.source_version));
    CW_RETURN_IF_ERROR(OptString(ctx, grp, "target", gp, &group.target));
    CW_RETURN_IF_ERROR(OptString(ctx, grp, "targetVersion", gp, &group.target_version));
    const std::string& source = group.source;
    const std::string& target = group.target;
    const json* elements;
    CW_RETURN_IF_ERROR(OptArray(ctx, grp, "element", gp, &elements));
    if (direct) {
      if (g < streamed->group_systems.size() && streamed->group_systems[g] &&
          *streamed->group_systems[g] != std::make_pair(source, target)) {
        streamed->reparse = true;  // source or target came after the group's elements
        return Status::Ok();
      }
      elements = nullptr;
    }
    for (size_t e = 0; elements != nullptr && e < elements->size(); ++e) {
      std::string code;
      std::vector<MapTargetRec> parsed;
      CW_RETURN_IF_ERROR(ParseMapElement(ctx, (*elements)[e], fmt::format("{}/element/{}", gp, e), g, target, &code,
                                         &parsed));
      if (code.empty()) continue;
      auto [it, inserted] = index.emplace(std::make_pair(source, code), res->elements.size());
      if (inserted) res->elements.push_back(MapElementRec{source, code, {}});
      MapElementRec& rec = res->elements[it->second];
      for (auto& tr : parsed) rec.targets.push_back(std::move(tr));
    }
    auto unmapped = grp.find("unmapped");
    if (unmapped != grp.end()) {
      std::string up = gp + "/unmapped";
      CW_RETURN_IF_ERROR(RequireObject(ctx, *unmapped, up));
      CW_RETURN_IF_ERROR(ReqString(ctx, *unmapped, "mode", up, &group.unmapped_mode));
      CW_RETURN_IF_ERROR(OptString(ctx, *unmapped, "code", up, &group.unmapped_code));
      CW_RETURN_IF_ERROR(OptString(ctx, *unmapped, "display", up, &group.unmapped_display));
      CW_RETURN_IF_ERROR(OptString(ctx, *unmapped, "url", up, &group.unmapped_url));
      const std::string& mode = group.unmapped_mode;
      if (mode == "fixed" && group.unmapped_code.empty()) return ctx.Error(up, "mode 'fixed' without code");
      if (mode == "other-map" && group.unmapped_url.empty()) return ctx.Error(up, "mode 'other-map' without url");
      if (mode != "provided" && mode != "fixed" && mode != "other-map") {
        return ctx.Error(up + "/mode", fmt::format("unknown unmapped mode{}", QuotedKeyword(mode)));
      }
      if (mode != "other-map" && target.empty()) return ctx.Error(gp, "unmapped rule needs a 'target' system");
    }
    res->groups.push_back(std::move(group));
  }
  if (direct) {
    res->owner = streamed->owner;
    res->streamed_entries = streamed->elements_seen.size();
  }
  return Status::Ok();
}

// Parses one resource object at `ptr`. Non-terminology resources: error, unless container_only (skip).
Status ParseResource(const Ctx& ctx, const json& r, const std::string& ptr, bool in_container,
                     std::vector<Resource>* out, Streamed* streamed = nullptr) {
  CW_RETURN_IF_ERROR(RequireObject(ctx, r, ptr));
  auto rt = r.find("resourceType");
  if (rt == r.end() || !rt->is_string()) return ctx.Error(ptr + "/resourceType", "missing resourceType");
  std::string type = rt->get<std::string>();
  if (type == "Bundle") {
    const json* entries;
    CW_RETURN_IF_ERROR(OptArray(ctx, r, "entry", ptr, &entries));
    if (streamed != nullptr && streamed->entries) {
      for (auto& res : streamed->resources) out->push_back(std::move(res));
    }
    for (size_t i = 0; entries != nullptr && i < entries->size(); ++i) {
      const json& e = (*entries)[i];
      std::string ep = fmt::format("{}/entry/{}", ptr, i);
      if (streamed != nullptr && streamed->entries && e.is_null()) continue;  // converted while parsing
      CW_RETURN_IF_ERROR(RequireObject(ctx, e, ep));
      auto res = e.find("resource");
      if (res == e.end()) continue;
      CW_RETURN_IF_ERROR(ParseResource(ctx, *res, ep + "/resource", true, out));
    }
    return Status::Ok();
  }
  Resource res;
  if (type == "CodeSystem") {
    CW_RETURN_IF_ERROR(ParseCodeSystem(ctx, r, ptr, &res, streamed));
  } else if (type == "ValueSet") {
    CW_RETURN_IF_ERROR(ParseValueSet(ctx, r, ptr, &res, streamed));
  } else if (type == "ConceptMap") {
    CW_RETURN_IF_ERROR(ParseConceptMap(ctx, r, ptr, &res, streamed));
  } else {
    if (in_container) return Status::Ok();  // other resources in a Bundle/NDJSON are skipped
    return ctx.Error(ptr + "/resourceType",
                     fmt::format("resourceType{} is not CodeSystem, ValueSet, ConceptMap or Bundle", QuotedKeyword(type)));
  }
  out->push_back(std::move(res));
  return Status::Ok();
}

}  // namespace

std::string QuotedKeyword(std::string_view v) {
  bool plain = !v.empty() && v.size() <= 40;
  for (char c : v) {
    plain = plain && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '_' || c == '.');
  }
  return plain ? fmt::format(" '{}'", v) : std::string();
}

namespace {

// A root ConceptMap's group element, as it closes (see Streamed::MapMode): converted and written to the sink.
// Returns false (keep it in the document) when the map is held.
Result<bool> StreamMapElement(const Ctx& ctx, Streamed* st, const DomBuilder::At& at, const json& element) {
  if (st->map == Streamed::MapMode::kUndecided) {
    st->map = Streamed::MapMode::kHeld;
    auto url = at.root.find("url"), version = at.root.find("version");
    if (st->sink != nullptr && url != at.root.end() && url->is_string() &&
        (version == at.root.end() || version->is_string())) {
      st->map = Streamed::MapMode::kDirect;
      st->owner = st->sink->NewOwner();
      st->url = url->get<std::string>();
      if (version != at.root.end()) st->version = version->get<std::string>();
    }
  }
  if (st->map != Streamed::MapMode::kDirect) return false;
  std::string gp = fmt::format("/group/{}", at.outer_index);
  std::string source, target;
  CW_RETURN_IF_ERROR(OptString(ctx, *at.outer, "source", gp, &source));
  CW_RETURN_IF_ERROR(OptString(ctx, *at.outer, "target", gp, &target));
  if (st->group_systems.size() <= at.outer_index) st->group_systems.resize(at.outer_index + 1);
  if (!st->group_systems[at.outer_index]) st->group_systems[at.outer_index] = std::make_pair(source, target);
  MapElementRec rec;
  CW_RETURN_IF_ERROR(ParseMapElement(ctx, element, fmt::format("{}/element/{}", gp, at.index), at.outer_index, target,
                                     &rec.code, &rec.targets));
  if (rec.code.empty()) return true;
  rec.source_system = std::move(source);
  CW_RETURN_IF_ERROR(EmitMapElement(st->sink, st->owner, st->url, st->version, rec));
  std::string seen = rec.source_system;
  seen.push_back('\0');
  seen.append(rec.code);
  st->elements_seen.insert(std::move(seen));
  if ((++st->count & 8191) == 0 && st->tick) st->tick();
  return true;
}

// A root ValueSet's expansion.contains entry (and those nested in it), as it closes: converted and written to
// the sink. Returns false (keep it in the document) when the value set is held.
Result<bool> StreamExpansionEntry(const Ctx& ctx, Streamed* st, const DomBuilder::At& at, const json& element) {
  if (st->vs == Streamed::MapMode::kUndecided) {
    st->vs = Streamed::MapMode::kHeld;
    auto url = at.root.find("url"), version = at.root.find("version");
    if (st->sink != nullptr && url != at.root.end() && url->is_string() &&
        (version == at.root.end() || version->is_string())) {
      st->vs = Streamed::MapMode::kDirect;
      st->owner = st->sink->NewOwner();
      st->url = url->get<std::string>();
      if (version != at.root.end()) st->version = version->get<std::string>();
    }
  }
  if (st->vs != Streamed::MapMode::kDirect) return false;
  Resource entry;
  CW_RETURN_IF_ERROR(ParseContainsEntry(ctx, element, fmt::format("/expansion/contains/{}", at.index), &entry));
  for (const auto& e : entry.expansion) {
    CW_RETURN_IF_ERROR(st->sink->Put(st->owner, ExpansionKey(st->url, st->version, e.code, e.system), e.display));
  }
  st->vs_rules += entry.expansion.size();
  if ((++st->count & 8191) == 0 && st->tick) st->tick();
  return true;
}

// The JSON document parser behind ParseFhirJsonText and the file reader. `parse` runs the SAX parse over
// the input into the builder; `line_col` turns a 0-based byte offset into (line, col) for messages. With a
// sink (whole documents only), a CodeSystem's top-level concepts go to it as they close (direct mode,
// see Streamed); *reparse is set when the document must be parsed again without a sink.
Status ParseFhirJson(const std::function<bool(DomBuilder*)>& parse,
                     const std::function<std::pair<uint64_t, uint64_t>(size_t)>& line_col, const std::string& origin,
                     uint64_t line, bool container_only, ImportSink* sink, const std::function<void()>& tick,
                     std::vector<Resource>* out, bool* reparse) {
  json doc;
  Ctx ctx(origin, line);
  // Streaming: the top-level concepts of a CodeSystem and the entries of a Bundle are converted as each
  // closes and dropped from the DOM, so a 400k-concept code system never exists as one nlohmann tree
  // (about 10x the file). It applies when resourceType comes before the array (as FHIR JSON writes it);
  // otherwise the document is converted whole afterwards, with the same result.
  Streamed streamed;
  streamed.sink = sink;
  streamed.tick = tick;
  auto hook = [&](const DomBuilder::At& at, const json& element) -> Result<bool> {
    const json& root = at.root;
    const std::string& member = at.member;
    size_t index = at.index;
    if (at.outer != nullptr) {
      if (at.sub == "element" && member == "group") {
        auto rt = root.find("resourceType");
        if (rt == root.end() || *rt != "ConceptMap") return false;
        return StreamMapElement(ctx, &streamed, at, element);
      }
      if (at.sub == "contains" && member == "expansion") {
        auto rt = root.find("resourceType");
        if (rt == root.end() || *rt != "ValueSet") return false;
        return StreamExpansionEntry(ctx, &streamed, at, element);
      }
      return false;
    }
    auto rt = root.find("resourceType");
    if (rt == root.end() || !rt->is_string() || !element.is_object()) return false;
    if (member == "concept" && *rt == "CodeSystem") {
      if (index == 0) {
        streamed.concepts = true;
        // Direct mode needs the keys' parts now: url, version and caseSensitive (when given) before `concept`.
        auto url = root.find("url"), version = root.find("version"), cs = root.find("caseSensitive");
        if (sink != nullptr && url != root.end() && url->is_string() &&
            (version == root.end() || version->is_string()) && (cs == root.end() || cs->is_boolean())) {
          streamed.direct = true;
          streamed.owner = sink->NewOwner();
          streamed.url = url->get<std::string>();
          if (version != root.end()) streamed.version = version->get<std::string>();
          if (cs != root.end()) streamed.case_sensitive = cs->get<bool>();
        }
      }
      if (!streamed.concepts) return false;
      CW_RETURN_IF_ERROR(ParseConcept(ctx, element, fmt::format("/concept/{}", index), "", &streamed.seen,
                                      &streamed.child_edges, &streamed.concept_recs));
      if (streamed.direct) CW_RETURN_IF_ERROR(streamed.Drain(ctx));
      return true;
    }
    if (member == "entry" && *rt == "Bundle") {
      if (index == 0) streamed.entries = true;
      if (!streamed.entries) return false;
      auto res = element.find("resource");
      if (res != element.end()) {
        size_t before = streamed.resources.size();
        CW_RETURN_IF_ERROR(ParseResource(ctx, *res, fmt::format("/entry/{}/resource", index), true,
                                         &streamed.resources));
        // The entry's records go to the sink now; only its header fields stay (a Bundle of large resources
        // costs one entry's memory at a time).
        for (size_t i = before; sink != nullptr && i < streamed.resources.size(); ++i) {
          CW_RETURN_IF_ERROR(SpillResource(sink, &streamed.resources[i]));
        }
        if (tick) tick();
      }
      return true;
    }
    return false;
  };
  DomBuilder builder(&doc, hook);
  if (!parse(&builder)) {
    switch (builder.failure()) {
      case DomBuilder::Failure::kElement:
        return ParseError(std::string(builder.element_status().message()));
      case DomBuilder::Failure::kDepth:
        return LimitExceeded(fmt::format("{}: JSON nested deeper than {} levels (kMaxImportJsonDepth)",
                                         ctx.Where(builder.pointer()), kMaxImportJsonDepth));
      case DomBuilder::Failure::kDuplicateKey:
        return ParseError(fmt::format("{}: duplicate key in an object", ctx.Where(builder.pointer())));
      default:
        break;
    }
    auto [l, col] = line_col(builder.byte());
    const char* what = builder.failure() == DomBuilder::Failure::kNumberRange
                           ? "number out of range (JSON numbers must fit a double)"
                           : "malformed JSON";
    return ParseError(fmt::format("{}:{}:{}: {}", origin, l, col, what));
  }
  size_t before = out->size();
  Status s = ParseResource(ctx, doc, "", container_only, out, &streamed);
  if (!s.ok()) return ParseError(std::string(s.message()));
  if (streamed.reparse) {
    out->resize(before);
    sink->Drop(streamed.owner);
    *reparse = true;
  }
  return Status::Ok();
}

// (line, col) of a byte offset in text; for an NDJSON line (line > 0), col counts from the line's start.
std::pair<uint64_t, uint64_t> TextLineCol(std::string_view text, uint64_t line, size_t byte) {
  byte = std::min(byte, text.size());
  if (line > 0) return {line, byte + 1};
  uint64_t l = 1, col = 1;
  for (size_t i = 0; i < byte; ++i) {
    if (text[i] == '\n') {
      ++l;
      col = 1;
    } else {
      ++col;
    }
  }
  return {l, col};
}

constexpr size_t kReadBuffer = 1 << 20;

// Opens path with a large read buffer, past a UTF-8 BOM. *bom is its length (0 or 3).
Status OpenInput(const std::string& path, std::ifstream* in, std::vector<char>* buffer, size_t* bom) {
  buffer->resize(kReadBuffer);
  in->rdbuf()->pubsetbuf(buffer->data(), static_cast<std::streamsize>(buffer->size()));
  in->open(path, std::ios::binary);
  if (!*in) return NotFound(fmt::format("{}: cannot open file", path));
  char head[3] = {0, 0, 0};
  in->read(head, 3);
  *bom = in->gcount() == 3 && std::string_view(head, 3) == "\xEF\xBB\xBF" ? 3 : 0;
  in->clear();
  in->seekg(static_cast<std::streamoff>(*bom));
  return Status::Ok();
}

uint64_t FileSize(std::ifstream& in) {
  auto pos = in.tellg();
  in.seekg(0, std::ios::end);
  auto size = in.tellg();
  in.seekg(pos);
  return size < 0 ? 0 : static_cast<uint64_t>(size);
}

// A whole JSON document read in chunks from the file.
Status ParseJsonFile(const std::string& path, ImportSink* sink, std::vector<Resource>* out,
                     const std::function<void(uint64_t, uint64_t)>& progress) {
  std::ifstream in;
  std::vector<char> buffer;
  size_t bom = 0;
  CW_RETURN_IF_ERROR(OpenInput(path, &in, &buffer, &bom));
  uint64_t total = FileSize(in);
  auto line_col = [&](size_t byte) -> std::pair<uint64_t, uint64_t> {
    // Read the file again up to the offset (only on an error).
    std::ifstream again(path, std::ios::binary);
    again.seekg(static_cast<std::streamoff>(bom));
    uint64_t l = 1, col = 1;
    char c;
    for (size_t i = 0; i < byte && again.get(c); ++i) {
      if (c == '\n') {
        ++l;
        col = 1;
      } else {
        ++col;
      }
    }
    return {l, col};
  };
  auto tick = [&]() {
    if (!progress) return;
    auto pos = in.tellg();
    if (pos >= 0) progress(static_cast<uint64_t>(pos), total);
  };
  auto parse = [&](DomBuilder* b) { return json::sax_parse(in, b); };
  bool reparse = false;
  CW_RETURN_IF_ERROR(ParseFhirJson(parse, line_col, path, 0, false, sink, tick, out, &reparse));
  if (reparse) {
    in.close();
    in.clear();
    CW_RETURN_IF_ERROR(OpenInput(path, &in, &buffer, &bom));
    CW_RETURN_IF_ERROR(ParseFhirJson(parse, line_col, path, 0, false, nullptr, tick, out, &reparse));
  }
  if (in.bad()) return IoError(fmt::format("{}: read error", path));
  if (progress) progress(total, total);
  return Status::Ok();
}

}  // namespace

Status ParseFhirJsonText(std::string_view text, const std::string& origin, uint64_t line,
                         bool container_only, std::vector<Resource>* out) {
  auto parse = [&](DomBuilder* b) { return json::sax_parse(text.begin(), text.end(), b); };
  auto line_col = [&](size_t byte) { return TextLineCol(text, line, byte); };
  bool reparse = false;
  return ParseFhirJson(parse, line_col, origin, line, container_only, nullptr, nullptr, out, &reparse);
}

Status ParseFile(const std::string& path, const ImportOptions& options, ImportSink* sink, std::vector<Resource>* out,
                 const std::function<void(uint64_t, uint64_t)>& progress) {
  auto ends_with = [&](std::string_view suffix) {
    return path.size() >= suffix.size() &&
           std::equal(suffix.rbegin(), suffix.rend(), path.rbegin(),
                      [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
  };
  if (ends_with(".csv")) {
    // Crosswalk tables are small: read whole (the CSV reader checks UTF-8 over the whole text first).
    std::ifstream in(path, std::ios::binary);
    if (!in) return NotFound(fmt::format("{}: cannot open file", path));
    std::stringstream ss;
    ss << in.rdbuf();
    if (in.bad()) return IoError(fmt::format("{}: read error", path));
    std::string text = std::move(ss).str();
    std::string_view body = text;
    if (body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3);
    Status s = ParseCsvText(body, path, options, out);
    if (progress) progress(text.size(), text.size());
    return s;
  }
  if (ends_with(".ndjson") || ends_with(".jsonl")) {
    std::ifstream in;
    std::vector<char> buffer;
    size_t bom = 0;
    CW_RETURN_IF_ERROR(OpenInput(path, &in, &buffer, &bom));
    uint64_t total = FileSize(in);
    uint64_t line = 0, pos = bom, last_report = 0;
    std::string l;
    while (std::getline(in, l)) {
      ++line;
      pos += l.size() + 1;
      std::string_view v = l;
      if (!v.empty() && v.back() == '\r') v.remove_suffix(1);
      if (v.find_first_not_of(" \t") != std::string_view::npos) {
        size_t before = out->size();
        CW_RETURN_IF_ERROR(ParseFhirJsonText(v, path, line, true, out));
        // The line's records go to the sink now; only header fields stay in memory.
        for (size_t i = before; sink != nullptr && i < out->size(); ++i) {
          CW_RETURN_IF_ERROR(SpillResource(sink, &(*out)[i]));
        }
      }
      if (progress && pos - last_report > (1 << 20)) {
        last_report = pos;
        progress(std::min(pos, total), total);
      }
    }
    if (in.bad()) return IoError(fmt::format("{}: read error", path));
    if (progress) progress(total, total);
    return Status::Ok();
  }
  return ParseJsonFile(path, sink, out, progress);
}

}  // namespace crosswalk::term
