// crosswalk::MessageSplitter (crosswalk/hl7v2.h): a line-at-a-time state machine over a buffer that
// holds only the bytes of the current message and the current line.
//
// All positions are stream offsets (uint64_t); buf_[0] is stream offset base_. Feed() appends and drops
// the bytes no state refers to any more; Next() runs Step() until an item is queued. Items refer to
// buf_ by offset, so a message's text is a view into buf_ (no copy), valid until Feed() compacts.
#include <cstring>
#include <deque>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <string>

#include "crosswalk/hl7v2.h"
#include "hl7v2/framing.h"

namespace crosswalk {
namespace {

bool IsIdChar(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// True when `line` starts with segment id `id` followed by a delimiter or nothing.
bool StartsSegment(std::string_view line, std::string_view id) {
  if (line.size() < 3 || line.substr(0, 3) != id) return false;
  return line.size() == 3 || !(IsIdChar(line[3]) || (line[3] >= 'a' && line[3] <= 'z'));
}

Status ItemError(StatusCode code, std::string text, uint64_t offset) {
  ErrorContext ctx;
  ctx.byte_offset = offset;
  ctx.input_position = "byte " + std::to_string(offset);
  return Status(code, std::move(text), std::move(ctx));
}

constexpr uint64_t kNone = UINT64_MAX;

}  // namespace

class MessageSplitter::Impl {
 public:
  explicit Impl(const SplitterOptions& options) : options_(options) {}

  void Feed(std::string_view chunk) {
    if (final_ || chunk.empty()) return;
    Compact();
    buf_.append(chunk.data(), chunk.size());
  }

  void Finish() { final_ = true; }

  bool Next(SplitItem* item) {
    while (queue_.empty()) {
      if (!Step()) return false;
    }
    const Pending& p = queue_.front();
    item->kind = p.kind;
    item->offset = p.offset;
    item->length = p.length;
    item->text = p.kind == SplitItem::Kind::kError ? std::string_view() : View(p.offset, p.length);
    item->error = p.error;
    queue_.pop_front();
    return true;
  }

  void Reset() {
    buf_.clear();
    queue_.clear();
    *this = Impl(options_, std::move(buf_), std::move(queue_));
  }

  uint64_t bytes_fed() const { return base_ + buf_.size(); }
  size_t buffered_bytes() const { return buf_.size(); }

 private:
  struct Pending {
    SplitItem::Kind kind;
    uint64_t offset, length;
    Status error;
  };

  Impl(const SplitterOptions& options, std::string&& buf, std::deque<Pending>&& queue)
      : options_(options), buf_(std::move(buf)), queue_(std::move(queue)) {}

  uint64_t End() const { return base_ + buf_.size(); }
  char At(uint64_t pos) const { return buf_[static_cast<size_t>(pos - base_)]; }
  std::string_view View(uint64_t offset, uint64_t length) const {
    return std::string_view(buf_).substr(static_cast<size_t>(offset - base_), static_cast<size_t>(length));
  }

  // Drops the bytes before the first one still needed (the open message, queued items, the current line).
  void Compact() {
    uint64_t keep = pos_;
    if (in_msg_ && msg_start_ < keep) keep = msg_start_;
    for (const Pending& p : queue_) {
      if (p.kind != SplitItem::Kind::kError && p.offset < keep) keep = p.offset;
    }
    if (keep <= base_) return;
    buf_.erase(0, static_cast<size_t>(keep - base_));
    base_ = keep;
  }

  bool EndsLine(char c) const {
    return c == '\r' || c == '\n' || c == hl7v2::kMllpStart || (in_frame_ && c == hl7v2::kMllpEnd);
  }

  // First line end at or after `from`, or End(). Checks 16 bytes at a time (SSE2): CR, LF, the MLLP start
  // byte and, inside a frame, the MLLP end byte (EndsLine).
  uint64_t FindLineEnd(uint64_t from) const {
    const char* p = buf_.data();
    size_t i = static_cast<size_t>(from - base_);
    const size_t n = buf_.size();
#if defined(__SSE2__)
    const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n'), vt = _mm_set1_epi8(hl7v2::kMllpStart);
    // Outside a frame 0x1C ends no line: compare against CR again instead.
    const __m128i fs = _mm_set1_epi8(in_frame_ ? hl7v2::kMllpEnd : '\r');
    for (; i + 16 <= n; i += 16) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
      __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf)),
                               _mm_or_si128(_mm_cmpeq_epi8(v, vt), _mm_cmpeq_epi8(v, fs)));
      unsigned bits = static_cast<unsigned>(_mm_movemask_epi8(m));
      if (bits != 0) return base_ + i + static_cast<size_t>(__builtin_ctz(bits));
    }
