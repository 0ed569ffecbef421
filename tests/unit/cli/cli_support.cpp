#include "tests/unit/cli/cli_support.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

extern char** environ;

namespace hcasim_cli_test {

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
  ASSERT_TRUE(out.good()) << "cannot write " << p;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(' ');
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(' ') - b + 1);
}

fs::path fresh_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(info->test_suite_name()) + "_" + info->name();
  for (char& c : name)
    if (c == '/') c = '_';
  const fs::path dir = fs::absolute("cli_test_out") / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

Child start_program(const std::string& program, const std::vector<std::string>& args,
                    const fs::path& cwd) {
  static int counter = 0;
  const std::string tag = "capture_" + std::to_string(counter++);
  Child child;
  child.out_path = (cwd / (tag + ".stdout")).string();
  child.err_path = (cwd / (tag + ".stderr")).string();
  const std::string cwd_s = cwd.string();

  std::vector<std::string> argv_s{program};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  // HCASIM_SCENARIOS is dropped from the environment so that `hcasim list` sees the bundled
  // folder.
  std::vector<std::string> env_s;
  for (char** e = environ; *e; ++e)
    if (std::string(*e).rfind("HCASIM_SCENARIOS=", 0) != 0) env_s.push_back(*e);
  std::vector<char*> envp;
  for (auto& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);

  std::fflush(stdout);
  std::fflush(stderr);
  child.pid = fork();
  if (child.pid < 0) {
    ADD_FAILURE() << "fork failed: " << std::strerror(errno);
    return child;
  }
  if (child.pid == 0) {
    const int o = open(child.out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = open(child.err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0 || chdir(cwd_s.c_str()) != 0) _exit(126);
    close(o);
    close(e);
    // The child gets the default signal actions whatever the test runner had.
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  return child;
}

RunResult wait_program(const Child& child) {
  RunResult r;
  if (child.pid < 0) return r;
  int st = 0;
  struct rusage usage {};
  while (wait4(child.pid, &st, 0, &usage) < 0 && errno == EINTR) {
  }
  r.peak_rss_kib = usage.ru_maxrss;
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
  r.out = read_text(child.out_path);
  r.err = read_text(child.err_path);
  fs::remove(child.out_path);
  fs::remove(child.err_path);
  return r;
}

RunResult run_program(const std::string& program, const std::vector<std::string>& args,
                      const fs::path& cwd) {
  return wait_program(start_program(program, args, cwd));
}

RunResult hcasim(const std::vector<std::string>& args, const fs::path& cwd) {
  return run_program(kExe, args, cwd);
}

std::string describe(const RunResult& r) {
  return "exit " + std::to_string(r.status) +
         (r.signal ? " (killed by signal " + std::to_string(r.signal) + ")" : "") +
         "\n--- stdout:\n" + r.out + "--- stderr:\n" + r.err;
}

// Output files (and their temporaries and partial traces) anywhere under `dir`, relative to it.
std::vector<std::string> outputs_under(const fs::path& dir) {
  std::vector<std::string> found;
  if (!fs::exists(dir)) return found;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    bool is_output = n.rfind("trace_enum_", 0) == 0 || n == "trace.vcd.partial" ||
                     n == "trace.fst" || n == "trace.fst.partial" ||
                     (n.size() > 4 && n.compare(n.size() - 4, 4, ".tmp") == 0) ||
                     (n.size() > 9 && n.compare(n.size() - 9, 9, ".tmp.hier") == 0);
    for (const char* o : kOutputs) is_output = is_output || n == o;
    if (is_output) found.push_back(fs::relative(e.path(), dir).string());
  }
  std::sort(found.begin(), found.end());
  return found;
}

// Every file of a folder tree with its contents.
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) files[fs::relative(e.path(), dir).string()] = read_text(e.path());
  return files;
}

json load_json(const fs::path& p) {
  try {
    return json::parse(read_text(p));
  } catch (const json::exception& e) {
    ADD_FAILURE() << p << " does not parse: " << e.what();
    return json::object();
  }
}

std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "");
  for (std::string d; std::getline(dirs, d, ':');) {
    const fs::path p = fs::path(d.empty() ? "." : d) / name;
    if (access(p.c_str(), X_OK) == 0) return p.string();
  }
  return "";
}

}  // namespace hcasim_cli_test
