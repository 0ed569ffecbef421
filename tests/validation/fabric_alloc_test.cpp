// No allocation on the per-packet path in steady state: two periodic senders share a switch
// output to a slower-than-line-rate consumer with small buffers (credit waits, queues, credit
// returns all happen), and once warmed up, simulating twice as long allocates nothing more.
// Counts calls of the global operator new in this process.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "models/core/lookahead.hpp"
#include "models/fabric/topology.hpp"
#include "tests/validation/fabric_bench.hpp"

namespace {
std::atomic<std::uint64_t> g_allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace hcasim {
namespace {

using bench::as_endpoint;
using bench::defaults;
using bench::Endpoint;

// Sends one packet every `period` from `from` to `dst`.
class Generator : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Generator);
  Generator(sc_core::sc_module_name name, Endpoint& from, std::uint16_t dst, Picos period,
            std::uint32_t payload)
      : sc_module(name), from_(from), dst_(dst), period_(period), payload_(payload) {
    actions_.at<&Generator::tick>(period, this);
  }

 private:
  void tick(std::uint64_t) {
    from_.send(from_.make(dst_, payload_), now_ps());
    actions_.at<&Generator::tick>(now_ps() + period_, this);
  }
  Endpoint& from_;
  std::uint16_t dst_;
  Picos period_;
  std::uint32_t payload_;
  ActionQueue actions_;
};

TEST(FabricAllocation, SteadyStateForwardingDoesNotAllocate) {
  const LinkParams lp = defaults<LinkParams>();
  SwitchParams sp = defaults<SwitchParams>();
  sp.buffer_bytes = 3 * 33 * 64;  // three 2 KiB packets per input
  PacketPool pool(lp.mtu);
  Endpoint a("a", 1, pool, 1, 1 << 20, 0), b("b", 2, pool, 1, 1 << 20, 0);
  Endpoint dst("dst", 3, pool, 1, 2 * 33 * 64, 800000);  // two packets, 800 ns each
  Fabric f = build_fabric(bench::fabric_params("switch"), lp, sp,
                          {as_endpoint(a), as_endpoint(b), as_endpoint(dst)}, nullptr);
  // Offered load 800/1700 + 800/1900 = 0.89 of the consumer: it queues, but stays stable.
  Generator ga("ga", a, 3, 1700000, 2048), gb("gb", b, 3, 1900000, 2048);

  hcasim::Lookahead::run_for(
      sc_core::sc_time(200, sc_core::SC_US));  // warm-up: pools and heaps grow
  const std::uint64_t n0 = g_allocations.load();
  const std::size_t r0 = dst.records.size();
  hcasim::Lookahead::run_for(sc_core::sc_time(1, sc_core::SC_MS));
  const std::uint64_t n1 = g_allocations.load();
  const std::size_t r1 = dst.records.size();
  hcasim::Lookahead::run_for(sc_core::sc_time(2, sc_core::SC_MS));
  const std::uint64_t n2 = g_allocations.load();
  const std::size_t r2 = dst.records.size();

  EXPECT_GT(r1 - r0, 1000u);
  EXPECT_GT(r2 - r1, 2000u);
  EXPECT_GT(f.sw->output(2).counters().waited_packets, 0u);  // the output did wait for credits
  EXPECT_EQ(dst.overrun_errors, 0u);
  EXPECT_EQ(dst.order_errors, 0u);
  // Twice the packets, no more allocations: nothing is allocated per packet.
  EXPECT_EQ(n2 - n1, n1 - n0) << "window 1: " << (n1 - n0) << ", window 2: " << (n2 - n1);
  EXPECT_LE(n1 - n0, 4u);
}

}  // namespace
}  // namespace hcasim
