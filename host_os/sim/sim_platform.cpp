// The simulated platform's accesses and its spin lock (see sim_platform.hpp).
#include "host_os/sim/sim_platform.hpp"
#include "models/core/lookahead.hpp"

#include <string>

namespace hcasim {

SimPlatformParams SimPlatformParams::from(const HostParams& hp, std::uint64_t seed) {
  SimPlatformParams p;
  p.seed = seed;
  p.cache.hit_cycles = hp.cache_hit_cycles;
  p.cache.atomic_cycles = hp.atomic_cycles;
  p.cache.transfer_ps = ns_to_ps(hp.line_transfer_ns);
  p.cache.remote_transfer_ps = ns_to_ps(hp.line_transfer_remote_ns);
  p.cache.sockets = hp.sockets;
  p.wakeup_ps = ns_to_ps(hp.wakeup_ns);
  p.syscall_ps = ns_to_ps(hp.syscall_ns);
  return p;
}

SimPlatform::SimPlatform(const std::vector<SimCpu*>& cpus, const SimPlatformParams& params)
    : params_(params),
      cache_(static_cast<unsigned>(cpus.size()), params.cache),
      jitter_(params.seed, "sim_platform.spin") {
  for (std::size_t i = 0; i < cpus.size(); ++i) cpus[i]->set_index(static_cast<unsigned>(i));
}

sc_core::sc_event& SimPlatform::released_event(SpinLock& l) {
  if (!l.released_) l.released_ = std::make_unique<sc_core::sc_event>();  // once per lock
  return *l.released_;
}

void SimPlatform::lock(Context& c, SpinLock& l) {
  bool contended = false;
  Picos spin_start = 0;
  for (;;) {
    if (!l.held_) {
      // Test-and-set on a word that looked free. Taken now (issue order); the holder's DPCs
      // wait from here on (raised IRQL), and it goes on once the line has served it.
      l.held_ = 1;
      if (!c.in_kernel()) c.cpu().raise_irql();
      access(c, &l, CacheModel::Access::kRmw);
      ++counters_.lock_acquires;
      if (contended) {
        ++counters_.contended_acquires;
        counters_.spin_ps += now_ps() - spin_start;
      }
      return;
    }
    if (!contended) {
      contended = true;
      spin_start = now_ps();
    }
    // Held: spin on a shared copy of the line until the holder releases.
    const std::uint32_t ticket = l.releases_;
    access(c, &l, CacheModel::Access::kRead);
    while (l.releases_ == ticket) c.spin_on(released_event(l));
    if (params_.spin_jitter_ps) c.spin_for(jitter_.below(params_.spin_jitter_ps));
  }
}

namespace {
// Out of line: building the message in unlock gave that hot path a stack frame to set up.
[[gnu::cold, gnu::noinline, noreturn]] void fail_unlock_free(const std::string& cpu) {
  throw std::logic_error(cpu + ": unlock of a free spin lock");
}
}  // namespace

void SimPlatform::unlock(Context& c, SpinLock& l) {
  if (!l.held_) fail_unlock_free(c.cpu().name());
  l.held_ = 0;
  ++l.releases_;
  if (l.released_) Lookahead::notify_delta(*l.released_);
  access(c, &l, CacheModel::Access::kWrite);
  if (!c.in_kernel()) c.cpu().lower_irql();  // deferred DPCs of this CPU may run now
}

}  // namespace hcasim
