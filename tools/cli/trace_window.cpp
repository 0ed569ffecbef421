#include "tools/cli/trace_window.hpp"

#include <cctype>
#include <cstdlib>

#include "models/core/config_error.hpp"

namespace hcasim::cli {

namespace {

[[noreturn]] void bad(const std::string& text, const std::string& why) {
  throw ConfigError("--trace-window: '" + text + "' " + why +
                    "; allowed: START:END, two simulated times with a unit of ps, ns, us, ms or "
                    "s, START before END (e.g. 10us:20us)");
}

std::uint64_t parse_time(const std::string& whole, const std::string& t) {
  static const struct {
    const char* unit;
    double ps;
  } kUnits[] = {{"ps", 1}, {"ns", 1e3}, {"us", 1e6}, {"ms", 1e9}, {"s", 1e12}};
  std::size_t digits = 0;
  while (digits < t.size() &&
         (std::isdigit(static_cast<unsigned char>(t[digits])) || t[digits] == '.'))
    ++digits;
  const std::string number = t.substr(0, digits), unit = t.substr(digits);
  if (number.empty() || number == "." || number.find('.') != number.rfind('.'))
    bad(whole, "has a time that is not a number with a unit ('" + t + "')");
  for (const auto& u : kUnits) {
    if (unit != u.unit) continue;
    const double ps = std::strtod(number.c_str(), nullptr) * u.ps;
    if (!(ps < 1.8e19)) bad(whole, "has a time beyond the simulator's range ('" + t + "')");
    return static_cast<std::uint64_t>(ps + 0.5);
  }
  bad(whole, unit.empty() ? "has a time without a unit ('" + t + "')"
                          : "has an unknown unit '" + unit + "'");
}

}  // namespace

TraceWindow parse_trace_window(const std::string& text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string::npos || text.find(':', colon + 1) != std::string::npos)
    bad(text, "is not of the form START:END");
  TraceWindow w;
  w.start_ps = parse_time(text, text.substr(0, colon));
  w.end_ps = parse_time(text, text.substr(colon + 1));
  if (w.start_ps >= w.end_ps) bad(text, "does not end after it starts");
  return w;
}

}  // namespace hcasim::cli
