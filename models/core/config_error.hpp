#pragma once
// The one error type for bad user input (scenario files, --set, CLI values). The CLI turns it
// into exit status 2; its message already names the file, line, key and what is allowed.
#include <stdexcept>
#include <string>

namespace hcasim {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace hcasim
