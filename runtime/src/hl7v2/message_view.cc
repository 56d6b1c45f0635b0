// crosswalk::MessageView (crosswalk/hl7v2.h): the public face of the reader's Message and GroupTree.
#include "crosswalk/hl7v2.h"
#include "hl7v2/groups.h"
#include "hl7v2/message.h"

namespace crosswalk {

class MessageView::Impl {
 public:
  hl7v2::Message message;
  hl7v2::GroupTree tree;
  bool parsed = false;
};

MessageView::MessageView() : impl_(std::make_unique<Impl>()) {}
MessageView::~MessageView() = default;
MessageView::MessageView(MessageView&&) noexcept = default;
MessageView& MessageView::operator=(MessageView&&) noexcept = default;

Status MessageView::Parse(std::string_view message, InvalidUtf8 invalid_utf8) {
  impl_->parsed = false;
  hl7v2::ParseOptions options;
  options.invalid_utf8 = invalid_utf8;
  if (Status s = impl_->message.Parse(message, options); !s.ok()) return s;
  impl_->tree.Build(impl_->message);
  impl_->parsed = true;
  return Status::Ok();
}

int MessageView::segment_count() const { return impl_->parsed ? impl_->message.segment_count() : 0; }

std::string_view MessageView::segment_id(int segment) const {
  if (segment < 0 || segment >= segment_count()) return {};
  return impl_->message.segment_id(segment);
}

int MessageView::field_count(int segment) const {
  if (segment < 0 || segment >= segment_count()) return 0;
  return impl_->message.field_count(segment);
}

std::string_view MessageView::field(int segment, int field) const {
  if (segment < 0 || segment >= segment_count() || field < 1 || field > field_count(segment)) return {};
  return impl_->message.Raw(segment, field);
}

MessageView::Delimiters MessageView::delimiters() const {
  const hl7v2::Encoding& e = impl_->message.encoding();
  Delimiters d;
  if (!impl_->parsed) return d;
  d.field = e.field;
  d.component = e.component;
  d.repetition = e.repetition;
  d.escape = e.escape;
  d.subcomponent = e.subcomponent;
  return d;
}

std::string_view MessageView::Decode(std::string_view raw, std::string* scratch) const {
  return impl_->message.Decode(raw, scratch);
}

std::string_view MessageView::structure() const {
  const hl7v2::StructureDef* s = impl_->parsed ? impl_->tree.structure() : nullptr;
  return s != nullptr ? std::string_view(s->name) : std::string_view();
}

std::string MessageView::group_path(int segment) const {
  if (segment < 0 || segment >= segment_count()) return {};
  std::string path = impl_->tree.Path(impl_->tree.group_of(segment));
  return path.empty() ? std::string(impl_->tree.instance(impl_->tree.root()).name()) : path;
}

bool MessageView::in_structure(int segment) const {
  return segment >= 0 && segment < segment_count() && impl_->tree.matched(segment);
}

}  // namespace crosswalk
