#pragma once
// Where the VCD writer's text goes: a file that appears under its final name only when it is
// complete (commit); AtomicFile is the one hcasim uses. A file dropped without commit leaves
// nothing under its final name.
#include <cstdio>
#include <string>

namespace hcasim {

class TraceFile {
 public:
  virtual ~TraceFile() = default;
  // The stream the writer writes its text into.
  virtual std::FILE* handle() = 0;
  virtual const std::string& final_path() const = 0;
  // Ends the text and puts the file in place; throws std::runtime_error naming it on failure.
  virtual void commit() = 0;
};

}  // namespace hcasim
