#include "models/core/params.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace hcasim {

namespace detail {
std::string format_real(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}
}  // namespace detail

namespace {

std::string join(const std::vector<std::string>& items, const char* sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += items[i];
  }
  return out;
}

std::string format_bound(const ParamSpec& s, double v) {
  if (s.type == ParamType::Integer) {
    // double(INT64_MAX) rounds up to 2^63, which does not convert back: clamp first.
    if (v >= 9223372036854775807.0) return std::to_string(INT64_MAX);
    if (v <= -9223372036854775807.0) return std::to_string(INT64_MIN);
    return std::to_string(static_cast<std::int64_t>(v));
  }
  return detail::format_real(v);
}

bool parse_integer(const std::string& text, std::int64_t& out) {
  const char* b = text.data();
  const char* e = b + text.size();
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    b += 2;
    base = 16;
    if (*b == '-') return false;  // from_chars would read "0x-5" as -5
  }
  auto [p, ec] = std::from_chars(b, e, out, base);
  return ec == std::errc() && p == e && b != e;
}

bool parse_real(const std::string& text, double& out) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && errno == 0 && std::isfinite(out);
}

}  // namespace

std::string ParamSpec::type_text() const {
  switch (type) {
    case ParamType::Integer:
      return "integer";
    case ParamType::Real:
      return "real";
    case ParamType::Boolean:
      return "boolean";
    case ParamType::Text:
      return "text";
    case ParamType::Choice:
      return "choice";
  }
  return "?";
}

std::string ParamSpec::allowed_text() const {
  switch (type) {
    case ParamType::Integer:
      if (!choices.empty()) return "one of " + join(choices, ", ");
      return format_bound(*this, min) + " .. " + format_bound(*this, max);
    case ParamType::Real:
      return format_bound(*this, min) + " .. " + format_bound(*this, max);
    case ParamType::Boolean:
      return "true or false";
    case ParamType::Text:
      return "any text";
    case ParamType::Choice:
      return "one of " + join(choices, ", ");
  }
  return "";
}

void ParamRegistry::add(ParamSpec spec) {
  auto name = spec.name;
  if (!specs_.emplace(name, std::move(spec)).second) {
    throw std::logic_error("parameter declared twice: " + name);
  }
}

const ParamSpec* ParamRegistry::find(const std::string& name) const {
  auto it = specs_.find(name);
  return it == specs_.end() ? nullptr : &it->second;
}

void ParamValues::set(const std::string& name, const std::string& text, const ValueOrigin& origin) {
  const ParamSpec* s = registry_->find(name);
  const std::string at = origin.where + ": key '" + name + "'";
  if (!s) {
    throw ConfigError(at + ": unknown parameter (`hcasim params` lists them all)");
  }
  auto bad = [&](const std::string& why) {
    throw ConfigError(at + ": " + why + "; allowed: " + s->allowed_text() +
                      (s->unit.empty() ? "" : " (" + s->unit + ")"));
  };
  std::string canonical = text;
  switch (s->type) {
    case ParamType::Integer: {
      std::int64_t v = 0;
      if (!parse_integer(text, v)) bad("'" + text + "' is not an integer");
      if (!s->choices.empty()) {
        if (std::find(s->choices.begin(), s->choices.end(), std::to_string(v)) == s->choices.end())
          bad("value " + text + " is not allowed");
      } else if (double(v) < s->min || double(v) > s->max) {
        bad("value " + text + " is out of range");
      }
      canonical = std::to_string(v);
      break;
    }
    case ParamType::Real: {
      double v = 0;
      if (!parse_real(text, v)) bad("'" + text + "' is not a number");
      if (v < s->min || v > s->max) bad("value " + text + " is out of range");
      canonical = detail::format_real(v);
      break;
    }
    case ParamType::Boolean:
      if (text == "true" || text == "1" || text == "yes" || text == "on") {
        canonical = "true";
      } else if (text == "false" || text == "0" || text == "no" || text == "off") {
        canonical = "false";
      } else {
        bad("'" + text + "' is not a boolean");
      }
      break;
    case ParamType::Text:
      break;
    case ParamType::Choice:
      if (std::find(s->choices.begin(), s->choices.end(), text) == s->choices.end())
        bad("'" + text + "' is not allowed");
      break;
  }
  values_[name] = canonical;
  origins_[name] = origin.where;
}

std::string ParamValues::text(const std::string& name) const {
  auto it = values_.find(name);
  if (it != values_.end()) {
    read_.insert(name);
    return it->second;
  }
  const ParamSpec* s = registry_->find(name);
  if (!s) throw std::logic_error("parameter not declared: " + name);
  return s->default_text;
}

std::int64_t ParamValues::integer(const std::string& name) const {
  std::int64_t v = 0;
  const std::string t = text(name);
  if (!parse_integer(t, v)) throw std::logic_error("parameter is not an integer: " + name);
  return v;
}

double ParamValues::real(const std::string& name) const {
  double v = 0;
  if (!parse_real(text(name), v)) throw std::logic_error("parameter is not a number: " + name);
  return v;
}

bool ParamValues::boolean(const std::string& name) const { return text(name) == "true"; }

std::vector<std::string> ParamValues::set_names() const {
  std::vector<std::string> names;
  names.reserve(values_.size());
  for (const auto& kv : values_) names.push_back(kv.first);
  return names;
}

const std::string& ParamValues::origin(const std::string& name) const {
  static const std::string kDefault = "default";
  auto it = origins_.find(name);
  return it == origins_.end() ? kDefault : it->second;
}

std::vector<std::string> ParamValues::unread_keys() const {
  std::vector<std::string> names;
  for (const auto& kv : values_)
    if (read_.count(kv.first) == 0) names.push_back(kv.first);
  return names;
}

}  // namespace hcasim
