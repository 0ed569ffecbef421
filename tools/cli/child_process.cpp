#include "tools/cli/child_process.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace hcasim::cli {

namespace fs = std::filesystem;

namespace {

int decode_status(int st) {
  if (WIFEXITED(st)) return WEXITSTATUS(st);
  if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
  return -1;
}

std::vector<char*> argv_pointers(std::vector<std::string>& args) {
  std::vector<char*> p;
  for (auto& a : args) p.push_back(a.data());
  p.push_back(nullptr);
  return p;
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// In the child: redirect, change folder, exec; never returns.
[[noreturn]] void exec_child(std::vector<std::string> args, int out_fd, int err_fd,
                             const std::string& cwd) {
  if (dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0) _exit(126);
  if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
  auto argv = argv_pointers(args);
  execvp(argv[0], argv.data());
  const std::string msg = std::string("cannot run ") + args[0] + ": " + std::strerror(errno) + "\n";
  if (write(2, msg.data(), msg.size()) < 0) _exit(127);
  _exit(127);
}

}  // namespace

pid_t spawn_logged(const std::vector<std::string>& argv, const fs::path& log, const fs::path& cwd) {
  const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0)
    throw std::runtime_error("cannot open log file '" + log.string() +
                             "': " + std::strerror(errno));
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid < 0) {
    close(fd);
    throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid == 0) exec_child(argv, fd, fd, cwd.string());
  close(fd);
  return pid;
}

pid_t spawn_split(const std::vector<std::string>& argv, const fs::path& out, const fs::path& err) {
  const int out_fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  const int err_fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out_fd < 0 || err_fd < 0) {
    if (out_fd >= 0) close(out_fd);
    if (err_fd >= 0) close(err_fd);
    throw std::runtime_error("cannot open '" + out.string() + "': " + std::strerror(errno));
  }
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid == 0) exec_child(argv, out_fd, err_fd, "");
  close(out_fd);
  close(err_fd);
  if (pid < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  return pid;
}

pid_t wait_any_child(int& status) {
  int st = 0;
  pid_t pid;
  while ((pid = waitpid(-1, &st, 0)) < 0 && errno == EINTR) {
  }
  status = pid < 0 ? -1 : decode_status(st);
  return pid;
}

pid_t wait_any_child_for(int& status, int timeout_ms) {
  // Polled: a SIGCHLD handler would touch every other wait in the process.
  for (int waited = 0;; waited += 20) {
    int st = 0;
    const pid_t pid = waitpid(-1, &st, WNOHANG);
    if (pid != 0 || waited >= timeout_ms) {
      status = pid <= 0 ? -1 : decode_status(st);
      return pid;
    }
    usleep(20000);
  }
}

ChildResult capture(const std::vector<std::string>& argv, const fs::path& cwd) {
  // Output goes through unlinked temporary files: no pipe to drain while waiting.
  char out_name[] = "/tmp/hcasim-capture-XXXXXX";
  char err_name[] = "/tmp/hcasim-capture-XXXXXX";
  const int out_fd = mkstemp(out_name);
  const int err_fd = mkstemp(err_name);
  if (out_fd < 0 || err_fd < 0) {
    if (out_fd >= 0) close(out_fd), unlink(out_name);
    if (err_fd >= 0) close(err_fd), unlink(err_name);
    throw std::runtime_error(std::string("cannot create a temporary file: ") +
                             std::strerror(errno));
  }
  std::fflush(stdout);
  std::fflush(stderr);
  ChildResult r;
  const pid_t pid = fork();
  if (pid == 0) exec_child(argv, out_fd, err_fd, cwd.string());
  close(out_fd);
  close(err_fd);
  if (pid > 0) {
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    r.status = decode_status(st);
    r.out = read_all(out_name);
    r.err = read_all(err_name);
  } else {
    r.err = std::string("fork failed: ") + std::strerror(errno);
  }
  unlink(out_name);
  unlink(err_name);
  return r;
}

fs::path self_executable() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot find the hcasim executable: " + ec.message());
  return p;
}

std::string find_program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string d; std::getline(dirs, d, ':');) {
    const fs::path p = fs::path(d.empty() ? "." : d) / name;
    if (access(p.c_str(), X_OK) == 0) return p.string();
  }
  return "";
}

}  // namespace hcasim::cli
