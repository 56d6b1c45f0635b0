#include "term/run_file.h"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace crosswalk::term {

RunFileWriter::RunFileWriter(std::string path, std::string_view kind, size_t chunk_bytes)
    : path_(std::move(path)), kind_(kind), chunk_bytes_(chunk_bytes) {}

RunFileWriter::~RunFileWriter() {
  if (f_ != nullptr) std::fclose(f_);
}

Status RunFileWriter::Errno(std::string_view what) const {
  return IoError(fmt::format("cannot write the terminology store: cannot {} {} '{}': {}", what, kind_, path_,
                             std::strerror(errno)));
}

Status RunFileWriter::Open() {
  f_ = std::fopen(path_.c_str(), "wb");
  return f_ == nullptr ? Errno("create") : Status::Ok();
}

void RunFileWriter::Flush() {
  ok_ = ok_ && std::fwrite(chunk_.data(), 1, chunk_.size(), f_) == chunk_.size();
  chunk_.clear();
}

void RunFileWriter::Add(std::string_view key, std::string_view value) {
  if (chunk_.size() >= chunk_bytes_) Flush();
  PutVarint(&chunk_, key.size());
  chunk_.append(key);
  PutVarint(&chunk_, value.size());
  chunk_.append(value);
}

Status RunFileWriter::Close() {
  Flush();
  ok_ = std::fclose(f_) == 0 && ok_;
  f_ = nullptr;
  return ok_ ? Status::Ok() : Errno("write");
}

RunFileReader::RunFileReader(std::string path, std::string_view kind, size_t io_buffer)
    : path_(std::move(path)), kind_(kind), io_buffer_(io_buffer) {}

RunFileReader::~RunFileReader() {
  if (f_ != nullptr) std::fclose(f_);
}

Status RunFileReader::Open() {
  f_ = std::fopen(path_.c_str(), "rb");
  if (f_ == nullptr) {
    return IoError(fmt::format("cannot write the terminology store: cannot read {} '{}': {}", kind_, path_,
                               std::strerror(errno)));
  }
  buffer_ = std::make_unique<char[]>(io_buffer_);
  std::setvbuf(f_, buffer_.get(), _IOFBF, io_buffer_);
  return Next();
}

Status RunFileReader::Next() {
  int c = std::getc(f_);
  if (c == EOF) {
    valid_ = false;
    if (!std::ferror(f_)) return Status::Ok();
    return IoError(fmt::format("cannot write the terminology store: cannot read {} '{}': {}", kind_, path_,
                               std::strerror(errno)));
  }
  std::ungetc(c, f_);
  uint64_t klen = 0, vlen = 0;
  if (!ReadVarint(f_, &klen) || !ReadBytes(f_, klen, &key_) || !ReadVarint(f_, &vlen) ||
      !ReadBytes(f_, vlen, &value_)) {
    return Truncated();
  }
  valid_ = true;
  return Status::Ok();
}

Status RunFileReader::Truncated() const { return IoError(fmt::format("{} '{}' is truncated", kind_, path_)); }

}  // namespace crosswalk::term
