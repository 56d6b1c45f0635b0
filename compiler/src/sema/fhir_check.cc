#include "sema/fhir_check.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace crosswalk::compiler {
namespace {

// ---- the R4 table ----
struct ElementRow {
  std::string_view owner, name, type;
  int flags;
};
constexpr int kRepeats = 1, kRequired = 2, kPrimitive = 4;

constexpr ElementRow kElements[] = {
#define CW_FHIR_ELEMENT(owner, name, type, flags) {owner, name, type, flags},
#define CW_FHIR_PRIMITIVE(name)
#define CW_FHIR_RESOURCE(name)
#include "sema/fhir_r4.inc"
#undef CW_FHIR_ELEMENT
#undef CW_FHIR_PRIMITIVE
#undef CW_FHIR_RESOURCE
};
constexpr std::string_view kResources[] = {
#define CW_FHIR_ELEMENT(owner, name, type, flags)
#define CW_FHIR_PRIMITIVE(name)
#define CW_FHIR_RESOURCE(name) name,
#include "sema/fhir_r4.inc"
#undef CW_FHIR_ELEMENT
#undef CW_FHIR_PRIMITIVE
#undef CW_FHIR_RESOURCE
};

bool IsResource(std::string_view name) {
  return std::binary_search(std::begin(kResources), std::end(kResources), name);
}

// The rows of `owner` (sorted by name), empty when the table does not describe it.
std::pair<const ElementRow*, const ElementRow*> ElementsOf(std::string_view owner) {
  auto lo = std::lower_bound(std::begin(kElements), std::end(kElements), owner,
                             [](const ElementRow& r, std::string_view o) { return r.owner < o; });
  auto hi = lo;
  while (hi != std::end(kElements) && hi->owner == owner) ++hi;
  return {lo, hi};
}

const ElementRow* FindElement(std::string_view owner, std::string_view name) {
  auto [lo, hi] = ElementsOf(owner);
  auto it = std::lower_bound(lo, hi, name, [](const ElementRow& r, std::string_view n) { return r.name < n; });
  return it != hi && it->name == name ? it : nullptr;
}

// The JSON kind a primitive type is written as.
enum class Json { kString, kNumber, kBool };
Json JsonKindOf(std::string_view primitive) {
  if (primitive == "boolean") return Json::kBool;
  if (primitive == "integer" || primitive == "unsignedInt" || primitive == "positiveInt" || primitive == "decimal" ||
      primitive == "integer64") {
    return Json::kNumber;
  }
  return Json::kString;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

// Edit distance (insert, delete, substitute), for "did you mean".
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// The names of `base`'s choice (value -> valueQuantity, valueString, ...), at most 6, or empty.
std::string Choices(const ElementRow* lo, const ElementRow* hi, std::string_view base) {
  std::string choices;
  int n = 0;
  for (auto r = lo; r != hi; ++r) {
    if (r->name.size() > base.size() && r->name.substr(0, base.size()) == base &&
        std::isupper(static_cast<unsigned char>(r->name[base.size()]))) {
      if (n < 6) choices += (n ? ", " : "") + std::string(r->name);
      ++n;
    }
  }
  if (n > 6) choices += ", ...";
  return choices;
}

// The closest of `names` to `name` (same letters in another case, else at most 2 edits), or empty.
template <typename It, typename Name>
std::string_view Closest(It lo, It hi, std::string_view name, Name get) {
  std::string_view best;
  size_t best_d = 3;
  for (auto r = lo; r != hi; ++r) {
    std::string_view n = get(*r);
    if (EqualsIgnoringCase(n, name)) return n;
    size_t d = EditDistance(n, name);
    if (d < best_d) best_d = d, best = n;
  }
  return best;
}

// " (did you mean 'birthDate'?)" or " (a choice: valueQuantity, valueString, ...)" or "".
std::string Hint(std::string_view owner, std::string_view name) {
  auto [lo, hi] = ElementsOf(owner);
  std::string choices = Choices(lo, hi, name);  // `value` for value[x]
  if (!choices.empty()) return " (a choice: " + choices + ")";
  // valueAttachment: a type the choice does not allow
  for (size_t i = name.size(); i-- > 1;) {
    if (!std::isupper(static_cast<unsigned char>(name[i]))) continue;
    choices = Choices(lo, hi, name.substr(0, i));
    if (!choices.empty()) return " (" + std::string(name.substr(0, i)) + "[x] allows " + choices + ")";
  }
  std::string_view close = Closest(lo, hi, name, [](const ElementRow& r) { return r.name; });
  return close.empty() ? "" : " (did you mean '" + std::string(close) + "'?)";
}

// The display name of an owner: "Patient", "Patient.contact (BackboneElement)".
std::string OwnerName(std::string_view owner) { return std::string(owner); }

class FhirChecker {
 public:
  FhirChecker(const ModuleUnit& unit, DiagnosticSink& sink, bool warn, FhirObjectTypes* types)
      : unit_(unit), sink_(sink), warn_(warn), types_(types) {}

  void Run() {
    for (const MapDecl* m : unit_.module.maps) {
      if (!m->body) continue;
      input_type_.clear();
      shadowed_.clear();
      if (m->source == DataKind::kFhir && IsResource(m->source_type)) {
        input_type_ = m->source_type;
        CollectLocals(m->body);
      }
      // A map declared `-> json` or `-> hl7v2` writes its own model: a resourceType there names nothing.
      fhir_out_ = m->target == DataKind::kFhir;
      CheckObject(m->body, fhir_out_ ? std::string_view(m->target_type) : std::string_view(), m->loc);
    }
    fhir_out_ = true;
    input_type_.clear();
    for (const DefDecl* d : unit_.module.defs) {
      if (d->body) CheckObject(d->body, {}, d->loc);
      if (d->expr) Walk(d->expr);
    }
  }

 private:
  // ---- output: objects ----

  // The constant resourceType an object sets, or empty.
  static const Expr* ResourceTypeOf(const Block* b) {
    for (const Stmt* s : b->stmts) {
      if (s->kind == StmtKind::kField && s->name == "resourceType" && s->value && s->value->kind == ExprKind::kString) {
        return s->value;
      }
    }
    return nullptr;
  }

  // Checks the fields of an object literal (or a map/def body) as `type` (empty: decided by its own
  // resourceType, or not checked).
  void CheckObject(const Block* b, std::string_view type, SourceLocation loc) {
    if (const Expr* rt = fhir_out_ ? ResourceTypeOf(b) : nullptr) {
      if (!IsResource(rt->text)) {
        sink_.Error(rt->loc, DiagCode::E0230, "'" + rt->text + "' is not a FHIR R4 resource type" + ResourceHint(rt->text));
        type = {};
      } else if (type.empty() || type == "Resource" || IsResource(type)) {
        type = rt->text;
      }
    } else if (type == "Resource") {
      type = {};
    }
    if (type.empty() || ElementsOf(type).first == ElementsOf(type).second) {
      WalkBlock(b);
      return;
    }
    if (types_) (*types_)[b] = std::string(type);
    std::set<std::string_view> set;
    bool open = false;
    CheckFields(b, type, &set, &open);
    if (open || !warn_) return;
    auto [lo, hi] = ElementsOf(type);
    for (auto r = lo; r != hi; ++r) {
      if ((r->flags & kRequired) && !set.count(r->name)) {
        sink_.Warning(loc, DiagCode::W0003,
                      OwnerName(type) + "." + std::string(r->name) + " is required (min 1) and this object never sets it");
      }
    }
  }

  void CheckFields(const Block* b, std::string_view type, std::set<std::string_view>* set, bool* open) {
    for (const Stmt* s : b->stmts) {
      switch (s->kind) {
        case StmtKind::kField: {
          if (s->cond) Walk(s->cond);
          if (s->name == "resourceType") {
            set->insert("resourceType");
            break;
          }
          const ElementRow* row = FindElement(type, s->name);
          if (!row && s->name.size() > 1 && s->name[0] == '_') {  // `_birthDate`: the primitive's id/extensions
            const ElementRow* prim = FindElement(type, std::string_view(s->name).substr(1));
            if (prim && (prim->flags & kPrimitive)) {
              CheckValue(s->value, "Element", prim->flags & kRepeats, s->append, s->loc, s->name);
              break;
            }
          }
          if (!row) {
            sink_.Error(s->loc, DiagCode::E0230,
                        OwnerName(type) + " has no element '" + s->name + "'" + Hint(type, s->name));
            Walk(s->value);
            break;
          }
          set->insert(row->name);
          if (s->append && !(row->flags & kRepeats)) {
            sink_.Error(s->loc, DiagCode::E0232,
                        "'" + s->name + "' takes one value (0..1): `" + s->name + "[]:` would make it an array");
          }
          CheckValue(s->value, row->type, row->flags, s->append, s->loc, s->name);
          break;
        }
        case StmtKind::kSpread:
        case StmtKind::kReturn:  // the result is another value: what this block sets is not all of it
          *open = true;
          Walk(s->value);
          break;
        case StmtKind::kIf:
          Walk(s->cond);
          if (s->then_block) CheckFields(s->then_block, type, set, open);
          if (s->else_block) CheckFields(s->else_block, type, set, open);
          break;
        case StmtKind::kFor:
          Walk(s->value);
          if (s->cond) Walk(s->cond);
          if (s->then_block) CheckFields(s->then_block, type, set, open);
          break;
        default:
          Walk(s->value);
          if (s->cond) Walk(s->cond);
          break;
      }
    }
  }

  // A value written into an element of `type` (flags of the element). `append`: written with `key[]:`.
  void CheckValue(const Expr* v, std::string_view type, int flags, bool append, SourceLocation loc,
                  const std::string& key) {
    if (!v) return;
    bool repeats = flags & kRepeats;
    switch (v->kind) {
      case ExprKind::kCond:
        Walk(v->kids[0]);
        CheckValue(v->kids[1], type, flags, append, loc, key);
        if (v->kids.size() > 2) CheckValue(v->kids[2], type, flags, append, loc, key);
        return;
      case ExprKind::kCoalesce:
        CheckValue(v->kids[0], type, flags, append, loc, key);
        CheckValue(v->kids[1], type, flags, append, loc, key);
        return;
      case ExprKind::kArray:
      case ExprKind::kFor:
        if (!repeats && !append) {  // (`key[]:` on a single element is reported once, by CheckFields)
          sink_.Error(v->loc, DiagCode::E0232, "'" + key + "' takes one value (0..1), not an array");
        }
        if (v->kind == ExprKind::kArray) {
          for (const Expr* item : v->kids) CheckItem(item, type, v->loc, key);
        } else {
          Walk(v->kids[0]);
          if (v->kids.size() > 2 && v->kids[2]) Walk(v->kids[2]);
          CheckItem(v->kids[1], type, v->loc, key);
        }
        return;
      case ExprKind::kObject:
      case ExprKind::kString:
      case ExprKind::kTemplate:
      case ExprKind::kInt:
      case ExprKind::kDecimal:
      case ExprKind::kBool:
        if (repeats && !append) {
          sink_.Error(v->loc, DiagCode::E0232,
                      "'" + key + "' repeats (0..*): FHIR JSON writes it as an array (`" + key + ": [ ... ]` or `" + key +
                          "[]: ...`)");
        }
        CheckItem(v, type, loc, key);
        return;
      default:
        Walk(v);
        return;
    }
  }

  // One item of an element of `type`.
  void CheckItem(const Expr* v, std::string_view type, SourceLocation loc, const std::string& key) {
    if (!v) return;
    bool primitive = FindPrimitive(type);
    switch (v->kind) {
      case ExprKind::kCond:
        Walk(v->kids[0]);
        CheckItem(v->kids[1], type, loc, key);
        if (v->kids.size() > 2) CheckItem(v->kids[2], type, loc, key);
        return;
      case ExprKind::kCoalesce:
        CheckItem(v->kids[0], type, loc, key);
        CheckItem(v->kids[1], type, loc, key);
        return;
      case ExprKind::kObject:
        if (primitive) {
          sink_.Error(v->loc, DiagCode::E0231, "'" + key + "' is a FHIR " + std::string(type) + ", not an object");
          WalkBlock(v->block);
          return;
        }
        CheckObject(v->block, type, v->loc);
        return;
      case ExprKind::kString:
      case ExprKind::kTemplate:
      case ExprKind::kInt:
      case ExprKind::kDecimal:
      case ExprKind::kBool: {
        if (v->kind == ExprKind::kTemplate) Walk(v);
        if (type == "Resource" || !primitive) {
          if (type != "Resource" && ElementsOf(type).first == ElementsOf(type).second) return;  // unknown type
          sink_.Error(v->loc, DiagCode::E0231,
                      "'" + key + "' is a FHIR " + std::string(type) + " (an object), not a " + LiteralKind(v));
          return;
        }
        Json want = JsonKindOf(type);
        Json got = v->kind == ExprKind::kBool                                       ? Json::kBool
                   : v->kind == ExprKind::kInt || v->kind == ExprKind::kDecimal ? Json::kNumber
                                                                                  : Json::kString;
        if (want != got) {
          sink_.Error(v->loc, DiagCode::E0231,
                      "'" + key + "' is a FHIR " + std::string(type) + " (" + JsonName(want) + "), not a " + LiteralKind(v));
        }
        return;
      }
      default:
        Walk(v);
        return;
    }
  }

  static bool FindPrimitive(std::string_view type) {
    static const std::set<std::string_view> kPrimitives = {
#define CW_FHIR_ELEMENT(owner, name, type, flags)
#define CW_FHIR_PRIMITIVE(name) name,
#define CW_FHIR_RESOURCE(name)
#include "sema/fhir_r4.inc"
#undef CW_FHIR_ELEMENT
#undef CW_FHIR_PRIMITIVE
#undef CW_FHIR_RESOURCE
    };
    return kPrimitives.count(type) > 0;
  }

  static std::string LiteralKind(const Expr* v) {
    switch (v->kind) {
      case ExprKind::kBool: return "boolean";
      case ExprKind::kInt:
      case ExprKind::kDecimal: return "number";
      default: return "string";
    }
  }
  static std::string JsonName(Json j) {
    return j == Json::kBool ? "a JSON boolean" : j == Json::kNumber ? "a JSON number" : "a JSON string";
  }
  static std::string ResourceHint(std::string_view name) {
    std::string_view close = Closest(std::begin(kResources), std::end(kResources), name, [](std::string_view r) { return r; });
    return close.empty() ? "" : " (did you mean '" + std::string(close) + "'?)";
  }

  // ---- anything else: find objects that name their resourceType, and input reads ----
  void WalkBlock(const Block* b) {
    if (!b) return;
    for (const Stmt* s : b->stmts) {
      Walk(s->value);
      Walk(s->cond);
      WalkBlock(s->then_block);
      WalkBlock(s->else_block);
    }
  }

  void Walk(const Expr* e) {
    if (!e) return;
    if (e->kind == ExprKind::kObject) {
      CheckObject(e->block, {}, e->loc);
      return;
    }
    if ((e->kind == ExprKind::kMember || e->kind == ExprKind::kIndex) && !input_type_.empty()) {
      CheckRead(e);
      return;
    }
    for (const Expr* k : e->kids) Walk(k);
    for (const MatchArm& arm : e->arms) {
      for (const Expr* p : arm.patterns) Walk(p);
      Walk(arm.value);
    }
  }

  // ---- input: member chains on a FHIR input ----
  // The FHIR type of a read (an owner name), or empty when unknown. Reports unknown elements.
  std::string_view ReadType(const Expr* e) {
    switch (e->kind) {
      case ExprKind::kName:
        if ((e->text == "input" || e->text == "msg" || e->text == input_type_) && !shadowed_.count(e->text)) {
          return input_type_;
        }
        return {};
      case ExprKind::kIndex: {
        std::string_view base = ReadType(e->kids[0]);
        Walk(e->kids[1]);
        if (base.empty() || e->kids[1]->kind != ExprKind::kString) return base;  // [0]: an item, same type
        return Member(base, e->kids[1]->text, e->kids[1]->loc);
      }
      case ExprKind::kMember: {
        std::string_view base = ReadType(e->kids[0]);
        if (base.empty()) return {};
        return Member(base, e->text, e->loc);
      }
      default:
        Walk(e);
        return {};
    }
  }

  std::string_view Member(std::string_view type, const std::string& name, SourceLocation loc) {
    if (ElementsOf(type).first == ElementsOf(type).second) return {};  // a primitive or unknown
    if (name == "resourceType" && IsResource(type)) return {};
    const ElementRow* row = FindElement(type, name);
    if (!row) {
      sink_.Error(loc, DiagCode::E0230, OwnerName(type) + " has no element '" + name + "'" + Hint(type, name));
      return {};
    }
    return row->type == "Resource" ? std::string_view() : row->type;
  }

  void CheckRead(const Expr* e) { ReadType(e); }

  void CollectLocals(const Block* b) {
    if (!b) return;
    for (const Stmt* s : b->stmts) {
      if (s->kind == StmtKind::kLet || s->kind == StmtKind::kFor) {
        shadowed_.insert(s->name);
        if (!s->index_name.empty()) shadowed_.insert(s->index_name);
      }
      CollectLocals(s->then_block);
      CollectLocals(s->else_block);
    }
  }

  const ModuleUnit& unit_;
  DiagnosticSink& sink_;
  bool warn_;                       // report W0003 (not on a tree recovered from syntax errors)
  bool fhir_out_ = true;            // objects with a resourceType are FHIR (not in a `-> json` map's body)
  std::string input_type_;          // the map's FHIR source resource type, or empty
  std::set<std::string> shadowed_;  // local names that hide `input` / `msg` / the type name
  FhirObjectTypes* types_;          // where the type of each checked object is recorded, or null
};

}  // namespace

void CheckFhir(const std::vector<ModuleUnit>& units, DiagnosticSink& sink, FhirObjectTypes* types) {
  bool warn = !sink.has_errors();  // errors so far are syntax errors: the tree is a recovery, not the file
  for (const ModuleUnit& u : units) FhirChecker(u, sink, warn, types).Run();
}

std::vector<FhirElementInfo> FhirElementsOf(std::string_view owner) {
  std::vector<FhirElementInfo> out;
  auto [lo, hi] = ElementsOf(owner);
  for (auto r = lo; r != hi; ++r) {
    out.push_back({r->owner, r->name, r->type, (r->flags & kRepeats) != 0, (r->flags & kRequired) != 0,
                   (r->flags & kPrimitive) != 0});
  }
  return out;
}

bool IsFhirResource(std::string_view name) { return IsResource(name); }

}  // namespace crosswalk::compiler
