#pragma once
// Helpers of the end-to-end tests of the `hcasim` command line: run the real executable as a
// child process in a folder of its own and look at what a user would see (exit status,
// messages, the files of its output folder).
#include <sys/types.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace hcasim_cli_test {

namespace fs = std::filesystem;
using nlohmann::json;

inline const std::string kExe = HCASIM_EXE;
inline const fs::path kSourceDir = HCASIM_SOURCE_DIR;
inline const fs::path kScenarios = kSourceDir / "workloads" / "scenarios";
inline const std::string kDefaultIni = (kScenarios / "default.ini").string();
inline const char* const kOutputs[] = {"summary.json", "latency.csv", "trace.vcd", "trace.gtkw"};

struct RunResult {
  int status = -1;        // exit status; -1 when the child did not exit normally
  int signal = 0;         // the signal that ended the child, if one did
  long peak_rss_kib = 0;  // the child's peak resident memory (ru_maxrss of wait4)
  std::string out;
  std::string err;
};

std::string read_text(const fs::path& p);
void write_text(const fs::path& p, const std::string& text);
std::vector<std::string> lines_of(const std::string& text);
std::string trim(const std::string& s);
// A fresh, empty folder for the running test: cli_test_out/<suite>_<test> under the working dir.
fs::path fresh_dir();

// A child started in `cwd` with stdout and stderr going to files there; wait() collects it.
struct Child {
  pid_t pid = -1;
  std::string out_path;
  std::string err_path;
};
Child start_program(const std::string& program, const std::vector<std::string>& args,
                    const fs::path& cwd);
RunResult wait_program(const Child& child);

// Runs `program args...` with `cwd` as working folder and waits for it.
RunResult run_program(const std::string& program, const std::vector<std::string>& args,
                      const fs::path& cwd);
RunResult hcasim(const std::vector<std::string>& args, const fs::path& cwd);
std::string describe(const RunResult& r);
// Output files (and their temporaries and partial traces) anywhere under `dir`, relative to it.
std::vector<std::string> outputs_under(const fs::path& dir);
// Every file of a folder tree with its contents.
std::map<std::string, std::string> snapshot(const fs::path& dir);
json load_json(const fs::path& p);
std::string find_on_path(const std::string& name);

}  // namespace hcasim_cli_test
