// Files written so that a crash never shows a partial one under its final name: write under a temporary
// name, make it durable (one syncfs for a whole batch), rename into place, fsync the folder. Used by
// `crosswalk serve` (server.cc) and `crosswalk run` (tools/crosswalk/cmd_run.cc). Every function returns ""
// on success or the reason (OS error text; paths, never content).
#pragma once

#include <string>
#include <string_view>

namespace crosswalk::serve {

// Writes all of `data` to `fd`, retrying on EINTR and short writes.
std::string WriteAll(int fd, std::string_view data);

// Creates (or truncates) `path` and writes `data` to it, not synced; on failure the file is removed and
// the reason says which step failed ("cannot create: …" or "cannot write: …").
std::string WriteFileAt(const std::string& path, std::string_view data);

// Reads the whole file at `path` into *out.
std::string ReadWholeFile(const std::string& path, std::string* out);

// syncfs() of the file system holding `dir` (`whole_fs`: every dirty page there, reporting a write-back
// error of any of them), or fsync() of the folder itself (so that renames in it survive a crash).
std::string SyncPath(const std::string& dir, bool whole_fs);

}  // namespace crosswalk::serve