#endif
    while (i < n && !EndsLine(p[i])) ++i;
    return base_ + i;
  }

  static bool IsBoundary(std::string_view line) {
    return StartsSegment(line, "MSH") || StartsSegment(line, "FHS") || StartsSegment(line, "BHS") ||
           StartsSegment(line, "BTS") || StartsSegment(line, "FTS");
  }

  void Push(SplitItem::Kind kind, uint64_t offset, uint64_t length, Status error = Status::Ok()) {
    queue_.push_back(Pending{kind, offset, length, std::move(error)});
  }

  // Ends the open message (if any) before stream offset `at`, with the terminators after its last line.
  void CloseMessage(uint64_t at) {
    if (!in_msg_) return;
    in_msg_ = false;
    uint64_t end = last_line_end_;
    while (end < at && (At(end) == '\r' || At(end) == '\n')) ++end;
    if (end - msg_start_ > options_.max_message_bytes) {
      StartSkip(end);
      CloseSkip();
      return;
    }
    Push(SplitItem::Kind::kMessage, msg_start_, end - msg_start_);
  }

  // The open message is over the limit: its bytes up to `upto` are dropped, and so are its later lines
  // (skip_end_ follows them). Its error is pushed when it ends, so that the error's length is the
  // message's whole span whatever the chunking.
  void StartSkip(uint64_t upto) {
    in_msg_ = false;
    skipping_ = true;
    skip_start_ = msg_start_;
    skip_end_ = upto;
  }

  void CloseSkip() {
    if (!skipping_) return;
    skipping_ = false;
    Push(SplitItem::Kind::kError, skip_start_, skip_end_ - skip_start_,
         ItemError(StatusCode::kLimitExceeded,
                   "message longer than max_message_bytes (" + std::to_string(options_.max_message_bytes) + ")",
                   skip_start_));
  }

  void CloseBad() {
    if (!in_bad_) return;
    in_bad_ = false;
    Push(SplitItem::Kind::kError, bad_start_, bad_end_ - bad_start_,
         ItemError(StatusCode::kParseError, "data outside a message (no MSH segment before it)", bad_start_));
  }

  void ExtendBad(uint64_t from, uint64_t to) {
    if (!in_bad_) {
      in_bad_ = true;
      bad_start_ = from;
    }
    bad_end_ = to;
  }

  // The open frame ends at `at` without its end byte. Its open message (possibly cut short) is one error;
  // what the frame held before was complete and has been delivered, so nothing else is lost.
  void BreakFrame(uint64_t at) {
    CloseBad();
    CloseSkip();
    if (in_msg_) {
      in_msg_ = false;
      Push(SplitItem::Kind::kError, msg_start_, at - msg_start_,
           ItemError(StatusCode::kParseError, "MLLP frame has no end block (0x1C)", msg_start_));
    }
    in_frame_ = false;
  }

  // Processes one line (or framing byte). False when nothing more can be done without more input.
  bool Step() {
    const uint64_t end = End();
    if (discard_) {  // the rest of a line too long to keep
      uint64_t e = FindLineEnd(pos_);
      if (in_bad_) bad_end_ = e;
      if (skipping_) skip_end_ = e;
      pos_ = e;
      if (e == end && !final_) return false;
      discard_ = false;
      return true;
    }
    if (pos_ == bom_at_) {
      static constexpr char kBom[] = "\xEF\xBB\xBF";
      size_t avail = static_cast<size_t>(end - pos_);
      size_t n = avail < 3 ? avail : 3;
      if (std::memcmp(&buf_[static_cast<size_t>(pos_ - base_)], kBom, n) == 0) {
        if (n < 3 && !final_) return false;  // maybe a BOM: wait for its other bytes
        if (n == 3) pos_ += 3;
      }
      bom_at_ = kNone;
    }
    // Blanks at the start of a line are consumed; the line is classified from its first other byte.
    while (pos_ < end && (At(pos_) == ' ' || At(pos_) == '\t')) ++pos_;
    if (pos_ == end) {
      if (!final_ || done_) return false;
      done_ = true;
      if (in_frame_) {
        BreakFrame(end);
      } else {
        CloseMessage(end);
        CloseBad();
        CloseSkip();
      }
      return true;
    }
    const uint64_t k = pos_;
    const char c = At(k);
    if (c == '\r' || c == '\n') {
      if (skipping_ && k == skip_end_) skip_end_ = k + 1;  // the dropped message's terminators
      ++pos_;
      return true;
    }
    if (c == hl7v2::kMllpStart) {
      if (in_frame_) {
        BreakFrame(k);
      } else {
        CloseMessage(k);
        CloseBad();
        CloseSkip();
      }
      in_frame_ = true;
      pos_ = k + 1;
      bom_at_ = pos_;
      return true;
    }
    if (c == hl7v2::kMllpEnd && in_frame_) {
      CloseMessage(k);
      CloseBad();
      CloseSkip();
      in_frame_ = false;
      pos_ = k + 1;
      return true;
    }
    uint64_t e = FindLineEnd(scan_ > k ? scan_ : k);
    if (e == end && !final_) {
      scan_ = e;
      if (e - k < 4) return false;  // too short to tell whether it starts a message
      const bool boundary = IsBoundary(View(k, e - k));
      const uint64_t held = boundary || !in_msg_ ? end - k : end - msg_start_;
      if (held <= options_.max_message_bytes) return false;
      if (boundary) {  // a message or envelope segment that is already too long
        CloseMessage(k);
        CloseBad();
        CloseSkip();
        msg_start_ = k;
        StartSkip(end);
      } else if (in_msg_) {
        StartSkip(end);
      } else if (skipping_) {
        skip_end_ = end;
      } else {
        ExtendBad(k, end);
      }
      discard_ = true;
      pos_ = end;
      scan_ = 0;
      return true;
    }
    scan_ = 0;
    std::string_view line = View(k, e - k);
    // Only MSH, FHS, BHS, BTS and FTS start or end a message: most lines are none of them.
    const bool maybe_boundary = c == 'M' || c == 'F' || c == 'B';
    if (maybe_boundary && StartsSegment(line, "MSH")) {
      CloseMessage(k);
      CloseBad();
      CloseSkip();
      in_msg_ = true;
      msg_start_ = k;
      last_line_end_ = e;
    } else if (maybe_boundary && (StartsSegment(line, "FHS") || StartsSegment(line, "BHS") ||
                                  StartsSegment(line, "BTS") || StartsSegment(line, "FTS"))) {
      CloseMessage(k);
      CloseBad();
      CloseSkip();
      Push(SplitItem::Kind::kEnvelope, k, e - k);
    } else if (in_msg_) {
      last_line_end_ = e;
    } else if (skipping_) {
      skip_end_ = e;
    } else {
      ExtendBad(k, e);
    }
    if (in_msg_ && e - msg_start_ > options_.max_message_bytes) StartSkip(e);
    pos_ = e;
    // The line's terminators, here rather than one Step each (a message being dropped takes them one Step
    // each: they extend its span).
    if (!skipping_) {
      while (pos_ < end && (At(pos_) == '\r' || At(pos_) == '\n')) ++pos_;
    }
    return true;
  }

  SplitterOptions options_;
  std::string buf_;
  std::deque<Pending> queue_;
  uint64_t base_ = 0;        // stream offset of buf_[0]
  uint64_t pos_ = 0;         // next byte to process (a line start)
  uint64_t scan_ = 0;        // the open line was scanned up to here without finding its end
  uint64_t bom_at_ = 0;      // where a BOM may be skipped: the stream start and after each 0x0B
  bool final_ = false;       // Finish() was called
  bool done_ = false;        // the end of the stream was processed
  bool discard_ = false;     // dropping the rest of an over-long line
  bool in_frame_ = false;
  bool in_msg_ = false;
  uint64_t msg_start_ = 0;
  uint64_t last_line_end_ = 0;
  bool skipping_ = false;    // dropping the lines of an over-long message until the next boundary
  uint64_t skip_start_ = 0, skip_end_ = 0;  // its span so far
  bool in_bad_ = false;
  uint64_t bad_start_ = 0, bad_end_ = 0;
};

MessageSplitter::MessageSplitter() : MessageSplitter(SplitterOptions()) {}
MessageSplitter::MessageSplitter(const SplitterOptions& options) : impl_(std::make_unique<Impl>(options)) {}
MessageSplitter::~MessageSplitter() = default;
MessageSplitter::MessageSplitter(MessageSplitter&&) noexcept = default;
MessageSplitter& MessageSplitter::operator=(MessageSplitter&&) noexcept = default;

void MessageSplitter::Feed(std::string_view chunk) { impl_->Feed(chunk); }
void MessageSplitter::Finish() { impl_->Finish(); }
bool MessageSplitter::Next(SplitItem* item) { return impl_->Next(item); }
void MessageSplitter::Reset() { impl_->Reset(); }
uint64_t MessageSplitter::bytes_fed() const { return impl_->bytes_fed(); }
size_t MessageSplitter::buffered_bytes() const { return impl_->buffered_bytes(); }

}  // namespace crosswalk
