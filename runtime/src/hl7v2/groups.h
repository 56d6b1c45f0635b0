// Segment groups: matches a parsed message against its message structure (schema.h) and builds the
// group instance tree, so a consumer can iterate "every ORDER_OBSERVATION, within it every OBSERVATION,
// and within that the OBX and its NTEs" without guessing from segment order.
//
//   GroupTree tree;                                   // reusable, like Message
//   tree.Build(msg);                                  // structure from MSH-9
//   for (int oo = tree.FirstChild(tree.root(), "PATIENT_RESULT"); ...)   // see the loop below
//
//   for (int pr = tree.FirstChild(0, "PATIENT_RESULT"); pr >= 0; pr = tree.NextSibling(pr, "PATIENT_RESULT"))
//     for (int oo = tree.FirstChild(pr, "ORDER_OBSERVATION"); oo >= 0; oo = tree.NextSibling(oo, "ORDER_OBSERVATION"))
//       for (int ob = tree.FirstChild(oo, "OBSERVATION"); ob >= 0; ob = tree.NextSibling(ob, "OBSERVATION")) {
//         int obx = tree.FindSegment(ob, "OBX");
//         for (int nte = tree.FindSegment(ob, "NTE"); nte >= 0; nte = tree.FindSegment(ob, "NTE", nte + 1)) ...
//       }
//
// Matching is greedy and lenient, as integration engines are: a segment goes to the deepest open group
// that has a position for it at or after its current one (a repeating group restarts when a segment can
// start it again); a missing required segment is not an error. A segment that fits nowhere (Z-segments,
// unexpected or out-of-order segments) is attached to the innermost open group instance and marked
// unmatched: nothing is ever dropped and matching never fails.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "hl7v2/message.h"
#include "hl7v2/schema.h"

namespace crosswalk::hl7v2 {

struct GroupInstance {
  const StructureNode* def = nullptr;  // the group node (instance 0: the structure's root)
  int parent = -1;                     // instance index, -1 for the root
  int first_child = -1;                // first child instance, -1 if none
  int next_sibling = -1;               // next instance with the same parent, -1 if none
  int begin = 0;                       // segments [begin, end) belong to this instance or its descendants
  int end = 0;
  std::string_view name() const { return def->name; }
};

class GroupTree {
 public:
  // Builds the tree for `message` against `structure`; nullptr means StructureForMessage(message), and
  // when that is unknown too every segment sits in a flat root group named "MESSAGE". Reuses capacity.
  void Build(const Message& message, const StructureDef* structure = nullptr);

  const StructureDef* structure() const { return structure_; }  // nullptr for the flat root
  int root() const { return 0; }
  int size() const { return static_cast<int>(instances_.size()); }
  const GroupInstance& instance(int i) const { return instances_[static_cast<size_t>(i)]; }

  // Innermost instance that holds segment `seg` directly.
  int group_of(int seg) const { return seg_group_[static_cast<size_t>(seg)]; }
  // False when the segment fitted no position of the structure (attached to the innermost open group).
  bool matched(int seg) const { return seg_matched_[static_cast<size_t>(seg)] != 0; }

  // First child instance of `inst` named `name` (any name when empty), or -1.
  int FirstChild(int inst, std::string_view name = {}) const;
  // Next sibling of `inst` named `name` (any name when empty), or -1.
  int NextSibling(int inst, std::string_view name = {}) const;
  // First segment index >= from with id `id` held directly by `inst` (not by a child group), or -1.
  int FindSegment(int inst, std::string_view id, int from = 0) const;

  // "PATIENT_RESULT/ORDER_OBSERVATION/OBSERVATION" (the root is not named; empty for the root).
  std::string Path(int inst) const;

 private:
  struct Frame {
    const StructureNode* group;
    int inst;
    int ci;         // current child position
    bool consumed;  // child `ci` has at least one occurrence
  };
  int Open(const StructureNode* def, int parent, int seg);
  const Message* message_ = nullptr;
  const StructureDef* structure_ = nullptr;
  std::vector<GroupInstance> instances_;
  std::vector<int> last_child_;
  std::vector<int> seg_group_;
  std::vector<char> seg_matched_;
  std::vector<Frame> stack_;
};

}  // namespace crosswalk::hl7v2
