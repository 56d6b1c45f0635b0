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
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

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
  enum class Failure { kNone, kSyntax, kNumberRange, kDepth, kDuplicateKey };

  explicit DomBuilder(json* root) : root_(root) {}

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

Status ParseConcepts(const Ctx& ctx, const json& list, const std::string& ptr, const std::string& parent,
                     std::set<std::string>* seen, std::vector<ConceptRec>* out) {
  for (size_t i = 0; i < list.size(); ++i) {
    const json& c = list[i];
    std::string p = fmt::format("{}/{}", ptr, i);
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
    if (!parent.empty()) rec.properties.push_back({"parent", "code", parent});
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
      CW_RETURN_IF_ERROR(ParseConcepts(ctx, *children, p + "/concept", code, seen, out));
    }
  }
  return Status::Ok();
}

Status ParseCommon(const Ctx& ctx, const json& r, const std::string& ptr, Resource* res) {
  CW_RETURN_IF_ERROR(ReqString(ctx, r, "url", ptr, &res->url));
  CW_RETURN_IF_ERROR(OptString(ctx, r, "version", ptr, &res->version));
  CW_RETURN_IF_ERROR(OptString(ctx, r, "name", ptr, &res->name));
  CW_RETURN_IF_ERROR(OptString(ctx, r, "title", ptr, &res->title));
  res->origin = ctx.Origin();
  return Status::Ok();
}

Status ParseCodeSystem(const Ctx& ctx, const json& r, const std::string& ptr, Resource* res) {
  res->kind = ResourceKind::kCodeSystem;
  CW_RETURN_IF_ERROR(ParseCommon(ctx, r, ptr, res));
  const json* concepts;
  CW_RETURN_IF_ERROR(OptArray(ctx, r, "concept", ptr, &concepts));
  std::set<std::string> seen;
  if (concepts != nullptr) {
    CW_RETURN_IF_ERROR(ParseConcepts(ctx, *concepts, ptr + "/concept", "", &seen, &res->concepts));
  }
  return Status::Ok();
}

Status ParseVsComponent(const Ctx& ctx, const json& list, const std::string& ptr, char rule, Resource* res) {
  for (size_t i = 0; i < list.size(); ++i) {
    const json& inc = list[i];
    std::string p = fmt::format("{}/{}", ptr, i);
    CW_RETURN_IF_ERROR(RequireObject(ctx, inc, p));
    std::string system, version;
    CW_RETURN_IF_ERROR(OptString(ctx, inc, "system", p, &system));
    CW_RETURN_IF_ERROR(OptString(ctx, inc, "version", p, &version));
    const json *concepts, *filters, *valuesets;
    CW_RETURN_IF_ERROR(OptArray(ctx, inc, "concept", p, &concepts));
    CW_RETURN_IF_ERROR(OptArray(ctx, inc, "filter", p, &filters));
    CW_RETURN_IF_ERROR(OptArray(ctx, inc, "valueSet", p, &valuesets));
    bool has_filters = filters != nullptr && !filters->empty();
    bool has_valuesets = valuesets != nullptr && !valuesets->empty();
    if (has_filters || has_valuesets) {
      // Excluding by filter cannot be honoured either; both make the answer undecidable here.
      res->unsupported_rules = true;
    }
    if (system.empty()) {
      if (!has_valuesets) return ctx.Error(p, "include/exclude without system or valueSet");
      continue;
    }
    if (concepts != nullptr && !concepts->empty()) {
      for (size_t j = 0; j < concepts->size(); ++j) {
        const json& c = (*concepts)[j];
        std::string cp = fmt::format("{}/concept/{}", p, j);
        CW_RETURN_IF_ERROR(RequireObject(ctx, c, cp));
        VsRule r{rule, system, version, "", ""};
        CW_RETURN_IF_ERROR(ReqString(ctx, c, "code", cp, &r.code));
        CW_RETURN_IF_ERROR(OptString(ctx, c, "display", cp, &r.display));
        res->rules.push_back(std::move(r));
      }
    } else if (!has_filters && !has_valuesets) {
      res->rules.push_back(VsRule{rule, system, version, "", ""});  // the whole system
    }
  }
  return Status::Ok();
}

