#include "serve/mllp.h"

namespace crosswalk::serve {

void MllpDeframer::Compact() {
  // Drop consumed bytes once they dominate the buffer, so a long-lived connection does not grow it.
  if (pos_ > 0 && (pos_ == buf_.size() || pos_ > (64u << 10))) {
    buf_.erase(0, pos_);
    scan_ -= pos_;
    pos_ = 0;
  }
}

MllpDeframer::Result MllpDeframer::Next(std::string* frame) {
  if (too_large_) return kTooLarge;
  for (;;) {
    if (!in_frame_) {
      // Skip to the next start byte.
      size_t start = buf_.find(kMllpStartByte, pos_);
      if (start == std::string::npos) {
        skipped_ += buf_.size() - pos_;
        pos_ = scan_ = buf_.size();
        Compact();
        return kNeedMore;
      }
      skipped_ += start - pos_;
      pos_ = start + 1;
      scan_ = pos_;
      in_frame_ = true;
    }
    // Look for 0x1C 0x0D after the start byte; scan_ never moves back, except by one byte so that an end
    // marker split between two reads is still found.
    size_t end = buf_.find(kMllpEndByte, scan_);
    while (end != std::string::npos && end + 1 < buf_.size() && buf_[end + 1] != kMllpTrailerByte) {
      end = buf_.find(kMllpEndByte, end + 1);
    }
    if (end == std::string::npos || end + 1 >= buf_.size()) {
      scan_ = end == std::string::npos ? buf_.size() : end;
      if (buf_.size() - pos_ > max_frame_bytes_ + 1) {
        too_large_ = true;
        return kTooLarge;
      }
      Compact();
      return kNeedMore;
    }
    if (end - pos_ > max_frame_bytes_) {
      too_large_ = true;
      return kTooLarge;
    }
    frame->assign(buf_, pos_, end - pos_);
    pos_ = end + 2;
    scan_ = pos_;
    in_frame_ = false;
    Compact();
    return kFrame;
  }
}

void AppendMllpFrame(std::string_view message, std::string* out) {
  out->push_back(kMllpStartByte);
  out->append(message.data(), message.size());
  out->push_back(kMllpEndByte);
  out->push_back(kMllpTrailerByte);
}

}  // namespace crosswalk::serve
