#pragma once
// Typed, self-describing parameters. Each model declares its parameters once, in a `visit`
// member of its parameter struct, next to the code that uses them:
//
//   struct LinkParams {
//     std::uint32_t lanes;
//     template <class V> void visit(V& v) {
//       v.integer(lanes, "fabric.link.lanes", "lanes", 4, 1, 16, "lanes per link");
//     }
//   };
//
// The same visit() declares the parameters into the registry (name, unit, default, range, help:
// what `hcasim params` prints) and loads validated values from a scenario (ParamValues::load).
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "models/core/config_error.hpp"

namespace hcasim {

enum class ParamType { Integer, Real, Boolean, Text, Choice };

struct ParamSpec {
  std::string name;  // dotted: "hca.clock_mhz"
  ParamType type = ParamType::Integer;
  std::string unit;  // "B", "ns", "MHz", "cycles", "" ...
  std::string default_text;
  double min = 0;  // Integer / Real: inclusive range
  double max = 0;
  std::vector<std::string> choices;  // Choice: the allowed words; Integer: allowed values if set
  std::string help;

  std::string allowed_text() const;  // "1 .. 16", "one of 256, 512", "true or false", ...
  std::string type_text() const;
};

// Where a value came from, for error messages: "pingpong.ini:12" or "--set".
struct ValueOrigin {
  std::string where;
};

class ParamRegistry {
 public:
  void add(ParamSpec spec);  // throws std::logic_error on a duplicate name
  const ParamSpec* find(const std::string& name) const;
  const std::map<std::string, ParamSpec>& all() const { return specs_; }
  template <class Params>
  void declare();

 private:
  std::map<std::string, ParamSpec> specs_;
};

// Validated parameter values for one run: defaults unless a scenario or --set said otherwise.
class ParamValues {
 public:
  explicit ParamValues(const ParamRegistry& registry) : registry_(&registry) {}

  // Validates text against the parameter's type and range; throws ConfigError naming the
  // origin, the key and what is allowed.
  void set(const std::string& name, const std::string& text, const ValueOrigin& origin);
  bool is_set(const std::string& name) const { return values_.count(name) != 0; }
  // The value's canonical text (or the default). Every typed read below goes through it, and
  // it records the name as read (see unread_keys).
  std::string text(const std::string& name) const;
  const ParamRegistry& registry() const { return *registry_; }

  std::int64_t integer(const std::string& name) const;
  double real(const std::string& name) const;
  bool boolean(const std::string& name) const;

  template <class Params>
  Params load() const;

  // The names given a value (by a scenario file, --set, --seed, ...), in name order, and where
  // each value came from ("pingpong.ini:12", "--set pingpong.size=4").
  std::vector<std::string> set_names() const;
  const std::string& origin(const std::string& name) const;
  // The names given a value that nothing has read yet: once the model is built, these are the
  // user's settings that the chosen workload and topology ignore.
  std::vector<std::string> unread_keys() const;

 private:
  const ParamRegistry* registry_;
  std::map<std::string, std::string> values_;
  std::map<std::string, std::string> origins_;
  // design decision: reads are recorded in a const accessor (mutable) because the model's
  // builders take the values as const; they are read on one thread, before simulation starts.
  mutable std::set<std::string> read_;
};

// ---- visitors -----------------------------------------------------------------------------

namespace detail {
std::string format_real(double v);

class DeclareVisitor {
 public:
  explicit DeclareVisitor(ParamRegistry& r) : r_(r) {}
  template <class T>
  void integer(T& field, const char* name, const char* unit, std::int64_t def, std::int64_t lo,
               std::int64_t hi, const char* help) {
    field = static_cast<T>(def);
    ParamSpec s{name,       ParamType::Integer, unit, std::to_string(def),
                double(lo), double(hi),         {},   help};
    r_.add(std::move(s));
  }
  template <class T>
  void one_of(T& field, const char* name, const char* unit, std::int64_t def,
              const std::vector<std::int64_t>& allowed, const char* help) {
    field = static_cast<T>(def);
    ParamSpec s{name, ParamType::Integer, unit, std::to_string(def), 0, 0, {}, help};
    for (auto a : allowed) s.choices.push_back(std::to_string(a));
    r_.add(std::move(s));
  }
  void real(double& field, const char* name, const char* unit, double def, double lo, double hi,
            const char* help) {
    field = def;
    r_.add(ParamSpec{name, ParamType::Real, unit, format_real(def), lo, hi, {}, help});
  }
  void boolean(bool& field, const char* name, bool def, const char* help) {
    field = def;
    r_.add(ParamSpec{name, ParamType::Boolean, "", def ? "true" : "false", 0, 0, {}, help});
  }
  void text(std::string& field, const char* name, const char* def, const char* help) {
    field = def;
    r_.add(ParamSpec{name, ParamType::Text, "", def, 0, 0, {}, help});
  }
  void choice(std::string& field, const char* name, const char* def,
              const std::vector<std::string>& choices, const char* help) {
    field = def;
    r_.add(ParamSpec{name, ParamType::Choice, "", def, 0, 0, choices, help});
  }

 private:
  ParamRegistry& r_;
};

class LoadVisitor {
 public:
  explicit LoadVisitor(const ParamValues& v) : v_(v) {}
  template <class T>
  void integer(T& field, const char* name, const char*, std::int64_t, std::int64_t, std::int64_t,
               const char*) {
    field = static_cast<T>(v_.integer(name));
  }
  template <class T>
  void one_of(T& field, const char* name, const char*, std::int64_t,
              const std::vector<std::int64_t>&, const char*) {
    field = static_cast<T>(v_.integer(name));
  }
  void real(double& field, const char* name, const char*, double, double, double, const char*) {
    field = v_.real(name);
  }
  void boolean(bool& field, const char* name, bool, const char*) { field = v_.boolean(name); }
  void text(std::string& field, const char* name, const char*, const char*) {
    field = v_.text(name);
  }
  void choice(std::string& field, const char* name, const char*, const std::vector<std::string>&,
              const char*) {
    field = v_.text(name);
  }

 private:
  const ParamValues& v_;
};
}  // namespace detail

template <class Params>
void ParamRegistry::declare() {
  Params p{};
  detail::DeclareVisitor v(*this);
  p.visit(v);
}

template <class Params>
Params ParamValues::load() const {
  Params p{};
  detail::LoadVisitor v(*this);
  p.visit(v);
  return p;
}

}  // namespace hcasim