Status ParseContains(const Ctx& ctx, const json& list, const std::string& ptr, Resource* res) {
  for (size_t i = 0; i < list.size(); ++i) {
    const json& c = list[i];
    std::string p = fmt::format("{}/{}", ptr, i);
    CW_RETURN_IF_ERROR(RequireObject(ctx, c, p));
    VsRule r{'E', "", "", "", ""};
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
    if (!r.code.empty() && !r.system.empty() && !is_abstract) res->rules.push_back(std::move(r));
    const json* nested;
    CW_RETURN_IF_ERROR(OptArray(ctx, c, "contains", p, &nested));
    if (nested != nullptr) CW_RETURN_IF_ERROR(ParseContains(ctx, *nested, p + "/contains", res));
  }
  return Status::Ok();
}

Status ParseValueSet(const Ctx& ctx, const json& r, const std::string& ptr, Resource* res) {
  res->kind = ResourceKind::kValueSet;
  CW_RETURN_IF_ERROR(ParseCommon(ctx, r, ptr, res));
  auto compose = r.find("compose");
  if (compose != r.end()) {
    CW_RETURN_IF_ERROR(RequireObject(ctx, *compose, ptr + "/compose"));
    const json *inc, *exc;
    CW_RETURN_IF_ERROR(OptArray(ctx, *compose, "include", ptr + "/compose", &inc));
    CW_RETURN_IF_ERROR(OptArray(ctx, *compose, "exclude", ptr + "/compose", &exc));
    if (inc != nullptr) CW_RETURN_IF_ERROR(ParseVsComponent(ctx, *inc, ptr + "/compose/include", 'I', res));
    if (exc != nullptr) CW_RETURN_IF_ERROR(ParseVsComponent(ctx, *exc, ptr + "/compose/exclude", 'X', res));
  }
  auto expansion = r.find("expansion");
  if (expansion != r.end()) {
    CW_RETURN_IF_ERROR(RequireObject(ctx, *expansion, ptr + "/expansion"));
    res->has_expansion = true;
    const json* contains;
    CW_RETURN_IF_ERROR(OptArray(ctx, *expansion, "contains", ptr + "/expansion", &contains));
    if (contains != nullptr) {
      CW_RETURN_IF_ERROR(ParseContains(ctx, *contains, ptr + "/expansion/contains", res));
    }
  }
  return Status::Ok();
}

