// The record format of the importer's temporary run files (term/import_sink.cc's spilled entries and
// term/external_sort.cc's sorted runs): lengths as LEB128 varints, then the bytes. Files written and read back
// by the same process; a short read is a truncated file.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "crosswalk/status.h"

namespace crosswalk::term {

inline void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// False at end of file or on a varint longer than 64 bits.
inline bool ReadVarint(FILE* f, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    int c = std::getc(f);
    if (c == EOF) return false;
    *v |= static_cast<uint64_t>(c & 0x7f) << shift;
    if ((c & 0x80) == 0) return true;
  }
  return false;
}

// Reads exactly n bytes into *out (resized to n); false on a short read.
inline bool ReadBytes(FILE* f, uint64_t n, std::string* out) {
  out->resize(n);
  return n == 0 || std::fread(out->data(), 1, n, f) == n;
}

// Writes one run file in the format RunFileReader reads, in chunks of about `chunk_bytes`.
class RunFileWriter {
 public:
  // `kind` names the file in errors ("sort run", "run file").
  RunFileWriter(std::string path, std::string_view kind, size_t chunk_bytes);
  ~RunFileWriter();  // closes a file Close() was not called for
  RunFileWriter(const RunFileWriter&) = delete;
  RunFileWriter& operator=(const RunFileWriter&) = delete;

  Status Open();
  // Appends a record (key, value); the caller may append its own tail to *tail() before the next Add.
  void Add(std::string_view key, std::string_view value);
  std::string* tail() { return &chunk_; }
  // Writes what is buffered and closes the file: the first write error of the file, if any.
  Status Close();

 private:
  void Flush();
  Status Errno(std::string_view what) const;

  std::string path_;
  std::string_view kind_;
  size_t chunk_bytes_;
  FILE* f_ = nullptr;
  std::string chunk_;
  bool ok_ = true;
};

// Sequential reader of one run file: records that start with a varint key length, the key, a varint value
// length and the value; a writer may add a tail of its own to each record, which the caller reads from file()
// after each Next() (Truncated() is its error). Errors name the file, never its content.
class RunFileReader {
 public:
  // `kind` names the file in errors ("sort run", "run file"); `io_buffer` is the stdio buffer's size.
  RunFileReader(std::string path, std::string_view kind, size_t io_buffer);
  ~RunFileReader();
  RunFileReader(const RunFileReader&) = delete;
  RunFileReader& operator=(const RunFileReader&) = delete;

  // Opens the file and reads its first record.
  Status Open();
  // Reads the next record; at the end of the file valid() turns false.
  Status Next();
  bool valid() const { return valid_; }
  std::string_view key() const { return key_; }
  std::string_view value() const { return value_; }
  FILE* file() const { return f_; }
  Status Truncated() const;

 private:
  std::string path_;
  std::string_view kind_;
  size_t io_buffer_;
  FILE* f_ = nullptr;
  std::unique_ptr<char[]> buffer_;
  bool valid_ = false;
  std::string key_, value_;
};

}  // namespace crosswalk::term
