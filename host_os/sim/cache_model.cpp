// Cache-line ownership, transfer cost and per-line serialization (see cache_model.hpp).
#include "host_os/sim/cache_model.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace hcasim {

CacheModel::LineStats& CacheModel::LineStats::operator+=(const LineStats& o) {
  accesses += o.accesses;
  hits += o.hits;
  transfers += o.transfers;
  wait_ps += o.wait_ps;
  busy_ps += o.busy_ps;
  return *this;
}

CacheModel::CacheModel(unsigned cpus, const CacheParams& params) : cpus_(cpus), params_(params) {
  if (cpus == 0 || cpus > kMaxCpus)
    throw std::invalid_argument("cache model: " + std::to_string(cpus) + " CPUs (1.." +
                                std::to_string(kMaxCpus) + ")");
  params_.sockets = std::clamp(params_.sockets, 1u, cpus);
  lines_.reserve(256);
}

Picos CacheModel::transfer_cost(const Line& l, unsigned cpu) const {
  const unsigned mine = socket_of(cpu);
  if (l.owner >= 0)
    return socket_of(static_cast<unsigned>(l.owner)) == mine ? params_.transfer_ps
                                                             : params_.remote_transfer_ps;
  if (l.sharer_count == 0) return params_.transfer_ps;
  for (unsigned c = 0; c < cpus_; ++c)
    if (l.sharers.test(c) && socket_of(c) == mine) return params_.transfer_ps;
  return params_.remote_transfer_ps;
}

CacheModel::Result CacheModel::access_any(unsigned cpu, Picos cycle_ps, std::uintptr_t addr,
                                          Access kind, Picos now) {
  if (cpu >= cpus_)
    throw std::out_of_range("cache model: CPU " + std::to_string(cpu) + " of " +
                            std::to_string(cpus_));
  Line& l = line_at(addr / kLineBytes);
  if (l.owner == static_cast<int>(cpu)) return owner_hit(l, cycle_ps, kind, now);
  ++l.stats.accesses;
  const Picos op = op_ps(cycle_ps, kind);
  const bool shared_by_me = l.owner < 0 && l.sharers.test(cpu);
  if (shared_by_me && (kind == Access::kRead || l.sharer_count == 1)) {
    ++l.stats.hits;
    const Picos end = now + op;
    if (kind != Access::kRead) {  // the sole sharer upgrades to exclusive
      l.sharers.reset();
      l.sharer_count = 0;
      l.owner = static_cast<int>(cpu);
      l.busy_until = std::max(l.busy_until, end);  // a request from elsewhere waits for it
    }
    return Result{now, end, false};
  }
  ++l.stats.transfers;
  Picos start, end;
  if (kind == Access::kRead && l.owner < 0) {
    // A clean line: readers fetch copies side by side; they wait only for an exclusive
    // transfer in flight.
    start = std::max(now, l.busy_until);
    end = start + transfer_cost(l, cpu) + op;
    l.reads_until = std::max(l.reads_until, end);
  } else {
    // Taking the line exclusively (or a read that downgrades its owner) is one at a time, and
    // an invalidation waits for the copies still being fetched.
    start =
        std::max(now, kind == Access::kRead ? l.busy_until : std::max(l.busy_until, l.reads_until));
    end = start + transfer_cost(l, cpu) + op;
    l.busy_until = end;
  }
  l.stats.wait_ps += start - now;
  l.stats.busy_ps += end - start;
  if (kind == Access::kRead) {
    if (l.owner >= 0) {  // the writer keeps a shared copy
      l.sharers.set(static_cast<std::size_t>(l.owner));
      l.sharer_count = 1;
      l.owner = -1;
    }
    l.sharers.set(cpu);
    ++l.sharer_count;
  } else {
    l.sharers.reset();
    l.sharer_count = 0;
    l.owner = static_cast<int>(cpu);
  }
  return Result{start, end, true};
}

CacheModel::LineStats CacheModel::line(std::uintptr_t addr) const {
  const auto it = lines_.find(addr / kLineBytes);
  return it == lines_.end() ? LineStats{} : it->second.stats;
}

CacheModel::LineStats CacheModel::range(std::uintptr_t begin, std::size_t bytes) const {
  LineStats sum;
  if (bytes == 0) return sum;
  for (std::uintptr_t n = begin / kLineBytes; n <= (begin + bytes - 1) / kLineBytes; ++n) {
    const auto it = lines_.find(n);
    if (it != lines_.end()) sum += it->second.stats;
  }
  return sum;
}

CacheModel::LineStats CacheModel::total() const {
  LineStats sum;
  for (const auto& [n, l] : lines_) sum += l.stats;
  return sum;
}

}  // namespace hcasim