Status ParseConceptMap(const Ctx& ctx, const json& r, const std::string& ptr, Resource* res) {
  res->kind = ResourceKind::kConceptMap;
  CW_RETURN_IF_ERROR(ParseCommon(ctx, r, ptr, res));
  const json* groups;
  CW_RETURN_IF_ERROR(OptArray(ctx, r, "group", ptr, &groups));
  if (groups == nullptr) return Status::Ok();
  // (source system, code) -> index in res->elements, to merge groups that share a source.
  std::map<std::pair<std::string, std::string>, size_t> index;
  for (size_t g = 0; g < groups->size(); ++g) {
    const json& grp = (*groups)[g];
    std::string gp = fmt::format("{}/group/{}", ptr, g);
    CW_RETURN_IF_ERROR(RequireObject(ctx, grp, gp));
    std::string source, target;
    CW_RETURN_IF_ERROR(ReqString(ctx, grp, "source", gp, &source));
    CW_RETURN_IF_ERROR(OptString(ctx, grp, "target", gp, &target));
    const json* elements;
    CW_RETURN_IF_ERROR(OptArray(ctx, grp, "element", gp, &elements));
    for (size_t e = 0; elements != nullptr && e < elements->size(); ++e) {
      const json& el = (*elements)[e];
      std::string ep = fmt::format("{}/element/{}", gp, e);
      CW_RETURN_IF_ERROR(RequireObject(ctx, el, ep));
      std::string code;
      CW_RETURN_IF_ERROR(ReqString(ctx, el, "code", ep, &code));
      auto [it, inserted] = index.emplace(std::make_pair(source, code), res->elements.size());
      if (inserted) res->elements.push_back(MapElementRec{source, code, {}});
      MapElementRec& rec = res->elements[it->second];
      const json* targets;
      CW_RETURN_IF_ERROR(OptArray(ctx, el, "target", ep, &targets));
      if (targets == nullptr || targets->empty()) {
        rec.targets.push_back(MapTargetRec{target, "", "", "unmatched"});
        continue;
      }
      for (size_t t = 0; t < targets->size(); ++t) {
        const json& tg = (*targets)[t];
        std::string tp = fmt::format("{}/target/{}", ep, t);
        CW_RETURN_IF_ERROR(RequireObject(ctx, tg, tp));
        MapTargetRec tr{target, "", "", ""};
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
        if (!tr.code.empty() && target.empty()) return ctx.Error(gp, "group with targets but no 'target' system");
        rec.targets.push_back(std::move(tr));
      }
    }
    auto unmapped = grp.find("unmapped");
    if (unmapped != grp.end()) {
      std::string up = gp + "/unmapped";
      CW_RETURN_IF_ERROR(RequireObject(ctx, *unmapped, up));
      UnmappedRec u{source, target, "", "", "", ""};
      CW_RETURN_IF_ERROR(ReqString(ctx, *unmapped, "mode", up, &u.mode));
      CW_RETURN_IF_ERROR(OptString(ctx, *unmapped, "code", up, &u.code));
      CW_RETURN_IF_ERROR(OptString(ctx, *unmapped, "display", up, &u.display));
      CW_RETURN_IF_ERROR(OptString(ctx, *unmapped, "url", up, &u.url));
      if (u.mode == "fixed" && u.code.empty()) return ctx.Error(up, "mode 'fixed' without code");
      if (u.mode == "other-map" && u.url.empty()) return ctx.Error(up, "mode 'other-map' without url");
      if (u.mode != "provided" && u.mode != "fixed" && u.mode != "other-map") {
        return ctx.Error(up + "/mode", fmt::format("unknown unmapped mode{}", QuotedKeyword(u.mode)));
      }
      if (u.mode != "other-map" && target.empty()) return ctx.Error(gp, "unmapped rule needs a 'target' system");
      res->unmapped.push_back(std::move(u));
    }
  }
  return Status::Ok();
}

