#pragma once
// Scenario files: INI (Boost.Program_options config syntax). `[section]` + `key = value` gives
// the parameter "section.key". A top-level `include = other.ini` (path relative to the file)
// pulls in a preset first; keys of the including file then override it.
#include <string>

#include "models/core/params.hpp"

namespace hcasim {

// Applies every key of `path` to `values`. Throws ConfigError naming the file, the line and the
// key for a missing file, a malformed line, a repeated key, an unknown key or a bad value.
void load_scenario_file(const std::string& path, ParamValues& values);

// The same for a scenario's text that is already in memory; `path` names it in messages and
// locates its includes (the file itself need not exist). Used by the fuzz targets.
void load_scenario_text(const std::string& text, const std::string& path, ParamValues& values);

// Applies one "key=value" from the command line (origin "--set key=value").
void apply_set_option(const std::string& assignment, ParamValues& values);

}  // namespace hcasim
