#pragma once
// Named, seeded random streams: each consumer draws from its own stream derived from the run
// seed and its name, so adding a consumer never shifts another's sequence. Distributions are
// written here (not std::*_distribution, whose output differs between standard libraries) so a
// seed gives the same run everywhere.
#include <cmath>
#include <cstdint>
#include <string_view>

namespace hcasim {

class RandomStream {
 public:
  RandomStream(std::uint64_t seed, std::string_view name) : state_(seed ^ hash(name)) {
    for (int i = 0; i < 4; ++i) next();
  }
  // splitmix64: small, fast, good enough for workload generation.
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform01() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  std::uint64_t below(std::uint64_t n) { return n ? next() % n : 0; }
  double exponential(double mean) { return -mean * std::log1p(-uniform01()); }

 private:
  static std::uint64_t hash(std::string_view s) {
    std::uint64_t h = 1469598103934665603ULL;  // FNV-1a
    for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    return h;
  }
  std::uint64_t state_;
};

}  // namespace hcasim