// Parses one resource object at `ptr`. Non-terminology resources: error, unless container_only (skip).
Status ParseResource(const Ctx& ctx, const json& r, const std::string& ptr, bool in_container,
                     std::vector<Resource>* out) {
  CW_RETURN_IF_ERROR(RequireObject(ctx, r, ptr));
  auto rt = r.find("resourceType");
  if (rt == r.end() || !rt->is_string()) return ctx.Error(ptr + "/resourceType", "missing resourceType");
  std::string type = rt->get<std::string>();
  if (type == "Bundle") {
    const json* entries;
    CW_RETURN_IF_ERROR(OptArray(ctx, r, "entry", ptr, &entries));
    for (size_t i = 0; entries != nullptr && i < entries->size(); ++i) {
      const json& e = (*entries)[i];
      std::string ep = fmt::format("{}/entry/{}", ptr, i);
      CW_RETURN_IF_ERROR(RequireObject(ctx, e, ep));
      auto res = e.find("resource");
      if (res == e.end()) continue;
      CW_RETURN_IF_ERROR(ParseResource(ctx, *res, ep + "/resource", true, out));
    }
    return Status::Ok();
  }
  Resource res;
  if (type == "CodeSystem") {
    CW_RETURN_IF_ERROR(ParseCodeSystem(ctx, r, ptr, &res));
  } else if (type == "ValueSet") {
    CW_RETURN_IF_ERROR(ParseValueSet(ctx, r, ptr, &res));
  } else if (type == "ConceptMap") {
    CW_RETURN_IF_ERROR(ParseConceptMap(ctx, r, ptr, &res));
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

Status ParseFhirJsonText(std::string_view text, const std::string& origin, uint64_t line,
                         bool container_only, std::vector<Resource>* out) {
  json doc;
  DomBuilder builder(&doc);
  if (!json::sax_parse(text.begin(), text.end(), &builder)) {
    Ctx ctx(origin, line);
    switch (builder.failure()) {
      case DomBuilder::Failure::kDepth:
        return LimitExceeded(fmt::format("{}: JSON nested deeper than {} levels (kMaxImportJsonDepth)",
                                         ctx.Where(builder.pointer()), kMaxImportJsonDepth));
      case DomBuilder::Failure::kDuplicateKey:
        return ParseError(fmt::format("{}: duplicate key in an object", ctx.Where(builder.pointer())));
      default:
        break;
    }
    // Byte offset -> line:col within the text (NDJSON: the line is the file's line).
    size_t byte = std::min(builder.byte(), text.size());
    uint64_t l = line > 0 ? line : 1, col = 1;
    if (line == 0) {
      for (size_t i = 0; i < byte; ++i) {
        if (text[i] == '\n') {
          ++l;
          col = 1;
        } else {
          ++col;
        }
      }
    } else {
      col = byte + 1;
    }
    const char* what = builder.failure() == DomBuilder::Failure::kNumberRange
                           ? "number out of range (JSON numbers must fit a double)"
                           : "malformed JSON";
    return ParseError(fmt::format("{}:{}:{}: {}", origin, l, col, what));
  }
  Ctx ctx(origin, line);
  Status s = ParseResource(ctx, doc, "", container_only, out);
  if (!s.ok()) return ParseError(std::string(s.message()));
  return Status::Ok();
}

Status ParseFile(const std::string& path, const ImportOptions& options, std::vector<Resource>* out,
                 const std::function<void(uint64_t, uint64_t)>& progress) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(fmt::format("{}: cannot open file", path));
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return IoError(fmt::format("{}: read error", path));
  std::string text = std::move(ss).str();
  // A UTF-8 BOM is not JSON; drop it.
  std::string_view body = text;
  if (body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3);
  auto ends_with = [&](std::string_view suffix) {
    return path.size() >= suffix.size() &&
           std::equal(suffix.rbegin(), suffix.rend(), path.rbegin(),
                      [](char a, char b) { return a == std::tolower(static_cast<unsigned char>(b)); });
  };
  if (ends_with(".csv")) {
    Status s = ParseCsvText(body, path, options, out);
    if (progress) progress(text.size(), text.size());
    return s;
  }
  if (ends_with(".ndjson") || ends_with(".jsonl")) {
    uint64_t line = 0;
    size_t pos = 0;
    uint64_t last_report = 0;
    while (pos < body.size()) {
      size_t nl = body.find('\n', pos);
      if (nl == std::string_view::npos) nl = body.size();
      std::string_view l = body.substr(pos, nl - pos);
      ++line;
      if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
      if (l.find_first_not_of(" \t") != std::string_view::npos) {
        CW_RETURN_IF_ERROR(ParseFhirJsonText(l, path, line, true, out));
      }
      pos = nl + 1;
      if (progress && pos - last_report > (1 << 20)) {
        last_report = pos;
        progress(pos, text.size());
      }
    }
    if (progress) progress(text.size(), text.size());
    return Status::Ok();
  }
  Status s = ParseFhirJsonText(body, path, 0, false, out);
  if (progress) progress(text.size(), text.size());
  return s;
}

}  // namespace crosswalk::term
