#pragma once
// The cost model of shared memory: every shared word lives on a 64-byte cache line, and a line
// is either held exclusively by one CPU (it may write it at hit cost) or shared read-only by a
// set of CPUs (each may read it at hit cost). Any other access moves the line -- a transfer
// whose cost depends on whether the line comes from the same socket or another -- and transfers
// of one line are serialized (a line is busy until its transfer is done), so contention on a
// lock word shows as waiting time and transfer counts per line. Pure arithmetic on simulated
// time (no SystemC): SimPlatform turns each access into CPU time of the caller.
//
// design decision: a line that no cache holds is fetched at the cost of a same-socket transfer
// (the model has no DRAM latency of its own); an upgrade of a line the CPU alone shares costs a
// hit; reads that hit are not serialized behind a pending transfer (their copy is valid); read
// misses of a clean (shared) line are served side by side, as the last-level cache serves
// them, while exclusive transfers -- and the read that downgrades a modified line -- are
// serialized, and an invalidation waits for the shared copies still in flight.
#include <algorithm>
#include <array>
#include <bitset>
#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "models/core/sim_time.hpp"

namespace hcasim {

struct CacheParams {
  std::uint32_t hit_cycles = 4;        // plain load or store on a line the CPU holds
  std::uint32_t atomic_cycles = 20;    // locked read-modify-write on a line the CPU owns
  Picos transfer_ps = 50'000;          // line moved between CPUs of one socket
  Picos remote_transfer_ps = 120'000;  // line moved between sockets
  std::uint32_t sockets = 1;
};

class CacheModel {
 public:
  static constexpr std::size_t kLineBytes = 64;
  static constexpr unsigned kMaxCpus = 256;

  enum class Access : std::uint8_t { kRead, kWrite, kRmw };

  // Per line: who holds it, until when it is busy, and what it cost.
  struct LineStats {
    std::uint64_t accesses = 0;
    std::uint64_t hits = 0;
    std::uint64_t transfers = 0;
    Picos wait_ps = 0;  // accesses waited for the line (another CPU's transfer in progress)
    Picos busy_ps = 0;  // sum of the transfers' durations
    LineStats& operator+=(const LineStats& o);
  };

  struct Result {
    Picos start;  // the access begins (after waiting for the line)
    Picos end;    // the data is there: the CPU may go on
    bool transfer;
  };

  CacheModel(unsigned cpus, const CacheParams& params);
  // Holds pointers into its own line table: not copied.
  CacheModel(const CacheModel&) = delete;
  CacheModel& operator=(const CacheModel&) = delete;

  // An access by `cpu` (whose clock cycle is `cycle_ps`) to the word at `addr`, issued at
  // `now`. Decides hit or transfer in issue order, which is also the line's service order.
  Result access(unsigned cpu, Picos cycle_ps, std::uintptr_t addr, Access kind, Picos now) {
    // The common case on a short path: a line used lately that this CPU holds exclusively.
    const std::uintptr_t n = addr / kLineBytes;
    const Recent& r = recent_[n % kRecent];
    if (r.at != nullptr && r.number == n && r.at->owner == static_cast<int>(cpu))
      return owner_hit(*r.at, cycle_ps, kind, now);
    return access_any(cpu, cycle_ps, addr, kind, now);
  }

  LineStats line(std::uintptr_t addr) const;
  // Sum over the lines overlapping [begin, begin + bytes).
  LineStats range(std::uintptr_t begin, std::size_t bytes) const;
  LineStats total() const;
  unsigned cpus() const { return cpus_; }
  unsigned socket_of(unsigned cpu) const { return cpu * params_.sockets / cpus_; }
  const CacheParams& params() const { return params_; }

 private:
  struct Line {
    int owner = -1;                 // exclusive holder, or -1: shared by `sharers`
    std::bitset<kMaxCpus> sharers;  // valid read-only copies (when owner == -1)
    unsigned sharer_count = 0;
    Picos busy_until = 0;   // the exclusive transfer in flight ends
    Picos reads_until = 0;  // shared copies being fetched arrive
    LineStats stats;
  };
  Picos transfer_cost(const Line& l, unsigned cpu) const;
  Result access_any(unsigned cpu, Picos cycle_ps, std::uintptr_t addr, Access kind, Picos now);
  // A hit of any kind on a line the CPU holds exclusively.
  Result owner_hit(Line& l, Picos cycle_ps, Access kind, Picos now) {
    ++l.stats.accesses;
    ++l.stats.hits;
    const Picos end = now + op_ps(cycle_ps, kind);
    if (kind != Access::kRead) l.busy_until = std::max(l.busy_until, end);  // others wait
    return Result{now, end, false};
  }
  // The access itself, once the CPU has the line.
  Picos op_ps(Picos cycle_ps, Access kind) const {
    return Picos{kind == Access::kRmw ? params_.atomic_cycles : params_.hit_cycles} * cycle_ps;
  }
  // The line numbered `n`, created on first touch.
  Line& line_at(std::uintptr_t n) {
    Recent& r = recent_[n % kRecent];
    if (r.at == nullptr || r.number != n) r = Recent{n, &lines_[n]};
    return *r.at;
  }

  unsigned cpus_;
  CacheParams params_;
  std::unordered_map<std::uintptr_t, Line> lines_;  // by line number; grows on first touch
  // Lines used lately, direct-mapped by number: software touches a few lines over and over
  // (locks, queue indices), and these skip the hash lookup. Lines are never removed and a
  // hash map's elements do not move, so the pointers stay valid.
  struct Recent {
    std::uintptr_t number = 0;
    Line* at = nullptr;
  };
  static constexpr std::size_t kRecent = 64;
  std::array<Recent, kRecent> recent_{};
};

}  // namespace hcasim
