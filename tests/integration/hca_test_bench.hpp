#pragma once
// Shared by the hca_*_test.cpp files: the default system elaborated in-process with one
// connected queue pair on each side, a test-bench thread that plays the host software, and
// small helpers (buffers, byte checks, an interrupt recorder).
#include <gtest/gtest.h>

#include <cstring>
#include <functional>

#include "models/core/lookahead.hpp"
#include "workloads/system.hpp"

namespace hcasim::hca_test {

// Builds the default system and runs `body` as a host thread; the I/O unit side is driven
// from the same thread through its AdapterContext (it has no service here). The two QPs are a
// reliable connection, or with QpType::kUd two datagram QPs with the Q_Key kQkey.
struct Bench : sc_core::sc_module {
  static constexpr std::uint32_t kQkey = 0x1234;
  SC_HAS_PROCESS(Bench);
  ParamRegistry registry;
  std::unique_ptr<ParamValues> values;
  std::unique_ptr<System> sys;
  CompletionQueue* hcq = nullptr;
  CompletionQueue* icq = nullptr;
  QueuePair* hqp = nullptr;
  QueuePair* iqp = nullptr;
  std::function<void(Bench&)> body;
  bool done = false;

  Bench(std::function<void(Bench&)> b, std::vector<std::pair<std::string, std::string>> sets = {},
        QpType type = QpType::kRc)
      : Bench("bench", std::move(b), std::move(sets), type) {}
  Bench(sc_core::sc_module_name name, std::function<void(Bench&)> b,
        std::vector<std::pair<std::string, std::string>> sets, QpType type = QpType::kRc)
      : sc_module(name), body(std::move(b)) {
    declare_all_params(registry);
    values = std::make_unique<ParamValues>(registry);
    for (auto& [k, v] : sets) values->set(k, v, ValueOrigin{"test"});
    sys = std::make_unique<System>(*values, nullptr);
    hcq = &sys->host.adapter->create_cq(64);
    icq = &sys->iou.adapter->create_cq(64);
    hqp = &sys->host.adapter->create_qp(*hcq, *hcq, 32, 32, QpState::kRts, type);
    iqp = &sys->iou.adapter->create_qp(*icq, *icq, 32, 32, QpState::kRts, type);
    if (type == QpType::kUd) {
      sys->host.hca->set_qkey(hqp->qpn, kQkey);
      sys->iou.hca->set_qkey(iqp->qpn, kQkey);
    } else {
      sys->host.hca->connect(hqp->qpn, sys->iou.hca->port_address(), iqp->qpn);
      sys->iou.hca->connect(iqp->qpn, sys->host.hca->port_address(), hqp->qpn);
    }
    SC_THREAD(run);
  }
  // UD: the address of the I/O unit's QP, and of the host's.
  UdAddress to_iou() const { return UdAddress{sys->iou.hca->port_address(), iqp->qpn, kQkey}; }
  UdAddress to_host() const { return UdAddress{sys->host.hca->port_address(), hqp->qpn, kQkey}; }
  void run() {
    body(*this);
    done = true;
    hcasim::Lookahead::stop();
  }
  // Waits (in simulated time) for the next completion on `cq`.
  WorkCompletion next(CompletionQueue& cq, AdapterContext& ctx) {
    WorkCompletion wc;
    while (cq.poll(&wc, 1) == 0) hcasim::Lookahead::wait(cq.landed_event());
    ctx.retire(wc);
    return wc;
  }
  AdapterContext& host() { return *sys->host.adapter; }
  AdapterContext& iou() { return *sys->iou.adapter; }
  // A registered buffer of `len` bytes on each side, as one SGE.
  Sge host_buffer(std::uint32_t len) { return buffer(host(), len); }
  Sge iou_buffer(std::uint32_t len) { return buffer(iou(), len); }
  static Sge buffer(AdapterContext& ctx, std::uint32_t len) {
    const auto addr = ctx.memory().allocate(len);
    return Sge{addr, len, ctx.register_memory(addr, len, kLocalWrite)};
  }
};

inline void fill(HostMemory& m, std::uint64_t addr, std::uint32_t len, std::uint8_t seed) {
  for (std::uint32_t i = 0; i < len; ++i) m.at(addr + i, 1)[0] = std::uint8_t(seed + i * 13);
}
inline bool same(HostMemory& a, std::uint64_t pa, HostMemory& b, std::uint64_t pb,
                 std::uint32_t len) {
  return std::memcmp(a.at(pa, len), b.at(pb, len), len) == 0;
}

inline void run_bench(Bench& b) {
  hcasim::Lookahead::run();
  ASSERT_TRUE(b.done) << "the bench thread did not finish (model stalled)";
}

// Records the MSIs that land (time, vector, and the CQEs landed on `cq` by then) and wakes a
// thread waiting for one, as an ISR would.
struct RecordingInterrupts : InterruptSink {
  CompletionQueue* cq = nullptr;
  struct Seen {
    sc_core::sc_time at;
    std::uint32_t vector;
    std::uint64_t landed;
  };
  std::vector<Seen> seen;
  sc_core::sc_event raised;
  void raise(std::uint32_t vector) override {
    seen.push_back(Seen{hcasim::ps(hcasim::now_ps()), vector, cq ? cq->landed() : 0});
    hcasim::Lookahead::notify(raised);
  }
};

}  // namespace hcasim::hca_test
