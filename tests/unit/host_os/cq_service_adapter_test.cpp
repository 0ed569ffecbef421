// The completion service over the real simulated adapter: a backend whose Completion is the
// adapter's WorkCompletion (polling retires every entry, dropped ones too), an armed CQ whose
// MSI reaches the system's interrupt controller, and a DPC that wakes the service's sleeper.
// Sends to the I/O unit complete; their completions reach the QP's outbound callback.
#include <gtest/gtest.h>

#include <sysc/kernel/sc_dynamic_processes.h>
#include <systemc>

#include <memory>
#include <vector>

#include "host_os/cq_manager/completion_service.hpp"
#include "host_os/sim/interrupt_controller.hpp"
#include "host_os/sim/sim_platform.hpp"
#include "host_os/sim/sim_thread.hpp"
#include "models/core/lookahead.hpp"
#include "models/iounit/perftest_peer.hpp"
#include "workloads/system.hpp"

namespace hcasim {
namespace {

constexpr Picos kUs = 1'000'000;

// Reaches the host adapter's CQs (indexed by CQ number).
struct VerbsBackend {
  using Completion = WorkCompletion;
  AdapterContext& adapter;
  std::vector<CompletionQueue*> cqs;
  std::uint64_t poll_cycles = 100;

  unsigned poll(SimContext& c, std::uint32_t cq, WorkCompletion* out, unsigned max) {
    c.run(poll_cycles);
    const unsigned n = cqs.at(cq)->poll(out, max);
    for (unsigned i = 0; i < n; ++i) adapter.retire(out[i]);  // frees the slot, kept or dropped
    return n;
  }
  bool arm(SimContext&, std::uint32_t cq) {
    adapter.arm_cq(*cqs.at(cq));
    return false;
  }
  std::uint32_t wq_of(const WorkCompletion& wc) const { return wc.qpn; }
  cq::Direction direction_of(const WorkCompletion& wc) const {
    return wc.is_recv ? cq::Direction::inbound : cq::Direction::outbound;
  }
};

using Service = cq::CompletionService<SimPlatform, VerbsBackend>;

struct WakeDpc {
  Service* service = nullptr;
  unsigned runs = 0;
  static void run(void* self, std::uint64_t cq, SimContext& kernel) {
    auto* d = static_cast<WakeDpc*>(self);
    ++d->runs;
    d->service->notify_completion(kernel, static_cast<std::uint32_t>(cq));
  }
};

TEST(CqServiceAdapter, SendCompletionsReachTheOwnerThroughArmAndWait) {
  ParamRegistry registry;
  declare_all_params(registry);
  ParamValues values{registry};
  values.set("host.cpus", "2", ValueOrigin{"test"});
  System system(values, nullptr);
  std::vector<SimCpu*> cpus{system.cpus[0].get(), system.cpus[1].get()};
  SimPlatform platform(cpus, SimPlatformParams::from(system.host_params));
  AdapterContext& host = *system.host.adapter;
  CompletionQueue& scq = host.create_cq(256);
  CompletionQueue& rcq = host.create_cq(256);
  QueuePair& qp = host.create_qp(scq, rcq, 16, 1);
  AdapterContext& iou = *system.iou.adapter;
  CompletionQueue& icq = iou.create_cq(256);
  QueuePair& iqp = iou.create_qp(icq, icq, 16, 64);
  system.host.hca->connect(qp.qpn, system.iou.hca->port_address(), iqp.qpn);
  system.iou.hca->connect(iqp.qpn, system.host.hca->port_address(), qp.qpn);
  PerftestPeer sink("sink", system.iou_params, iou, *system.iou.pcie, iqp, icq, PeerMode::kSink, 8,
                    false);
  HostMemory& mem = host.memory();
  const std::uint64_t buf = mem.allocate(8, 64);
  SendRequest wr;
  wr.inline_data = true;
  wr.sges.push_back(Sge{buf, 8, host.register_memory(buf, 8, kLocalWrite)});

  VerbsBackend backend{host, {}};
  backend.cqs.resize(std::max(scq.cqn(), rcq.cqn()) + 1);
  backend.cqs[scq.cqn()] = &scq;
  backend.cqs[rcq.cqn()] = &rcq;
  Service service(platform, backend, sync::SyncKind::algorithm,
                  cq::CompletionServiceConfig{static_cast<std::uint32_t>(backend.cqs.size())});
  WakeDpc dpc{&service};
  InterruptController& irq = *system.interrupts;  // the host adapter's MSIs land here
  irq.route(scq.cqn(), 1, Dpc{&WakeDpc::run, &dpc, scq.cqn()});  // the vector is the CQ number

  std::vector<std::uint64_t> completed;
  unsigned reaped = 0;
  SimThread worker("w", *system.cpus[0], nullptr);
  hcasim::Lookahead::spawn_thread([&] {
    worker.start();
    SimContext& c = worker.context();
    service.add_cq(c, scq.cqn());
    service.add_cq(c, rcq.cqn());
    service.monitor(c, qp.qpn, cq::Direction::outbound, [&](SimContext&, const WorkCompletion& wc) {
      EXPECT_EQ(wc.status, WcStatus::kSuccess);
      completed.push_back(wc.wr_id);
    });
    hcasim::Lookahead::wait(ps(10 * kUs));  // the sink's receives are posted
    for (std::uint64_t id = 1; id <= 3; ++id) {
      wr.wr_id = id;
      EXPECT_TRUE(host.post_send(qp, wr));
    }
    while (completed.size() < 3) reaped += service.arm_and_wait(c, 16);
    worker.finish();
  });
  hcasim::Lookahead::run();
  EXPECT_EQ(completed, (std::vector<std::uint64_t>{1, 2, 3}));  // in the send queue's order
  EXPECT_EQ(reaped, 3u);
  EXPECT_EQ(qp.sq_in_flight(), 0u);  // every slot freed by the backend's retire
  const cq::CompletionStats s = service.stats();
  EXPECT_EQ(s.completions, 3u);
  EXPECT_EQ(s.dropped, 0u);
  // One pass: check, arm both CQs, check again, sleep; the first send completion's interrupt
  // wakes the worker, by which time all three have landed.
  EXPECT_EQ(s.checks, 3u);
  EXPECT_EQ(s.empty_checks, 2u);
  EXPECT_EQ(s.arms, 2u);
  EXPECT_EQ(s.sleeps, 1u);
  EXPECT_EQ(s.wakes, 1u);
  EXPECT_EQ(s.notifies, 1u);
  EXPECT_EQ(dpc.runs, 1u);
  EXPECT_EQ(irq.raised(), 1u);  // one-shot: the CQ was not armed again
  EXPECT_EQ(system.cpus[1]->interrupts(), irq.raised());
}

}  // namespace
}  // namespace hcasim
