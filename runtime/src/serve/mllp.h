// MLLP framing over a byte stream: 0x0B <message> 0x1C 0x0D, with frames split across reads.
//
//   MllpDeframer d(limits.max_frame_bytes);
//   d.Append(bytes_from_read);                     // any split: a frame may arrive one byte at a time
//   std::string frame;
//   while (d.Next(&frame) == MllpDeframer::kFrame) Handle(frame);   // the message, without the envelope
//
// Bytes between frames (a peer's stray CR/LF, keep-alives) are skipped and counted. A frame that grows past
// max_frame_bytes before its end marker is an error the caller reports (kTooLarge); the stream cannot be
// resynchronised reliably after it, so the listener closes that connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace crosswalk::serve {

inline constexpr char kMllpStartByte = '\x0b';
inline constexpr char kMllpEndByte = '\x1c';
inline constexpr char kMllpTrailerByte = '\x0d';

class MllpDeframer {
 public:
  enum Result { kNeedMore, kFrame, kTooLarge };

  explicit MllpDeframer(size_t max_frame_bytes) : max_frame_bytes_(max_frame_bytes) {}

  // Adds bytes read from the stream.
  void Append(std::string_view bytes) { buf_.append(bytes.data(), bytes.size()); }

  // kFrame: *frame holds the next complete message (envelope removed). kNeedMore: no complete frame yet.
  // kTooLarge: the frame being received exceeds max_frame_bytes (sticky: every later call says so too).
  Result Next(std::string* frame);

  // Bytes skipped outside frames since construction.
  uint64_t skipped_bytes() const { return skipped_; }
  // Bytes held (an incomplete frame).
  size_t buffered() const { return buf_.size() - pos_; }

 private:
  void Compact();

  size_t max_frame_bytes_;
  std::string buf_;
  size_t pos_ = 0;    // start of unconsumed bytes
  size_t scan_ = 0;   // where the search for the end marker resumes (never rescans bytes)
  bool in_frame_ = false;
  bool too_large_ = false;
  uint64_t skipped_ = 0;
};

// Appends `message` wrapped in an MLLP envelope to *out.
void AppendMllpFrame(std::string_view message, std::string* out);

}  // namespace crosswalk::serve
