#pragma once
// A small VCD reader for tests: enough to check what hcasim's writer produces, what GTKWave's
// fst2vcd gives back, and the values of every signal at a given time.
#include <algorithm>
#include <cstdint>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace hcasim_test {

struct Vcd {
  struct Var {
    std::string type;
    unsigned width = 0;
    std::string code;
    std::string path;  // scopes joined with dots, then the name
  };
  struct Change {
    std::uint64_t time;
    std::string code;
    std::string value;  // without the b/r prefix; scalars as "0"/"1"
  };
  std::string timescale;
  std::vector<std::string> keywords;     // every $keyword in order
  std::vector<std::string> scope_paths;  // every $scope, as its full path
  int max_depth = 0;
  bool balanced = true;
  std::vector<Var> vars;
  std::map<std::string, std::string> dumpvars;  // code -> value
  std::vector<std::uint64_t> times;             // every #t in order
  std::vector<Change> changes;                  // outside $dumpvars
  std::map<std::string, std::string> final_value;

  const Var* var(const std::string& path) const {
    for (const Var& v : vars) {
      if (v.path == path) return &v;
    }
    return nullptr;
  }
  std::string final_of(const std::string& path) const {
    const Var* v = var(path);
    if (!v) return "<no such var " + path + ">";
    auto it = final_value.find(v->code);
    return it == final_value.end() ? "<no value>" : it->second;
  }
  std::vector<Change> changes_of(const std::string& path) const {
    std::vector<Change> out;
    const Var* v = var(path);
    for (const Change& c : changes) {
      if (v && c.code == v->code) out.push_back(c);
    }
    return out;
  }
};

inline Vcd parse_vcd(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> tok;
  for (std::string t; in >> t;) tok.push_back(t);
  Vcd vcd;
  std::vector<std::string> stack;
  bool in_dumpvars = false;
  std::uint64_t now = 0;
  auto skip_to_end = [&](std::size_t& i) {
    while (i < tok.size() && tok[i] != "$end") ++i;
  };
  auto value = [&](const std::string& code, const std::string& v) {
    if (in_dumpvars) {
      vcd.dumpvars[code] = v;
    } else {
      vcd.changes.push_back({now, code, v});
    }
    vcd.final_value[code] = v;
  };
  for (std::size_t i = 0; i < tok.size(); ++i) {
    const std::string& t = tok[i];
    if (t[0] == '$') vcd.keywords.push_back(t);
    if (t == "$scope") {
      stack.push_back(tok.at(i + 2));
      std::string p;
      for (const std::string& s : stack) p += (p.empty() ? "" : ".") + s;
      vcd.scope_paths.push_back(p);
      vcd.max_depth = std::max(vcd.max_depth, static_cast<int>(stack.size()));
      skip_to_end(i);
    } else if (t == "$upscope") {
      if (stack.empty()) {
        vcd.balanced = false;
      } else {
        stack.pop_back();
      }
      skip_to_end(i);
    } else if (t == "$var") {
      Vcd::Var v;
      v.type = tok.at(i + 1);
      v.width = static_cast<unsigned>(std::stoul(tok.at(i + 2)));
      v.code = tok.at(i + 3);
      for (const std::string& s : stack) v.path += s + ".";
      v.path += tok.at(i + 4);
      vcd.vars.push_back(v);
      skip_to_end(i);
    } else if (t == "$timescale") {
      for (++i; i < tok.size() && tok[i] != "$end"; ++i) vcd.timescale += tok[i];
    } else if (t == "$dumpvars" || t == "$dumpall" || t == "$dumpon" || t == "$dumpoff") {
      in_dumpvars = true;
    } else if (t == "$end") {
      in_dumpvars = false;
    } else if (t[0] == '$') {
      skip_to_end(i);  // $version, $comment, $date, $enddefinitions
    } else if (t[0] == '#') {
      now = std::stoull(t.substr(1));
      vcd.times.push_back(now);
    } else if (t[0] == 'b' || t[0] == 'B' || t[0] == 'r' || t[0] == 'R') {
      value(tok.at(i + 1), t.substr(1));
      ++i;
    } else {
      value(t.substr(1), t.substr(0, 1));
    }
  }
  if (!stack.empty()) vcd.balanced = false;
  return vcd;
}

inline std::uint64_t from_binary(const std::string& bits) {
  std::uint64_t v = 0;
  for (char c : bits) v = v << 1 | static_cast<std::uint64_t>(c == '1');
  return v;
}

// The value of every signal (by path) at time `t`: the $dumpvars, then every change at or
// before `t` (so several changes at `t` leave the last). Values as the file writes them.
inline std::map<std::string, std::string> values_at(const Vcd& vcd, std::uint64_t t) {
  std::map<std::string, std::string> by_code = vcd.dumpvars;
  for (const Vcd::Change& c : vcd.changes) {
    if (c.time > t) break;
    by_code[c.code] = c.value;
  }
  std::map<std::string, std::string> by_path;
  for (const Vcd::Var& v : vcd.vars) by_path[v.path] = by_code.count(v.code) ? by_code[v.code] : "";
  return by_path;
}

}  // namespace hcasim_test
