#include "hl7v2/groups.h"

#include <algorithm>

namespace crosswalk::hl7v2 {
namespace {

const StructureNode& FlatRoot() {
  static const StructureNode* node = [] {
    auto* n = new StructureNode();
    n->name = "MESSAGE";
    n->is_group = true;
    return n;
  }();
  return *node;
}

// Can an instance of `group` start with segment `id`? (Leading optional items may be skipped.)
bool CanStart(const StructureNode& group, std::string_view id) {
  for (const StructureNode& child : group.children) {
    if (child.is_group ? CanStart(child, id) : child.Accepts(id)) return true;
    if (!child.optional) return false;
  }
  return false;
}

bool Fits(const StructureNode& child, std::string_view id) {
  return child.is_group ? CanStart(child, id) : child.Accepts(id);
}

// A group whose first item is a required segment accepting `id` (ORC for an ORDER group).
bool Anchors(const StructureNode& child, std::string_view id) {
  if (!child.is_group || child.children.empty()) return false;
  const StructureNode& first = child.children[0];
  return !first.optional && !first.is_group && first.Accepts(id);
}

}  // namespace

int GroupTree::Open(const StructureNode* def, int parent, int seg) {
  int idx = static_cast<int>(instances_.size());
  GroupInstance inst;
  inst.def = def;
  inst.parent = parent;
  inst.begin = seg;
  inst.end = seg;
  instances_.push_back(inst);
  last_child_.push_back(-1);
  if (parent >= 0) {
    int last = last_child_[static_cast<size_t>(parent)];
    if (last < 0) {
      instances_[static_cast<size_t>(parent)].first_child = idx;
    } else {
      instances_[static_cast<size_t>(last)].next_sibling = idx;
    }
    last_child_[static_cast<size_t>(parent)] = idx;
  }
  return idx;
}

void GroupTree::Build(const Message& message, const StructureDef* structure) {
  message_ = &message;
  if (structure == nullptr) structure = StructureForMessage(message);
  structure_ = structure;
  instances_.clear();
  last_child_.clear();
  stack_.clear();
  const int n = message.segment_count();
  seg_group_.assign(static_cast<size_t>(n), 0);
  seg_matched_.assign(static_cast<size_t>(n), 0);
  const StructureNode* root = structure ? &structure->root : &FlatRoot();
  Open(root, -1, 0);
  stack_.push_back(Frame{root, 0, 0, false});

  // True when the match at (level, pos) enters a group through its optional leading items.
  auto enters_loosely = [this](int level, int pos, std::string_view id) {
    const StructureNode& child = stack_[static_cast<size_t>(level)].group->children[static_cast<size_t>(pos)];
    return child.is_group && !Anchors(child, id);
  };
  for (int s = 0; s < n; ++s) {
    std::string_view id = message.segment_id(s);
    // The deepest frame with a position for this segment at or after its current one.
    int level = -1, pos = -1;
    for (int l = static_cast<int>(stack_.size()) - 1; l >= 0 && level < 0; --l) {
      const Frame& f = stack_[static_cast<size_t>(l)];
      const auto& children = f.group->children;
      for (int j = f.ci; j < static_cast<int>(children.size()); ++j) {
        const StructureNode& child = children[static_cast<size_t>(j)];
        if (j == f.ci && f.consumed && !child.repeating) continue;
        if (Fits(child, id)) {
          level = l;
          pos = j;
          break;
        }
      }
    }
    // A segment that would only *enter* a deeper group through optional leading items yields to an
    // enclosing group it anchors (OML_O21: a second ORC starts a new ORDER, not a PRIOR_RESULT).
    if (level > 0 && enters_loosely(level, pos, id)) {
      for (int l = level - 1; l >= 0; --l) {
        const Frame& f = stack_[static_cast<size_t>(l)];
        const auto& children = f.group->children;
        for (int j = f.ci; j < static_cast<int>(children.size()); ++j) {
          const StructureNode& child = children[static_cast<size_t>(j)];
          if (j == f.ci && f.consumed && !child.repeating) continue;
          if (Anchors(child, id)) {
            level = l;
            pos = j;
            l = -1;
            break;
          }
        }
      }
    }
    if (level < 0) {  // fits nowhere: attach to the innermost open group
      seg_group_[static_cast<size_t>(s)] = stack_.back().inst;
      continue;
    }
    while (static_cast<int>(stack_.size()) > level + 1) {
      instances_[static_cast<size_t>(stack_.back().inst)].end = s;
      stack_.pop_back();
    }
    // Descend from `level` through groups that the segment starts, down to its segment position.
    while (true) {
      Frame& f = stack_.back();
      if (pos != f.ci) {
        f.ci = pos;
        f.consumed = false;
      }
      f.consumed = true;
      const StructureNode& child = f.group->children[static_cast<size_t>(pos)];
      if (!child.is_group) {
        seg_group_[static_cast<size_t>(s)] = f.inst;
        seg_matched_[static_cast<size_t>(s)] = 1;
        break;
      }
      int inst = Open(&child, f.inst, s);
      stack_.push_back(Frame{&child, inst, 0, false});
      pos = -1;
      for (int j = 0; j < static_cast<int>(child.children.size()); ++j) {
        const StructureNode& c = child.children[static_cast<size_t>(j)];
        if (Fits(c, id)) {
          pos = j;
          break;
        }
        if (!c.optional) break;
      }
      if (pos < 0) {  // cannot happen: Fits(child) said it starts here
        seg_group_[static_cast<size_t>(s)] = inst;
        break;
      }
    }
  }
  for (const Frame& f : stack_) instances_[static_cast<size_t>(f.inst)].end = n;
  instances_[0].end = n;
}

int GroupTree::FirstChild(int inst, std::string_view name) const {
  if (inst < 0 || inst >= size()) return -1;
  int c = instances_[static_cast<size_t>(inst)].first_child;
  while (c >= 0 && !name.empty() && instances_[static_cast<size_t>(c)].name() != name) {
    c = instances_[static_cast<size_t>(c)].next_sibling;
  }
  return c;
}

int GroupTree::NextSibling(int inst, std::string_view name) const {
  if (inst < 0 || inst >= size()) return -1;
  int c = instances_[static_cast<size_t>(inst)].next_sibling;
  while (c >= 0 && !name.empty() && instances_[static_cast<size_t>(c)].name() != name) {
    c = instances_[static_cast<size_t>(c)].next_sibling;
  }
  return c;
}

int GroupTree::FindSegment(int inst, std::string_view id, int from) const {
  if (inst < 0 || inst >= size() || message_ == nullptr) return -1;
  const GroupInstance& g = instances_[static_cast<size_t>(inst)];
  for (int s = std::max(from, g.begin); s < g.end; ++s) {
    if (seg_group_[static_cast<size_t>(s)] == inst && message_->segment_id(s) == id) return s;
  }
  return -1;
}

std::string GroupTree::Path(int inst) const {
  std::string path;
  if (inst <= 0 || inst >= size()) return path;
  std::vector<std::string_view> names;
  for (int i = inst; i > 0; i = instances_[static_cast<size_t>(i)].parent) {
    names.push_back(instances_[static_cast<size_t>(i)].name());
  }
  for (size_t k = names.size(); k-- > 0;) {
    path.append(names[k]);
    if (k > 0) path.push_back('/');
  }
  return path;
}

}  // namespace crosswalk::hl7v2
