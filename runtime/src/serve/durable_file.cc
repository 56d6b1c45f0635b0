#include "crosswalk/serve.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace crosswalk::serve {

std::string WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::strerror(errno);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return {};
}

std::string WriteFileAt(const std::string& path, std::string_view data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return std::string("cannot create: ") + std::strerror(errno);
  std::string error = WriteAll(fd, data);
  if (::close(fd) != 0 && error.empty()) error = std::strerror(errno);
  if (error.empty()) return error;
  ::unlink(path.c_str());
  return "cannot write: " + error;
}

std::string ReadWholeFile(const std::string& path, std::string* out) {
  out->clear();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::strerror(errno);
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string error = std::strerror(errno);
      ::close(fd);
      return error;
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return {};
}

std::string SyncPath(const std::string& dir, bool whole_fs) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return std::strerror(errno);
  std::string error;
  // EINVAL: a file system that cannot fsync a folder (it has nothing to make durable there).
  if (whole_fs ? ::syncfs(fd) != 0 : (::fsync(fd) != 0 && errno != EINVAL)) error = std::strerror(errno);
  ::close(fd);
  return error;
}

}  // namespace crosswalk::serve
