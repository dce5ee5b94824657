#include "elbo/data/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "elbo/graph/error.hpp"

namespace elbo::data {

namespace {
std::string temp_path(const std::string& path) {
  return path + ".tmp." + std::to_string(static_cast<long>(::getpid()));
}

[[noreturn]] void fail(const std::string& path, const std::string& tmp, int err) {
  std::remove(tmp.c_str());
  throw FormatError("cannot write '" + path + "': " + std::strerror(err));
}

// Flushes the finished temporary file to disk, then renames it onto `path`, so that a
// crash leaves either the old file or the complete new one.
void commit(const std::string& path, const std::string& tmp) {
  int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path, tmp, errno);
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    fail(path, tmp, err);
  }
  ::close(fd);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) fail(path, tmp, errno);
}
}  // namespace

void write_file_atomically(const std::string& path, std::string_view bytes) {
  const std::string tmp = temp_path(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) fail(path, tmp, errno);
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    const ssize_t w = ::write(fd, p, left);
    if (w < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      fail(path, tmp, err);
    }
    p += w;
    left -= static_cast<size_t>(w);
  }
  if (::close(fd) != 0) fail(path, tmp, errno);
  commit(path, tmp);
}

void write_file_atomically(const std::string& path,
                           const std::function<void(std::ostream&)>& write) {
  const std::string tmp = temp_path(path);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) fail(path, tmp, errno ? errno : EIO);
    try {
      write(out);
    } catch (...) {
      out.close();
      std::remove(tmp.c_str());
      throw;
    }
    out.flush();
    if (!out) fail(path, tmp, errno ? errno : EIO);
    out.close();
    if (!out) fail(path, tmp, errno ? errno : EIO);
  }
  commit(path, tmp);
}

}  // namespace elbo::data
