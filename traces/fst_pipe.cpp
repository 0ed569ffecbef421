// FstPipe (see fst_pipe.hpp): a child process running vcd2fst, fed through a pipe.
#include "traces/fst_pipe.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace hcasim {

namespace {

// vcd2fst copies the VCD's $date into the FST and stamps the wall-clock date when there is
// none; a fixed one keeps identical runs' files identical. It goes first, before the header.
constexpr char kFixedDate[] = "$date\n\tnone (identical runs give identical files)\n$end\n";

int wait_for(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return status;
}

}  // namespace

bool FstPipe::converter_available() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  std::size_t begin = 0;
  for (;;) {
    const std::size_t colon = dirs.find(':', begin);
    std::string dir = dirs.substr(begin, colon == std::string::npos ? colon : colon - begin);
    if (dir.empty()) dir = ".";
    const std::string file = dir + "/" + kConverter;
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(file.c_str(), X_OK) == 0)
      return true;
    if (colon == std::string::npos) return false;
    begin = colon + 1;
  }
}

FstPipe::FstPipe(std::string final_path)
    : final_path_(std::move(final_path)), temp_path_(final_path_ + ".tmp") {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw std::runtime_error("cannot start " + std::string(kConverter) + " for '" + final_path_ +
                             "': " + std::strerror(errno));
  // design decision: a converter that dies must not kill the run with SIGPIPE; the failed
  // write shows in commit(), which reports vcd2fst's exit status.
  std::signal(SIGPIPE, SIG_IGN);
  std::fflush(nullptr);
  pid_ = ::fork();
  if (pid_ < 0) {
    const int err = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::runtime_error("cannot start " + std::string(kConverter) + ": " + std::strerror(err));
  }
  if (pid_ == 0) {
    // The child: only async-signal-safe calls until exec.
    ::signal(SIGINT, SIG_IGN);
    ::signal(SIGTERM, SIG_IGN);
    ::signal(SIGPIPE, SIG_DFL);
    ::dup2(fds[0], 0);  // dup2 clears close-on-exec on the copy
    const int null = ::open("/dev/null", O_WRONLY);
    if (null >= 0) ::dup2(null, 1);  // vcd2fst reports its progress on stdout
    ::execlp(kConverter, kConverter, "-", temp_path_.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[0]);
  fd_ = fds[1];
  pipe_ = ::fdopen(fd_, "w");
  if (!pipe_) {
    ::close(fd_);
    ::kill(pid_, SIGKILL);
    wait_for(pid_);
    throw std::runtime_error("cannot write to " + std::string(kConverter));
  }
  std::fwrite(kFixedDate, 1, sizeof kFixedDate - 1, pipe_);
}

FstPipe::~FstPipe() {
  if (committed_) return;
  // design decision: the converter is let finish rather than killed, because a killed vcd2fst
  // leaves its hierarchy file ("<tmp>.hier") behind; at the end of its input it removes that.
  if (pipe_) std::fclose(pipe_);
  if (pid_ > 0) wait_for(pid_);
  std::remove(temp_path_.c_str());
  std::remove((temp_path_ + ".hier").c_str());
}

void FstPipe::commit() {
  const bool write_ok = std::ferror(pipe_) == 0;
  const bool close_ok = std::fclose(pipe_) == 0;
  pipe_ = nullptr;
  const int status = wait_for(pid_);
  pid_ = -1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const std::string how = WIFEXITED(status) && WEXITSTATUS(status) == 127
                                ? "could not be run (is GTKWave installed?)"
                                : "failed (status " + std::to_string(status) + ")";
    throw std::runtime_error(std::string(kConverter) + " writing '" + temp_path_ + "' " + how);
  }
  if (!write_ok || !close_ok)
    throw std::runtime_error("error while writing the trace into " + std::string(kConverter));
  if (std::rename(temp_path_.c_str(), final_path_.c_str()) != 0)
    throw std::runtime_error("cannot rename '" + temp_path_ + "' to '" + final_path_ +
                             "': " + std::strerror(errno));
  committed_ = true;
}

}  // namespace hcasim
